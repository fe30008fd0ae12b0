"""The local store lands files atomically and cleans up what an interrupted transfer left."""

from __future__ import annotations

from pathlib import Path

import pytest

from pacs import nodes
from pacs.store import StudyFolder, default_store_root, safe_name


def test_landed_file_appears_complete_under_its_uid(tmp_path: Path) -> None:
    folder = StudyFolder(tmp_path, "1.2.3")
    path = folder.land_bytes("1.2.3.4", b"DICM-bytes")
    assert path == tmp_path / "1.2.3" / "1.2.3.4.dcm"
    assert path.read_bytes() == b"DICM-bytes"
    assert folder.present() == {"1.2.3.4"}
    assert not list(folder.path.glob("*.part"))


def test_retrieved_instances_and_their_folders_are_readable_by_the_user_only(tmp_path: Path) -> None:
    # retrieved studies are patient data, like the case file and every export (0600 files, 0700 folders)
    root = tmp_path / "studies"
    path = StudyFolder(root, "1.2.3").land_bytes("1.2.3.4", b"DICM-bytes")
    assert path.stat().st_mode & 0o777 == 0o600
    assert (root / "1.2.3").stat().st_mode & 0o777 == 0o700 and root.stat().st_mode & 0o777 == 0o700


def test_write_cut_halfway_leaves_no_file_that_looks_complete(tmp_path: Path) -> None:
    folder = StudyFolder(tmp_path, "1.2.3")

    def half_then_fail(out) -> None:
        out.write(b"first half")
        raise ConnectionResetError("peer went away")

    seen_while_writing: list[str] = []

    def record_then_fail(out) -> None:
        seen_while_writing.extend(p.name for p in folder.path.iterdir())
        half_then_fail(out)

    with pytest.raises(ConnectionResetError):
        folder.land("1.2.3.5", record_then_fail)
    assert seen_while_writing == [".1.2.3.5.dcm.part"]  # hidden: the folder indexer skips it
    assert list(folder.path.iterdir()) == []
    assert folder.present() == set()


def test_leftover_partials_are_removed_and_complete_files_kept(tmp_path: Path) -> None:
    folder = StudyFolder(tmp_path, "1.2.3")
    kept = folder.land_bytes("1.2.3.6", b"complete")
    (folder.path / ".1.2.3.7.dcm.part").write_bytes(b"half")
    (folder.path / "1.2.3.8.dcm.part").write_bytes(b"half, from an older version")
    assert folder.present() == {"1.2.3.6"}
    assert folder.remove_partials() == 2
    assert sorted(folder.path.iterdir()) == [kept]


def test_hostile_uid_cannot_escape_the_study_folder(tmp_path: Path) -> None:
    name = safe_name("../../etc/passwd")
    assert "/" not in name and ".." not in name
    assert StudyFolder(tmp_path, "../x").path.parent == tmp_path


def test_default_store_is_under_the_user_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nodes.sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_store_root() == tmp_path / "mitraplan" / "studies"
