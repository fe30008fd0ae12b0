"""The application: QApplication, dark theme, an excepthook that never exits, and the run loop.

``run_app`` is what ``mitraplan``, ``mitraplan open`` and ``mitraplan demo`` call. With
``screenshot`` it renders the window once (after the study, its loops and thumbnails are loaded),
saves a PNG and returns instead of entering the event loop.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QSettings, Signal
from PySide6.QtWidgets import QApplication

import gui.viewer  # noqa: F401 - pyqtgraph options before any ImageItem exists
from gui.logs import current_log_file
from gui.theme import apply_dark_theme
from imaging.errors import InputError

if TYPE_CHECKING:
    from gui.main_window import MainWindow  # imported when run_app runs: pyqtgraph options come first

log = logging.getLogger(__name__)

GIL_SWITCH_INTERVAL_S = 0.001

#: Every unexpected exception seen by the excepthook (newest last), for the log and tests.
EXCEPTION_LOG: list[tuple[type[BaseException], BaseException]] = []


class ExceptionRelay(QObject):
    """Carries exceptions from the excepthook to whoever shows notices (the main window)."""

    raised = Signal(str)


RELAY: ExceptionRelay | None = None


def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """Log the traceback (stderr and the log file), record it and show a notice naming the file; the app keeps running."""
    EXCEPTION_LOG.append((exc_type, exc))
    log.error("unexpected error:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
    if RELAY is not None:
        RELAY.raised.emit(f"Unexpected error ({exc_type.__name__}): {exc}. The window stays usable;"
                          f" the details are in {current_log_file() or 'the log'}.")


def create_app(argv: Sequence[str] | None = None) -> QApplication:
    """The one QApplication (reused when it exists, e.g. under pytest-qt), themed, with the hook."""
    global RELAY
    app = QApplication.instance() or QApplication(list(argv or sys.argv[:1]))
    QCoreApplication.setOrganizationName("MitraPlan")
    QCoreApplication.setApplicationName("MitraPlan")
    apply_dark_theme(app)
    # Decoder and indexing threads run Python between their C calls; a short GIL switch interval
    # lets the GUI thread paint within ~1 ms instead of waiting up to the default 5 ms for them.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    if RELAY is None:
        RELAY = ExceptionRelay()
    sys.excepthook = excepthook
    return app


def wait_until(predicate: Callable[[], bool], timeout_s: float = 30.0) -> bool:
    """Process events until ``predicate()`` holds or the timeout passes."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.005)
    return True


def run_app(paths: Sequence[str | Path] = (), screenshot: str | Path | None = None,
            frame: int | None = None, layout: int = 1, outlines: bool = False, mark: str | None = None,
            size: tuple[int, int] | None = None) -> int:
    """Open the window on ``paths``; with ``screenshot`` save one PNG of it and return 0."""
    from gui.main_window import MainWindow

    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise InputError("no such file or folder", missing[0])
    app = create_app()
    settings = None
    if screenshot is not None:  # a fresh, throw-away state: the picture must not depend on the user's
        settings = QSettings(str(Path(tempfile.mkdtemp()) / "screenshot.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    assert RELAY is not None
    RELAY.raised.connect(window.notices.error)
    if size is not None:
        window.resize(*size)
    window.show()
    if paths:
        window.open_paths(paths)
    elif screenshot is None:
        window.annotation.offer_crash_recovery()
    if screenshot is None:
        return app.exec()
    return _screenshot(window, Path(screenshot), frame, layout, outlines, mark)


def _show_mark(w: MainWindow, mark_id: str) -> None:
    """Show a case mark (loop, frame, highlight) and select its first row in the measurements panel."""
    doc = w.session.document
    mark = doc.mark(mark_id) if doc is not None else None
    if mark is None:
        raise InputError(f"--mark {mark_id}: no such mark in the open case")
    w.show_mark(mark_id)
    active = w.grid.active
    wait_until(lambda: not w.tasks.running and active.info is not None
               and str(active.info.sop_instance_uid) == mark.sop_instance_uid
               and active.displayed_index == mark.frame_number - 1, 30)
    xs, ys = [p[0] for p in mark.points], [p[1] for p in mark.points]
    if max(max(xs) - min(xs), max(ys) - min(ys)) < 120:  # a small mark: zoom in around it
        active.set_scale(2.0, ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2))
    w.annotation.overlay(active).select(mark_id)
    w.annotation.panel.select_source(mark_id)


def _screenshot(w: MainWindow, path: Path, frame: int | None, layout: int, outlines: bool,
                mark: str | None = None) -> int:
    """Wait for the study to load, set the frame, and save the window as a PNG."""
    wait_until(lambda: not w.tasks.running, 60)
    w.set_layout(layout)
    w.actions_by_name["outlines"].setChecked(outlines)
    w.set_region_outlines(outlines)

    def loaded() -> bool:
        return all(v.displayed_index is not None for v in w.grid.loaded()) and not w.tasks.running
    wait_until(loaded, 60)
    active = w.grid.active
    if frame is not None and active.loop is not None:
        if not 1 <= frame <= active.n_frames:
            raise InputError(f"--frame {frame} is outside 1..{active.n_frames}", active.info.path)
        active.show_frame(frame - 1)
        wait_until(lambda: active.displayed_index == frame - 1 and all(
            v.displayed_index is not None for v in w.grid.loaded()), 30)
    if mark is not None:
        _show_mark(w, mark)
    wait_until(lambda: False, 0.3)  # let the layout settle
    path.parent.mkdir(parents=True, exist_ok=True)
    w.save_screenshot(path)
    print(path)
    w.close()
    return 0
