"""Background tasks: results on the GUI thread, cancel, and nothing called after the owner is gone."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, QThread

from gui.tasks import TaskRunner


def test_results_and_progress_arrive_on_the_gui_thread(qtbot: Any) -> None:
    runner = TaskRunner()
    seen: list[Any] = []

    def work(progress: Any, cancel: threading.Event) -> int:
        for i in range(3):
            progress(i + 1, 3, "step")
        return 42

    runner.progress.connect(lambda name, done, total, text: seen.append((name, done, total, text)))
    with qtbot.waitSignal(runner.changed, timeout=5000, check_params_cb=lambda *a: not runner.running):
        runner.start("Work", work, on_done=lambda r: seen.append((r, QThread.currentThread())))
    assert ("Work", 3, 3, "step") in seen
    assert (42, QThread.currentThread()) in seen  # the callback ran on this (the GUI) thread


def test_a_cancelled_task_reports_nothing(qtbot: Any) -> None:
    runner = TaskRunner()
    release = threading.Event()
    results: list[Any] = []
    task = runner.start("Slow", lambda _p, _c: release.wait(5) and "done", on_done=results.append,
                        on_error=results.append)
    runner.cancel_all()
    release.set()
    qtbot.waitUntil(lambda: not runner.running, timeout=5000)
    assert task.cancel.is_set() and results == []


def test_a_task_ending_after_its_owner_is_deleted_calls_nothing(qtbot: Any) -> None:
    owner = QObject()
    runner = TaskRunner(owner)
    release = threading.Event()
    results: list[Any] = []
    runner.start("Orphan", lambda _p, _c: release.wait(5) and "late", on_done=results.append)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _alive(runner), timeout=5000)
    release.set()
    runner.pool.waitForDone(5000)
    qtbot.wait(50)  # deliver the queued signals: pytest-qt fails the test on any exception in a slot
    assert results == []


def _alive(obj: QObject) -> bool:
    try:
        obj.objectName()
    except RuntimeError:
        return False
    return True


def test_progress_is_coalesced_and_the_last_report_always_arrives(qtbot: Any) -> None:
    import time

    from gui.tasks import PROGRESS_INTERVAL_S

    runner = TaskRunner()
    seen: list[int] = []
    spent: list[float] = []

    def work(progress: Any, cancel: threading.Event) -> None:
        start = time.monotonic()
        for i in range(2000):  # one report per file of a 2,000-file folder
            progress(i + 1, 2000, "")
        spent.append(time.monotonic() - start)

    runner.progress.connect(lambda _name, done, _total, _text: seen.append(done))
    runner.start("Index", work)
    qtbot.waitUntil(lambda: not runner.running, timeout=5000)
    qtbot.wait(20)
    assert seen[-1] == 2000
    assert 2 <= len(seen) <= 2 + spent[0] / PROGRESS_INTERVAL_S  # the first, one per interval, the last
