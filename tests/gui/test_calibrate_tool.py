"""Calibrate… with real mouse and keyboard events on an image whose regions a PACS export dropped
(the demo loop with SequenceOfUltrasoundRegions deleted, tests/measurements/regionless.py).

Hand arithmetic: the calibration line runs 200 px across and is typed as 4 cm, so 0.02 cm per
pixel both ways; a caliper 150 px down is 3.00 cm; a 100 x 50 px polygon is 5000 px² x 0.0004 = 2.00 cm².
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from gui.session import Unsaved
from measurements.calibration import USER_CALIBRATION_WARNING
from measurements.marks import MarkType
from planning.document import MISSING
from tests.gui.conftest import open_in, wait_loaded
from tests.gui.test_annotate import at_one_to_one, click, drag, snapped
from tests.measurements.regionless import write_regionless, write_scanner_calibrated

LINE = ((150.5, 200.5), (350.5, 200.5))  # 200 px
CALIPER = ((160.5, 220.5), (160.5, 370.5))  # 150 px
CORNERS = [(200.5, 250.5), (300.5, 250.5), (300.5, 300.5), (200.5, 300.5)]  # 100 x 50 px


@pytest.fixture
def two_images(qtbot: Any, window: Any, tmp_path: Path) -> Any:
    import pyqtgraph as pg

    folder = tmp_path / "study"
    folder.mkdir()
    write_scanner_calibrated(folder / "IM_SCANNER.dcm")
    write_regionless(folder / "IM_PACS.dcm", folder / "IM_SCANNER.dcm")
    limit = pg.getConfigOption("mouseRateLimit")
    pg.setConfigOption("mouseRateLimit", 0)
    window.resize(1700, 1000)
    window.open_paths([folder])
    wait_loaded(qtbot, window)
    window.session.ask_unsaved = lambda name: Unsaved.DISCARD
    window.annotation.new_case()
    yield window, folder
    pg.setConfigOption("mouseRateLimit", limit)


def _calibrate(qtbot: Any, win: Any, viewport: Any, length: str) -> Any:
    win.actions_by_name["tool_calibrate"].trigger()
    assert snapped(viewport, *LINE[0]) == pytest.approx(LINE[0], abs=1e-6)
    drag(viewport, *LINE)
    dialog = viewport.tool.dialog
    qtbot.waitUntil(dialog.isVisible)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert dialog.length.text() == "" and not ok.isEnabled()  # no length is assumed
    qtbot.keyClicks(dialog.length, length)
    assert ok.isEnabled()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    win.activateWindow()  # the offscreen platform does not hand activation back when a dialog closes
    qtbot.waitUntil(win.isActiveWindow)
    return dialog


def test_calibrate_then_caliper_and_polygon_by_hand_arithmetic(qtbot: Any, two_images: Any) -> None:
    win, folder = two_images
    viewport = open_in(qtbot, win, folder / "IM_PACS.dcm")
    at_one_to_one(viewport, (250, 290))
    doc = win.session.document

    QTest.keyClick(win, Qt.Key.Key_D)
    drag(viewport, *CALIPER)
    assert doc.marks == ()
    refusal = win.notices.history[-1][1]
    assert "Distance on IM_PACS.dcm" in refusal and "Calibrate…" in refusal and "draft" not in refusal
    at_one_to_one(viewport, (250, 290))  # the notice took room from the viewer

    _calibrate(qtbot, win, viewport, "4")
    (cal,) = doc.case.calibrations()
    assert cal.points == LINE and cal.distance_cm == 4.0 and cal.frame_number == 1
    assert cal.scale_cm_per_px() == pytest.approx((0.02, 0.02))

    QTest.keyClick(win, Qt.Key.Key_D)
    win.annotation.label_box.setCurrentText("P2 residual leaflet length")
    drag(viewport, *CALIPER)
    (caliper,) = doc.marks
    assert caliper.calibration == cal.id and caliper.points == CALIPER
    (distance,) = doc.results_of(caliper.id)
    assert distance.value == pytest.approx(3.0, rel=1e-9) and distance.unit == "cm"
    assert USER_CALIBRATION_WARNING in distance.warnings
    assert "3.00 cm" in win.annotation.overlay().labels[caliper.id].textItem.toPlainText()

    QTest.keyClick(win, Qt.Key.Key_A)
    for x, y in CORNERS:
        click(viewport, x, y)
    click(viewport, 201.5, 251.5)  # on the first vertex: closes the polygon
    polygon = doc.marks[1]
    assert polygon.calibration == cal.id and polygon.points == tuple(CORNERS)
    (area,) = doc.results_of(polygon.id)
    assert area.value == pytest.approx(2.0, rel=1e-9) and area.unit == "cm2"
    assert USER_CALIBRATION_WARNING in area.warnings


def test_undo_of_a_calibration(qtbot: Any, two_images: Any) -> None:
    win, folder = two_images
    viewport = open_in(qtbot, win, folder / "IM_PACS.dcm")
    at_one_to_one(viewport, (250, 290))
    doc = win.session.document
    _calibrate(qtbot, win, viewport, "4,0")  # a decimal comma is read as a point
    (cal,) = doc.case.calibrations()
    assert cal.distance_cm == 4.0
    assert win.annotation.overlay()._calibration_items  # the line is drawn, dashed, with its length
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.case.calibrations() == () and doc.field(("calibrations",)) is MISSING
    assert not win.annotation.overlay()._calibration_items
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert doc.case.calibrations() == (cal,)


def test_a_scanner_calibrated_image_refuses_calibrate(qtbot: Any, two_images: Any) -> None:
    win, folder = two_images
    viewport = open_in(qtbot, win, folder / "IM_SCANNER.dcm")
    at_one_to_one(viewport, (250, 290))
    win.actions_by_name["tool_calibrate"].trigger()
    drag(viewport, *LINE)
    assert viewport.tool.dialog is None and win.session.document.case.calibrations() == ()
    refusal = win.notices.history[-1][1]
    assert refusal.startswith("Calibrate on IM_SCANNER.dcm: the scanner has calibrated this part of the image")
    assert "Calibrate…" in win.menus["measure"].actions()[-1].text() or any(
        a.text().startswith("&Calibrate…") for a in win.menus["measure"].actions())


def test_two_lines_give_separate_x_and_y_scales(qtbot: Any, two_images: Any) -> None:
    """Non-square pixels: 200 px across = 4 cm (0.02 cm/px), then 150 px down = 4.5 cm (0.03 cm/px);
    a caliper of 150 px down then reads 4.50 cm, not 3.00."""
    win, folder = two_images
    viewport = open_in(qtbot, win, folder / "IM_PACS.dcm")
    at_one_to_one(viewport, (250, 290))
    doc = win.session.document
    _calibrate(qtbot, win, viewport, "4")
    win.actions_by_name["tool_calibrate"].trigger()
    drag(viewport, *CALIPER)
    dialog = viewport.tool.dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.second.isVisible() and not dialog.second.isChecked()
    qtbot.mouseClick(dialog.second, Qt.MouseButton.LeftButton, pos=dialog.second.rect().center())
    assert dialog.second.isChecked()
    qtbot.keyClicks(dialog.length, "4.5")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    first, both = doc.case.calibrations()
    assert both.points == first.points and both.points_2 == CALIPER and both.distance_2_cm == 4.5
    assert both.scale_cm_per_px() == pytest.approx((0.02, 0.03))
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)
    QTest.keyClick(win, Qt.Key.Key_D)
    drag(viewport, *CALIPER)
    (mark,) = doc.marks
    assert mark.calibration == both.id
    assert doc.results_of(mark.id)[0].value == pytest.approx(4.5, rel=1e-9)


def test_the_refusal_beside_a_drawing_names_the_tool_and_image_and_stays_on_screen(qtbot: Any,
                                                                                   two_images: Any) -> None:
    win, folder = two_images
    viewport = open_in(qtbot, win, folder / "IM_PACS.dcm")
    at_one_to_one(viewport, (250, 290))
    (_left, x1), (y0, y1) = viewport.view_box.viewRange()
    near_right_edge = ((x1 - 60.0, (y0 + y1) / 2), (x1 - 8.0, (y0 + y1) / 2 + 20.0))
    overlay = win.annotation.overlay()
    overlay.show_draft(MarkType.DISTANCE, near_right_edge)  # what the Distance tool shows while dragging
    text_item = overlay._draft_text
    text = text_item.textItem.toPlainText()
    assert text.startswith("Distance on IM_PACS.dcm: the image has no ultrasound region calibration")
    assert "draft" not in text and "Calibrate…" in text
    QApplication.processEvents()
    on_screen = viewport.graphics.mapFromScene(text_item.sceneBoundingRect()).boundingRect()
    assert viewport.graphics.viewport().rect().contains(on_screen)  # wrapped, and left of the point
    overlay.clear_draft()
