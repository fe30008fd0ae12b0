"""The window title has one writer: the case name, whether it is saved, and the active loop stay
together when the loop changes or the case is edited ("case • (unsaved) — loop — MitraPlan — TEE review");
and a case file that does not open is named once in its notice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from demo.case import write_demo_case
from gui.session import Unsaved
from gui.viewer.viewport import loop_name
from tests.gui.test_window import key


def test_window_title_parts() -> None:
    from gui.annotate import window_title

    assert window_title("", False, "") == "MitraPlan — TEE review"
    assert window_title("a.mitraplan.json", True, "ME 4C") == "a.mitraplan.json • (unsaved) — ME 4C — MitraPlan — TEE review"
    assert window_title("a.mitraplan.json", False, "") == "a.mitraplan.json — MitraPlan — TEE review"


def test_a_loop_change_keeps_the_case_name_and_its_unsaved_marker(qtbot: Any, window: Any, demo_study: Any,
                                                                 tmp_path: Path) -> None:
    win = window
    case = write_demo_case(demo_study, tmp_path)
    win.session.ask_unsaved = lambda name: Unsaved.DISCARD
    win.open_paths([case])
    qtbot.waitUntil(lambda: win.session.document is not None and win.grid.active.info is not None
                    and not win.tasks.running, timeout=20000)
    first = win.grid.active.info
    assert win.windowTitle() == f"{case.name} — {loop_name(first)} — MitraPlan — TEE review"
    mark = win.session.document.marks[0]
    win.annotation.jump_to_mark(mark.id)
    qtbot.waitUntil(lambda: mark.id in win.annotation.overlay().items, timeout=10000)
    QTest.keyClick(win, Qt.Key.Key_Delete)  # an edit: the case is now unsaved
    assert win.windowTitle().startswith(f"{case.name} • (unsaved) — ")
    before = win.grid.active.info.sop_instance_uid
    key(win, Qt.Key.Key_Down)  # the next loop of the study
    qtbot.waitUntil(lambda: win.grid.active.info.sop_instance_uid != before, timeout=10000)
    assert win.windowTitle() == (f"{case.name} • (unsaved) — {loop_name(win.grid.active.info)}"
                                 " — MitraPlan — TEE review")
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # back to the saved state
    assert "(unsaved)" not in win.windowTitle() and win.windowTitle().startswith(case.name)


def test_a_bad_case_file_is_named_once_in_its_notice(qtbot: Any, window: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.mitraplan.json"
    bad.write_text('{"format": "something else"}', encoding="utf-8")
    window.open_paths([bad])
    qtbot.waitUntil(lambda: any("not a MitraPlan case file" in m for m in window.notice_area.messages()))
    (message,) = [m for m in window.notice_area.messages() if "not a MitraPlan case file" in m]
    assert message.startswith(f"{bad}: not a MitraPlan case file: 'format' is 'something else'")
    assert message.count("bad.mitraplan.json") == 1
    assert window.session.document is None
