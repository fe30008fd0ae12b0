"""Criterion, finding and band texts are generated from the threshold numbers (no number typed twice)."""

from __future__ import annotations

import ast
import inspect
import re
from types import ModuleType

import pytest

from measurements import compute, concepts, thresholds
from planning import assessment
from planning.assessment import CRITERIA, assess
from tests.planning.inputs import case_input

#: A number written next to a unit inside a string literal: such a text must be generated instead.
NUMBER_WITH_UNIT = re.compile(r"\d\s*(mmHg|cm²|cm2|mm\b|/min|bpm)|\b60\s*[-–]\s*80\b")


def _literals(module: ModuleType) -> list[str]:
    """String literals of a module's code, without docstrings."""
    tree = ast.parse(inspect.getsource(module))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef) and n.body
                  and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


@pytest.mark.parametrize("module", [assessment, compute, thresholds, concepts], ids=lambda m: m.__name__)
def test_no_threshold_number_is_typed_into_a_text(module: ModuleType) -> None:
    assert [s for s in _literals(module) if NUMBER_WITH_UNIT.search(s)] == []


def test_each_criterion_text_names_its_own_threshold() -> None:
    for c in CRITERIA.values():
        if c.threshold is not None and c.unit != "fraction":
            assert f"{c.threshold:g}" in c.text, c.id


def test_the_heart_rate_band_is_one_definition() -> None:
    lo, hi = concepts.MG_VALID_HR_BPM
    assert (CRITERIA["hr_low"].threshold, CRITERIA["hr_high"].threshold) == (lo, hi) == (60, 80)
    inside = [b for b in thresholds.BANDS if b.scheme == concepts.HR_VALIDITY and b.label.startswith("within")]
    assert [(b.lower, b.upper, b.upper_inclusive) for b in inside] == [(lo, hi, True)]
    assert "60-80" in compute.HR_RANGE_WARNING and "60–80" in CRITERIA["hr_low"].text
    # W12: 80 /min is inside (no warning), 81 is outside
    at_80 = assess(case_input(mg=3.2, hr=80))
    assert not any("outside" in w for w in at_80.stenosis.warnings)
    assert any("81 bpm is outside 60–80 /min" in w for w in assess(case_input(mg=3.2, hr=81)).stenosis.warnings)


def test_finding_texts_follow_the_mvarc_cut_offs() -> None:
    # MG 5.0 is significant (MVARC success needs < 5); MVA 1.50 is not (needs >= 1.5)
    out = assess(case_input(mg=5.0, hr=72, mva=1.50))
    texts = [f.text for f in out.stenosis.findings]
    assert "Mean gradient 5.0 mmHg at HR 72 bpm is ≥ 5 mmHg (MVARC)" in texts
    assert "Planimetered MVA 1.50 cm² is ≥ 1.5 cm² (MVARC)" in texts
