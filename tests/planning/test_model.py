"""The typed findings at the case-file boundary: closed vocabularies refused by name, unknown keys kept,
every value MitraPlan 0.1.0 wrote still valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planning import catalogue
from planning.case import CaseError, load_case, save_case
from planning.model import ClinicalContext, Device, Jet, Leaflets
from planning.vocab import Attachment, DeviceKind, JetClass, JetLocation, Rhythm, SegmentPair

from .test_case import _doc, _write


def test_afib_rhythm_is_refused_naming_file_field_and_allowed_values(tmp_path: Path) -> None:
    path = _write(tmp_path, _doc(context={"rhythm": "afib"}))
    with pytest.raises(CaseError) as caught:
        load_case(path)
    text = str(caught.value)
    assert str(path) in text
    assert "context.rhythm: 'afib' is not one of \"sinus\", \"AF\", \"atrial fibrillation\", \"paced\", \"other\"" \
        in text


@pytest.mark.parametrize(("over", "field"), [
    ({"study": {"rhythm": "AFib"}}, "study.rhythm"),
    ({"jets": [{"id": "j1", "location": "para-clip lateral"}, {"id": "j2", "location": "x"}]}, "jets[1].location"),
    ({"devices": [{"id": "d1", "kind": "Mitraclip"}]}, "devices[0].kind"),
    ({"devices": [{"id": "d1", "attachment": "SLDA"}]}, "devices[0].attachment"),
    ({"leaflets": {"segments": {"P2": {"calcification": "heavy"}}}}, "leaflets.segments.P2.calcification"),
    ({"leaflets": {"segments": {"P4": {}}}}, "leaflets.segments key"),
    ({"leaflets": {"mac": "yes"}}, "leaflets.mac"),
    ({"context": {"surgical_risk": "very high"}}, "context.surgical_risk"),
    ({"jets": [{"id": "j1", "grade": "2+"}]}, "jets[0].grade"),
])
def test_values_outside_the_vocabulary_name_their_field(tmp_path: Path, over: dict, field: str) -> None:
    with pytest.raises(CaseError, match=field.replace("[", r"\[").replace("]", r"\]")):
        load_case(_write(tmp_path, _doc(**over)))


def test_unknown_keys_inside_findings_survive_a_save(tmp_path: Path) -> None:
    doc = _doc(
        devices=[{"id": "d1", "kind": "MitraClip", "model": "G4 XTW", "segment": "A2-P2", "attachment": "stable",
                  "lot_number": "L123", "future": {"nested": [1, 2]}}],
        jets=[{"id": "j1", "location": "inter-clip", "devices": ["d1"], "colour_gain": 55}],
        leaflets={"segments": {"P2": {"calcification": "mild", "thickness_mm": 4}}, "spaces": [
            {"kind": "lateral", "label": "x", "distance_mark": "m1", "method": "3D"}], "future_leaflet": True},
        context={"rhythm": "sinus", "nyha": "III"})
    path = _write(tmp_path, doc)
    case = load_case(path)
    out = tmp_path / "saved.mitraplan.json"
    save_case(case, out)
    assert json.loads(out.read_text(encoding="utf-8")) == doc
    typed = case.findings()
    assert typed.devices[0].extra == {"lot_number": "L123", "future": {"nested": [1, 2]}}
    # the typed value writes its unknown keys back too
    assert Device.from_json(doc["devices"][0], "devices[0]").to_json() == doc["devices"][0]
    assert Jet.from_json(doc["jets"][0], "jets[0]").to_json() == doc["jets"][0]
    assert Leaflets.from_json(doc["leaflets"]).to_json() == doc["leaflets"]
    assert ClinicalContext.from_json(doc["context"]).to_json() == doc["context"]


def test_every_value_the_editors_offer_is_a_vocabulary_value() -> None:
    """The catalogue (what 0.1.0's editors wrote) and the enums agree, spelled exactly."""
    for model in catalogue.DEVICE_MODELS:
        Device.from_json({"id": "d", "kind": model.kind, "model": model.model}, "d")
    for values, key in ((catalogue.ATTACHMENTS, "attachment"), (catalogue.ORIENTATIONS, "orientation"),
                        (catalogue.POSITIONS, "position"), (catalogue.DEVICE_SEGMENTS, "segment")):
        for value in values:
            assert Device.from_json({"id": "d", key: value}, "d").to_json()[key] == value
    for value in catalogue.JET_LOCATIONS:
        assert Jet.from_json({"id": "j", "location": value}, "j").location == value
    for value in catalogue.RHYTHMS:
        assert ClinicalContext.from_json({"rhythm": value}).rhythm == value
    assert Device.from_json({"id": "d", "kind": "MitraClip", "model": "XTW"}, "d").model == "XTW"  # real-data case


def test_meaning_comes_from_tables_not_from_words() -> None:
    assert JetLocation("inter-clip").jet_class is JetClass.INTER_DEVICE
    assert JetLocation("para-clip medial").jet_class is JetClass.PARA_DEVICE
    assert JetLocation("through leaflet tear").jet_class is JetClass.TEAR
    assert JetLocation("cleft-related").jet_class is JetClass.OTHER
    assert Attachment("SLDA posterior").is_slda and not Attachment("stable").is_slda
    assert Attachment("partial insertion (LLI)").is_loss_of_insertion
    assert Rhythm("atrial fibrillation").is_af and Rhythm("AF").is_af and not Rhythm("paced").is_af
    assert SegmentPair("A2-P3").numbers == (2, 3)
    assert DeviceKind("PASCAL") is DeviceKind.PASCAL


def test_rotation_is_drawn_only_when_rotated() -> None:
    assert Device("d1", orientation=None, rotation_deg=30.0).rotation == 0.0
    assert Device.from_json({"id": "d1", "orientation": "rotated", "rotation_deg": 30}, "d").rotation == 30.0


def test_mark_purposes_are_the_measurement_purposes_and_unknown_ones_are_refused(tmp_path: Path) -> None:
    from measurements.marks import PURPOSES
    from planning.vocab import MarkPurpose

    assert {p.value for p in MarkPurpose} == set(PURPOSES)
    doc = _doc()
    doc["marks"][0]["purpose"] = "leaflet"
    with pytest.raises(CaseError, match=r"marks\[0\] \(mark 'm1'\)\.purpose: 'leaflet' is not one of \"mv_inflow\""):
        load_case(_write(tmp_path, doc))
    lenient = load_case(_write(tmp_path, doc), lenient=True)  # set aside and kept verbatim, like any bad mark
    assert lenient.marks == [] and lenient.rejected_marks == [doc["marks"][0]]


def test_the_case_file_doc_lists_every_vocabulary_value() -> None:
    """docs/case-file.md is the contract: every allowed value is written there, spelled as the enums."""
    from enum import StrEnum

    from planning import vocab

    text = (Path(__file__).resolve().parents[2] / "docs" / "case-file.md").read_text(encoding="utf-8")
    enums = [e for e in vars(vocab).values() if isinstance(e, type) and issubclass(e, StrEnum)
             and e not in (StrEnum, vocab.JetClass)]
    assert len(enums) >= 18
    missing = [f"{e.__name__}.{m.name}" for e in enums for m in e if f"`{m.value}`" not in text]
    assert missing == []


def test_the_total_residual_mr_grade_is_read_and_checked(tmp_path: Path) -> None:
    from planning import findings
    from planning.vocab import MRGrade

    doc = _doc(residual_mr={"total_grade": "moderate-to-severe", "basis": "volumetric RF 45 %, 2 jets"},
               jets=[{"id": "j1", "grade": "moderate"}, {"id": "j2", "grade": "mild"}])
    case = load_case(_write(tmp_path, doc))
    assert case.findings().total_mr_grade is MRGrade.MODERATE_TO_SEVERE
    inp = findings.assessment_input(case, [])
    assert (inp.mr_grade, inp.total_mr_basis) == ("moderate-to-severe", "volumetric RF 45 %, 2 jets")
    # a 0.1.0 case kept the clinician's overall grade in context.mr_grade: it still counts as the total
    old = load_case(_write(tmp_path, _doc(context={"mr_grade": "mild"}), "old.mitraplan.json"))
    assert old.findings().total_mr_grade is MRGrade.MILD
    no_total = load_case(_write(tmp_path, _doc(jets=[{"id": "j1", "grade": "severe"}]), "none.mitraplan.json"))
    assert findings.assessment_input(no_total, []).mr_grade is None  # never the worst jet
    with pytest.raises(CaseError, match=r"residual_mr\.total_grade: '3\+' is not one of"):
        load_case(_write(tmp_path, _doc(residual_mr={"total_grade": "3+"}), "bad.mitraplan.json"))


def test_calculations_are_typed_with_their_inputs_kept(tmp_path: Path) -> None:
    raw = {"id": "c1", "type": "pisa", "radius_mark": "m5", "aliasing_velocity_m_s": 0.385}
    case = load_case(_write(tmp_path, _doc(calculations=[raw])))
    (calc,) = case.findings().calculations
    assert (calc.id, calc.type, dict(calc.extra)) == ("c1", "pisa", {"radius_mark": "m5", "aliasing_velocity_m_s": 0.385})
    assert calc.to_json() == raw
    with pytest.raises(CaseError, match=r"calculations\[0\]\.type must be a string"):
        load_case(_write(tmp_path, _doc(calculations=[{"id": "c1", "type": 3}]), "bad.mitraplan.json"))
