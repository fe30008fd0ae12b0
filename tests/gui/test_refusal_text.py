"""How a refused mark on another patient's or study's image reads on the notice bar (names, IDs and
study dates; never the Study Instance UIDs)."""

from __future__ import annotations

import pytest

from gui.session import refusal_text
from planning.case import Case
from planning.study import StudyMismatch, check_same_study

CASE_STUDY = {"study_instance_uid": "1.2.3", "patient_id": "P1", "patient_name": "Testperson^Erika^Maria",
              "study_date": "20250314"}


def _refusal(image: dict[str, str]) -> str:
    with pytest.raises(StudyMismatch) as refused:
        check_same_study(Case(study=dict(CASE_STUDY)), image, "/data/IM_0002.dcm")
    return refusal_text(refused.value)


def test_another_patient_is_named_with_both_ids_and_dates() -> None:
    text = _refusal({"patient_id": "P2", "patient_name": "Otherperson^Otto", "study_instance_uid": "9.9",
                     "study_date": "20250401"})
    assert text.startswith("Refused: this image (IM_0002.dcm) is of Otherperson, Otto (ID P2, study of"
                           " 2025-04-01), but this case is for Testperson, Erika Maria (ID P1, study of 2025-03-14).")
    assert "1.2.3" not in text and "9.9" not in text


def test_the_same_patients_other_study_is_named_by_its_date() -> None:
    text = _refusal({"patient_id": "P1", "patient_name": "Testperson^Erika^Maria", "study_instance_uid": "1.2.4",
                     "study_date": "20250320"})
    assert ("this image (IM_0002.dcm) is from another study of Testperson, Erika Maria (ID P1): the study of"
            " 2025-03-20, but this case is for the study of 2025-03-14") in text


def test_other_refusals_keep_their_own_message() -> None:
    from planning.document import DocumentError

    assert refusal_text(DocumentError("mark 'm1' is not in the case")) == "mark 'm1' is not in the case"
