"""The report's SR is a TID 5200 Adult Echocardiography Procedure Report that echo reporting systems map.

The content tree is read back with pydicom alone (``echo_nums``), the way an importer walks it:
Finding Site and Image Mode are inherited from the enclosing section and group unless a NUM
carries its own. Golden values are the report's own printed values (reporting precision) and the
hand arithmetic of tests/measurements/test_beats.py for the three-beat trace.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from measurements.compute import make_result, measure_all
from measurements.concepts import PRIVATE_SCHEME, QUANTITIES, purpose_concept
from report.build import _measurement
from report.model import Mark, Report
from report.sr import build_sr, evidence_for
from tests.measurements.test_beats import PEAKS, STARTS, _mark, _regions_for, _triangles

from .conftest import make_study, sample_report, sources_of
from .test_outputs import dciodvfy_errors

FINDING_SITE, IMAGE_MODE = ("363698007", "SCT"), ("399264008", "SCT")
DERIVATION, SELECTION = ("121401", "DCM"), ("121404", "DCM")
FLOW, METHOD, PHASE = ("260674002", "SCT"), ("370129005", "SCT"), ("272518008", "SCT")
N_BEATS = ("N-BEATS", PRIVATE_SCHEME)


def _code(seq: pydicom.Sequence) -> tuple[str, str]:
    return str(seq[0].CodeValue), str(seq[0].CodingSchemeDesignator)


@dataclass
class Num:
    """One NUM as an importer sees it: concept, value, unit, modifiers (inherited ones included)."""

    name: tuple[str, str]
    value: float
    unit: tuple[str, str]
    mods: dict[tuple[str, str], tuple[str, str]]
    props: dict[tuple[str, str], object] = field(default_factory=dict)
    frames: list[tuple[str, int]] = field(default_factory=list)
    scoords: list[list[float]] = field(default_factory=list)
    path: tuple[tuple[str, str], ...] = ()


def _num(item: Dataset, inherited: dict, path: tuple) -> Num:
    mv = item.MeasuredValueSequence[0]
    num = Num(_code(item.ConceptNameCodeSequence), float(mv.NumericValue),
              _code(mv.MeasurementUnitsCodeSequence), dict(inherited), path=path)
    for child in item.get("ContentSequence", []):
        rel, vt = child.RelationshipType, child.ValueType
        if rel in ("HAS CONCEPT MOD", "HAS ACQ CONTEXT") and vt == "CODE":
            num.mods[_code(child.ConceptNameCodeSequence)] = _code(child.ConceptCodeSequence)
        elif rel == "HAS PROPERTIES" and vt in ("CODE", "NUM"):  # a TEXT is a Comment (mark label, warning)
            name = _code(child.ConceptNameCodeSequence)
            num.props[name] = (_code(child.ConceptCodeSequence) if vt == "CODE"
                               else float(child.MeasuredValueSequence[0].NumericValue))
        elif rel == "INFERRED FROM" and vt == "IMAGE":
            ref = child.ReferencedSOPSequence[0]
            frames = ref.get("ReferencedFrameNumber", 1)  # a volume's time point: the frames of its slices
            for frame in (frames if isinstance(frames, MultiValue) else [frames]):
                num.frames.append((str(ref.ReferencedSOPInstanceUID), int(frame)))
        elif rel == "INFERRED FROM" and vt == "SCOORD":
            num.scoords.append([float(v) for v in child.GraphicData])
    return num


def echo_nums(item: Dataset, inherited: dict | None = None, path: tuple = ()) -> list[Num]:
    """Every NUM under ``item`` (a dataset or a container), with the Finding Site / Image Mode of
    the containers it sits in."""
    inherited = dict(inherited or {})
    children = list(item.get("ContentSequence", []))
    for child in children:
        if child.RelationshipType == "HAS CONCEPT MOD" and child.ValueType == "CODE":
            inherited[_code(child.ConceptNameCodeSequence)] = _code(child.ConceptCodeSequence)
    here = (*path, _code(item.ConceptNameCodeSequence)) if "ConceptNameCodeSequence" in item else path
    out: list[Num] = []
    for child in children:
        if child.RelationshipType != "CONTAINS":
            continue
        if child.ValueType == "NUM":
            out.append(_num(child, inherited, here))
        elif child.ValueType == "CONTAINER":
            out.extend(echo_nums(child, inherited, here))
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    """The demo report's SR on disk (with the extra hand-number results of test_sr_quantities)."""
    from demo.case import write_demo_case
    from demo.phantom import write_demo_study
    from planning.case import load_case, measure_case
    from report.build import build_report
    from report.json_export import report_to_json

    from .test_sr_quantities import EXTRA

    root = tmp_path_factory.mktemp("tid5200")
    case = load_case(write_demo_case(write_demo_study(root / "loops"), root))
    results, errors = measure_case(case)
    extra = [make_result(rid, rid, q, v, ()) for rid, q, v in EXTRA]
    report, sources = build_report(case, results=[*results, *extra], errors=errors)
    path = root / "sr.dcm"
    build_sr(report, evidence_for(report, sources.headers)).save_as(path)
    document = json.loads(json.dumps(report_to_json(report)))
    return report, document, path


def test_root_is_tid_5200_with_its_template_identifier(demo) -> None:
    _, _, path = demo
    ds = pydicom.dcmread(path)
    assert _code(ds.ConceptNameCodeSequence) == ("125200", "DCM")
    assert ds.ConceptNameCodeSequence[0].CodeMeaning == "Adult Echocardiography Procedure Report"
    (template,) = ds.ContentTemplateSequence
    assert (template.MappingResource, template.TemplateIdentifier) == ("DCMR", "5200")
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.34"  # Comprehensive 3D SR: the demo's 3D planimetry
    kinds = [(c.RelationshipType, _code(c.ConceptNameCodeSequence)) for c in ds.ContentSequence]
    assert ("HAS OBS CONTEXT", ("121005", "DCM")) in kinds  # TID 1001: Observer Type
    assert ("CONTAINS", ("121118", "DCM")) in kinds  # TID 5201 Patient Characteristics
    assert ("CONTAINS", ("121070", "DCM")) in kinds  # TID 5202 Findings


def test_patient_characteristics_carry_age_at_the_study_and_sex(demo) -> None:
    report, _, path = demo
    ds = pydicom.dcmread(path)
    (pc,) = [c for c in ds.ContentSequence if _code(c.ConceptNameCodeSequence) == ("121118", "DCM")]
    items = {_code(c.ConceptNameCodeSequence): c for c in pc.ContentSequence}
    # demo patient born 1947-03-12; age at the study date in whole years, by hand
    born, on = report.header.birth_date, report.header.study_date
    years = int(on[:4]) - int(born[:4]) - (on[4:] < born[4:])
    assert float(items[("121033", "DCM")].MeasuredValueSequence[0].NumericValue) == years
    assert _code(items[("121033", "DCM")].MeasuredValueSequence[0].MeasurementUnitsCodeSequence) == ("a", "UCUM")
    assert _code(items[("121032", "DCM")].ConceptCodeSequence) == (report.header.sex, "DCM")


def test_demo_sr_passes_dciodvfy_and_dsrdump(demo) -> None:
    from .test_outputs import require

    _, _, path = demo
    assert dciodvfy_errors(path) == []
    out = subprocess.run([require("dsrdump"), "+Pt", str(path)], capture_output=True, text=True)
    assert out.returncode == 0 and "error" not in out.stderr.lower(), out.stderr
    assert "# TID 5200 (DCMR)" in out.stdout and "Adult Echocardiography Procedure Report" in out.stdout


def test_highdicom_reads_it_back(demo) -> None:
    import highdicom as hd

    _, _, path = demo
    sr = hd.sr.srread(path)
    assert sr.content[0].name.value == "125200"
    assert sr.CodingSchemeIdentificationSequence[-1].CodingSchemeDesignator == PRIVATE_SCHEME


def test_every_quantity_reads_back_as_report_json_prints_it(demo) -> None:
    """Each exported measurement of report.json is one NUM: same concept, value at reporting
    precision, UCUM unit, method, flow direction, finding site and image mode (inherited or own)."""
    _, document, path = demo
    nums = echo_nums(pydicom.dcmread(path))

    def key_of_num(n: Num) -> tuple:
        return (n.name, round(n.value, 6), n.unit, n.mods.get(METHOD), n.mods.get(FLOW), n.mods[FINDING_SITE],
                n.mods.get(IMAGE_MODE))

    expected = []
    purpose = {mk["id"]: mk.get("purpose") for mk in document["marks"]}
    in_3d = {mk["id"] for mk in document["marks"] if mk.get("points3d")}
    for m in document["measurements"]:
        q = QUANTITIES[m["quantity"]]
        if q.sr is None:
            continue
        # a generic distance/area/duration is coded by its mark's purpose (the demo's labels name the sides)
        by_purpose = purpose_concept(q.name, purpose.get(m["source"][0]) or "") if len(m["source"]) == 1 else None
        c = by_purpose or q.sr
        shown = float(m["shown"].split(" ")[0])
        flow = None if c.flow is None else (c.flow.value, c.flow.scheme)
        if flow is not None and {purpose.get(i) for i in m["source"]} == {"mr_jet"}:
            flow = ("397417004", "SCT")  # an MR jet trace's velocities are regurgitant flow
        mode = None if c.mode is None else (c.mode.value, c.mode.scheme)
        if mode is not None and m["source"] and set(m["source"]) <= in_3d:
            mode = ("426865009", "SCT")  # measured on an MPR of the volume: 3D mode (CID 12224)
        expected.append(((c.name.value, c.name.scheme), round(shown, 6), (q.ucum.value, "UCUM"),
                         None if c.method is None else (c.method.value, c.method.scheme),
                         flow, (c.site.value, c.site.scheme), mode))
    assert len(expected) >= 20
    alias = ("59130-5", "LN")  # the PISA input, not a report.json measurement (test_sr_mark_purposes)
    assert Counter(key_of_num(n) for n in nums if n.path[1:2] == (("121070", "DCM"),) and n.name != alias) \
        == Counter(expected)


def test_every_registry_quantity_with_a_concept_is_written_when_measured(demo) -> None:
    report, _, path = demo
    written = {n.name for n in echo_nums(pydicom.dcmread(path))}
    measured = {m.quantity for m in report.measurements}
    for name in measured:
        q = QUANTITIES[name]
        if q.sr is not None:
            assert (q.sr.name.value, q.sr.name.scheme) in written, name


def test_findings_sections_are_per_structure(demo) -> None:
    _, _, path = demo
    ds = pydicom.dcmread(path)
    sites = [_code(s.ContentSequence[0].ConceptCodeSequence) for s in ds.ContentSequence
             if _code(s.ConceptNameCodeSequence) == ("121070", "DCM")]
    # PASP sits in the Pulmonary Artery section, after the Mitral Valve's (TID 5200 section order)
    assert sites == [("91134007", "SCT"), ("81040000", "SCT")]
    nums = echo_nums(ds)
    (pasp,) = [n for n in nums if n.name == ("250768007", "SCT")]
    assert pasp.mods[FINDING_SITE] == ("81040000", "SCT")
    # every NUM with an image mode sits in a Measurement Group of that mode
    assert all(n.path[-1] == ("125007", "DCM") for n in nums if IMAGE_MODE in n.mods)


def test_mitral_inflow_is_diastolic_and_regurgitation_systolic(demo) -> None:
    _, _, path = demo
    for n in echo_nums(pydicom.dcmread(path)):
        if n.mods.get(FINDING_SITE) == ("91134007", "SCT") and FLOW in n.mods:
            want = {("263677008", "SCT"): ("90892000", "SCT"), ("397417004", "SCT"): ("111973004", "SCT")}
            assert n.mods[PHASE] == want[n.mods[FLOW]]


def _beat_report(tmp_path: Path) -> Report:
    """The sample report with the three-beat inflow trace of test_beats as its only measurements,
    the trace lying on frame 2 of the first stand-in loop."""
    study = make_study(tmp_path / "study")
    report = sample_report(study)
    results, errors = measure_all([_mark(_triangles(STARTS, PEAKS))], [], _regions_for)
    assert errors == []
    uid = report.images[0].sop_instance_uid
    trace = Mark("m3", "doppler_trace", "MV inflow", uid, 2, 0, ((10.0, 10.0), (20.0, 30.0), (30.0, 10.0)))
    return replace(report, marks=(trace,), measurements=tuple(_measurement(r) for r in results))


def test_three_beat_trace_gives_three_beats_and_one_selected_mean(tmp_path: Path) -> None:
    report = _beat_report(tmp_path)
    path = tmp_path / "sr.dcm"
    build_sr(report, evidence_for(report, sources_of_report(report))).save_as(path)
    nums = [n for n in echo_nums(pydicom.dcmread(path)) if n.name == ("20354-7", "LN")]  # VTI
    beats = [n for n in nums if n.mods.get(DERIVATION) == ("258104002", "SCT")]  # Measured
    chosen = [n for n in nums if SELECTION in n.props]
    # VTI of a triangle of peak V over 0.2 s = 10 V cm: 10, 12, 8 cm; their mean 10.0 cm
    assert [n.value for n in beats] == [10.0, 12.0, 8.0]
    assert all(SELECTION not in n.props for n in beats)
    (mean,) = chosen
    assert mean.value == 10.0 and mean.unit == ("cm", "UCUM")
    assert mean.mods[DERIVATION] == ("373098007", "SCT")  # Mean
    assert mean.props[SELECTION] == ("121412", "DCM")  # Mean value chosen
    assert mean.props[N_BEATS] == 3
    assert len(nums) == 4
    # each references the trace's image, frame and SCOORD
    for n in nums:
        assert n.frames == [(report.images[0].sop_instance_uid, 2)]
        assert n.scoords == [[10.0, 10.0, 20.0, 30.0, 30.0, 10.0]]
    assert dciodvfy_errors(path) == []


def sources_of_report(report: Report) -> dict[str, Dataset]:
    return {i.sop_instance_uid: pydicom.dcmread(i.path, stop_before_pixels=True) for i in report.images}


def test_held_values_are_not_in_the_sr(tmp_path: Path) -> None:
    from measurements import plausibility

    report = _beat_report(tmp_path)
    why = ["inflow towards the transducer"]
    (held,), _ = plausibility.hold([make_result("x.mean_gradient", "x", "mean_gradient", 9.0, ())], why,
                                   confirmed=False)
    (kept,), _ = plausibility.hold([make_result("y.mean_gradient", "y", "mean_gradient", 11.0, ())], why,
                                   confirmed=True)
    report = replace(report, measurements=(*report.measurements, _measurement(held), _measurement(kept)))
    path = tmp_path / "sr.dcm"
    build_sr(report, evidence_for(report, sources_of_report(report))).save_as(path)
    gradients = {n.value for n in echo_nums(pydicom.dcmread(path)) if n.name == ("20256-4", "LN")}
    assert 11.0 in gradients and 9.0 not in gradients


def test_planning_findings_are_in_their_own_private_container(tmp_path: Path) -> None:
    study = make_study(tmp_path / "study")
    report = sample_report(study)
    path = tmp_path / "sr.dcm"
    build_sr(report, evidence_for(report, sources_of(study).headers)).save_as(path)
    ds = pydicom.dcmread(path)
    (planning,) = [c for c in ds.ContentSequence if _code(c.ConceptNameCodeSequence)[1] == PRIVATE_SCHEME]
    assert _code(planning.ConceptNameCodeSequence) == ("PLANNING", PRIVATE_SCHEME)
    text = " ".join(str(e.value) for e in planning.iterall() if e.keyword in ("CodeValue", "CodeMeaning", "TextValue"))
    assert "SYS-MITRACLIP" in text and "Jet j1" in text and "Decision support" in text
    assert echo_nums(planning) == []  # no measurement outside the TID 5200 sections


def test_the_mean_over_two_traces_is_selected_and_the_trace_means_are_not() -> None:
    from report.model import Measurement
    from report.sr_tid5200 import BeatRole, beat_roles

    # trace a: 3 beats, trace b: 2 beats, both averaged into avg.mv_inflow (5 beats); a lone distance
    ms = [Measurement(f"a.beat{k}.vmax", "", "vmax", 1.0, "m/s", ("a",), beat=k) for k in (1, 2, 3)]
    ms += [Measurement("a.vmax", "", "vmax", 1.0, "m/s", ("a",), beats=3),
           Measurement("b.beat1.vmax", "", "vmax", 1.1, "m/s", ("b",), beat=1),
           Measurement("b.beat2.vmax", "", "vmax", 0.9, "m/s", ("b",), beat=2),
           Measurement("b.vmax", "", "vmax", 1.0, "m/s", ("b",), beats=2),
           Measurement("avg.mv_inflow.vmax", "", "vmax", 1.0, "m/s", ("a", "b"), beats=5),
           Measurement("d.distance", "", "distance", 0.8, "cm", ("d",))]
    roles = beat_roles(ms)
    assert [roles[f"a.beat{k}.vmax"] for k in (1, 2, 3)] == [BeatRole.BEAT] * 3
    assert roles["a.vmax"] is roles["b.vmax"] is BeatRole.MEAN
    assert roles["avg.mv_inflow.vmax"] is BeatRole.SELECTED
    assert "d.distance" not in roles
    # two single-beat traces averaged: each trace's value is a beat of the selected mean
    single = [Measurement("c.vmax", "", "vmax", 1.0, "m/s", ("c",)), Measurement("e.vmax", "", "vmax", 1.2, "m/s", ("e",)),
              Measurement("avg.mv_inflow.vmax", "", "vmax", 1.1, "m/s", ("c", "e"), beats=2)]
    assert list(beat_roles(single).values()) == [BeatRole.BEAT, BeatRole.BEAT, BeatRole.SELECTED]


def test_lvot_measurements_sit_in_the_left_ventricle_section_with_their_own_site(tmp_path: Path) -> None:
    from report.model import Measurement

    study = make_study(tmp_path / "study")
    report = sample_report(study)
    # LVOT area of a 2.0 cm diameter: π · 1.0² = 3.14159 cm² → 3.14 at reporting precision
    lvot = Measurement("r9", "LVOT area", "lvot_area", 3.14159, "cm2", ("m2",))
    report = replace(report, measurements=(*report.measurements, lvot))
    path = tmp_path / "sr.dcm"
    build_sr(report, evidence_for(report, sources_of(study).headers)).save_as(path)
    ds = pydicom.dcmread(path)
    sections = [s for s in ds.ContentSequence if _code(s.ConceptNameCodeSequence) == ("121070", "DCM")]
    assert _code(sections[0].ContentSequence[0].ConceptCodeSequence) == ("87878005", "SCT")  # LV section first
    (n,) = echo_nums(sections[0])
    assert (n.name, n.value, n.unit) == (("42798000", "SCT"), 3.14, ("cm2", "UCUM"))
    assert n.mods[FINDING_SITE] == ("13418002", "SCT")  # its own site overrides the section's
    assert n.mods[IMAGE_MODE] == ("399064001", "SCT")
    assert dciodvfy_errors(path) == []


def test_an_anonymised_export_has_no_patient_characteristics(tmp_path: Path) -> None:
    from report.export import export_report

    study = make_study(tmp_path / "study")
    result = export_report(sample_report(study), sources_of(study), tmp_path / "out", anonymise=True)
    ds = pydicom.dcmread(result.sr)
    assert ("121118", "DCM") not in {_code(c.ConceptNameCodeSequence) for c in ds.ContentSequence}
    assert len(echo_nums(ds)) == 7  # the measurements are all still there (sample report: 7 rows)


#: Registry quantities the SR codes identically (an importer cannot tell them apart from the SR).
SAME_CODING = {frozenset({"duration", "time_interval"}), frozenset({"vena_contracta", "vena_contracta_biplane"})}


def test_each_quantity_is_coded_apart_from_the_others_but_the_known_pairs() -> None:
    """An importer maps (concept, method, flow, site, mode) back to a quantity; two quantities with
    the same coding would be merged on import. The two known pairs are listed so a new one fails."""
    by_coding: dict[tuple, set[str]] = {}
    for q in QUANTITIES.values():
        if q.sr is not None:
            c = q.sr
            key = (c.name, c.method, c.flow, c.site, c.mode, q.unit)
            by_coding.setdefault(key, set()).add(q.name)
    assert {frozenset(v) for v in by_coding.values() if len(v) > 1} == SAME_CODING


def test_an_mr_jet_trace_is_coded_as_regurgitant_systolic_flow(demo) -> None:
    # the demo's MR jet CW trace (Vmax 5.0 m/s, peak gradient 4·5² = 100 mmHg): its NUMs were coded
    # antegrade/diastole, the registry's coding for mitral inflow; an echo importer would file them as MS numbers
    report, _, path = demo
    jet_marks = {m.id for m in report.marks if m.purpose == "mr_jet"}
    jet_values = {round(m.value, 1) for m in report.measurements
                  if set(m.source) and set(m.source) <= jet_marks and m.quantity in ("vmax", "peak_gradient")}
    assert jet_values >= {5.0, 100.0}
    regurgitant, systole = ("397417004", "SCT"), ("111973004", "SCT")
    coded = {round(n.value, 1): (n.mods.get(FLOW), n.mods.get(PHASE)) for n in echo_nums(pydicom.dcmread(path))
             if round(n.value, 1) in jet_values}
    assert coded and all(c == (regurgitant, systole) for c in coded.values()), coded
