"""measure_mark refusals, the calibration convention through marks, and measure_all over a case."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from imaging.errors import CalibrationError, InputError
from measurements.compute import measure_all, measure_mark
from measurements.marks import Mark, MarkType
from tests.measurements.factories import spatial_region, spectral_region, trace_to_image

SOP = "1.2.3"


def _mark(mid: str, kind: MarkType, points, region: int = 0, purpose: str | None = None, label: str = "") -> Mark:
    return Mark(mid, kind, label or mid, SOP, 1, region, tuple(points), purpose=purpose)


# --- calibration convention -------------------------------------------------------------------------
def test_reference_pixel_centre_is_the_reference_value_and_relative_to_the_region() -> None:
    # region at (100, 300); Reference Pixel (600, 120) relative -> absolute index (700, 420), centre (700.5, 420.5)
    region = spectral_region(dx=0.004, dy=-1.5, bounds=(100, 300, 739, 599), ref=(600, 120), ref_value_x=0.25)
    assert region.to_physical(700.5, 420.5) == (0.25, 0.0)
    # one row above the baseline centre reads +1.5 cm/s = 0.015 m/s; a point mark gives |v|
    (vmax, _) = measure_mark(_mark("p", MarkType.POINT, [(700.5, 419.5)], region=1), region)
    assert vmax.value == pytest.approx(0.015, rel=1e-12)


def test_negative_delta_gives_positive_distances_and_areas() -> None:
    region = spatial_region(dx=-0.05, dy=0.05)
    # 3-4-5 triangle of 50 px at 0.05 cm/px = 2.5 cm
    (d,) = measure_mark(_mark("d", MarkType.DISTANCE, [(10.5, 10.5), (50.5, 40.5)]), region)
    assert d.value == pytest.approx(2.5, rel=1e-12) and d.unit == "cm"
    # 20 x 10 px rectangle = 200 px² · 0.0025 = 0.5 cm²
    (a,) = measure_mark(_mark("a", MarkType.AREA, [(0, 0), (20, 0), (20, 10), (0, 10)]), region)
    assert a.value == pytest.approx(0.5, rel=1e-12) and a.unit == "cm2"


def test_trace_held_at_one_metre_per_second_for_0_3_s_is_30_cm() -> None:
    region = spectral_region(dx=0.001, dy=-1.0)
    points = trace_to_image(region, [(0.1, 1.0), (0.4, 1.0)])
    by_q = {r.quantity: r for r in measure_mark(_mark("t", MarkType.DOPPLER_TRACE, points, region=1), region)}
    assert by_q["vti"].value == pytest.approx(30.0, rel=1e-9)
    assert by_q["mean_gradient"].value == pytest.approx(4.0, rel=1e-9)  # 4·1²
    assert by_q["duration"].value == pytest.approx(300.0, rel=1e-9)


@pytest.mark.parametrize(("kind", "points", "region", "message"), [
    (MarkType.DISTANCE, [(10, 10), (20, 20)], spectral_region(), "outside region"),
    (MarkType.AREA, [(10, 110), (20, 110), (20, 120)], spectral_region(), "distances and areas need"),
    (MarkType.DOPPLER_TRACE, [(10, 10), (20, 20)], spatial_region(), "spectral region"),
])
def test_wrong_region_kinds_are_refused_naming_the_mark(kind, points, region, message) -> None:
    with pytest.raises(CalibrationError, match=message) as info:
        measure_mark(_mark("bad", kind, points, region=region.index), region)
    assert "'bad'" in str(info.value)


def test_self_intersecting_polygon_warns() -> None:
    (a,) = measure_mark(_mark("a", MarkType.AREA, [(0, 0), (20, 20), (20, 0), (0, 20)]), spatial_region())
    assert any("crosses itself" in w for w in a.warnings)


# --- measure_all ------------------------------------------------------------------------------------
SPATIAL = spatial_region(0.02, 0.02, bounds=(0, 0, 399, 299), index=0)
COLOUR = spatial_region(0.02, 0.02, bounds=(100, 50, 299, 249), index=1, data_type=2)
CW = spectral_region(dx=0.005, dy=-2.0, bounds=(0, 300, 799, 799), ref=(0, 300), index=2)


def regions_for(sop: str):
    if sop != SOP:
        raise InputError(f"image {sop} not found")
    return [SPATIAL, COLOUR, CW]


def _inflow(mid: str, t0: float) -> Mark:
    trace = [(t0 + t / 1000, -v) for t, v in [(0, 0.0), (50, 1.8), (150, 1.5), (300, 1.0), (450, 1.4), (500, 0.0)]]
    return _mark(mid, MarkType.DOPPLER_TRACE, trace_to_image(CW, trace), region=2, purpose="mv_inflow")


def test_one_bad_mark_never_stops_the_others() -> None:
    marks = [
        _mark("ok", MarkType.DISTANCE, [(10.5, 10.5), (40.5, 50.5)], purpose="posterior_leaflet_length"),
        _mark("outside", MarkType.DISTANCE, [(10.5, 10.5), (410.5, 10.5)]),
        _mark("tworegions", MarkType.DISTANCE, [(10.5, 10.5), (10.5, 400.5)]),
        _mark("wrongindex", MarkType.DISTANCE, [(10.5, 10.5), (20.5, 10.5)], region=2),
        _mark("noregion", MarkType.DISTANCE, [(10.5, 10.5), (20.5, 10.5)], region=7),
        Mark("missing", MarkType.POINT, "x", "9.9.9", 1, 0, ((1.0, 1.0),)),
    ]
    results, errors = measure_all(marks, [], regions_for)
    (ok,) = results
    assert ok.value == pytest.approx(1.0)  # 30-40-50 px at 0.02 = 1.00 cm -> favourable (>=10 mm)
    assert ok.grades[0].label == "favourable (≥10 mm)"
    messages = dict(errors)
    assert list(messages) == ["outside", "tworegions", "wrongindex", "noregion", "missing"]
    assert "outside every calibrated region" in messages["outside"]
    assert "different regions" in messages["tworegions"]
    assert "lie in region 0" in messages["wrongindex"]
    assert "region 7 does not exist" in messages["noregion"]
    assert "9.9.9 not found" in messages["missing"] and "'missing'" in messages["missing"]


def test_pisa_continuity_planimetry_calculations_with_caveats() -> None:
    # PISA radius 45 px · 0.02 = 0.90 cm on the colour box; MR trace 5 m/s held 0.3 s = 150 cm VTI (W5)
    mr_trace = trace_to_image(CW, [(1.0, 5.0), (1.3, 5.0)])
    marks = [
        _mark("r", MarkType.DISTANCE, [(150.5, 100.5), (195.5, 100.5)], region=1, purpose="pisa_radius"),
        _mark("mr", MarkType.DOPPLER_TRACE, mr_trace, region=2, purpose="mr_jet"),
        _mark("lvotd", MarkType.DISTANCE, [(10.5, 10.5), (110.5, 10.5)], purpose="lvot_diameter"),  # 2.00 cm
        _mark("lvot", MarkType.DOPPLER_TRACE, trace_to_image(CW, [(2.0, 1.0), (2.2, 1.0)]), region=2),  # 20 cm
        _mark("mv", MarkType.DOPPLER_TRACE, trace_to_image(CW, [(2.5, -1.0), (3.3, -1.0)]), region=2),  # 80 cm
        _mark("o1", MarkType.AREA, [(10, 10), (50, 10), (60, 40), (20, 50)], purpose="orifice"),  # 0.58
        _mark("o2", MarkType.AREA, [(120, 20), (150, 15), (172, 45), (125, 55)], purpose="orifice"),  # 0.541
    ]
    calcs = [
        {"id": "c1", "type": "pisa", "radius_mark": "r", "aliasing_velocity_m_s": 0.385, "mr_trace_mark": "mr",
         "lvot_diameter_mark": "lvotd", "lvot_trace_mark": "lvot"},
        {"id": "c2", "type": "continuity", "lvot_diameter_mark": "lvotd", "lvot_trace_mark": "lvot",
         "mv_trace_mark": "mv"},
    ]
    results, errors = measure_all(marks, calcs, regions_for)
    assert errors == []
    by_id = {r.id: r for r in results}
    eroa = by_id["c1.eroa_pisa"]
    assert eroa.value == pytest.approx(2 * math.pi * 0.81 * 38.5 / 500, rel=1e-9)  # 0.3918823 (W5)
    assert eroa.grades[0].label == "3+ moderate-to-severe" and eroa.source == ("r", "mr")
    assert any("limited validity" in w for w in eroa.warnings)
    assert by_id["c1.rvol_pisa"].value == pytest.approx(58.78234, abs=1e-4)
    assert by_id["c1.rf_pisa"].value == pytest.approx(48.3351, abs=1e-3)
    mva = by_id["c2.mva_continuity"]
    assert mva.value == pytest.approx(math.pi * 20 / 80, rel=1e-9)  # W8 0.785 -> 0.79
    assert any("invalid with ≥ moderate MR" in w for w in mva.warnings)  # EROA 3+ recorded above
    assert by_id["mva.mva_planimetry"].value == pytest.approx(1.121, rel=1e-9)  # auto sum of orifices (W10b)
    assert by_id["mva.mva_planimetry"].source == ("o1", "o2")


def test_heart_rate_from_consecutive_traces_and_gradient_caveats() -> None:
    # two inflow beats starting 0.5 s apart -> 120 bpm -> HR > 100 warning on gradients; AF: 2 beats averaged
    # (the average carries the AF caveat, its beats do not repeat it: docs/clinical-criteria.md §1.10)
    marks = [_inflow("b1", 0.1), _inflow("b2", 0.6)]
    results, errors = measure_all(marks, [], regions_for, rhythm="AF")
    assert errors == []
    by_id = {r.id: r for r in results}
    assert by_id["b1.heart_rate"].value == pytest.approx(120.0, rel=1e-9)
    mg = by_id["b1.mean_gradient"]
    assert any("> 100" in w for w in mg.warnings)
    assert not any("atrial fibrillation" in w for w in mg.warnings)
    assert any("atrial fibrillation" in w for w in by_id["avg.mv_inflow.mean_gradient"].warnings)
    alone, _ = measure_all(marks[:1], [], regions_for, rhythm="AF")  # one beat, no average: the beat carries it
    assert any("from 1 beat(s)" in w for w in next(r for r in alone if r.id == "b1.mean_gradient").warnings)
    assert any("> 100" in w for w in by_id["b1.peak_gradient"].warnings)


def test_header_heart_rate_outside_60_80_flags_mean_gradient() -> None:
    results, _ = measure_all([_inflow("b1", 0.1)], [], regions_for, heart_rate_for=lambda sop: 90.0)
    by_id = {r.id: r for r in results}
    assert by_id[f"header.{SOP}.heart_rate"].value == 90.0
    assert any("outside 60-80" in w for w in by_id["b1.mean_gradient"].warnings)


def test_constrained_pht_calculation_replaces_the_automatic_one() -> None:
    trace = [(i * 0.01, -(1.6 - 2.0 * i * 0.01)) for i in range(0, 71)]
    mark = _mark("m3", MarkType.DOPPLER_TRACE, trace_to_image(CW, trace), region=2, purpose="mv_inflow")
    calc = {"id": "c3", "type": "pht", "trace_mark": "m3", "fit_span_s": [0.0, 0.2]}
    results, errors = measure_all([mark], [calc], regions_for)
    assert errors == []
    phts = [r for r in results if r.quantity == "pht"]
    assert len(phts) == 1 and phts[0].value == pytest.approx(234.3146, abs=1e-3)
    assert "0.000-0.200 s" in phts[0].method


def test_pht_is_averaged_over_beats_with_the_users_fit_and_mva_from_the_mean_pht() -> None:
    # beat a: 1.6 m/s falling 2 m/s², the user's fit over 0-0.2 s: PHT = 1000·1.6·(1-1/√2)/2 = 234.3146 ms;
    # beat b: 1.6 m/s falling 4 m/s², automatic fit: 1000·1.6·(1-1/√2)/4 = 117.1573 ms
    factor = 1.0 - 1.0 / math.sqrt(2.0)
    pht_a, pht_b = 1000 * 1.6 * factor / 2.0, 1000 * 1.6 * factor / 4.0
    a = [(i * 0.01, -(1.6 - 2.0 * i * 0.01)) for i in range(0, 71)]
    b = [(1.0 + i * 0.01, -(1.6 - 4.0 * i * 0.01)) for i in range(0, 36)]
    marks = [_mark(mid, MarkType.DOPPLER_TRACE, trace_to_image(CW, t), region=2, purpose="mv_inflow")
             for mid, t in (("a", a), ("b", b))]
    results, errors = measure_all(marks, [{"id": "fit", "type": "pht", "trace_mark": "a", "fit_span_s": [0.0, 0.2]}],
                                  regions_for)
    assert errors == []
    by_id = {r.id: r for r in results}
    assert by_id["fit.pht"].value == pytest.approx(pht_a, abs=1e-3) and "a.pht" not in by_id
    assert by_id["b.pht"].value == pytest.approx(pht_b, abs=0.5)
    avg = by_id["avg.mv_inflow.pht"]
    assert avg.beats == 2 and avg.source == ("a", "b")
    assert avg.value == pytest.approx((pht_a + by_id["b.pht"].value) / 2, rel=1e-12)
    assert avg.value == pytest.approx((pht_a + pht_b) / 2, abs=0.5)  # 175.74 ms
    mva = by_id["avg.mv_inflow.mva_pht"]
    assert mva.value == pytest.approx(220.0 / avg.value, rel=1e-12)  # 1.25 cm², not the mean of 0.94 and 1.88
    assert "220 / mean PHT of 2 beats" in mva.method and any("not validated after TEER" in w for w in mva.warnings)
    assert by_id["avg.mv_inflow.deceleration_time"].value == pytest.approx(avg.value / factor, rel=1e-9)


def test_one_inflow_beat_gives_no_pht_average() -> None:
    trace = [(i * 0.01, -(1.6 - 2.0 * i * 0.01)) for i in range(0, 71)]
    mark = _mark("m3", MarkType.DOPPLER_TRACE, trace_to_image(CW, trace), region=2, purpose="mv_inflow")
    results, _ = measure_all([mark], [], regions_for)
    assert not any(r.id.startswith("avg.") for r in results)


def test_bad_calculations_are_reported_and_others_still_computed() -> None:
    marks = [_mark("r", MarkType.DISTANCE, [(150.5, 100.5), (195.5, 100.5)], region=1)]
    calcs = [{"id": "c1", "type": "pisa", "radius_mark": "r", "aliasing_velocity_m_s": 0.385, "mr_trace_mark": "zz"},
             {"id": "c2", "type": "bogus"}, {"id": "c3", "type": "pisa", "radius_mark": "r"}]
    results, errors = measure_all(marks, calcs, regions_for)
    assert len(results) == 1
    messages = dict(errors)
    assert "mr_trace_mark 'zz' is missing" in messages["c1"]
    assert "unknown calculation type" in messages["c2"]
    assert "missing field" in messages["c3"]


def test_result_json_contract() -> None:
    (d,) = measure_mark(_mark("vc", MarkType.DISTANCE, [(10.5, 10.5), (40.5, 10.5)], purpose="vena_contracta"),
                        SPATIAL)
    j = d.as_json()
    assert j["id"] == "vc.vena_contracta" and j["quantity"] == "vena_contracta" and j["unit"] == "cm"
    assert j["value"] == pytest.approx(0.6) and j["source"] == ["vc"]
    assert j["grade"] == j["grades"][0]["label"] and all(g["scheme"] for g in j["grades"])


def test_beats_are_averaged_and_af_needs_five() -> None:
    # five identical W1 beats 0.8 s apart (75 bpm): the average MG is W1's 6.521333 mmHg with SD 0
    marks = [_inflow(f"b{i}", 0.1 + 0.8 * i) for i in range(5)]
    results, errors = measure_all(marks, [], regions_for, rhythm="AF")
    assert errors == []
    by_id = {r.id: r for r in results}
    avg = by_id["avg.mv_inflow.mean_gradient"]
    assert avg.value == pytest.approx(6.521333, abs=1e-6) and avg.source == tuple(f"b{i}" for i in range(5))
    assert "mean of 5 beats (SD 0.0 mmHg)" in avg.method
    assert not any("atrial fibrillation" in w for w in avg.warnings)  # 5 beats averaged
    assert not any("atrial fibrillation" in w for w in by_id["b0.mean_gradient"].warnings)  # a beat of the average
    assert by_id["b0.heart_rate"].value == pytest.approx(75.0, rel=1e-9)
    two, _ = measure_all(marks[:2], [], regions_for, rhythm="AF")
    avg2 = next(r for r in two if r.id == "avg.mv_inflow.mean_gradient")
    assert any("from 2 beat(s)" in w for w in avg2.warnings)


def test_scanner_angle_correction_is_noted_not_applied_and_frequency_scales_are_refused() -> None:
    from dataclasses import replace

    region = replace(spectral_region(dx=0.001, dy=-1.0), doppler_correction_angle_deg=20.0)
    (x, y) = region.to_image(0.2, 180.0)
    (vmax, _) = measure_mark(_mark("p", MarkType.POINT, [(x, y)], region=1), region)
    assert vmax.value == pytest.approx(1.80, rel=1e-12)  # 180 cm/s as calibrated, no cos(20°)
    assert any("angle-corrected by the scanner (20°)" in w for w in vmax.warnings)
    hertz = replace(region, units_y=5)
    with pytest.raises(CalibrationError, match="spectral region in s x cm/s"):
        measure_mark(_mark("p", MarkType.POINT, [(x, y)], region=1), hertz)
    # a point on a 2D image is a landmark: a position, no number
    assert measure_mark(_mark("clip", MarkType.POINT, [(10.5, 10.5)]), spatial_region()) == []


def test_only_inflow_traces_carry_stenosis_grades_and_mr_traces_no_mean_gradient() -> None:
    trace = trace_to_image(CW, [(1.0, 2.0), (1.2, 2.0)])  # 2 m/s held: MG 4·2² = 16 mmHg
    marks = [_mark("mr", MarkType.DOPPLER_TRACE, trace, region=2, purpose="mr_jet"),
             _mark("any", MarkType.DOPPLER_TRACE, trace, region=2),
             _mark("mv", MarkType.DOPPLER_TRACE, trace_to_image(CW, [(1.0, -2.0), (1.2, -2.0)]), region=2,
                   purpose="mv_inflow")]  # inflow flows away from the TEE probe: below the baseline
    results, _ = measure_all(marks, [], regions_for)
    by_id = {r.id: r for r in results}
    assert "mr.mean_gradient" not in by_id and by_id["mr.vti"].value == pytest.approx(40.0)
    assert by_id["any.mean_gradient"].value == pytest.approx(16.0) and by_id["any.mean_gradient"].grades == ()
    assert {g.scheme for g in by_id["mv.mean_gradient"].grades} == {"MVARC", "EAE/ASE-2009-MS"}


def test_self_intersection_detection() -> None:
    from measurements.geometry import is_self_intersecting

    assert not is_self_intersecting([(0, 0), (60, 0), (80, 40), (30, 70), (-10, 30)])  # W10 pentagon
    assert is_self_intersecting([(0, 0), (20, 20), (20, 0), (0, 20)])  # bow tie
    assert not is_self_intersecting([(0, 0), (10, 0), (5, 5)])
    star = [(50, 0), (61, 35), (98, 35), (68, 57), (79, 91), (50, 70), (21, 91), (32, 57), (2, 35), (39, 35)]
    assert not is_self_intersecting(star)  # concave but simple
    outer = star[::2]
    assert is_self_intersecting([outer[k] for k in (0, 2, 4, 1, 3)])  # pentagram through the outer points


def _volumetric_marks() -> list[Mark]:
    return [
        _mark("lvotd", MarkType.DISTANCE, [(10.5, 10.5), (110.5, 10.5)], purpose="lvot_diameter"),  # 2.00 cm
        _mark("lvot", MarkType.DOPPLER_TRACE, trace_to_image(CW, [(2.0, 1.0), (2.2, 1.0)]), region=2,
              purpose="lvot"),  # 1 m/s for 0.2 s = 20 cm
        _mark("mr", MarkType.DOPPLER_TRACE, trace_to_image(CW, [(1.0, 5.0), (1.3, 5.0)]), region=2,
              purpose="mr_jet"),  # 5 m/s for 0.3 s = 150 cm
    ]


def test_w11_volumetric_calculation() -> None:
    calc = {"id": "c5", "type": "volumetric", "lvedv_ml": 180, "lvesv_ml": 100, "lvot_diameter_mark": "lvotd",
            "lvot_trace_mark": "lvot", "mr_trace_mark": "mr"}
    results, errors = measure_all(_volumetric_marks(), [calc], regions_for)
    assert errors == []
    by_id = {r.id: r for r in results}
    # SV_total 80 mL; SV_LVOT = π·1²·20 = 62.831853; RVol 17.168147 -> 17; RF 21 %; EROA 0.1144543 -> 0.11
    rvol = 80 - math.pi * 20
    assert by_id["c5.rvol_volumetric"].value == pytest.approx(rvol, rel=1e-9)
    assert by_id["c5.rf_volumetric"].value == pytest.approx(100 * rvol / 80, rel=1e-9)
    assert by_id["c5.eroa_volumetric"].value == pytest.approx(rvol / 150, rel=1e-9)
    for q in ("rvol_volumetric", "rf_volumetric", "eroa_volumetric"):
        grades = {g.scheme: g.label for g in by_id[f"c5.{q}"].grades}
        assert grades == {"ASE-2019-post-TEER": "mild", "ASE-2017-native/MVARC 5-class": "1+ mild"}


def test_w11_guard_negative_regurgitant_volume() -> None:
    calc = {"id": "c5", "type": "volumetric", "lvedv_ml": 150, "lvesv_ml": 100, "lvot_diameter_mark": "lvotd",
            "lvot_trace_mark": "lvot"}
    _, errors = measure_all(_volumetric_marks(), [calc], regions_for)
    assert "not computable" in dict(errors)["c5"]


def test_vca_total_and_pasp() -> None:
    marks = [_mark("v1", MarkType.AREA, [(0, 0), (20, 0), (20, 10), (0, 10)], purpose="vca"),  # 200 px² = 0.08
             _mark("v2", MarkType.AREA, [(30, 0), (60, 0), (60, 10), (30, 10)], purpose="vca"),  # 300 px² = 0.12
             _mark("tr", MarkType.POINT, [CW.to_image(0.5, 300.0)], region=2)]  # TR 3.0 m/s
    calcs = [{"id": "c6", "type": "vca_total", "vca_marks": ["v1", "v2"]},
             {"id": "c7", "type": "pasp", "tr_mark": "tr", "rap_mmhg": 8}]
    results, errors = measure_all(marks, calcs, regions_for)
    assert errors == []
    by_id = {r.id: r for r in results}
    assert by_id["c6.vca_total"].value == pytest.approx(0.20, rel=1e-9)  # 0.08 + 0.12: moderate
    assert {g.label for g in by_id["c6.vca_total"].grades} >= {"moderate"}
    assert by_id["c7.pasp"].value == pytest.approx(4 * 3.0 ** 2 + 8, rel=1e-9)  # 44 mmHg: EAE moderate
    assert by_id["c7.pasp"].grades[0].label == "moderate"


def _regions_for_two_loops(sop: str):
    return [SPATIAL, COLOUR, CW] if sop in (SOP, "1.2.4") else regions_for(sop)


def test_beats_are_averaged_per_loop_so_two_orifices_keep_their_own_average() -> None:
    # medial orifice: two W1 beats on loop 1.2.3; lateral orifice: two W1 beats on loop 1.2.4 (MG 6.521333 mmHg each)
    from dataclasses import replace

    marks = [_inflow("m0", 0.1), _inflow("m1", 0.9),
             replace(_inflow("l0", 0.1), sop_instance_uid="1.2.4"), replace(_inflow("l1", 0.9), sop_instance_uid="1.2.4")]
    results, errors = measure_all(marks, [], _regions_for_two_loops)
    assert errors == []
    averages = [r for r in results if r.id.startswith("avg.") and r.quantity == "mean_gradient"]
    assert sorted(r.source for r in averages) == [("l0", "l1"), ("m0", "m1")]
    assert len({r.id for r in results}) == len(results)  # ids stay unique
    assert all(r.value == pytest.approx(6.521333, abs=1e-6) for r in averages)


def test_averages_of_a_non_inflow_trace_are_not_graded_as_stenosis() -> None:
    # the same W1 shape traced twice as a "peak_velocity" trace: its per-beat MG is ungraded, so is the mean
    from dataclasses import replace

    marks = [replace(_inflow("t0", 0.1), purpose="peak_velocity"), replace(_inflow("t1", 0.9), purpose="peak_velocity")]
    results, errors = measure_all(marks, [], regions_for)
    assert errors == []
    by_id = {r.id: r for r in results}
    assert by_id["t0.mean_gradient"].grades == ()
    assert by_id["avg.peak_velocity.mean_gradient"].grades == ()


def test_volumetric_eroa_with_a_zero_vti_mr_trace_is_an_error_not_a_crash() -> None:
    marks = [*_volumetric_marks()[:2],
             _mark("mr", MarkType.DOPPLER_TRACE, trace_to_image(CW, [(1.0, 0.0), (1.3, 0.0)]), region=2,
                   purpose="mr_jet")]  # flat on the baseline: VTI 0 cm
    # a 0 m/s MR jet is held by the plausibility gate (peak < 2.0 m/s); confirmed, it reaches the calculation
    marks[-1] = replace(marks[-1], confirmed=True)
    calc = {"id": "c5", "type": "volumetric", "lvedv_ml": 180, "lvesv_ml": 100, "lvot_diameter_mark": "lvotd",
            "lvot_trace_mark": "lvot", "mr_trace_mark": "mr"}
    _, errors = measure_all(marks, [calc], regions_for)
    assert "MR VTI must be positive" in dict(errors)["c5"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("aliasing_velocity_m_s", float("nan"), "aliasing_velocity_m_s must be a finite number"),
    ("aliasing_velocity_m_s", "fast", "aliasing_velocity_m_s must be a finite number"),
    ("angle_deg", 0, "angle_deg must be more than 0° and at most 180°"),
    ("angle_deg", 200, "angle_deg must be more than 0° and at most 180°"),
])
def test_pisa_numbers_from_the_case_file_are_checked(field, value, message) -> None:
    marks = [_mark("r", MarkType.DISTANCE, [(150.5, 100.5), (195.5, 100.5)], region=1, purpose="pisa_radius"),
             _mark("mr", MarkType.DOPPLER_TRACE, trace_to_image(CW, [(1.0, 5.0), (1.3, 5.0)]), region=2,
                   purpose="mr_jet")]
    calc = {"id": "c1", "type": "pisa", "radius_mark": "r", "aliasing_velocity_m_s": 0.385, "mr_trace_mark": "mr",
            field: value}
    results, errors = measure_all(marks, [calc], regions_for)
    assert message in dict(errors)["c1"]
    assert not any(r.id.startswith("c1.") for r in results)


def test_two_inflow_traces_starting_together_give_no_heart_rate_but_every_other_number() -> None:
    # the same beat traced twice: start-to-start interval 0 s, so no HR; the traces still measure (W1 MG)
    results, errors = measure_all([_inflow("a", 0.1), _inflow("b", 0.1)], [], regions_for)
    by_id = {r.id: r for r in results}
    assert by_id["a.mean_gradient"].value == pytest.approx(6.521333, abs=1e-6)
    assert not any(r.quantity == "heart_rate" for r in results)
    assert errors == [("a", "heart rate from traces a, b: R-R interval must be positive (got 0.0 s)")]


def test_one_trace_of_two_beats_gives_the_mva_from_its_mean_pht() -> None:
    # two beats in one trace, 0.25 s of baseline between them: 1.6 m/s falling 2 and 4 m/s², so the beats'
    # PHTs are 1000·1.6·(1-1/√2)/2 = 234.31 and /4 = 117.16 ms; the MVA is 220 / their mean (175.74 ms) =
    # 1.25 cm², not the mean of 220/234.31 and 220/117.16 (1.41 cm²)
    factor = 1.0 - 1.0 / math.sqrt(2.0)
    beat1 = [(0.05 + i * 0.01, -(1.6 - 2.0 * i * 0.01)) for i in range(0, 46)]
    beat2 = [(0.85 + i * 0.01, -(1.6 - 4.0 * i * 0.01)) for i in range(0, 26)]
    trace = [(0.0, 0.0), *beat1, (0.55, 0.0), (0.8, 0.0), *beat2, (1.15, 0.0)]
    mark = _mark("two", MarkType.DOPPLER_TRACE, trace_to_image(CW, trace), region=2, purpose="mv_inflow")
    results, errors = measure_all([mark], [], regions_for)
    assert errors == []
    by_id = {r.id: r for r in results}
    beats_pht = [by_id["two.beat1.pht"].value, by_id["two.beat2.pht"].value]
    assert beats_pht == pytest.approx([1000 * 1.6 * factor / 2, 1000 * 1.6 * factor / 4], abs=2.0)
    mean_pht = by_id["two.pht"].value
    assert mean_pht == pytest.approx(sum(beats_pht) / 2, rel=1e-12)
    mva = by_id["two.mva_pht"]
    assert mva.value == pytest.approx(220.0 / mean_pht, rel=1e-12) and mva.beats == 2
    assert mva.method == "220 / mean PHT of 2 beats"
