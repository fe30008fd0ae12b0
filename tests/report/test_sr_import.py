"""Importing a measurement SR into a case: cart TID 5200 (tests/report/vendor_sr.py), MitraPlan's own
TID 5200 (round trip) and the TID 1500 MitraPlan 0.1.0 wrote.

Golden values: the cart fixture's ``EXPECTED`` table (hand arithmetic there: 100/120/80 cm/s → mean
100 cm/s = 1.0 m/s; 12.5/3 mmHg; 110 ms; 0.21 cm²) and the demo report's printed values.
"""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

import highdicom as hd
import pydicom
import pytest
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

from imaging.sr_read import read_sr
from measurements.plausibility import is_held
from measurements.sr_import import convert
from planning.case import Case, load_case, measure_case
from planning.findings import assessment_input
from planning.imported import GRADED_FROM_IMPORT, Status, import_sr, imported_of, set_status
from planning.study import StudyMismatch

from .conftest import make_study
from .vendor_sr import EXPECTED, ge_style_sr

R = hd.sr.RelationshipTypeValues


@pytest.fixture
def study(tmp_path: Path) -> dict[str, object]:
    return make_study(tmp_path / "study")


def _cart_sr(study: dict[str, object], path: Path, extra: list[hd.sr.ContentItem] = ()) -> Path:
    """The GE-style cart SR; ``extra`` NUMs are appended to its Mitral Valve section."""
    sr = ge_style_sr(study["datasets"][0])
    if extra:
        section = sr.ContentSequence[-1]
        for item in extra:
            section.ContentSequence.append(item)
    sr.save_as(path)
    return path


def _bound_case(study: dict[str, object]) -> Case:
    ds = study["datasets"][0]
    return Case(study={"patient_id": str(ds.PatientID), "patient_name": str(ds.PatientName),
                       "study_instance_uid": str(ds.StudyInstanceUID)})


def test_cart_sr_gives_each_quantity_once_with_its_selected_value(study, tmp_path: Path) -> None:
    case = _bound_case(study)
    summary = import_sr(case, read_sr(_cart_sr(study, tmp_path / "ge.dcm")))
    got = {e.quantity: (e.value, e.unit) for e in summary.added}
    assert len(summary.added) == len(EXPECTED) == len(got)  # each quantity once
    # EXPECTED keys (concept, flow) -> the registry quantity they are
    assert got["vmax"] == pytest.approx(EXPECTED[("20355-4", "R-42047")])  # 100 cm/s → 1.0 m/s
    assert got["mean_gradient"][0] == pytest.approx(EXPECTED[("20256-4", "R-42047")][0], abs=1e-4)
    assert got["pht"] == EXPECTED[("20280-4", "R-42047")]
    assert got["eroa_pisa"] == EXPECTED[("G-038E", "G-0367")]  # legacy SRT concept, site and flow
    # 3 + 3 + 1 + 1 values written without Selection Status collapsed into the 4 chosen ones
    assert summary.collapsed == 8 and summary.unknown == ()
    vmax = next(e for e in summary.added if e.quantity == "vmax")
    assert vmax.provenance["sr_value"] == 100.0 and vmax.provenance["sr_unit"] == "cm/s"
    assert vmax.provenance["selection"] == "Mean value chosen"
    assert vmax.device == "Synthetic Vendor Cart SR imitation"  # observer-context device: header has no model
    assert vmax.sop_instance_uid == read_sr(tmp_path / "ge.dcm").sop_instance_uid
    eroa = next(e for e in summary.added if e.quantity == "eroa_pisa")
    assert eroa.provenance["concept"]["legacy_srt"] == "G-038E"


def test_legacy_srt_codes_read_as_snomed_ct(study, tmp_path: Path) -> None:
    doc = read_sr(_cart_sr(study, tmp_path / "ge.dcm"))
    site = {n.modifiers[("363698007", "SCT")].key for n in doc.nums}
    assert site == {("91134007", "SCT")}  # T-35300 SRT Mitral Valve under G-C0E3 SRT Finding Site


@pytest.mark.parametrize(("value", "src", "dst", "expected"), [
    (100.0, "cm/s", "m/s", 1.0), (4.5, "mm", "cm", 0.45), (21.0, "mm2", "cm2", 0.21),
    (6.0, "l/min", "ml/s", 100.0),  # 6000 ml / 60 s
    (0.11, "s", "ms", 110.0), (15.0, "cm3", "ml", 15.0),
])
def test_ucum_units_convert_to_the_app_unit(value: float, src: str, dst: str, expected: float) -> None:
    assert convert(value, src, dst) == pytest.approx(expected)


def test_a_unit_of_another_dimension_is_refused() -> None:
    assert convert(1.0, "cm", "m/s") is None and convert(1.0, "furlong", "cm") is None


def test_unknown_concepts_are_listed_in_the_summary_and_the_case(study, tmp_path: Path) -> None:
    # a cart NUM MitraPlan has no quantity for (LOINC Aortic root diameter), and a velocity in a volume unit
    aortic = hd.sr.NumContentItem(name=Code("18015-8", "LN", "Aortic Root Diameter"), value=3.1,
                                  unit=Code("cm", "UCUM", "cm"), relationship_type=R.CONTAINS)
    wrong = hd.sr.NumContentItem(name=Code("20355-4", "LN", "Peak Blood Velocity"), value=3.0,
                                 unit=Code("ml", "UCUM", "ml"), relationship_type=R.CONTAINS)
    case = _bound_case(study)
    summary = import_sr(case, read_sr(_cart_sr(study, tmp_path / "ge.dcm", [aortic, wrong])))
    assert [u.concept.value for u in summary.unknown] == ["18015-8", "20355-4"]
    assert "no quantity" in summary.unknown[0].reason and "cannot be converted" in summary.unknown[1].reason
    listed = case.extra["imported_unknown"]
    assert [(u["concept"]["value"], u["value"], u["unit"]) for u in listed] == [("18015-8", 3.1, "cm"),
                                                                               ("20355-4", 3.0, "ml")]
    assert len(summary.added) == len(EXPECTED)  # the known ones still imported


def test_an_sr_of_another_patient_is_refused_naming_both(study, tmp_path: Path) -> None:
    case = Case(study={"patient_id": "OTHER-1", "patient_name": "Other^Person", "study_instance_uid": "1.2.3"},
                path=tmp_path / "c.mitraplan.json")
    with pytest.raises(StudyMismatch) as err:
        import_sr(case, read_sr(_cart_sr(study, tmp_path / "ge.dcm")))
    text = str(err.value)
    assert "OTHER-1" in text and "PID-778899" in text and "ge.dcm" in text
    assert "imported" not in case.extra


def test_an_unbound_case_is_bound_to_the_srs_study(study, tmp_path: Path) -> None:
    case = Case()
    import_sr(case, read_sr(_cart_sr(study, tmp_path / "ge.dcm")))
    assert case.study["patient_id"] == "PID-778899" and case.study["study_instance_uid"] == study["study_uid"]


def test_importing_the_same_sr_twice_adds_nothing(study, tmp_path: Path) -> None:
    case, path = _bound_case(study), _cart_sr(study, tmp_path / "ge.dcm")
    import_sr(case, read_sr(path))
    again = import_sr(case, read_sr(path))
    assert again.already and again.added == () and len(imported_of(case)) == len(EXPECTED)


def test_unaccepted_imported_values_are_held_and_not_fed_to_decision_support(study, tmp_path: Path) -> None:
    case = _bound_case(study)
    import_sr(case, read_sr(_cart_sr(study, tmp_path / "ge.dcm")))
    results, _ = measure_case(case)
    gradient = next(r for r in results if r.quantity == "mean_gradient")
    assert gradient.imported is not None and gradient.imported_status == "imported"
    assert is_held(gradient) and gradient.grades == () and "not accepted" in gradient.warnings[0]
    assert "imported from Synthetic Vendor" in gradient.label
    assert assessment_input(case, results).mean_gradient is None
    # accepted: used and graded, the grade saying it was graded from an imported value
    entry = next(e for e in imported_of(case) if e.quantity == "mean_gradient")
    set_status(case, entry.id, Status.ACCEPTED)
    results, _ = measure_case(case)
    gradient = next(r for r in results if r.quantity == "mean_gradient")
    assert not gradient.warnings and gradient.grades
    assert all(g.source.startswith(GRADED_FROM_IMPORT) for g in gradient.grades)
    used = assessment_input(case, results).mean_gradient
    assert used is not None and used.value == pytest.approx(12.5 / 3, abs=1e-4)
    # hidden: shown nowhere
    set_status(case, entry.id, Status.HIDDEN)
    assert not any(r.quantity == "mean_gradient" for r in measure_case(case)[0])


def _demo(root: Path) -> tuple[Case, object, Path]:
    from demo.case import write_demo_case
    from demo.phantom import write_demo_study
    from report.build import build_report
    from report.sr import build_sr, evidence_for

    case = load_case(write_demo_case(write_demo_study(root / "loops"), root))
    results, errors = measure_case(case)
    report, sources = build_report(case, results=results, errors=errors)
    path = root / "report-sr.dcm"
    build_sr(report, evidence_for(report, sources.headers)).save_as(path)
    return case, report, path


def test_round_trip_the_demo_reports_sr_into_a_fresh_case(tmp_path: Path) -> None:
    from report.sr import exported
    from report.sr_tid5200 import BeatRole, beat_roles

    case, report, path = _demo(tmp_path)
    fresh = Case()
    summary = import_sr(fresh, read_sr(path))
    ms = [m for m in report.measurements if exported(m)]
    roles = beat_roles(ms)
    # every exported value but the beats averaged into a selected mean, at reporting precision
    want = Counter((m.quantity, float(m.shown)) for m in ms if roles.get(m.id) not in (BeatRole.BEAT, BeatRole.MEAN))
    got = Counter((e.quantity, e.value) for e in summary.added)
    assert got == want
    assert summary.collapsed == sum(1 for m in ms if roles.get(m.id) in (BeatRole.BEAT, BeatRole.MEAN))
    assert fresh.study["study_instance_uid"] == case.study["study_instance_uid"]
    assert fresh.study["patient_id"] == case.study["patient_id"]
    # the only unknowns are the TID 5201 patient age and the PISA input Va, listed with their reasons
    assert [u.reason for u in summary.unknown] == [
        "a patient characteristic (TID 5201), not a measurement",
        "the aliasing velocity is an input of a PISA calculation, not a result: enter it with the calculation"]
    vmax = next(e for e in summary.added if e.quantity == "vmax" and e.value == 1.8)
    assert vmax.provenance["selection"] == "Mean value chosen" and vmax.provenance["beats"] == 2
    assert vmax.provenance["source_image"]["sop_instance_uid"] in {i["sop_instance_uid"] for i in case.images}


def test_own_marks_supersede_imported_values_of_the_same_quantity(tmp_path: Path) -> None:
    case, _, path = _demo(tmp_path)
    import_sr(case, read_sr(path))
    imported = [r for r in measure_case(case)[0] if r.imported is not None]
    assert imported and all(r.imported_status == "superseded" and is_held(r) for r in imported)


def test_the_tid_1500_sr_of_mitraplan_0_1_0_imports(study, tmp_path: Path) -> None:
    """0.1.0 wrote each value in its own TID 1500 Measurement Group: Finding Site and Method as
    concept modifiers, Flow Direction beside them, Image Mode as acquisition context (git 7a061d2)."""
    measurement = hd.sr.Measurement(
        name=codes.LN.PeakBloodVelocity, value=1.8, unit=Code("m/s", "UCUM", "m/s"),
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier="inflow vmax"),
        finding_sites=[hd.sr.FindingSite(codes.SCT.MitralValve)])
    num = measurement[0]
    num.ContentSequence.append(hd.sr.CodeContentItem(name=Code("260674002", "SCT", "Flow Direction"),
                                                     value=codes.SCT.AntegradeFlow, relationship_type=R.HAS_CONCEPT_MOD))
    num.ContentSequence.append(hd.sr.CodeContentItem(name=codes.SCT.ImageMode, value=codes.SCT.DopplerContinuousWave,
                                                     relationship_type=R.HAS_ACQ_CONTEXT))
    group = hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier="m1 inflow"), measurements=[measurement])
    device = hd.sr.ObserverContext(observer_type=codes.DCM.Device,
                                   observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
                                       uid=hd.UID(), name="MitraPlan", manufacturer_name="MitraPlan project",
                                       model_name="MitraPlan"))
    person = hd.sr.ObserverContext(observer_type=codes.DCM.Person,
                                   observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(
                                       name="Echo^Reader"))
    content = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_person_context=person, observer_device_context=device),
        procedure_reported=codes.SCT.TransesophagealEchocardiography, imaging_measurements=[group])
    sr = hd.sr.ComprehensiveSR(evidence=[study["datasets"][0]], content=content, series_instance_uid=hd.UID(),
                               series_number=9901, sop_instance_uid=hd.UID(), instance_number=1,
                               manufacturer="MitraPlan", is_complete=True)
    sr.save_as(tmp_path / "v010.dcm")
    assert pydicom.dcmread(tmp_path / "v010.dcm").ContentTemplateSequence[0].TemplateIdentifier == "1500"
    summary = import_sr(_bound_case(study), read_sr(tmp_path / "v010.dcm"))
    assert [(e.quantity, e.value, e.unit, e.observer) for e in summary.added] == [("vmax", 1.8, "m/s", "Echo^Reader")]


def test_a_private_code_is_matched_by_its_meaning_as_a_fallback(study, tmp_path: Path) -> None:
    # a cart's private code for PHT (meaning as LOINC 20280-4 spells it), in seconds: 0.125 s = 125 ms
    pht = hd.sr.NumContentItem(name=Code("PHT01", "99CART", "Pressure Half-Time"), value=0.125,
                               unit=Code("s", "UCUM", "s"), relationship_type=R.CONTAINS)
    case = _bound_case(study)
    summary = import_sr(case, read_sr(_cart_sr(study, tmp_path / "ge.dcm", [pht])))
    by_meaning = [e for e in summary.added if e.provenance["matched_by"] == "meaning"]
    assert [(e.quantity, e.value, e.unit) for e in by_meaning] == [("pht", 125.0, "ms")]
    assert by_meaning[0].provenance["concept"] == {"value": "PHT01", "scheme": "99CART", "meaning": "Pressure Half-Time"}


def test_a_malformed_imported_entry_is_refused_on_load_naming_the_field(tmp_path: Path) -> None:
    import json

    from planning.case import CaseError

    path = tmp_path / "bad.mitraplan.json"
    path.write_text(json.dumps({"format": "mitraplan-case", "version": 1, "imported": [
        {"id": "imp1", "quantity": "vmax", "value": 1.0, "unit": "m/s", "provenance": {}, "status": "trusted"}]}))
    with pytest.raises(CaseError, match=r"imported\[0\]\.status: 'trusted' is not one of") as err:
        load_case(path)
    assert "bad.mitraplan.json" in str(err.value)
    path.write_text(json.dumps({"format": "mitraplan-case", "version": 1, "imported": [
        {"id": "imp1", "quantity": "vmax", "value": 100.0, "unit": "cm/s", "provenance": {}}]}))
    with pytest.raises(CaseError, match=r"imported\[0\]\.unit must be 'm/s'"):
        load_case(path)


def test_raw_values_collapse_into_a_chosen_value_that_references_its_image(study, tmp_path: Path) -> None:
    """Some carts reference the image only on the chosen value: the raw values still collapse."""
    ds = study["datasets"][0]
    sr = ge_style_sr(ds)
    cw_group = sr.ContentSequence[-1].ContentSequence[1]
    chosen = cw_group.ContentSequence[4]  # image mode, then 100/120/80 cm/s, then the chosen 100 cm/s
    assert chosen.MeasuredValueSequence[0].NumericValue == 100 and "ContentSequence" in chosen
    chosen.ContentSequence.append(hd.sr.SourceImageForMeasurement(ds.SOPClassUID, ds.SOPInstanceUID, [2]))
    sr.save_as(tmp_path / "ref.dcm")
    summary = import_sr(_bound_case(study), read_sr(tmp_path / "ref.dcm"))
    (vmax,) = [e for e in summary.added if e.quantity == "vmax"]
    assert vmax.value == 1.0 and vmax.provenance["source_image"] == {"sop_instance_uid": ds.SOPInstanceUID,
                                                                     "frame_number": 2}
    assert summary.collapsed == 8


def test_a_malformed_numeric_value_is_an_error_naming_the_file(study, tmp_path: Path) -> None:
    """A NUM whose Numeric Value (0040,A30A) is not a decimal string, as a broken export might send."""
    from imaging.sr_read import SRReadError

    data = bytearray(_cart_sr(study, tmp_path / "ge.dcm").read_bytes())
    at = data.index(b"\x40\x00\x0a\xa3DS")  # explicit VR little endian: tag, VR, 2-byte length, value
    length = int.from_bytes(data[at + 6:at + 8], "little")
    data[at + 8:at + 8 + length] = b"fast".ljust(length, b" ")[:length]
    (tmp_path / "bad.dcm").write_bytes(bytes(data))
    with warnings.catch_warnings():  # pydicom warns of the invalid DS before it fails to convert it
        warnings.simplefilter("ignore")
        with pytest.raises(SRReadError, match="malformed SR content tree") as err:
            read_sr(tmp_path / "bad.dcm")
    assert "bad.dcm" in str(err.value)


def test_an_imported_mr_jet_value_is_never_the_mitral_inflows(tmp_path: Path) -> None:
    # the demo SR codes the MR jet CW trace (Vmax 5.0 m/s, peak gradient 4·5² = 100 mmHg) as regurgitant flow;
    # imported and accepted, it must not become the inflow's gradient (an MS number) nor be graded as one
    from planning.findings import of_inflow

    _, _, path = _demo(tmp_path)
    fresh = Case()
    summary = import_sr(fresh, read_sr(path))
    jet = {(e.quantity, e.value) for e in summary.added if e.provenance.get("flow") == "regurgitant"}
    assert {("vmax", 5.0), ("peak_gradient", 100.0)} <= jet
    inflow_vmax = [e for e in summary.added if e.quantity == "vmax" and e.provenance.get("flow") != "regurgitant"]
    assert [e.value for e in inflow_vmax] == [1.8]
    for entry in imported_of(fresh):
        set_status(fresh, entry.id, Status.ACCEPTED)
    results = measure_case(fresh)[0]
    gradient = next(r for r in results if r.quantity == "peak_gradient" and r.value == 100.0)
    assert gradient.imported is not None and gradient.imported.regurgitant and "(MR jet)" in gradient.label
    assert gradient.grades == () and not of_inflow(gradient, {})
