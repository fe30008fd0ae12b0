"""Sign-off freezes the case version; a signed case refuses every edit; an amendment names its predecessor."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from measurements.marks import Mark, MarkType
from planning.case import CaseError, load_case, save_case
from planning.commands import AddDevice, AddMark, RemoveMark, SetCaseField, SetNotes
from planning.document import CaseDocument, DocumentError
from planning.signoff import SignOffError, case_checksum, intact

MARK = Mark("m1", MarkType.DISTANCE, "vena contracta", "1.2.3.4", 1, 0, ((0, 0), (10, 0)))


def no_measure(case: object) -> tuple[list[object], list[object]]:
    return [], []


@pytest.fixture
def saved(tmp_path: Path) -> CaseDocument:
    """A saved case of one patient with one mark (its image is not needed: nothing is measured)."""
    doc = CaseDocument(measure=no_measure)  # type: ignore[arg-type]
    doc.case.study.update({"patient_id": "P1", "study_instance_uid": "1.2.3"})
    doc.case.marks.append(MARK)
    doc.case.extra["report"] = {"reader": "Dr Reader", "impression": "moderate residual MR"}
    doc.save(tmp_path / "case.mitraplan.json")
    return doc


def test_signoff_names_the_checksum_of_the_saved_version(saved: CaseDocument) -> None:
    assert saved.path is not None
    before = hashlib.sha256(saved.path.read_bytes()).hexdigest()  # what report.build.case_checksum gives
    saved.sign_off("Dr Reader", at="2026-12-03T15:30:00+00:00")
    on_disk = json.loads(saved.path.read_text(encoding="utf-8"))
    assert on_disk["signoff"] == {"by": "Dr Reader", "at": "2026-12-03T15:30:00+00:00", "case_checksum": before}
    assert intact(load_case(saved.path))
    assert saved.signoff is not None and saved.signoff.by == "Dr Reader"


@pytest.mark.parametrize("command", [
    AddMark(Mark("m2", MarkType.DISTANCE, "x", "1.2.3.4", 1, 0, ((0, 0), (1, 0)))),
    RemoveMark(MARK, 0),
    AddDevice({"id": "d1", "kind": "MitraClip"}),
    SetNotes("", "changed after signing"),
    SetCaseField(("report", "impression"), "moderate residual MR", "severe"),
], ids=["add-mark", "remove-mark", "add-device", "notes", "impression"])
def test_a_signed_case_refuses_every_edit(saved: CaseDocument, command: object) -> None:
    saved.sign_off("Dr Reader")
    before = json.dumps(saved.case.to_json(), sort_keys=True)
    with pytest.raises(DocumentError, match=r"signed off by Dr Reader .* read-only; amend it"):
        command.apply(saved)  # type: ignore[attr-defined]
    assert json.dumps(saved.case.to_json(), sort_keys=True) == before


def test_signoff_fields_are_not_editable_by_commands(saved: CaseDocument) -> None:
    with pytest.raises(DocumentError, match="cannot be set directly"):
        SetCaseField(("signoff",), None, {"by": "forger"}).apply(saved)


def test_unsaved_changes_must_be_saved_before_signing(saved: CaseDocument) -> None:
    SetNotes("", "new note").apply(saved)
    with pytest.raises(SignOffError, match="not saved"):
        saved.sign_off("Dr Reader")
    assert saved.signoff is None


def test_a_case_is_signed_once_and_needs_a_name(saved: CaseDocument) -> None:
    with pytest.raises(SignOffError, match="name"):
        saved.sign_off("  ")
    saved.sign_off("Dr Reader")
    with pytest.raises(SignOffError, match="already signed"):
        saved.sign_off("Dr Other")


def test_an_amendment_names_the_signed_version_and_is_editable(saved: CaseDocument) -> None:
    assert saved.path is not None
    saved.sign_off("Dr Reader", at="2026-12-03T15:30:00+00:00")
    signed_bytes = saved.path.read_bytes()
    checksum = json.loads(signed_bytes)["signoff"]["case_checksum"]
    saved.amend()
    on_disk = json.loads(saved.path.read_text(encoding="utf-8"))
    assert "signoff" not in on_disk
    assert on_disk["amends"] == {"case_checksum": checksum, "signed_by": "Dr Reader",
                                 "signed_at": "2026-12-03T15:30:00+00:00"}
    archive = saved.path.with_name(f"{saved.path.name}.signed-{checksum[:12]}")
    assert archive.read_bytes() == signed_bytes  # the signed version is kept, unchanged
    assert archive.stat().st_mode & 0o777 == 0o600  # readable by the user only, as the case file
    SetNotes("", "corrected").apply(saved)  # editable again
    saved.save()
    saved.sign_off("Dr Second", at="2026-12-04T09:00:00+00:00")
    saved.amend()  # the chain: the second amendment names the first amendment's predecessor too
    chain = json.loads(saved.path.read_text(encoding="utf-8"))["amends"]
    assert chain["signed_by"] == "Dr Second" and chain["amends"]["case_checksum"] == checksum


def test_only_a_signed_case_can_be_amended(saved: CaseDocument) -> None:
    with pytest.raises(SignOffError, match="only a signed case"):
        saved.amend()


def test_checksum_is_of_the_bytes_save_case_writes(saved: CaseDocument, tmp_path: Path) -> None:
    target = tmp_path / "again.mitraplan.json"
    save_case(saved.case, target)
    assert case_checksum(saved.case) == hashlib.sha256(target.read_bytes()).hexdigest()


def test_a_malformed_signoff_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "c.mitraplan.json"
    path.write_text(json.dumps({"format": "mitraplan-case", "version": 1,
                                "signoff": {"by": "X", "at": "yesterday", "case_checksum": "0" * 64}}))
    with pytest.raises(CaseError, match=r"signoff\.at must be an ISO 8601"):
        load_case(path)


def test_a_signed_case_edited_outside_is_not_intact(saved: CaseDocument) -> None:
    assert saved.path is not None
    saved.sign_off("Dr Reader")
    doc = json.loads(saved.path.read_text(encoding="utf-8"))
    doc["notes"] = "edited after signing"
    saved.path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert not intact(load_case(saved.path))
