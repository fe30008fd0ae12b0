"""report.json's "comparison" section: the case against its latest prior (demo study, known truth).

The prior's vena contracta mark spans half the phantom's jet neck (tests/gui/cli/test_cli_compare.py).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from planning.case import load_case
from report.build import build_report
from report.json_export import report_to_json, schema
from tests.gui.cli.test_cli_compare import _cases


def _document(case: Path) -> dict[str, Any]:
    report, _ = build_report(load_case(case))
    document = report_to_json(report)
    jsonschema.validate(document, schema())
    return document


def test_report_json_compares_with_the_prior(tmp_path: Path, demo_study: Any) -> None:
    current, _ = _cases(tmp_path, demo_study)
    section = _document(current)["comparison"]
    assert section["prior"] == {"case": "index.mitraplan.json", "role": "index-procedure-final", "date": "2026-05-04"}
    rows = {r["label"]: r for r in section["rows"]}
    truth = demo_study.truth["color_flow"]["vena_contracta_cm"]
    vc = rows["vena contracta width, jet para-clip lateral A2-P2"]
    assert (vc["prior"], vc["current"], vc["unit"], vc["direction"]) == (round(truth / 2, 2), round(truth, 2), "cm",
                                                                          "worse")
    grade = rows["total residual MR grade"]
    assert (grade["prior"], grade["current"], grade["change"]) == ("moderate", "moderate-to-severe", 1)


def test_a_prior_of_another_patient_is_refused_without_naming_that_patient(
        tmp_path: Path, demo_study: Any, caplog: pytest.LogCaptureFixture) -> None:
    """The other patient's ID and the prior's path go to the log only, never into this patient's report."""
    current, prior = _cases(tmp_path, demo_study, prior_patient="OTHER-42")
    with caplog.at_level(logging.WARNING, logger="report.compare_section"):
        document = _document(current)
    section = document["comparison"]
    assert section["rows"] == [] and section["error"] == "prior refused: it is another patient's case"
    assert "OTHER-42" not in json.dumps(document) and str(tmp_path) not in json.dumps(section)
    assert "ID OTHER-42" in caplog.text and "same patient" in caplog.text and str(prior) in caplog.text


def test_no_priors_no_section(tmp_path: Path, demo_study: Any) -> None:
    from demo.case import write_demo_case

    assert "comparison" not in _document(write_demo_case(demo_study, tmp_path))


def _signed_current(tmp_path: Path, demo_study: Any) -> Path:
    from planning.document import CaseDocument

    current, _ = _cases(tmp_path, demo_study)
    doc = CaseDocument(load_case(current))
    doc.case.extra["report"] = {"reader": "Dr Dana Reader", "operator": "Dr Ortiz",
                                "impression": "Worse residual MR", "recommendation": "Discuss at heart-team meeting"}
    doc.save()
    doc.sign_off("Dr Dana Reader", at="2026-12-03T15:30:00+00:00")
    return current


def test_report_json_carries_the_reporting_text_and_signoff(tmp_path: Path, demo_study: Any) -> None:
    section = _document(_signed_current(tmp_path, demo_study))["reporting"]
    assert (section["reader"], section["operator"], section["impression"], section["recommendation"]) == \
        ("Dr Dana Reader", "Dr Ortiz", "Worse residual MR", "Discuss at heart-team meeting")
    assert section["status"] == "signed" and section["signoff"]["by"] == "Dr Dana Reader"


def test_an_anonymised_report_drops_names_free_text_and_the_prior_file(tmp_path: Path, demo_study: Any) -> None:
    from report.anonymise import UidMap, anonymise_report

    report, _ = build_report(load_case(_signed_current(tmp_path, demo_study)))
    document = report_to_json(anonymise_report(report, UidMap()))
    jsonschema.validate(document, schema())
    text = str(document)
    assert "reporting" not in document and "Dr Dana Reader" not in text and "heart-team meeting" not in text
    assert document["comparison"]["prior"] == {"case": "", "role": "index-procedure-final", "date": ""}
    assert document["comparison"]["rows"]  # the numbers stay
    assert document["header"]["signed_by"] == ""
