"""One patient, one study per case.

The synthetic two-patient folder imitates what a PACS export of a worklist day looks like: several
patients' loops side by side in one folder. It is the stand-in study of ``conftest.make_study`` with
the second loop's Patient ID, name and Study Instance UID rewritten by pydicom, so a caliper on it
must never be reported under the first patient's header.
"""

from __future__ import annotations

import json
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import generate_uid

from gui.main import main
from measurements.marks import Mark, MarkType
from planning.case import Case
from planning.commands import AddMark, ToggleKeyImage
from planning.document import CaseDocument
from planning.study import StudyMismatch, bind_study, check_same_study, conflicts, identity_of

from .test_cli_report import write_case

OTHER = {"PatientID": "PID-OTHER-42", "PatientName": "Otherperson^Otto"}


def make_other_patient(path: Path, study_uid: str | None = None) -> str:
    """Rewrite one loop as belonging to another patient (and another study); returns its study UID."""
    ds = pydicom.dcmread(path)
    ds.PatientID, ds.PatientName = OTHER["PatientID"], OTHER["PatientName"]
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.save_as(path, enforce_file_format=True)
    return str(ds.StudyInstanceUID)


def _mark(mark_id: str, sop: str) -> Mark:
    return Mark(mark_id, MarkType.DISTANCE, "P2 free length", sop, 2, 0, ((40.0, 30.0), (40.0, 46.0)))


# --- planning level ---------------------------------------------------------------------------

def test_the_first_image_binds_the_case_and_another_patients_mark_is_refused(tmp_path: Path) -> None:
    study = _two_patients(tmp_path)
    (a, b), (path_a, path_b) = study["uids"], study["paths"]
    doc = CaseDocument(Case(study={"rhythm": "sinus"}), measure=lambda case: ([], []))
    doc.ensure_image(a, path_a)
    AddMark(_mark("m1", a)).apply(doc)
    assert doc.case.study == {"rhythm": "sinus", "study_instance_uid": study["study_uid"],
                              "patient_name": "Testperson^Erika^Maria", "patient_id": "PID-778899",
                              "study_date": "20250314"}
    doc.ensure_image(b, path_b)
    with pytest.raises(StudyMismatch) as refused:
        AddMark(_mark("m2", b)).apply(doc)
    message = str(refused.value)
    assert str(path_b) in message
    assert "Otherperson^Otto (ID PID-OTHER-42)" in message and study["other_study_uid"] in message
    assert "Testperson^Erika^Maria (ID PID-778899)" in message and study["study_uid"] in message
    assert [m.id for m in doc.marks] == ["m1"]
    assert [i["sop_instance_uid"] for i in doc.case.images] == [a]  # the other patient's file is not listed


def test_a_key_image_of_another_patient_is_refused_and_the_flag_not_set(tmp_path: Path) -> None:
    study = _two_patients(tmp_path)
    (a, b), (path_a, path_b) = study["uids"], study["paths"]
    doc = CaseDocument(Case(), measure=lambda case: ([], []))
    doc.ensure_image(a, path_a)
    ToggleKeyImage.of(doc, a, 1).apply(doc)  # the first key image binds the case too
    assert doc.case.study["patient_id"] == "PID-778899"
    doc.ensure_image(b, path_b)
    with pytest.raises(StudyMismatch, match=r"Otherperson.*Testperson"):
        ToggleKeyImage.of(doc, b, 1).apply(doc)
    assert doc.field(("key_images",)) == [{"sop_instance_uid": a, "frame_number": 1}]
    ToggleKeyImage.of(doc, a, 1).apply(doc)  # unflagging is never refused


def test_same_patient_other_study_is_refused_too() -> None:
    case = Case(study={"study_instance_uid": "1.2.3", "patient_id": "P1", "patient_name": "A^B"})
    check_same_study(case, {"patient_id": "P1", "study_instance_uid": "1.2.3"})
    with pytest.raises(StudyMismatch, match=r"study 1\.2\.4, but the case is bound to .*study 1\.2\.3"):
        check_same_study(case, {"patient_id": "P1", "study_instance_uid": "1.2.4"}, "x.dcm")


def test_bind_keeps_a_bound_study_and_conflicts_names_each_file(tmp_path: Path) -> None:
    case = Case(study={"study_instance_uid": "1.2.3", "patient_id": "P1"})
    assert not bind_study(case, {"patient_id": "P9", "study_instance_uid": "9.9"})
    assert case.study == {"study_instance_uid": "1.2.3", "patient_id": "P1"}
    images = [(tmp_path / "a.dcm", {"patient_id": "P1", "study_instance_uid": "1.2.3"}),
              (tmp_path / "b.dcm", {"patient_id": "P2", "study_instance_uid": "1.2.3"}),
              (tmp_path / "c.dcm", {"patient_id": "P1", "study_instance_uid": "1.2.9"})]
    assert [c.path.name for c in conflicts(case, images)] == ["b.dcm", "c.dcm"]
    unbound = Case()  # a case saved before binding: the first image decides
    assert [c.path.name for c in conflicts(unbound, images)] == ["b.dcm", "c.dcm"]


def test_identity_reads_a_dataset_and_a_case_naming_only_its_study_binds_only_that(tmp_path: Path) -> None:
    study = _two_patients(tmp_path)
    ds = pydicom.dcmread(study["paths"][1], stop_before_pixels=True)
    assert identity_of(ds).patient_id == "PID-OTHER-42"
    case = Case(study={"study_instance_uid": study["other_study_uid"]})  # no patient_id key: any patient
    check_same_study(case, ds)


# --- command line -----------------------------------------------------------------------------

def _two_patients(tmp_path: Path) -> dict[str, object]:
    """The stand-in case whose second loop (IM_0002.dcm) is rewritten to another patient's study."""
    case, study = write_case(tmp_path)
    other = make_other_patient(study["paths"][1])
    return {**study, "case": case, "other_study_uid": other,
            "uids": [ds.SOPInstanceUID for ds in study["datasets"]]}


@pytest.mark.parametrize("command", ["measure", "report"])
def test_a_case_over_two_patients_exits_3_naming_each_conflicting_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    study = _two_patients(tmp_path)
    out = tmp_path / "out"
    argv = [command, str(study["case"])] + (["--out", str(out)] if command == "report" else [])
    assert main(argv) == 3
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing reported under the wrong header
    assert "span more than one patient or study" in captured.err
    assert f"{study['paths'][1]}: belongs to patient Otherperson^Otto (ID PID-OTHER-42)" in captured.err
    assert str(study["paths"][0]) not in captured.err  # the bound patient's loop is not a conflict
    assert not out.exists() or not any(out.iterdir())


def test_a_case_bound_to_another_patient_than_all_its_images_names_every_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case, study = write_case(tmp_path)
    doc = json.loads(case.read_text(encoding="utf-8"))
    doc["study"]["patient_id"] = "PID-SOMEONE-ELSE"
    case.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["measure", str(case)]) == 3
    err = capsys.readouterr().err
    for path in study["paths"]:
        assert f"{path}: belongs to patient" in err
    assert "bound to patient Testperson^Erika (ID PID-SOMEONE-ELSE)" in err


# --- every output carries the bound study -----------------------------------------------------

def test_pdf_json_sr_and_secondary_captures_all_carry_the_bound_patient(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """The case binds "Testperson^Erika"; the loops spell the name "Testperson^Erika^Maria" (same ID
    and study). Every output must show the case's spelling, not whichever loop the SR sorts first."""
    from .test_outputs import pdf_text

    case, study = write_case(tmp_path)
    assert main(["report", str(case), "--out", str(tmp_path / "out")]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = ("Testperson^Erika", "PID-778899", study["study_uid"])
    header = json.loads(Path(printed["json"]).read_text(encoding="utf-8"))["header"]
    assert (header["patient_name"], header["patient_id"], header["study_instance_uid"]) == expected
    dicoms = [printed["sr"], *printed["key_images_dicom"]]
    assert len(dicoms) == 3
    for path in dicoms:
        ds = pydicom.dcmread(path)
        assert (str(ds.PatientName), ds.PatientID, ds.StudyInstanceUID) == expected, path
        assert ds.PatientBirthDate == "19410203" and ds.AccessionNumber == "ACC-5566"  # from the bound study's loop
    text = pdf_text(Path(printed["pdf"]))
    assert "Patient Testperson, Erika Patient ID PID-778899" in text and "Erika Maria" not in text


def test_export_refuses_sources_of_two_patients_before_writing_anything(study, tmp_path: Path) -> None:
    """The GUI exports a built report directly: the export itself must refuse, not only the CLI."""
    from report.export import export_report

    from .conftest import sample_report, sources_of

    make_other_patient(study["paths"][1], study_uid=str(study["study_uid"]))  # same study UID, other patient
    out = tmp_path / "out"
    with pytest.raises(StudyMismatch, match=r"IM_0002\.dcm: belongs to patient Otherperson\^Otto"):
        export_report(sample_report(study), sources_of(study), out)
    assert not out.exists()
