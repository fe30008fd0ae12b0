"""The redo-TEER rules at the target jet's site (clinical.md §2.7, §4 rules 2, 3 and 5): the injury recorded per
scallop at the target segment (tear/perforation: the injury barrier; cleft: "Perforation / cleft in grasp zone:
present -> unsuitable"), the space measured at the target jet's site, the CT prompt read literally, the location of
the target pathology (A2/P2 favourable, A1/P1 or A3/P3 conditional) and the planimetered MVA row (< 3.0 cm²
unsuitable, 3.0-4.0 conditional, > 4.0 favourable). Both sides of each boundary; the arithmetic by hand."""

from __future__ import annotations

from typing import Any

import pytest

from planning import findings
from planning.assessment import MISSING_SPACE, Assessment, JetInput, OptionAssessment, Status, assess, target_jet
from planning.case import Case
from planning.vocab import SpaceKind
from tests.planning.inputs import FAVOURABLE_SITE, measured, w16

CENTRAL = JetInput("j1", "para-clip lateral", "A2-P2", "moderate", 0.45)


def option(result: Assessment, key: str) -> OptionAssessment:
    return next(o for o in result.options if o.key == key)


def criteria(option_findings: tuple[Any, ...]) -> list[str]:
    return [f.criterion for f in option_findings]


def favourable(**changes: Any) -> Assessment:
    """Space 9.0 mm ≥ 6 + 2 mm, posterior leaflet 11 mm ≥ 10, MG 3.2 mmHg at HR 72, MVA 4.10 cm² > 4, target jet at
    central A2-P2: every redo-TEER criterion favourable, so one change decides."""
    return assess(w16(**{"leaflet_cm": 1.10, **FAVOURABLE_SITE, **changes}))


def test_the_favourable_baseline_is_favoured() -> None:
    redo = option(favourable(), "redo_teer")
    assert redo.status is Status.FAVOURED
    assert {"target_central", "mva_teer_favourable"} <= set(criteria(redo.favouring))


# --- target jet --------------------------------------------------------------------------------------------------


def test_the_target_is_the_worst_graded_jet_with_a_segment() -> None:
    mild = JetInput("j1", "para-clip lateral", "A1-P1", "mild")
    severe_no_segment = JetInput("j2", "inter-clip", None, "severe")
    severe = JetInput("j3", "para-clip medial", "A3-P3", "severe")
    assert target_jet([mild, severe_no_segment, severe]) == severe  # worst with a segment
    assert target_jet([mild, severe_no_segment]) == mild  # only j1 has a segment
    assert target_jet([severe_no_segment]) == severe_no_segment  # no segment anywhere: the worst jet
    assert target_jet([]) is None


# --- rule 2 and §2.7: injury per scallop at the target -----------------------------------------------------------


@pytest.mark.parametrize(("scallop", "injury", "barrier"), [
    ("P2", "tear", True), ("A2", "perforation", True),  # a scallop of the target's A2-P2
    ("P3", "tear", False), ("A1", "perforation", False),  # elsewhere: not at the target segment
])
def test_a_tear_or_perforation_at_the_target_scallop_is_the_injury_barrier(scallop: str, injury: str,
                                                                           barrier: bool) -> None:
    result = favourable(scallop_injuries={scallop: injury})
    assert result.redo.injury_barrier is barrier
    redo, surgery, elasta = (option(result, k) for k in ("redo_teer", "surgery", "elasta_tmvr"))
    assert (redo.status is Status.DISFAVOURED) is barrier
    assert ("injury" in criteria(redo.against)) is barrier
    assert ("injury" in criteria(surgery.favouring)) is barrier  # §4: leaflet injury counts for surgery
    assert ("injury" in criteria(elasta.favouring)) is barrier  # MR not treatable by TEER
    assert result.ct_recommended is barrier  # rule 5: injury barrier (space and leaflet are OK here)
    if barrier:
        assert redo.summary == (f"Redo TEER: findings argue against (Leaflet injury at the target: {injury} at "
                                f"{scallop} (target jet j1 at A2-P2))")


@pytest.mark.parametrize(("scallop", "unsuitable"), [("P2", True), ("A2", True), ("P1", False)])
def test_a_cleft_in_the_grasping_zone_of_the_target_is_unsuitable(scallop: str, unsuitable: bool) -> None:
    result = favourable(scallop_injuries={scallop: "cleft"})
    redo = option(result, "redo_teer")
    assert (redo.status is Status.DISFAVOURED) is unsuitable
    assert ("cleft" in criteria(redo.against)) is unsuitable
    assert result.redo.injury_barrier is False  # rule 2 names tear, perforation and LLI, not a cleft
    assert "cleft" not in criteria(option(result, "surgery").favouring)
    if unsuitable:
        assert redo.summary == (f"Redo TEER: findings argue against (Cleft at {scallop} in the grasping zone "
                                "(target jet j1 at A2-P2): unsuitable for TEER)")


def test_without_a_target_segment_every_injured_scallop_counts() -> None:
    result = favourable(jets=(), scallop_injuries={"P3": "tear"})
    assert result.redo.injury_barrier is True
    injury = next(f for f in result.redo.findings if f.criterion == "injury")
    assert injury.text == "Leaflet injury at the target: tear at P3 (no target segment recorded: every injured scallop counts)"


def test_none_recorded_is_no_injury() -> None:
    result = favourable(scallop_injuries={"P2": "none"})
    assert result.redo.injury_barrier is False and option(result, "redo_teer").status is Status.FAVOURED


def test_the_case_passes_each_scallops_injury() -> None:
    case = Case(leaflets={"segments": {"P2": {"injury": "tear"}, "A2": {"injury": "none"}, "P3": {"injury": "cleft"}}},
                jets=[{"id": "j1", "location": "para-clip lateral", "segment": "A2-P2", "grade": "moderate"}])
    inp = findings.assessment_input(case, [])
    assert inp.scallop_injuries == {"P2": "tear", "P3": "cleft"}
    assert assess(inp).redo.injury_barrier is True  # P2 is a scallop of the jet's A2-P2


# --- rule 3: the space at the target jet's site -------------------------------------------------------------------

SPACES = {"lateral": ("m_lat", 0.90), "medial": ("m_med", 0.50), "inter-device": ("m_gap", 0.70)}


def _space_case(jet: dict[str, Any], kinds: tuple[str, ...] = ("lateral", "medial"),
                devices: tuple[str, ...] = ("A2-P2",), extra_spaces: tuple[tuple[str, str, float], ...] = ()) -> tuple[
        Case, list[Any]]:
    spaces = [{"kind": k, "distance_mark": SPACES[k][0]} for k in kinds]
    spaces += [{"kind": k, "distance_mark": m} for k, m, _cm in extra_spaces]
    results = [measured("distance", SPACES[k][1], f"{SPACES[k][0]}.distance") for k in kinds]
    results += [measured("distance", cm, f"{m}.distance") for _k, m, cm in extra_spaces]
    case = Case(leaflets={"spaces": spaces}, jets=[{"id": "j1", "grade": "moderate", **jet}],
                devices=[{"id": f"d{i + 1}", "segment": s} for i, s in enumerate(devices)])
    return case, results


@pytest.mark.parametrize(("jet", "space_cm", "note"), [
    ({"location": "para-clip lateral", "segment": "A2-P2"}, 0.90, "lateral space, at target jet j1"),
    ({"location": "commissural AL"}, 0.90, "lateral space, at target jet j1"),
    ({"location": "para-clip medial", "segment": "A2-P2"}, 0.50, "medial space, at target jet j1"),
    ({"location": "commissural PM"}, 0.50, "medial space, at target jet j1"),
    # no location class that names a side: the segment against the devices' (A2-P2): A1-P1 lies lateral of them
    ({"location": "non-coaptation", "segment": "A1-P1"}, 0.90, "lateral space, at target jet j1"),
    ({"location": "non-coaptation", "segment": "A3-P3"}, 0.50, "medial space, at target jet j1"),
    # the case cannot relate the jet to a space: the largest, said so
    ({"location": "non-coaptation", "segment": "A2-P2"}, 0.90,
     "largest measured space; the case does not relate it to target jet j1"),
    ({}, 0.90, "largest measured space; the case does not relate it to target jet j1"),
])
def test_the_space_is_the_one_at_the_target_jets_site(jet: dict[str, Any], space_cm: float, note: str) -> None:
    case, results = _space_case(jet)
    inp = findings.assessment_input(case, results)
    assert inp.space is not None and inp.space.value == space_cm
    assert inp.space_note == note
    finding = next(f for f in assess(inp).redo.findings if f.criterion == "space_margin")
    assert finding.text.startswith(f"Space beside existing devices ({note}) ")


def test_a_medial_jet_with_too_little_medial_space_is_not_ok_although_the_lateral_space_is() -> None:
    # medial 5.0 mm < 6 + 2 = 8 mm; the lateral 9.0 mm (which the old rule took, the largest) is not at the jet
    case, results = _space_case({"location": "para-clip medial", "segment": "A2-P2"})
    result = assess(findings.assessment_input(case, results))
    assert result.redo.space_ok is False
    assert result.ct_recommended is True  # rule 5: NOT space_ok


def test_an_inter_device_jet_between_two_devices() -> None:
    # devices at A1-P1 and A3-P3, jet at A2-P2 between them: the inter-device gap (7.0 mm), by segment
    case, results = _space_case({"location": "non-coaptation", "segment": "A2-P2"},
                                kinds=("lateral", "inter-device"), devices=("A1-P1", "A3-P3"))
    inp = findings.assessment_input(case, results)
    assert inp.space is not None and inp.space.value == 0.70
    assert inp.space_note == "inter-device space, at target jet j1"


def test_of_several_spaces_of_the_jets_kind_the_largest_marked() -> None:
    case, results = _space_case({"location": "inter-clip"}, kinds=("inter-device",), devices=("A1-P1", "A2-P2", "A3-P3"),
                                extra_spaces=(("inter-device", "m_gap2", 0.85),))
    inp = findings.assessment_input(case, results)
    assert inp.space is not None and inp.space.value == 0.85
    assert inp.space_note == "largest of 2 inter-device spaces; the case does not say which is at target jet j1"


def test_a_jet_whose_space_was_not_measured_has_none() -> None:
    case, results = _space_case({"location": "commissural PM"}, kinds=("lateral",))
    inp = findings.assessment_input(case, results)
    assert inp.space is None  # the lateral space is not at a posteromedial jet
    assert MISSING_SPACE in option(assess(inp), "redo_teer").missing


def test_the_jets_kind_from_location_or_segment() -> None:
    devices = Case(devices=[{"id": "d1", "segment": "A2-P2"}]).findings().devices
    assert findings.jet_space_kind(JetInput("j", "inter-clip"), devices) is SpaceKind.INTER_DEVICE
    assert findings.jet_space_kind(JetInput("j", "perforation", "A2-P2"), devices) is None
    assert findings.jet_space_kind(JetInput("j", "perforation", "A1-P1"), devices) is SpaceKind.LATERAL
    assert findings.jet_space_kind(JetInput("j", None, "A1-P1"), ()) is None  # no device placed: no side


# --- rule 5: the CT prompt, read literally -----------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "prompt"), [
    ({}, False),                                       # space 9.0 ≥ 8 mm, leaflet 11 mm, no injury, no barrier
    ({"space_cm": None}, True),                        # unmeasured space is not "space_ok"
    ({"leaflet_cm": None}, True),                      # rule 3's space_ok includes the leaflet ≥ 7 mm
    ({"leaflet_cm": 0.69}, True), ({"leaflet_cm": 0.70}, False),  # 6.9 mm < 7; 7.0 mm is enough
    ({"space_cm": 0.79}, True), ({"space_cm": 0.80}, False),       # 7.9 < 8; 8.0 ≥ 6 + 2
    ({"mg": 5.0}, True), ({"mva": 1.49}, True),        # stenosis barrier (MVARC)
])
def test_ct_prompt(changes: dict[str, Any], prompt: bool) -> None:
    result = favourable(**changes)
    assert result.ct_recommended is prompt
    elasta = option(result, "elasta_tmvr")
    if elasta.status is not Status.NOT_ASSESSABLE and elasta.status is not Status.DISFAVOURED:
        assert elasta.summary.endswith("— CT for annulus sizing and neo-LVOT needed") is prompt


# --- §2.7: location of the target pathology ----------------------------------------------------------------------


@pytest.mark.parametrize(("jet", "criterion", "status"), [
    (JetInput("j1", "para-clip lateral", "A2-P2", "moderate"), "target_central", Status.FAVOURED),
    (JetInput("j1", "para-clip lateral", "A1-P1", "moderate"), "target_commissural", Status.POSSIBLE),  # W16
    (JetInput("j1", "para-clip medial", "A3-P3", "moderate"), "target_commissural", Status.POSSIBLE),
    (JetInput("j1", "non-coaptation", "A2-P3", "moderate"), "target_commissural", Status.POSSIBLE),  # P3 commissural
    (JetInput("j1", "commissural PM", None, "moderate"), "target_commissural", Status.POSSIBLE),
])
def test_target_location(jet: JetInput, criterion: str, status: Status) -> None:
    redo = option(favourable(jets=(jet,)), "redo_teer")
    assert redo.status is status
    found = next(f for f in (*redo.favouring, *redo.against) if f.criterion.startswith("target_"))
    assert found.criterion == criterion
    assert (found in redo.favouring) is (criterion == "target_central")
    if status is Status.POSSIBLE:
        assert redo.summary.startswith("Redo TEER: possible (space and leaflet favourable; Target jet j1 at ")
        assert redo.summary.endswith(": commissural (conditional))")


def test_no_target_location_without_a_located_jet() -> None:
    redo = option(favourable(jets=(JetInput("j1", "non-coaptation", None, "moderate"),)), "redo_teer")
    assert not [f for f in (*redo.favouring, *redo.against) if f.criterion.startswith("target_")]


# --- §2.7: planimetered MVA < 3.0 unsuitable, 3.0-4.0 conditional, > 4.0 favourable --------------------------------


@pytest.mark.parametrize(("mva", "criterion", "status"), [
    (1.49, None, Status.DISFAVOURED),                       # < 1.5: the MVARC barrier, not repeated
    (1.50, "mva_teer_unsuitable", Status.POSSIBLE),         # projected 1.50 × 0.75 = 1.125 → 1.13 < 1.5: risk too
    (2.99, "mva_teer_unsuitable", Status.POSSIBLE),         # < 3.0
    (2.994, "mva_teer_unsuitable", Status.POSSIBLE),        # printed 2.99
    (2.995, "mva_teer_conditional", Status.POSSIBLE),       # printed 3.00: "3–4 cm² conditional" (§2.6)
    (3.00, "mva_teer_conditional", Status.POSSIBLE),
    (4.00, "mva_teer_conditional", Status.POSSIBLE),        # favourable is "> 4.0"
    (4.004, "mva_teer_conditional", Status.POSSIBLE),       # printed 4.00
    (4.005, "mva_teer_favourable", Status.FAVOURED),        # printed 4.01 (half-up on "4.005")
    (4.01, "mva_teer_favourable", Status.FAVOURED),
])
def test_planimetered_mva_teer_anatomy(mva: float, criterion: str | None, status: Status) -> None:
    redo = option(favourable(mva=mva), "redo_teer")
    assert redo.status is status
    rows = [f for f in (*redo.favouring, *redo.against) if f.criterion.startswith("mva_teer_")]
    assert [f.criterion for f in rows] == ([criterion] if criterion else [])
    if criterion:
        assert (rows[0] in redo.favouring) is (criterion == "mva_teer_favourable")
        assert rows[0].measurements == ("mva.mva_planimetry",)


def test_w16_stays_possible_with_the_area_and_location_cautions() -> None:
    # W16: MVA 2.40 cm² (< 3.0, unsuitable by the native-valve row) and a target at A1-P1 (commissural): both are
    # cautions, the spec's own output stays "possible (conditional: posterior leaflet 8 mm)"
    redo = option(assess(w16()), "redo_teer")
    assert redo.summary == "Redo TEER: possible (conditional: posterior leaflet 8 mm)"
    assert {"mva_teer_unsuitable", "target_commissural"} <= set(criteria(redo.against))


def test_a_space_without_a_recorded_side_is_used_marked() -> None:
    # the space has no kind (an older case, or not entered): it cannot be related to the jet, so the largest is
    # used and the text says so (tests/report/test_cli_report.py: W16 through a case file)
    case = Case(leaflets={"spaces": [{"label": "D1 lateral edge to AL commissure", "distance_mark": "m5"}]},
                jets=[{"id": "j1", "location": "para-clip lateral", "segment": "A1-P1", "grade": "moderate"}])
    inp = findings.assessment_input(case, [measured("distance", 0.90, "m5.distance")])
    assert inp.space is not None and inp.space.value == 0.90
    assert inp.space_note == "largest space without a recorded side; the case does not relate it to target jet j1"


# --- §2.7: rheumatic restriction (IIIa) at the target is conditional ----------------------------------------------


@pytest.mark.parametrize(("scallop", "mobility", "caution"), [
    ("P2", "restricted IIIa", True), ("A2", "restricted IIIa", True),  # a scallop of the target's A2-P2
    ("P3", "restricted IIIa", False),                                  # not at the target
    ("P2", "restricted IIIb", False), ("P2", "normal", False),         # IIIb (functional tethering) is not the row
])
def test_restricted_iiia_at_the_target_is_conditional(scallop: str, mobility: str, caution: bool) -> None:
    redo = option(favourable(scallop_mobility={scallop: mobility}), "redo_teer")
    assert ("restricted_iiia" in criteria(redo.against)) is caution
    assert redo.status is (Status.POSSIBLE if caution else Status.FAVOURED)
    if caution:
        assert redo.summary == ("Redo TEER: possible (space and leaflet favourable; Restricted motion IIIa at "
                                f"{scallop} (target jet j1 at A2-P2): conditional)")


def test_the_case_passes_each_scallops_mobility() -> None:
    case = Case(leaflets={"segments": {"P2": {"mobility": "restricted IIIa"}, "A2": {"calcification": "none"}}})
    assert findings.assessment_input(case, []).scallop_mobility == {"P2": "restricted IIIa"}
