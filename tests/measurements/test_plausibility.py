"""Plausibility gates (docs/clinical-criteria.md §8.1): flagged values are held (ungraded, unused) until confirmed.

Regions are built by hand. The CW region imitates a mid-oesophageal CW strip: baseline at image row
600, 2 cm/s per pixel, velocity up (ΔY < 0) = towards the TEE probe; 5 ms per pixel.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from gui.main import main
from measurements import plausibility
from measurements.compute import measure_all
from measurements.marks import Mark, MarkError, MarkType, mark_from_json, mark_to_json
from measurements.results import Result
from planning.case import load_case, measure_case, parse_case, save_case
from planning.findings import assessment_input
from planning.orifices import expected_orifices
from tests.measurements.factories import region_item, spatial_region, spectral_region, trace_to_image, write_us_image

SOP = "1.2.3"
#: 0.05 cm per pixel: 1 px² = 0.0025 cm², so 400 px² = 1.00 cm².
SPATIAL = spatial_region(0.05, 0.05, bounds=(0, 0, 799, 299), index=0)
CW = spectral_region(dx=0.005, dy=-2.0, bounds=(0, 300, 799, 799), ref=(0, 300), index=1)
MVARC, EAE = "MVARC", "EAE/ASE-2009-MS"


def regions_for(sop: str) -> list:
    return [SPATIAL, CW]


def _trace(mid: str, trace: list[tuple[float, float]], purpose: str, **over: object) -> Mark:
    return Mark(mid, MarkType.DOPPLER_TRACE, mid, SOP, 1, 1, tuple(trace_to_image(CW, trace)), purpose=purpose,
                **over)  # type: ignore[arg-type]


def _rect(mid: str, w: float, h: float, purpose: str = "orifice", x0: float = 10.0, **over: object) -> Mark:
    """A w x h px rectangle on the 0.05 cm/px 2D region: area w·h·0.0025 cm²."""
    pts = ((x0, 10.0), (x0 + w, 10.0), (x0 + w, 10.0 + h), (x0, 10.0 + h))
    return Mark(mid, MarkType.AREA, mid, SOP, 1, 0, pts, purpose=purpose, **over)  # type: ignore[arg-type]


def _by_id(marks: list[Mark], calcs: list | None = None, **kw: object) -> dict[str, Result]:
    results, errors = measure_all(marks, calcs or [], regions_for, **kw)  # type: ignore[arg-type]
    assert errors == []
    return {r.id: r for r in results}


def _gate_notes(r: Result) -> list[str]:
    return [w for w in r.warnings if w.startswith(plausibility.PREFIX)]


#: 1.5 m/s held for 0.2 s: MG = 4·1.5² = 9.0 mmHg (MVARC significant ≥ 5; EAE moderate 5–10).
TOWARDS = [(0.10, 1.5), (0.30, 1.5)]
AWAY = [(t, -v) for t, v in TOWARDS]


# --- the table -----------------------------------------------------------------------------------
def test_table_holds_the_documented_limits_with_sources_and_tags() -> None:
    limits = {row.key: row for row in plausibility.LIMITS}
    assert (limits["inflow_peak"].limit, limits["inflow_peak"].unit) == (3.5, "m/s")
    assert (limits["mr_peak"].limit, limits["mr_peak"].unit) == (2.0, "m/s")
    assert (limits["orifice_area"].limit, limits["orifice_area"].unit) == (4.0, "cm2")
    assert (limits["leaflet_length"].limit, limits["leaflet_length"].unit) == (4.0, "cm")
    assert limits["inflow_direction"].evidence == "SRC"
    assert all(row.source and row.evidence in ("SRC", "INF") for row in plausibility.LIMITS)
    assert {k for k, row in limits.items() if row.evidence == "INF"} == {
        "inflow_peak", "mr_direction", "mr_peak", "orifice_area", "orifice_count", "leaflet_length"}


# --- mitral inflow direction -----------------------------------------------------------------------
def test_inflow_towards_the_probe_is_held_until_confirmed_and_keeps_its_warning() -> None:
    held = _by_id([_trace("m1", TOWARDS, "mv_inflow")])
    mg = held["m1.mean_gradient"]
    assert mg.value == pytest.approx(9.0, rel=1e-9)
    assert mg.grades == () and plausibility.is_held(mg)
    (note,) = _gate_notes(mg)
    assert "towards the transducer" in note and note.endswith(plausibility.HELD) and "[SRC]" in note
    assert all(plausibility.is_held(r) for r in held.values())  # every number of the mark, not just MG

    confirmed = _by_id([_trace("m1", TOWARDS, "mv_inflow", confirmed=True)])
    mg = confirmed["m1.mean_gradient"]
    assert {(g.scheme, g.label) for g in mg.grades} == {(MVARC, "significant MS (MG ≥5 mmHg)"), (EAE, "moderate")}
    (note,) = _gate_notes(mg)
    assert "towards the transducer" in note and note.endswith(plausibility.CONFIRMED)
    assert not plausibility.is_held(mg)


def test_inflow_away_from_the_probe_is_graded_without_a_gate_warning() -> None:
    mg = _by_id([_trace("m1", AWAY, "mv_inflow")])["m1.mean_gradient"]
    assert mg.value == pytest.approx(9.0, rel=1e-9) and len(mg.grades) == 2 and _gate_notes(mg) == []


@pytest.mark.parametrize(("v_m_s", "held"), [(1.2, True), (-1.2, False)])
def test_an_inflow_peak_point_is_judged_by_its_calibrated_sign(v_m_s: float, held: bool) -> None:
    point = Mark("p1", MarkType.POINT, "E peak", SOP, 1, 1, (CW.to_image(0.2, v_m_s * 100.0),), purpose="mv_inflow")
    vmax = _by_id([point])["p1.vmax"]
    assert vmax.value == pytest.approx(1.2, rel=1e-9) and plausibility.is_held(vmax) is held


def test_held_inflow_beats_are_not_averaged() -> None:
    # two inflow beats, one drawn above the baseline: no beat average (it would need the held beat)
    marks = [_trace("m1", AWAY, "mv_inflow"), _trace("m2", [(0.6, 1.5), (0.8, 1.5)], "mv_inflow")]
    assert not any(rid.startswith("avg.") for rid in _by_id(marks))
    marks[1] = replace(marks[1], confirmed=True)
    assert _by_id(marks)["avg.mv_inflow.mean_gradient"].value == pytest.approx(9.0, rel=1e-9)


# --- inflow peak ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("v", "held"), [(3.6, True), (3.51, True), (3.50, False), (3.0, False)])
def test_inflow_peak_above_3_5_m_s_is_held(v: float, held: bool) -> None:
    by_id = _by_id([_trace("m1", [(0.10, -v), (0.30, -v)], "mv_inflow")])
    vmax, mg = by_id["m1.vmax"], by_id["m1.mean_gradient"]
    assert vmax.value == pytest.approx(v, rel=1e-9)
    assert plausibility.is_held(mg) is held and (mg.grades == ()) is held
    if held:
        assert any(f"{v:.2f} m/s > 3.5 m/s" in w and "[INF, app rule]" in w for w in mg.warnings)


# --- MR jet --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("trace", "held", "why"), [
    ([(0.1, 5.0), (0.4, 5.0)], False, ""),
    ([(0.1, -3.0), (0.4, -3.0)], True, "away from the transducer"),  # -3 m/s: the region floor is -3.98 m/s
    ([(0.1, 1.9), (0.4, 1.9)], True, "1.90 m/s < 2 m/s"),
    ([(0.1, 2.0), (0.4, 2.0)], False, ""),
])
def test_mr_jet_gates(trace: list, held: bool, why: str) -> None:
    vti = _by_id([_trace("mr", trace, "mr_jet")])["mr.vti"]
    assert plausibility.is_held(vti) is held
    assert all(why in w for w in _gate_notes(vti)) and (len(_gate_notes(vti)) == 1) is held


# --- one orifice ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("w", "h", "area", "held"), [
    (70, 40, 7.00, True),    # 2800 px² · 0.0025 = 7.00 cm²: the stray long-axis polygon
    (401, 4, 4.01, True),    # 1604 px² = 4.01 cm²
    (40, 40, 4.00, False),   # 1600 px² = 4.00 cm²: at the limit, not above it
    (57, 28, 3.99, False),   # 1596 px² = 3.99 cm²
])
def test_orifice_above_4_cm2_is_not_graded_nor_summed(w: int, h: int, area: float, held: bool) -> None:
    by_id = _by_id([_rect("o1", w, h)], expected_orifices=1)
    assert by_id["o1.area"].value == pytest.approx(area, rel=1e-9)
    assert plausibility.is_held(by_id["o1.area"]) is held
    if held:  # nothing to sum: the only orifice is held
        assert "mva.mva_planimetry" not in by_id
        assert any("4 cm² after TEER" in w for w in by_id["o1.area"].warnings)
    else:  # MVA ≥ 1.5: MVARC no significant MS, EAE mild
        mva = by_id["mva.mva_planimetry"]
        assert mva.value == pytest.approx(area, rel=1e-9)
        assert {(g.scheme, g.label) for g in mva.grades} >= {(MVARC, "no significant MS (MVA ≥1.5 cm²)"),
                                                              (EAE, "mild")}


def test_confirmed_large_orifice_is_summed_and_graded_with_its_warning() -> None:
    by_id = _by_id([_rect("o1", 70, 40, confirmed=True)], expected_orifices=1)
    assert by_id["mva.mva_planimetry"].value == pytest.approx(7.0, rel=1e-9)
    assert by_id["mva.mva_planimetry"].grades and _gate_notes(by_id["o1.area"])[0].endswith(plausibility.CONFIRMED)


# --- multi-orifice MVA ---------------------------------------------------------------------------
def test_expected_orifices_from_the_number_of_devices() -> None:
    assert [expected_orifices(n) for n in (0, 1, 2, 3)] == [1, 2, 3, 4]
    with pytest.raises(ValueError, match="number of devices"):
        expected_orifices(-1)


def test_one_of_three_orifices_is_incomplete_and_not_graded() -> None:
    # two devices side by side -> up to 3 orifices; only one (20 x 20 px = 1.00 cm²) measured
    by_id = _by_id([_rect("o1", 20, 20)], expected_orifices=3)
    mva = by_id["mva.mva_planimetry"]
    assert mva.value == pytest.approx(1.00, rel=1e-9) and mva.grades == () and plausibility.is_held(mva)
    assert mva.method == "sum of 1 of 3 expected orifice area(s)"
    assert any("1 of 3 expected orifices" in w for w in mva.warnings)


def test_three_of_three_orifices_is_graded() -> None:
    # 1.00 + 0.50 + 0.25 = 1.75 cm² -> MVARC no significant MS (≥ 1.5), EAE mild (> 1.5)
    marks = [_rect("o1", 20, 20), _rect("o2", 20, 10, x0=100), _rect("o3", 10, 10, x0=200)]
    mva = _by_id(marks, expected_orifices=3)["mva.mva_planimetry"]
    assert mva.value == pytest.approx(1.75, rel=1e-9) and mva.method == "sum of 3 of 3 expected orifice area(s)"
    assert (EAE, "mild") in {(g.scheme, g.label) for g in mva.grades} and not plausibility.is_held(mva)


def test_more_orifices_than_the_devices_imply_say_so_and_are_graded() -> None:
    # no device recorded -> 1 orifice expected; two measured (1.00 + 0.50 = 1.50 cm²): complete, graded,
    # and the method points at the device list instead of reading "2 of 1 expected"
    marks = [_rect("o1", 20, 20), _rect("o2", 20, 10, x0=100)]
    mva = _by_id(marks, expected_orifices=1)["mva.mva_planimetry"]
    assert mva.value == pytest.approx(1.50, rel=1e-9) and not plausibility.is_held(mva) and mva.grades
    assert mva.method == "sum of 2 orifice area(s) (the recorded devices imply 1: check the device list)"


def test_an_incomplete_sum_confirmed_on_its_calculation_is_graded_and_warned() -> None:
    calc = {"id": "c1", "type": "planimetry", "area_marks": ["o1"], "confirmed": True}
    mva = _by_id([_rect("o1", 20, 20)], [calc], expected_orifices=3)["c1.mva_planimetry"]
    assert mva.grades and any(w.endswith(plausibility.CONFIRMED) and "1 of 3" in w for w in mva.warnings)


# --- leaflet length ------------------------------------------------------------------------------
@pytest.mark.parametrize(("px", "held"), [(80.0, False), (80.2, True)])  # 80 px · 0.05 = 4.00 cm; 4.01
def test_leaflet_length_above_4_cm_is_held(px: float, held: bool) -> None:
    mark = Mark("l1", MarkType.DISTANCE, "P2", SOP, 1, 0, ((10.5, 10.5), (10.5 + px, 10.5)),
                purpose="posterior_leaflet_length")
    (r,) = _by_id([mark]).values()
    assert plausibility.is_held(r) is held and bool(r.grades) is not held


def test_a_calculation_naming_a_held_mark_says_so() -> None:
    calc = {"id": "c1", "type": "planimetry", "area_marks": ["o1"]}
    _, errors = measure_all([_rect("o1", 70, 40)], [calc], regions_for)
    assert "held by a plausibility gate" in dict(errors)["c1"]


# --- the confirmed flag in the case file ---------------------------------------------------------
def _mark_json(**over: object) -> dict:
    return {"id": "m1", "type": "area", "label": "orifice", "sop_instance_uid": SOP, "frame_number": 1,
            "region": 0, "purpose": "orifice", "points": [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]], **over}


def test_confirmed_round_trips_and_is_absent_when_false() -> None:
    assert mark_from_json(_mark_json()).confirmed is False
    assert "confirmed" not in mark_to_json(mark_from_json(_mark_json()))  # a 0.1.0 mark is written unchanged
    assert mark_to_json(mark_from_json(_mark_json())) == _mark_json()
    confirmed = mark_from_json(_mark_json(confirmed=True))
    assert confirmed.confirmed is True and "confirmed" not in confirmed.extra
    assert mark_to_json(confirmed) == _mark_json(confirmed=True)
    assert mark_to_json(mark_from_json(_mark_json(confirmed=False))) == _mark_json()
    with pytest.raises(MarkError, match="'m1': 'confirmed' must be true or false"):
        mark_from_json(_mark_json(confirmed="yes"))


def _case_doc(marks: list[dict], devices: int = 0) -> dict:
    return {"format": "mitraplan-case", "version": 1, "study": {}, "notes": "", "images": [], "marks": marks,
            "devices": [{"id": f"d{i + 1}"} for i in range(devices)]}


def test_confirmed_survives_save_and_load(tmp_path: Path) -> None:
    path = tmp_path / "c.mitraplan.json"
    path.write_text(json.dumps(_case_doc([_mark_json(confirmed=True), _mark_json(id="m2")])), encoding="utf-8")
    case = load_case(path)
    save_case(case, tmp_path / "again.mitraplan.json")
    again = load_case(tmp_path / "again.mitraplan.json")
    assert [m.confirmed for m in again.marks] == [True, False]
    saved = json.loads((tmp_path / "again.mitraplan.json").read_text(encoding="utf-8"))["marks"]
    assert saved[0]["confirmed"] is True and "confirmed" not in saved[1]


# --- decision support and the CLI ----------------------------------------------------------------
def _inflow_json(mid: str, confirmed: bool = False) -> dict:
    """1.5 m/s towards the probe for 0.2 s on the CW region of ``_write_image`` (MG 9.0 mmHg)."""
    # t = (x - 0.5)·0.005 s: x 20.5 -> 0.10 s, 60.5 -> 0.30 s; v = (y - 0.5 - 600)·(-2) cm/s: y 525.5 -> +150 cm/s
    d = {"id": mid, "type": "doppler_trace", "label": "MV inflow", "sop_instance_uid": SOP, "frame_number": 1,
         "region": 1, "purpose": "mv_inflow", "points": [[20.5, 525.5], [60.5, 525.5]]}
    return {**d, "confirmed": True} if confirmed else d


def _write_case(tmp_path: Path, marks: list[dict], devices: int = 0) -> Path:
    write_us_image(tmp_path / "IM.dcm", SOP, [
        region_item((0, 0, 799, 299), 1, 1, (3, 3), (0.05, 0.05)),
        region_item((0, 300, 799, 799), 3, 4, (4, 7), (0.005, -2.0), ref=(0, 300))], rows=800)
    doc = _case_doc(marks, devices)
    doc["images"] = [{"sop_instance_uid": SOP, "path": "IM.dcm"}]
    path = tmp_path / "c.mitraplan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("confirmed", [False, True])
def test_a_held_inflow_trace_is_absent_from_decision_support(tmp_path: Path, confirmed: bool) -> None:
    case = load_case(_write_case(tmp_path, [_inflow_json("m1", confirmed)]))
    results, errors = measure_case(case)
    assert errors == []
    mg = assessment_input(case, results).mean_gradient
    assert (mg and mg.value) == (pytest.approx(9.0, rel=1e-9) if confirmed else None)


def test_measure_case_checks_the_sum_against_the_devices(tmp_path: Path) -> None:
    orifice = _mark_json(points=[[10.0, 10.0], [30.0, 10.0], [30.0, 30.0], [10.0, 30.0]])  # 400 px² = 1.00 cm²
    case = load_case(_write_case(tmp_path, [orifice], devices=2))
    results, _ = measure_case(case)
    mva = next(r for r in results if r.quantity == "mva_planimetry")
    assert mva.method == "sum of 1 of 3 expected orifice area(s)" and mva.grades == ()
    assert "planimetry" not in assessment_input(case, results).mva


def test_measure_cli_prints_the_gate_warning_ungraded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write_case(tmp_path, [_inflow_json("m1")])
    assert main(["measure", str(path)]) == 0  # a held value is a warning, not an error
    out = json.loads(capsys.readouterr().out)
    mg = next(m for m in out["measurements"] if m["id"] == "m1.mean_gradient")
    assert mg["value"] == pytest.approx(9.0, rel=1e-9) and "grade" not in mg
    assert any("towards the transducer" in w and "until confirmed" in w for w in mg["warnings"])


def test_parse_case_keeps_an_unconfirmed_mark_unchanged() -> None:
    case = parse_case(_case_doc([_mark_json()]), Path("x.mitraplan.json"))
    assert case.to_json()["marks"] == [_mark_json()]


def test_the_sr_leaves_out_a_held_value_and_keeps_a_confirmed_one(tmp_path: Path) -> None:
    # the demo case plus a mean gradient flagged by the inflow-direction gate, once held and once confirmed
    import pydicom

    from demo.case import write_demo_case
    from demo.phantom import write_demo_study
    from measurements.compute import make_result
    from report.build import build_report
    from report.sr import build_sr, evidence_for

    case = load_case(write_demo_case(write_demo_study(tmp_path / "loops"), tmp_path))
    results, errors = measure_case(case)
    why = ["inflow towards the transducer"]
    (held,), _ = plausibility.hold([make_result("x_held.mean_gradient", "x_held", "mean_gradient", 9.0, ())], why,
                                   confirmed=False)
    (kept,), _ = plausibility.hold([make_result("x_conf.mean_gradient", "x_conf", "mean_gradient", 11.0, ())], why,
                                   confirmed=True)
    report, sources = build_report(case, results=[*results, held, kept], errors=errors)
    path = tmp_path / "sr.dcm"
    build_sr(report, evidence_for(report, sources.headers)).save_as(path)
    from tests.report.test_sr_tid5200 import echo_nums  # TID 5200 NUMs carry no ids: held 9.0, confirmed 11.0

    gradients = {n.value for n in echo_nums(pydicom.dcmread(path)) if n.name == ("20256-4", "LN")}
    assert 11.0 in gradients and 9.0 not in gradients


@pytest.mark.parametrize(("measured", "expected", "counted"), [(1, 3, (1, 3)), (2, 3, (2, 3)), (3, 3, None),
                                                               (4, 3, None), (2, None, None)])
def test_an_incomplete_orifice_sum_says_how_many_of_how_many(measured: int, expected: int | None,
                                                              counted: tuple[int, int] | None) -> None:
    """What every quote of a sum of fewer orifices than the devices imply reads back (a lower bound)."""
    summed = Result("c.mva_planimetry", "MVA", "mva_planimetry", 0.5, "cm2", tuple(f"m{i}" for i in range(measured)))
    calc = {} if expected is None else {"expected_orifices": expected, "confirmed": True}
    assert plausibility.orifices_summed(plausibility.gate_orifice_sum(summed, calc).method) == counted
