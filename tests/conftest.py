"""Shared fixtures. The offscreen platform is set before anything can import Qt."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


def find_realdata() -> Path | None:
    """``shared/realdata`` beside the checkout, or beside any parent (worktrees sit one level deeper).

    The real vendor samples are kept outside the repository (never committed); tests skip without them.
    """
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "realdata"
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture
def realdata() -> Path:
    """Folder of the real vendor loops (``../shared/realdata``); skips the test when it is missing."""
    folder = find_realdata()
    if folder is None:
        pytest.skip("real vendor samples (shared/realdata) not found")
    return folder


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
