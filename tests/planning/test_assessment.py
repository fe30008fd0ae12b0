"""Decision-support rules against clinical.md W16 and rules 1–6 of §4, with the arithmetic by hand."""

from __future__ import annotations

import pytest

from planning.assessment import (
    CRITERIA,
    Evidence,
    JetInput,
    Status,
    assess,
    leaflet_class,
    shown,
)
from tests.planning.inputs import FAVOURABLE_SITE, orifice, w16

W16 = w16()


def _replace(_base: object, **changes) -> object:
    """W16 with some inputs changed (numbers in the units of ``tests.planning.inputs.case_input``)."""
    return w16(**changes)


def option(result, key):
    return next(o for o in result.options if o.key == key)


def test_w16_redo_teer_possible_conditional_on_posterior_leaflet() -> None:
    result = assess(W16)
    assert result.redo.space_ok is True
    assert result.redo.leaflet == "conditional"
    assert result.stenosis.barrier is False
    redo = option(result, "redo_teer")
    assert redo.status is Status.POSSIBLE
    assert redo.summary == "Redo TEER: possible (conditional: posterior leaflet 8 mm)"
    # 2.40 cm² less a quarter = 1.80 cm² ≥ 1.5; MG 3.2 < 4: no stop-rule warning
    assert result.stenosis.projected_mva_cm2 == pytest.approx(1.80)
    assert result.stenosis.warnings == ()


def test_w16_space_one_millimetre_short_is_not_ok() -> None:
    result = assess(_replace(W16, space_cm=0.79))
    assert result.redo.space_ok is False  # 7.9 < 6 + 2
    assert option(result, "redo_teer").status is Status.DISFAVOURED
    assert result.ct_recommended is True  # rule 5: NOT space_ok


@pytest.mark.parametrize(("mg", "mva", "barrier"), [
    (5.0, 2.40, True),    # MG 5.0 is significant (MVARC success requires < 5)
    (4.96, 2.40, True),   # shown 5.0 → significant (classify the printed value)
    (4.9, 2.40, False),
    (3.2, 1.49, True),    # MVA < 1.50
    (3.2, 1.50, False),   # MVA 1.50 is not significant
    (3.2, 1.495, False),  # shown 1.50 (half-up) → not significant
])
def test_rule1_stenosis_barrier(mg: float, mva: float, barrier: bool) -> None:
    result = assess(_replace(W16, mg=mg, mva=mva))
    assert result.stenosis.barrier is barrier
    if barrier:
        assert option(result, "redo_teer").status is Status.DISFAVOURED
        assert "would worsen stenosis" in option(result, "redo_teer").summary
        assert option(result, "plug").status is Status.DISFAVOURED
        assert option(result, "elasta_tmvr").status is Status.CONSIDER
        assert option(result, "surgery").status is Status.CONSIDER
        assert result.ct_recommended is True


def test_stop_rule_warns_when_another_device_would_push_gradient_over_cutoff() -> None:
    # MG 4.2 ≥ 4 at HR 70 but < 5: no barrier yet, a warning and redo at most "possible"
    result = assess(_replace(W16, mg=4.2, hr=70, leaflet_cm=1.10))
    assert result.stenosis.barrier is False
    assert any("4.2 mmHg is ≥ 4 mmHg" in w for w in result.stenosis.warnings)
    assert option(result, "redo_teer").status is Status.POSSIBLE
    assert "stenosis risk" in option(result, "redo_teer").summary


def test_stop_rule_projected_area() -> None:
    # 1.96 cm² × (1 − 0.25) = 1.47 < 1.5 → warning, though 1.96 itself is no barrier
    result = assess(_replace(W16, mva=1.96))
    assert result.stenosis.barrier is False
    assert result.stenosis.projected_mva_cm2 == pytest.approx(1.47)
    assert any("about 1.47 cm²" in w for w in result.stenosis.warnings)
    # 2.00 × 0.75 = 1.50 is not < 1.5: no warning
    assert assess(_replace(W16, mva=2.00)).stenosis.warnings == ()


def test_heart_rate_outside_60_80_warns() -> None:
    assert assess(_replace(W16, hr=80)).stenosis.warnings == ()  # 80 inclusive
    assert any("Heart rate 81 bpm is outside 60–80 /min" in w for w in assess(_replace(W16, hr=81)).stenosis.warnings)


def test_rule2_injury_barrier() -> None:
    perforation = JetInput("j2", "perforation", "A2-P2", "moderate", 0.35, orifice(0.50))
    result = assess(_replace(W16, tear_or_perforation=True, jets=(perforation,)))
    assert result.redo.injury_barrier is True
    assert option(result, "redo_teer").status is Status.DISFAVOURED
    assert option(result, "plug").status is Status.FAVOURED  # discrete hole with a measured orifice
    assert result.ct_recommended is True
    # without a measurable hole: plug argues against, TMVR is to be considered
    no_hole = assess(_replace(W16, tear_or_perforation=True, jets=(JetInput("j2", "through leaflet tear", "A2-P2"),)))
    assert option(no_hole, "plug").status is Status.DISFAVOURED
    assert option(no_hole, "elasta_tmvr").status is Status.CONSIDER


def test_rule3_space_and_leaflet() -> None:
    assert leaflet_class(10.0) == "favourable"
    assert leaflet_class(9.96) == "favourable"  # shown 10.0
    assert leaflet_class(7.0) == "conditional"
    assert leaflet_class(6.9) == "unsuitable"
    assert leaflet_class(None) == "not measured"
    favoured = assess(_replace(W16, leaflet_cm=1.20, space_cm=0.80, **FAVOURABLE_SITE))  # 8 ≥ 6 + 2
    assert option(favoured, "redo_teer").status is Status.FAVOURED
    short = assess(_replace(W16, leaflet_cm=0.60))
    assert option(short, "redo_teer").status is Status.DISFAVOURED
    unknown = assess(_replace(W16, space_cm=None))
    assert option(unknown, "redo_teer").status is Status.NOT_ASSESSABLE


@pytest.mark.parametrize(("location", "segment", "orifice_cm", "candidate"), [
    ("inter-clip", "A2-P2", 0.40, True),
    ("perforation", "A2-P2", 0.30, True),
    ("para-clip lateral", "A1-P1", 0.50, True),    # beside a device at the anterolateral commissure
    ("para-clip lateral", "A2-P2", 0.50, False),   # para-device but central: graspable, not a plug site
    ("inter-clip", "A2-P2", None, False),   # orifice not measured
])
def test_rule4_plug_candidate(location: str, segment: str, orifice_cm: float | None, candidate: bool) -> None:
    size = None if orifice_cm is None else orifice(orifice_cm)
    result = assess(_replace(W16, jets=(JetInput("j1", location, segment, "moderate", 0.4, size),)))
    assert result.plug_candidate is candidate
    barrier = assess(_replace(W16, mg=6.0, jets=(JetInput("j1", location, segment, "moderate", 0.4, size),)))
    assert barrier.plug_candidate is False  # NOT stenosis_barrier


def test_rule5_ct_prompt_only_when_needed() -> None:
    assert assess(W16).ct_recommended is False  # space ok, no injury, no barrier
    assert assess(_replace(W16, tear_or_perforation=True)).ct_recommended is True
    assert assess(_replace(W16, mg=5.5)).ct_recommended is True


@pytest.mark.parametrize("risk", ["high", "prohibitive"])
def test_rule6_high_surgical_risk_disfavours_surgery_without_contraindicating(risk: str) -> None:
    surgery = option(assess(_replace(W16, surgical_risk=risk)), "surgery")
    assert surgery.status is Status.DISFAVOURED
    assert "not a contraindication" in surgery.summary
    assert option(assess(_replace(W16, surgical_risk="low")), "surgery").status is Status.POSSIBLE


def test_medical_therapy_follows_residual_mr_grade() -> None:
    assert option(assess(W16), "medical").status is Status.FAVOURED  # moderate ≤ 2+
    stenosis = option(assess(_replace(W16, mg=6.5)), "medical")  # W1: MG 6.5 ≥ 5
    assert stenosis.status is Status.POSSIBLE and "stenosis remains" in stenosis.summary
    severe = assess(_replace(W16, mr_grade="severe"))
    assert severe.mr_grade == "severe" and severe.mr_grade_basis == "clinician's integrated total"
    assert option(severe, "medical").status is Status.POSSIBLE


def test_per_jet_grades_never_make_the_total() -> None:
    """Two moderate jets are not "moderate MR": without the clinician's integrated total the grade is
    missing, the per-jet grades are listed as per-jet, and medical therapy is not assessable (changed:
    the grade used to be the worst per-jet grade)."""
    jets = (JetInput("j1", "para-clip lateral", "A1-P1", "moderate"), JetInput("j2", "inter-clip", "A2-P2", "moderate"))
    ungraded = assess(_replace(W16, mr_grade=None, jets=jets))
    assert ungraded.mr_grade is None
    assert ungraded.mr_grade_basis.startswith("total residual MR missing")
    assert ungraded.mr_grade_basis.endswith("per-jet grades, not a total: J1 moderate, J2 moderate")
    medical = option(ungraded, "medical")
    assert medical.status is Status.NOT_ASSESSABLE
    assert medical.summary == "Medical therapy: not assessable (missing: total residual MR grade)"
    graded = assess(_replace(W16, mr_grade="severe", total_mr_basis="volumetric RF 52 %", jets=jets))
    assert (graded.mr_grade, graded.mr_grade_basis) == ("severe", "clinician's integrated total: volumetric RF 52 %")


def test_every_option_present_with_evidence_and_sources() -> None:
    result = assess(W16)
    assert [o.key for o in result.options] == ["redo_teer", "plug", "elasta_tmvr", "surgery", "medical"]
    assert option(result, "elasta_tmvr").evidence is Evidence.CASE_REPORTS
    assert option(result, "surgery").evidence is Evidence.REGISTRY
    assert all(o.sources for o in result.options)
    assert all(c.sources and c.evidence for c in CRITERIA.values())


def test_wording_never_decides() -> None:
    text = " ".join([o.summary for o in assess(W16).options] + [assess(W16).disclaimer]).lower()
    for verdict in ("recommended", "must ", "indicated", "should be treated", "the best option"):
        assert verdict not in text


def test_shown_is_decimal_half_up() -> None:
    assert shown(1.105, 2) == 1.11  # W15: binary round() gives 1.10
    assert shown(0.3999, 2) == 0.40


def test_jet_locations_are_vocabulary_members_not_free_text() -> None:
    """The rules read a jet's class from the JetLocation table; free text that merely contains a keyword
    ("inter-clip D1-D2") is not a location (it used to be matched by substring)."""
    with pytest.raises(ValueError):
        JetInput("j1", "inter-clip D1-D2")
    assert JetInput("j1", "commissural PM", "A2-P2").near_commissure
    assert not JetInput("j1", "cleft-related", "A2-P2").near_commissure
    assert JetInput("j1", "non-coaptation", "A2-P2").location_class == "other"
