"""Case document + commands, headless: apply → revert → apply for every command; change events; results."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import pytest

from measurements.marks import Mark, MarkType
from planning import commands as c
from planning.case import Case, load_case
from planning.document import MISSING, CaseDocument, ChangeKind, DocumentError, referencing
from planning.model import Device, Jet
from planning.vocab import Attachment, DeviceKind, DeviceModelName, JetLocation, SegmentPair
from tests.measurements.factories import region_item, write_us_image

SOP = "1.2.826.0.1.3680043.99.20"


def _mark(mid: str = "m1", points=((10.5, 10.5), (40.5, 50.5)), **over) -> Mark:
    fields = dict(id=mid, type=MarkType.DISTANCE, label="P2 residual leaflet length", sop_instance_uid=SOP,
                  frame_number=3, region=0, points=points)
    fields.update(over)
    return Mark(**fields)


def _case() -> Case:
    return Case(study={"patient_id": "T1"}, marks=[_mark("m1"), _mark("m2", label="LVOT diameter")],
                calculations=[{"id": "c1", "type": "pisa", "radius_mark": "m1", "aliasing_velocity_m_s": 0.4,
                               "mr_trace_mark": "m9"}],
                devices=[{"id": "d1", "kind": "MitraClip", "model": "G4 XTW", "segment": "A2-P2"}],
                jets=[{"id": "j1", "location": "para-clip lateral", "vena_contracta_mark": "m2"}],
                leaflets={"tear_or_perforation": False, "segments": {"P3": {"calcification": "none"}}},
                notes="before", extra={"context": {"etiology": "degenerative"}})


def _snapshot(doc: CaseDocument) -> dict:
    return copy.deepcopy(doc.case.to_json())


def _no_measure(case: Case):
    return [], []


COMMANDS = {
    "AddMark": lambda d: c.AddMark(_mark("m3", label="Vena contracta")),
    "ReplaceMark": lambda d: c.ReplaceMark(d.mark("m1"), _mark("m1", points=((1.0, 2.0), (3.0, 4.0)))),
    "RemoveMark": lambda d: c.RemoveMark.of(d, d.mark("m1")),
    "AddCalculation": lambda d: c.AddCalculation({"id": "c2", "type": "continuity", "lvot_diameter_mark": "m2"}),
    "ReplaceCalculation": lambda d: c.ReplaceCalculation(d.item("calculations", "c1"),
                                                         {**d.item("calculations", "c1"), "aliasing_velocity_m_s": 0.3}),
    "RemoveCalculation": lambda d: c.RemoveCalculation.of(d, d.item("calculations", "c1")),
    "AddDevice": lambda d: c.AddDevice({"id": "d2", "kind": "PASCAL", "model": "Ace", "segment": "A3-P3"}),
    "AddDevice(typed)": lambda d: c.AddDevice(Device("d2", DeviceKind.PASCAL, DeviceModelName.ACE, SegmentPair.A3_P3)),
    "ReplaceDevice(typed)": lambda d: c.ReplaceDevice.of(d, replace(d.case.findings().devices[0],
                                                                    attachment=Attachment.SLDA_POSTERIOR)),
    "RemoveDevice(typed)": lambda d: c.RemoveDevice.of(d, d.case.findings().devices[0]),
    "remove_device_cascade": lambda d: c.remove_device_cascade(d, "d1"),
    "ReplaceDevice": lambda d: c.ReplaceDevice(d.item("devices", "d1"), {**d.item("devices", "d1"),
                                                                         "attachment": "SLDA posterior"}),
    "RemoveDevice": lambda d: c.RemoveDevice.of(d, d.item("devices", "d1")),
    "AddJet": lambda d: c.AddJet({"id": "j2", "location": "inter-clip", "grade": "mild"}),
    "ReplaceJet": lambda d: c.ReplaceJet(d.item("jets", "j1"), {**d.item("jets", "j1"), "grade": "severe"}),
    "RemoveJet": lambda d: c.RemoveJet.of(d, d.item("jets", "j1")),
    "SetLeafletSegment(new)": lambda d: c.SetLeafletSegment("P2", None, {"length_mark": "m1", "calcification": "mild"}),
    "SetLeafletSegment(edit)": lambda d: c.SetLeafletSegment("P3", {"calcification": "none"},
                                                             {"calcification": "severe"}),
    "SetLeafletSegment(delete)": lambda d: c.SetLeafletSegment("P3", {"calcification": "none"}, None),
    "SetLeafletField": lambda d: c.SetLeafletField("tear_or_perforation", False, True),
    "SetNotes": lambda d: c.SetNotes("before", "after"),
    "SetCaseField(context)": lambda d: c.SetCaseField.of(d, ("context", "etiology"), "functional"),
    "SetCaseField(new key)": lambda d: c.SetCaseField.of(d, ("context", "heart_rate_bpm"), 72),
    "SetCaseField(new object)": lambda d: c.SetCaseField.of(d, ("stenosis", "mean_gradient_mmhg"), 4.5),
    "Compound": lambda d: c.Compound((c.AddMark(_mark("m3")), c.AddJet({"id": "j2", "vena_contracta_mark": "m3"})),
                                     "Add jet with its vena contracta"),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_apply_revert_apply(name: str) -> None:
    doc = CaseDocument(_case(), measure=_no_measure)
    original = _snapshot(doc)
    cmd = COMMANDS[name](doc)
    original_after_build = _snapshot(doc)
    assert original_after_build == original  # building a command changes nothing
    cmd.apply(doc)
    applied = _snapshot(doc)
    assert applied != original
    cmd.revert(doc)
    assert _snapshot(doc) == original
    cmd.apply(doc)
    assert _snapshot(doc) == applied
    assert cmd.text


def test_remove_then_undo_puts_the_mark_back_in_place() -> None:
    doc = CaseDocument(_case(), measure=_no_measure)
    cmd = c.RemoveMark.of(doc, doc.mark("m1"))
    cmd.apply(doc)
    assert [m.id for m in doc.marks] == ["m2"]
    cmd.revert(doc)
    assert [m.id for m in doc.marks] == ["m1", "m2"]


def test_events_name_what_changed() -> None:
    doc = CaseDocument(_case(), measure=_no_measure)
    seen = []
    unsubscribe = doc.subscribe(seen.append)
    moved = _mark("m1", points=((0.5, 0.5), (3.5, 4.5)))
    c.ReplaceMark(doc.mark("m1"), moved).apply(doc)
    c.AddJet({"id": "j2"}).apply(doc)
    c.SetNotes("before", "x").apply(doc)
    assert [(e.kind, e.id, e.section) for e in seen] == [
        (ChangeKind.MARK_REPLACED, "m1", "marks"), (ChangeKind.ITEM_ADDED, "j2", "jets"),
        (ChangeKind.FIELD, None, "notes")]
    assert seen[0].before == _mark("m1") and seen[0].after == moved
    assert seen[2].before == "before" and seen[2].after == "x"
    unsubscribe()
    c.SetNotes("x", "y").apply(doc)
    assert len(seen) == 3


def test_stale_command_refuses_instead_of_clobbering() -> None:
    doc = CaseDocument(_case(), measure=_no_measure)
    stale = c.ReplaceMark(_mark("m1", label="old label"), _mark("m1", label="new"))
    with pytest.raises(DocumentError, match="mark 'm1' has changed"):
        stale.apply(doc)
    with pytest.raises(DocumentError, match="'m1' already exists"):
        c.AddMark(_mark("m1")).apply(doc)
    with pytest.raises(DocumentError, match="jets: 'j9' is not in the case"):
        c.RemoveJet({"id": "j9"}).apply(doc)


def test_compound_rolls_back_when_a_part_fails() -> None:
    doc = CaseDocument(_case(), measure=_no_measure)
    original = _snapshot(doc)
    bad = c.Compound((c.AddMark(_mark("m3")), c.AddMark(_mark("m1"))))
    with pytest.raises(DocumentError):
        bad.apply(doc)
    assert _snapshot(doc) == original


def test_new_ids_are_fresh() -> None:
    doc = CaseDocument(_case(), measure=_no_measure)
    assert doc.new_id("marks") == "m3"
    assert doc.new_id("jets") == "j2"
    assert doc.new_id("calculations") == "c2"
    assert doc.new_id("devices") == "d2"


def test_field_paths_and_missing() -> None:
    doc = CaseDocument(_case(), measure=_no_measure)
    assert doc.field(("leaflets", "segments", "P3", "calcification")) == "none"
    assert doc.field(("leaflets", "segments", "P1")) is MISSING
    assert doc.field(("context", "etiology")) == "degenerative"
    with pytest.raises(DocumentError, match="cannot be set directly"):
        doc.set_field(("marks",), [])
    assert list(referencing(doc, "m2")) == [("jets", "j1")]
    assert list(referencing(doc, "m1")) == [("calculations", "c1")]


def test_results_recompute_after_each_change_and_after_undo(tmp_path: Path) -> None:
    """Region 0: 0.05 cm/px in x and y; caliper (10.5,10.5)→(40.5,50.5) is 30×40 px = 50 px = 2.5 cm."""
    path = tmp_path / "im.dcm"
    write_us_image(path, SOP, [region_item((0, 0, 799, 599), 1, 1, (3, 3), (0.05, 0.05))])
    case = Case(images=[{"sop_instance_uid": SOP, "path": str(path)}], marks=[_mark("m1", frame_number=1)])
    doc = CaseDocument(case)
    assert [(r.id, r.value) for r in doc.results()] == [("m1.distance", pytest.approx(2.5, rel=1e-9))]
    move = c.ReplaceMark(doc.mark("m1"), _mark("m1", frame_number=1, points=((10.5, 10.5), (70.5, 90.5))))
    move.apply(doc)  # 60×80 px = 100 px = 5.0 cm
    assert doc.results()[0].value == pytest.approx(5.0, rel=1e-9)
    move.revert(doc)
    assert doc.results()[0].value == pytest.approx(2.5, rel=1e-9)
    off = c.ReplaceMark(doc.mark("m1"), _mark("m1", frame_number=1, points=((10.5, 10.5), (900.5, 10.5))))
    off.apply(doc)
    assert doc.results() == [] and "outside" in (doc.error_of("m1") or "")


def test_save_reopen_compare(tmp_path: Path) -> None:
    doc = CaseDocument(_case(), measure=_no_measure)
    c.AddMark(_mark("m3", type=MarkType.AREA, points=((1.0, 1.0), (5.0, 1.0), (5.0, 4.0)))).apply(doc)
    saved_events = []
    doc.subscribe(saved_events.append)
    path = doc.save(tmp_path / "x.mitraplan.json")
    assert doc.path == path and saved_events[-1].kind is ChangeKind.SAVED
    again = load_case(path)
    assert again.to_json() == doc.case.to_json()
    assert doc.autosave() == path.with_name(path.name + ".autosave")


def _two_devices_and_jets() -> CaseDocument:
    case = Case(devices=[{"id": "d1", "segment": "A2-P2"}, {"id": "d2", "segment": "A2-P2"}],
                jets=[{"id": "j1", "location": "inter-clip", "devices": ["d1", "d2"], "grade": "mild"},
                      {"id": "j2", "location": "para-clip lateral", "devices": ["d1"], "notes": "wide"},
                      {"id": "j3", "location": "para-clip medial", "devices": ["d2"]}])
    return CaseDocument(case, measure=_no_measure)


def test_removing_a_device_drops_it_from_the_jets_beside_it_in_one_undo_step() -> None:
    doc = _two_devices_and_jets()
    before = _snapshot(doc)
    cmd = c.remove_device_cascade(doc, "d1")
    assert isinstance(cmd, c.Compound) and cmd.text == "Delete device d1"
    cmd.apply(doc)
    assert [d["id"] for d in doc.items("devices")] == ["d2"]
    assert doc.items("jets") == [
        {"id": "j1", "location": "inter-clip", "devices": ["d2"], "grade": "mild"},
        {"id": "j2", "location": "para-clip lateral", "notes": "wide"},  # no device left: the key goes
        {"id": "j3", "location": "para-clip medial", "devices": ["d2"]}]
    cmd.revert(doc)
    assert _snapshot(doc) == before


def test_removing_a_device_no_jet_names_is_a_plain_remove() -> None:
    doc = CaseDocument(Case(devices=[{"id": "d1"}, {"id": "d2"}], jets=[{"id": "j1", "devices": ["d2"]}]),
                       measure=_no_measure)
    cmd = c.remove_device_cascade(doc, "d1")
    assert isinstance(cmd, c.RemoveDevice)
    with pytest.raises(DocumentError, match="no device 'd9'"):
        c.remove_device_cascade(doc, "d9")


def test_typed_items_become_their_json_and_bad_values_are_refused() -> None:
    doc = CaseDocument(Case(), measure=_no_measure)
    c.AddJet(Jet("j1", JetLocation.PARA_MEDIAL, SegmentPair.A2_P2, devices=("d1",))).apply(doc)
    assert doc.items("jets") == [{"id": "j1", "location": "para-clip medial", "segment": "A2-P2", "devices": ["d1"]}]
    with pytest.raises(DocumentError, match=r"jet j2\.location: 'paraclip' is not one of"):
        c.AddJet({"id": "j2", "location": "paraclip"})


def test_a_field_edit_outside_the_vocabulary_is_refused_and_changes_nothing() -> None:
    doc = CaseDocument(_case(), measure=_no_measure)
    before = _snapshot(doc)
    for cmd in (c.SetCaseField.of(doc, ("study", "rhythm"), "afib"),
                c.SetCaseField.of(doc, ("context", "etiology"), "ischaemic"),
                c.SetCaseField.of(doc, ("residual_mr", "total_grade"), "3+"),
                c.SetLeafletSegment("P3", {"calcification": "none"}, {"calcification": "heavy"})):
        with pytest.raises(DocumentError, match="is not one of"):
            cmd.apply(doc)
        assert _snapshot(doc) == before
    c.SetCaseField.of(doc, ("study", "rhythm"), "AF").apply(doc)
    assert doc.findings().rhythm == "AF"
