"""A rule input measured but held by a plausibility gate (docs/clinical-criteria.md §8.1): the rules never
use it, and their texts say it is held ("confirm to use") instead of "not measured"."""

from __future__ import annotations

from pathlib import Path

import pytest

from measurements import plausibility
from measurements.results import Result
from planning.assessment import MISSING_MG, MISSING_MVA, Assessment, assess
from planning.case import load_case, measure_case
from planning.findings import assessment_input
from tests.measurements.test_plausibility import _mark_json, _write_case
from tests.planning.inputs import IDS, measured, w16

HELD_MVA_TEXT = "planimetered MVA held (2.40 cm²; confirm to use)"


def _held(quantity: str, value: float, rid: str) -> Result:
    (r,), _ = plausibility.hold([measured(quantity, value, rid)], ["a test gate"], confirmed=False)
    assert plausibility.is_held(r)
    return r


def _outcome(a: Assessment) -> tuple:
    """Everything a rule decides, without the texts naming missing or held inputs."""
    return (a.stenosis.barrier, a.stenosis.findings, a.stenosis.projected_mva_cm2,
            [(o.key, o.status, o.favouring, o.against, len(o.missing)) for o in a.options])


def test_a_held_mva_with_a_low_gradient_is_named_held_not_unmeasured() -> None:
    # W16 MG 3.2 mmHg (< 5: clear) with its 2.40 cm² planimetered MVA held instead of usable
    held = assess(w16(mva=None, held={"mva_planimetry": _held("mva_planimetry", 2.40, IDS["mva"])}))
    assert held.stenosis.statement == ("No significant iatrogenic MS (MVARC): mean gradient 3.2 mmHg; "
                                       + HELD_MVA_TEXT)
    assert "not measured" not in held.stenosis.statement
    assert held.stenosis.missing == (HELD_MVA_TEXT,)
    naming = {o.key for o in held.options if HELD_MVA_TEXT in o.missing}
    assert naming == {o.key for o in assess(w16(mva=None)).options if MISSING_MVA in o.missing} and naming
    assert not any(MISSING_MVA in o.missing for o in held.options)


def test_a_held_mva_changes_no_rule_outcome() -> None:
    unmeasured = assess(w16(mva=None))
    held = assess(w16(mva=None, held={"mva_planimetry": _held("mva_planimetry", 2.40, IDS["mva"])}))
    assert _outcome(held) == _outcome(unmeasured)
    # the other side: nothing held -> "not measured", as before
    assert unmeasured.stenosis.statement.endswith("(planimetered MVA not measured)")
    assert unmeasured.stenosis.missing == (MISSING_MVA,)


def test_a_held_gradient_and_no_mva_is_not_assessable_naming_both() -> None:
    inp = w16(mg=None, mva=None, held={"mean_gradient": _held("mean_gradient", 9.0, IDS["mg"])})
    statement = assess(inp).stenosis.statement
    assert statement == ("Stenosis not assessable (missing: planimetered MVA; "
                         "mean gradient (mitral inflow) held (9.0 mmHg; confirm to use))")
    assert assess(w16(mg=None, mva=None)).stenosis.statement == \
        f"Stenosis not assessable (missing: {MISSING_MG}, {MISSING_MVA})"
    assert _outcome(assess(inp)) == _outcome(assess(w16(mg=None, mva=None)))


def _one_orifice_case(tmp_path: Path, confirmed: bool) -> tuple:
    # 20 x 20 px at 0.05 cm/px = 1.00 cm², two devices -> 3 orifices expected: an incomplete, held sum
    orifice = _mark_json(points=[[10.0, 10.0], [30.0, 10.0], [30.0, 30.0], [10.0, 30.0]])
    case = load_case(_write_case(tmp_path, [orifice], devices=2))
    if confirmed:
        case.calculations.append({"id": "c1", "type": "planimetry", "area_marks": ["m1"], "confirmed": True})
    results, _ = measure_case(case)
    return case, results


def test_assessment_input_carries_the_held_sum_of_orifices_and_the_texts_name_it(tmp_path: Path) -> None:
    case, results = _one_orifice_case(tmp_path, confirmed=False)
    inp = assessment_input(case, results)
    assert "planimetry" not in inp.mva and inp.held["mva_planimetry"].value == pytest.approx(1.0)
    assert assess(inp).stenosis.statement == (
        "Stenosis not assessable (missing: mean gradient (mitral inflow); planimetered MVA held "
        "(1.00 cm², 1 of 3 expected orifices summed; confirm to use))")


def test_a_confirmed_sum_is_used_and_nothing_is_held(tmp_path: Path) -> None:
    case, results = _one_orifice_case(tmp_path, confirmed=True)
    inp = assessment_input(case, results)
    assert inp.mva["planimetry"].value == pytest.approx(1.0) and inp.held == {}
    assert "held" not in assess(inp).stenosis.statement
