"""The volume viewer (gui/volume/): planes, en face, keyboard, wheel, playback and 3D marks by real clicks.

The volume is the synthetic 4D TEE phantom (demo/volume_phantom.py), which imitates an Enhanced US
Volume of a clipped mitral valve: rotated and offset grid, anisotropic voxels (0.6 x 0.5 x 0.8 mm),
two elliptical orifices of analytic area π·a·b (lateral 5.0 x 3.2 mm, medial 4.0 x 2.5 mm fully
open), four time points 40 ms apart.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication

from demo.volume_phantom import write_enhanced_volume
from gui.session import CaseSession
from gui.volume.planes import EN_FACE
from gui.volume.viewer import VolumeViewer
from imaging.volume import Volume
from measurements.compute import measure_all

LATERAL_OPEN_CM2 = math.pi * 5.0 * 3.2 / 100  # 0.5027 cm²


@pytest.fixture(scope="module")
def phantom(tmp_path_factory: pytest.TempPathFactory) -> dict:
    path = tmp_path_factory.mktemp("volume") / "enhanced.dcm"
    return write_enhanced_volume(path) | {"path": path}


@pytest.fixture
def viewer(qtbot: Any, phantom: dict) -> Any:
    session = CaseSession()
    session.new()
    volume = Volume.open(phantom["path"])
    widget = VolumeViewer(volume, session)
    qtbot.addWidget(widget)
    widget.resize(1000, 900)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.set_playing(False)
    volume.close()


def en_face_axes(phantom: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Valve centre, screen right (anterolateral → posteromedial: the phantom's lateral orifice lies at +e1)
    and screen down (posterior; the phantom puts anterior at -e2 so that up × right points to the atrium)."""
    return (np.asarray(phantom["valve_centre_mm"]), -np.asarray(phantom["coaptation_dir"]),
            np.asarray(phantom["across_dir"]))


def widget_pos(view: Any, x: float, y: float) -> QPoint:
    """The widget pixel under image coordinates (x, y) of ``view``."""
    scene = view.image_item.mapToScene(QPointF(x, y))
    return view.mapFromScene(scene)


def click_mm(qtbot: Any, viewer: Any, index: int, point: np.ndarray) -> None:
    view = viewer.views[index]
    x, y, off = viewer.planes.plane(index).to_image(point)
    assert abs(off) < 1e-6  # the point lies on that view's plane
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=widget_pos(view, x, y))


def test_the_viewer_shows_three_planes_and_an_en_face_slab(viewer: Any, phantom: dict) -> None:
    images = [v.image_item.image for v in viewer.views]
    assert all(img is not None and img.shape == (viewer.planes.image_px,) * 2 for img in images)
    centre, right, down = en_face_axes(phantom)
    viewer.show_plane(centre, right, down)
    plane = viewer.planes.plane(0)
    # plane A now lies in the valve: its normal is the valve normal (into the screen = towards the ventricle)
    assert float(plane.normal @ np.asarray(phantom["valve_normal"])) == pytest.approx(-1.0, abs=1e-9)
    # the other planes are perpendicular to it and to each other
    assert np.allclose(viewer.planes.frame @ viewer.planes.frame.T, np.eye(3), atol=1e-9)
    # en face (maximum intensity over a 6 mm slab): tissue (180) around dark orifices (blood 20), the clip 240
    slab = viewer.views[EN_FACE].image_item.image
    orifice = next(o for o in phantom["orifices"] if o["name"] == "lateral")
    ox, oy, _ = plane.to_image(orifice["centre_mm"])
    assert slab[int(oy), int(ox)] < 60
    cx, cy, _ = plane.to_image(centre)
    assert slab[int(cy), int(cx)] > 200  # the clip
    leaflet = plane.to_image(centre + 12.0 * down)  # 12 mm across the line of coaptation: leaflet
    assert 150 < slab[int(leaflet[1]), int(leaflet[0])] < 200


def test_a_planimetry_by_mouse_clicks_gives_the_orifice_area(qtbot: Any, viewer: Any, phantom: dict) -> None:
    centre, right, down = en_face_axes(phantom)
    viewer.show_plane(centre, right, down)
    QApplication.processEvents()
    toolbar_button = viewer.toolbar.widgetForAction(viewer.tool_actions["area"])
    qtbot.mouseClick(toolbar_button, Qt.MouseButton.LeftButton)
    assert viewer.tool == "area"
    viewer.set_label("Lateral orifice")
    orifice = np.asarray(next(o for o in phantom["orifices"] if o["name"] == "lateral")["centre_mm"])
    ox, oy, _ = viewer.planes.plane(0).to_image(orifice)
    half = 8.0 / viewer.planes.pixel_mm  # zoomed to 16 mm around the orifice, as a reader would
    viewer.views[0].view_box.setRange(xRange=(ox - half, ox + half), yRange=(oy - half, oy + half), padding=0)
    QApplication.processEvents()
    e1, e2 = np.asarray(phantom["coaptation_dir"]), np.asarray(phantom["across_dir"])
    n = 24
    for k in range(n):
        t = 2 * math.pi * k / n
        click_mm(qtbot, viewer, 0, orifice + 5.0 * math.cos(t) * e1 + 3.2 * math.sin(t) * e2)
    qtbot.keyClick(viewer.views[0], Qt.Key.Key_Return)
    marks = viewer.session.case.marks
    assert len(marks) == 1
    mark = marks[0]
    assert mark.is_3d and mark.region is None and mark.frame_number == 1 and len(mark.points3d) == n
    assert mark.purpose == "orifice" and mark.sop_instance_uid == phantom["sop_instance_uid"]
    results, errors = measure_all(marks, [], lambda sop: [])
    assert errors == []
    area = next(r for r in results if r.quantity == "area")
    # hand arithmetic: a 24-gon inscribed in the ellipse encloses 24/(2π)·sin(2π/24) = 0.9886 of π·a·b;
    # clicks land on whole screen pixels (≈ 0.04 mm here): 3 % covers both
    assert area.value == pytest.approx(LATERAL_OPEN_CM2, rel=0.03)
    assert "3D MPR planimetry" in area.method
    assert "0.4" in viewer.status_text or "0.5" in viewer.status_text
    # the mark keeps its plane and is drawn on it; it reopens on that plane after the planes moved
    assert float(np.asarray(mark.plane.row_dir) @ right) == pytest.approx(1.0)
    assert viewer.views[0].mark_items[0].isVisible()
    viewer.reset_planes()
    viewer.show_mark(mark)
    assert np.allclose(viewer.planes.plane(0).normal, np.cross(right, down), atol=1e-9)
    assert max(abs(viewer.planes.plane(0).to_image(p)[2]) for p in mark.points3d) < 1e-6


def test_arrows_move_and_shift_arrows_turn_the_planes(qtbot: Any, viewer: Any) -> None:
    view = viewer.views[0]
    view.setFocus()
    before = viewer.planes.centre.copy()
    row_dir = viewer.planes.plane(0).row_dir
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert np.allclose(viewer.planes.centre - before, row_dir * 1.0)  # 1 mm to the right on plane A
    normal_b = viewer.planes.frame[1].copy()
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    turned = math.degrees(math.acos(float(np.clip(viewer.planes.frame[1] @ normal_b, -1, 1))))
    assert turned == pytest.approx(2.0, abs=1e-6)  # plane B turned 2° about plane A's normal
    assert np.allclose(viewer.planes.plane(0).row_dir, row_dir)  # plane A's own picture did not turn


def test_dragging_a_line_moves_its_plane(qtbot: Any, viewer: Any) -> None:
    view = viewer.views[0]
    cx, cy = viewer.planes.centre_in(0)
    line_c = viewer.planes.frame[2].copy()  # plane C: its line on plane A is vertical
    start = widget_pos(view, cx, cy + 10)  # on C's line, 10 image px below the crossing
    end = start + QPoint(40, 0)
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view.viewport(), end)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=end)
    moved = (viewer.planes.centre - viewer.planes.volume_centre) @ line_c
    assert moved == pytest.approx(40 * view.screen_px() * viewer.planes.pixel_mm, rel=0.05)


def test_the_wheel_zooms_only_a_focused_view(qtbot: Any, viewer: Any) -> None:
    view = viewer.views[1]
    viewer.views[0].setFocus()
    before = view.view_box.viewRange()
    qtbot.wait(1)
    _wheel(view, 120)
    assert view.view_box.viewRange() == before
    qtbot.mouseClick(viewer.views[1].viewport(), Qt.MouseButton.RightButton)  # a click gives it the focus
    assert view.hasFocus()
    _wheel(view, 120)
    after = view.view_box.viewRange()
    assert after[0][1] - after[0][0] < before[0][1] - before[0][0]  # zoomed in


def _wheel(view: Any, delta: int) -> None:
    from PySide6.QtGui import QWheelEvent

    at = QPointF(view.viewport().width() / 2, view.viewport().height() / 2)
    event = QWheelEvent(at, QPointF(view.viewport().mapToGlobal(at.toPoint())), QPoint(0, 0), QPoint(0, delta),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)


def test_space_plays_the_time_points_at_the_frame_time(qtbot: Any, viewer: Any, phantom: dict) -> None:
    assert viewer.timer.interval() == 40  # the phantom's 40 ms between volumes
    qtbot.keyClick(viewer.views[0], Qt.Key.Key_Space)
    assert viewer.timer.isActive()
    qtbot.waitUntil(lambda: viewer.time_index >= 2, timeout=3000)
    qtbot.keyClick(viewer.views[0], Qt.Key.Key_Space)
    assert not viewer.timer.isActive()


def test_align_to_valve_from_three_annulus_points(qtbot: Any, viewer: Any, phantom: dict) -> None:
    centre, right, down = en_face_axes(phantom)
    anterior, lateral, medial = centre - 16 * down, centre - 16 * right, centre + 16 * right
    viewer.set_tool("annulus")
    viewer.show_plane(centre, right, down)  # each annulus point lies on plane A: click them there
    for p in (anterior, lateral, medial):
        click_mm(qtbot, viewer, 0, p)
    assert viewer.tool == "navigate" and viewer.aligned
    plane = viewer.planes.plane(EN_FACE)
    assert float(plane.row_dir @ right) == pytest.approx(1.0, abs=1e-3)  # posteromedial on the right
    assert float(plane.col_dir @ down) == pytest.approx(1.0, abs=1e-3)  # anterior (aortic) up
    # seen from the left atrium: into the screen is against the valve normal (which points to the atrium)
    assert float(plane.normal @ np.asarray(phantom["valve_normal"])) == pytest.approx(-1.0, abs=1e-3)
    assert viewer.views[EN_FACE].side_labels["top"].text().startswith("anterior")
    assert viewer.views[1].side_labels["top"].text() == "left atrium"
    assert "from the left atrium" in viewer.titles[EN_FACE].text()
    qtbot.keyClick(viewer.views[1], Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)  # tilts plane A off the valve
    assert not viewer.aligned and viewer.views[EN_FACE].side_labels["top"].text() == ""


def test_without_a_case_a_mark_is_refused_with_the_reason(qtbot: Any, phantom: dict, tmp_path: Path) -> None:
    volume = Volume.open(phantom["path"])
    widget = VolumeViewer(volume, None)
    qtbot.addWidget(widget)
    widget.show()
    widget.set_tool("point")
    view = widget.views[2]
    cx, cy = widget.planes.centre_in(2)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=widget_pos(view, cx + 5, cy))
    assert "no case is open" in widget.status_text
    volume.close()


def test_dragging_a_lines_outer_part_turns_the_other_planes(qtbot: Any, viewer: Any) -> None:
    view = viewer.views[0]
    cx, cy = viewer.planes.centre_in(0)
    half = viewer.planes.image_px / 2
    a_row, a_col = (d.copy() for d in viewer.planes.display[0])
    normal_c = viewer.planes.frame[2].copy()
    start = widget_pos(view, cx, cy + 0.8 * half)  # plane C's line, beyond its handle: turns
    end = start + QPoint(30, 0)
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view.viewport(), end)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=end)
    (x0, y0), (x1, y1) = (view.image_pos(QPointF(p)) for p in (start, end))
    # the angle swept about the crosshair, in plane A's image (y down): from (x0-cx, y0-cy) to (x1-cx, y1-cy)
    swept = math.degrees(math.atan2(y1 - cy, x1 - cx) - math.atan2(y0 - cy, x0 - cx))
    turned = math.degrees(math.acos(float(np.clip(viewer.planes.frame[2] @ normal_c, -1, 1))))
    assert turned == pytest.approx(abs(swept), abs=0.05) and turned > 5
    assert np.allclose(viewer.planes.display[0][0], a_row) and np.allclose(viewer.planes.display[0][1], a_col)


def test_a_distance_by_two_clicks_on_plane_c(qtbot: Any, viewer: Any) -> None:
    qtbot.mouseClick(viewer.toolbar.widgetForAction(viewer.tool_actions["distance"]), Qt.MouseButton.LeftButton)
    viewer.set_label("Anterior leaflet length")
    plane = viewer.planes.plane(2)
    start = viewer.planes.centre
    click_mm(qtbot, viewer, 2, start)
    click_mm(qtbot, viewer, 2, start + 6.0 * plane.row_dir + 8.0 * plane.col_dir)  # 6-8-10: 10 mm
    (mark,) = viewer.session.case.marks
    results, errors = measure_all([mark], [], lambda sop: [])
    # clicks on whole screen pixels (≈ 0.14 mm here) move each end by < 0.1 mm
    assert errors == [] and results[0].value == pytest.approx(1.0, abs=0.02) and results[0].unit == "cm"
    assert np.allclose(mark.plane.row_dir, plane.row_dir) and np.allclose(mark.plane.col_dir, plane.col_dir)


def test_a_philips_cartesian_export_opens_too(qtbot: Any, tmp_path: Path) -> None:
    from demo.volume_phantom import write_cartesian_volume

    truth = write_cartesian_volume(tmp_path / "cart.dcm", shape=(24, 32, 36))  # QLAB export: identity axes
    volume = Volume.open(tmp_path / "cart.dcm")
    widget = VolumeViewer(volume, None)
    qtbot.addWidget(widget)
    centre, right, down = en_face_axes(truth)
    widget.show_plane(centre, right, down)
    slab = widget.views[EN_FACE].image_item.image
    cx, cy, _ = widget.planes.plane(EN_FACE).to_image(centre)
    assert slab[int(cy), int(cx)] > 200  # the clip, en face
    assert widget.timer.interval() == 40  # Frame Time (0018,1063) of the export
    volume.close()
