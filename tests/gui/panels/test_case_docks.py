"""The clip map and residual anatomy docks in the main window: menu toggles, the open case, the
viewer jumping to a jet's vena contracta mark, and the map's keys winning over the window's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from gui.session import Unsaved


def test_docks_are_in_the_panels_menu_with_shortcuts(window: Any) -> None:
    entries = {a.text(): a for a in window.panels_menu.actions()}
    assert entries["Clip map"].isCheckable() and entries["Residual anatomy"].isCheckable()  # the toggles
    assert entries["Show Clip map"].shortcut().toString() == "Ctrl+Shift+M"
    assert entries["Show Residual anatomy"].shortcut().toString() == "Ctrl+Shift+A"
    assert window.case_docks.valve_map_dock.widget() is window.case_docks.valve_map
    assert window.case_docks.findings_dock.widget() is window.case_docks.findings
    assert not window.case_docks.valve_map.isEnabled()  # no case open yet


@pytest.fixture
def demo_case_window(qtbot: Any, demo_window: Any, demo_study: Any, tmp_path: Path) -> Any:
    """The demo study and its demo case (two clips on A2-P2, a lateral para-clip jet with its VC mark)."""
    from demo.case import write_demo_case

    win = demo_window
    win.resize(1700, 1000)
    win.session.ask_unsaved = lambda name: Unsaved.DISCARD
    win.session.open(write_demo_case(demo_study, tmp_path))
    win.case_docks.valve_map_dock.show()
    win.case_docks.valve_map_dock.raise_()
    return win


def test_the_open_case_is_on_the_map_and_a_jet_shows_its_mark(qtbot: Any, demo_case_window: Any,
                                                              demo_study: Any) -> None:
    win = demo_case_window
    view = win.case_docks.valve_map.view
    assert win.case_docks.valve_map.isEnabled()
    assert [(d.id, d.segment, d.position) for d in view.devices] == [("d1", "A2-P2", "medial"),
                                                                       ("d2", "A2-P2", "lateral")]
    assert [(j.id, j.location) for j in view.jets] == [("j1", "para-clip lateral")]
    assert "VC 0.50 cm" in view.descriptions["j1"]  # recomputed from the demo's VC mark
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     view.item_rect("j1").center().toPoint())
    viewport = win.grid.active
    colour = demo_study.truth["color_flow"]
    systole = colour["systolic_frames"][len(colour["systolic_frames"]) // 2]  # the VC mark's frame, 0-based
    qtbot.waitUntil(lambda: viewport.info is not None and Path(viewport.info.path) == demo_study.files["color_flow"]
                    and viewport.frame_index == systole and "m_vc" in win.annotation.overlay().items,
                    timeout=15000)
    assert win.annotation.overlay().selected == "m_vc"


def test_map_keys_win_over_the_window_shortcuts(qtbot: Any, demo_case_window: Any) -> None:
    win = demo_case_window
    doc = win.session.document
    view = win.case_docks.valve_map.view
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    QTest.keyClick(view, "D")                   # the map's device tool, not the window's distance tool
    for _ in range(10):
        QTest.keyClick(view, Qt.Key.Key_Right)  # the cursor, not "step forward"
    QTest.keyClick(view, Qt.Key.Key_Return)     # place, not "finish drawing"
    assert doc.item("devices", "d3")["segment"] == "A3-P3"
    QTest.keyClick(view, Qt.Key.Key_Delete)     # the selected device, not the selected mark
    assert doc.item("devices", "d3") is None and len(doc.marks) > 0
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # Edit → Undo of the window
    assert doc.item("devices", "d3") is not None


def test_arrows_in_a_findings_field_stay_in_the_field(qtbot: Any, demo_case_window: Any) -> None:
    win = demo_case_window
    win.case_docks.findings_dock.show()
    win.case_docks.findings_dock.raise_()
    viewport = win.grid.active
    loop_before, frame_before = viewport.info.sop_instance_uid, viewport.frame_index
    combo = win.case_docks.findings.segment_editor.calcification
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    segment = win.case_docks.findings.segment_editor.segment
    QTest.keyClick(combo, Qt.Key.Key_Down)   # the next calcification grade, not the next loop
    QTest.keyClick(combo, Qt.Key.Key_Right)  # nor a frame step
    assert win.session.document.case.leaflets["segments"][segment]["calcification"] == "none"
    assert (viewport.info.sop_instance_uid, viewport.frame_index) == (loop_before, frame_before)


def _on_screen(dock: Any) -> bool:
    """The reader sees the dock: not closed and not a tab behind another (Qt moves those off-screen)."""
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


@pytest.mark.parametrize(("key", "dock", "other"), [(Qt.Key.Key_M, "valve_map_dock", "findings_dock"),
                                                    (Qt.Key.Key_A, "findings_dock", "valve_map_dock")])
def test_a_panel_shortcut_shows_and_raises_its_dock_never_hides_it(qtbot: Any, window: Any, key: Any,
                                                                    dock: str, other: str) -> None:
    """Ctrl+Shift+M / Ctrl+Shift+A used to toggle the dock: pressed while the panel was the tab behind
    the other one, it closed the panel the reader asked for. Now it shows and raises it, every time,
    also when the dock was closed."""
    docks = window.case_docks
    target, behind = getattr(docks, dock), getattr(docks, other)
    shortcut = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    behind.raise_()
    qtbot.waitUntil(lambda: _on_screen(behind) and not _on_screen(target))  # the target is the hidden tab
    for _press in range(2):  # twice: a second press must not hide it again
        QTest.keyClick(window, key, shortcut)
        qtbot.waitUntil(lambda: _on_screen(target) and not _on_screen(behind))
    target.close()
    QTest.keyClick(window, key, shortcut)
    qtbot.waitUntil(lambda: _on_screen(target))
