"""The clip map and the residual-anatomy table show a jet's vena contracta and a scallop's length as the
rules use them (``planning.findings.mark_value``): an unlabelled mark's number "unlabelled: not used", a held
one "held: confirm to use", a labelled usable one its value. Marks picked as a user would."""

from __future__ import annotations

from typing import Any

import pytest

from measurements import plausibility
from measurements.results import Result
from planning.case import Case
from planning.document import CaseDocument
from planning.findings import HELD_CONFIRM, UNLABELLED_NOT_USED
from tests.gui.panels.conftest import distance, findings_panel, valve_map_panel
from tests.gui.panels.test_findings import pick, row_of
from tests.gui.panels.test_valve_map import place


def _held(result: Result) -> Result:
    (held,), _ = plausibility.hold([result], ["a test gate"], confirmed=False)
    return held


#: (mark id, its label, its result): usable, unlabelled and held versions of a VC and of a P2 length.
_MARKS = {
    "vc_ok": ("Vena contracta", Result("vc_ok", "Vena contracta", "vena_contracta", 0.45, "cm", ("vc_ok",))),
    "vc_unl": ("", Result("vc_unl", "Unlabelled distance", "distance", 0.45, "cm", ("vc_unl",))),
    "vc_held": ("Vena contracta", _held(Result("vc_held", "Vena contracta", "vena_contracta", 0.45, "cm",
                                               ("vc_held",)))),
    "p2_ok": ("P2 residual leaflet length", Result("p2_ok", "P2", "distance", 1.04, "cm", ("p2_ok",))),
    "p2_unl": ("", Result("p2_unl", "Unlabelled distance", "distance", 1.04, "cm", ("p2_unl",))),
    "p2_held": ("P2 residual leaflet length", _held(Result("p2_held", "P2", "distance", 4.20, "cm", ("p2_held",)))),
}


@pytest.fixture
def document() -> CaseDocument:
    marks = [distance(mid, label) for mid, (label, _r) in _MARKS.items()]
    return CaseDocument(Case(marks=marks), measure=lambda case: ([r for _l, r in _MARKS.values()], []))


@pytest.fixture
def clip_map(qtbot: Any, document: CaseDocument, undo: Any) -> Any:
    return valve_map_panel(qtbot, document, undo)


@pytest.fixture
def anatomy(qtbot: Any, document: CaseDocument, undo: Any) -> Any:
    return findings_panel(qtbot, document, undo)


@pytest.mark.parametrize(("mark_id", "shown"), [("vc_ok", "VC 0.45 cm"), ("vc_unl", f"VC {UNLABELLED_NOT_USED}"),
                                                ("vc_held", f"VC {HELD_CONFIRM}")])
def test_the_clip_map_shows_a_jets_vc_only_when_the_rules_use_it(clip_map: Any, document: CaseDocument,
                                                                 mark_id: str, shown: str) -> None:
    place(clip_map, "J", 0.345)
    pick(clip_map.jet_editor.vc, mark_id)
    assert document.item("jets", "j1")["vena_contracta_mark"] == mark_id
    description = clip_map.view.descriptions["j1"]
    assert description.endswith(shown)
    assert ("0.45 cm" in description) is (mark_id == "vc_ok")


@pytest.mark.parametrize(("mark_id", "shown"), [("p2_ok", "10.4 mm"), ("p2_unl", UNLABELLED_NOT_USED),
                                                ("p2_held", HELD_CONFIRM)])
def test_the_anatomy_table_shows_a_length_only_when_the_rules_use_it(anatomy: Any, document: CaseDocument,
                                                                     mark_id: str, shown: str) -> None:
    row = row_of(anatomy, "P2")
    anatomy.table.setCurrentCell(row, 0)
    pick(anatomy.segment_editor.length, mark_id)
    assert document.case.leaflets["segments"]["P2"] == {"length_mark": mark_id}
    assert anatomy.table.item(row, 1).text() == shown  # 1.04 cm = 10.4 mm as the report prints it
