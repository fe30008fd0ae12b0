"""Flag key image: the undoable toggle of ``key_images`` in the case, and the report using the flags."""

from __future__ import annotations

import json
from pathlib import Path

from measurements.marks import Mark, MarkType
from planning.case import Case, load_case, save_case
from planning.commands import ToggleKeyImage, flagged_frames
from planning.document import MISSING, CaseDocument
from report.build import _key_images, _mark

SOP_A, SOP_B = "1.2.826.0.1.3680043.99.31", "1.2.826.0.1.3680043.99.32"


def _doc(**extra) -> CaseDocument:
    marks = [Mark("m1", MarkType.DISTANCE, "P2 residual leaflet length", SOP_A, 3, 0, ((1.0, 1.0), (5.0, 5.0))),
             Mark("m2", MarkType.DISTANCE, "Vena contracta width", SOP_A, 3, 0, ((2.0, 2.0), (6.0, 6.0))),
             Mark("m3", MarkType.POINT, "Peak E", SOP_B, 1, 1, ((9.0, 9.0),))]
    return CaseDocument(Case(marks=marks, extra=dict(extra)), measure=lambda case: ([], []))


def test_flag_unflag_and_undo_restore_the_list_exactly() -> None:
    doc = _doc()
    flag = ToggleKeyImage.of(doc, SOP_A, 7)
    assert flag.flags and flag.text == "Flag key image (frame 7)"
    flag.apply(doc)
    assert doc.field(("key_images",)) == [{"sop_instance_uid": SOP_A, "frame_number": 7}]
    assert flagged_frames(doc, SOP_A) == [7] and flagged_frames(doc, SOP_B) == []
    unflag = ToggleKeyImage.of(doc, SOP_A, 7)
    assert not unflag.flags and unflag.text == "Unflag key image (frame 7)"
    unflag.apply(doc)
    assert doc.field(("key_images",)) is MISSING  # the last flag removed: no empty key left in the file
    unflag.revert(doc)
    assert flagged_frames(doc, SOP_A) == [7]
    flag.revert(doc)
    assert doc.field(("key_images",)) is MISSING and "key_images" not in doc.case.to_json()


def test_unflag_keeps_other_entries_and_their_extra_keys() -> None:
    old = [{"sop_instance_uid": SOP_A, "frame_number": 3, "label": "Leaflets", "marks": ["m1"]},
           {"sop_instance_uid": SOP_B, "frame_number": 1}]
    doc = _doc(key_images=old)
    ToggleKeyImage.of(doc, SOP_B, 1).apply(doc)
    assert doc.field(("key_images",)) == old[:1]  # an older file's label and marks survive
    ToggleKeyImage.of(doc, SOP_B, 2).apply(doc)
    assert doc.field(("key_images",)) == [old[0], {"sop_instance_uid": SOP_B, "frame_number": 2}]


def test_flags_survive_save_and_reload(tmp_path: Path) -> None:
    doc = _doc()
    ToggleKeyImage.of(doc, SOP_A, 12).apply(doc)
    path = tmp_path / "c.mitraplan.json"
    save_case(doc.case, path)
    assert json.loads(path.read_text())["key_images"] == [{"sop_instance_uid": SOP_A, "frame_number": 12}]
    assert load_case(path).extra["key_images"] == [{"sop_instance_uid": SOP_A, "frame_number": 12}]


def test_report_uses_the_flagged_frames_else_the_marked_ones() -> None:
    doc = _doc()
    marks = tuple(_mark(m) for m in doc.case.marks)
    fallback, problems = _key_images(doc.case, marks, {})  # nothing flagged: each marked frame
    assert [(k.sop_instance_uid, k.frame_number) for k in fallback] == [(SOP_A, 3), (SOP_B, 1)]
    ToggleKeyImage.of(doc, SOP_A, 3).apply(doc)
    ToggleKeyImage.of(doc, SOP_B, 5).apply(doc)
    keys, problems = _key_images(doc.case, marks, {})
    assert problems == []
    assert [(k.id, k.sop_instance_uid, k.frame_number) for k in keys] == [("k1", SOP_A, 3), ("k2", SOP_B, 5)]
    # captions from the marks on the frame; a flagged frame without marks says which frame it is
    assert keys[0].label == "P2 residual leaflet length; Vena contracta width" and keys[1].label == "Frame 5"


def test_report_names_malformed_flags_and_keeps_the_good_ones() -> None:
    doc = _doc(key_images=[{"sop_instance_uid": SOP_A, "frame_number": "x"},
                           {"sop_instance_uid": SOP_B, "frame_number": 1}])
    keys, problems = _key_images(doc.case, tuple(_mark(m) for m in doc.case.marks), {})
    assert [(k.sop_instance_uid, k.frame_number, k.label) for k in keys] == [(SOP_B, 1, "Peak E")]
    assert problems == ["key_images[0]: frame_number is 1-based (got 'x'); key image left out"]
