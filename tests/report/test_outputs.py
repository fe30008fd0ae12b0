"""The exported report read back: PDF text, JSON schema, SR and Secondary Captures through dciodvfy/dsrdump."""

from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata
from pathlib import Path

import highdicom as hd
import jsonschema
import pydicom
import pytest

from report.html_text import map_label
from report.json_export import report_to_json, schema, validate
from report.model import unit_display
from report.pdf import PageSpec, write_pdf

from .conftest import sample_report


def pdf_text(path: Path) -> str:
    """The PDF as text (pdftotext when installed, else pypdf), whitespace collapsed."""
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
    else:
        from pypdf import PdfReader
        text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not installed (make test installs it)")
    return path


def test_pdf_lists_every_measurement_device_and_option(exported) -> None:
    report, result = exported
    text = pdf_text(result.pdf)
    for m in report.measurements:
        assert f"{m.shown} {unit_display(m.unit)}" in text, m.label
        assert m.label in text
    # hand-checked spellings of the sample values, units included
    for shown in ("0.80 cm", "2.40 cm²", "0.45 cm", "3.2 mmHg", "72 bpm", "2.10 cm²", "0.90 cm"):
        assert shown in text
    for d in report.devices:
        for field in (map_label(d.id), d.kind, d.model, d.segment, d.attachment):  # as the clip map labels it
            assert field in text
    for option in report.assessment.options:
        assert option.name in text
        assert option.status.value in text
    assert "Redo TEER: possible (conditional: posterior leaflet 8 mm)" in text
    assert "the heart team decides" in text
    assert "MitraPlan 0.1.0" in text and f"case sha256 {'ab' * 8}" in text  # footer
    assert "page 1 of" in text
    assert "Surgical risk: intermediate" in text and "MR etiology at index: secondary" in text


def test_pdf_prints_markup_in_patient_name_literally(study, tmp_path: Path) -> None:
    report = sample_report(study, patient_name="<b>X</b>^<script>alert(1)</script>")
    path = write_pdf(report, tmp_path / "r.pdf")
    text = pdf_text(path)
    assert "<b>X</b>" in text
    assert "<script>alert(1)</script>" in text
    assert "Dr. Op <i>Erator</i>" in text  # operator is user text too


@pytest.mark.parametrize(("paper", "size"), [("A4", "595 x 842"), ("Letter", "612 x 792")])
def test_pdf_paper_sizes(report, tmp_path: Path, paper: str, size: str) -> None:
    path = write_pdf(report, tmp_path / f"{paper}.pdf", PageSpec(paper))
    info = subprocess.run([require("pdfinfo"), str(path)], capture_output=True, text=True, check=True).stdout
    assert size in info


def test_pdf_refuses_unknown_paper(report, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="paper must be one of A4, Letter"):
        write_pdf(report, tmp_path / "x.pdf", PageSpec("A3"))


def test_json_validates_against_schema_and_matches_the_report(exported) -> None:
    report, result = exported
    document = json.loads(result.json.read_text(encoding="utf-8"))
    validate(document)
    assert document["format"] == "mitraplan-report" and document["version"] == 1
    assert [m["id"] for m in document["measurements"]] == [m.id for m in report.measurements]
    assert document["measurements"][1]["shown"] == "2.40 cm²"
    assert [o["key"] for o in document["assessment"]["options"]] == [
        "redo_teer", "plug", "elasta_tmvr", "surgery", "medical"]
    assert {k["png"] for k in document["key_images"]} == {"key-k1.png", "key-k2.png"}


def test_schema_rejects_a_measurement_without_unit(report) -> None:
    document = report_to_json(report)
    del document["measurements"][0]["unit"]
    with pytest.raises(jsonschema.ValidationError, match="'unit' is a required property"):
        validate(document)
    jsonschema.Draft202012Validator.check_schema(schema())


def test_schema_knows_every_quantity_and_unit_of_the_measurement_engine() -> None:
    from measurements.results import UNITS

    item = schema()["properties"]["measurements"]["items"]["properties"]
    assert set(UNITS) <= set(item["quantity"]["enum"])
    assert set(UNITS.values()) <= set(item["unit"]["enum"])


def dciodvfy_errors(path: Path) -> list[str]:
    out = subprocess.run([require("dciodvfy"), str(path)], capture_output=True, text=True)
    return [line for line in (out.stdout + out.stderr).splitlines() if line.startswith("Error")]


def test_sr_and_secondary_captures_pass_dciodvfy(exported) -> None:
    _, result = exported
    assert result.sr is not None and len(result.key_images_dicom) == 2
    for path in [result.sr, *result.key_images_dicom]:
        assert dciodvfy_errors(path) == [], path


def test_sr_reads_back_with_highdicom(exported) -> None:
    from .test_sr_tid5200 import FINDING_SITE, METHOD, echo_nums

    report, result = exported
    sr = hd.sr.srread(result.sr)
    assert sr.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.33"  # Comprehensive SR
    assert sr.StudyInstanceUID == report.header.study_instance_uid  # same study ...
    assert sr.SeriesInstanceUID not in {i.series_instance_uid for i in report.images}  # ... new series
    assert sr.CodingSchemeIdentificationSequence[-1].CodingSchemeDesignator == "99TEERPLAN"
    assert sr.content[0].name.value == "125200"  # TID 5200 (tests/report/test_sr_tid5200.py)
    nums = [n for n in echo_nums(pydicom.dcmread(result.sr)) if FINDING_SITE in n.mods]
    by_code = {}
    for n in nums:
        by_code.setdefault(n.name[0], []).append(n)
    assert sum(len(v) for v in by_code.values()) == len(report.measurements)
    # vena contracta: DCM 125334, 0.45 cm, UCUM, frame 3, SCOORD exactly as marked (no half-pixel shift)
    (vc,) = by_code["125334"]
    assert vc.name == ("125334", "DCM") and vc.value == pytest.approx(0.45) and vc.unit == ("cm", "UCUM")
    assert vc.scoords == [[80.5, 50.5, 89.5, 50.5]]
    assert vc.frames[0][1] == 3
    (mg,) = by_code["20256-4"]
    assert mg.unit == ("mm[Hg]", "UCUM") and mg.mods[METHOD] == ("125218", "DCM")  # Simplified Bernoulli
    (mva,) = [n for n in by_code["399367004"] if n.mods[METHOD][0] == "125220"]  # orifice area by planimetry
    area = mva.scoords[0]
    assert area[:2] == area[-2:] == [60.0, 60.0]  # closed POLYLINE
    assert by_code["8867-4"][0].unit == ("/min", "UCUM")


def test_sr_reads_back_with_dsrdump(exported) -> None:
    _, result = exported
    out = subprocess.run([require("dsrdump"), "+Pt", str(result.sr)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Comprehensive SR Document" in out.stdout
    assert '(125334,DCM,"Vena Contracta Width")' in out.stdout or "Vena Contracta Width" in out.stdout
    assert "(mm[Hg],UCUM" in out.stdout
    assert "99TEERPLAN" in out.stdout
    assert "error" not in out.stderr.lower()


def test_secondary_captures_are_in_the_study_with_marks_burned_in(exported) -> None:
    report, result = exported
    for path in result.key_images_dicom:
        ds = pydicom.dcmread(path)
        assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.7"
        assert ds.StudyInstanceUID == report.header.study_instance_uid
        assert ds.SourceImageSequence[0].ReferencedSOPInstanceUID in {i.sop_instance_uid for i in report.images}
        pixels = ds.pixel_array
        assert pixels.shape == (120, 160, 3)
        # the stand-in frames are grey (R = G = B); yellow ink makes R and G differ from B
        assert ((pixels[..., 0].astype(int) - pixels[..., 2]) > 100).sum() > 20


def test_preview_pages_are_the_pdf_pages(report, tmp_path: Path) -> None:
    from report.pdf import render_pages

    path = write_pdf(report, tmp_path / "r.pdf", PageSpec("Letter"))
    info = subprocess.run([require("pdfinfo"), str(path)], capture_output=True, text=True, check=True).stdout
    pdf_pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    images = render_pages(report, PageSpec("Letter"), dpi=72)
    assert len(images) == pdf_pages
    assert (images[0].width(), images[0].height()) == (612, 792)  # Letter at 72 dpi = its size in points


def test_a_key_frame_that_will_not_decode_costs_only_its_key_image(study, tmp_path: Path) -> None:
    from imaging.errors import CorruptImageError
    from report.build import load_frame
    from report.export import export_report

    from .conftest import sources_of

    report = sample_report(study)
    broken = report.key_images[0]

    def load(ref, frame_number):
        if (ref.sop_instance_uid, frame_number) == (broken.sop_instance_uid, broken.frame_number):
            raise CorruptImageError("frame data is cut short", ref.path)
        return load_frame(Path(ref.path), frame_number)

    result = export_report(report, sources_of(study), tmp_path / "out", load=load)
    assert len(result.key_images_png) == len(report.key_images) - 1
    assert any(w.startswith(f"key image {broken.id} not rendered:") and "cut short" in w for w in result.warnings)


# --- outputs are independent and tolerant -------------------------------------------------------

TYPE2_MISSING = [("PatientBirthDate",),
                 ("PatientSex", "AccessionNumber", "ReferringPhysicianName", "StudyID", "StudyTime")]


def _strip(paths: list[Path], keywords: tuple[str, ...]) -> None:
    """Delete type-2 attributes from the source loops, as anonymisers commonly do."""
    for path in paths:
        ds = pydicom.dcmread(path)
        for keyword in keywords:
            delattr(ds, keyword)
        ds.save_as(path, enforce_file_format=True)


@pytest.mark.parametrize("missing", TYPE2_MISSING, ids=["no-birth-date", "no-sex-accession-referrer-id-time"])
def test_sources_without_type2_attributes_give_every_output_with_them_empty(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], missing: tuple[str, ...]) -> None:
    from gui.main import main

    from .test_cli_report import write_case

    case, study = write_case(tmp_path)
    _strip(study["paths"], missing)
    assert main(["report", str(case), "--out", str(tmp_path / "out")]) == 0, capsys.readouterr().err
    printed = json.loads(capsys.readouterr().out)
    assert printed["failures"] == []
    assert Path(printed["pdf"]).is_file() and Path(printed["json"]).is_file()
    dicoms = [Path(printed["sr"]), *map(Path, printed["key_images_dicom"])]
    assert len(dicoms) == 3 and len(printed["key_images_png"]) == 2
    for path in dicoms:
        ds = pydicom.dcmread(path)
        for keyword in missing:
            assert keyword in ds, (path.name, keyword)  # type 2: present ...
            assert ds[keyword].value in ("", None), (path.name, keyword)  # ... and empty
        assert ds.PatientID == "PID-778899"
        if shutil.which("dciodvfy"):
            assert dciodvfy_errors(path) == [], path


def test_a_failing_pdf_costs_only_the_pdf(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import report.export
    from gui.main import main

    from .test_cli_report import write_case

    def broken(*_args: object, **_kwargs: object) -> Path:
        raise RuntimeError("the PDF engine ran out of fonts")

    monkeypatch.setattr(report.export, "write_pdf", broken)
    case, _ = write_case(tmp_path)
    out = tmp_path / "out"
    assert main(["report", str(case), "--out", str(out)]) == 3
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    assert printed["pdf"] is None and not (out / "report.pdf").exists()
    assert "PDF (report.pdf) not written: RuntimeError: the PDF engine ran out of fonts" in captured.err
    assert printed["failures"] == ["PDF (report.pdf) not written: RuntimeError: the PDF engine ran out of fonts"]
    written = [printed["summary"], printed["json"], printed["sr"], *printed["key_images_png"],
               *printed["key_images_dicom"]]
    assert len(written) == 7 and all(Path(p).is_file() for p in written)


def test_a_failing_secondary_capture_costs_only_that_key_image(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from gui.main import main
    from report import keyimages

    from .test_cli_report import write_case

    real = keyimages.secondary_capture

    def first_fails(source, image, key, *args, **kwargs):
        if key.id == "k1":
            raise ValueError("pixel data too large")
        return real(source, image, key, *args, **kwargs)

    monkeypatch.setattr(keyimages, "secondary_capture", first_fails)
    case, _ = write_case(tmp_path)
    assert main(["report", str(case), "--out", str(tmp_path / "out")]) == 3
    printed = json.loads(capsys.readouterr().out)
    assert printed["failures"] == ["Secondary Capture key image k1 (key-k1.dcm) not written: ValueError: pixel data"
                                   " too large"]
    assert [Path(p).name for p in printed["key_images_dicom"]] == ["key-k2.dcm"]
    assert Path(printed["pdf"]).is_file() and Path(printed["sr"]).is_file() and len(printed["key_images_png"]) == 2
    document = json.loads(Path(printed["json"]).read_text(encoding="utf-8"))
    assert printed["failures"][0] in document["errors"]  # the report itself says which file is missing


def test_exported_files_are_readable_by_the_user_only(exported) -> None:
    _, result = exported
    assert len(result.paths) == 8  # report.pdf, summary.pdf, report.json, the SR, two key images as PNG and DICOM
    for path in result.paths:
        assert path.stat().st_mode & 0o777 == 0o600, path
    assert result.folder.stat().st_mode & 0o777 == 0o700  # a folder the export created
