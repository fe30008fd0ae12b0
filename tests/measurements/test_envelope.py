"""Automatic Doppler envelope on CW strips with known truth (issue 4 "Must show").

Acceptance (tightened by issue 11 once the envelope follows the outer edge): peak velocity within
2 %, mean gradient within 3 %, pressure half-time within 8 % of the truth, also after JPEG
compression and with the display inverted - on the demo phantom's
``cw_strip`` (demo/phantom.py) and, as an independent second rendering, on ``strips.py``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from demo.phantom import COLS, ROWS, cw_strip
from imaging.regions import parse_region
from measurements.doppler import DopplerError, pressure_half_time, trace_metrics, velocity_trace
from measurements.envelope import auto_envelope
from tests.measurements.strips import make_strip


@pytest.mark.parametrize("jpeg_quality", [None, 50])
@pytest.mark.parametrize("invert", [False, True])
@pytest.mark.parametrize("kind", ["mv_inflow", "mr"])
def test_envelope_on_the_demo_phantom(kind: str, invert: bool, jpeg_quality: int | None) -> None:
    strip = cw_strip(kind, invert=invert, jpeg_quality=jpeg_quality)
    region = parse_region(strip.region_item, 1, ROWS, COLS)
    truth = strip.truth
    assert len(truth["beats"]) >= 2
    for beat in range(len(truth["beats"])):
        points = auto_envelope(strip.rgb, region, *strip.x_range_for_beat(beat))
        trace = velocity_trace(points, region)
        m = trace_metrics(trace)
        assert m.vmax_m_s == pytest.approx(truth["vmax_m_s"], rel=0.02)
        assert m.mean_gradient_mmhg == pytest.approx(truth["mean_gradient_mmHg"], rel=0.03)
        assert m.sign == truth["sign"]
        if kind == "mv_inflow":
            assert pressure_half_time(trace).pht_ms == pytest.approx(truth["pht_ms"], rel=0.08)


def _traced(strip, beat: int, direction: str = "auto"):
    x0, x1 = strip.x_range_for_beat(beat)
    points = auto_envelope(strip.image, strip.region, x0, x1, direction=direction)
    return points, velocity_trace(points, strip.region)


@pytest.mark.parametrize("jpeg_quality", [None, 60])
@pytest.mark.parametrize("invert", [False, True])
@pytest.mark.parametrize("kind", ["mv_inflow", "mr"])
def test_envelope_on_independent_strips(kind: str, invert: bool, jpeg_quality: int | None) -> None:
    strip = make_strip(kind, invert=invert, jpeg_quality=jpeg_quality)
    truth = strip.truth
    for beat in range(strip.beats):
        _, trace = _traced(strip, beat)
        m = trace_metrics(trace)
        assert m.vmax_m_s == pytest.approx(truth["vmax_m_s"], rel=0.02)
        assert m.mean_gradient_mmhg == pytest.approx(truth["mean_gradient_mmHg"], rel=0.03)
        if kind == "mv_inflow":
            assert pressure_half_time(trace).pht_ms == pytest.approx(truth["pht_ms"], rel=0.08)
        # inflow is away from the probe (negative), MR toward it (positive), whatever the display side
        assert m.sign == (-1 if kind == "mv_inflow" else 1)


def test_envelope_points_are_image_coordinates_inside_the_span_and_region() -> None:
    strip = make_strip("mv_inflow")
    x0, x1 = strip.x_range_for_beat(1)
    points, trace = _traced(strip, 1)
    xs = [x for x, _ in points]
    assert all(b > a for a, b in itertools.pairwise(xs))
    assert x0 - 1 <= xs[0] and xs[-1] <= x1 + 1
    assert all(strip.region.contains(x, y) for x, y in points)
    assert trace[0][1] == pytest.approx(0.0, abs=0.05) and trace[-1][1] == pytest.approx(0.0, abs=0.05)


def test_baseline_line_and_speckle_alone_give_no_envelope() -> None:
    strip = make_strip("mv_inflow")
    blank = strip.image.copy()
    rng = np.random.default_rng(3)
    blank[12:, :] = rng.rayleigh(9.0, blank[12:, :, 0].shape)[..., None].clip(0, 255).astype(np.uint8)
    dots = rng.random(blank.shape[:2]) < 0.004
    blank[dots] = 230
    row = int(strip.region.baseline_y)
    blank[row, :] = 210
    with pytest.raises(DopplerError, match="no spectrum found"):
        auto_envelope(blank, strip.region, *strip.x_range_for_beat(0))


def test_explicit_direction_on_the_empty_side_finds_nothing() -> None:
    strip = make_strip("mv_inflow")  # inflow drawn below the baseline
    with pytest.raises(DopplerError, match="no spectrum found above"):
        auto_envelope(strip.image, strip.region, *strip.x_range_for_beat(0), direction="above")
    _, trace = _traced(strip, 0, direction="below")
    assert trace_metrics(trace).vmax_m_s == pytest.approx(strip.truth["vmax_m_s"], rel=0.03)


def test_bad_arguments_are_refused() -> None:
    strip = make_strip("mv_inflow")
    with pytest.raises(DopplerError, match="direction"):
        auto_envelope(strip.image, strip.region, 10, 100, direction="up")
    with pytest.raises(DopplerError, match="at least 3 columns"):
        auto_envelope(strip.image, strip.region, 10, 11)
