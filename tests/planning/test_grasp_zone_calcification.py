"""Redo-TEER calcification criterion by clinical.md §2.7: "Calcification in grasping zone — favourable:
none; conditional: mild, outside grasp zone; annular calcification; unsuitable: severe in grasp zone".
The scallop's own "in the grasp zone" flag decides, not the worst calcification of any scallop."""

from __future__ import annotations

from planning import findings
from planning.assessment import Status, assess
from planning.case import Case
from tests.planning.inputs import case_input

# space 9.0 mm >= 6 mm device + 2 mm margin = 8 mm; posterior leaflet 11 mm >= 10 mm: favourable anatomy (§2.7);
# MG 3.2 mmHg at HR 72 and MVA 4.10 cm² (> 4.0: favourable by §2.7, 3.08 after one more device): no stenosis risk
# (a favoured redo TEER needs both measured; W16's 2.40 cm² is < 3.0, unsuitable by §2.7, at most "possible")
FAVOURABLE = dict(space_cm=0.90, leaflet_cm=1.10, mg=3.2, hr=72, mva=4.10)


def _redo(**calcification) -> tuple[Status, str, list[str]]:
    option = assess(case_input(**FAVOURABLE, **calcification)).options[0]
    assert option.key == "redo_teer"
    return option.status, option.summary, [f.criterion for f in option.against]


def test_no_calcification_leaves_the_anatomy_favourable() -> None:
    assert _redo(grasp_zone_calcification="none", outside_grasp_zone_calcification="none", mac="none") == (
        Status.FAVOURED, "Redo TEER: favoured by findings (space and leaflet favourable)", [])


def test_severe_in_the_grasp_zone_is_unsuitable() -> None:
    status, summary, against = _redo(grasp_zone_calcification="severe")
    assert status is Status.DISFAVOURED and against == ["calcification"]
    assert summary == "Redo TEER: findings argue against (Severe calcification in the grasping zone)"


def test_mild_outside_the_grasp_zone_is_conditional() -> None:
    status, summary, against = _redo(grasp_zone_calcification="none", outside_grasp_zone_calcification="mild")
    assert status is Status.POSSIBLE and against == ["calcification_conditional"]
    assert summary == ("Redo TEER: possible (space and leaflet favourable; "
                       "Mild calcification outside the grasping zone (conditional))")


def test_annular_calcification_is_conditional() -> None:
    status, summary, _ = _redo(mac="moderate")
    assert status is Status.POSSIBLE
    assert summary.endswith("Moderate annular calcification (MAC) (conditional))")


def test_severe_annular_calcification_argues_against_and_moderate_stays_conditional() -> None:
    # clinical.md §4 lists severe MAC among the findings against redo TEER; §2.7 calls milder MAC conditional
    status, summary, against = _redo(grasp_zone_calcification="none", mac="severe")
    assert status is Status.DISFAVOURED and against == ["mac_severe"]
    assert summary == "Redo TEER: findings argue against (Severe mitral annular calcification (MAC))"
    status, _, against = _redo(grasp_zone_calcification="none", mac="moderate")
    assert status is Status.POSSIBLE and against == ["calcification_conditional"]


def test_severe_outside_the_grasp_zone_is_not_a_barrier() -> None:
    status, _, against = _redo(outside_grasp_zone_calcification="severe")
    assert status is Status.POSSIBLE and "calcification" not in against


def _case(p2: dict, p3: dict, **leaflets) -> Case:
    return Case(leaflets={"segments": {"P2": p2, "P3": p3}, **leaflets})


def test_the_case_passes_the_per_scallop_flag() -> None:
    # P3 severe but outside the grasp zone, P2 mild in it: before, "worst of any scallop" gave severe
    inp = findings.assessment_input(_case({"calcification": "mild", "calcification_in_grasp_zone": True},
                                          {"calcification": "severe"}, mac="mild"), [])
    assert (inp.grasp_zone_calcification, inp.outside_grasp_zone_calcification, inp.mac) == ("mild", "severe", "mild")
    inp = findings.assessment_input(_case({"calcification": "none"},
                                          {"calcification": "severe", "calcification_in_grasp_zone": True}), [])
    assert (inp.grasp_zone_calcification, inp.outside_grasp_zone_calcification, inp.mac) == ("severe", "none", None)
