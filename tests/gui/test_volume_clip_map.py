"""The clip map in 3D, by real mouse clicks in the volume viewer on the 4D TEE phantom
(demo/volume_phantom.py: valve centre c, coaptation line e1, across it e2 (posterior), annulus radius
16 mm, clip half-extents 2.5 mm along e1 and 2.0 mm across, lateral orifice centred 8.5 mm along e1
with semi-axis 5.0 mm): the annulus alignment kept in the case, a device tied to a point clicked on
the en-face view (one undo step, never by an accidental click), untied, drawn on the en-face view and
on the clip map where the volume puts it; residual lengths and inter-clip gaps measured in 3D."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from gui.panels.valve_map import ValveMapPanel
from gui.session import CaseSession, Unsaved
from gui.volume.planes import EN_FACE
from gui.volume.viewer import VolumeViewer
from imaging.volume import Volume
from planning import findings as residual
from planning import model
from planning.case import load_case
from planning.commands import AddDevice, AddJet, SetLeafletField, SetLeafletSegment
from planning.document import MISSING
from planning.vocab import DeviceKind, DeviceModelName, JetLocation, SegmentPair, SpaceKind
from report.clipmap import FROM_VOLUME
from tests.gui.test_volume_viewer import click_mm, en_face_axes, phantom, widget_pos

__all__ = ["phantom"]  # the module fixture of test_volume_viewer

#: a click lands on a whole screen pixel: about 0.1-0.2 mm of these views
CLICK_MM = 0.3


@pytest.fixture
def viewer(qtbot: Any, phantom: dict) -> Any:
    session = CaseSession()
    session.new()
    session.push(AddDevice(model.Device("d1", DeviceKind.MITRACLIP, DeviceModelName.G4_XTW, SegmentPair.A2_P2)))
    session.push(AddJet(model.Jet("j1", JetLocation.PARA_LATERAL, SegmentPair.A2_P2, devices=("d1",))))
    volume = Volume.open(phantom["path"])
    widget = VolumeViewer(volume, session)
    qtbot.addWidget(widget)
    widget.resize(1000, 900)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    volume.close()


def _click_tool(qtbot: Any, viewer: Any, name: str) -> None:
    qtbot.mouseClick(viewer.toolbar.widgetForAction(viewer.tool_actions[name]), Qt.MouseButton.LeftButton)
    assert viewer.tool == name


def _align(qtbot: Any, viewer: Any, phantom: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Align to the valve by three clicks on plane A (anterior annulus, anterolateral, posteromedial
    commissure); returns the valve centre and the en-face right and down directions."""
    centre, right, down = en_face_axes(phantom)
    viewer.show_plane(centre, right, down)
    _click_tool(qtbot, viewer, "annulus")
    for p in (centre - 16 * down, centre - 16 * right, centre + 16 * right):
        click_mm(qtbot, viewer, 0, p)
    QApplication.processEvents()
    return centre, right, down


def _device(viewer: Any) -> model.Device:
    device = viewer.session.document.findings().device("d1")
    assert device is not None
    return device


def test_a_device_is_tied_by_a_click_on_the_en_face_view(qtbot: Any, viewer: Any, phantom: dict,
                                                         tmp_path: Path) -> None:
    stack = viewer.session.undo.stack
    centre, right, down = _align(qtbot, viewer, phantom)
    # the annulus is kept in the case, one undo step, so the clip map's frame is known
    (entry,) = viewer.session.case.extra["volumes"]
    assert entry["sop_instance_uid"] == phantom["sop_instance_uid"]
    assert np.allclose(entry["annulus"]["anterolateral"], centre - 16 * right, atol=CLICK_MM)
    assert "the case keeps this annulus" in viewer.status_text
    # untied items are shown at their schematic place through that annulus, hollow
    view = viewer.views[EN_FACE]
    markers = {m.text: m for m in view.markers}
    assert set(markers) == {"D1", "J1"} and not any(m.tied for m in markers.values())
    assert {m.placed for m in markers.values()} == {"schematic"}
    # "schematic" said once, in the view's legend, not on each label; the labels do not cover each other
    assert view.map_legend.isVisible() and view.map_legend.text() == "dashed: schematic place, not tied to this volume"
    labels = [t for t in view.map_texts if t.isVisible()]
    assert [t.toPlainText() for t in labels] == ["D1", "J1"]
    boxes = [t.mapRectToScene(t.boundingRect()) for t in labels]
    assert not boxes[0].intersects(boxes[1])

    target = centre + 4.0 * right - 2.0 * down  # 4 mm towards the posteromedial side, 2 mm anterior
    viewer.select_item("d1")
    steps = stack.count()
    click_mm(qtbot, viewer, EN_FACE, target)  # navigating: an accidental click ties nothing
    _click_tool(qtbot, viewer, "tie")
    click_mm(qtbot, viewer, 1, viewer.planes.centre)  # another view: nothing tied, said so
    assert "click on the en-face view" in viewer.status_text and viewer.tool == "tie"
    assert _device(viewer).tie is None and stack.count() == steps

    click_mm(qtbot, viewer, EN_FACE, target)
    tie = _device(viewer).tie
    assert tie is not None and tie.sop_instance_uid == phantom["sop_instance_uid"]
    assert np.allclose(tie.position_mm, target, atol=CLICK_MM)
    assert stack.count() == steps + 1 and viewer.tool == "navigate"
    click_mm(qtbot, viewer, EN_FACE, target + 3 * right)  # the tool went back to navigating: no second tie
    assert np.allclose(_device(viewer).tie.position_mm, tie.position_mm)
    # drawn on the en-face view where it is tied, filled
    marker = next(m for m in viewer.views[EN_FACE].markers if m.text == "D1")
    x, y, _ = viewer.planes.plane(EN_FACE).to_image(target)
    assert marker.tied and (marker.x, marker.y) == pytest.approx((x, y), abs=CLICK_MM / viewer.planes.pixel_mm)
    # the clip map's frame, by hand: commissures 32 mm apart, anterior annulus 16 mm from their midpoint c
    assert tie.placed is not None
    assert (tie.placed.t, tie.placed.s) == pytest.approx((0.5 + 4 / 32, 2 / 16), abs=0.015)

    path = tmp_path / "tied.mitraplan.json"
    assert viewer.session.save(path)
    saved = json.loads(path.read_text())
    assert np.allclose(saved["devices"][0]["position_mm"], target, atol=CLICK_MM)
    assert saved["devices"][0]["sop_instance_uid"] == phantom["sop_instance_uid"]
    assert load_case(path).findings().device("d1").tie.placed is not None

    stack.undo()  # one step takes the tie back
    assert _device(viewer).tie is None
    stack.redo()
    qtbot.mouseClick(viewer.untie_button, Qt.MouseButton.LeftButton)
    assert _device(viewer).tie is None and stack.count() == steps + 2
    assert not viewer.untie_button.isEnabled()


def test_a_viewer_opening_on_the_volume_aligns_to_the_saved_annulus(qtbot: Any, viewer: Any, phantom: dict) -> None:
    _, right, down = _align(qtbot, viewer, phantom)
    viewer.reset_planes()
    again = VolumeViewer(viewer.volume, viewer.session)
    qtbot.addWidget(again)
    plane = again.planes.plane(EN_FACE)
    assert again.aligned and float(plane.row_dir @ right) == pytest.approx(1.0, abs=1e-3)
    assert float(plane.col_dir @ down) == pytest.approx(1.0, abs=1e-3)


def test_the_clip_map_panel_draws_a_tied_device_where_the_volume_puts_it(qtbot: Any, viewer: Any,
                                                                          phantom: dict) -> None:
    centre, right, _ = _align(qtbot, viewer, phantom)
    viewer.select_item("d1")
    _click_tool(qtbot, viewer, "tie")
    click_mm(qtbot, viewer, EN_FACE, centre - 8.0 * right)  # 8 mm towards the anterolateral commissure
    panel = ValveMapPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 700)
    panel.show()
    panel.set_document(viewer.session.document, viewer.session.push)
    item = next(i for i in panel.view.items() if i.id == "d1")
    geometry = panel.view.map_geometry()
    expected = geometry.at(0.5 - 8 / 32, 0.0)  # t = 0.25 on the commissures' level
    assert item.placed == FROM_VOLUME
    assert (item.rect.center().x(), item.rect.center().y()) == pytest.approx(
        (expected.x(), expected.y()), abs=0.01 * geometry.valve.width())
    before = _device(viewer)
    start = item.rect.center().toPoint()  # a drag on the map does not move what the volume places
    qtbot.mousePress(panel.view, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(panel.view, start + QPoint(60, 0))
    qtbot.mouseRelease(panel.view, Qt.MouseButton.LeftButton, pos=start + QPoint(60, 0))
    assert _device(viewer) == before
    assert "untie it in the volume viewer" in panel.message.text()
    assert "drawn where the volume puts it (on A1-P1)" in panel.device_editor.tie.text()  # t = 0.25: first third


def test_an_inter_clip_gap_and_a_residual_length_measured_in_3d_reach_the_findings(qtbot: Any, viewer: Any,
                                                                                    phantom: dict) -> None:
    centre, _, _ = _align(qtbot, viewer, phantom)
    e1, e2 = np.asarray(phantom["coaptation_dir"]), np.asarray(phantom["across_dir"])
    _click_tool(qtbot, viewer, "distance")
    offered = {viewer.label_box.itemText(i) for i in range(viewer.label_box.count())}
    assert {"Inter-clip gap", "Space beside device", "P2 residual leaflet length"} <= offered
    assert not offered & {"MV inflow CW", "R-R interval", "LVOT PW"}  # a volume has no Doppler spectrum
    # from the clip's lateral edge (2.5 mm along e1) to the lateral orifice's far end (8.5 + 5.0 mm): 11.0 mm
    viewer.set_label("Inter-clip gap")
    plane_a = viewer.planes.plane(0)
    for p in (centre + 2.5 * e1, centre + 13.5 * e1):
        x, y, off = plane_a.to_image(p)
        assert abs(off) < 1e-6
        qtbot.mouseClick(viewer.views[0].viewport(), Qt.MouseButton.LeftButton, pos=widget_pos(viewer.views[0], x, y))
    # from the clip's posterior edge (2.0 mm along e2) to the posterior annulus (16 mm): 14.0 mm
    viewer.set_label("P2 residual leaflet length")
    for p in (centre + 2.0 * e2, centre + 16.0 * e2):
        x, y, _ = plane_a.to_image(p)
        qtbot.mouseClick(viewer.views[0].viewport(), Qt.MouseButton.LeftButton, pos=widget_pos(viewer.views[0], x, y))
    gap, length = viewer.session.case.marks
    assert gap.is_3d and length.is_3d and length.purpose == "posterior_leaflet_length"
    doc = viewer.session.document
    viewer.session.push(SetLeafletField("spaces", MISSING, [{"kind": SpaceKind.INTER_DEVICE.value,
                                                             "distance_mark": gap.id}]))
    viewer.session.push(SetLeafletSegment("P2", None, {"length_mark": length.id}))
    # each end lands on a whole screen pixel (≈ 0.14 mm of these views): 0.2 mm covers both
    (kind, label, cm), = residual.space_entries(doc.case, doc.results())
    assert (kind, label) == ("inter-device", "Inter-clip gap") and cm == pytest.approx(1.10, abs=0.02)
    p2 = next(s for s in residual.segments(doc.case, doc.results()) if s.segment == "P2")
    assert p2.length_cm == pytest.approx(1.40, abs=0.02)


def test_the_tie_item_follows_the_clip_maps_selection(qtbot: Any, window: Any, tmp_path: Path) -> None:
    from demo.volume_phantom import write_enhanced_volume

    volume = tmp_path / "only.dcm"
    write_enhanced_volume(volume, shape=(16, 20, 24))
    window.open_paths([volume])
    qtbot.waitUntil(lambda: bool(window.volumes.windows), timeout=10000)
    viewer = window.volumes.windows[0].viewer
    window.session.ask_unsaved = lambda name: Unsaved.DISCARD  # the test's case is not kept
    window.session.new()
    window.session.push(AddDevice(model.Device("d1", DeviceKind.MITRACLIP, DeviceModelName.G4_XTW, SegmentPair.A2_P2)))
    assert viewer.item_box.currentData() == ""  # nothing chosen: Tie would tie nothing
    panel = window.case_docks.valve_map
    window.case_docks.valve_map_dock.show()
    window.case_docks.valve_map_dock.raise_()
    qtbot.waitUntil(lambda: panel.view.isVisible() and panel.view.item_rect("d1") is not None)
    rect = panel.view.item_rect("d1")
    qtbot.mouseClick(panel.view, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert panel.view.selected == "d1" and viewer.item_box.currentData() == "d1"
    window.volumes.close_all()


def test_labels_of_items_at_one_place_stack_instead_of_covering_each_other() -> None:
    """Three labels wanted at one screen point: each moves one line block (14 px + 6 px gap) below
    the one before; a label 200 px to the side stays where it is."""
    from gui.viewer.declutter import stacked

    assert stacked([(10, 50, 1), (10, 50, 1), (12, 52, 1), (210, 50, 1)]) == [50, 70, 90, 50]
