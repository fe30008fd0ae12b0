"""The residual anatomy panel: per-scallop fields, global leaflet findings, stenosis numbers; every
edit undoable; the report's readers see what was entered."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from planning import findings
from planning.case import load_case
from planning.commands import AddDevice
from planning.document import CaseDocument
from tests.gui.panels.conftest import findings_panel


@pytest.fixture
def panel(qtbot: Any, document: CaseDocument, undo: Any) -> Any:
    return findings_panel(qtbot, document, undo)


def choose(combo: Any, text: str) -> None:
    """Pick an entry of a combo as a user would (keyboard focus, then the activated choice)."""
    index = combo.findText(text)
    assert index >= 0, text
    combo.setFocus()
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def toggle(checkbox: Any) -> None:
    """Tick or untick a check box from the keyboard."""
    checkbox.setFocus()
    QTest.keyClick(checkbox, Qt.Key.Key_Space)


def pick(picker: Any, mark_id: str) -> None:
    index = picker.findData(mark_id)
    picker.setCurrentIndex(index)
    picker.activated.emit(index)


def row_of(panel: Any, segment: str) -> int:
    from gui.panels.findings import SEGMENT_ROWS

    return SEGMENT_ROWS.index(segment)


def test_scallop_length_calcification_and_grasp_zone(panel: Any, document: CaseDocument, undo: Any) -> None:
    panel.table.setCurrentCell(row_of(panel, "P2"), 0)
    editor = panel.segment_editor
    assert editor.segment == "P2"
    pick(editor.length, "m_p2")
    choose(editor.calcification, "moderate")
    toggle(editor.grasp_zone)
    choose(editor.mobility, "restricted IIIb")
    choose(editor.injury, "cleft")
    assert document.case.leaflets["segments"]["P2"] == {
        "length_mark": "m_p2", "calcification": "moderate", "calcification_in_grasp_zone": True,
        "mobility": "restricted IIIb", "injury": "cleft"}
    row = row_of(panel, "P2")
    # in mm as the report prints leaflet lengths: 1.04 cm = 10.4 mm
    assert panel.table.item(row, 1).text() == "10.4 mm"
    assert editor.length.currentText() == "P2 residual leaflet length — 10.4 mm"
    assert panel.table.item(row, 2).text() == "moderate (grasp zone)"
    # what the report reads back
    views = findings.segments(document.case, document.results())
    assert [(v.segment, v.length_cm, v.calcification) for v in views] == [("P2", 1.04, "moderate")]
    assert undo.stack.count() == 5
    for _ in range(5):
        undo.stack.undo()
    assert document.case.leaflets == {}  # no empty object left behind
    assert panel.table.item(row, 1).text() == ""


def test_commissures_have_their_own_rows(panel: Any, document: CaseDocument) -> None:
    panel.table.setCurrentCell(row_of(panel, "PM commissure"), 0)
    choose(panel.segment_editor.calcification, "severe")
    assert document.case.leaflets["segments"]["PM commissure"] == {"calcification": "severe"}


def test_global_findings_and_spaces(panel: Any, document: CaseDocument, undo: Any) -> None:
    toggle(panel.tear)
    choose(panel.mac, "mild")
    pick(panel.spaces["lateral"], "m_p2")
    leaflets = document.case.leaflets
    assert leaflets["tear_or_perforation"] is True and leaflets["mac"] == "mild"
    assert leaflets["spaces"] == [{"kind": "lateral", "label": "Lateral device edge to AL commissure",
                                   "distance_mark": "m_p2"}]
    assert findings.spaces(document.case, document.results()) == [("Lateral device edge to AL commissure", 1.04)]
    undo.stack.undo()
    assert "spaces" not in document.case.leaflets
    undo.stack.undo()
    undo.stack.undo()
    assert document.case.leaflets == {}
    assert not panel.tear.isChecked()


def test_devices_on_a_scallop_are_listed(panel: Any, document: CaseDocument, undo: Any) -> None:
    undo.push(AddDevice({"id": "d1", "kind": "MitraClip", "model": "G4 XTW", "segment": "A2-P2"}))
    assert panel.table.item(row_of(panel, "P2"), 6).text() == "D1"
    assert panel.table.item(row_of(panel, "A2"), 6).text() == "D1"
    assert panel.table.item(row_of(panel, "P3"), 6).text() == ""


def test_stenosis_numbers_with_units_grades_and_rhythm(qtbot: Any, panel: Any, document: CaseDocument,
                                                       undo: Any) -> None:
    table = panel.stenosis
    rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
    # in reading order: gradient, heart rate, areas (clinical.md §3.6), each by its quantity's short name
    # (a mark's long label elided in a narrow dock lost "mean"/"peak"); the mark's label is in the tooltip
    assert list(rows) == ["Mean gradient", "Heart rate", "MVA planimetry"]
    assert table.textElideMode() == Qt.TextElideMode.ElideRight
    mg = rows["Mean gradient"]
    assert table.item(mg, 0).toolTip().startswith("MV inflow CW: mean gradient\n")
    assert table.item(mg, 1).text() == "⚠ 4.6 mmHg"  # a caveat (HR outside 60–80) is flagged
    assert table.item(mg, 2).text() == "no significant MS (< 5 mmHg)"
    assert "HR 92 bpm outside 60–80" in table.item(mg, 1).toolTip()
    assert table.item(rows["Heart rate"], 1).text() == "92 bpm"
    assert table.item(rows["MVA planimetry"], 1).text() == "1.83 cm²"
    with qtbot.waitSignal(panel.markActivated) as blocker:
        table.cellDoubleClicked.emit(mg, 0)
    assert blocker.args == ["m_in1"]
    choose(panel.rhythm, "AF")
    assert document.case.study["rhythm"] == "AF"
    undo.stack.undo()
    assert document.case.study["rhythm"] == "sinus"
    assert panel.rhythm.currentText() == "sinus"


def test_save_reopen_keeps_the_anatomy(panel: Any, document: CaseDocument, tmp_path: Any) -> None:
    pick(panel.segment_editor.length, "m_p2")
    choose(panel.segment_editor.calcification, "mild")
    toggle(panel.tear)
    path = document.save(tmp_path / "case.mitraplan.json")
    assert load_case(path).leaflets == document.case.leaflets == {
        "segments": {"P2": {"length_mark": "m_p2", "calcification": "mild"}}, "tear_or_perforation": True}


def test_the_stenosis_rows_quote_the_one_value_the_report_quotes() -> None:
    # two inflow beats of 4.0 and 5.2 mmHg averaged to 4.6 (the mean of the beats' gradients), and an MR
    # jet's 62.5 mmHg "mean gradient": the panel shows one mean gradient, the average, as the report does
    from gui.panels.findings import stenosis_rows
    from measurements.marks import Mark, MarkType
    from measurements.results import Result
    from planning.case import Case

    from .conftest import RESULTS, SOP, STENOSIS_MARKS

    jet = Mark("m_mr", MarkType.DOPPLER_TRACE, "MR jet CW", SOP, 1, 1, ((10.5, 100.5), (20.5, 50.5)), purpose="mr_jet")
    beats = [Result(f"m_in1.beat{k}.mean_gradient", f"beat {k}", "mean_gradient", v, "mmHg", ("m_in1",), beat=k)
             for k, v in ((1, 4.0), (2, 5.2))]
    mr = Result("m_mr.mean_gradient", "MR jet CW: mean gradient", "mean_gradient", 62.5, "mmHg", ("m_mr",))
    rows = stenosis_rows(Case(marks=[*STENOSIS_MARKS, jet]), [*beats, mr, *RESULTS])
    gradients = [r for name, r in rows if r.quantity == "mean_gradient"]
    assert [r.value for r in gradients] == [4.6] and gradients[0].id == "m_in1.mg"
