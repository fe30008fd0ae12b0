"""Free-typed clinician names in the SR: the verifying observer (sign-off) and the reader and operator
in the observation context, as DICOM person names (PS3.5 6.2), without a warning (pytest turns
warnings into errors) and never split into family and given names by guessing.

Read back with pydicom and checked with dciodvfy, over the demo study.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydicom
import pytest

from demo.case import write_demo_case
from demo.phantom import write_demo_study
from planning.case import load_case, save_case
from planning.document import CaseDocument
from planning.signoff import SignOffError, dicom_person_name, make_signoff, person_name_problem
from report.build import build_report
from report.sr import build_sr, evidence_for

from .test_outputs import dciodvfy_errors

PERSON_OBSERVER_NAME = ("121008", "DCM")
ROLE_IN_PROCEDURE = ("121011", "DCM")  # Person Observer's Role in this Procedure


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sr_names")
    return write_demo_case(write_demo_study(root / "loops"), root)


def _copy(demo_case: Path, tmp_path: Path) -> Path:
    copy = tmp_path / demo_case.name
    copy.write_bytes(demo_case.read_bytes())
    (tmp_path / "loops").symlink_to(demo_case.parent / "loops")  # relative image paths: the loops beside it
    return copy


def _signed_sr(demo_case: Path, tmp_path: Path, signer: str, reader: str = "", operator: str = "") -> Any:
    path = _copy(demo_case, tmp_path)
    case = load_case(path)
    case.extra["report"] = {"reader": reader, "operator": operator}
    save_case(case, path)
    CaseDocument(load_case(path)).sign_off(signer, at="2026-12-03T15:30:00+00:00")
    report, sources = build_report(load_case(path))
    out = tmp_path / "report-sr.dcm"
    build_sr(report, evidence_for(report, sources.headers)).save_as(out)  # a warning here fails the test
    return out


def _code(item: Any) -> tuple[str, str]:
    c = item.ConceptNameCodeSequence[0]
    return str(c.CodeValue), str(c.CodingSchemeDesignator)


def _observers(ds: Any) -> list[tuple[str, str]]:
    """(person name as stored, role in procedure meaning) of each person observer of the root context."""
    out, name = [], None
    for item in ds.ContentSequence:
        if item.RelationshipType != "HAS OBS CONTEXT":
            continue
        if _code(item) == PERSON_OBSERVER_NAME:
            name = str(item.PersonName)
        elif _code(item) == ROLE_IN_PROCEDURE and name is not None:
            out.append((name, str(item.ConceptCodeSequence[0].CodeMeaning)))
            name = None
    return out


@pytest.mark.parametrize(("typed", "pn"), [
    ("Dr Dana Reader", "Dr Dana Reader^"),  # one component, as typed: the family name
    ("  Dana   Reader ", "Dana Reader^"),  # white space made single
    ("Reader^Dana", "Reader^Dana"),  # typed in components: kept
    ("Reader^Dana^^Dr", "Reader^Dana^^Dr"),
])
def test_a_typed_name_becomes_a_pn_without_guessing_a_split(typed: str, pn: str) -> None:
    assert dicom_person_name(typed) == pn
    assert person_name_problem(typed) == ""


def test_a_one_component_signer_is_the_verifying_observer_as_typed(demo_case: Path, tmp_path: Path) -> None:
    out = _signed_sr(demo_case, tmp_path, "Dr Dana Reader")
    ds = pydicom.dcmread(out)
    (observer,) = ds.VerifyingObserverSequence
    name = observer.VerifyingObserverName
    assert (name.family_name, name.given_name) == ("Dr Dana Reader", "")  # not split into Dr / Dana / Reader
    assert str(name) == "Dr Dana Reader^"
    assert ds.VerificationFlag == "VERIFIED"
    assert dciodvfy_errors(out) == []


def test_reader_and_operator_are_person_observers_with_their_roles(demo_case: Path, tmp_path: Path) -> None:
    out = _signed_sr(demo_case, tmp_path, "Reader^Dana", reader="Dr Dana Reader", operator="Prof. O. Perator")
    ds = pydicom.dcmread(out)
    assert _observers(ds) == [("Dr Dana Reader^", "Reader"), ("Prof. O. Perator^", "Performing")]
    assert str(ds.VerifyingObserverSequence[0].VerifyingObserverName) == "Reader^Dana"
    assert dciodvfy_errors(out) == []


@pytest.mark.parametrize(("typed", "why"), [
    ("Reader\\Dana", "'\\\\'"), ("Dana=Reader", "'='"), ("A^B^C^D^E^F", "at most 5 components"),
    ("x" * 64, "too long"),
])
def test_a_name_no_pn_can_hold_is_refused_at_sign_off_naming_the_problem(typed: str, why: str) -> None:
    from planning.case import Case

    assert why in person_name_problem(typed)
    with pytest.raises(SignOffError, match="cannot be signed") as err:
        make_signoff(Case(path=Path("/tmp/c.mitraplan.json")), typed)
    assert why in str(err.value) and "c.mitraplan.json" in str(err.value)


def test_a_reader_name_no_pn_can_hold_is_left_out_of_the_sr(demo_case: Path, tmp_path: Path) -> None:
    out = _signed_sr(demo_case, tmp_path, "Reader^Dana", reader="Dana\\Reader", operator="O Perator")
    assert _observers(pydicom.dcmread(out)) == [("O Perator^", "Performing")]


def test_the_export_writes_report_sr_for_a_one_component_signer(demo_case: Path, tmp_path: Path) -> None:
    """The defect as found: highdicom's warning on "Dr Dana Reader" (an error under pytest) cost the
    export its report-sr.dcm."""
    from report.export import export_report

    path = _copy(demo_case, tmp_path)
    CaseDocument(load_case(path)).sign_off("Dr Dana Reader", at="2026-12-03T15:30:00+00:00")
    report, sources = build_report(load_case(path))
    result = export_report(report, sources, tmp_path / "out")
    assert result.sr is not None and result.sr.name == "report-sr.dcm", result.failures
    assert not [f for f in result.failures if "SR" in f]
    assert str(pydicom.dcmread(result.sr).VerifyingObserverSequence[0].VerifyingObserverName) == "Dr Dana Reader^"
