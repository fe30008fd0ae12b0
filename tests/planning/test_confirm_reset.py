"""A confirmed plausibility-gated mark stays confirmed only while its value is the one confirmed
(docs/clinical-criteria.md §8.1): moving its points clears ``confirmed``; relabelling keeps it."""

from __future__ import annotations

import dataclasses

from measurements.marks import Mark, MarkType
from planning.case import Case
from planning.commands import ReplaceMark
from planning.document import CaseDocument
from planning.study import StudyIdentity, StudyMismatch, check_same_study

SOP = "1.2.3.4"


def _doc_with(mark: Mark) -> CaseDocument:
    return CaseDocument(Case(marks=[mark]), measure=lambda case: ([], []))


def _trace(confirmed: bool) -> Mark:
    return Mark("m1", MarkType.DOPPLER_TRACE, "MV inflow CW", SOP, 1, 1,
                ((100.5, 320.5), (150.5, 240.5), (200.5, 320.5)), purpose="mv_inflow", confirmed=confirmed)


def test_moving_a_confirmed_mark_clears_confirmed_and_undo_restores_it() -> None:
    before = _trace(confirmed=True)
    doc = _doc_with(before)
    moved = dataclasses.replace(before, points=((100.5, 320.5), (150.5, 230.5), (200.5, 320.5)))
    command = ReplaceMark(before, moved)
    command.apply(doc)
    assert doc.mark("m1") is not None and doc.mark("m1").confirmed is False
    assert doc.mark("m1").points == moved.points
    command.revert(doc)
    assert doc.mark("m1") == before and before.confirmed


def test_relabelling_or_confirming_keeps_the_flag_as_asked() -> None:
    before = _trace(confirmed=True)
    relabelled = ReplaceMark(before, dataclasses.replace(before, label="MV inflow (2nd look)"))
    assert relabelled.after.confirmed is True
    unconfirmed = _trace(confirmed=False)
    confirm = ReplaceMark(unconfirmed, dataclasses.replace(unconfirmed, confirmed=True))
    assert confirm.after.confirmed is True and confirm.text == "Confirm value of Doppler trace 'MV inflow CW'"


def test_a_refusal_carries_both_identities() -> None:
    case = Case(study={"study_instance_uid": "1.2.3", "patient_id": "P1", "patient_name": "A^B"})
    try:
        check_same_study(case, {"patient_id": "P2", "patient_name": "C^D", "study_instance_uid": "9.9"}, "x.dcm")
    except StudyMismatch as exc:
        assert exc.expected == StudyIdentity("P1", "A^B", "1.2.3", "")
        assert exc.found is not None and exc.found.patient_id == "P2" and exc.found.patient_name == "C^D"
    else:
        raise AssertionError("another patient's image was not refused")


def test_changing_what_a_confirmed_sum_of_orifices_sums_clears_confirmed() -> None:
    from planning.commands import ReplaceCalculation

    calc = {"id": "c1", "type": "planimetry", "area_marks": ["m1"], "confirmed": True}
    more = ReplaceCalculation(calc, {**calc, "area_marks": ["m1", "m2"]})
    assert more.after == {"id": "c1", "type": "planimetry", "area_marks": ["m1", "m2"]}
    renamed = ReplaceCalculation(calc, {**calc, "label": "MVA, two orifices"})
    assert renamed.after["confirmed"] is True
    confirm = ReplaceCalculation({k: v for k, v in calc.items() if k != "confirmed"}, calc)
    assert confirm.after["confirmed"] is True
