"""Measurement tools with real mouse events on the demo loops: marks and values against hand arithmetic,
undo/redo of each, handle drags as one undo step, save → reopen → compare, unsaved-changes guard.

Demo calibration (read from the phantom's region table, demo/phantom.py):
- 2D region 0 of the ME long-axis loop: Δx = 0.025 cm/px, Δy = 0.0225 cm/px (anisotropic on purpose).
- CW strip region 1: Δt = 0.004 s/px, Δv = -1.25 cm/s per px, baseline (Reference Pixel Y0 = 120
  below the region top at row 200) at pixel row 320, i.e. image y = 320.5.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from gui.session import Unsaved
from measurements.marks import MarkType
from planning.case import autosave_path, load_case
from tests.gui.conftest import open_in, wait_frame

DX, DY = 0.025, 0.0225
DT, DV = 0.004, -1.25
BASELINE_Y = 320.5


# --- real mouse events: image coordinates → scene → viewport widget --------------------------------
def _widget_pos(viewport: Any, x: float, y: float) -> QPoint:
    pos = viewport.image_to_widget(x, y)
    return QPoint(round(pos.x()), round(pos.y()))


def _send(viewport: Any, kind: QEvent.Type, at: QPoint, button: Qt.MouseButton, buttons: Qt.MouseButton,
          modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    widget = viewport.graphics.viewport()
    event = QMouseEvent(kind, QPointF(at), QPointF(widget.mapToGlobal(at)), button, buttons, modifiers)
    QApplication.sendEvent(widget, event)


def click(viewport: Any, x: float, y: float, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    at = _widget_pos(viewport, x, y)
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    _send(viewport, QEvent.Type.MouseMove, at, none, none, modifiers)
    _send(viewport, QEvent.Type.MouseButtonPress, at, left, left, modifiers)
    _send(viewport, QEvent.Type.MouseButtonRelease, at, left, none, modifiers)
    QTest.qWait(1)


def drag(viewport: Any, start: tuple[float, float], end: tuple[float, float], steps: int = 8) -> None:
    """Press at ``start``, move in steps, release at ``end`` (image coordinates)."""
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    a, b = _widget_pos(viewport, *start), _widget_pos(viewport, *end)
    _send(viewport, QEvent.Type.MouseMove, a, none, none)
    _send(viewport, QEvent.Type.MouseButtonPress, a, left, left)
    for i in range(1, steps + 1):
        p = QPoint(round(a.x() + (b.x() - a.x()) * i / steps), round(a.y() + (b.y() - a.y()) * i / steps))
        _send(viewport, QEvent.Type.MouseMove, p, none, left)
    _send(viewport, QEvent.Type.MouseButtonRelease, b, left, none)
    QTest.qWait(1)


def at_one_to_one(viewport: Any, centre: tuple[int, int]) -> None:
    """Two screen pixels per image pixel on whole-pixel offsets, so every widget pixel maps to an image
    coordinate on a half-pixel grid: pixel centres (x.5) are hit exactly."""
    rect = viewport.view_box.boundingRect()
    width, height = math.floor(rect.width()) / 2, math.floor(rect.height()) / 2
    left, top = math.floor(centre[0] - width / 2), math.floor(centre[1] - height / 2)
    viewport.view_box.setRange(xRange=(left, left + width), yRange=(top, top + height), padding=0.0)
    viewport._fit_mode = False
    QApplication.processEvents()


def snapped(viewport: Any, x: float, y: float) -> tuple[float, float]:
    """The image coordinate the widget pixel under (x, y) maps back to (checks the 1:1 mapping is exact)."""
    scene = viewport.graphics.mapToScene(_widget_pos(viewport, x, y))
    p = viewport.image_item.mapFromScene(scene)
    return p.x(), p.y()


@pytest.fixture
def annotating(qtbot: Any, demo_window: Any, tmp_path: Path) -> Any:
    """The demo window with a new case; pyqtgraph's mouse-move rate limit off (events come faster than
    a hand moves, and would be dropped as "too close together")."""
    import pyqtgraph as pg

    limit = pg.getConfigOption("mouseRateLimit")
    pg.setConfigOption("mouseRateLimit", 0)
    win = demo_window
    win.resize(1700, 1000)
    win.session.ask_unsaved = lambda name: Unsaved.DISCARD
    win.annotation.new_case()
    yield win
    pg.setConfigOption("mouseRateLimit", limit)


def _long_axis(qtbot: Any, win: Any, demo_study: Any) -> Any:
    viewport = open_in(qtbot, win, demo_study.files["me_long_axis"])
    viewport.show_frame(4)  # frame 5
    wait_frame(qtbot, viewport, 4)
    at_one_to_one(viewport, (250, 300))
    return viewport


def test_caliper_by_mouse_measures_by_hand_arithmetic_and_undoes(qtbot: Any, annotating: Any,
                                                                  demo_study: Any) -> None:
    win = annotating
    viewport = _long_axis(qtbot, win, demo_study)
    assert snapped(viewport, 200.5, 300.5) == pytest.approx((200.5, 300.5), abs=1e-6)
    QTest.keyClick(win, Qt.Key.Key_D)
    win.annotation.label_box.setCurrentText("P2 residual leaflet length")
    drag(viewport, (200.5, 300.5), (260.5, 380.5))
    doc = win.session.document
    (mark,) = doc.marks
    assert mark.type is MarkType.DISTANCE and mark.frame_number == 5 and mark.region == 0
    assert mark.points == ((200.5, 300.5), (260.5, 380.5))
    assert mark.label == "P2 residual leaflet length" and mark.purpose == "posterior_leaflet_length"
    # 60 px × 0.025 cm = 1.5 cm across, 80 px × 0.0225 cm = 1.8 cm down: √(1.5² + 1.8²) = √5.49 cm
    (result,) = doc.results_of(mark.id)
    assert result.quantity == "distance" and result.unit == "cm"
    assert result.value == pytest.approx(math.sqrt(1.5 ** 2 + 1.8 ** 2), rel=1e-9)
    assert win.annotation.overlay().items.keys() == {mark.id}
    assert "2.34 cm" in win.annotation.overlay().labels[mark.id].textItem.toPlainText()
    assert not win.session.undo.is_clean()

    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.marks == () and not win.annotation.overlay().items
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert doc.marks == (mark,) and win.annotation.overlay().items.keys() == {mark.id}

    # one handle drag = one undo step: move the far end 40 px right → 100 px × 0.025 = 2.5 cm across
    QTest.keyClick(win, Qt.Key.Key_Escape)  # back to select/edit
    depth = win.session.undo.stack.count()
    drag(viewport, (260.5, 380.5), (300.5, 380.5))
    moved = doc.mark(mark.id)
    assert moved.points == ((200.5, 300.5), (300.5, 380.5))
    assert win.session.undo.stack.count() == depth + 1
    assert doc.results_of(mark.id)[0].value == pytest.approx(math.sqrt(2.5 ** 2 + 1.8 ** 2), rel=1e-9)
    win.session.undo.stack.undo()
    assert doc.mark(mark.id) == mark
    item = win.annotation.overlay().items[mark.id]
    far = item.mapToParent(item.getHandles()[1].pos())  # the far handle is back where the undo put the mark
    assert (far.x(), far.y()) == (260.5, 380.5)


def test_polygon_by_mouse_and_delete(qtbot: Any, annotating: Any, demo_study: Any) -> None:
    win = annotating
    viewport = _long_axis(qtbot, win, demo_study)
    QTest.keyClick(win, Qt.Key.Key_A)
    win.annotation.label_box.setCurrentText("Lateral orifice")
    corners = [(200.5, 200.5), (300.5, 200.5), (300.5, 260.5), (200.5, 260.5)]
    for x, y in corners:
        click(viewport, x, y)
    click(viewport, 201.5, 201.5)  # a click on the first vertex closes the polygon
    doc = win.session.document
    (mark,) = doc.marks
    assert mark.type is MarkType.AREA and mark.purpose == "orifice"
    assert mark.points == tuple(corners)
    # 100 px × 0.025 cm = 2.5 cm by 60 px × 0.0225 cm = 1.35 cm
    area = next(r for r in doc.results() if r.id == f"{mark.id}.area")
    assert area.unit == "cm2" and area.value == pytest.approx(2.5 * 1.35, rel=1e-9)
    mva = next(r for r in doc.results() if r.quantity == "mva_planimetry")
    assert mva.value == pytest.approx(3.375, rel=1e-9) and mva.source == (mark.id,)
    win.session.undo.stack.undo()
    assert doc.marks == ()
    win.session.undo.stack.redo()
    QTest.keyClick(win, Qt.Key.Key_Escape)  # leave the tool: select and edit
    click(viewport, 250.5, 230.5)  # inside the polygon selects it
    assert win.annotation.overlay().selected == mark.id
    QTest.keyClick(win, Qt.Key.Key_Delete)
    assert doc.marks == ()
    win.session.undo.stack.undo()
    assert doc.marks == (mark,)


def test_a_click_on_an_outline_edge_in_select_mode_changes_nothing(qtbot: Any, annotating: Any,
                                                                    demo_study: Any) -> None:
    """pyqtgraph inserts a vertex on every click on a polygon edge: one stray click in Select mode
    changed the case. A plain click now only selects; Ctrl+click inserts the vertex, one undo step."""
    win = annotating
    viewport = _long_axis(qtbot, win, demo_study)
    QTest.keyClick(win, Qt.Key.Key_A)
    corners = [(200.5, 200.5), (300.5, 200.5), (300.5, 260.5), (200.5, 260.5)]
    for x, y in corners:
        click(viewport, x, y)
    click(viewport, 201.5, 201.5)  # closes the polygon
    doc, stack = win.session.document, win.session.undo.stack
    (mark,) = doc.marks
    QTest.keyClick(win, Qt.Key.Key_Escape)  # Select mode
    depth = stack.count()
    item = win.annotation.overlay().items[mark.id]

    def area() -> float:
        return next(r.value for r in doc.results() if r.id == f"{mark.id}.area")
    # 100 px × 0.025 cm = 2.5 cm by 60 px × 0.0225 cm = 1.35 cm
    assert area() == pytest.approx(2.5 * 1.35, rel=1e-9)
    click(viewport, 250.5, 200.5)  # on the top edge, half-way
    assert doc.marks == (mark,) and stack.count() == depth and len(item.getHandles()) == 4
    assert area() == pytest.approx(2.5 * 1.35, rel=1e-9)
    assert win.annotation.overlay().selected == mark.id  # the click selected the mark

    click(viewport, 250.5, 200.5, Qt.KeyboardModifier.ControlModifier)  # the explicit gesture
    assert doc.mark(mark.id).points == ((200.5, 200.5), (250.5, 200.5), (300.5, 200.5), (300.5, 260.5),
                                        (200.5, 260.5))
    assert stack.count() == depth + 1 and area() == pytest.approx(2.5 * 1.35, rel=1e-9)  # on the edge
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.marks == (mark,)
    assert len(win.annotation.overlay().items[mark.id].getHandles()) == 4


def test_mark_across_regions_is_refused_on_screen(qtbot: Any, annotating: Any, demo_study: Any) -> None:
    win = annotating
    viewport = open_in(qtbot, win, demo_study.files["cw_mv_inflow"])
    at_one_to_one(viewport, (300, 200))
    QTest.keyClick(win, Qt.Key.Key_D)
    # from the 2D inset (rows 10-169) down into the spectral strip (rows 200-579)
    with qtbot.waitSignal(win.session.refused) as refused:
        drag(viewport, (300.5, 150.5), (300.5, 250.5))
    # both ends lie inside a calibrated region (inset region 0, strip region 1): the refusal is
    # "different regions", never "outside every region"
    assert "points lie in different regions (first point in region 0)" in refused.args[0]
    assert win.session.document.marks == ()


def test_trace_by_mouse_gives_hand_computed_doppler_numbers(qtbot: Any, annotating: Any,
                                                             demo_study: Any) -> None:
    win = annotating
    viewport = open_in(qtbot, win, demo_study.files["cw_mv_inflow"])
    at_one_to_one(viewport, (150, 300))
    QTest.keyClick(win, Qt.Key.Key_T)
    assert win.annotation.label_box.currentText() == ""  # a tool never chooses the meaning of a mark
    win.annotation.label_box.setCurrentText("MV inflow CW")
    # a triangle: baseline → 80 px above the baseline → baseline, 50 columns apart
    points = [(100.5, BASELINE_Y), (150.5, BASELINE_Y - 80), (200.5, BASELINE_Y)]
    for x, y in points:
        click(viewport, x, y)
    assert "1.00 m/s" in win.annotation.overlay()._draft_text.textItem.toPlainText()  # live readout
    QTest.keyClick(win, Qt.Key.Key_Return)
    doc = win.session.document
    (mark,) = doc.marks
    assert mark.type is MarkType.DOPPLER_TRACE and mark.region == 1 and mark.purpose == "mv_inflow"
    assert mark.points == tuple(points)
    by_q = {r.quantity: r for r in doc.results_of(mark.id)}
    v_peak = 80 * abs(DV) / 100.0  # 80 px × 1.25 cm/s = 100 cm/s = 1.0 m/s
    duration = 100 * DT  # 100 columns × 0.004 s = 0.4 s
    assert by_q["vmax"].value == pytest.approx(v_peak, rel=1e-9)
    assert by_q["peak_gradient"].value == pytest.approx(4 * v_peak ** 2, rel=1e-9)
    assert by_q["vti"].value == pytest.approx(0.5 * duration * v_peak * 100, rel=1e-9)  # 20 cm
    assert by_q["duration"].value == pytest.approx(duration * 1000, rel=1e-9)
    # v rises and falls linearly: the mean of v² over a triangle is v_peak²/3
    assert by_q["mean_gradient"].value == pytest.approx(4 * v_peak ** 2 / 3, rel=1e-9)
    win.session.undo.stack.undo()
    assert doc.marks == ()
    win.session.undo.stack.redo()
    assert doc.marks == (mark,)


def test_automatic_envelope_over_a_dragged_span(qtbot: Any, annotating: Any, demo_study: Any) -> None:
    win = annotating
    truth = demo_study.truth["cw_mv_inflow"]
    viewport = open_in(qtbot, win, demo_study.files["cw_mv_inflow"])
    region = viewport.regions[1]
    t0, t1 = truth["beats"][0]
    x0, _ = region.to_image(t0 + 0.01, 0.0)
    x1, _ = region.to_image(t1 - 0.01, 0.0)
    at_one_to_one(viewport, (round((x0 + x1) / 2), 400))
    QTest.keyClick(win, Qt.Key.Key_T, Qt.KeyboardModifier.ShiftModifier)
    win.annotation.label_box.setCurrentText("MV inflow CW")
    drag(viewport, (x0, 450.5), (x1, 450.5))
    (mark,) = win.session.document.marks
    assert mark.type is MarkType.DOPPLER_TRACE and mark.purpose == "mv_inflow"
    assert 5 <= len(mark.points) <= 80  # thinned to editable vertices
    vmax = next(r for r in win.session.document.results_of(mark.id) if r.quantity == "vmax")
    true_vmax = max(abs(v) for t, v in truth["envelope"] if t0 <= t <= t1)
    assert vmax.value == pytest.approx(true_vmax, rel=0.05)


def test_save_reopen_compare_and_unsaved_guard(qtbot: Any, annotating: Any, demo_study: Any,
                                               tmp_path: Path) -> None:
    win = annotating
    viewport = _long_axis(qtbot, win, demo_study)
    QTest.keyClick(win, Qt.Key.Key_D)
    drag(viewport, (200.5, 300.5), (260.5, 380.5))
    QTest.keyClick(win, Qt.Key.Key_P)
    click(viewport, 220.5, 250.5)
    doc = win.session.document
    path = tmp_path / "mine.mitraplan.json"
    win.session.ask_save_path = lambda: path
    QTest.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert path.is_file() and win.session.undo.is_clean() and "•" not in win.windowTitle()
    saved = [(m, [r.as_json() for r in doc.results_of(m.id)]) for m in doc.marks]

    reopened = load_case(path)
    assert reopened.marks == list(doc.marks)
    win.open_paths([path])
    qtbot.waitUntil(lambda: win.session.document is not doc and not win.tasks.running, timeout=15000)
    again = win.session.document
    assert [(m, [r.as_json() for r in again.results_of(m.id)]) for m in again.marks] == saved

    # unsaved changes: autosave beside the file, Cancel keeps the window open, Discard closes
    win.annotation.jump_to_mark(saved[0][0].id)
    qtbot.waitUntil(lambda: viewport.frame_number == 5 and saved[0][0].id in win.annotation.overlay().items)
    QTest.keyClick(win, Qt.Key.Key_Delete)
    assert not win.session.undo.is_clean() and "•" in win.windowTitle()
    assert win.session.autosave() == autosave_path(path)
    asked = []
    win.session.ask_unsaved = lambda name: asked.append(name) or Unsaved.CANCEL
    assert not win.close()
    assert asked == ["mine.mitraplan.json"] and win.isVisible()
    win.session.ask_unsaved = lambda name: Unsaved.DISCARD
    assert win.session.close()
    assert not autosave_path(path).exists()  # discarded changes leave no autosave behind


def test_relabel_the_selected_mark_from_the_clinical_list(qtbot: Any, annotating: Any, demo_study: Any) -> None:
    win = annotating
    viewport = _long_axis(qtbot, win, demo_study)
    QTest.keyClick(win, Qt.Key.Key_D)
    drag(viewport, (200.5, 300.5), (260.5, 380.5))
    QTest.keyClick(win, Qt.Key.Key_Escape)
    click(viewport, 230.5, 340.5)  # on the caliper line
    (mark,) = win.session.document.marks
    assert win.annotation.overlay().selected == mark.id
    box = win.annotation.label_box
    assert box.currentText() == mark.label
    assert box.findText("Vena contracta") == -1  # a 2D tissue image offers no colour-flow meaning
    box.setCurrentIndex(box.findText("LVOT diameter"))
    box.activated.emit(box.currentIndex())
    relabelled = win.session.document.mark(mark.id)
    assert relabelled.label == "LVOT diameter" and relabelled.purpose == "lvot_diameter"
    assert relabelled.points == mark.points
    assert win.session.document.results_of(mark.id)[0].quantity == "distance"
    win.session.undo.stack.undo()
    assert win.session.document.mark(mark.id) == mark


def test_freehand_outline_by_mouse(qtbot: Any, annotating: Any, demo_study: Any) -> None:
    """Drag around a 40 × 40 px square: the outline keeps its corners, area = 40·0.025 × 40·0.0225 cm²."""
    win = annotating
    viewport = _long_axis(qtbot, win, demo_study)
    QTest.keyClick(win, Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier)
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    corners = [(200.5, 200.5), (240.5, 200.5), (240.5, 240.5), (200.5, 240.5)]
    _send(viewport, QEvent.Type.MouseMove, _widget_pos(viewport, *corners[0]), none, none)
    _send(viewport, QEvent.Type.MouseButtonPress, _widget_pos(viewport, *corners[0]), left, left)
    for (ax, ay), (bx, by) in itertools.pairwise(corners):
        for i in range(1, 5):  # four steps of 10 px along each side
            _send(viewport, QEvent.Type.MouseMove,
                  _widget_pos(viewport, ax + (bx - ax) * i / 4, ay + (by - ay) * i / 4), none, left)
    _send(viewport, QEvent.Type.MouseButtonRelease, _widget_pos(viewport, *corners[-1]), left, none)
    (mark,) = win.session.document.marks
    assert mark.type is MarkType.AREA
    assert set(corners) <= set(mark.points)
    area = next(r for r in win.session.document.results_of(mark.id) if r.quantity == "area")
    assert area.value == pytest.approx((40 * DX) * (40 * DY), rel=1e-9)


def test_focus_loss_autosaves_a_dirty_case(qtbot: Any, annotating: Any, demo_study: Any, tmp_path: Path) -> None:
    win = annotating
    viewport = _long_axis(qtbot, win, demo_study)
    path = tmp_path / "focus.mitraplan.json"
    assert win.session.save(path)
    QTest.keyClick(win, Qt.Key.Key_P)
    click(viewport, 220.5, 250.5)
    assert not autosave_path(path).exists()
    QApplication.sendEvent(win, QEvent(QEvent.Type.WindowDeactivate))
    assert [m.id for m in load_case(autosave_path(path)).marks] == [m.id for m in win.session.document.marks]


def test_point_marker_click_to_select_and_drag_as_one_step(qtbot: Any, annotating: Any, demo_study: Any) -> None:
    win = annotating
    viewport = _long_axis(qtbot, win, demo_study)
    QTest.keyClick(win, Qt.Key.Key_P)
    win.annotation.label_box.setCurrentText("Clip tip")
    click(viewport, 220.5, 250.5)
    (mark,) = win.session.document.marks
    assert mark.type is MarkType.POINT and mark.points == ((220.5, 250.5),) and mark.label == "Clip tip"
    QTest.keyClick(win, Qt.Key.Key_Escape)
    win.annotation.overlay().select(None)
    click(viewport, 220.5, 250.5)
    assert win.annotation.overlay().selected == mark.id
    depth = win.session.undo.stack.count()
    drag(viewport, (220.5, 250.5), (240.5, 270.5))
    assert win.session.document.mark(mark.id).points == ((240.5, 270.5),)
    assert win.session.undo.stack.count() == depth + 1
    win.session.undo.stack.undo()
    assert win.session.document.mark(mark.id) == mark


def test_escape_during_a_handle_drag_puts_the_mark_back_and_pushes_nothing(qtbot: Any, annotating: Any,
                                                                            demo_study: Any) -> None:
    win = annotating
    viewport = _long_axis(qtbot, win, demo_study)
    QTest.keyClick(win, Qt.Key.Key_D)
    drag(viewport, (200.5, 300.5), (260.5, 380.5))
    QTest.keyClick(win, Qt.Key.Key_Escape)
    (mark,) = win.session.document.marks
    depth = win.session.undo.stack.count()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    start, end = _widget_pos(viewport, 260.5, 380.5), _widget_pos(viewport, 300.5, 380.5)
    _send(viewport, QEvent.Type.MouseMove, start, none, none)
    _send(viewport, QEvent.Type.MouseButtonPress, start, left, left)
    for i in range(1, 5):
        _send(viewport, QEvent.Type.MouseMove, QPoint(start.x() + (end.x() - start.x()) * i // 4, start.y()), none, left)
    from gui.viewer.overlay import item_points
    assert item_points(win.annotation.overlay().items[mark.id]) != mark.points  # the handle is moving
    QTest.keyClick(win, Qt.Key.Key_Escape)
    _send(viewport, QEvent.Type.MouseButtonRelease, end, left, none)
    assert win.session.document.mark(mark.id) == mark
    assert item_points(win.annotation.overlay().items[mark.id]) == mark.points
    assert win.session.undo.stack.count() == depth


def test_a_long_trace_is_shown_view_only_and_no_drag_changes_it(qtbot: Any, annotating: Any,
                                                                 demo_study: Any) -> None:
    """A 601-point trace (an imported or hand-made one) would build 601 handles and 600 edge items in
    pyqtgraph (seconds per showing); it is drawn as one curve: a click selects it, a drag moves nothing."""
    from gui.viewer.overlay import EDITABLE_VERTICES, LongMarkCurve
    from measurements.marks import Mark
    from planning.commands import AddMark

    win = annotating
    viewport = open_in(qtbot, win, demo_study.files["cw_mv_inflow"])
    at_one_to_one(viewport, (250, 300))
    # a triangle over 300 columns (1.2 s), 80 px (1.0 m/s) high at x = 250.5, a point every half column
    xs = [100.5 + 0.5 * i for i in range(601)]
    points = tuple((x, BASELINE_Y - 80 * (1 - abs(x - 250.5) / 150)) for x in xs)
    assert len(points) > EDITABLE_VERTICES
    mark = Mark("long", MarkType.DOPPLER_TRACE, "MV inflow CW", str(viewport.info.sop_instance_uid), 1, 1, points,
                purpose="mv_inflow")
    assert win.session.push(AddMark(mark))
    doc, stack = win.session.document, win.session.undo.stack
    overlay = win.annotation.overlay()
    qtbot.waitUntil(lambda: "long" in overlay.items)
    assert isinstance(overlay.items["long"], LongMarkCurve)
    assert "view only" in overlay.labels["long"].textItem.toPlainText()
    vmax = next(r for r in doc.results_of("long") if r.quantity == "vmax")
    assert vmax.value == pytest.approx(80 * abs(DV) / 100, rel=1e-9)  # 1.0 m/s from the full trace
    QTest.keyClick(win, Qt.Key.Key_Escape)  # Select mode
    depth = stack.count()
    click(viewport, 250.5, BASELINE_Y - 80)  # on the peak
    assert overlay.selected == "long"
    drag(viewport, (175.5, BASELINE_Y - 40), (175.5, BASELINE_Y - 120))  # on the upstroke, upwards
    assert doc.mark("long").points == points and stack.count() == depth
