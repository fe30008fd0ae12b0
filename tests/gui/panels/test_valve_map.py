"""The clip map with real mouse clicks: two clips on A2-P2 and a lateral para-clip jet, undo/redo,
drag, delete, the jet's VC mark, and save → reopen → the same map."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from planning.case import load_case
from planning.document import CaseDocument
from tests.gui.panels.conftest import valve_map_panel

# Positions along the coaptation line (0 = AL commissure, 1 = PM); A2 is the middle third.
A2_LATERAL = 0.42   # 1/2 − 0.08: lateral part of A2
A2_MEDIAL = 0.58
# Two clips on A2-P2 sit at 0.43 and 0.57 (1/2 ∓ 0.07); 0.345 is just lateral of the lateral one.
LATERAL_OF_D1 = 0.345


@pytest.fixture
def panel(qtbot: Any, document: CaseDocument, undo: Any) -> Any:
    return valve_map_panel(qtbot, document, undo)


def click(panel: Any, t: float) -> None:
    QTest.mouseClick(panel.view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, panel.view.point_at(t))


def place(panel: Any, key: str, t: float) -> None:
    """Press the tool key on the map, then click at ``t`` on the coaptation line."""
    panel.view.setFocus()
    QTest.keyClick(panel.view, key)
    assert panel.view.tool == {"D": "device", "J": "jet"}[key]
    click(panel, t)


def place_two_clips_and_a_jet(panel: Any) -> None:
    place(panel, "D", A2_LATERAL)
    place(panel, "D", A2_MEDIAL)
    place(panel, "J", LATERAL_OF_D1)


def test_two_clips_and_a_lateral_para_clip_jet_by_clicks(panel: Any, document: CaseDocument) -> None:
    place_two_clips_and_a_jet(panel)
    devices, jets = document.items("devices"), document.items("jets")
    assert [(d["id"], d["kind"], d["model"], d["segment"], d["position"], d["attachment"]) for d in devices] == [
        ("d1", "MitraClip", "G4 XTW", "A2-P2", "lateral", "stable"),
        ("d2", "MitraClip", "G4 XTW", "A2-P2", "medial", "stable")]
    assert jets == [{"id": "j1", "location": "para-clip lateral", "segment": "A2-P2", "devices": ["d1"]}]
    assert panel.view.selected == "j1"  # the new item is selected, its editor shown
    assert panel.editors.currentWidget() is panel.jet_editor


def test_undo_redo_of_each_placement(panel: Any, document: CaseDocument, undo: Any) -> None:
    place_two_clips_and_a_jet(panel)
    stack = undo.stack
    assert stack.count() == 3
    stack.undo()
    assert document.items("jets") == [] and len(panel.view.jets) == 0
    stack.undo()
    assert [d["id"] for d in document.items("devices")] == ["d1"]
    stack.redo()
    stack.redo()
    assert [d["id"] for d in document.items("devices")] == ["d1", "d2"]
    assert document.items("jets")[0]["location"] == "para-clip lateral"
    assert [j.id for j in panel.view.jets] == ["j1"]


def test_editing_the_attachment_and_model_is_one_undo_step_each(qtbot: Any, panel: Any, document: CaseDocument,
                                                               undo: Any) -> None:
    place(panel, "D", A2_LATERAL)
    editor = panel.device_editor
    assert panel.editors.currentWidget() is editor
    editor.attachment.setFocus()
    index = editor.attachment.findText("SLDA posterior")
    editor.attachment.setCurrentIndex(index)
    editor.attachment.activated.emit(index)
    editor.model.setCurrentIndex(editor.model.findText("G4 NTW"))
    editor.model.activated.emit(editor.model.currentIndex())
    assert document.item("devices", "d1")["attachment"] == "SLDA posterior"
    assert document.item("devices", "d1")["model"] == "G4 NTW"
    assert "9 × 6 mm" in editor.size_label.text()  # NTW arms, clinical.md §3.3
    assert undo.stack.count() == 3
    undo.stack.undo()
    assert document.item("devices", "d1")["model"] == "G4 XTW"
    assert editor.model.currentText() == "G4 XTW"  # the editor follows the document


def test_drag_moves_a_clip_to_another_scallop_in_one_step(panel: Any, document: CaseDocument, undo: Any) -> None:
    place(panel, "D", A2_LATERAL)
    start = panel.view.item_rect("d1").center().toPoint()
    end = panel.view.point_at(5 / 6)  # centre of A3
    QTest.mousePress(panel.view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for f in (0.25, 0.5, 0.75, 1.0):
        QTest.mouseMove(panel.view, start + (end - start) * f)
    QTest.mouseRelease(panel.view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    device = document.item("devices", "d1")
    assert (device["segment"], device["position"]) == ("A3-P3", "central")
    assert undo.stack.count() == 2
    undo.stack.undo()
    assert document.item("devices", "d1")["segment"] == "A2-P2"


def test_keyboard_selects_moves_and_deletes(panel: Any, document: CaseDocument, undo: Any) -> None:
    place_two_clips_and_a_jet(panel)
    view = panel.view
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert view.selected == ""
    QTest.keyClick(view, Qt.Key.Key_Right)   # leftmost item along the line: the jet
    assert view.selected == "j1"
    QTest.keyClick(view, Qt.Key.Key_Right)
    assert view.selected == "d1"
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert [d["id"] for d in document.items("devices")] == ["d2"]
    assert "devices" not in document.item("jets", "j1")  # the jet no longer names the deleted clip
    undo.stack.undo()  # one step puts back both
    assert [d["id"] for d in document.items("devices")] == ["d1", "d2"]
    assert document.item("jets", "j1")["devices"] == ["d1"]


def test_keyboard_placement_without_a_mouse(panel: Any, document: CaseDocument) -> None:
    view = panel.view
    view.setFocus()
    QTest.keyClick(view, "D")
    for _ in range(10):  # the cursor starts at the middle; ten steps of 1/30 right = 0.833, centre of A3
        QTest.keyClick(view, Qt.Key.Key_Right)
    QTest.keyClick(view, Qt.Key.Key_Return)
    assert document.item("devices", "d1")["segment"] == "A3-P3"


def test_selecting_a_jet_shows_its_vena_contracta_mark(qtbot: Any, panel: Any, document: CaseDocument) -> None:
    place_two_clips_and_a_jet(panel)
    picker = panel.jet_editor.vc
    index = picker.findData("m_vc")
    assert "0.45 cm" in picker.itemText(index)
    picker.setCurrentIndex(index)
    picker.activated.emit(index)
    assert document.item("jets", "j1")["vena_contracta_mark"] == "m_vc"
    click(panel, 0.02)  # empty space on the line: nothing selected
    assert panel.view.selected == ""
    with qtbot.waitSignal(panel.markActivated) as blocker:
        QTest.mouseClick(panel.view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         panel.view.item_rect("j1").center().toPoint())
    assert blocker.args == ["m_vc"]
    assert "VC 0.45 cm" in panel.view.descriptions["j1"]


def test_save_reopen_shows_the_same_map(qtbot: Any, panel: Any, document: CaseDocument, tmp_path: Any) -> None:
    from gui.panels.valve_map import ValveMapPanel
    from gui.undo import CaseUndo

    place_two_clips_and_a_jet(panel)
    path = document.save(tmp_path / "case.mitraplan.json")
    reopened = CaseDocument(load_case(path), measure=lambda case: ([], []))
    assert reopened.items("devices") == document.items("devices")
    assert reopened.items("jets") == document.items("jets")
    again = ValveMapPanel()
    qtbot.addWidget(again)
    again.set_document(reopened, CaseUndo(reopened).push)
    again.resize(panel.size())
    assert again.view.devices == panel.view.devices and again.view.jets == panel.view.jets
    assert [(i.id, round(i.t, 6)) for i in again.view.items()] == [(i.id, round(i.t, 6)) for i in panel.view.items()]


def test_clicks_outside_the_valve_place_nothing(panel: Any, document: CaseDocument) -> None:
    panel.view.setFocus()
    QTest.keyClick(panel.view, "D")
    QTest.mouseClick(panel.view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(2, 2))
    assert document.items("devices") == []


def test_a_device_links_to_its_image_mark(qtbot: Any, panel: Any, document: CaseDocument) -> None:
    place(panel, "D", A2_LATERAL)
    picker = panel.device_editor.mark
    index = picker.findData("m_p2")
    picker.setCurrentIndex(index)
    picker.activated.emit(index)
    assert document.item("devices", "d1")["image_mark"] == "m_p2"
    QTest.keyClick(panel.view, Qt.Key.Key_Escape)
    with qtbot.waitSignal(panel.markActivated) as blocker:
        QTest.keyClick(panel.view, Qt.Key.Key_Right)  # selecting it from the keyboard shows its mark too
    assert blocker.args == ["m_p2"]
