"""DICOMDIR records and paths that lead elsewhere: only regular files inside the DICOMDIR's folder.

Imitates the audit's hostile DICOMDIRs: records naming an absolute path (``/etc/passwd``), a path
escaping the folder with ``..``, a symbolic link out of the folder, and a FIFO (which would block
the indexer forever); and ``mitraplan info /dev/zero``, which used to hang.
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import pytest
from pydicom import config, dcmread
from pydicom.fileset import FileSet

from gui.main import main
from imaging.catalog import catalog_paths
from imaging.errors import NotRegularFileError
from imaging.loop import Loop, read_info
from tests.imaging.test_catalog import _folder_of_loops


def _media(tmp_path: Path) -> Path:
    fs = FileSet()
    for path in _folder_of_loops(tmp_path / "src", 5):
        fs.add(path)
    media = tmp_path / "media"
    fs.write(media)
    return media


def _point_records(dicomdir: Path, references: list[str | list[str]]) -> list[int]:
    """Rewrite the ReferencedFileID of the first image records, in order; their 1-based record numbers."""
    ds = dcmread(dicomdir)
    numbers = [n for n, r in enumerate(ds.DirectoryRecordSequence, start=1) if "ReferencedFileID" in r]
    records = [ds.DirectoryRecordSequence[n - 1] for n in numbers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the references are invalid CS values on purpose
        saved = config.settings.writing_validation_mode
        config.settings.writing_validation_mode = config.IGNORE
        try:
            for record, reference in zip(records, references, strict=False):
                record.ReferencedFileID = reference
            ds.save_as(dicomdir, enforce_file_format=False)
        finally:
            config.settings.writing_validation_mode = saved
    return numbers[:len(references)]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_dicomdir_records_outside_the_folder_or_not_regular_are_skipped(tmp_path: Path) -> None:
    media = _media(tmp_path)
    os.mkfifo(media / "FIFO")
    os.symlink("/etc/passwd", media / "LINK")
    n1, n2, n3, n4 = _point_records(media / "DICOMDIR", ["/etc/passwd", ["..", "src", "sub0", "IM0000.dcm"], "FIFO", "LINK"])
    start = time.perf_counter()
    index = catalog_paths([media / "DICOMDIR"])
    assert time.perf_counter() - start < 5.0  # the FIFO was never opened
    assert len(index.loops()) == 1  # only the fifth record is still a file inside the folder
    messages = [message for path, message in index.warnings if path == str(media / "DICOMDIR")]
    assert messages == [
        f"record {n1} ('/etc/passwd') is an absolute path; skipped",
        f"record {n2} ('..\\\\src\\\\sub0\\\\IM0000.dcm') points outside the DICOMDIR's folder; skipped",
        f"record {n3} ('FIFO') is not a regular file (a device, FIFO, socket or folder); skipped",
        f"record {n4} ('LINK') points outside the DICOMDIR's folder; skipped",
    ]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_file_is_refused_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    start = time.perf_counter()
    for action in (read_info, Loop.open):
        with pytest.raises(NotRegularFileError, match=r"^/dev/zero: is not a regular file \(a character device\)"):
            action(Path("/dev/zero"))
    assert main(["info", "/dev/zero"]) == 3
    assert "/dev/zero: is not a regular file" in capsys.readouterr().err
    assert time.perf_counter() - start < 2.0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_given_directly_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "loop.dcm"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFileError, match=r"loop\.dcm: is not a regular file \(a FIFO\)"):
        read_info(fifo)
    index = catalog_paths([fifo])
    assert index.warnings == [(str(fifo), "is not a regular file (a FIFO); refused")]
