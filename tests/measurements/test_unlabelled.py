"""An unlabelled mark is measured but has no meaning: never graded, never fed to a calculation, the
summary or the decision support; giving it a clinical label grades it (docs/clinical-criteria.md,
"Meaning of a mark").

Regions are built by hand (tests.measurements.factories): a 2D tissue region of 0.02 cm/px both ways,
as a TEE B-mode loop, and a CW strip of 0.001 s/px and -1 cm/s per px with its baseline at image
row 350.5 (region top 100 + Reference Pixel Y0 250, pixel centre +0.5), as a CW mitral inflow recording.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from measurements.compute import UNLABELLED_WARNING, is_unlabelled, measure_all
from measurements.marks import Mark, MarkType
from planning.case import Case
from planning.findings import assessment_input
from planning.findings import selected as selected_result
from tests.measurements.factories import spatial_region, spectral_region, trace_to_image

SOP = "1.2.826.0.1.3680043.99.21"
TISSUE = spatial_region(0.02, 0.02)
CW = spectral_region(data_type=4)
REGIONS = (TISSUE, CW)

#: A triangular inflow beat: 0 → 2.0 m/s → 0 over 0.2 s, away from the TEE probe (negative, as mitral
#: inflow is on TEE). Mean of v² over a linear ramp is v_peak²/3, so MG = 4 · 2.0² / 3 = 5.333 mmHg
#: (MVARC: ≥5 mmHg is significant MS).
TRIANGLE = [(0.10, 0.0), (0.20, -2.0), (0.30, 0.0)]
MG_TRIANGLE = 4 * 2.0 ** 2 / 3


def _caliper(label: str, purpose: str | None = None, mark_id: str = "m1") -> Mark:
    # 30 px across × 0.02 = 0.60 cm, 40 px down × 0.02 = 0.80 cm: √(0.36 + 0.64) = 1.00 cm
    return Mark(mark_id, MarkType.DISTANCE, label, SOP, 1, 0, ((10.5, 10.5), (40.5, 50.5)), purpose=purpose)


def _inflow(label: str, mark_id: str = "t1") -> Mark:
    return Mark(mark_id, MarkType.DOPPLER_TRACE, label, SOP, 1, 1, tuple(trace_to_image(CW, TRIANGLE)),
                purpose="mv_inflow" if label else None)


def _measure(marks: list[Mark], calculations: list[dict] | None = None):
    return measure_all(marks, calculations or [], lambda sop: REGIONS)


def test_an_unlabelled_caliper_is_measured_by_its_calibration_but_not_graded() -> None:
    # the case file says vena_contracta, but without a label the purpose carries no meaning
    (result,), errors = _measure([_caliper("", purpose="vena_contracta")])
    assert errors == []
    assert result.quantity == "distance" and result.unit == "cm"
    assert result.value == pytest.approx(math.hypot(0.60, 0.80), rel=1e-12) == pytest.approx(1.00)
    assert result.grades == ()
    assert UNLABELLED_WARNING in result.warnings and "unlabelled" in result.warnings[-1]
    assert result.label == "Unlabelled m1" and result.source == ("m1",)
    assert "grade" not in result.as_json() and result.as_json()["warnings"] == [UNLABELLED_WARNING]


def test_relabelling_to_a_clinical_label_grades_it() -> None:
    (result,), _ = _measure([_caliper("Vena contracta", purpose="vena_contracta")])
    assert result.quantity == "vena_contracta" and result.value == pytest.approx(1.00)
    assert result.grades and result.grades[0].label == "4+ severe"  # ≥ 0.70 cm
    assert UNLABELLED_WARNING not in result.warnings


def test_a_blank_label_is_unlabelled() -> None:
    assert is_unlabelled(_caliper("")) and is_unlabelled(_caliper("   ")) and not is_unlabelled(_caliper("VC"))


def test_an_unlabelled_trace_gives_its_numbers_ungraded_and_no_pressure_half_time() -> None:
    mark = replace(_inflow(""), purpose="mv_inflow")  # a purpose without a label is ignored
    results, errors = _measure([mark])
    assert errors == []
    by_q = {r.quantity: r for r in results}
    assert by_q["vmax"].value == pytest.approx(2.0, rel=1e-9)
    assert by_q["mean_gradient"].value == pytest.approx(MG_TRIANGLE, rel=1e-9)
    assert "pht" not in by_q and "mva_pht" not in by_q
    assert all(r.grades == () and UNLABELLED_WARNING in r.warnings for r in results)


def test_an_unlabelled_mark_feeds_no_calculation() -> None:
    # 0.02 cm/px: a 50 × 30 px rectangle is 1.00 cm × 0.60 cm = 0.60 cm²
    square = ((100, 100), (150, 100), (150, 130), (100, 130))
    unlabelled = Mark("o1", MarkType.AREA, "", SOP, 1, 0, square, purpose="orifice")
    results, errors = _measure([unlabelled], [{"id": "c1", "type": "planimetry", "area_marks": ["o1"]}])
    assert [r.quantity for r in results] == ["area"] and results[0].value == pytest.approx(0.60)
    assert errors == [("c1", "calculation 'c1': m 'o1' is unlabelled: give it a label before a calculation uses it")]
    # without a calculation an orifice area is summed into the MVA automatically, but not an unlabelled one
    results, errors = _measure([unlabelled])
    assert errors == [] and not any(r.quantity == "mva_planimetry" for r in results)
    labelled = replace(unlabelled, label="Lateral orifice")
    results, _ = _measure([labelled])
    mva = next(r for r in results if r.quantity == "mva_planimetry")
    assert mva.value == pytest.approx(0.60) and mva.grades


def test_an_unlabelled_trace_is_absent_from_the_decision_support_input() -> None:
    case = Case(marks=[_inflow("", "t1")])
    results, _ = _measure(case.marks)
    assert any(r.quantity == "mean_gradient" for r in results)  # measured and shown
    assert selected_result(results, "mean_gradient", case.marks) is None
    assert assessment_input(case, results).mean_gradient is None

    relabelled = Case(marks=[_inflow("MV inflow CW", "t1")])
    results, _ = _measure(relabelled.marks)
    mg = next(r for r in results if r.quantity == "mean_gradient")
    assert mg.grades and mg.grades[0].label.startswith("significant MS")
    selected = assessment_input(relabelled, results).mean_gradient
    assert selected is not None and selected.value == pytest.approx(MG_TRIANGLE, rel=1e-9)


def test_an_unlabelled_caliper_linked_as_a_leaflet_length_is_not_used_by_decision_support() -> None:
    leaflets = {"segments": {"P2": {"length_mark": "m1"}}}
    unlabelled = Case(marks=[_caliper("", mark_id="m1")], leaflets=leaflets)
    results, _ = _measure(unlabelled.marks)
    assert assessment_input(unlabelled, results).posterior_length is None
    labelled = Case(marks=[_caliper("P2 residual leaflet length", "posterior_leaflet_length")], leaflets=leaflets)
    results, _ = _measure(labelled.marks)
    length = assessment_input(labelled, results).posterior_length
    assert length is not None and length.value == pytest.approx(1.00)  # cm


def test_a_posterior_leaflet_length_not_linked_to_a_scallop_reaches_decision_support() -> None:
    """The shortest labelled posterior length is used when no scallop names its mark (0.60 cm < 1.00 cm;
    the unlabelled 0.30 cm caliper is never used)."""
    short = Mark("m2", MarkType.DISTANCE, "P3 residual leaflet length", SOP, 1, 0, ((10.5, 10.5), (40.5, 10.5)),
                 purpose="posterior_leaflet_length")  # 30 px × 0.02 cm = 0.60 cm
    case = Case(marks=[_caliper("P2 residual leaflet length", "posterior_leaflet_length"), short,
                       replace(short, id="m3", label="", points=((10.5, 10.5), (25.5, 10.5)))])  # 0.30 cm, unlabelled
    results, _ = _measure(case.marks)
    length = assessment_input(case, results).posterior_length
    assert length is not None and length.value == pytest.approx(0.60)  # cm
