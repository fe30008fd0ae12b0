"""The clip map's own keys (S, D, J, Delete) are actions scoped to the map: Help → Keyboard Shortcuts
(F1) lists them, and they still work on the focused map while the window's D (distance caliper) and
Delete (delete mark) keep working elsewhere."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from gui.main_window import ShortcutsDialog
from gui.panels.valve_map import DEVICE, JET, SELECT


def _shortcuts_dialog(qtbot: Any, win: Any) -> ShortcutsDialog:
    QTest.keyClick(win, Qt.Key.Key_F1)
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, ShortcutsDialog) and w.isVisible())
    qtbot.addWidget(dialog)
    return dialog


def test_f1_lists_the_clip_map_keys_and_s_d_j_work_on_the_focused_map(qtbot: Any, window: Any) -> None:
    win = window
    dialog = _shortcuts_dialog(qtbot, win)
    for row in (("Clip map: select", "S"), ("Clip map: device", "D"), ("Clip map: jet", "J"),
                ("Clip map: delete", "Del")):
        assert row in dialog.rows
    dialog.close()

    win.session.new()
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)
    win.actions_by_name["show_clip_map"].trigger()
    view = win.case_docks.valve_map.view
    qtbot.waitUntil(view.isVisible)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=view.caption_rect().center())  # focus, no placing
    qtbot.waitUntil(view.hasFocus)
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_D)
    assert view.tool == DEVICE and win.annotation.tool_name is None  # the map's D, not the caliper
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_J)
    assert view.tool == JET
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_S)
    assert view.tool == SELECT
    assert win.case_docks.valve_map.tool_actions[SELECT].isChecked()

    win.grid.active.setFocus()  # away from the map, D is the window's distance caliper again
    qtbot.waitUntil(lambda: not view.hasFocus())
    QTest.keyClick(win, Qt.Key.Key_D)
    assert win.annotation.tool_name == "distance" and view.tool == SELECT
