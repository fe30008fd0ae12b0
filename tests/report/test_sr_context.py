"""The CT/haemodynamic context in the SR: an RVSP entered from this TEE is written in a Right Ventricle
Findings section as (399023006, SCT) in mmHg, saying it was entered; one from another procedure or
study (CT, cath, TTE, other) is left out; one taken from an accepted imported SR is written once, as
the imported measurement. The other context values have no SR code (each with its reason).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import highdicom as hd
import pydicom
import pytest
from pydicom.sr.coding import Code

from imaging.sr_read import read_sr
from measurements.concepts import CONTEXT_CONCEPTS, NOT_THIS_STUDY
from measurements.sr_import import SOURCE_SR
from planning.case import Case
from planning.imported import Status, import_sr, imported_of, set_status
from planning.model import CT_NUMBERS, HAEMO_NUMBERS
from planning.vocab import ContextSource
from report.build import build_report
from report.sr import build_sr

from .conftest import make_study
from .test_outputs import dciodvfy_errors
from .vendor_sr import ge_style_sr

RVSP = ("399023006", "SCT")
RIGHT_VENTRICLE = ("53085002", "SCT")
FINDING_SITE = ("363698007", "SCT")


@pytest.fixture
def study(tmp_path: Path) -> dict[str, object]:
    return make_study(tmp_path / "study")


def _case(study: dict[str, object], source: str | None, value: float = 45) -> Case:
    ds = study["datasets"][0]
    case = Case(study={"patient_id": str(ds.PatientID), "patient_name": str(ds.PatientName),
                       "study_instance_uid": str(ds.StudyInstanceUID)})
    if source is not None:
        case.extra["context"] = {"haemodynamics": {"rvsp_mmhg": {"value": value, "source": source}}}
    return case


def _sr(case: Case, study: dict[str, object], path: Path) -> Path:
    report, _ = build_report(case)
    build_sr(report, study["datasets"]).save_as(path)
    return path


def _code(item: Any, seq: str = "ConceptNameCodeSequence") -> tuple[str, str]:
    c = getattr(item, seq)[0]
    return str(c.CodeValue), str(c.CodingSchemeDesignator)


def _rvsp_nums(path: Path) -> list[tuple[tuple[str, str], Any]]:
    """(section subject, NUM item) of every RVSP NUM directly in a Findings section."""
    out = []
    for section in pydicom.dcmread(path).ContentSequence:
        if section.ValueType != "CONTAINER" or "ContentSequence" not in section:
            continue
        items = list(section.ContentSequence)
        subject = next((_code(i, "ConceptCodeSequence") for i in items if _code(i) == FINDING_SITE), None)
        out += [(subject, i) for i in items if i.ValueType == "NUM" and _code(i) == RVSP]
    return out


def test_an_rvsp_entered_from_this_tee_is_in_the_right_ventricle_section(study, tmp_path: Path) -> None:
    path = _sr(_case(study, ContextSource.TEE.value, 45), study, tmp_path / "sr.dcm")
    ((subject, num),) = _rvsp_nums(path)
    assert subject == RIGHT_VENTRICLE
    value = num.MeasuredValueSequence[0]
    assert float(value.NumericValue) == 45.0 and value.MeasurementUnitsCodeSequence[0].CodeValue == "mm[Hg]"
    (comment,) = [c for c in num.ContentSequence if c.ValueType == "TEXT"]
    assert str(comment.TextValue) == ("Not measured by MitraPlan: entered with the case by the clinician,"
                                      " source TEE (this study)")
    assert dciodvfy_errors(path) == []
    # and an importer reads it as RVSP again
    assert [(n.name.key, n.value) for n in read_sr(path).nums] == [(RVSP, 45.0)]


@pytest.mark.parametrize("source", [s.value for s in ContextSource
                                    if s not in (ContextSource.TEE, ContextSource.IMPORTED_SR)])
def test_an_rvsp_of_another_procedure_or_study_is_left_out(study, tmp_path: Path, source: str) -> None:
    path = _sr(_case(study, source), study, tmp_path / "sr.dcm")
    assert _rvsp_nums(path) == []
    assert "another procedure or study" in NOT_THIS_STUDY


def test_an_rvsp_from_an_accepted_imported_sr_is_written_once_marked_imported(study, tmp_path: Path) -> None:
    # a cart SR with an RVSP NUM in a Right Ventricle Findings section: imported, accepted, fills the context
    from report.sr_tid5200 import findings_section

    cart = ge_style_sr(study["datasets"][0])
    num = hd.sr.NumContentItem(name=Code(*RVSP, "Right Ventricular Peak Systolic Pressure"), value=38,
                               unit=Code("mm[Hg]", "UCUM", "mmHg"),
                               relationship_type=hd.sr.RelationshipTypeValues.CONTAINS)
    cart.ContentSequence.append(findings_section(Code(*RIGHT_VENTRICLE, "Right Ventricle"), [num]))
    cart.save_as(tmp_path / "lab.dcm")
    case = _case(study, None)
    import_sr(case, read_sr(tmp_path / "lab.dcm"))
    rvsp = next(e for e in imported_of(case) if e.quantity == "rvsp")
    set_status(case, rvsp.id, Status.ACCEPTED)
    report, _ = build_report(case)
    assert report.context["haemodynamics"]["rvsp_mmhg"]["source"] == ContextSource.IMPORTED_SR.value
    build_sr(report, study["datasets"]).save_as(tmp_path / "sr.dcm")
    nums = [n for n in read_sr(tmp_path / "sr.dcm").nums if n.name.key == RVSP]
    assert [(n.value, n.uids.get(SOURCE_SR)) for n in nums] == [(38.0, rvsp.sop_instance_uid)]


def test_every_context_value_is_coded_or_says_why_not() -> None:
    keys = {*CT_NUMBERS, *HAEMO_NUMBERS, "mac_extent", "tr_grade"}
    assert set(CONTEXT_CONCEPTS) == keys
    for key, cc in CONTEXT_CONCEPTS.items():
        assert bool(cc.quantity) != bool(cc.not_exported), key  # a code, or the reason there is none
    assert [k for k, cc in CONTEXT_CONCEPTS.items() if cc.quantity] == ["rvsp_mmhg"]
    assert CONTEXT_CONCEPTS["rvsp_mmhg"].sr_sources == (ContextSource.TEE.value,)
