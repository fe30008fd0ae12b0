"""The GUI opens a folder holding one bad file among good loops: the good loops open, the bad one is named.

Imitates the audit's folder-sinking case (one unreadable header element made the GUI refuse the whole
study) and the RTL-override patient name that displayed "evil" as "live".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydicom import config
from pydicom.dataelem import DataElement
from pydicom.uid import generate_uid
from PySide6.QtCore import Qt

from gui.panels.browser import INFO_ROLE
from tests.gui.conftest import wait_loaded
from tests.imaging.conftest import bar_frames, jpeg_loop, save


def _study(folder: Path) -> tuple[list[Path], Path]:
    """Two good loops of one study (patient name with an RTL override) and one lying about its frames."""
    study, series = generate_uid(), generate_uid()
    good = []
    for i in range(2):
        ds = jpeg_loop(bar_frames(3))
        ds.SpecificCharacterSet = "ISO_IR 192"
        ds.PatientName, ds.PatientID = "\u202eevil", "P1"
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.InstanceNumber = study, series, i + 1
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        good.append(save(ds, folder / f"good{i}.dcm"))
    bad = jpeg_loop(bar_frames(3))
    bad.StudyInstanceUID, bad.SeriesInstanceUID = study, series
    bad[0x00280008] = DataElement(0x00280008, "IS", str(2**31 - 1))
    saved = config.settings.writing_validation_mode
    config.settings.writing_validation_mode = config.IGNORE
    try:
        return good, save(bad, folder / "bomb.dcm")
    finally:
        config.settings.writing_validation_mode = saved


def test_a_folder_with_one_bad_file_opens_its_good_loops(qtbot: Any, window: Any, tmp_path: Path) -> None:
    good, bad = _study(tmp_path)
    window.open_paths([tmp_path])
    wait_loaded(qtbot, window)
    assert sorted(Path(i.path).name for i in window.browser.loop_infos()) == ["good0.dcm", "good1.dcm"]
    warnings = [m for level, m in window.notices.history if level == "warning"]
    assert any(m.startswith(f"{bad}: NumberOfFrames (0028,0008) is 2147483647") for m in warnings), warnings
    patient = window.browser.topLevelItem(0)
    assert patient.text(0).startswith("\u2068evil\u2069")  # isolated, override removed: reads "evil"
    # the second loop opens from the browser with the keyboard (select it, Enter)
    items = window.browser.findItems("", Qt.MatchFlag.MatchContains | Qt.MatchFlag.MatchRecursive)
    second = next(item for item in items
                  if (info := item.data(0, INFO_ROLE)) is not None and Path(info.path) == good[1])
    window.browser.setFocus()
    window.browser.setCurrentItem(second)
    qtbot.keyClick(window.browser, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.grid.active.info is not None and Path(window.grid.active.info.path) == good[1],
                    timeout=10000)


def test_a_frame_that_cannot_decode_is_named_within_a_second(qtbot: Any, window: Any, tmp_path: Path) -> None:
    # a loop whose header is sound but whose JPEG frames are junk (a transfer that corrupted the pixel data):
    # the audit saw the GUI wait about 62 s for such a frame; the error must be on screen at once
    ds = jpeg_loop(bar_frames(3), encoded=[b"\xff\xd8junk\xff\xd9"] * 3)
    path = save(ds, tmp_path / "junk_frames.dcm")
    window.open_paths([path])
    qtbot.waitUntil(lambda: window.grid.active.info is not None, timeout=10000)
    errors = lambda: [m for level, m in window.notices.history if level == "error"]  # noqa: E731
    qtbot.waitUntil(lambda: any("frame 1 could not be shown" in m and str(path) in m for m in errors()),
                    timeout=1000)
    assert window.grid.active.displayed_index is None  # nothing stale or blank passes for the frame
