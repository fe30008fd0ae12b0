"""Anonymisation that holds: identifiers typed into free text and burned into the vendor banner.

Read like a reader of the exported files would: the PDF as text, the JSON, every text value of the
SR and the Secondary Captures, and the key-image pixels. The stand-in loops imitate a scanner whose
ultrasound region does not cover the whole screen: a banner strip above it (rows 0-11) is bright
where the vendor burns the patient's name and ID.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PySide6.QtGui import QImage

from gui.main import main
from report.anonymise import REDACTED, Identifier, free_text_hits, identifiers_of, redact_free_text
from report.export import export_report
from report.keyimages import qimage_to_array
from report.model import Header, KeyImage, Mark, Report

from .conftest import PATIENT, make_study, sample_report, sources_of
from .test_cli_report import write_case
from .test_outputs import pdf_text

BANNER_ROWS = 12  # rows 0..11: the vendor banner, outside the ultrasound region
REGION = (0, BANNER_ROWS, 159, 119)  # x0, y0, x1, y1 of the 160 x 120 stand-in loops
#: Every spelling of every identifier of the stand-in case (PATIENT in conftest, InstitutionName of the loops).
SPELLINGS = ("Testperson", "Erika", PATIENT["id"], "19410203", "03.02.1941", "1941-02-03", "03/02/1941",
             PATIENT["accession"], "Heart Centre Test")
_TEXT_VRS = {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"}


def with_banner(paths: list[Path], *, burned_in: str | None) -> None:
    """Shrink the loops' region below a bright banner strip; ``burned_in`` None = not stated."""
    for path in paths:
        ds = pydicom.dcmread(path)
        region = ds.SequenceOfUltrasoundRegions[0]
        (region.RegionLocationMinX0, region.RegionLocationMinY0,
         region.RegionLocationMaxX1, region.RegionLocationMaxY1) = REGION
        pixels = ds.pixel_array.copy()
        pixels[:, :BANNER_ROWS] = 255  # where "TESTPERSON^ERIKA PID-778899" would be burned in
        pixels[:, BANNER_ROWS:, :, :] |= 1  # the image area is never all black, so masking it would show
        ds.set_pixel_data(pixels, "RGB", 8, generate_instance_uid=False)  # the case refers to this UID
        if burned_in is None:
            del ds.BurnedInAnnotation
        else:
            ds.BurnedInAnnotation = burned_in
        ds.save_as(path, enforce_file_format=True)


def case_with_id_in_label(folder: Path) -> tuple[Path, dict[str, object]]:
    """The CLI stand-in case with the Patient ID typed into mark m1's label and the given name in a
    key-image label (what a hurried user types to find the patient again)."""
    path, study = write_case(folder)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["study"].update(birth_date=PATIENT["birth"], accession_number=PATIENT["accession"])
    doc["marks"][0]["label"] = f"{PATIENT['id']} P1 free length"
    a = doc["images"][0]["sop_instance_uid"]
    doc["key_images"] = [{"sop_instance_uid": a, "frame_number": 2, "label": "erika leaflet", "marks": ["m1", "m5"]}]
    path.write_text(json.dumps(doc), encoding="utf-8")
    with_banner(study["paths"], burned_in=None)
    return path, study


def dicom_texts(path: Path) -> list[str]:
    """Every text value of a DICOM file, nested sequences (the SR content tree) included."""
    ds = pydicom.dcmread(path)
    values = []
    for element in ds.iterall():
        if element.VR in _TEXT_VRS and element.value is not None:
            items = element.value if element.VM > 1 else [element.value]
            values += [str(v) for v in items]
    return values


def assert_no_identifier(where: str, text: str) -> None:
    for spelling in SPELLINGS:
        assert spelling.lower() not in text.lower(), f"{spelling!r} found in {where}"


# --- the free-text check (pure) -------------------------------------------------------------------

def test_identifiers_are_the_name_parts_id_birth_date_spellings_accession_and_institution() -> None:
    header = Header(patient_name="Li^O^Ann-Sofie", patient_id="12345", birth_date="19410203",
                    accession_number="A77", institution="St. Elsewhere")
    found = {(i.kind, i.value) for i in identifiers_of(header)}
    assert {("family name", "Li"), ("given name", "Ann-Sofie"), ("given name", "Ann"),
            ("given name", "Sofie")} <= found
    assert ("given name", "O") not in found  # one letter: would hit every "O" in a label
    # 3 February 1941 in the four usual spellings, written out by hand
    assert {v for k, v in found if k == "birth date"} == {"19410203", "03.02.1941", "1941-02-03", "03/02/1941"}
    assert {("Patient ID", "12345"), ("accession number", "A77"), ("institution name", "St. Elsewhere")} <= found


def test_hits_name_the_field_the_text_and_the_identifier(tmp_path: Path) -> None:
    study = make_study(tmp_path / "study")
    report = sample_report(study)
    m1 = report.marks[0]
    report = Report(**{**{f: getattr(report, f) for f in report.__dataclass_fields__},
                       "marks": (Mark(m1.id, m1.type, "pid-778899 P1 length", m1.sop_instance_uid, m1.frame_number,
                                      m1.region, m1.points), *report.marks[1:]),
                       "key_images": (KeyImage("k1", m1.sop_instance_uid, 2, "Born 03.02.1941, TESTPERSON"),)})
    hits = {(h.field, h.identifier) for h in free_text_hits(report)}
    assert hits == {("marks[m1].label", "Patient ID"), ("key_images[k1].label", "birth date"),
                    ("key_images[k1].label", "family name")}
    # "Lateral orifice planimetry" and the other clinical labels are not hits; nor are the header's own fields
    redacted = redact_free_text(report)
    assert redacted.marks[0].label == f"{REDACTED} P1 length"
    assert redacted.key_images[0].label == f"Born {REDACTED}, {REDACTED}"
    assert redacted.header == report.header and free_text_hits(redacted) == ()


def test_a_name_part_inside_a_longer_word_is_not_a_hit() -> None:
    ident = Identifier("given name", "Ann")
    assert not ident.pattern().search("Annulus 3.4 cm") and ident.pattern().search("for ANN, P2")


# --- CLI: refused, then confirmed -------------------------------------------------------------------

def test_cli_refuses_an_anonymised_export_naming_each_hit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case, _ = case_with_id_in_label(tmp_path)
    out = tmp_path / "out"
    assert main(["report", str(case), "--out", str(out), "--anonymise"]) == 3
    err = capsys.readouterr().err
    assert "refused" in err and "--confirm-free-text" in err
    assert "marks[m1].label" in err and "Patient ID" in err
    assert "key_images[k1].label" in err and "given name" in err
    assert not out.exists() or not any(out.iterdir())  # nothing written


@pytest.fixture(scope="module")
def confirmed(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], Path]:
    root = tmp_path_factory.mktemp("confirmed")
    case, study = case_with_id_in_label(root)
    assert main(["report", str(case), "--out", str(root / "out"), "--anonymise", "--confirm-free-text"]) == 0
    return study, root / "out"


def test_confirmed_export_holds_no_identifier_in_pdf_json_or_dicom_text(confirmed) -> None:
    _, out = confirmed
    text = pdf_text(out / "report.pdf")
    assert f"{REDACTED} P1 free" in text and f"{REDACTED} leaflet" in text  # labels kept, identifiers not
    assert_no_identifier("report.pdf", text)
    document = (out / "report.json").read_text(encoding="utf-8")
    assert f"{REDACTED} P1 free length" in json.loads(document)["marks"][0]["label"]
    assert_no_identifier("report.json", document)
    dicoms = sorted(out.glob("*.dcm"))
    assert [p.name for p in dicoms] == ["key-k1.dcm", "report-sr.dcm"]
    for path in dicoms:
        assert_no_identifier(path.name, "\n".join(dicom_texts(path)))


def test_confirmed_export_blanks_the_banner_of_the_key_image(confirmed) -> None:
    study, out = confirmed
    source = pydicom.dcmread(study["paths"][0]).pixel_array[1]  # frame 2
    assert source[:BANNER_ROWS].min() == 255  # the source does burn a banner there
    sc = pydicom.dcmread(out / "key-k1.dcm")
    pixels = sc.pixel_array
    assert pixels[:BANNER_ROWS].max() == 0  # every banner pixel blanked
    # the image area is kept: pixels not under a mark or caption (black-boxed) are the source's own
    assert np.mean(pixels[BANNER_ROWS:] == source[BANNER_ROWS:]) > 0.8
    assert sc.BurnedInAnnotation == "NO"  # masked: the banner is gone
    png = qimage_to_array(QImage(str(out / "key-k1.png")))
    scale = png.shape[1] // 160
    assert png[: BANNER_ROWS * scale].max() == 0


# --- Burned In Annotation of the Secondary Capture --------------------------------------------------

@pytest.mark.parametrize(("stated", "anonymise", "expected"), [
    (None, False, "YES"),  # unknown pixels may show a name: never claim NO
    ("NO", False, "NO"),   # stated by the source: copied
    ("YES", False, "YES"),
    (None, True, "NO"),    # anonymised: masked outside the region
])
def test_burned_in_annotation_of_the_secondary_capture(tmp_path: Path, stated: str | None, anonymise: bool,
                                                       expected: str) -> None:
    study = make_study(tmp_path / "study")
    with_banner(study["paths"], burned_in=stated)
    result = export_report(sample_report(study), sources_of(study), tmp_path / "out", anonymise=anonymise)
    assert len(result.key_images_dicom) == 2
    for path in result.key_images_dicom:
        sc = pydicom.dcmread(path)
        assert sc.BurnedInAnnotation == expected
        banner_max = int(np.asarray(sc.pixel_array)[:BANNER_ROWS].max())
        assert (banner_max == 0) == anonymise  # unmasked keeps the banner (identified export)


def _without_regions(paths: list[Path]) -> None:
    """A scanner that writes no Sequence of Ultrasound Regions (it imitates screen-captured exports)."""
    for path in paths:
        ds = pydicom.dcmread(path)
        del ds.SequenceOfUltrasoundRegions
        ds.save_as(path, enforce_file_format=True)


def test_without_regions_the_user_confirmed_rectangle_is_kept(tmp_path: Path) -> None:
    study = make_study(tmp_path / "study")
    with_banner(study["paths"], burned_in=None)
    _without_regions(study["paths"])
    report, sources = sample_report(study), sources_of(study)
    left_out = export_report(report, sources, tmp_path / "none", anonymise=True)
    assert left_out.key_images_dicom == []  # nothing to mask outside, source unstated: may show the name
    assert any("not masked" in w for w in left_out.warnings)
    confirmed = {uid: REGION for uid in sources.headers}
    result = export_report(report, sources, tmp_path / "out", anonymise=True, mask_rectangles=confirmed)
    assert len(result.key_images_dicom) == 2
    for path in result.key_images_dicom:
        sc = pydicom.dcmread(path)
        assert sc.BurnedInAnnotation == "NO" and sc.pixel_array[:BANNER_ROWS].max() == 0


def test_a_region_covering_the_whole_frame_masks_nothing_and_claims_nothing(tmp_path: Path) -> None:
    study = make_study(tmp_path / "study")  # conftest's region covers all 160 x 120 pixels
    for path in study["paths"]:
        ds = pydicom.dcmread(path)
        ds.BurnedInAnnotation = "YES"
        ds.save_as(path, enforce_file_format=True)
    result = export_report(sample_report(study), sources_of(study), tmp_path / "out", anonymise=True)
    assert result.key_images_dicom == []  # stated YES and nothing outside the region to blank: left out
    identified = export_report(sample_report(study), sources_of(study), tmp_path / "id")
    assert {pydicom.dcmread(p).BurnedInAnnotation for p in identified.key_images_dicom} == {"YES"}


def test_cli_mask_rect_is_the_confirmed_rectangle_of_images_without_regions(tmp_path: Path) -> None:
    case, study = case_with_id_in_label(tmp_path)
    _without_regions(study["paths"])
    out = tmp_path / "out"
    x0, y0, x1, y1 = REGION
    assert main(["report", str(case), "--out", str(out), "--anonymise", "--confirm-free-text",
                 "--mask-rect", f"{x0},{y0},{x1},{y1}"]) == 3  # marks uncalibrated without regions: named
    sc = pydicom.dcmread(out / "key-k1.dcm")
    assert sc.BurnedInAnnotation == "NO" and sc.pixel_array[:BANNER_ROWS].max() == 0


def test_cli_mask_rect_must_be_four_ordered_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case, _ = case_with_id_in_label(tmp_path)
    with pytest.raises(SystemExit) as usage:
        main(["report", str(case), "--out", str(tmp_path / "out"), "--anonymise", "--mask-rect", "10,10,5,20"])
    assert usage.value.code == 2 and "--mask-rect" in capsys.readouterr().err


def test_a_warning_naming_a_file_called_after_the_patient_is_redacted(tmp_path: Path) -> None:
    study = make_study(tmp_path / "study")
    named = study["paths"][0].with_name("Testperson_Erika.dcm")  # exports named after the patient happen
    study["paths"][0].rename(named)
    study["paths"][0] = named
    report = sample_report(study)
    k1 = report.key_images[0]
    report = Report(**{**{f: getattr(report, f) for f in report.__dataclass_fields__},
                       "key_images": (KeyImage("k1", k1.sop_instance_uid, 9, "Leaflet"),)})  # beyond its 4 frames
    result = export_report(report, sources_of(study), tmp_path / "out", anonymise=True)
    assert any("Testperson_Erika.dcm" in w for w in result.warnings)  # the user's own list names the file
    document = result.json.read_text(encoding="utf-8")
    assert "frame 9 is beyond the last frame" in document
    assert_no_identifier("report.json", document)
    assert_no_identifier("report.pdf", pdf_text(result.pdf))
