"""The synthetic demo study: readable as a real study, deterministic, and true to its stated truth.

Expected numbers are hand arithmetic from the phantom's stated geometry (see each comment).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from demo.phantom import cw_strip, polyline_metrics, write_demo_study
from imaging.loop import Loop, read_info

KEYS = ("me_commissural", "me_long_axis", "color_flow", "cw_mv_inflow", "cw_mr")


def test_one_patient_one_study_five_images(demo_study) -> None:
    assert tuple(demo_study.files) == KEYS
    infos = [read_info(demo_study.files[k]) for k in KEYS]
    assert {i.patient_name for i in infos} == {"MitraPlan^Demo"}
    assert len({i.study_instance_uid for i in infos}) == 1
    assert len({i.sop_instance_uid for i in infos}) == 5
    assert {(i.rows, i.columns) for i in infos} == {(600, 800)}
    assert {i.transfer_syntax_uid for i in infos} == {"1.2.840.10008.1.2.4.50"}
    assert {i.photometric for i in infos} == {"YBR_FULL_422"}
    assert [i.n_frames for i in infos] == [60, 60, 40, 1, 1]
    assert all(i.timing.heart_rate_bpm == 72.0 and not i.warnings for i in infos)


def test_rewriting_gives_the_same_uids_and_bytes(demo_study, tmp_path: Path) -> None:
    again = write_demo_study(tmp_path)
    for key in KEYS:
        assert again.truth[key]["sop_instance_uid"] == demo_study.truth[key]["sop_instance_uid"]
    assert again.files["cw_mr"].read_bytes() == demo_study.files["cw_mr"].read_bytes()


def test_loop_timing_frame_time_and_frame_time_vector(demo_study) -> None:
    commissural = read_info(demo_study.files["me_commissural"]).timing
    assert commissural.source == "FrameTime" and commissural.fps == pytest.approx(40.0)  # 1000 / 25 ms
    # R waves at 100 ms and 100 + 60000/72 = 933.33 ms within the 1.5 s loop
    assert commissural.r_wave_times_ms == pytest.approx((100.0, 100.0 + 60000 / 72))
    long_axis = read_info(demo_study.files["me_long_axis"]).timing
    assert long_axis.source == "FrameTimeVector" and long_axis.warnings == ()
    # steps alternate 30 ms (odd k) and 36 ms (even k): frame 3 starts at 30 + 36 + 30 = 96 ms
    assert long_axis.frame_times_ms[:4] == pytest.approx((0.0, 30.0, 66.0, 96.0))
    assert long_axis.frame_times_ms[59] == pytest.approx(30 * 30.0 + 29 * 36.0)


def test_2d_calibration_gives_the_stated_annulus(demo_study) -> None:
    for key, expected_cm in (("me_commissural", 4.0), ("me_long_axis", math.hypot(3.0, 0.9))):
        # commissural: 160 px x 0.025 = 4.0 cm; long axis: (120 x 0.025, 40 x 0.0225) = (3.0, 0.9) cm
        info = read_info(demo_study.files[key])
        (region,) = info.regions
        assert region.is_spatial and (region.delta_x, region.delta_y) == (0.025, 0.0225)
        assert region.reference_index == (400, 40)  # the sector apex
        (xa, ya), (xb, yb) = demo_study.truth[key]["annulus_points"]
        (pa, qa), (pb, qb) = region.to_physical(xa, ya), region.to_physical(xb, yb)
        assert math.hypot(pb - pa, qb - qa) == pytest.approx(expected_cm, rel=1e-12)
        assert demo_study.truth[key]["annulus_cm"] == pytest.approx(expected_cm, rel=1e-12)


def test_clips_are_bright_with_a_shadow(demo_study) -> None:
    with Loop.open(demo_study.files["me_commissural"]) as loop:
        frame = loop.frame(0)[..., 0].astype(int)
        for x, y in demo_study.truth["me_commissural"]["clip_centres"]:
            col, row = int(x), int(y)
            assert frame[row - 3:row + 4, col - 2:col + 3].mean() > 200
            assert frame[row + 60:row + 80, col - 4:col + 5].mean() < 60  # acoustic shadow below


def test_colour_flow_has_two_regions_and_a_systolic_jet(demo_study) -> None:
    truth = demo_study.truth["color_flow"]
    info = read_info(demo_study.files["color_flow"])
    tissue, colour = info.regions
    assert (tissue.data_type, colour.data_type) == (1, 2)
    assert colour.reference_index == tissue.reference_index == (400, 40)  # same calibration
    assert truth["vena_contracta_cm"] == pytest.approx(20 * 0.025)
    systolic = truth["systolic_frames"]
    diastolic = [k for k in range(40) if k not in systolic]
    with Loop.open(demo_study.files["color_flow"]) as loop:
        def chroma(k: int) -> np.ndarray:
            rgb = loop.frame(k).astype(int)
            return (rgb.max(axis=2) - rgb.min(axis=2)) > 60
        jet = chroma(systolic[2])
        x0, y0, x1, y1 = colour.bounds
        inside = jet[y0:y1 + 1, x0:x1 + 1].sum()
        assert inside > 500 and jet.sum() == inside  # colour only inside the colour box
        nx, ny = truth["jet_neck"]
        assert jet[int(ny) - 3, int(nx) - 8:int(nx) + 8].mean() > 0.5  # mosaic (some pixels white)
        assert not chroma(diastolic[0])[int(ny) - 40, int(nx)]


def test_cw_strip_regions_and_baseline(demo_study) -> None:
    info = read_info(demo_study.files["cw_mv_inflow"])
    thumb, spectral = info.regions
    assert thumb.is_spatial and spectral.is_spectral
    assert (spectral.spatial_format, spectral.data_type) == (3, 4)
    assert (spectral.delta_x, spectral.delta_y) == (0.004, -1.25)
    # baseline on region row 120 -> image row 200 + 120 = 320, whose centre is y = 320.5
    assert spectral.baseline_y == pytest.approx(320.5)
    assert spectral.to_physical(60.5, 320.5) == pytest.approx((0.0, 0.0))  # time origin: x0 40 + 20


def test_cw_inflow_truth_is_the_analytic_envelope() -> None:
    strip = cw_strip("mv_inflow")
    truth = strip.truth
    assert truth["vmax_m_s"] == 1.8 and truth["pht_ms"] == 150.0
    # VTI: 0.06*0.9 + 0.15*(1.8+1.27279)/2 + 0.03*(1.27279+1)/2 + 0.05*1.2 + 0.06*0.7 = 0.420551 m
    assert truth["vti_cm"] == pytest.approx(42.0551, abs=1e-3)
    # integral v^2 dt = 0.0648 + 0.357551 + 0.0389279 + 0.0726667 + 0.0392 = 0.5731456; MG = 4 * that / 0.35
    assert truth["mean_gradient_mmHg"] == pytest.approx(6.55024, abs=1e-4)
    assert len(truth["beats"]) == 3
    # beat 0: R at 0.1 s, inflow 0.58..0.93 s -> x = t / 0.004 + 60 + 0.5
    assert truth["beats"][0] == pytest.approx((0.58, 0.93))
    assert strip.x_range_for_beat(0) == pytest.approx((205.5, 293.0))


def test_cw_mr_truth() -> None:
    truth = cw_strip("mr").truth
    assert truth["vmax_m_s"] == 5.0 and truth["pht_ms"] is None
    # VTI: 0.05*1.8 + 0.10*4.3 + 0.12*4.85 + 0.10*3.85 + 0.05*1.5 = 1.562 m
    assert truth["vti_cm"] == pytest.approx(156.2)
    # integral v^2: 0.216 + 1.865333 + 2.8236 + 1.506333 + 0.15 = 6.561267; MG = 4 * that / 0.42
    assert truth["mean_gradient_mmHg"] == pytest.approx(62.48825, abs=1e-4)


def test_w1_polyline_by_the_clinical_formulas() -> None:
    # clinical.md W1: MG 6.521333 mmHg, VTI 61.25 cm
    w1 = [(0.0, 0.0), (0.05, 1.8), (0.15, 1.5), (0.30, 1.0), (0.45, 1.4), (0.50, 0.0)]
    metrics = polyline_metrics(w1)
    assert metrics["mean_gradient_mmHg"] == pytest.approx(6.521333, abs=1e-6)
    assert metrics["vti_cm"] == pytest.approx(61.25)


@pytest.mark.parametrize("invert", [False, True])
def test_cw_pixels_follow_the_envelope(invert: bool) -> None:
    strip = cw_strip("mv_inflow", invert=invert)
    rgb = strip.rgb[..., 0].astype(int)
    # E peak of beat 0 at t = 0.1 + 0.54 = 0.64 s -> column 60 + 0.64 / 0.004 = 220
    column = 220
    baseline = strip.truth["baseline_row"]
    step = 1 if invert else -1  # inflow (negative velocity) is drawn away from the MR side
    side = -step
    rows = baseline + side * np.arange(1, 200)
    bright = rgb[rows, column] > 60
    last = int(np.nonzero(bright)[0].max()) + 1  # pixels from the baseline to the envelope edge
    # |v| = 180 cm/s at 1.25 cm/s per row -> 144 rows from the baseline
    assert abs(last - 144) <= 1
    assert strip.region_item.PhysicalDeltaY == (1.25 if invert else -1.25)


def test_jpeg_round_trip_keeps_the_strip_close() -> None:
    clean = cw_strip("mr").rgb.astype(int)
    lossy = cw_strip("mr", jpeg_quality=80).rgb.astype(int)
    assert np.abs(clean - lossy).mean() < 10 and not np.array_equal(clean, lossy)
