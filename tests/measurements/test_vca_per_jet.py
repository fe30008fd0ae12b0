"""3D vena contracta area (docs/clinical-criteria.md §1.7, §2.2, §2.3, §8.2): the VCA bands (< 0.20 mild, 0.20-0.39
moderate, >= 0.40 severe) grade the VCA summed over all jets, so one jet's ``vca`` is shown ungraded and saying why;
the total ``vca_total`` is graded, also when it is the one mark of a single jet. Areas by hand at 0.02 cm/px
(0.0004 cm² per px²)."""

from __future__ import annotations

import pytest

from measurements import concepts, continuity, thresholds
from measurements.compute import VCA_PER_JET_NOTE, measure_all
from measurements.marks import MarkType
from tests.measurements.test_compute import _mark, regions_for
from tests.measurements.test_continuity_mr_rank import W8_CALC, W8_MARKS


def _vca(mid: str, width_px: int, height_px: int = 25, x0: int = 0) -> object:
    return _mark(mid, MarkType.AREA, [(x0, 0), (x0 + width_px, 0), (x0 + width_px, height_px), (x0, height_px)],
                 purpose="vca")


def _results(marks: list, calcs: list) -> dict:
    results, errors = measure_all(marks, calcs, regions_for)
    assert errors == []
    return {r.id: r for r in results}


def test_one_jets_vca_is_not_graded_and_says_why() -> None:
    by_id = _results([_vca("v1", 45)], [])  # 45 × 25 = 1125 px² = 0.45 cm²: severe were it the total
    vca = by_id["v1.vca"]
    assert vca.value == pytest.approx(0.45, rel=1e-9)
    assert vca.grades == ()
    assert vca.method.endswith(VCA_PER_JET_NOTE)
    assert thresholds.grade("vca", 0.45) == ()
    assert concepts.QUANTITIES["vca"].schemes == ()


@pytest.mark.parametrize(("widths", "total", "label"), [
    ((19,), 0.19, "mild"), ((20,), 0.20, "moderate"),              # 475 / 500 px²; mild is "< 0.20"
    ((39,), 0.39, "moderate"), ((40,), 0.40, "severe"),            # 975 / 1000 px²; severe is ">= 0.40"
    ((8, 12), 0.20, "moderate"),                                   # 0.08 + 0.12: two jets below 0.20 each, total 0.20
])
def test_the_total_is_graded_also_of_one_jet(widths: tuple[int, ...], total: float, label: str) -> None:
    marks = [_vca(f"v{i}", w, x0=100 * i) for i, w in enumerate(widths)]
    by_id = _results(marks, [{"id": "t", "type": "vca_total", "vca_marks": [m.id for m in marks]}])
    result = by_id["t.vca_total"]
    assert result.value == pytest.approx(total, rel=1e-9)
    assert {g.scheme: g.label for g in result.grades}[concepts.POST_TEER] == label
    assert all(by_id[f"{m.id}.vca"].grades == () for m in marks)


@pytest.mark.parametrize(("width_px", "warned"), [(19, False), (20, True)])  # 0.19 / 0.20 cm²
def test_one_jets_vca_at_the_moderate_cut_off_still_flags_the_continuity_mva(width_px: int, warned: bool) -> None:
    # areas add: one jet of >= 0.20 cm² puts the total at >= 0.20 (moderate), so the continuity MVA is invalid (S3)
    by_id = _results([*W8_MARKS, _vca("v1", width_px, x0=200)], [W8_CALC])
    assert (continuity.CONTINUITY_MR_WARNING in by_id["c2.mva_continuity"].warnings) is warned
