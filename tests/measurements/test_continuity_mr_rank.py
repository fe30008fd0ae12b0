"""The continuity-MVA warning (docs/clinical-criteria.md §1.5: invalid with ≥ moderate MR, S3) reads a recorded MR
grade by its MVARC rank, never by a substring: "mild-to-moderate" is not a grade of the case file and ranks nothing."""

from __future__ import annotations

import math

import pytest

from measurements import continuity
from measurements.compute import MR_GRADE_RANK, measure_all
from measurements.marks import MarkType
from planning.vocab import MRGrade
from tests.measurements.factories import trace_to_image
from tests.measurements.test_compute import CW, _mark, regions_for

# W8: LVOT 2.00 cm (100 px × 0.02), VTI_LVOT 20 cm (1 m/s for 0.2 s), VTI_MV 80 cm (1 m/s for 0.8 s) → MVA 0.79 cm²
W8_MARKS = [
    _mark("lvotd", MarkType.DISTANCE, [(10.5, 10.5), (110.5, 10.5)], purpose="lvot_diameter"),
    _mark("lvot", MarkType.DOPPLER_TRACE, trace_to_image(CW, [(2.0, 1.0), (2.2, 1.0)]), region=2),
    _mark("mv", MarkType.DOPPLER_TRACE, trace_to_image(CW, [(2.5, -1.0), (3.3, -1.0)]), region=2),
]
W8_CALC = {"id": "c2", "type": "continuity", "lvot_diameter_mark": "lvotd", "lvot_trace_mark": "lvot",
           "mv_trace_mark": "mv"}


def _continuity_warned(recorded: list[str]) -> bool:
    results, errors = measure_all(W8_MARKS, [W8_CALC], regions_for, recorded_mr_grades=recorded)
    assert errors == []
    mva = next(r for r in results if r.id == "c2.mva_continuity")
    assert mva.value == pytest.approx(math.pi * 20 / 80, rel=1e-9)  # W8: 0.785 → 0.79 cm²
    return continuity.CONTINUITY_MR_WARNING in mva.warnings


@pytest.mark.parametrize(("recorded", "warned"), [
    ([], False),
    (["none/trace"], False), (["mild"], False),      # rank 0, 1: below moderate
    (["moderate"], True),                            # rank 2 (2+): the boundary
    (["moderate-to-severe"], True), (["severe"], True),
    (["mild-to-moderate"], False),                   # not a case-file grade: the old substring test counted it
    (["mild", "moderate"], True),                    # any recorded grade (total or a jet) of 2+ or worse
])
def test_recorded_grades_count_by_their_rank(recorded: list[str], warned: bool) -> None:
    assert _continuity_warned(recorded) is warned


def test_the_rank_table_is_the_case_vocabulary() -> None:
    assert {g.value: g.rank for g in MRGrade} == MR_GRADE_RANK
