"""Fixtures of the findings panels: a case document with two distance marks and known results."""

from __future__ import annotations

from typing import Any

import pytest

from measurements.marks import Mark, MarkType
from measurements.results import Grade, Result
from planning.case import Case

SOP = "1.2.826.0.1.3680043.8.498.1"


def distance(mark_id: str, label: str, purpose: str | None = None) -> Mark:
    return Mark(mark_id, MarkType.DISTANCE, label, SOP, 7, 0, ((10.5, 20.5), (40.5, 20.5)), purpose=purpose)


#: What the document "measures" (the panels only show numbers; these stand in for measure_case).
RESULTS = [
    Result("m_vc", "Lateral para-clip jet vena contracta", "vena_contracta", 0.45, "cm", ("m_vc",)),
    Result("m_p2", "P2 residual leaflet length", "distance", 1.04, "cm", ("m_p2",)),
    Result("m_in1.mg", "MV inflow CW: mean gradient", "mean_gradient", 4.6, "mmHg", ("m_in1",),
           (Grade("MVARC 2017", "no significant MS (< 5 mmHg)", "S5"),), ("HR 92 bpm outside 60–80",)),
    Result("m_in1.hr", "Heart rate", "heart_rate", 92.0, "bpm", ("m_in1", "m_in2")),
    Result("m_plan", "Lateral orifice planimetry", "mva_planimetry", 1.83, "cm2", ("m_plan",)),
]


@pytest.fixture
def case_marks() -> list[Mark]:
    return [distance("m_vc", "Lateral para-clip jet vena contracta", "vena_contracta"),
            distance("m_p2", "P2 residual leaflet length")]


#: The marks RESULTS' stenosis numbers come from: the panel shows the value each quantity's selection
#: quotes, which needs the marks' meaning (an inflow gradient only from an inflow trace).
STENOSIS_MARKS = [
    Mark("m_in1", MarkType.DOPPLER_TRACE, "MV inflow CW", SOP, 1, 1, ((10.5, 300.5), (20.5, 400.5), (30.5, 300.5)),
         purpose="mv_inflow"),
    Mark("m_in2", MarkType.DOPPLER_TRACE, "MV inflow CW", SOP, 1, 1, ((60.5, 300.5), (70.5, 400.5), (80.5, 300.5)),
         purpose="mv_inflow"),
    Mark("m_plan", MarkType.AREA, "Lateral orifice", SOP, 7, 0, ((10.5, 10.5), (40.5, 10.5), (40.5, 40.5)),
         purpose="orifice"),
]


@pytest.fixture
def document(case_marks: list[Mark]) -> Any:
    from planning.document import CaseDocument

    return CaseDocument(Case(marks=[*case_marks, *STENOSIS_MARKS], study={"rhythm": "sinus"}),
                        measure=lambda case: (list(RESULTS), []))


@pytest.fixture
def undo(qtbot: Any, document: Any) -> Any:
    from gui.undo import CaseUndo

    return CaseUndo(document)


def findings_panel(qtbot: Any, document: Any, undo: Any) -> Any:
    """The residual-anatomy panel on ``document``, shown at a size that holds its groups."""
    from gui.panels.findings import FindingsPanel

    return _shown(qtbot, FindingsPanel(), document, undo, (520, 900))


def valve_map_panel(qtbot: Any, document: Any, undo: Any) -> Any:
    """The clip-map panel on ``document``, shown and exposed (its scene has a size)."""
    from gui.panels.valve_map import ValveMapPanel

    widget = _shown(qtbot, ValveMapPanel(), document, undo, (640, 760))
    qtbot.waitExposed(widget)
    return widget


def _shown(qtbot: Any, widget: Any, document: Any, undo: Any, size: tuple[int, int]) -> Any:
    qtbot.addWidget(widget)
    widget.set_document(document, undo.push)
    widget.resize(*size)
    widget.show()
    return widget
