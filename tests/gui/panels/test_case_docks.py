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
    toggles = {a.text(): a for a in window.panels_menu.actions()}
    assert toggles["Clip map"].shortcut().toString() == "Ctrl+Shift+M"
    assert toggles["Residual anatomy"].shortcut().toString() == "Ctrl+Shift+A"
    assert window.valve_map_dock.widget() is window.valve_map
    assert window.findings_dock.widget() is window.findings_panel
    assert not window.valve_map.isEnabled()  # no case open yet


@pytest.fixture
def demo_case_window(qtbot: Any, demo_window: Any, demo_study: Any, tmp_path: Path) -> Any:
    """The demo study and its demo case (two clips on A2-P2, a lateral para-clip jet with its VC mark)."""
    from demo.case import write_demo_case

    win = demo_window
    win.resize(1700, 1000)
    win.session.ask_unsaved = lambda name: Unsaved.DISCARD
    win.session.open(write_demo_case(demo_study, tmp_path))
    win.valve_map_dock.show()
    win.valve_map_dock.raise_()
    return win


def test_the_open_case_is_on_the_map_and_a_jet_shows_its_mark(qtbot: Any, demo_case_window: Any,
                                                              demo_study: Any) -> None:
    win = demo_case_window
    view = win.valve_map.view
    assert win.valve_map.isEnabled()
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
    view = win.valve_map.view
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
    win.findings_dock.show()
    win.findings_dock.raise_()
    viewport = win.grid.active
    loop_before, frame_before = viewport.info.sop_instance_uid, viewport.frame_index
    combo = win.findings_panel.segment_editor.calcification
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    segment = win.findings_panel.segment_editor.segment
    QTest.keyClick(combo, Qt.Key.Key_Down)   # the next calcification grade, not the next loop
    QTest.keyClick(combo, Qt.Key.Key_Right)  # nor a frame step
    assert win.session.document.case.leaflets["segments"][segment]["calcification"] == "none"
    assert (viewport.info.sop_instance_uid, viewport.frame_index) == (loop_before, frame_before)
