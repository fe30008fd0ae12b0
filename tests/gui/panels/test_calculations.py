"""The guided calculations dialog: a new calculation starts on no mark and no ticked area, and Apply
stays off until the user has chosen every mark it needs (a mark means nothing until the user says so)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from measurements.marks import Mark, MarkType
from planning.case import Case

from .conftest import SOP, STENOSIS_MARKS, distance

LEAFLET = distance("m_p2", "P2 residual leaflet length", "leaflet_length")
MR_TRACE = Mark("m_mr", MarkType.DOPPLER_TRACE, "MR jet CW", SOP, 1, 1, ((10.5, 300.5), (20.5, 400.5)),
                purpose="mr_jet")


def choose_mark(qtbot: Any, combo: Any, mark_id: str) -> None:
    """Step a focused mark box down with the arrow key until it shows ``mark_id``, as a user would."""
    qtbot.waitUntil(combo.isVisible)  # a rebuilt form shows its new boxes on the next event loop pass
    combo.window().activateWindow()
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    for _ in range(combo.count()):
        if combo.currentData() == mark_id:
            return
        QTest.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentData() == mark_id, mark_id


@pytest.fixture
def dialog(qtbot: Any) -> Any:
    from gui.panels.calculations import CalculationDialog
    from gui.session import CaseSession

    session = CaseSession()
    session.set_case(Case(marks=[LEAFLET, MR_TRACE, *STENOSIS_MARKS]))
    widget = CalculationDialog(session)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_a_new_pisa_without_a_radius_mark_has_an_empty_radius_box_and_apply_off(qtbot: Any, dialog: Any) -> None:
    dialog.select_new("pisa")
    radius, trace = dialog.inputs["radius_mark"], dialog.inputs["mr_trace_mark"]
    assert radius.currentData() is None and radius.currentText() == "(choose a mark)"
    assert radius.findData("m_p2") > 0  # the leaflet length is offered, not chosen
    assert trace.currentData() is None  # even the one trace whose purpose fits is not chosen for the user
    assert not dialog.apply_button.isEnabled()
    assert "PISA radius, MR jet CW trace — choose the mark" in dialog.result_label.text()
    qtbot.keyClicks(dialog.aliasing, "0.4")
    choose_mark(qtbot, trace, "m_mr")
    assert not dialog.apply_button.isEnabled() and "PISA radius — choose the mark" in dialog.result_label.text()


def test_a_new_sum_of_orifices_starts_with_no_area_ticked(qtbot: Any, dialog: Any) -> None:
    dialog.select_new("planimetry")
    areas = dialog.inputs["area_marks"]
    assert areas.count() == 1 and areas.item(0).checkState() == Qt.CheckState.Unchecked
    assert not dialog.apply_button.isEnabled()
    rect = areas.visualItemRect(areas.item(0))
    qtbot.mouseClick(areas.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    QTest.keyClick(areas, Qt.Key.Key_Space)
    assert areas.item(0).checkState() == Qt.CheckState.Checked
    assert dialog.calculation()["area_marks"] == ["m_plan"]


def test_a_mark_box_with_no_mark_of_its_type_says_to_draw_one(qtbot: Any) -> None:
    from gui.panels.calculations import CalculationDialog
    from gui.session import CaseSession

    session = CaseSession()
    session.set_case(Case(marks=[MR_TRACE]))
    dialog = CalculationDialog(session)
    qtbot.addWidget(dialog)
    dialog.select_new("pisa")
    radius = dialog.inputs["radius_mark"]
    assert (radius.count(), radius.currentData()) == (1, None)
    assert radius.currentText() == "(no mark of this type: draw it first)"
    assert not dialog.apply_button.isEnabled()
