"""Fixtures for the GUI tests: a fake monotonic clock, throw-away settings, the demo study, the window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


class FakeClock:
    """A monotonic clock the test advances by hand (seconds, like ``time.monotonic``)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance_ms(self, ms: float) -> None:
        self.now += ms / 1000.0


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "mitraplan-test.ini"), QSettings.Format.IniFormat)


@pytest.fixture(scope="session")
def demo_study(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The built-in synthetic TEE study (written once per session)."""
    phantom = pytest.importorskip("demo.phantom", reason="needs the imaging core (demo.phantom)")
    return phantom.write_demo_study(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def window(qtbot: Any, settings: Any, fake_clock: FakeClock) -> Iterator[Any]:
    """The main window with a fake clock, not yet showing a study."""
    pytest.importorskip("imaging.loop", reason="needs the imaging core (imaging.loop)")
    from gui.app import create_app
    from gui.main_window import MainWindow

    create_app()
    win = MainWindow(settings=settings, clock=fake_clock)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    yield win
    win.tasks.cancel_all()
    win.close()
    win.tasks.wait(10000)


def wait_loaded(qtbot: Any, win: Any, timeout: int = 15000) -> None:
    """Wait until no task runs and every visible loaded viewport has pixels on screen."""
    qtbot.waitUntil(lambda: not win.tasks.running and win.grid.loaded() and all(
        v.displayed_index is not None for v in win.grid.loaded()), timeout=timeout)


def wait_frame(qtbot: Any, viewport: Any, index: int, timeout: int = 5000) -> None:
    """Wait until 0-based frame ``index`` is on screen in ``viewport``."""
    qtbot.waitUntil(lambda: viewport.displayed_index == index, timeout=timeout)


@pytest.fixture
def demo_window(qtbot: Any, window: Any, demo_study: Any) -> Any:
    """The window with the demo study open and its first loop displayed."""
    window.open_paths([demo_study.folder])
    wait_loaded(qtbot, window)
    return window


def open_in(qtbot: Any, win: Any, path: Path, viewport: Any = None) -> Any:
    """Open the loop stored at ``path`` in ``viewport`` (default: active) and wait for its first frame."""
    viewport = viewport or win.grid.active
    info = next(i for i in win.browser.loop_infos() if Path(i.path) == Path(path))
    win.open_loop(info, viewport)
    qtbot.waitUntil(lambda: not win.tasks.running and viewport.info is not None
                    and Path(viewport.info.path) == Path(path) and viewport.displayed_index is not None,
                    timeout=10000)
    return viewport
