"""Each generic distance, area and duration NUM of the SR says what it measures (its mark's purpose:
``measurements.concepts.PURPOSE_SR``), the PISA group carries its aliasing velocity, and MitraPlan's own
SR imported into a fresh case gives every length and area back as the same quantity (or lists it as not
imported), never as another one.

Golden values, independent of the code: the demo's aliasing velocity is the PISA calculation's input
(demo.case ``aliasing_velocity_m_s`` 0.385 m/s); the demo's orifices are ellipses of 5.0 × 3.2 mm and
4.0 × 2.5 mm (demo/volume_phantom.py) → π·16 mm² = 0.50 cm² lateral, π·10 mm² = 0.31 cm² medial, sum
0.82 cm²; the inflow traces last 350 ms, the MR trace 420 ms (demo phantom beat timing).
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pydicom
import pytest

from demo.case import write_demo_case
from demo.phantom import write_demo_study
from imaging.sr_read import SRCode, SRNum, read_sr
from measurements.sr_import import FLOW, METHOD, SITE, TOPOGRAPHICAL, Mapped, Unknown, map_num, plan
from planning.case import Case, load_case
from planning.imported import import_sr, imported_of
from report.build import build_report
from report.sr import build_sr, evidence_for

from .test_outputs import dciodvfy_errors

LATERAL_CM2, MEDIAL_CM2 = math.pi * 16 / 100, math.pi * 10 / 100
ALIASING_M_S = 0.385
TOPO = ("106233006", "SCT")
COMMENT = ("121106", "DCM")


def _nums(items: Any, inherited: dict[tuple[str, str], str] | None = None) -> list[dict[str, Any]]:
    """Every NUM: concept (code, meaning), value, unit, the coded modifiers (own over the containers'),
    and its TEXT children."""
    out: list[dict[str, Any]] = []
    mods = dict(inherited or {})
    for item in items:
        if item.ValueType == "CODE" and item.RelationshipType in ("HAS CONCEPT MOD", "HAS ACQ CONTEXT"):
            mods[(item.ConceptNameCodeSequence[0].CodeValue, item.ConceptNameCodeSequence[0].CodingSchemeDesignator)] \
                = item.ConceptCodeSequence[0].CodeMeaning
    for item in items:
        if item.ValueType == "NUM" and "MeasuredValueSequence" in item:
            own = dict(mods)
            texts = []
            for c in item.get("ContentSequence", []):
                key = (c.ConceptNameCodeSequence[0].CodeValue, c.ConceptNameCodeSequence[0].CodingSchemeDesignator)
                if c.ValueType == "CODE":
                    own[key] = c.ConceptCodeSequence[0].CodeMeaning
                elif c.ValueType == "TEXT" and key == COMMENT:
                    texts.append(str(c.TextValue))
            name = item.ConceptNameCodeSequence[0]
            mv = item.MeasuredValueSequence[0]
            out.append({"code": (name.CodeValue, name.CodingSchemeDesignator), "meaning": name.CodeMeaning,
                        "value": float(mv.NumericValue), "unit": mv.MeasurementUnitsCodeSequence[0].CodeValue,
                        "mods": own, "texts": texts})
        elif item.ValueType == "CONTAINER" and "ContentSequence" in item:
            out += _nums(item.ContentSequence, mods)
    return out


@pytest.fixture(scope="module")
def demo_sr(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("srpurpose")
    study = write_demo_study(root / "loops")
    case = load_case(write_demo_case(study, root))
    report, sources = build_report(case)
    path = root / "sr.dcm"
    build_sr(report, evidence_for(report, sources.headers)).save_as(path)
    return {"path": path, "case": case, "nums": _nums(pydicom.dcmread(path).ContentSequence), "root": root}


def _labelled(nums: list[dict[str, Any]], word: str) -> list[dict[str, Any]]:
    return [n for n in nums if any(word in t for t in n["texts"])]


def test_the_pisa_radius_is_a_flow_radius_of_regurgitant_flow_by_pisa(demo_sr: dict[str, Any]) -> None:
    (radius,) = _labelled(demo_sr["nums"], "PISA radius")
    assert radius["code"] == ("59102-4", "LN") and radius["unit"] == "cm"
    assert radius["mods"][("260674002", "SCT")] == "Regurgitant Flow"
    assert radius["mods"][("370129005", "SCT")] == "Proximal Isovelocity Surface Area"


def test_the_pisa_group_carries_the_aliasing_velocity_as_entered(demo_sr: dict[str, Any]) -> None:
    (va,) = [n for n in demo_sr["nums"] if n["code"] == ("59130-5", "LN")]
    assert (va["meaning"], va["value"], va["unit"]) == ("Alias velocity", ALIASING_M_S, "m/s")  # not rounded to 0.39
    assert va["mods"][("399264008", "SCT")] == "Doppler Color Flow"  # in the colour group with the PISA results
    assert va["mods"][("370129005", "SCT")] == "Proximal Isovelocity Surface Area"
    assert any("input" in t for t in va["texts"])


def test_leaflet_lengths_name_the_posterior_leaflet_and_their_scallop(demo_sr: dict[str, Any]) -> None:
    for scallop in ("P3", "P1"):
        (length,) = _labelled(demo_sr["nums"], f"{scallop} free leaflet length")
        assert length["code"] == ("410668003", "SCT")
        assert length["mods"][("363698007", "SCT")] == "Cardiac Valve Leaflet"
        assert length["mods"][TOPO] == "Posterior"


def test_the_demo_annulus_is_a_diameter_at_the_mitral_annulus(demo_sr: dict[str, Any]) -> None:
    (annulus,) = _labelled(demo_sr["nums"], "Mitral annulus diameter")  # the demo mark's purpose: annulus_diameter
    assert annulus["code"] == ("81827009", "SCT") and annulus["mods"][("363698007", "SCT")] == "Mitral Annulus"
    assert TOPO not in annulus["mods"]


def test_a_length_without_a_purpose_keeps_length_with_its_label(demo_sr: dict[str, Any], tmp_path: Path) -> None:
    case = load_case(demo_sr["case"].path)
    case.marks = [replace(m, purpose=None) if m.id == "m_annulus" else m for m in case.marks]
    (annulus,) = _labelled(_sr_of(case, tmp_path / "none.dcm"), "Mitral annulus diameter")
    assert annulus["code"] == ("410668003", "SCT") and TOPO not in annulus["mods"]


def test_each_orifice_area_says_lateral_or_medial_and_only_the_sum_is_the_mva(demo_sr: dict[str, Any]) -> None:
    planimetry = [n for n in demo_sr["nums"] if n["mods"].get(("370129005", "SCT")) == "Planimetry"]
    by_side = {(n["code"], n["mods"].get(TOPO, "")): n["value"] for n in planimetry}
    assert by_side == {(("42798000", "SCT"), "Lateral"): round(LATERAL_CM2, 2),
                       (("42798000", "SCT"), "Medial"): round(MEDIAL_CM2, 2),
                       (("399367004", "SCT"), ""): round(LATERAL_CM2 + MEDIAL_CM2, 2)}  # Orifice Area: the MVA only
    assert all(n["mods"][("260674002", "SCT")] == "Antegrade Flow" for n in planimetry)


def test_durations_say_their_flow_direction(demo_sr: dict[str, Any]) -> None:
    durations = [n for n in demo_sr["nums"] if n["code"] == ("103335007", "SCT")]
    flows = sorted((n["value"], n["mods"].get(("260674002", "SCT")), n["mods"].get(("272518008", "SCT")))
                   for n in durations)
    assert flows == [(350.0, "Antegrade Flow", "Diastole"), (350.0, "Antegrade Flow", "Diastole"),
                     (420.0, "Regurgitant Flow", "Systole")]
    assert all(n["texts"] for n in durations)  # each with its trace's label


def test_the_sr_passes_dciodvfy(demo_sr: dict[str, Any]) -> None:
    assert dciodvfy_errors(demo_sr["path"]) == []


def test_mitraplans_sr_comes_back_into_a_fresh_case_without_misfiled_lengths_or_areas(
        demo_sr: dict[str, Any]) -> None:
    old = demo_sr["case"]
    fresh = Case(study=dict(old.study))
    summary = import_sr(fresh, read_sr(demo_sr["path"]))
    got = sorted((e.quantity, e.value) for e in imported_of(fresh) if e.unit in ("cm", "cm2"))
    assert ("distance", 0.45) in got  # the PISA radius: a distance, not a vena contracta or a VTI
    assert [v for q, v in got if q == "area"] == sorted([round(LATERAL_CM2, 2), round(MEDIAL_CM2, 2)])
    assert [v for q, v in got if q == "mva_planimetry"] == [round(LATERAL_CM2 + MEDIAL_CM2, 2)]  # only the sum
    assert sum(1 for q, _ in got if q == "distance") == 4  # PISA radius, P3, P1, annulus
    assert [u.reason for u in summary.unknown if u.concept.value == "59130-5"] == [
        "the aliasing velocity is an input of a PISA calculation, not a result: enter it with the calculation"]


def test_the_importer_records_the_purpose_a_concept_came_from(demo_sr: dict[str, Any]) -> None:
    kept = plan(read_sr(demo_sr["path"])).kept
    purposes = sorted(m.purpose for m in kept if m.purpose)
    assert purposes == ["annulus_diameter", "mr_jet", "mv_inflow", "mv_inflow", "orifice", "orifice", "pisa_radius",
                        "posterior_leaflet_length", "posterior_leaflet_length"]


_CM2 = SRCode("cm2", "UCUM", "cm2")
_ORIFICE = SRCode("399367004", "SCT", "Cardiovascular Orifice Area")
_AREA = SRCode("42798000", "SCT", "Area")
_PLANIMETRY = SRCode("125220", "DCM", "Planimetry")
_ANTEGRADE = SRCode("263677008", "SCT", "Antegrade Flow")
_MITRAL = SRCode("91134007", "SCT", "Mitral Valve")


def test_a_sided_orifice_area_from_any_sr_is_never_the_mva() -> None:
    mods = {METHOD: _PLANIMETRY, FLOW: _ANTEGRADE, SITE: _MITRAL}
    lateral = {**mods, TOPOGRAPHICAL: SRCode("49370004", "SCT", "Lateral")}
    whole = map_num(SRNum(_ORIFICE, 0.82, _CM2, modifiers=mods))
    ours = map_num(SRNum(_AREA, 0.5, _CM2, modifiers=lateral))  # as MitraPlan writes one orifice
    theirs = map_num(SRNum(_ORIFICE, 0.5, _CM2, modifiers=lateral))  # a cart's orifice area with a side
    other = map_num(SRNum(_AREA, 0.5, _CM2, modifiers={**mods, TOPOGRAPHICAL: SRCode("255551008", "SCT",
                                                                                     "Posterior")}))
    assert isinstance(whole, Mapped) and whole.quantity == "mva_planimetry"
    assert isinstance(ours, Mapped) and (ours.quantity, ours.purpose) == ("area", "orifice")
    assert isinstance(theirs, Unknown)  # a part of the valve: not the MVA, and no quantity of it
    assert isinstance(other, Unknown)  # a part the registry has no concept for: listed, not guessed


def test_an_orifice_whose_label_names_no_side_stays_a_generic_area(demo_sr: dict[str, Any], tmp_path: Path) -> None:
    case = load_case(demo_sr["case"].path)  # a copy: the module's case stays as built
    case.marks = [replace(m, label="orifice trace") if m.purpose == "orifice" else m for m in case.marks]
    report, sources = build_report(case)
    path = tmp_path / "sr.dcm"
    build_sr(report, evidence_for(report, sources.headers)).save_as(path)
    nums = _nums(pydicom.dcmread(path).ContentSequence)
    generic = [n for n in nums if n["code"] == ("42798000", "SCT")]
    assert sorted(n["value"] for n in generic) == sorted([round(LATERAL_CM2, 2), round(MEDIAL_CM2, 2)])
    kept = plan(read_sr(path)).kept
    assert sorted(m.value for m in kept if m.quantity == "mva_planimetry") == [round(LATERAL_CM2 + MEDIAL_CM2, 2)]


def _sr_of(case: Case, path: Path) -> list[dict[str, Any]]:
    report, sources = build_report(case)
    build_sr(report, evidence_for(report, sources.headers)).save_as(path)
    return _nums(pydicom.dcmread(path).ContentSequence)


def test_an_annulus_or_lvot_diameter_is_a_diameter_at_its_site_and_imports_as_a_distance(
        demo_sr: dict[str, Any], tmp_path: Path) -> None:
    for purpose, site in (("annulus_diameter", "Mitral Annulus"), ("lvot_diameter", "Left ventricle outflow tract")):
        case = load_case(demo_sr["case"].path)
        case.marks = [replace(m, purpose=purpose) if m.id == "m_annulus" else m for m in case.marks]
        path = tmp_path / f"{purpose}.dcm"
        (diameter,) = _labelled(_sr_of(case, path), "Mitral annulus diameter")
        assert diameter["code"] == ("81827009", "SCT") and diameter["mods"][("363698007", "SCT")] == site
        assert diameter["value"] == 3.13  # as the demo's Length was
        back = [m for m in plan(read_sr(path)).kept if m.purpose == purpose]
        assert [(m.quantity, m.value) for m in back] == [("distance", 3.13)]
        assert dciodvfy_errors(path) == []


def test_an_lvot_traces_values_sit_at_the_lvot_and_never_import_as_mitral_ones(
        demo_sr: dict[str, Any], tmp_path: Path) -> None:
    case = load_case(demo_sr["case"].path)
    case.marks = [replace(m, purpose="lvot") if m.id == "m_mr" else m for m in case.marks]  # its trace as an LVOT's
    case.calculations = [c for c in case.calculations if c["type"] != "pisa"]  # PISA needs an MR trace
    path = tmp_path / "lvot.dcm"
    nums = _sr_of(case, path)
    lvot = [n for n in nums if n["mods"].get(("363698007", "SCT")) == "Left ventricle outflow tract"]
    assert sorted(n["meaning"] for n in lvot) == ["Duration (attribute)", "Peak Blood Velocity",
                                                 "Time averaged peak velocity", "Velocity Time Integral"]
    assert all(n["mods"][("399264008", "SCT")] == "Doppler Pulsed" for n in lvot)
    result = plan(read_sr(path))
    assert [m.quantity for m in result.kept if m.purpose == "lvot"] == ["duration"]
    lvot_codes = {n["code"][0] for n in lvot} - {"103335007"}
    assert {u.concept.value for u in result.unknown} >= lvot_codes  # listed, not taken as the mitral vmax/vti


@pytest.mark.parametrize(("shift", "angle"), [(None, None), (0.2, 120.0)])
def test_the_aliasing_velocity_is_read_from_the_pisa_method_text_compute_writes(shift: float | None,
                                                                                angle: float | None) -> None:
    from measurements.compute import pisa_inputs_text
    from report.model import Measurement
    from report.sr import aliasing_entry

    method = f"PISA 2πr²Va ({pisa_inputs_text(0.4, shift, angle)})"
    entry = aliasing_entry(Measurement("c.pisa_flow", "flow", "pisa_flow", 40.0, "mL/s", method=method))
    assert entry is not None
    num = entry[1]
    assert float(num.MeasuredValueSequence[0].NumericValue) == 0.4
    assert num.ConceptNameCodeSequence[0].CodeValue == "59130-5"
    # an imported flow rate (its method names the SR it came from) has no Va to write
    assert aliasing_entry(Measurement("i.pisa_flow", "flow", "pisa_flow", 40.0, "mL/s",
                                      method="imported from Vendor SR")) is None
