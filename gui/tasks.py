"""Long work off the GUI thread: a QRunnable with progress, cancel, and results sent back as signals.

A task function receives ``(progress, cancel)``: ``progress(done, total, text)`` reports, and
``cancel`` is a ``threading.Event`` it checks between steps. Reports are coalesced: at most one
every ``PROGRESS_INTERVAL_S`` reaches the GUI thread (the last one, done == total, always does), so
indexing 2,000 files sends a few dozen signals, not 2,000 (each costs the GUI thread and the GIL).
Results, progress and errors arrive on the GUI thread through queued signals. ``TaskRunner`` keeps
the tasks alive, shows what is running and cancels them all on request (the status-bar Cancel
button) or when the window closes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
TaskFn = Callable[[Progress, threading.Event], Any]

#: Least time between two progress signals of one task (8 per second).
PROGRESS_INTERVAL_S = 0.125


class _TaskSignals(QObject):
    """Signals of one task; each carries the task so the runner's bound slots know which one."""

    progress = Signal(object, int, int, str)
    finished = Signal(object, object)
    failed = Signal(object, object)
    done = Signal(object)


class Task(QRunnable):
    """One background job, started by :class:`TaskRunner`."""

    def __init__(self, name: str, fn: TaskFn, on_done: Callable[[Any], None] | None = None,
                 on_error: Callable[[BaseException], None] | None = None) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.name = name
        self.fn = fn
        self.on_done = on_done
        self.on_error = on_error
        self.cancel = threading.Event()
        self.signals = _TaskSignals()
        self._last_report = float("-inf")

    def run(self) -> None:
        try:
            result = self.fn(self._report, self.cancel)
        except Exception as exc:
            log.debug("task %s failed", self.name, exc_info=True)
            if not self.cancel.is_set():
                self.signals.failed.emit(self, exc)
        else:
            if not self.cancel.is_set():
                self.signals.finished.emit(self, result)
        finally:
            self.signals.done.emit(self)

    def _report(self, done: int, total: int, text: str = "") -> None:
        now = time.monotonic()
        if now - self._last_report >= PROGRESS_INTERVAL_S or done >= total:
            self._last_report = now
            self.signals.progress.emit(self, int(done), int(total), str(text))


class TaskRunner(QObject):
    """Starts tasks on a thread pool and tracks the ones still running.

    Results reach the callbacks through the runner's own slots, so a task that ends after its
    window (and runner) is gone calls nothing.
    """

    changed = Signal()                     # a task started or ended
    progress = Signal(str, int, int, str)  # task name, done, total, text

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self.running: list[Task] = []

    def start(self, name: str, fn: TaskFn, on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[BaseException], None] | None = None) -> Task:
        task = Task(name, fn, on_done, on_error)
        task.signals.progress.connect(self._on_progress)
        task.signals.finished.connect(self._on_finished)
        task.signals.failed.connect(self._on_failed)
        task.signals.done.connect(self._on_done)
        self.running.append(task)
        self.changed.emit()
        self.pool.start(task)
        return task

    def _on_progress(self, task: Task, done: int, total: int, text: str) -> None:
        self.progress.emit(task.name, done, total, text)

    def _on_finished(self, task: Task, result: Any) -> None:
        if task.on_done is not None and not task.cancel.is_set():
            task.on_done(result)

    def _on_failed(self, task: Task, exc: BaseException) -> None:
        if task.on_error is not None and not task.cancel.is_set():
            task.on_error(exc)

    def _on_done(self, task: Task) -> None:
        if task in self.running:
            self.running.remove(task)
            self.changed.emit()

    def cancel_all(self) -> None:
        for task in self.running:
            task.cancel.set()

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the pool is idle (for the screenshot command and shutdown)."""
        return self.pool.waitForDone(msecs)
