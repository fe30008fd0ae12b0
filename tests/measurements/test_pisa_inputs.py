"""PISA colour-flow inputs: the aliasing velocity is never assumed; baseline shift and funnel angle as
entered appear in the method text of every PISA result (shown and exported with it)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from measurements.compute import measure_all
from measurements.marks import MarkType
from tests.measurements.factories import trace_to_image
from tests.measurements.test_compute import CW, _mark, regions_for

# radius 45 px · 0.02 cm = 0.90 cm; MR 5 m/s held 0.3 s (clinical worked case W5)
MARKS = [_mark("r", MarkType.DISTANCE, [(150.5, 100.5), (195.5, 100.5)], region=1, purpose="pisa_radius"),
         _mark("mr", MarkType.DOPPLER_TRACE, trace_to_image(CW, [(1.0, 5.0), (1.3, 5.0)]), region=2,
               purpose="mr_jet")]
PISA: dict[str, Any] = {"id": "c1", "type": "pisa", "radius_mark": "r", "mr_trace_mark": "mr"}


@pytest.mark.parametrize("va", [{}, {"aliasing_velocity_m_s": None}])
def test_pisa_refuses_without_an_aliasing_velocity(va: dict[str, Any]) -> None:
    results, errors = measure_all(MARKS, [{**PISA, **va}], regions_for)
    assert "aliasing velocity Va" in dict(errors)["c1"] and "never assumed" in dict(errors)["c1"]
    assert not any(r.id.startswith("c1.") for r in results)


def test_baseline_shift_and_angle_are_shown_with_the_result() -> None:
    calc = {**PISA, "aliasing_velocity_m_s": 0.385, "baseline_shift_m_s": 0.2, "angle_deg": 120}
    results, errors = measure_all(MARKS, [calc], regions_for)
    assert errors == []
    by_id = {r.id: r for r in results}
    # EROA = 2π · 0.9² · 38.5 · 120/180 / 500 cm² (Va is the colour bar after the shift: used as entered)
    assert by_id["c1.eroa_pisa"].value == pytest.approx(2 * math.pi * 0.81 * 38.5 * (2 / 3) / 500, rel=1e-9)
    for q in ("pisa_flow", "eroa_pisa"):
        assert "Va 0.385 m/s, baseline shift 0.20 m/s, α 120°" in by_id[f"c1.{q}"].method
    plain = {r.id: r for r in measure_all(MARKS, [{**PISA, "aliasing_velocity_m_s": 0.385}], regions_for)[0]}
    assert plain["c1.eroa_pisa"].method == "PISA 2πr²Va / Vmax (Va 0.385 m/s, hemispheric (no α))"
