"""Shared fixtures. The offscreen platform is set before anything can import Qt."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

REALDATA_ENV = "MITRAPLAN_REALDATA"


def find_realdata() -> Path | None:
    """``shared/realdata`` beside the checkout, or beside any parent (worktrees sit one level deeper).

    The real vendor samples are kept outside the repository (never committed); tests skip without them.
    ``$MITRAPLAN_REALDATA`` names another folder (a missing one: as if absent).
    """
    override = os.environ.get(REALDATA_ENV)
    if override is not None:
        return Path(override) if override and Path(override).is_dir() else None
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "realdata"
        if candidate.is_dir():
            return candidate
    return None


#: Where the real vendor samples come from, said once when they are absent.
REALDATA_SOURCE = ("real vendor echo samples not found (../shared/realdata beside the checkout): public DICOM test"
                   " files of orthanc-tests, fo-dicom, pydicom-data, dcm4che and ITK-SNAP (shared/realdata/README.md"
                   " lists each with its sha256)")


def realdata_required() -> bool:
    """On CI (``CI=true``) the real samples must be there: their absence fails the run."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture
def realdata() -> Path:
    """Folder of the real vendor loops (``../shared/realdata``); skips the test when it is missing
    (fails it under ``CI=true``)."""
    folder = find_realdata()
    if folder is None:
        if realdata_required():
            pytest.fail(f"CI=true: {REALDATA_SOURCE}", pytrace=False)
        pytest.skip("real vendor samples absent (see the note at the end of the run)")
    return folder


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Say once, when real-file tests are collected and their folder is absent, where the files come from."""
    uses = [item for item in items if "realdata" in getattr(item, "fixturenames", ())]
    if uses and find_realdata() is None:
        outcome = "CI=true: the run fails" if realdata_required() else "skipped"
        config.stash[_REALDATA_NOTE] = f"{len(uses)} real-file test(s) {outcome}: {REALDATA_SOURCE}"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    note = config.stash.get(_REALDATA_NOTE, None)
    if note:
        terminalreporter.write_line(note)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """``CI=true`` without the real samples fails the run even when no collected test asked for them."""
    if realdata_required() and find_realdata() is None and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_REALDATA_NOTE = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def demo_study(tmp_path_factory: pytest.TempPathFactory):
    """The demo study, written once per test session."""
    from demo.phantom import write_demo_study

    return write_demo_study(tmp_path_factory.mktemp("demo") / "loops")


@pytest.fixture(scope="session", autouse=True)
def private_log_dir(tmp_path_factory: pytest.TempPathFactory):
    """Every ``mitraplan`` run by a test (in-process or a subprocess) logs into a temporary folder, not the user's."""
    from gui.logs import LOG_DIR_ENV

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(LOG_DIR_ENV, str(tmp_path_factory.mktemp("logs")))
        yield


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh log folder for this test (``$MITRAPLAN_LOG_DIR``); the root logger's handlers are put back
    afterwards, so a test's log file never outlives it."""
    import logging

    from gui import logs

    folder = tmp_path / "state" / "log"
    monkeypatch.setenv(logs.LOG_DIR_ENV, str(folder))
    root = logging.getLogger()
    before = list(root.handlers)
    yield folder
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
        handler.close()
    for handler in before:
        if handler not in root.handlers:
            root.addHandler(handler)
