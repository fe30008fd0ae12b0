"""The one-page heart-team summary (page 1 of report.pdf, and summary.pdf on its own) and the detail pages'
comparison and sign-off blocks, read back with pdftotext as a reader reads them.

The case is the demo study (known truth) with a prior imitating the index TEER's final result
(tests/gui/cli/test_cli_compare.py: its vena contracta mark spans half the jet neck, one device fewer,
total MR one class lower), read and signed by a named reader. Hand arithmetic of the headline numbers
(tests/report/test_one_number.py): mean gradient 4 · 0.573146 / 0.35 = 6.55 → 6.6 mmHg over 2 beats at
72 bpm (beats one R-R of 0.8333 s apart); peak gradient 4 · 1.8² = 12.96 → 13.0 mmHg; MVA by PHT
220 / 150 ms = 1.467 → 1.47 cm²; EROA 48.985 / 500 = 0.098 → 0.10 cm².
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pypdf import PdfReader
from PySide6.QtGui import QImage

from gui.main import main
from planning.case import load_case
from report.build import build_report
from report.compare_section import comparison_cells
from report.export import ExportResult, export_report
from report.model import Report
from report.pdf import PageSpec, detail_html, section_number, summary_fit, write_summary_pdf
from report.summary import summary_html
from tests.gui.cli.test_cli_compare import _cases

from .demo_outputs import html_rows

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext (poppler-utils, tools/system-deps.sh) is needed")

READER, SIGNED_AT = "Dr Dana Reader", "2026-12-03T15:30:00+00:00"
SIGNED_SHOWN = "2026-12-03 15:30:00+00:00"  # ISO 8601 with a space for the T
MEAN_GRADIENT = "6.6 mmHg (mean of 2 beats, SD 0.0 mmHg; HR 72 bpm)"  # hand arithmetic above
#: The summary says the rhythm with it too (clinical.md §4: "the report prints MG together with HR and rhythm").
SUMMARY_GRADIENT = "6.6 mmHg (mean of 2 beats, SD 0.0 mmHg; rhythm sinus; HR 72 bpm)"
PEAK_GRADIENT, MVA_PHT, EROA = "13.0 mmHg", "1.47 cm²", "0.10 cm²"


def page_text(pdf: Path, page: int | None = None) -> str:
    """pdftotext of the PDF (or of one 1-based page) in reading order (each table cell whole), whitespace
    collapsed."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    text = subprocess.run(["pdftotext", *pages, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass
class Exported:
    current: Path
    prior: Path
    report: Report
    result: ExportResult
    document: dict[str, Any]
    page1: str
    rest: str


def _signed(folder: Path, demo: Any) -> tuple[Path, Path]:
    from planning.document import CaseDocument

    current, prior = _cases(folder, demo)
    doc = CaseDocument(load_case(current))
    doc.case.extra["report"] = {"reader": READER, "operator": "Dr Omar Operator",
                                "impression": "Residual MR worse than at the index procedure",
                                "recommendation": "Heart-team discussion of ELASTA-Clip + TMVR"}
    doc.save()
    doc.sign_off(READER, at=SIGNED_AT)
    return current, prior


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, demo_study: Any) -> Exported:
    root = tmp_path_factory.mktemp("summary")
    current, prior = _signed(root / "cases", demo_study)
    report, sources = build_report(load_case(current))
    result = export_report(report, sources, root / "out")
    assert result.pdf is not None and result.summary is not None and result.json is not None
    document = json.loads(result.json.read_text(encoding="utf-8"))
    pages = len(PdfReader(result.pdf).pages)
    rest = " ".join(page_text(result.pdf, n) for n in range(2, pages + 1))
    return Exported(current, prior, report, result, document, page_text(result.pdf, 1), rest)


def _shown(document: dict[str, Any], quantity: str) -> str:
    """report.json's ``shown`` of the one selected value of ``quantity``."""
    chosen = document["selected"][quantity]
    return next(m["shown"] for m in document["measurements"] if m["id"] == chosen)


def test_summary_pdf_is_page_one_alone_and_fits_a4_and_letter(exported: Exported) -> None:
    summary = exported.result.summary
    assert summary is not None and summary.name == "summary.pdf" and summary.parent == exported.result.pdf.parent
    assert summary.stat().st_mode & 0o777 == 0o600
    assert len(PdfReader(summary).pages) == 1
    footer = re.compile(r"page 1 of \d+$")
    assert footer.sub("", page_text(summary)) == footer.sub("", exported.page1)  # the same page
    model = exported.report
    pictures = {p.stem.removeprefix("key-"): QImage(str(p)) for p in exported.result.key_images_png}
    assert len(pictures) == 6  # five 2D key images and the en-face MPR of the demo volume
    for paper in ("A4", "Letter"):
        fit = summary_fit(model, PageSpec(paper), pictures)
        assert fit is not None and fit.points >= 10.0, (paper, fit)  # whole on one page, in type a room can read
    # the last thing on the page, the key images' captions, is printed (nothing cut off at the bottom)
    captions = next(cells for section, cells in html_rows(summary_html(model, 700, frozenset(pictures)))
                    if section == "Key images")
    assert captions == ["Lateral para-clip jet vena contracta; Lateral jet PISA radius",
                        "MV inflow CW, beats 1 and 2",
                        "P3 free leaflet length (hinge to clip); P1 free leaflet length (hinge to clip)"]
    body = re.split(r" MitraPlan \S+ · case sha256", exported.page1)[0]  # the page without its footer
    assert body.endswith("P1 free leaflet length (hinge to clip)")


def test_a_letter_summary_is_one_page(exported: Exported, tmp_path: Path) -> None:
    path = write_summary_pdf(exported.report, tmp_path / "summary.pdf", PageSpec("Letter"))
    reader = PdfReader(path)
    assert len(reader.pages) == 1 and round(float(reader.pages[0].mediabox.width)) == 612  # 8.5 in × 72 pt


def test_each_headline_number_once_equal_to_the_detail_table_and_json(exported: Exported) -> None:
    page1, document = exported.page1, exported.document
    assert _shown(document, "mean_gradient") + " (mean of 2 beats, SD 0.0 mmHg; HR 72 bpm)" == MEAN_GRADIENT
    assert (_shown(document, "peak_gradient"), _shown(document, "mva_pht")) == (PEAK_GRADIENT, MVA_PHT)
    jet = document["jets"][0]
    vc = f"{jet['vena_contracta_cm']:.2f} cm"
    headlines = ("Total MR moderate-to-severe", f"Mean gradient {SUMMARY_GRADIENT}", f"Peak gradient {PEAK_GRADIENT}",
                 f"MVA, PHT {MVA_PHT}", f"VC {vc}, EROA {EROA} (PISA, limited validity after TEER)")
    for line in headlines:
        assert page1.count(line) == 1, line
    # the detail pages' tables hold the same values (their HTML is what the PDF lays out) ...
    rows = html_rows(detail_html(exported.report, 700))
    stenosis = {cells[1] for section, cells in rows if section.startswith("4.")}
    # the PHT is a beat average too
    assert {SUMMARY_GRADIENT, PEAK_GRADIENT + " (mean of 2 beats, SD 0.0 mmHg; HR 72 bpm)",
            MVA_PHT + " (mean of 2 beats; HR 72 bpm)"} <= stenosis
    jets = [cells for section, cells in rows if section.startswith("2.") and cells[0] == "J1"]
    assert (jets[0][3], jets[0][4]) == (vc, EROA)
    # ... and the detail pages' text prints them
    for number in ("6.6 mmHg", PEAK_GRADIENT, MVA_PHT, vc, EROA, "Residual MR grade: moderate-to-severe"):
        assert number in exported.rest, number
    # no other gradient or area on the page: each mmHg / cm² number is a headline value or a printed cut-off
    # (0.0: the SD of the two equal beats)
    assert set(re.findall(r"(\d+(?:\.\d+)?) mmHg", page1)) <= {"6.6", "13.0", "5", "0.0"}
    # 0.82: the 3D planimetry, π·(5.0·3.2 + 4.0·2.5) mm² = 81.7 mm²; 1.5: the MVARC cut-off its finding prints
    assert set(re.findall(r"(\d+(?:\.\d+)?) cm²", page1)) <= {"1.47", "0.10", "0.82", "1.5"}
    assert page1.count("MVA, 3D planimetry 0.82 cm²") == 1  # named by its method, the reference after TEER


def test_patient_and_dates_are_the_images_patient_and_the_prior(exported: Exported) -> None:
    first = load_case(exported.current).images[0]["path"]
    header = pydicom.dcmread(exported.current.parent / first, stop_before_pixels=True)
    family, given = str(header.PatientName).split("^")[:2]
    date = str(header.StudyDate)
    page1 = exported.page1
    assert f"Patient {family}, {given}" in page1 and f"ID {header.PatientID}" in page1
    assert f"Current study {date[:4]}-{date[4:6]}-{date[6:8]}" in page1
    assert "Prior study index TEER, final result, 2026-05-04" in page1  # the prior's role and date
    assert "worse: " in page1 and "total residual MR grade" in page1  # what changed, by name


def test_no_internal_mark_or_key_image_id_where_readers_look(exported: Exported) -> None:
    for text in (exported.page1, exported.rest, page_text(exported.result.summary)):
        assert not re.search(r"\bm_\w+:", text)
    assert not re.search(r"\bm_\w+|\bk\d\b", exported.page1)  # the summary names no mark and no key image id
    key_images = html_rows(detail_html(exported.report, 700, frozenset(k.id for k in exported.report.key_images)))
    assert not any("m_" in " ".join(cells) for section, cells in key_images if section.startswith("6."))


def test_no_internal_id_or_developer_reference_in_the_pdf(exported: Exported) -> None:
    text = exported.page1 + " " + exported.rest
    assert not re.search(r"\bm_\w+", text)  # marks by their labels ("m_orifice_me d" was a wrapped id)
    assert not re.search(r"\b[dj]\d+\b", text)  # devices and jets as the clip map labels them
    assert "docs/" not in text
    assert "D1 MitraClip G4 XTW" in text and "J1 para-clip lateral A2-P2" in text
    assert "Target jet J1 at A2-P2" in exported.rest  # a decision-support text built from the jet's id
    methods = {cells[2] for section, cells in html_rows(detail_html(exported.report, 700))
               if section == "5. Measurements" and "mean gradient" in cells[0] and "beat average" not in cells[2]}
    assert methods == {"mean of 4v², exact per-segment integral"}  # the method, its developer reference left out


def test_sections_are_numbered_consecutively_as_printed(exported: Exported) -> None:
    numbers = [int(n) for n in re.findall(r"(?:^| )(\d+)\. (?:Prior devices|Residual mitral|Residual leaflet|"
                                          r"Stenosis assessment|Measurements|Key images|Decision support|"
                                          r"Context for|Comparison with|Reporting and)", exported.rest)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) == 9  # no CT context entered: 9, not 10
    pictures = frozenset(k.id for k in exported.report.key_images)
    assert section_number("Decision support", exported.report, pictures) == 7
    assert section_number("Comparison with the prior study", exported.report, pictures) == 8
    assert "All findings and sources: section 7." in exported.page1
    no_prior = build_report(load_case(exported.prior))[0]  # no comparison, not signed
    assert section_number("Reporting and sign-off", no_prior, pictures) == 8
    with pytest.raises(ValueError, match="not printed"):
        section_number("Comparison with the prior study", no_prior, pictures)


def test_beat_rows_in_trace_order_under_their_average(exported: Exported) -> None:
    """The measurements table as the PDF lays it out: each average's beats by beat, a user's PHT fit named by
    its trace as the trace's own rows are, the beats' durations after the trace's averages."""
    rows = [cells[0] for section, cells in html_rows(detail_html(exported.report, 700)) if section == "5. Measurements"]
    pht = rows.index("CW transmitral inflow trace: pressure half-time, mean of 2 beats")
    assert rows[pht + 1:pht + 3] == ["└ MV inflow CW, beat 1: pressure half-time (your fit)",
                                     "└ MV inflow CW, beat 2: pressure half-time"]
    assert not any("MV inflow beat 1" in r for r in rows)  # the calculation's own label is not the trace's
    averages = [n for n, r in enumerate(rows) if r.startswith("CW transmitral inflow trace:")]
    assert len(averages) == 8
    after = rows[max(averages) + 3:max(averages) + 6]  # the last average's two beats, then the trace's rows
    assert after == ["MV inflow CW, beat 1: duration", "MV inflow CW, beat 2: duration",
                     "Heart rate (consecutive inflow traces)"]
    marks = {cells[0]: cells[-1] for section, cells in html_rows(detail_html(exported.report, 700))
             if section == "5. Measurements"}
    assert marks["MV inflow CW, beat 1: duration"] == "MV inflow CW, beat 1"
    assert marks["Heart rate (consecutive inflow traces)"] == "MV inflow CW, beats 1 and 2"
    assert marks["MVA by 3D MPR planimetry (2 orifices traced)"] == \
        "Lateral orifice area (3D MPR planimetry); Medial orifice area (3D MPR planimetry)"


def test_comparison_rows_are_the_compare_commands(exported: Exported, capsys: pytest.CaptureFixture[str],
                                                  demo_study: Any) -> None:
    assert main(["compare", str(exported.current), str(exported.prior)]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    printed = [cells for section, cells in html_rows(detail_html(exported.report, 700))
               if section.startswith(f"{section_number('Comparison with the prior study', exported.report)}. Comparison")]
    assert printed[0] == ["Quantity", "Prior", "Current", "Change", "Direction"]
    assert printed[1:] == [list(comparison_cells(r)) for r in rows]
    by_label = {cells[0]: cells[1:] for cells in printed[1:]}
    truth = demo_study.truth["color_flow"]["vena_contracta_cm"]
    prior_vc, current_vc = round(truth / 2, 2), round(truth, 2)  # hand-computed: the prior spans half the neck
    assert by_label["vena contracta width, jet para-clip lateral A2-P2"] == \
        [f"{prior_vc:.2f} cm", f"{current_vc:.2f} cm", f"+{current_vc - prior_vc:.2f} cm", "worse"]
    assert by_label["total residual MR grade"] == ["moderate", "moderate-to-severe", "+1 class", "worse"]
    assert by_label["number of devices"][:3] == ["1", "2", "+1"]
    assert by_label["mean gradient"][2] == "0.0 mmHg"  # the same inflow traces
    for cells in printed[1:]:  # the detail pages' text prints every cell
        for cell in cells[1:4]:
            assert cell.split()[0] in exported.rest, cell


def test_the_sign_off_block_names_the_signer(exported: Exported) -> None:
    rest = exported.rest
    assert f"Sign-off signed by {READER} at {SIGNED_SHOWN}" in rest
    assert f"Reader {READER}" in rest and "Operator Dr Omar Operator" in rest
    assert "Impression Residual MR worse than at the index procedure" in rest
    assert "Recommendation Heart-team discussion of ELASTA-Clip + TMVR" in rest
    assert f"Report signed by {READER} at {SIGNED_SHOWN}" in exported.page1


def test_an_amendment_names_the_version_it_replaces(exported: Exported, tmp_path: Path) -> None:
    from planning.document import CaseDocument

    copy = tmp_path / exported.current.name
    copy.write_bytes(exported.current.read_bytes())
    (tmp_path / exported.prior.name).write_bytes(exported.prior.read_bytes())
    signed = load_case(copy).findings().signoff
    assert signed is not None
    CaseDocument(load_case(copy)).amend()
    report, _ = build_report(load_case(copy))
    rows = {cells[0]: cells[1] for section, cells in html_rows(detail_html(report, 700))
            if section.startswith(f"{section_number('Reporting and sign-off', report)}. Reporting")}
    assert rows["Sign-off"] == "not signed"
    assert rows["Amends"] == (f"the version signed by {READER} at {SIGNED_SHOWN} "
                              f"(case sha256 {signed.case_checksum[:16]}…)")


def test_a_failing_summary_costs_only_the_summary(exported: Exported, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import report.export

    def broken(*_args: object, **_kwargs: object) -> Path:
        raise RuntimeError("no room on the page")

    monkeypatch.setattr(report.export, "write_summary_pdf", broken)
    report_model, sources = build_report(load_case(exported.current))
    result = export_report(report_model, sources, tmp_path / "out")
    assert result.summary is None and not (tmp_path / "out" / "summary.pdf").exists()
    assert "summary PDF (summary.pdf) not written: RuntimeError: no room on the page" in result.failures
    assert not any(f.startswith("PDF") for f in result.failures)
    assert result.pdf is not None and len(PdfReader(result.pdf).pages) > 1


def test_an_anonymised_summary_names_no_patient_and_says_so(exported: Exported, tmp_path: Path) -> None:
    report_model, sources = build_report(load_case(exported.current))
    result = export_report(report_model, sources, tmp_path / "out", anonymise=True)
    assert result.summary is not None
    text = page_text(result.summary)
    assert "ANONYMISED EXPORT" in text and "reader and sign-off left out of the anonymised export" in text
    for identifier in ("MitraPlan, Demo", "MP-DEMO-0001", "1947-03-12", READER, "2026-05-04"):
        assert identifier not in text, identifier
    assert "Mean gradient " + SUMMARY_GRADIENT in text  # the numbers stay


def test_a_crowded_case_still_fits_one_page(study: dict[str, object], tmp_path: Path) -> None:
    """Four devices, three jets and all six scallops with long notes: the summary shrinks, stays on one page."""
    from dataclasses import replace

    from PySide6.QtGui import QColor

    from report.model import Device, Jet, Leaflets, LeafletSegment, Space

    from .conftest import sample_report

    base = sample_report(study)
    crowded = replace(base, devices=tuple(Device(f"d{n}", "MitraClip", "G4 XTW", "A2-P2", "medial", "stable")
                                          for n in range(1, 5)),
                      jets=tuple(Jet(f"j{n}", "para-clip lateral", "A1-P1", "moderate", 0.45, eroa_cm2=0.2)
                                 for n in range(1, 4)),
                      leaflets=Leaflets(True, "tear", tuple(
                          LeafletSegment(s, 0.8, "moderate", "d1", "mobility restricted; coaptation gap 3.0 mm", True)
                          for s in ("A1", "A2", "A3", "P1", "P2", "P3")), (Space("lateral", 0.8, "lateral"),), "moderate"))
    picture = QImage(800, 600, QImage.Format.Format_RGB32)
    picture.fill(QColor("#404040"))
    pictures = {k.id: picture for k in crowded.key_images}
    for paper in ("A4", "Letter"):
        fit = summary_fit(crowded, PageSpec(paper), pictures)
        assert fit is not None, paper  # laid out whole, in smaller type (the demo case prints at 10 pt)
        path = write_summary_pdf(crowded, tmp_path / f"{paper}.pdf", PageSpec(paper), pictures)
        text = page_text(path)
        assert len(PdfReader(path).pages) == 1 and "P3: free length 8.0 mm" in text and "Residual jet" in text


@pytest.mark.parametrize(("label", "caption"), [
    ("MV inflow CW, beat 1; MV inflow CW, beat 2", "MV inflow CW, beats 1 and 2"),
    ("MR jet CW", "MR jet CW"),
    ("Inflow, beat 1; Lateral jet vena contracta; Inflow, beat 3", "Inflow, beats 1 and 3; Lateral jet vena contracta"),
])
def test_a_caption_says_the_beats_of_one_trace_once(label: str, caption: str) -> None:
    from report.model import KeyImage
    from report.summary import key_image_caption

    assert key_image_caption(KeyImage("k1", "1.2.3", 1, label, ("m_inflow1",))) == caption
