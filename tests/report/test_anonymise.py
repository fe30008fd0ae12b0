"""Anonymised export: no patient identifier in any byte of any output, and the PDF says so."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest

from report.anonymise import UidMap
from report.export import export_report

from .conftest import PATIENT, make_study, sample_report, sources_of
from .test_outputs import dciodvfy_errors, pdf_text

IDENTIFIERS = ("Testperson", "Erika", PATIENT["id"], PATIENT["birth"], "1941-02-03", PATIENT["accession"],
               "Heart Centre Test", "Referrer")


@pytest.fixture(scope="module")
def anonymised(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("anon")
    study = make_study(root / "study")
    report = sample_report(study)
    return study, report, export_report(report, sources_of(study), root / "out", anonymise=True)


def test_no_identifier_left_in_any_output(anonymised) -> None:
    _, _, result = anonymised
    files = sorted(result.pdf.parent.iterdir())
    assert {p.name for p in files} == {"report.pdf", "summary.pdf", "report.json", "report-sr.dcm", "key-k1.png", "key-k2.png",
                                       "key-k1.dcm", "key-k2.dcm"}
    texts = {p: p.read_bytes() for p in files}
    texts[Path("report.pdf as text")] = pdf_text(result.pdf).encode()
    texts[Path("summary.pdf as text")] = pdf_text(result.summary).encode()
    for path, data in texts.items():
        for ident in IDENTIFIERS:
            assert ident.encode() not in data, f"{ident!r} found in {path}"
            assert ident.upper().encode() not in data, f"{ident.upper()!r} found in {path}"


def test_anonymised_dicom_is_marked_consistent_and_valid(anonymised) -> None:
    study, report, result = anonymised
    sr = pydicom.dcmread(result.sr)
    assert sr.PatientIdentityRemoved == "YES"
    assert sr.DeidentificationMethodCodeSequence[0].CodeValue == "113100"
    assert sr.StudyInstanceUID != study["study_uid"]  # UIDs replaced ...
    for path in result.key_images_dicom:
        sc = pydicom.dcmread(path)
        assert sc.StudyInstanceUID == sr.StudyInstanceUID  # ... consistently across outputs
        assert sc.SourceImageSequence[0].ReferencedSOPInstanceUID not in {i.sop_instance_uid for i in report.images}
        assert dciodvfy_errors(path) == []
    assert dciodvfy_errors(result.sr) == []


def test_pdf_states_the_export_is_anonymised(anonymised) -> None:
    _, _, result = anonymised
    text = pdf_text(result.pdf)
    assert "ANONYMISED EXPORT" in text
    assert "PS3.15 Basic Application Level Confidentiality Profile" in text


def test_uid_map_is_stable_and_keeps_dicom_defined_uids() -> None:
    uids = UidMap(salt=b"fixed")
    assert uids("1.2.3.4") == uids("1.2.3.4") != uids("1.2.3.5")
    assert uids("1.2.3.4").startswith("2.25.") and len(uids("1.2.3.4")) <= 64
    assert uids("1.2.840.10008.5.1.4.1.1.88.33") == "1.2.840.10008.5.1.4.1.1.88.33"


def test_unmasked_key_image_without_burned_in_annotation_no_is_left_out(tmp_path: Path) -> None:
    study = make_study(tmp_path / "study")
    for path in study["paths"]:
        ds = pydicom.dcmread(path)
        del ds.BurnedInAnnotation
        ds.save_as(path)
    result = export_report(sample_report(study), sources_of(study), tmp_path / "out", anonymise=True, mask=False)
    assert result.key_images_dicom == [] and result.key_images_png == []
    assert any("BurnedInAnnotation" in w for w in result.warnings)


def test_dates_and_times_at_any_depth_get_a_dummy() -> None:
    """PS3.15 E.1-1 without the temporal option: ContributionDateTime (0018,A002) two sequences down, a
    content item's DateTime, its Date and Time: no study date or time is left; Type 1 SR dates keep a value."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    from report.anonymise import deidentify

    equipment, item, inner = Dataset(), Dataset(), Dataset()
    equipment.ContributionDateTime = "20260115101500"
    item.DateTime, item.Date, item.Time = "20260115101500.000000", "20260115", "101500"
    inner.ContributingEquipmentSequence = Sequence([equipment])
    item.ContentSequence = Sequence([inner])
    ds = Dataset()
    ds.SOPInstanceUID = "1.2.3.4"
    ds.ContentDate, ds.ContentTime, ds.StudyDate = "20260115", "101500", "20260115"
    ds.ContentSequence = Sequence([item])
    deidentify(ds, UidMap(b"salt"))
    values = [str(e.value) for e in ds.iterall() if e.VR in ("DA", "DT", "TM") and e.value]
    assert values and not any(v.startswith(("20260115", "101500")) for v in values), values
    assert (ds.ContentDate, ds.ContentTime, ds.StudyDate) == ("19000101", "000000", None)
    assert ds.ContentSequence[0].ContentSequence[0].ContributingEquipmentSequence[0].ContributionDateTime \
        == "19000101000000"
