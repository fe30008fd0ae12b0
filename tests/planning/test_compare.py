"""Comparison with a prior study of the same patient (planning.compare, planning.change_criteria).

The two "studies" are typed findings plus results as ``measure_all`` makes them (``make_result``):
a follow-up TEE after TEER whose gradient rose and whose residual MR got worse. Expected changes
are hand arithmetic written here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from measurements.compute import make_result
from measurements.marks import Mark, MarkType
from planning.case import CaseError, load_case
from planning.compare import Direction, PriorMismatch, Side, compare, load_prior, prior_path
from planning.model import Findings, parse_findings
from planning.vocab import PriorRole

UID = "1.2.3.4"


def _trace(mark_id: str) -> Mark:
    return Mark(mark_id, MarkType.DOPPLER_TRACE, "MV inflow CW", UID, 1, 0, ((0, 0), (1, 1), (2, 0)),
                purpose="mv_inflow")


def _distance(mark_id: str, label: str) -> Mark:
    return Mark(mark_id, MarkType.DISTANCE, label, UID, 1, 0, ((0, 0), (1, 1)))


def side(mg: float, mva: float, vc_cm: float, total: str, devices: list[dict[str, Any]]) -> Side:
    """A study with one inflow trace (MG), a planimetered MVA, one jet with its VC mark."""
    marks = [_trace("m1"), _distance("m2", "vena contracta"), _distance("m3", "MVA planimetry")]
    results = [make_result("m1.mean_gradient", "mean gradient", "mean_gradient", mg, ("m1",)),
               make_result("m2.vena_contracta", "vena contracta", "vena_contracta", vc_cm, ("m2",)),
               make_result("m3.mva_planimetry", "MVA", "mva_planimetry", mva, ("m3",))]
    findings = parse_findings(devices, [{"id": "j1", "location": "para-clip lateral", "segment": "A2-P2",
                                         "vena_contracta_mark": "m2"}], {}, {}, {},
                              {"total_grade": total})
    return Side(findings, results, marks)


CLIP = {"id": "d1", "kind": "MitraClip", "model": "XTW", "segment": "A2-P2", "attachment": "stable"}


def rows_by(rows: list[Any]) -> dict[str, Any]:
    return {r.label: r for r in rows}


def test_gradient_rise_and_mr_worse_are_hand_computed_changes() -> None:
    prior = side(3.2, 2.10, 0.30, "moderate", [CLIP])
    current = side(5.1, 1.60, 0.52, "moderate-to-severe",
                   [CLIP, {"id": "d2", "kind": "MitraClip", "model": "XTW", "segment": "A1-P1"}])
    rows = rows_by(compare(prior, current))
    mg = rows["mean gradient"]
    assert (mg.prior, mg.current, mg.change, mg.unit) == (3.2, 5.1, 1.9, "mmHg")  # 5.1 - 3.2 = +1.9
    assert mg.direction is Direction.WORSE and mg.meaningful  # 1.9 >= 1.0 mmHg, higher gradient is worse
    mva = rows["MVA by planimetry"]
    assert (mva.change, mva.unit, mva.direction) == (-0.5, "cm2", Direction.WORSE)  # 1.60 - 2.10 = -0.50
    vc = rows["vena contracta width, jet para-clip lateral A2-P2"]
    assert (vc.prior, vc.current, vc.change, vc.unit) == (0.3, 0.52, 0.22, "cm")  # 0.52 - 0.30 = +0.22
    assert vc.direction is Direction.WORSE
    grade = rows["total residual MR grade"]
    assert (grade.prior, grade.current, grade.change, grade.unit) == ("moderate", "moderate-to-severe", 1, "class")
    assert grade.direction is Direction.WORSE
    added = rows["device A1-P1"]
    assert (added.prior, added.current, added.direction) == (None, "MitraClip XTW at A1-P1", Direction.ADDED)
    assert "device A2-P2" not in rows  # unchanged device: no row
    assert (rows["number of devices"].prior, rows["number of devices"].current, rows["number of devices"].change) \
        == (1, 2, 1)


def test_small_change_is_unchanged_and_improvement_is_better() -> None:
    prior = side(5.0, 1.50, 0.40, "moderate-to-severe", [CLIP])
    current = side(4.4, 1.62, 0.25, "mild", [CLIP])
    rows = rows_by(compare(prior, current))
    mg = rows["mean gradient"]
    assert (mg.change, mg.direction, mg.meaningful) == (-0.6, Direction.UNCHANGED, False)  # |-0.6| < 1.0
    assert rows["MVA by planimetry"].change == 0.12 and rows["MVA by planimetry"].direction is Direction.UNCHANGED
    vc = rows["vena contracta width, jet para-clip lateral A2-P2"]
    assert (vc.change, vc.direction) == (-0.15, Direction.BETTER)  # 0.25 - 0.40
    grade = rows["total residual MR grade"]
    assert (grade.change, grade.direction) == (-2, Direction.BETTER)  # moderate-to-severe (3) -> mild (1)


def test_change_is_of_the_printed_values() -> None:
    """3.24 prints as 3.2 and 5.06 as 5.1: the change shown is 5.1 - 3.2 = 1.9, not 1.82 -> 1.8."""
    rows = rows_by(compare(side(3.24, 2.0, 0.3, "mild", []), side(5.06, 2.0, 0.3, "mild", [])))
    assert rows["mean gradient"].change == 1.9


def test_a_device_changed_in_place_is_named() -> None:
    moved = {**CLIP, "attachment": "SLDA anterior"}
    rows = rows_by(compare(side(3, 2, 0.3, "mild", [CLIP]), side(3, 2, 0.3, "mild", [moved])))
    row = rows["device A2-P2"]
    assert row.direction is Direction.CHANGED and "SLDA anterior" in row.current


def test_rows_have_the_contract_keys() -> None:
    row = compare(side(3.2, 2, 0.3, "mild", []), side(5.1, 2, 0.3, "mild", []))[0]
    assert {"quantity", "label", "prior", "current", "change", "unit"} <= set(row.as_json())
    json.dumps([r.as_json() for r in compare(side(3.2, 2, 0.3, "mild", []), side(5.1, 2, 0.3, "mild", []))])


# --- priors in the case file -------------------------------------------------------------------

def write_case(path: Path, patient_id: str, **extra: Any) -> Path:
    doc = {"format": "mitraplan-case", "version": 1,
           "study": {"patient_id": patient_id, "patient_name": f"Test^{patient_id}",
                     "study_instance_uid": f"1.2.{len(path.name)}"}, **extra}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_priors_are_typed_and_relative_to_the_case(tmp_path: Path) -> None:
    write_case(tmp_path / "index.mitraplan.json", "P1")
    case = load_case(write_case(tmp_path / "now.mitraplan.json", "P1", priors=[
        {"case": "index.mitraplan.json", "role": "index-procedure-final", "date": "2026-05-04"}]))
    (prior,) = case.findings().priors
    assert prior.role is PriorRole.INDEX_PROCEDURE_FINAL and prior.date == "2026-05-04"
    assert prior_path(case, prior) == tmp_path / "index.mitraplan.json"
    assert load_prior(case, prior_path(case, prior)).study["patient_id"] == "P1"


@pytest.mark.parametrize(("entry", "message"), [
    ({"case": "a.json", "role": "baseline"}, "priors[0].role: 'baseline' is not one of"),
    ({"role": "follow-up"}, "priors[0].case is required"),
    ({"case": "a.json", "role": "follow-up", "date": "04.05.2026"}, "priors[0].date must be a date YYYY-MM-DD"),
])
def test_a_bad_prior_entry_is_refused_naming_the_field(tmp_path: Path, entry: dict[str, Any], message: str) -> None:
    with pytest.raises(CaseError, match=message.replace(".", r"\.").replace("[", r"\[").replace("]", r"\]")):
        load_case(write_case(tmp_path / "c.mitraplan.json", "P1", priors=[entry]))


def test_a_prior_of_another_patient_is_refused(tmp_path: Path) -> None:
    other = write_case(tmp_path / "other.mitraplan.json", "P2")
    case = load_case(write_case(tmp_path / "now.mitraplan.json", "P1"))
    with pytest.raises(PriorMismatch) as caught:
        load_prior(case, other)
    text = str(caught.value)
    assert "other.mitraplan.json" in text and "ID P2" in text and "ID P1" in text and "same patient" in text


def test_a_prior_naming_no_patient_is_refused(tmp_path: Path) -> None:
    anonymous = tmp_path / "anon.mitraplan.json"
    anonymous.write_text(json.dumps({"format": "mitraplan-case", "version": 1}), encoding="utf-8")
    case = load_case(write_case(tmp_path / "now.mitraplan.json", "P1"))
    with pytest.raises(PriorMismatch, match="names no Patient ID"):
        load_prior(case, anonymous)


def test_findings_without_priors_have_none() -> None:
    assert Findings().priors == ()
