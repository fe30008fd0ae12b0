"""The SR's Completion, Verification and Preliminary flags follow the case's sign-off (read back with pydicom).

Built over the demo study (synthetic TEE with known truth), as a signed clinical report would be.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydicom
import pytest

from demo.case import write_demo_case
from demo.phantom import write_demo_study
from planning.case import load_case
from planning.document import CaseDocument
from report.build import build_report
from report.sr import build_sr, evidence_for


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sr_signoff")
    return write_demo_case(write_demo_study(root / "loops"), root)


def _sr(case_path: Path, out: Path) -> Any:
    report, sources = build_report(load_case(case_path))
    build_sr(report, evidence_for(report, sources.headers)).save_as(out)
    return pydicom.dcmread(out)


def test_an_unsigned_case_gives_a_partial_unverified_sr(demo_case: Path, tmp_path: Path) -> None:
    ds = _sr(demo_case, tmp_path / "sr.dcm")
    assert (ds.CompletionFlag, ds.VerificationFlag, ds.PreliminaryFlag) == ("PARTIAL", "UNVERIFIED", "PRELIMINARY")
    assert "VerifyingObserverSequence" not in ds


def test_a_signed_case_gives_a_complete_verified_sr_naming_the_signer(demo_case: Path, tmp_path: Path) -> None:
    copy = tmp_path / demo_case.name
    copy.write_bytes(demo_case.read_bytes())
    for loops in demo_case.parent.glob("loops"):  # relative image paths: the loops beside the copy
        (tmp_path / "loops").symlink_to(loops)
    doc = CaseDocument(load_case(copy))
    doc.sign_off("Reader^Dana", at="2026-12-03T15:30:00+00:00")
    ds = _sr(copy, tmp_path / "sr.dcm")
    assert (ds.CompletionFlag, ds.VerificationFlag, ds.PreliminaryFlag) == ("COMPLETE", "VERIFIED", "FINAL")
    (observer,) = ds.VerifyingObserverSequence
    assert str(observer.VerifyingObserverName) == "Reader^Dana"
    assert observer.VerificationDateTime == "20261203153000+0000"  # when signed, not when written
