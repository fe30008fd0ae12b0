"""The clip map and residual anatomy docks in the main window: menu toggles, focus, keys."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from gui.panels.case_docks import attach_document


class FakeSession:
    """Stands in for the window's case session: the panels only call ``push``."""

    def __init__(self, undo: Any) -> None:
        self.push = undo.push


def test_docks_are_in_the_panels_menu_with_shortcuts(window: Any) -> None:
    toggles = {a.text(): a for a in window.panels_menu.actions()}
    assert toggles["Clip map"].shortcut().toString() == "Ctrl+Shift+M"
    assert toggles["Residual anatomy"].shortcut().toString() == "Ctrl+Shift+A"
    assert window.valve_map_dock.widget() is window.valve_map
    assert window.findings_dock.widget() is window.findings_panel
    assert not window.valve_map.isEnabled()  # no case open yet


def test_map_keys_win_over_the_window_shortcuts(qtbot: Any, window: Any, document: Any, undo: Any) -> None:
    window.session = FakeSession(undo)
    attach_document(window, document)
    window.valve_map_dock.show()
    window.valve_map_dock.raise_()
    view = window.valve_map.view
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    QTest.keyClick(view, "D")                   # the map's tool key
    QTest.keyClick(view, Qt.Key.Key_Return)     # place at the cursor (middle of A2)
    assert document.item("devices", "d1")["segment"] == "A2-P2"
    QTest.keyClick(view, Qt.Key.Key_Escape)
    QTest.keyClick(view, Qt.Key.Key_Right)      # selects along the map, not "step forward"
    assert view.selected == "d1"
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert document.items("devices") == []
