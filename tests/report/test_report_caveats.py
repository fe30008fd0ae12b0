"""Every number the heart team reads is the one the clinician meant, with its caveats (2026-12-04 review).

Each test edits a copy of the demo case (demo.case over demo.phantom) and runs ``mitraplan report``, then
reads summary.pdf with pdftotext and report.json as a reader would. Expected values and rules come from
docs/case-file.md (unlabelled marks, priors), docs/clinical-criteria.md §1.10 (AF beats), §8.1 (held
values, orifice counts) and clinical.md §4 / M7 (MG with HR, rhythm and beats), PS3.15 Table E.1-1.
Hand arithmetic: the demo's 3D orifices are π·5.0·3.2 = 50.3 mm² → 0.50 cm² (lateral) and π·4.0·2.5 =
31.4 mm² (medial), sum 0.82 cm²; its two devices side by side leave up to 3 orifices.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydicom
import pytest

from gui.main import main

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext (poppler-utils, tools/system-deps.sh) is needed")

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory: pytest.TempPathFactory, demo_study: Any) -> Path:
    from demo.case import build_demo_case
    from planning.case import save_case

    path = tmp_path_factory.mktemp("caveats") / "demo.mitraplan.json"
    save_case(build_demo_case(demo_study, path), path)
    return path


def pdf_text(path: Path) -> str:
    """pdftotext in reading order (each table cell whole), whitespace collapsed."""
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(unicodedata.normalize("NFC", text).split())


def variant(demo_case: Path, name: str, edit: Callable[[Doc], None]) -> Path:
    """A copy of the demo case beside it (its image paths stay valid) with ``edit`` applied."""
    doc = json.loads(demo_case.read_text())
    edit(doc)
    path = demo_case.with_name(f"{name}.mitraplan.json")
    path.write_text(json.dumps(doc))
    return path


def report(case: Path, out: Path, *extra: str) -> int:
    return main(["report", str(case), "--out", str(out), *extra])


def mark(doc: Doc, mark_id: str) -> Doc:
    return next(m for m in doc["marks"] if m["id"] == mark_id)


def calc(doc: Doc, calc_id: str) -> Doc:
    return next(c for c in doc["calculations"] if c["id"] == calc_id)


def finding_texts(doc: Doc) -> list[str]:
    return [f["text"] for o in doc["assessment"]["options"] for f in o["favouring"] + o["against"]]


def mean_gradient_row(summary: str) -> str:
    return summary.split("Mean gradient", 1)[1][:200]  # the row and its caveat, whole


def test_unlabelled_vena_contracta_mark_is_not_used_by_the_summary(demo_case: Path, tmp_path: Path) -> None:
    """docs/case-file.md: an unlabelled mark is never used by the summary or the decision support."""
    case = variant(demo_case, "unlabelled_vc", lambda d: mark(d, "m_vc").update(label=""))
    assert report(case, tmp_path) == 0
    doc = json.loads((tmp_path / "report.json").read_text())
    assert doc["jets"][0]["vena_contracta_cm"] is None
    assert "VC 0.50 cm" not in pdf_text(tmp_path / "summary.pdf")
    assert any(m["source"] == ["m_vc"] for m in doc["measurements"])  # still shown, as measured only


def test_unlabelled_leaflet_length_is_not_used_by_the_decision_support(demo_case: Path, tmp_path: Path) -> None:
    """Same rule, decision side: with both posterior lengths unlabelled no leaflet criterion may be met."""
    def edit(d: Doc) -> None:
        mark(d, "m_p1")["label"] = ""
        mark(d, "m_p3")["label"] = ""
    assert report(variant(demo_case, "unlabelled_len", edit), tmp_path) == 0
    texts = finding_texts(json.loads((tmp_path / "report.json").read_text()))
    assert not any("leaflet length" in t for t in texts), texts


def test_report_of_a_case_does_not_name_the_other_patient_of_a_refused_prior(demo_case: Path, tmp_path: Path,
                                                                             caplog: pytest.LogCaptureFixture) -> None:
    """A prior of another patient is refused (case-file.md, Priors) with a neutral text in this patient's
    report; the full message (the other patient's name and ID, the file) goes to stderr only."""
    prior = variant(demo_case, "prior_other", lambda d: d["study"].update(patient_id="OTHER-9999",
                                                                         patient_name="Other^Patient"))
    case = variant(demo_case, "with_prior_other", lambda d: d.update(
        priors=[{"case": prior.name, "role": "follow-up", "date": "2025-01-01"}]))
    with caplog.at_level(logging.WARNING, logger="report.compare_section"):
        report(case, tmp_path)
    for out in ("report.pdf", "summary.pdf"):
        text = pdf_text(tmp_path / out)
        assert "OTHER-9999" not in text and "Other^Patient" not in text and str(prior) not in text, out
        assert "prior refused: it is another patient's case" in text, out
    document = (tmp_path / "report.json").read_text()
    assert "OTHER-9999" not in document and str(prior.parent) not in document
    assert "OTHER-9999" in caplog.text and str(prior) in caplog.text  # the log (stderr) has it all


def test_held_planimetry_is_shown_as_held_not_as_not_measured(demo_case: Path, tmp_path: Path) -> None:
    """§8.1: a held value is shown, but not graded and not used: 2 of 3 expected orifices, unconfirmed."""
    case = variant(demo_case, "held", lambda d: calc(d, "c_mva3d").pop("confirmed"))
    assert report(case, tmp_path) == 0
    text = pdf_text(tmp_path / "summary.pdf")
    assert "MVA, planimetry not measured" not in text
    assert ("MVA, 3D planimetry 0.82 cm² held (2 of 3 expected orifices: fewer than the devices imply;"
            " confirm to use), not used") in text
    doc = json.loads((tmp_path / "report.json").read_text())
    assert "mva_planimetry" not in doc["selected"]
    assert not any("Planimetered MVA" in t for t in finding_texts(doc))  # not used by the rules


def test_incomplete_orifice_sum_keeps_its_caveat_on_the_summary_and_in_the_findings(demo_case: Path,
                                                                                    tmp_path: Path) -> None:
    """§8.1: a confirmed value keeps its warning. 1 of 3 expected orifices is a lower bound of the MVA."""
    case = variant(demo_case, "one_orifice", lambda d: calc(d, "c_mva3d").update(area_marks=["m_orifice_lat"]))
    assert report(case, tmp_path) == 0
    text = pdf_text(tmp_path / "summary.pdf")
    assert "MVA, 3D planimetry 0.50 cm² (1 of 3 expected orifices summed: a lower bound)" in text
    texts = [t for t in finding_texts(json.loads((tmp_path / "report.json").read_text())) if "Planimetered MVA" in t]
    assert texts and all("0.50 cm² (1 of 3 expected orifices summed: a lower bound)" in t for t in texts)


def test_the_demo_sum_says_both_orifices_and_the_expected_count(demo_case: Path, tmp_path: Path) -> None:
    """The demo sums its 2 traced orifices (confirmed) while its 2 devices imply 3."""
    assert report(demo_case, tmp_path) == 0
    assert "MVA, 3D planimetry 0.82 cm² (2 of 3 expected orifices summed: a lower bound)" in \
        pdf_text(tmp_path / "summary.pdf")


def test_single_beat_mean_gradient_on_the_summary_states_hr_and_beats(demo_case: Path, tmp_path: Path) -> None:
    """clinical.md M7/§4: MG with HR, rhythm and beats; the HR the decision support quotes with it."""
    case = variant(demo_case, "one_beat", lambda d: d.update(marks=[m for m in d["marks"] if m["id"] != "m_inflow2"]))
    assert report(case, tmp_path) == 0
    row = mean_gradient_row(pdf_text(tmp_path / "summary.pdf"))
    assert row.startswith(" 6.6 mmHg (1 beat; rhythm sinus; HR 72 bpm)"), row
    texts = finding_texts(json.loads((tmp_path / "report.json").read_text()))
    assert any(t.startswith("Mean gradient 6.6 mmHg at HR 72 bpm") for t in texts)


def _af3(d: Doc) -> None:
    """AF, three consecutive labelled inflow beats (beat 3 = beat 2 shifted by one R-R interval)."""
    d["study"]["rhythm"] = "AF"
    beat3 = json.loads(json.dumps(mark(d, "m_inflow2")))
    dx = mark(d, "m_inflow2")["points"][0][0] - mark(d, "m_inflow1")["points"][0][0]
    beat3.update(id="m_inflow3", label="MV inflow CW, beat 3", points=[[x + dx, y] for x, y in beat3["points"]])
    d["marks"].insert(2, beat3)


AF_CAVEAT = "atrial fibrillation: mean gradient from 3 beat(s); average ≥5 consecutive beats"


def test_af_mean_gradient_caveat_reaches_the_summary_and_the_findings(demo_case: Path, tmp_path: Path) -> None:
    """AF with 3 beats: the average carries the AF (< 5 beats) warning, and so does every quote of it."""
    assert report(variant(demo_case, "af3", _af3), tmp_path) == 0
    doc = json.loads((tmp_path / "report.json").read_text())
    avg = next(m for m in doc["measurements"] if m["id"] == "avg.mv_inflow.mean_gradient")
    assert avg["beats"] == 3 and AF_CAVEAT in avg["warnings"]
    row = mean_gradient_row(pdf_text(tmp_path / "summary.pdf"))
    assert row.startswith(" 6.6 mmHg (mean of 3 beats, SD 0.0 mmHg; rhythm AF; HR 72 bpm; " + AF_CAVEAT + ")"), row
    gradient = [t for t in finding_texts(doc) if t.startswith("Mean gradient 6.6 mmHg at HR 72 bpm is ≥ 5 mmHg")]
    assert gradient and all(t.endswith(f"(MVARC; {AF_CAVEAT})") for t in gradient), gradient


def test_af_per_beat_rows_do_not_repeat_the_af_warning(demo_case: Path, tmp_path: Path) -> None:
    """docs/clinical-criteria.md §1.10: the average carries the AF caveat; per-beat results do not repeat it."""
    assert report(variant(demo_case, "af3b", _af3), tmp_path) == 0
    doc = json.loads((tmp_path / "report.json").read_text())
    per_beat = [m for m in doc["measurements"] if m["quantity"] == "mean_gradient" and m["id"].startswith("m_")]
    assert len(per_beat) == 3
    assert not any("atrial fibrillation" in w for m in per_beat for w in m["warnings"])


def test_summary_eroa_says_it_is_pisa_with_limited_validity_after_teer(demo_case: Path, tmp_path: Path) -> None:
    """measurements.pisa.PISA_POST_TEER_WARNING, in short, wherever the summary quotes the EROA."""
    assert report(demo_case, tmp_path) == 0
    assert "EROA 0.10 cm² (PISA, limited validity after TEER)" in pdf_text(tmp_path / "summary.pdf")


def test_anonymised_key_images_carry_no_study_date(demo_case: Path, demo_study: Any, tmp_path: Path) -> None:
    """--anonymise (PS3.15 basic profile, no temporal option): no date of the study at any depth, e.g. the
    3D key image's Contributing Equipment Sequence > ContributionDateTime."""
    assert report(demo_case, tmp_path, "--anonymise") == 0
    study_date = str(pydicom.dcmread(next(demo_study.folder.glob("*.dcm")), stop_before_pixels=True).StudyDate)
    assert len(study_date) == 8
    for dcm in sorted(tmp_path.glob("*.dcm")):
        ds = pydicom.dcmread(dcm)
        dates = [str(e.value) for e in ds.iterall() if e.VR in ("DA", "DT", "TM")]
        assert not any(v.startswith(study_date) for v in dates), (dcm.name, dates)
