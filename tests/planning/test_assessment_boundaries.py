"""Both sides of every decision-rule boundary (docs/clinical-criteria.md §2.6, §2.7, §4), at reporting
precision (MG 0.1 mmHg, MVA 0.01 cm², lengths 0.01 cm = 0.1 mm, HR 1 /min; decimal half-up), with the
direction each finding counts in; golden values from the specification's worked cases (W1, W10, W12,
W13, W16). Every expected class is hand arithmetic written next to it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from measurements import plausibility
from measurements.marks import Mark, MarkType
from measurements.results import Result
from planning.assessment import (
    MISSING_JETS,
    MISSING_LEAFLET,
    MISSING_MG,
    MISSING_MG_HR,
    MISSING_MR,
    MISSING_MVA,
    MISSING_RISK,
    MISSING_SPACE,
    MISSING_TMVR,
    Assessment,
    AssessmentInput,
    Finding,
    JetInput,
    OptionAssessment,
    Status,
    assess,
    quoted,
)
from planning.findings import selected
from report.model import Measurement, unit_display
from tests.planning.inputs import FAVOURABLE_SITE, IDS, case_input, measured, orifice, w16


def option(result: Assessment, key: str) -> OptionAssessment:
    return next(o for o in result.options if o.key == key)


def criteria(findings: tuple[Finding, ...]) -> list[str]:
    return [f.criterion for f in findings]


# --- rule 1: MVARC significant iatrogenic MS: MG ≥ 5.0 mmHg or planimetered MVA < 1.50 cm² -------------


@pytest.mark.parametrize(("mg", "significant"), [
    (4.9, False), (5.0, True),    # W13: 4.9 not significant, 5.0 significant (success needs < 5)
    (4.94, False), (4.95, True),  # printed 4.9 / 5.0 (half-up on "4.95")
    (6.521333, True),             # W1: MG 6.5 mmHg ≥ 5
])
def test_mean_gradient_significant_ms(mg: float, significant: bool) -> None:
    result = assess(w16(mg=mg))
    assert result.stenosis.barrier is significant
    mg_finding = next(f for f in result.stenosis.findings if f.criterion == "mg_significant")
    redo, elasta = option(result, "redo_teer"), option(result, "elasta_tmvr")
    assert (mg_finding in redo.against) is significant
    assert (mg_finding in elasta.favouring) is significant  # combined MR + iatrogenic MS favours ELASTA + TMVR
    assert (mg_finding in option(result, "surgery").favouring) is significant
    assert (mg_finding in option(result, "plug").against) is significant
    assert mg_finding not in redo.favouring  # MG < 5 alone is not "low": that is the < 4 rule
    assert (redo.status is Status.DISFAVOURED) is significant


@pytest.mark.parametrize(("mva", "significant"), [
    (1.49, True), (1.50, False),   # W13: 1.50 not significant (success needs ≥ 1.5)
    (1.494, True), (1.495, False),  # printed 1.49 / 1.50
    (1.121, True),                 # W10: two orifices 0.58 + 0.541 = 1.12 cm² < 1.5
])
def test_planimetered_mva_significant_ms(mva: float, significant: bool) -> None:
    result = assess(w16(mva=mva))
    assert result.stenosis.barrier is significant
    area = next(f for f in result.stenosis.findings if f.criterion == "mva_significant")
    assert (area in option(result, "redo_teer").against) is significant
    assert (area in option(result, "elasta_tmvr").favouring) is significant
    assert (area in option(result, "surgery").favouring) is significant


def test_a_large_mva_is_no_evidence_against_a_device_nor_for_laceration_or_surgery() -> None:
    """The reported bug: MG 6.6 mmHg (significant) with MVA 7.55 cm² listed the MVA against redo TEER and
    for ELASTA-Clip + TMVR. Only the finding that meets the criterion counts."""
    result = assess(w16(mg=6.6, mva=7.55))
    assert result.stenosis.barrier is True
    area = next(f for f in result.stenosis.findings if f.criterion == "mva_significant")
    assert area.text == "Planimetered MVA 7.55 cm² is ≥ 1.5 cm² (MVARC)"
    for o in result.options:
        assert area not in o.against and area not in o.favouring, o.key
    assert criteria(option(result, "elasta_tmvr").favouring) == ["mg_significant"]
    assert result.stenosis.statement == "Significant iatrogenic MS (MVARC): mean gradient 6.6 mmHg"


# --- stop rule: MG ≥ 4 mmHg (at HR 60–80), projected MVA < 1.5 cm² ------------------------------------------


@pytest.mark.parametrize(("mg", "risk"), [(3.9, False), (4.0, True), (3.94, False), (3.95, True)])
def test_stop_rule_mean_gradient(mg: float, risk: bool) -> None:
    redo = option(assess(w16(mg=mg, leaflet_cm=1.10, **FAVOURABLE_SITE)), "redo_teer")  # favourable: only MG decides
    stop = [f for f in (*redo.favouring, *redo.against) if f.criterion == "mg_redo_stop"]
    assert len(stop) == 1
    assert (stop[0] in redo.against) is risk  # < 4 at HR 72 counts for another device, ≥ 4 against it
    assert redo.status is (Status.POSSIBLE if risk else Status.FAVOURED)
    assert ("stenosis risk" in redo.summary) is risk


@pytest.mark.parametrize("hr", [None, 59, 81])
def test_a_low_gradient_counts_only_at_heart_rate_60_to_80(hr: float | None) -> None:
    redo = option(assess(w16(mg=3.2, hr=hr, leaflet_cm=1.10)), "redo_teer")
    assert "mg_redo_stop" not in criteria(redo.favouring)
    assert MISSING_MG_HR in redo.missing and redo.status is Status.POSSIBLE  # never favoured without it


@pytest.mark.parametrize(("hr", "warned"), [(59, True), (60, False), (80, False), (81, True),
                                            (59.5, False), (80.4, False), (80.5, True)])  # W12: 60–80 inclusive
def test_heart_rate_band(hr: float, warned: bool) -> None:
    warnings = assess(w16(hr=hr)).stenosis.warnings
    assert any("is outside 60–80 /min" in w for w in warnings) is warned


@pytest.mark.parametrize(("mva", "projected", "risk"), [
    (1.99, 1.49, True),    # 1.99 × 0.75 = 1.4925 → 1.49 < 1.5
    (2.00, 1.50, False),   # 2.00 × 0.75 = 1.50, not < 1.5
    (1.995, 1.50, False),  # printed 2.00 → 1.50
    (2.40, 1.80, False),   # W16
])
def test_stop_rule_projected_mva(mva: float, projected: float, risk: bool) -> None:
    result = assess(w16(mva=mva))
    assert result.stenosis.projected_mva_cm2 == projected
    redo = option(result, "redo_teer")
    after = next(f for f in (*redo.favouring, *redo.against) if f.criterion == "mva_after_device")
    assert (after in redo.against) is risk
    assert f"about {projected:.2f} cm²" in after.text


@pytest.mark.parametrize(("mg", "etiology", "amber"), [
    (4.4, "degenerative", False), (4.5, "degenerative", True),  # > 4.4 (S16)
    (4.45, "primary", True),                                    # printed 4.5
    (4.8, "secondary", False),                                  # not prognostic in functional MR
])
def test_degenerative_mr_gradient_flag(mg: float, etiology: str, amber: bool) -> None:
    redo = option(assess(w16(mg=mg, etiology=etiology)), "redo_teer")
    assert ("mg_dmr_amber" in criteria(redo.against)) is amber
    assert "mg_dmr_amber" not in criteria(redo.favouring)


@pytest.mark.parametrize(("method", "value", "warned"), [("pht_mva", 1.49, True), ("pht_mva", 1.50, False),
                                                         ("continuity_mva", 1.49, True),
                                                         ("continuity_mva", 1.50, False)])
def test_supportive_areas_only_warn(method: str, value: float, warned: bool) -> None:
    result = assess(w16(**{method: value}))
    assert result.stenosis.barrier is False  # never the barrier: not validated after TEER
    assert any("supportive only" in w for w in result.stenosis.warnings) is warned


# --- rule 3: leaflet ≥ 7 mm (≥ 10 preferred), space ≥ device width + 2 mm --------------------------------


@pytest.mark.parametrize(("cm", "leaflet", "status", "direction"), [
    (0.69, "unsuitable", Status.DISFAVOURED, "against"),
    (0.694, "unsuitable", Status.DISFAVOURED, "against"),  # printed 0.69 cm = 6.9 mm
    (0.695, "conditional", Status.POSSIBLE, "for"),         # printed 0.70 cm = 7.0 mm
    (0.70, "conditional", Status.POSSIBLE, "for"),
    (0.99, "conditional", Status.POSSIBLE, "for"),
    (1.00, "favourable", Status.FAVOURED, "for"),
])
def test_posterior_leaflet_length(cm: float, leaflet: str, status: Status, direction: str) -> None:
    result = assess(w16(leaflet_cm=cm, **FAVOURABLE_SITE))  # central target, MVA > 4 cm²: only the leaflet decides
    assert result.redo.leaflet == leaflet
    redo = option(result, "redo_teer")
    assert redo.status is status
    length = next(f for f in result.redo.findings if f.criterion.startswith("leaflet_"))
    assert (length in redo.favouring, length in redo.against) == (direction == "for", direction == "against")
    assert (length in option(result, "elasta_tmvr").favouring) is (leaflet == "unsuitable")


def test_w16_leaflet_text_quotes_the_measurement() -> None:
    result = assess(w16())
    length = next(f for f in result.redo.findings if f.criterion == "leaflet_min")
    assert length.text == "Free posterior leaflet length 0.80 cm (8.0 mm) ≥ 7 and < 10 mm (conditional)"
    assert length.measurements == (IDS["leaflet"],)
    assert option(result, "redo_teer").summary == "Redo TEER: possible (conditional: posterior leaflet 8 mm)"


@pytest.mark.parametrize(("cm", "width", "ok"), [
    (0.79, 6.0, False), (0.80, 6.0, True),  # NTW 6 mm + 2 mm = 8 mm (W16: 9.0 mm is enough)
    (0.795, 6.0, True),                     # printed 0.80 cm
    (0.59, 4.0, False), (0.60, 4.0, True),  # NT 4 mm + 2 mm = 6 mm
])
def test_space_beside_devices(cm: float, width: float, ok: bool) -> None:
    result = assess(w16(space_cm=cm, device_width_mm=width, leaflet_cm=1.10))
    assert result.redo.space_ok is ok
    space = next(f for f in result.redo.findings if f.criterion == "space_margin")
    assert (space in option(result, "redo_teer").favouring) is ok
    assert (space in option(result, "redo_teer").against) is not ok
    assert (space in option(result, "elasta_tmvr").favouring) is not ok  # MR not treatable by another device
    assert result.ct_recommended is not ok  # rule 5


# --- rules 2, 4, 6 and the other rows of the §4 table -----------------------------------------------------


def test_plug_needs_a_measured_orifice_and_names_it_when_missing() -> None:
    unmeasured = assess(w16(jets=(JetInput("j2", "inter-clip", "A2-P2", "moderate"),)))
    plug = option(unmeasured, "plug")
    assert plug.status is Status.NOT_ASSESSABLE
    assert plug.summary == "Plug/occluder: not assessable (missing: maximal orifice dimension of jet j2)"
    measured_leak = option(assess(w16(jets=(JetInput("j2", "inter-clip", "A2-P2", "moderate", None,
                                                      orifice(0.40)),))), "plug")
    assert measured_leak.status is Status.POSSIBLE
    hit = measured_leak.favouring[0]
    assert "orifice 0.40 cm (4.0 mm)" in hit.text and hit.measurements == ("m_orifice.distance",)
    # W16's jet is para-device at A1-P1 (next to the anterolateral commissure) without a measured orifice
    assert option(assess(w16()), "plug").missing == ("maximal orifice dimension of jet j1",)
    central = option(assess(w16(jets=(JetInput("j3", "para-clip lateral", "A2-P2", "moderate"),))), "plug")
    assert central.status is Status.DISFAVOURED and criteria(central.against) == ["plug_location"]


@pytest.mark.parametrize(("risk", "surgery", "elasta"), [
    ("low", Status.POSSIBLE, Status.DISFAVOURED),            # operable: for surgery, against ELASTA + TMVR
    ("intermediate", Status.POSSIBLE, Status.DISFAVOURED),
    ("high", Status.DISFAVOURED, Status.POSSIBLE),           # rule 6; for ELASTA + TMVR
    ("prohibitive", Status.DISFAVOURED, Status.POSSIBLE),
])
def test_surgical_risk_directions(risk: str, surgery: Status, elasta: Status) -> None:
    result = assess(w16(surgical_risk=risk))
    assert option(result, "surgery").status is surgery
    assert option(result, "elasta_tmvr").status is elasta
    high = risk in ("high", "prohibitive")
    assert ("surgical_risk" in criteria(option(result, "surgery").against)) is high
    assert ("surgical_risk" in criteria(option(result, "elasta_tmvr").favouring)) is high


def test_tmvr_anatomy_directions() -> None:
    suitable = option(assess(w16(surgical_risk="high", tmvr_anatomy="suitable")), "elasta_tmvr")
    assert "tmvr_anatomy" in criteria(suitable.favouring) and MISSING_TMVR not in suitable.missing
    unsuitable = option(assess(w16(surgical_risk="high", tmvr_anatomy="unsuitable")), "elasta_tmvr")
    assert unsuitable.status is Status.DISFAVOURED and "tmvr_anatomy" in criteria(unsuitable.against)
    assert MISSING_TMVR in option(assess(w16(tmvr_anatomy="unknown")), "elasta_tmvr").missing  # CT needed


@pytest.mark.parametrize(("grade", "status", "direction"), [
    ("mild", Status.FAVOURED, "for"), ("moderate", Status.FAVOURED, "for"),  # ≤ moderate (2+)
    ("moderate-to-severe", Status.POSSIBLE, "against"), ("severe", Status.POSSIBLE, "against"),
])
def test_residual_mr_for_medical_therapy(grade: str, status: Status, direction: str) -> None:
    medical = option(assess(w16(mr_grade=grade)), "medical")
    assert medical.status is status
    where = medical.favouring if direction == "for" else medical.against
    assert criteria(where) == ["mr_tolerable"]


def test_no_calcification_in_the_grasping_zone_counts_for_redo_teer() -> None:
    redo = option(assess(w16(grasp_zone_calcification="none")), "redo_teer")
    assert "calcification_none" in criteria(redo.favouring)
    assert "calcification_none" not in criteria(option(assess(w16()), "redo_teer").favouring)  # not recorded


# --- nothing known: every option not assessable, naming what it needs ------------------------------------


def test_an_empty_case_is_not_assessable_for_every_option() -> None:
    result = assess(AssessmentInput())
    assert result.stenosis.barrier is None
    assert result.stenosis.statement == ("Stenosis not assessable (missing: mean gradient (mitral inflow), "
                                         "planimetered MVA)")
    expected = {
        "redo_teer": (MISSING_SPACE, MISSING_LEAFLET, MISSING_MG, MISSING_MVA),
        "plug": (MISSING_JETS, MISSING_MG, MISSING_MVA),
        "elasta_tmvr": (MISSING_RISK, MISSING_TMVR, MISSING_MG, MISSING_MVA, MISSING_SPACE, MISSING_LEAFLET),
        "surgery": (MISSING_RISK,),
        "medical": (MISSING_MR,),
    }
    for o in result.options:
        assert o.status is Status.NOT_ASSESSABLE, o.key
        assert o.missing == expected[o.key], o.key
        assert o.summary.endswith(f": not assessable (missing: {', '.join(expected[o.key])})"), o.summary
        assert "possible" not in o.summary and not o.favouring and not o.against


def test_named_missing_inputs_are_specific() -> None:
    assert MISSING_LEAFLET == "posterior leaflet length at the target scallop"
    assert MISSING_MR == "total residual MR grade"
    assert (MISSING_MG, MISSING_MVA) == ("mean gradient (mitral inflow)", "planimetered MVA")


# --- findings quote their measurements ---------------------------------------------------------------------


def _all_findings(result: Assessment) -> list[Finding]:
    return [*result.stenosis.findings, *result.redo.findings,
            *(f for o in result.options for f in (*o.favouring, *o.against))]


@pytest.mark.parametrize("changes", [{}, {"mg": 6.521333, "mva": 1.121}, {"mg": 4.2, "mva": 1.99},
                                     {"leaflet_cm": 0.695, "space_cm": 0.795}])
def test_every_quoted_value_is_named_and_printed_as_the_table_prints_it(changes: dict) -> None:
    inp = w16(**changes)
    by_id = {r.id: r for r in (inp.mean_gradient, inp.heart_rate, inp.posterior_length, inp.space,
                               *inp.mva.values()) if r is not None}
    for f in _all_findings(assess(inp)):
        for rid in f.measurements:
            assert quoted(by_id[rid]) in f.text, (f.criterion, f.text)
    mg = next(f for f in assess(inp).stenosis.findings if f.criterion == "mg_significant")
    assert mg.measurements == (IDS["mg"], IDS["hr"])


@pytest.mark.parametrize(("quantity", "value", "text"), [
    ("mean_gradient", 6.521333, "6.5 mmHg"), ("mva_planimetry", 1.105, "1.11 cm²"),  # W1, W15
    ("heart_rate", 79.9984, "80 bpm"), ("distance", 0.695, "0.70 cm"),                # W12
    ("mva_planimetry", 7.5549, "7.55 cm²"),
])
def test_quoted_is_the_report_table_text(quantity: str, value: float, text: str) -> None:
    r = measured(quantity, value, f"m.{quantity}")
    table = Measurement(r.id, r.label, r.quantity, r.value, r.unit)
    assert quoted(r) == text == f"{table.shown} {unit_display(table.unit)}"


# --- stenosis statement and grades agree -------------------------------------------------------------------


@pytest.mark.parametrize(("mg", "mva"), [(4.9, 1.50), (5.0, 1.50), (4.9, 1.49), (4.95, 1.495), (3.2, 2.40),
                                         (6.6, 7.55)])
def test_the_stenosis_statement_agrees_with_the_grades_of_the_results_it_rests_on(mg: float, mva: float) -> None:
    inp = case_input(mg=mg, hr=72, mva=mva)
    sten = assess(inp).stenosis
    grades = [next(g.label for g in r.grades if g.scheme == "MVARC") for r in (inp.mean_gradient, inp.mva["planimetry"])
              if r is not None]
    significant = [g.startswith("significant") for g in grades]
    assert sten.barrier is any(significant)
    assert sten.statement.startswith("Significant" if any(significant) else "No significant")
    for f in sten.findings:
        if f.criterion in ("mg_significant", "mva_significant"):
            graded_significant = significant[0 if f.criterion == "mg_significant" else 1]
            assert (f in sten.significant) is graded_significant


def test_schemes_that_differ_from_mvarc_are_named_beside_no_significant_ms() -> None:
    # W13: MVA 1.50 cm² is MVARC "no significant MS" but EAE moderate and ACC/AHA severe
    sten = assess(case_input(mg=3.2, hr=72, mva=1.50)).stenosis
    assert sten.statement == "No significant iatrogenic MS (MVARC): mean gradient 3.2 mmHg; planimetered MVA 1.50 cm²"
    note = next(w for w in sten.warnings if "schemes differ" in w)
    assert "moderate (EAE/ASE-2009-MS)" in note and "C/D severe (ACC/AHA-2020-MS)" in note
    assert not any("schemes differ" in w for w in assess(case_input(mg=3.2, hr=72, mva=2.40)).stenosis.warnings)


# --- one selection of each quantity -------------------------------------------------------------------------


def _r(rid: str, quantity: str, value: float, source: tuple[str, ...], **kw: object) -> Result:
    return replace(measured(quantity, value, rid), source=source, **kw)


def _trace(mid: str, label: str, purpose: str | None) -> Mark:
    return Mark(mid, MarkType.DOPPLER_TRACE, label, "1.2.3", 1, 1, ((10.0, 10.0), (20.0, 10.0)), purpose)


#: Three inflow traces, an MR jet trace, a labelled trace without a purpose and an unlabelled one.
MARKS = [_trace("t1", "MV inflow", "mv_inflow"), _trace("t2", "MV inflow", "mv_inflow"),
         _trace("t3", "MV inflow", "mv_inflow"), _trace("jet", "MR jet", "mr_jet"), _trace("x", "trace", None),
         _trace("u", "", "mv_inflow"), _trace("rr", "R-R", "rr_interval")]


def test_selected_mean_gradient_is_the_inflow_beat_average() -> None:
    results = [
        _r("t1.beat1.mean_gradient", "mean_gradient", 6.4, ("t1",), beat=1),
        _r("t1.beat2.mean_gradient", "mean_gradient", 6.8, ("t1",), beat=2),
        _r("t1.mean_gradient", "mean_gradient", 6.6, ("t1",), beats=2, sd=0.28),
        _r("t2.mean_gradient", "mean_gradient", 6.5, ("t2",)),
        _r("avg.mv_inflow.mean_gradient", "mean_gradient", 6.567, ("t1", "t2"), beats=3, sd=0.2),
        _r("jet.mean_gradient", "mean_gradient", 62.5, ("jet",)),     # an MR jet's LV→LA gradient
        _r("x.mean_gradient", "mean_gradient", 11.9, ("x",)),         # a trace with no purpose
        _r("u.mean_gradient", "mean_gradient", 7.7, ("u",), beats=9),  # an unlabelled mark: never used
    ]
    assert selected(results, "mean_gradient", MARKS).id == "avg.mv_inflow.mean_gradient"
    assert selected(results[:3], "mean_gradient", MARKS).id == "t1.mean_gradient"  # never a beat
    assert selected(results[5:], "mean_gradient", MARKS) is None
    assert selected(results[-1:], "mean_gradient", MARKS) is None  # unlabelled, though an inflow purpose


def test_two_inflow_loops_give_one_value_everywhere() -> None:
    loops = [_r("avg.mv_inflow.t1.mean_gradient", "mean_gradient", 6.6, ("t1", "t2"), beats=2, sd=0.1),
             _r("t3.mean_gradient", "mean_gradient", 5.9, ("t3",), beats=3, sd=0.2)]
    assert selected(loops, "mean_gradient", MARKS).id == "t3.mean_gradient"  # more beats
    assert selected(loops[::-1], "mean_gradient", MARKS).id == "t3.mean_gradient"  # whatever the order


def test_held_results_are_never_selected() -> None:
    held = _r("t1.mean_gradient", "mean_gradient", 9.0, ("t1",),
              warnings=(f"{plausibility.PREFIX} inflow away from the probe{plausibility.HELD}",))
    assert plausibility.is_held(held)
    assert selected([held], "mean_gradient", MARKS) is None


def test_heart_rate_goes_with_the_selected_gradient() -> None:
    mg = _r("t3.mean_gradient", "mean_gradient", 5.9, ("t3",), beats=3, sd=0.2)
    rates = [_r("rr.heart_rate", "heart_rate", 90, ("rr",)), _r("t3.heart_rate", "heart_rate", 72, ("t3",), beats=2),
             _r("header.x.heart_rate", "heart_rate", 60, ())]
    assert selected(rates, "heart_rate", MARKS, near=mg).id == "t3.heart_rate"
    assert selected(rates, "heart_rate", MARKS).id == "t3.heart_rate"  # most beats
    assert selected(rates[2:], "heart_rate", MARKS).id == "header.x.heart_rate"


def test_a_beat_graded_differently_from_the_selected_average_is_named() -> None:
    # beats 5.3 and 4.5 mmHg: mean 4.9 → "no significant MS"; beat 1 (5.3 ≥ 5) is "significant MS" in the table
    beats = [_r("t1.beat1.mean_gradient", "mean_gradient", 5.3, ("t1",), beat=1),
             _r("t1.beat2.mean_gradient", "mean_gradient", 4.5, ("t1",), beat=2)]
    mean = _r("t1.mean_gradient", "mean_gradient", 4.9, ("t1",), beats=2, sd=0.57)
    sten = assess(AssessmentInput(mean_gradient=mean, other_gradients=tuple(beats))).stenosis
    assert sten.barrier is False and sten.statement.startswith("No significant iatrogenic MS")
    note = next(w for w in sten.warnings if w.startswith("Graded differently"))
    assert "t1.beat1.mean_gradient 5.3 mmHg (significant MS" in note and "4.5 mmHg" not in note
    agreeing = assess(AssessmentInput(mean_gradient=mean, other_gradients=(beats[1],))).stenosis
    assert not any(w.startswith("Graded differently") for w in agreeing.warnings)
