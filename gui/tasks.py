"""Long work off the GUI thread: a QRunnable with progress, cancel, and results sent back as signals.

A task function receives ``(progress, cancel)``: ``progress(done, total, text)`` reports, and
``cancel`` is a ``threading.Event`` it checks between steps. Results, progress and errors arrive on
the GUI thread through queued signals. ``TaskRunner`` keeps the tasks alive, shows what is running
and cancels them all on request (the status-bar Cancel button) or when the window closes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
TaskFn = Callable[[Progress, threading.Event], Any]


class _TaskSignals(QObject):
    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(object)
    done = Signal()


class Task(QRunnable):
    """One background job; connect to ``signals`` before starting it."""

    def __init__(self, name: str, fn: TaskFn) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.name = name
        self.fn = fn
        self.cancel = threading.Event()
        self.signals = _TaskSignals()

    def run(self) -> None:
        try:
            result = self.fn(self._report, self.cancel)
        except Exception as exc:  # noqa: BLE001 - sent to the GUI as a notice
            log.debug("task %s failed", self.name, exc_info=True)
            if not self.cancel.is_set():
                self.signals.failed.emit(exc)
        else:
            if not self.cancel.is_set():
                self.signals.finished.emit(result)
        finally:
            self.signals.done.emit()

    def _report(self, done: int, total: int, text: str = "") -> None:
        self.signals.progress.emit(int(done), int(total), str(text))


class TaskRunner(QObject):
    """Starts tasks on a thread pool and tracks the ones still running."""

    changed = Signal()                  # a task started or ended
    progress = Signal(str, int, int, str)  # task name, done, total, text

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self.running: list[Task] = []

    def start(self, name: str, fn: TaskFn, on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[BaseException], None] | None = None) -> Task:
        task = Task(name, fn)
        if on_done is not None:
            task.signals.finished.connect(on_done)
        if on_error is not None:
            task.signals.failed.connect(on_error)
        task.signals.progress.connect(lambda d, t, s, n=name: self.progress.emit(n, d, t, s))
        task.signals.done.connect(lambda t=task: self._forget(t))
        self.running.append(task)
        self.changed.emit()
        self.pool.start(task)
        return task

    def _forget(self, task: Task) -> None:
        if task in self.running:
            self.running.remove(task)
            self.changed.emit()

    def cancel_all(self) -> None:
        for task in self.running:
            task.cancel.set()

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the pool is idle (for the screenshot command and shutdown)."""
        return self.pool.waitForDone(msecs)
