"""The GUI never changes data by accident: a wheel scrolls a panel, not the unfocused field under the
mouse; a click on a viewport gives it the keys (so Space plays, wherever the focus was before)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from gui.session import Unsaved


def wheel(widget: QWidget, notches: int) -> None:
    """Real wheel event over the centre of ``widget`` (``notches`` < 0 scrolls down), as the mouse
    sends it: to the widget under the cursor, passed on to its parents while nobody accepts it."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, 120 * notches), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def _findings_window(qtbot: Any, window: Any) -> Any:
    """A new, empty case in the window, the residual anatomy panel shown and short enough to scroll."""
    window.session.ask_unsaved = lambda _name: Unsaved.DISCARD
    window.session.new()
    dock = window.case_docks.findings_dock
    dock.show()
    dock.raise_()
    window.resize(1280, 640)
    panel = window.case_docks.findings
    qtbot.waitUntil(lambda: panel.isVisible() and panel.findChild(QScrollArea).verticalScrollBar().maximum() > 10)
    return panel


def test_a_wheel_over_an_unfocused_combo_scrolls_the_panel_and_changes_nothing(qtbot: Any, window: Any) -> None:
    panel = _findings_window(qtbot, window)
    bar = panel.findChild(QScrollArea).verticalScrollBar()
    doc, stack = window.session.document, window.session.undo.stack
    case_before = doc.case.to_json()
    window.browser.setFocus()
    qtbot.waitUntil(window.browser.hasFocus)
    for combo in (panel.rhythm, panel.segment_editor.calcification):
        text = combo.currentText()
        bar.setValue(bar.maximum() // 2)
        start = bar.value()
        wheel(combo, -1)  # one notch down over the combo
        assert combo.currentText() == text and combo.currentIndex() == combo.findText(text)
        assert not combo.hasFocus()
        assert bar.value() > start  # the panel scrolled instead
    assert stack.count() == 0 and not window.session.is_dirty()
    assert doc.case.to_json() == case_before


def test_a_focused_combo_still_steps_with_the_wheel(qtbot: Any, window: Any) -> None:
    """The guard only stops wheels the reader did not aim: a combo box picked first still takes them."""
    panel = _findings_window(qtbot, window)
    combo = panel.rhythm
    assert combo.focusPolicy() == Qt.FocusPolicy.StrongFocus  # a wheel alone never gives it the focus
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    before = combo.currentIndex()
    wheel(combo, -1)
    assert combo.currentIndex() == before + 1
    assert window.session.document.case.study.get("rhythm") == combo.currentText()
    assert window.session.undo.stack.count() == 1


def test_no_field_of_any_panel_takes_the_focus_by_wheel(qtbot: Any, window: Any) -> None:
    """Every combo box and spin box of the window (all panels, docks and toolbars) is guarded."""
    from PySide6.QtWidgets import QAbstractSpinBox, QComboBox

    fields = window.findChildren(QComboBox) + window.findChildren(QAbstractSpinBox)
    assert len(fields) > 10
    assert [f for f in fields if f.focusPolicy() & Qt.FocusPolicy.WheelFocus == Qt.FocusPolicy.WheelFocus] == []


def test_clicking_a_viewport_gives_it_the_keys_so_space_plays(qtbot: Any, demo_window: Any) -> None:
    win = demo_window
    viewport = win.grid.active
    assert viewport.n_frames > 1 and not win.grid.playing()
    viewport.show_frame(5)
    qtbot.waitUntil(lambda: viewport.displayed_index == 5)
    win.browser.setFocus()
    qtbot.waitUntil(win.browser.hasFocus)
    target = viewport.graphics.viewport()
    qtbot.mouseClick(target, Qt.MouseButton.LeftButton, pos=target.rect().center())
    qtbot.waitUntil(lambda: QApplication.focusWidget() is viewport)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert win.grid.playing()
    win.toggle_play()
