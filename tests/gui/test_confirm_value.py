"""A value a plausibility gate holds (docs/clinical-criteria.md §8.1) is shown with its warning and no
grade in the measurements panel and the viewer, until the user clicks Confirm value; undo holds it again.

The trace imitates the commonest mix-up on a CW strip: a mitral inflow trace drawn on the flow
towards the transducer (above the baseline of the demo strip), i.e. on the MR side.
Demo CW strip (demo/phantom.py): Δt = 0.004 s/px, Δv = -1.25 cm/s per px, baseline at image y = 320.5.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from gui.panels.measurements import GRADE_COLUMN, HELD_GRADE, WARNINGS_COLUMN
from gui.viewer.overlay import CONFIRMED_NOTE, HELD_NOTE
from tests.gui.conftest import open_in
from tests.gui.test_annotate import BASELINE_Y, annotating, at_one_to_one, click  # noqa: F401 - fixture

# 80 px above the baseline × 1.25 cm/s = 1.0 m/s peak towards the transducer, a 0.4 s triangle:
# mean gradient 4 · 1.0² / 3 = 1.33 mmHg, graded by the headline scheme MVARC "no significant MS"
# (MG < 5 mmHg, docs/clinical-criteria.md §2.6) once confirmed
MG_HAND = 4 * 1.0 ** 2 / 3


def _mean_gradient_row(panel: Any) -> int:
    return next(r for r, res in enumerate(panel.model.results) if res.quantity == "mean_gradient")


def _cell(panel: Any, row: int, col: int) -> str:
    return str(panel.model.index(row, col).data())


def test_held_inflow_trace_is_confirmed_by_a_click_and_undo_holds_it_again(qtbot: Any, annotating: Any,  # noqa: F811
                                                                           demo_study: Any) -> None:
    win = annotating
    viewport = open_in(qtbot, win, demo_study.files["cw_mv_inflow"])
    at_one_to_one(viewport, (150, 300))
    QTest.keyClick(win, Qt.Key.Key_T)
    win.annotation.label_box.setCurrentText("MV inflow CW")  # what the trace measures: mitral inflow
    for x, y in [(100.5, BASELINE_Y), (150.5, BASELINE_Y - 80), (200.5, BASELINE_Y)]:
        click(viewport, x, y)
    QTest.keyClick(win, Qt.Key.Key_Return)
    (mark,) = win.session.document.marks
    assert mark.purpose == "mv_inflow" and not mark.confirmed
    panel = win.annotation.panel
    row = _mean_gradient_row(panel)
    assert panel.model.results[row].value == pytest.approx(MG_HAND, rel=1e-9)
    assert _cell(panel, row, GRADE_COLUMN) == HELD_GRADE
    assert "flows towards the transducer" in _cell(panel, row, WARNINGS_COLUMN)
    assert HELD_NOTE in win.annotation.overlay().labels[mark.id].textItem.toPlainText()
    assert panel.confirm_button.isEnabled()  # the new mark is selected in the viewer, so its row too

    QTest.keyClick(win, Qt.Key.Key_Escape)  # leave the trace tool
    QTest.keyClick(win, Qt.Key.Key_Escape)  # clear the selection
    assert not panel.confirm_button.isEnabled() and not panel.gate_note.isVisible()
    rect = panel.table.visualRect(panel.model.index(row, 0))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.gate_note.isVisible() and "flows towards the transducer" in panel.gate_note.text()
    assert panel.confirm_button.isEnabled() and not panel.unconfirm_button.isEnabled()
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)

    doc = win.session.document
    assert doc.mark(mark.id).confirmed
    row = _mean_gradient_row(panel)
    assert _cell(panel, row, GRADE_COLUMN) .startswith("no significant MS (MG <5 mmHg)")
    assert "flows towards the transducer" in _cell(panel, row, WARNINGS_COLUMN)  # the warning stays
    assert "confirmed by the user" in _cell(panel, row, WARNINGS_COLUMN)
    assert CONFIRMED_NOTE in win.annotation.overlay().labels[mark.id].textItem.toPlainText()
    assert panel.unconfirm_button.isEnabled() and not panel.confirm_button.isEnabled()
    assert win.session.undo.stack.undoText() == "Confirm value of Doppler trace 'MV inflow CW'"

    qtbot.mouseClick(panel.unconfirm_button, Qt.MouseButton.LeftButton)  # held again: no grade
    assert not doc.mark(mark.id).confirmed
    assert _cell(panel, _mean_gradient_row(panel), GRADE_COLUMN) == HELD_GRADE
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the unconfirm
    assert doc.mark(mark.id).confirmed
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the confirm
    assert not doc.mark(mark.id).confirmed
    assert _cell(panel, _mean_gradient_row(panel), GRADE_COLUMN) == HELD_GRADE
    assert HELD_NOTE in win.annotation.overlay().labels[mark.id].textItem.toPlainText()
    assert doc.marks == (mark,)  # confirming never touched the points


def test_moving_a_confirmed_trace_holds_it_again(qtbot: Any, annotating: Any, demo_study: Any) -> None:  # noqa: F811
    """The user confirmed the value of the old points; a handle drag gives a new value, held again."""
    from tests.gui.test_annotate import drag

    win = annotating
    viewport = open_in(qtbot, win, demo_study.files["cw_mv_inflow"])
    at_one_to_one(viewport, (150, 300))
    QTest.keyClick(win, Qt.Key.Key_T)
    win.annotation.label_box.setCurrentText("MV inflow CW")  # what the trace measures: mitral inflow
    for x, y in [(100.5, BASELINE_Y), (150.5, BASELINE_Y - 80), (200.5, BASELINE_Y)]:
        click(viewport, x, y)
    QTest.keyClick(win, Qt.Key.Key_Return)
    (mark,) = win.session.document.marks
    panel = win.annotation.panel
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)  # the new mark's row is selected
    assert win.session.document.mark(mark.id).confirmed
    QTest.keyClick(win, Qt.Key.Key_Escape)
    drag(viewport, (150.5, BASELINE_Y - 80), (150.5, BASELINE_Y - 96))  # peak 96 px: 1.2 m/s
    moved = win.session.document.mark(mark.id)
    assert moved.points[1] == (150.5, BASELINE_Y - 96) and not moved.confirmed
    assert _cell(panel, _mean_gradient_row(panel), GRADE_COLUMN) == HELD_GRADE


def test_an_incomplete_sum_of_orifices_is_confirmed_from_its_row(qtbot: Any, annotating: Any,  # noqa: F811
                                                                 demo_study: Any) -> None:
    """Two prior devices side by side leave up to three orifices; one measured orifice is an
    incomplete sum, held until the user confirms it (a "planimetry" calculation with "confirmed")."""
    from planning.commands import AddDevice
    from tests.gui.test_annotate import _long_axis

    win = annotating
    for device_id, segment in (("d1", "A2-P2"), ("d2", "A1-P1")):
        assert win.session.push(AddDevice({"id": device_id, "kind": "MitraClip", "model": "G4 XTW",
                                           "segment": segment}))
    viewport = _long_axis(qtbot, win, demo_study)
    QTest.keyClick(win, Qt.Key.Key_A)
    win.annotation.label_box.setCurrentText("Lateral orifice")
    for x, y in [(200.5, 200.5), (300.5, 200.5), (300.5, 260.5), (200.5, 260.5), (201.5, 201.5)]:
        click(viewport, x, y)
    QTest.keyClick(win, Qt.Key.Key_Escape)
    QTest.keyClick(win, Qt.Key.Key_Escape)
    panel, doc = win.annotation.panel, win.session.document
    row = next(r for r, res in enumerate(panel.model.results) if res.quantity == "mva_planimetry")
    # 100 px × 0.025 cm by 60 px × 0.0225 cm = 3.375 cm², the only one of 3 expected orifices
    assert panel.model.results[row].value == pytest.approx(2.5 * 1.35, rel=1e-9)
    assert _cell(panel, row, GRADE_COLUMN) == HELD_GRADE
    assert "1 of 3 expected orifices" in _cell(panel, row, WARNINGS_COLUMN)
    rect = panel.table.visualRect(panel.model.index(row, 0))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.confirm_button.isEnabled() and "1 of 3 expected orifices" in panel.gate_note.text()
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)
    (calc,) = doc.items("calculations")
    assert calc["type"] == "planimetry" and calc["confirmed"] is True and len(calc["area_marks"]) == 1
    row = next(r for r, res in enumerate(panel.model.results) if res.quantity == "mva_planimetry")
    assert _cell(panel, row, GRADE_COLUMN) not in ("", HELD_GRADE)
    assert "confirmed by the user" in _cell(panel, row, WARNINGS_COLUMN)
    assert panel.unconfirm_button.isEnabled()  # the row stays selected
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.items("calculations") == []
    row = next(r for r, res in enumerate(panel.model.results) if res.quantity == "mva_planimetry")
    assert _cell(panel, row, GRADE_COLUMN) == HELD_GRADE
