"""Focused fields keep their keys from the window's single-key shortcuts; the viewer still gets them."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("demo.phantom", reason="needs the imaging core")

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QTreeWidget, QTreeWidgetItem

from tests.gui.conftest import wait_frame


def focus(qtbot: Any, win: Any, widget: Any) -> None:
    win.activateWindow()
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget)


def docked(win: Any, widget: Any) -> Any:
    win.add_panel(widget, "Test field", "test-field")
    return widget


def test_focused_combo_box_keeps_down_and_the_loop_stays(qtbot: Any, demo_window: Any) -> None:
    win = demo_window
    loop = win.grid.active.info.path
    combo = docked(win, QComboBox())
    combo.addItems(["trace", "mild", "moderate"])
    focus(qtbot, win, combo)
    QTest.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == "mild"       # the combo moved one option down
    assert win.grid.active.info.path == loop   # and "Next Loop" (↓) did not fire


def test_focused_line_edit_keeps_letters_digits_and_arrows(qtbot: Any, demo_window: Any) -> None:
    win = demo_window
    edit = docked(win, QLineEdit())
    focus(qtbot, win, edit)
    QTest.keyClicks(edit, "P2 4")               # "4" is Layout 2×2, Space is Play
    QTest.keyClick(edit, Qt.Key.Key_Left)      # ← is Step Back
    assert edit.text() == "P2 4"
    assert edit.cursorPosition() == 3
    assert win.grid.active.frame_number == 1
    assert not win.actions_by_name["layout_4"].isChecked()


def test_focused_tree_moves_with_up_and_down(qtbot: Any, demo_window: Any) -> None:
    win = demo_window
    tree = docked(win, QTreeWidget())
    items = [QTreeWidgetItem(tree, [f"loop {n}"]) for n in range(3)]
    tree.setCurrentItem(items[0])
    loop = win.grid.active.info.path
    focus(qtbot, win, tree)
    QTest.keyClick(tree, Qt.Key.Key_Down)
    assert tree.currentItem() is items[1]
    assert win.grid.active.info.path == loop


def test_focused_viewer_still_steps_frames(qtbot: Any, demo_window: Any) -> None:
    win, viewport = demo_window, demo_window.grid.active
    docked(win, QComboBox()).addItems(["a", "b"])
    focus(qtbot, win, viewport)
    QTest.keyClick(viewport, Qt.Key.Key_Right)
    assert viewport.frame_number == 2
    wait_frame(qtbot, viewport, 1)


def test_ctrl_shortcuts_still_fire_from_a_focused_field(qtbot: Any, demo_window: Any) -> None:
    win = demo_window
    edit = docked(win, QLineEdit())
    focus(qtbot, win, edit)
    fired: list[bool] = []
    win.actions_by_name["reset_display"].triggered.connect(lambda: fired.append(True))
    QTest.keyClick(edit, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert fired == [True]


def test_focused_tree_leaves_left_right_and_space_to_the_viewer(qtbot: Any, demo_window: Any) -> None:
    win, viewport = demo_window, demo_window.grid.active
    tree = docked(win, QTreeWidget())
    QTreeWidgetItem(tree, ["loop"])
    focus(qtbot, win, tree)
    QTest.keyClick(tree, Qt.Key.Key_Right)   # after double-clicking a loop, → still steps its frames
    assert viewport.frame_number == 2
    QTest.keyClick(tree, Qt.Key.Key_End)     # and End still jumps to the last frame
    assert viewport.frame_number == viewport.n_frames
