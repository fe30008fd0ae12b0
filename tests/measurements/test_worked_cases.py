"""clinical.md §5 worked cases W1-W16, with the arithmetic written out (golden numbers by hand)."""

from __future__ import annotations

import math

import pytest

from measurements import continuity, doppler, geometry, pisa
from measurements.compute import measure_mark
from measurements.concepts import value_text
from measurements.marks import Mark, MarkType
from measurements.thresholds import (
    ACC,
    EAE,
    GERMAN,
    HR_VALIDITY,
    MR5,
    MVARC,
    POST_TEER,
    grade,
    round_half_up,
    shown,
)
from tests.measurements.factories import spatial_region, spectral_region, trace_to_image

REL = 1e-9


def labels(quantity: str, value: float, scheme: str) -> str:
    (g,) = grade(quantity, value, scheme)
    return g.label


def ms(trace_ms: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(t / 1000.0, v) for t, v in trace_ms]


# --- W1 -------------------------------------------------------------------------------------------
W1 = ms([(0, 0.0), (50, 1.8), (150, 1.5), (300, 1.0), (450, 1.4), (500, 0.0)])


def test_w1_mean_gradient_exact_segments_vti_mean_velocity() -> None:
    m = doppler.trace_metrics(W1)
    # Σ Δt(a²+ab+b²)/3 = 0.054 + 0.273 + 0.2375 + 0.218 + 0.0326667 = 0.8151667 m²/s; MG = 4·0.8151667/0.5
    integral = 0.05 * 3.24 / 3 + 0.10 * (3.24 + 2.70 + 2.25) / 3 + 0.15 * (2.25 + 1.50 + 1.00) / 3 \
        + 0.15 * (1.00 + 1.40 + 1.96) / 3 + 0.05 * 1.96 / 3
    assert m.mean_gradient_mmhg == pytest.approx(4 * integral / 0.5, rel=REL)
    assert m.mean_gradient_mmhg == pytest.approx(6.521333, abs=1e-6)
    assert shown("mean_gradient", m.mean_gradient_mmhg) == 6.5
    # not the vertex trapezoid of 4v² (6.962) and not 4·Vmean² (6.0025)
    assert shown("mean_gradient", m.mean_gradient_mmhg) not in (7.0, 6.0)
    # VTI = 0.045 + 0.165 + 0.1875 + 0.18 + 0.035 = 0.6125 m = 61.25 cm -> 61.3 (half-up)
    assert m.vti_cm == pytest.approx(61.25, rel=REL)
    assert shown("vti", m.vti_cm) == 61.3
    assert m.mean_velocity_m_s == pytest.approx(0.6125 / 0.5, rel=REL)  # 1.225 -> 1.23
    assert shown("mean_velocity", m.mean_velocity_m_s) == 1.23
    assert m.duration_s == pytest.approx(0.5, rel=REL)
    # MG 6.5 >= 5.0: MVARC significant; EAE 2009 moderate (5-10)
    assert labels("mean_gradient", m.mean_gradient_mmhg, MVARC).startswith("significant MS")
    assert labels("mean_gradient", m.mean_gradient_mmhg, EAE) == "moderate"


def test_w1_through_a_spectral_mark_below_the_baseline() -> None:
    # 1 ms/px, -1 cm/s per px: inflow away from the probe is drawn below the baseline (negative v)
    region = spectral_region(dx=0.001, dy=-1.0)
    points = trace_to_image(region, [(t, -v) for t, v in W1])
    mark = Mark("m3", MarkType.DOPPLER_TRACE, "MV inflow", "1.2.3", 1, 1, tuple(points), purpose="mv_inflow")
    by_q = {r.quantity: r for r in measure_mark(mark, region)}
    assert by_q["mean_gradient"].value == pytest.approx(6.521333, abs=1e-6)
    assert by_q["vti"].value == pytest.approx(61.25, rel=1e-9)
    assert by_q["vmax"].value == pytest.approx(1.8, rel=1e-9)
    assert by_q["mean_gradient"].unit == "mmHg" and by_q["vti"].unit == "cm" and by_q["vmax"].unit == "m/s"
    assert {g.scheme for g in by_q["mean_gradient"].grades} == {MVARC, EAE}


# --- W2 -------------------------------------------------------------------------------------------
def test_w2_mean_of_instantaneous_gradients_not_gradient_of_mean() -> None:
    m = doppler.trace_metrics(ms([(0, 2.0), (100, 1.6), (200, 1.2), (300, 1.2), (400, 1.6)]))
    # 0.3253333 + 0.1973333 + 0.144 + 0.1973333 = 0.864; MG = 4·0.864/0.4 = 8.64
    assert m.mean_gradient_mmhg == pytest.approx(8.64, rel=1e-9)
    assert shown("mean_gradient", m.mean_gradient_mmhg) == 8.6
    assert m.vti_cm == pytest.approx(58.0, rel=1e-9)  # 0.18+0.14+0.12+0.14 = 0.58 m
    assert m.mean_velocity_m_s == pytest.approx(1.45, rel=1e-9)
    assert m.mean_gradient_mmhg != pytest.approx(8.41)  # 4·1.45² is the wrong method
    assert m.mean_gradient_mmhg != pytest.approx(8.72)  # vertex trapezoid not accepted


# --- W3 -------------------------------------------------------------------------------------------
def test_w3_peak_velocity_units_and_plausibility() -> None:
    region = spectral_region(dx=0.001, dy=-1.0)
    # (a) 180 cm/s read from the calibration -> 1.80 m/s -> PG 4·1.8² = 12.96 -> 13.0
    (x, y) = region.to_image(0.2, 180.0)
    point = Mark("p", MarkType.POINT, "inflow peak", "1.2.3", 1, 1, ((x, y),))
    by_q = {r.quantity: r for r in measure_mark(point, region)}
    assert by_q["vmax"].value == pytest.approx(1.80, rel=1e-9)
    assert by_q["peak_gradient"].value == pytest.approx(12.96, rel=1e-9)
    assert shown("peak_gradient", by_q["peak_gradient"].value) == 13.0
    # (b) MR 500 cm/s -> 5.00 m/s -> 100.0 mmHg
    assert doppler.peak_gradient(5.0) == pytest.approx(100.0, rel=1e-9)
    # (c) forgetting cm/s -> m/s: 4·180² = 129600 mmHg must be refused
    with pytest.raises(doppler.DopplerError, match="implausible"):
        doppler.peak_gradient(180.0)


# --- W4 -------------------------------------------------------------------------------------------
def test_w4a_b_pht_to_mva_both_schemes() -> None:
    assert doppler.mva_from_pht(220.0) == pytest.approx(1.0, rel=1e-12)  # 220/220
    assert labels("mva_pht", 1.0, EAE) == "moderate"  # 1.0-1.5 inclusive
    assert labels("mva_pht", 1.0, ACC) == "very severe"  # <= 1.0
    assert labels("pht", 220, ACC) == "very severe"  # >= 220
    mva = doppler.mva_from_pht(150.0)  # 220/150 = 1.4666667 -> 1.47
    assert mva == pytest.approx(1.4666667, abs=1e-7) and shown("mva_pht", mva) == 1.47
    assert labels("mva_pht", mva, EAE) == "moderate"
    assert labels("mva_pht", mva, ACC) == "C/D severe"
    assert labels("pht", 150, ACC) == "C/D severe"


def test_w4c_pht_from_a_fitted_slope() -> None:
    # V0 = 1.6 m/s, linear deceleration 2.0 m/s²: V0/√2 = 1.1313708; ΔV = 0.4686292; PHT = 0.2343146 s
    trace = [(i * 0.01, 1.6 - 2.0 * i * 0.01) for i in range(0, 71)]  # 1.6 -> 0.2 m/s over 0.7 s
    fit = doppler.pressure_half_time(trace)
    assert fit.slope_m_s2 == pytest.approx(2.0, rel=1e-9)
    assert fit.v0_m_s == pytest.approx(1.6, rel=1e-9)
    assert fit.pht_ms == pytest.approx(234.3146, abs=1e-4)
    assert shown("pht", fit.pht_ms) == 234
    mva = doppler.mva_from_pht(fit.pht_ms)  # from the unrounded PHT: 220/234.3146 = 0.9389087
    assert mva == pytest.approx(0.9389087, abs=1e-7) and shown("mva_pht", mva) == 0.94
    assert labels("mva_pht", mva, EAE) == "severe"
    assert fit.deceleration_time_ms == pytest.approx(800.0, rel=1e-9)  # 1.6/2.0 s


def test_w4d_pht_from_deceleration_time_uses_the_exact_factor() -> None:
    pht = doppler.pht_from_deceleration_time(750.0)  # 750·0.2928932 = 219.67
    assert pht == pytest.approx(219.6699, abs=1e-4) and shown("pht", pht) == 220
    mva = doppler.mva_from_pht(pht)  # 1.0015026 -> 1.00; the 0.29 shortcut would give 1.01
    assert mva == pytest.approx(1.0015026, abs=1e-7)
    assert shown("mva_pht", mva) == 1.00


def test_w4_pht_results_carry_the_post_teer_warning() -> None:
    region = spectral_region(dx=0.001, dy=-1.0)
    trace = [(i * 0.01, -(1.6 - 2.0 * i * 0.01)) for i in range(0, 71)]
    mark = Mark("m3", MarkType.DOPPLER_TRACE, "MV inflow", "1.2.3", 1, 1,
                tuple(trace_to_image(region, trace)), purpose="mv_inflow")
    by_q = {r.quantity: r for r in measure_mark(mark, region)}
    assert by_q["pht"].value == pytest.approx(234.3146, abs=1e-3)
    assert any("not validated after TEER" in w for w in by_q["pht"].warnings)
    assert any("not validated after TEER" in w for w in by_q["mva_pht"].warnings)


# --- W5, W6 ---------------------------------------------------------------------------------------
def test_w5_pisa_moderate_to_severe_and_the_shortcut_disagrees() -> None:
    res = pisa.pisa_mr(0.90, 38.5, 500.0, 150.0)
    # 2π·0.81 = 5.0893801 cm²; Q = ·38.5 = 195.94113 mL/s; EROA = /500 = 0.3918823; RVol = ·150 = 58.78234
    assert res.flow_ml_s == pytest.approx(2 * math.pi * 0.81 * 38.5, rel=1e-12)
    assert res.flow_ml_s == pytest.approx(195.94113, abs=1e-5)
    assert res.eroa_cm2 == pytest.approx(0.3918823, abs=1e-7)
    assert res.rvol_ml == pytest.approx(58.78234, abs=1e-5)
    assert shown("eroa_pisa", res.eroa_cm2) == 0.39 and labels("eroa_pisa", res.eroa_cm2, MR5) == "3+ moderate-to-severe"
    assert shown("rvol_pisa", res.rvol_ml) == 59 and labels("rvol_pisa", res.rvol_ml, MR5) == "3+ moderate-to-severe"
    rf = pisa.regurgitant_fraction(res.rvol_ml, 62.831853)  # 58.78234/(58.78234+62.83185) = 48.3351 %
    assert rf == pytest.approx(48.3351, abs=1e-4) and labels("rf_pisa", rf, MR5) == "3+ moderate-to-severe"
    # r²/2 = 0.405 -> 0.41 -> 4+: the shortcut is only an estimate
    assert pisa.eroa_shortcut(0.90) == pytest.approx(0.405) and labels("eroa_pisa", 0.405, MR5) == "4+ severe"


def test_w6_pisa_mild() -> None:
    res = pisa.pisa_mr(0.60, 40.0, 500.0, 160.0)
    # 2π·0.36 = 2.2619467; Q = 90.47787; EROA = 0.1809557; RVol = 28.95292
    assert res.flow_ml_s == pytest.approx(90.47787, abs=1e-5)
    assert res.eroa_cm2 == pytest.approx(0.1809557, abs=1e-7) and shown("eroa_pisa", res.eroa_cm2) == 0.18
    assert res.rvol_ml == pytest.approx(28.95292, abs=1e-5) and shown("rvol_pisa", res.rvol_ml) == 29
    assert labels("eroa_pisa", res.eroa_cm2, MR5) == "1+ mild" and labels("rvol_pisa", res.rvol_ml, MR5) == "1+ mild"
    assert shown("eroa_pisa", pisa.eroa_shortcut(0.60)) == 0.18


# --- W7 -------------------------------------------------------------------------------------------
def test_w7_pisa_mva_with_angle_correction() -> None:
    mva = pisa.pisa_mva(1.00, 35.0, 180.0, 120.0)
    # 2π·35 = 219.91149; /180 = 1.2217305; ·120/180 = 0.8144870
    assert mva == pytest.approx(0.8144870, abs=1e-7) and shown("mva_pisa", mva) == 0.81
    assert labels("mva_pisa", mva, EAE) == "severe" and labels("mva_pisa", mva, ACC) == "very severe"
    assert shown("mva_pisa", pisa.pisa_mva(1.00, 35.0, 180.0, 180.0)) == 1.22  # α ignored would read 1.22


# --- W8 -------------------------------------------------------------------------------------------
def test_w8_continuity_mva() -> None:
    # CSA = π·1² = 3.1415927; SV = ·20 = 62.831853 mL; MVA = /80 = 0.7853982 -> 0.79
    assert continuity.stroke_volume(2.00, 20.0) == pytest.approx(62.831853, abs=1e-6)
    assert shown("sv_lvot", continuity.stroke_volume(2.00, 20.0)) == 63
    mva = continuity.continuity_mva(2.00, 20.0, 80.0)
    assert mva == pytest.approx(math.pi * 20.0 / 80.0, rel=1e-12) and shown("mva_continuity", mva) == 0.79


# --- W9 -------------------------------------------------------------------------------------------
def _caliper(region, p, q, purpose="vena_contracta") -> float:
    mark = Mark("vc", MarkType.DISTANCE, "VC", "1.2.3", 1, 0, (p, q), purpose=purpose)
    (result,) = measure_mark(mark, region)
    return result.value


def test_w9a_isotropic_vena_contracta() -> None:
    # Δx 24 px · 0.025 = 0.600, Δy 10 px · 0.025 = 0.250 -> √0.4225 = 0.65 cm -> moderate
    vc = _caliper(spatial_region(0.025, 0.025), (412.5, 300.5), (436.5, 310.5))
    assert vc == pytest.approx(0.65, rel=1e-9)
    assert labels("vena_contracta", vc, MR5).startswith("2+/3+ moderate")


def test_w9b_anisotropic_pixels_are_not_square() -> None:
    # 20 px · 0.03 = 0.60; 15 px · 0.02 = 0.30 -> √0.45 = 0.6708204 -> 0.67 (moderate); ΔX for both axes = 0.75
    vc = _caliper(spatial_region(0.03, 0.02), (200.5, 150.5), (220.5, 165.5))
    assert vc == pytest.approx(math.sqrt(0.45), rel=1e-9) and shown("vena_contracta", vc) == 0.67
    assert labels("vena_contracta", vc, MR5).startswith("2+/3+ moderate")
    assert vc != pytest.approx(0.75, abs=0.01)


@pytest.mark.parametrize(("value", "expected"), [
    (0.70, "4+ severe"), (0.69, "2+/3+ moderate (VCW cannot separate 2+/3+)"),
    (0.30, "2+/3+ moderate (VCW cannot separate 2+/3+)"), (0.29, "1+ mild")])
def test_w9c_vena_contracta_boundaries(value: float, expected: str) -> None:
    assert labels("vena_contracta", value, MR5) == expected


def test_w9c_biplane_needs_more_than_0_8() -> None:
    assert labels("vena_contracta_biplane", 0.80, MR5) != "4+ severe"
    assert labels("vena_contracta_biplane", 0.81, MR5) == "4+ severe"


# --- W10, W15 -------------------------------------------------------------------------------------
PENTAGON = [(0, 0), (60, 0), (80, 40), (30, 70), (-10, 30)]


def test_w10a_pentagon_shoelace_either_order() -> None:
    # terms 0 + 2400 + 4400 + 1600 + 0 = 8400 -> 4200 px² -> ·0.03·0.025 = 3.15 cm²
    region = spatial_region(0.03, 0.025)
    assert geometry.shoelace_px(PENTAGON) == 4200.0
    assert geometry.area_cm2(PENTAGON, region) == pytest.approx(3.15, rel=1e-12)
    assert geometry.area_cm2(PENTAGON[::-1], region) == pytest.approx(3.15, rel=1e-12)


def test_w10b_double_orifice_sum_then_round() -> None:
    region = spatial_region(0.02, 0.02)  # 0.0004 cm²/px²
    medial = [(10, 10), (50, 10), (60, 40), (20, 50)]  # -400+1400+2200-300 = 2900 -> 1450 px² -> 0.58
    lateral = [(120, 20), (150, 15), (172, 45), (125, 55)]  # -1200+4170+3835-4100 = 2705 -> 1352.5 -> 0.541
    a_med, a_lat = geometry.area_cm2(medial, region), geometry.area_cm2(lateral, region)
    assert a_med == pytest.approx(0.58, rel=1e-12) and a_lat == pytest.approx(0.541, rel=1e-12)
    total = geometry.total_area_cm2([a_med, a_lat])
    assert shown("mva_planimetry", total) == 1.12  # 1.121; not 0.58 + 0.54 rounded first
    assert labels("mva_planimetry", total, MVARC).startswith("significant MS")
    assert labels("mva_planimetry", total, EAE) == "moderate"
    assert labels("mva_planimetry", total, ACC) == "C/D severe"


def test_w15_rounding_tie_is_decimal_half_up() -> None:
    total = (1450 + 1312.5) * 0.0004  # 2762.5 px² · 0.0004 = 1.105 (double 1.10499999999999998...)
    assert round(total, 2) == 1.1  # binary round() - must not be used
    assert round_half_up(total, "0.01") == round_half_up(1.105, "0.01")
    assert shown("mva_planimetry", total) == 1.11
    assert value_text("mva_planimetry", total) == "1.11 cm²"


# --- W11 ------------------------------------------------------------------------------------------
def test_w11_volumetric_numbers_grade_mild() -> None:
    # SV_total 180-100 = 80 mL; RVol = 80 - 62.831853 = 17.168147 -> 17; RF = 21 %; EROA = 17.168147/150 = 0.11
    rvol = 80.0 - continuity.stroke_volume(2.0, 20.0)
    assert rvol == pytest.approx(17.168147, abs=1e-6)
    rf, eroa = 100 * rvol / 80.0, rvol / 150.0
    assert (shown("rvol_volumetric", rvol), shown("rf_volumetric", rf), shown("eroa_volumetric", eroa)) == (17, 21, 0.11)
    # graded as volumetric numbers: the post-TEER volumetric scheme (the preferred method after TEER) is the
    # headline, the 5-class scale second; never the PISA quantities' grading.
    for quantity, value in (("rvol_volumetric", rvol), ("rf_volumetric", rf), ("eroa_volumetric", eroa)):
        assert [(g.scheme, g.label) for g in grade(quantity, value)] == [(POST_TEER, "mild"), (MR5, "1+ mild")]


def test_volumetric_post_teer_bands_have_no_2_3_split() -> None:
    # post-TEER volumetric RVol: <30 mild, 30-59 moderate, >=60 severe (mirrors S1); 45 is 3+ on the 5-class scale
    assert labels("rvol_volumetric", 45, POST_TEER) == "moderate" and labels("rvol_volumetric", 45, MR5) == "3+ moderate-to-severe"
    assert labels("rvol_volumetric", 59.4, POST_TEER) == "moderate" and labels("rvol_volumetric", 59.5, POST_TEER) == "severe"
    assert labels("rf_volumetric", 49, POST_TEER) == "moderate" and labels("rf_volumetric", 50, POST_TEER) == "severe"
    assert labels("eroa_volumetric", 0.39, POST_TEER) == "moderate" and labels("eroa_volumetric", 0.40, POST_TEER) == "severe"


# --- W12 ------------------------------------------------------------------------------------------
def test_w12a_heart_rate_from_frames() -> None:
    hr = doppler.heart_rate_from_frames(12, 57, 16.667)  # RR = 45·16.667 = 750.015 ms -> 79.9984
    assert hr == pytest.approx(60000 / 750.015, rel=1e-12) and shown("heart_rate", hr) == 80
    assert labels("heart_rate", hr, HR_VALIDITY) == "within 60-80 /min"
    assert labels("heart_rate", 81, HR_VALIDITY) == "above 80 /min"


def test_w12b_heart_rate_from_a_spectral_rr_caliper() -> None:
    region = spectral_region(dx=0.004, dy=-1.0)  # 200 px · 0.004 = 0.800 s -> 75 /min
    mark = Mark("rr", MarkType.DISTANCE, "R-R", "1.2.3", 1, 1, ((100.5, 400.5), (300.5, 400.5)), purpose="rr_interval")
    by_q = {r.quantity: r for r in measure_mark(mark, region)}
    assert by_q["time_interval"].value == pytest.approx(800.0, rel=1e-9)
    assert by_q["heart_rate"].value == pytest.approx(75.0, rel=1e-9)


def test_w12_heart_rate_from_consecutive_beat_starts() -> None:
    assert doppler.heart_rate_from_starts([0.1, 0.9, 1.7]) == pytest.approx(75.0, rel=1e-9)  # 0.8 s apart


# --- W13 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("quantity", "value", "scheme", "expected"), [
    ("eroa_pisa", 0.40, MR5, "4+ severe"),            # severe is ">=0.40"
    ("eroa_pisa", 0.39, MR5, "3+ moderate-to-severe"),
    ("eroa_pisa", 0.20, MR5, "2+ moderate"),          # mild is "<0.20"
    ("eroa_pisa", 0.3999, MR5, "4+ severe"),          # shown 0.40
    ("rvol_pisa", 30, MR5, "2+ moderate"),
    ("rvol_pisa", 45, MR5, "3+ moderate-to-severe"),
    ("rvol_pisa", 60, MR5, "4+ severe"),
    ("rf_pisa", 50, MR5, "4+ severe"),
    ("rf_pisa", 49.5, MR5, "4+ severe"),              # shown 50 (half-up)
    ("vena_contracta", 0.70, MR5, "4+ severe"),
    ("mean_gradient", 5.0, MVARC, "significant MS (MG ≥5 mmHg)"),
    ("mean_gradient", 4.9, MVARC, "no significant MS (MG <5 mmHg)"),
    ("mean_gradient", 5.0, EAE, "moderate"),
    ("mean_gradient", 10.0, EAE, "moderate"),         # severe is ">10"
    ("mean_gradient", 10.1, EAE, "severe"),
    ("mva_planimetry", 1.50, MVARC, "no significant MS (MVA ≥1.5 cm²)"),
    ("mva_planimetry", 1.50, EAE, "moderate"),        # mild is ">1.5"
    ("mva_planimetry", 1.50, ACC, "C/D severe"),      # "<=1.5": conflicts with MVARC at the same value
    ("mva_planimetry", 1.00, EAE, "moderate"),        # severe "<1.0"
    ("mva_planimetry", 1.00, ACC, "very severe"),     # "<=1.0"
    ("pht", 150, ACC, "C/D severe"),                  # ">=150"
    ("pasp", 50, EAE, "moderate"),                    # severe ">50"
    ("heart_rate", 80, HR_VALIDITY, "within 60-80 /min"),
])
def test_w13_boundary_table(quantity: str, value: float, scheme: str, expected: str) -> None:
    assert labels(quantity, value, scheme) == expected


def test_w13_every_grade_names_its_scheme_and_source() -> None:
    grades = grade("mva_planimetry", 1.50)
    assert {g.scheme for g in grades} == {MVARC, EAE, ACC}
    assert all(g.source for g in grades)


# --- W14 ------------------------------------------------------------------------------------------
def test_w14_spectral_rows_to_velocity_through_a_point_mark() -> None:
    # region-relative baseline row 120, ΔY = -1.5 (cm/s)/px: row 0 -> +180 cm/s; row 240 -> -180 cm/s
    region = spectral_region(dx=0.004, dy=-1.5, bounds=(100, 300, 739, 599), ref=(600, 120))
    for row, v_m_s in [(0, 1.80), (30, 1.35), (240, 1.80)]:
        mark = Mark("p", MarkType.POINT, "v", "1.2.3", 1, 1, ((400.5, 300 + row + 0.5),))
        assert measure_mark(mark, region)[0].value == pytest.approx(v_m_s, rel=1e-12)  # |v|
    assert region.to_physical(400.5, 300 + 240 + 0.5)[1] == pytest.approx(-180.0)
    assert region.to_physical(400.5, 300 + 120 + 0.5)[1] == 0.0  # the baseline reads exactly 0


# --- W16 ------------------------------------------------------------------------------------------
def test_w16_inputs_of_the_redo_teer_check_grade_as_expected() -> None:
    # posterior leaflet P1 8 mm: >= 7 (possible) but < 10 (not favourable) -> conditional
    assert labels("posterior_leaflet_length", 0.80, GERMAN) == "conditional (7-10 mm)"
    assert labels("posterior_leaflet_length", 0.70, GERMAN) == "conditional (7-10 mm)"
    assert labels("posterior_leaflet_length", 1.00, GERMAN) == "favourable (≥10 mm)"
    assert labels("posterior_leaflet_length", 0.69, GERMAN) == "unsuitable (<7 mm)"
    # MG 3.2 at HR 72, total MVA 2.40: no stenosis barrier by MVARC
    assert labels("mean_gradient", 3.2, MVARC).startswith("no significant")
    assert labels("mva_planimetry", 2.40, MVARC).startswith("no significant")
    assert labels("heart_rate", 72, HR_VALIDITY) == "within 60-80 /min"
    # the 9.0 mm commissure distance measured with a caliper: 45 px · 0.02 cm = 0.90 cm
    assert _caliper(spatial_region(0.02, 0.02), (100.5, 100.5), (145.5, 100.5), purpose="") == pytest.approx(0.90)


def test_w4_pht_of_a_hand_placed_trace_is_its_drawn_slope() -> None:
    # vertices: peak 1.6 m/s, then 1.6 - 2.0·0.3 = 1.0 m/s 0.3 s later (the drawn slope), then an A wave
    trace = [(0.0, 0.0), (0.05, 1.6), (0.35, 1.0), (0.45, 1.3), (0.55, 0.0)]
    fit = doppler.pressure_half_time(trace)
    assert fit.slope_m_s2 == pytest.approx(2.0, rel=1e-9) and fit.pht_ms == pytest.approx(234.3146, abs=1e-4)
