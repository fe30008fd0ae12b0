"""A Doppler trace spanning several beats is measured beat by beat, then averaged (issue 11, "Beats").

Golden numbers are hand arithmetic on triangular beats: a triangle of peak V (m/s) rising for
0.1 s and falling for 0.1 s has VTI = V * 0.2 / 2 m = 10 V cm and, since the integral of v^2 over
a linear ramp of length L from 0 to V is L V^2 / 3, a mean gradient 4 * (0.2 V^2 / 3) / 0.2 = 4 V^2 / 3.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest

from measurements.beats import beat_heart_rates, beat_stats, split_beats
from measurements.compute import AF_SINGLE_BEAT_WARNING, af_beat_caveats, measure_all, trace_results
from measurements.marks import Mark, MarkType
from tests.measurements.factories import spectral_region, trace_to_image

SOP = "1.2.3"
CW = spectral_region(dx=0.005, dy=-2.0, bounds=(0, 300, 799, 799), ref=(0, 300), index=2)


def _triangles(starts: list[float], peaks: list[float]) -> list[tuple[float, float]]:
    """Inflow (negative) triangles of 0.2 s at ``starts`` joined along the baseline: a trace dragged over beats."""
    out: list[tuple[float, float]] = []
    for t0, v in zip(starts, peaks, strict=True):
        out += [(t0, 0.0), (t0 + 0.1, -v), (t0 + 0.2, 0.0)]
    return out


def _mark(trace: list[tuple[float, float]], mid: str = "m3", purpose: str = "mv_inflow") -> Mark:
    return Mark(mid, MarkType.DOPPLER_TRACE, "MV inflow", SOP, 1, 2, tuple(trace_to_image(CW, trace)),
                purpose=purpose)


def _regions_for(sop: str):
    return [CW]


# three beats: peaks 1.0, 1.2, 0.8 m/s starting at 0, 0.8, 1.7 s (R-R 0.8 then 0.9 s)
STARTS, PEAKS = [0.0, 0.8, 1.7], [1.0, 1.2, 0.8]
MG = [4 * 1.0 ** 2 / 3, 4 * 1.2 ** 2 / 3, 4 * 0.8 ** 2 / 3]   # 1.333333, 1.92, 0.853333 mmHg
MG_MEAN = (4 / 3 + 1.92 + 2.56 / 3) / 3                       # 1.368889 mmHg
#: the wrong number of the old behaviour: 4 v^2 averaged over the whole 1.9 s drag, baseline included
MG_WHOLE_DRAG = 4 * (0.2 * (1.0 + 1.44 + 0.64) / 3) / 1.9    # 0.432281 mmHg


def test_split_at_baseline_returns_gives_each_beat_from_baseline_to_baseline() -> None:
    beats = split_beats(_triangles(STARTS, PEAKS))
    assert [(b[0][0], b[-1][0]) for b in beats] == [(0.0, 0.2), (0.8, 1.0), (1.7, 1.9)]
    assert all(b[0][1] == 0.0 and b[-1][1] == 0.0 for b in beats)


def test_three_beat_trace_gives_three_beats_and_their_average() -> None:
    results, errors = measure_all([_mark(_triangles(STARTS, PEAKS))], [], _regions_for)
    assert errors == []
    by_id = {r.id: r for r in results}
    for k, (mg, v) in enumerate(zip(MG, PEAKS, strict=True), start=1):
        assert by_id[f"m3.beat{k}.mean_gradient"].beat == k
        assert by_id[f"m3.beat{k}.mean_gradient"].value == pytest.approx(mg, rel=1e-9)
        assert by_id[f"m3.beat{k}.vti"].value == pytest.approx(10 * v, rel=1e-9)
        assert by_id[f"m3.beat{k}.duration"].value == pytest.approx(200.0, rel=1e-9)
    avg = by_id["m3.mean_gradient"]
    assert avg.beats == 3 and avg.beat is None
    assert avg.value == pytest.approx(MG_MEAN, rel=1e-9)              # 1.368889 mmHg
    assert avg.value != pytest.approx(MG_WHOLE_DRAG, rel=0.05)
    # the gradient of the mean velocity would be 4 (mean VTI / T)^2 = 4 (0.1 / 0.2)^2 = 1.0 mmHg: not that
    assert avg.value != pytest.approx(1.0, rel=0.05)
    assert avg.sd == pytest.approx(statistics.stdev(MG), rel=1e-9)
    vmax = by_id["m3.vmax"]
    assert vmax.value == pytest.approx(1.0) and vmax.sd == pytest.approx(0.2) and vmax.beats == 3
    assert by_id["m3.vti"].value == pytest.approx(10.0) and by_id["m3.vti"].sd == pytest.approx(2.0)
    assert "mean of 3 beats" in avg.method and "SD" in avg.method


def test_heart_rate_per_beat_from_the_beat_spacing() -> None:
    results, _ = measure_all([_mark(_triangles(STARTS, PEAKS))], [], _regions_for)
    by_id = {r.id: r for r in results}
    assert by_id["m3.beat1.heart_rate"].value == pytest.approx(60 / 0.8)   # 75 bpm
    assert by_id["m3.beat2.heart_rate"].value == pytest.approx(60 / 0.9)   # 66.7 bpm
    assert "m3.beat3.heart_rate" not in by_id                             # no next beat, no R wave: unknown
    hr = by_id["m3.heart_rate"]
    assert hr.value == pytest.approx((75 + 60 / 0.9) / 2) and hr.beats == 2  # 70.8 bpm
    assert sum(r.quantity == "heart_rate" for r in results) == 3          # no header/other HR added


def test_af_with_fewer_than_five_beats_warns_and_five_do_not() -> None:
    three, _ = measure_all([_mark(_triangles(STARTS, PEAKS))], [], _regions_for, rhythm="AF")
    by_id = {r.id: r for r in three}
    assert AF_SINGLE_BEAT_WARNING.format(n=3) in by_id["m3.mean_gradient"].warnings
    assert not any("atrial fibrillation" in w for w in by_id["m3.beat1.mean_gradient"].warnings)
    # AF-like irregular R-R: 0.7, 1.1, 0.6, 0.9 s
    five = _mark(_triangles([0.0, 0.7, 1.8, 2.4, 3.3], [1.0, 1.1, 0.9, 1.2, 1.0]))
    results, _ = measure_all([five], [], _regions_for, rhythm="atrial fibrillation")
    avg = next(r for r in results if r.id == "m3.mean_gradient")
    assert avg.beats == 5 and not any("atrial fibrillation" in w for w in avg.warnings)
    sinus, _ = measure_all([_mark(_triangles(STARTS, PEAKS))], [], _regions_for, rhythm="sinus")
    assert not any("atrial fibrillation" in w for r in sinus for w in r.warnings)


def test_af_caveat_of_a_single_trace_for_the_trace_command() -> None:
    results = af_beat_caveats(trace_results(_mark(_triangles(STARTS[:2], PEAKS[:2])),
                                            _triangles(STARTS[:2], PEAKS[:2])), "AF")
    avg = next(r for r in results if r.id == "m3.mean_gradient")
    assert AF_SINGLE_BEAT_WARNING.format(n=2) in avg.warnings


def test_short_dropout_does_not_split_and_speckle_blip_is_no_beat() -> None:
    # one 0.4 s beat with a 15 ms dropout to zero in the middle (missing columns of the envelope)
    beat = [(0.0, 0.0), (0.1, -1.0), (0.19, -0.8), (0.2, 0.0), (0.205, 0.0), (0.215, -0.8), (0.3, -0.6), (0.4, 0.0)]
    assert len(split_beats(beat)) == 1
    # a 20 ms blip after the beat (speckle) is not a second beat
    blip = [*beat, (0.8, 0.0), (0.81, -0.5), (0.82, 0.0)]
    assert [(b[0][0], b[-1][0]) for b in split_beats(blip)] == [(0.0, 0.4)]


def _fused(rr: list[float]) -> list[tuple[float, float]]:
    """AF-like fused inflow: each beat's flow restarts before the velocity reaches the baseline."""
    out: list[tuple[float, float]] = [(0.0, 0.0)]
    t = 0.0
    for interval in rr:
        out += [(t + 0.1, -1.5), (t + interval, -0.5)]
        t += interval
    out.append((t + 0.05, 0.0))
    return out


def test_r_waves_cut_fused_beats_and_join_e_and_a_waves_of_one_cycle() -> None:
    rr = [0.6, 0.8, 0.5]
    fused = _fused(rr)
    assert len(split_beats(fused)) == 1                   # never at the baseline: one run
    waves = [0.6, 1.4]                                    # R waves between the beats
    pieces = split_beats(fused, waves)
    assert [round(p[0][0], 9) for p in pieces] == [0.0, 0.6, 1.4]
    assert pieces[0][-1] == pytest.approx((0.6, -0.5)) and pieces[1][0] == pytest.approx((0.6, -0.5))
    # sinus inflow at slow HR: E and A separated by diastasis at the baseline, R wave after A
    ea = [(0.0, 0.0), (0.1, -0.9), (0.25, 0.0), (0.45, 0.0), (0.55, -0.6), (0.65, 0.0),
          (1.0, 0.0), (1.1, -0.9), (1.25, 0.0), (1.45, 0.0), (1.55, -0.6), (1.65, 0.0)]
    assert len(split_beats(ea)) == 4                      # without ECG each wave looks like a beat
    assert [(p[0][0], p[-1][0]) for p in split_beats(ea, [0.7, 1.7])] == [(0.0, 0.65), (1.0, 1.65)]


def test_heart_rate_per_beat_from_r_waves_when_known() -> None:
    assert beat_heart_rates([0.1, 0.9], [0.0, 0.75, 1.75]) == pytest.approx([60 / 0.75, 60 / 1.0])
    assert beat_heart_rates([0.1, 0.9, 2.0]) == [pytest.approx(75.0), pytest.approx(60 / 1.1), None]


def test_beat_stats() -> None:
    s = beat_stats([2.0, 4.0, 6.0])
    assert (s.mean, s.sd, s.n) == (4.0, 2.0, 3)
    assert beat_stats([5.0]).sd is None


def test_result_json_carries_beat_beats_and_sd() -> None:
    results = trace_results(_mark(_triangles(STARTS, PEAKS)), _triangles(STARTS, PEAKS))
    js = {r.id: r.as_json() for r in results}
    assert js["m3.beat2.vmax"]["beat"] == 2 and "beats" not in js["m3.beat2.vmax"]
    assert js["m3.vmax"]["beats"] == 3 and js["m3.vmax"]["sd"] == pytest.approx(0.2) and "beat" not in js["m3.vmax"]
    single = trace_results(_mark(_triangles([0.0], [1.0])), _triangles([0.0], [1.0]))
    assert all("beat" not in r.as_json() and "beats" not in r.as_json() for r in single)
    assert {r.id for r in single} >= {"m3.vmax", "m3.mean_gradient"}


def test_trace_command_reports_per_beat_and_average(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gui.main import main
    from tests.measurements.factories import region_item, write_us_image
    from tests.measurements.strips import BEAT_S, DX_S, FIRST_BEAT_S, make_strip

    strip = make_strip("mv_inflow")     # four identical beats, 0.9 s R-R (67 bpm)
    r = strip.region
    item = region_item(r.location, 3, 4, (4, 7), (r.delta_x, r.delta_y), ref=(r.reference_pixel_x0,
                                                                             r.reference_pixel_y0))
    path = write_us_image(tmp_path / "cw.dcm", "1.2.826.0.1.3680043.99.9", [item], rows=strip.image.shape[0],
                          columns=strip.image.shape[1], pixels=strip.image[..., 0])
    x0, x1 = FIRST_BEAT_S / DX_S, (FIRST_BEAT_S + 2 * BEAT_S + 0.8) / DX_S   # drag over three beats
    assert main(["trace", str(path), "--region", "0", "--x-range", str(x0), str(x1), "--purpose", "mv_inflow",
                 "--rhythm", "af"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["beats"] == 3
    mg = [m for m in out["measurements"] if m["quantity"] == "mean_gradient"]
    assert [m.get("beat") for m in mg] == [1, 2, 3, None]
    truth = strip.truth["mean_gradient_mmHg"]
    assert all(m["value"] == pytest.approx(truth, rel=0.05) for m in mg)
    assert mg[3]["beats"] == 3 and mg[3]["sd"] < 0.05 * truth
    assert any("atrial fibrillation" in w and "3 beat" in w for w in mg[3]["warnings"])
    hr = [m for m in out["measurements"] if m["quantity"] == "heart_rate"]
    assert all(math.isclose(m["value"], 60 / BEAT_S, rel_tol=0.02) for m in hr)   # 66.7 bpm from the spacing


def test_partial_beats_at_the_trace_ends_are_left_out_of_the_average() -> None:
    # the drag starts mid-beat (at 0.6 m/s on a falling slope) and ends mid-beat (rising to 0.9 m/s)
    trace = [(-0.5, -0.6), (-0.4, 0.0), *_triangles(STARTS, PEAKS), (2.4, 0.0), (2.5, -0.9)]
    results = trace_results(_mark(trace), trace)
    by_id = {r.id: r for r in results}
    avg = by_id["m3.mean_gradient"]
    assert avg.beats == 3 and avg.value == pytest.approx(MG_MEAN, rel=1e-9)
    assert any("2 partial beat(s)" in w for w in avg.warnings)
    assert "m3.beat4.vmax" not in by_id


def test_a_lone_beat_not_reaching_the_baseline_is_kept() -> None:
    # a hand trace of one E slope only, never at the baseline: one beat, measured whole
    trace = [(0.0, -1.5), (0.1, -1.2), (0.2, -0.9)]
    by_id = {r.id: r for r in trace_results(_mark(trace), trace)}
    assert by_id["m3.vmax"].value == pytest.approx(1.5) and by_id["m3.vmax"].beats is None


def test_case_measurement_uses_the_image_r_waves_to_split_fused_beats() -> None:
    fused = _fused([0.6, 0.8, 0.5])
    mark = _mark(fused)
    alone, _ = measure_all([mark], [], _regions_for)
    assert not any(r.beat for r in alone)                               # no baseline return: one beat
    split, errors = measure_all([mark], [], _regions_for, r_waves_for=lambda sop: [0.6, 1.4, 9.0])
    assert errors == []
    by_id = {r.id: r for r in split}
    assert by_id["m3.vmax"].beats == 3
    # R-R from the R waves inside the trace: beat 1 has none before it -> spacing to beat 2 (0.6 s),
    # beat 2 lies between R waves 0.6 and 1.4 s (0.8 s); beat 3 after the last R wave inside: none
    assert by_id["m3.beat1.heart_rate"].value == pytest.approx(100.0)
    assert by_id["m3.beat2.heart_rate"].value == pytest.approx(75.0)
    assert "m3.beat3.heart_rate" not in by_id
    assert by_id["m3.beat1.heart_rate"].method == "60 / time to the next beat"
    assert by_id["m3.beat2.heart_rate"].method == "60 / R-R interval"


def test_gap_is_timed_between_baseline_crossings_of_a_sparse_hand_trace() -> None:
    # two hand-drawn beats whose vertices above the baseline are 0.3 s apart but whose time at the
    # baseline is only 0.07 s (8 % crossings at 0.192 and 0.262 s): one beat with a dip, not two
    dip = [(0.0, 0.0), (0.1, -1.0), (0.2, 0.0), (0.25, 0.0), (0.4, -1.0), (0.5, 0.0)]
    assert len(split_beats(dip)) == 1
    # the same beats 0.2 s apart at the baseline: two beats
    apart = [(0.0, 0.0), (0.1, -1.0), (0.2, 0.0), (0.4, 0.0), (0.5, -1.0), (0.6, 0.0)]
    assert [(b[0][0], b[-1][0]) for b in split_beats(apart)] == [(0.0, 0.2), (0.4, 0.6)]


def test_measure_command_splits_a_case_trace_at_the_files_r_waves(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import pydicom

    from gui.main import main
    from tests.measurements.factories import region_item, write_us_image

    sop = "1.2.826.0.1.3680043.99.8"
    path = write_us_image(tmp_path / "CW.dcm", sop, [region_item((0, 300, 799, 799), 3, 4, (4, 7), (0.005, -2.0),
                                                                 ref=(0, 300))], rows=800)
    ds = pydicom.dcmread(path)
    ds.RWaveTimeVector = [600.0, 1400.0]     # ECG R waves (ms) on the strip's time axis
    ds.save_as(path)
    region = spectral_region(dx=0.005, dy=-2.0, bounds=(0, 300, 799, 799), ref=(0, 300), index=0)
    points = [list(p) for p in trace_to_image(region, _fused([0.6, 0.8, 0.5]))]
    case = {"format": "mitraplan-case", "version": 1, "study": {"rhythm": "AF"}, "notes": "",
            "images": [{"sop_instance_uid": sop, "path": "CW.dcm"}],
            "marks": [{"id": "m3", "type": "doppler_trace", "label": "MV inflow", "purpose": "mv_inflow",
                       "sop_instance_uid": sop, "frame_number": 1, "region": 0, "points": points}]}
    case_path = tmp_path / "c.mitraplan.json"
    case_path.write_text(json.dumps(case), encoding="utf-8")
    assert main(["measure", str(case_path)]) == 0
    out = json.loads(capsys.readouterr().out)
    mg = [m for m in out["measurements"] if m["quantity"] == "mean_gradient"]
    assert [m.get("beat") for m in mg] == [1, 2, 3, None]
    assert mg[-1]["beats"] == 3 and mg[-1]["sd"] >= 0.0
    assert any("atrial fibrillation" in w and "3 beat" in w for w in mg[-1]["warnings"])


def test_two_multi_beat_traces_of_one_loop_average_all_their_beats() -> None:
    a = _mark(_triangles(STARTS, PEAKS), mid="a")
    b = _mark(_triangles([2.5, 3.2], [1.0, 1.0]), mid="b")      # two more beats, MG 4/3 each
    results, errors = measure_all([a, b], [], _regions_for)
    assert errors == []
    avg = next(r for r in results if r.id == "avg.mv_inflow.mean_gradient")
    # the five beats' own mean gradients: (4/3 + 1.92 + 2.56/3 + 4/3 + 4/3) / 5 = 1.354667 mmHg
    assert avg.beats == 5 and avg.value == pytest.approx((4 / 3 + 1.92 + 2.56 / 3 + 8 / 3) / 5, rel=1e-9)
