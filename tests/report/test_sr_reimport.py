"""The re-import loop: a value imported from an echo-lab SR (A) and accepted is written into MitraPlan's
own SR (B) marked as imported, with A's UID; importing B back, or A again after B, adds nothing twice.

Golden values: the cart fixture's ``EXPECTED`` table (tests/report/vendor_sr.py: four quantities).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest

from imaging.sr_read import read_sr
from measurements.sr_import import SOURCE_SR
from planning.case import Case
from planning.imported import Status, import_sr, imported_of, set_status
from report.build import build_report
from report.sr import build_sr

from .conftest import make_study
from .test_outputs import dciodvfy_errors
from .vendor_sr import EXPECTED, ge_style_sr

COMMENT = ("121106", "DCM")


@pytest.fixture
def study(tmp_path: Path) -> dict[str, object]:
    return make_study(tmp_path / "study")


def _bound_case(study: dict[str, object]) -> Case:
    ds = study["datasets"][0]
    return Case(study={"patient_id": str(ds.PatientID), "patient_name": str(ds.PatientName),
                       "study_instance_uid": str(ds.StudyInstanceUID)})


def _cart_sr(study: dict[str, object], path: Path) -> Path:
    ge_style_sr(study["datasets"][0]).save_as(path)
    return path


def _values(items: Any) -> Iterator[str]:
    """Every text, person name, UID and code meaning of a content tree, depth first."""
    for item in items:
        for keyword in ("TextValue", "PersonName", "UID"):
            if keyword in item:
                yield str(item.get(keyword))
        for seq in ("ConceptNameCodeSequence", "ConceptCodeSequence"):
            if seq in item:
                yield str(item.get(seq)[0].CodeMeaning)
        yield from _values(item.get("ContentSequence", []))


def _accept_all(case: Case) -> None:
    for entry in imported_of(case):
        set_status(case, entry.id, Status.ACCEPTED)


def _own_sr(case: Case, study: dict[str, object], path: Path) -> Path:
    """MitraPlan's SR of ``case`` (no marks of its own: every value in it is an accepted import)."""
    report, _ = build_report(case)
    build_sr(report, study["datasets"]).save_as(path)
    return path


def _case_with_a_accepted(study: dict[str, object], tmp_path: Path) -> tuple[Case, Path, Path]:
    case, a = _bound_case(study), _cart_sr(study, tmp_path / "lab-A.dcm")
    import_sr(case, read_sr(a))
    _accept_all(case)
    return case, a, _own_sr(case, study, tmp_path / "mitraplan-B.dcm")


def test_mitraplans_sr_marks_each_imported_value_with_the_sr_it_came_from(study, tmp_path: Path) -> None:
    _, a, b = _case_with_a_accepted(study, tmp_path)
    a_uid = read_sr(a).sop_instance_uid
    nums = read_sr(b).nums
    assert len(nums) == len(EXPECTED)  # each accepted value once
    assert {n.uids.get(SOURCE_SR) for n in nums} == {a_uid}
    # and says so in words on each NUM
    ds = pydicom.dcmread(b)
    comments = [str(c.TextValue) for section in ds.ContentSequence if "ContentSequence" in section
                for item in section.ContentSequence if item.ValueType == "CONTAINER"
                for num in item.ContentSequence if num.ValueType == "NUM"
                for c in num.ContentSequence
                if c.ValueType == "TEXT" and (c.ConceptNameCodeSequence[0].CodeValue, "DCM") == COMMENT]
    assert len(comments) == len(EXPECTED)
    assert all(c.startswith("Not measured by MitraPlan: imported from Synthetic Vendor") and a_uid in c
               for c in comments)
    assert dciodvfy_errors(b) == []


def test_importing_mitraplans_sr_back_adds_no_duplicate_and_says_why(study, tmp_path: Path) -> None:
    case, a, b = _case_with_a_accepted(study, tmp_path)
    a_uid = read_sr(a).sop_instance_uid
    before = [e.to_json() for e in imported_of(case)]
    summary = import_sr(case, read_sr(b))
    assert summary.added == () and not summary.already
    assert [e.to_json() for e in imported_of(case)] == before  # nothing added, nothing changed
    assert len(summary.duplicates) == len(EXPECTED)
    assert {d.existing_id for d in summary.duplicates} == {e["id"] for e in before}
    text = summary.duplicates_text()
    assert text.startswith(f"{len(EXPECTED)} value(s) left out, already in the case: ")
    assert f"first reported in SR {a_uid}" in text and "already in the case as imp" in text
    assert summary.as_json()["already_in_case"][0]["first_reported_in"] == a_uid
    # the mean gradient was written at reporting precision (12.5/3 → 4.2 mmHg) and still recognised
    assert any(d.quantity == "mean_gradient" and d.value == 4.2 for d in summary.duplicates)
    # B again: still nothing; the lab re-sending A: already imported
    assert import_sr(case, read_sr(b)).added == ()
    assert import_sr(case, read_sr(a)).already
    assert len(imported_of(case)) == len(EXPECTED)


def test_a_fresh_case_keeps_the_first_sr_and_then_recognises_it(study, tmp_path: Path) -> None:
    _, a, b = _case_with_a_accepted(study, tmp_path)
    a_uid, b_uid = read_sr(a).sop_instance_uid, read_sr(b).sop_instance_uid
    fresh = _bound_case(study)
    added = import_sr(fresh, read_sr(b)).added
    assert len(added) == len(EXPECTED)
    assert {(e.sop_instance_uid, e.provenance["quoted_from"], e.origin) for e in added} == {(b_uid, a_uid, a_uid)}
    again = import_sr(fresh, read_sr(a))  # the lab's own SR of the same values, after MitraPlan's
    assert again.added == () and len(again.duplicates) == len(EXPECTED)
    assert len(imported_of(fresh)) == len(EXPECTED)


def test_a_different_value_of_the_same_quantity_is_not_a_duplicate(study, tmp_path: Path) -> None:
    case, _, b = _case_with_a_accepted(study, tmp_path)
    entry = next(e for e in imported_of(case) if e.quantity == "pht")
    raw = next(r for r in case.extra["imported"] if r["id"] == entry.id)
    raw["value"] = entry.value + 20.0  # the case's PHT differs from the one B quotes
    summary = import_sr(case, read_sr(b))
    assert [e.quantity for e in summary.added] == ["pht"] and len(summary.duplicates) == len(EXPECTED) - 1


def test_an_sr_to_be_deidentified_says_imported_without_the_source_sr_or_its_observer(study, tmp_path: Path) -> None:
    """The export builds the SR it de-identifies without patient characteristics (report.export)."""
    case, a, _ = _case_with_a_accepted(study, tmp_path)
    case.extra["report"] = {"reader": "Dr Dana Reader", "operator": "O Perator"}
    a_uid = read_sr(a).sop_instance_uid
    report, _ = build_report(case)
    out = tmp_path / "anon.dcm"
    build_sr(report, study["datasets"], patient_characteristics=False).save_as(out)
    values = list(_values(pydicom.dcmread(out).ContentSequence))
    assert not any(a_uid in v or "Synthetic Vendor" in v or "Reader" in v or "Perator" in v for v in values)
    comments = [v for v in values if v.startswith("Not measured by MitraPlan")]
    assert comments == ["Not measured by MitraPlan: imported from another system's SR, accepted by the clinician"
                        ] * len(EXPECTED)
    assert all(SOURCE_SR not in n.uids for n in read_sr(out).nums)
