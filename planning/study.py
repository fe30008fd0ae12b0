"""One patient, one study per case: the case's ``study`` binds it to one Patient ID and one Study
Instance UID, taken from the first image added; every image, mark and key image must belong to them.

A caliper placed on another patient's loop would otherwise be reported under the first patient's
name (docs/case-file.md, ``study``). Images are described by anything with the header facts: a
``LoopInfo`` (``patient_id``, ``study_instance_uid``...), a pydicom ``Dataset`` (``PatientID``,
``StudyInstanceUID``...) or a mapping with the case-file keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imaging.errors import InputError
from planning.case import Case

#: Case-file ``study`` key → (LoopInfo attribute, DICOM keyword), in the order they are written.
STUDY_FIELDS: dict[str, tuple[str, str]] = {
    "study_instance_uid": ("study_instance_uid", "StudyInstanceUID"),
    "patient_name": ("patient_name", "PatientName"),
    "patient_id": ("patient_id", "PatientID"),
    "study_date": ("study_date", "StudyDate"),
}
#: The keys that decide whether two images belong to the same case.
IDENTITY_KEYS = ("patient_id", "study_instance_uid")


class StudyMismatch(InputError):
    """An image belongs to another patient or study than the case; the message names both.

    ``expected``/``found`` are the case's and the image's identities when one image was refused
    (None for a refusal over several files), so a screen can word it for a reader.
    """

    def __init__(self, message: str, path: str | Path | None = None,
                 expected: StudyIdentity | None = None, found: StudyIdentity | None = None) -> None:
        super().__init__(message, path)
        self.expected, self.found = expected, found


@dataclass(frozen=True, slots=True)
class StudyIdentity:
    """Who and which study an image (or the case) belongs to; None: the case does not say (a case
    file that names only its Study Instance UID is bound to that study, whoever the patient)."""

    patient_id: str | None
    patient_name: str
    study_instance_uid: str | None
    study_date: str = ""

    def describe(self) -> str:
        """``patient Name (ID x), study uid`` for messages."""
        name = self.patient_name or "(no name)"
        patient = "any patient" if self.patient_id is None else f"patient {name} (ID {self.patient_id or '(none)'})"
        study = "any study" if self.study_instance_uid is None else f"study {self.study_instance_uid or '(none)'}"
        return f"{patient}, {study}"

    def as_study(self) -> dict[str, str]:
        """The case-file ``study`` keys of this identity."""
        return {"study_instance_uid": self.study_instance_uid or "", "patient_name": self.patient_name,
                "patient_id": self.patient_id or "", "study_date": self.study_date}


def _value(info: Any, key: str) -> str:
    attribute, keyword = STUDY_FIELDS[key]
    if isinstance(info, Mapping):
        value = info.get(key, info.get(keyword))
    elif hasattr(info, attribute):
        value = getattr(info, attribute)
    else:  # a pydicom Dataset: absent and empty elements both read as ""
        value = getattr(info, keyword, None)
    return "" if value is None else str(value).strip()


def identity_of(info: Any) -> StudyIdentity:
    """The identity of an image header (LoopInfo, pydicom Dataset or mapping)."""
    if isinstance(info, StudyIdentity):
        return info
    return StudyIdentity(_value(info, "patient_id"), _value(info, "patient_name"),
                         _value(info, "study_instance_uid"), _value(info, "study_date"))


def is_bound(case: Case) -> bool:
    """True when the case names its Patient ID or Study Instance UID."""
    return any(key in case.study for key in IDENTITY_KEYS)


def bound_identity(case: Case) -> StudyIdentity | None:
    """The patient and study the case is bound to (None before the first image)."""
    if not is_bound(case):
        return None
    named = identity_of({key: case.study.get(key) for key in STUDY_FIELDS})
    return StudyIdentity(named.patient_id if "patient_id" in case.study else None, named.patient_name,
                         named.study_instance_uid if "study_instance_uid" in case.study else None,
                         named.study_date)


def bind_study(case: Case, info: Any) -> bool:
    """Bind an unbound case to the image's patient and study; True when it was bound now.

    Other ``study`` keys (the rhythm, for one) are kept.
    """
    if is_bound(case):
        return False
    case.study.update(identity_of(info).as_study())
    return True


def belongs(expected: StudyIdentity, found: StudyIdentity) -> bool:
    """Same Patient ID and same Study Instance UID (as far as ``expected`` names them)."""
    return all(getattr(expected, key) in (None, getattr(found, key)) for key in IDENTITY_KEYS)


def _mismatch_text(expected: StudyIdentity, found: StudyIdentity) -> str:
    return f"belongs to {found.describe()}, but the case is bound to {expected.describe()}"


def check_same_study(case: Case, info: Any, path: str | Path | None = None) -> None:
    """Refuse an image of another patient or study (StudyMismatch naming both); binds an unbound case."""
    found = identity_of(info)
    expected = bound_identity(case)
    if expected is None:
        bind_study(case, found)
        return
    if not belongs(expected, found):
        if path is None:
            path = getattr(info, "path", None)
        raise StudyMismatch(f"refused: this image {_mismatch_text(expected, found)}", path, expected, found)


@dataclass(frozen=True, slots=True)
class Conflict:
    """An image of the case that belongs to another patient or study."""

    path: Path
    found: StudyIdentity
    expected: StudyIdentity

    @property
    def message(self) -> str:
        return f"{self.path}: {_mismatch_text(self.expected, self.found)}"


def expected_identity(case: Case, sources: Iterable[tuple[Path, Any]]) -> StudyIdentity | None:
    """The bound identity, else (a case saved before binding) that of the first image."""
    bound = bound_identity(case)
    if bound is not None:
        return bound
    first = next(iter(sources), None)
    return identity_of(first[1]) if first is not None else None


def conflicts_with(expected: StudyIdentity, sources: Iterable[tuple[Path, Any]]) -> list[Conflict]:
    """Every image (path, header) that is not of ``expected``'s patient and study, in order."""
    out = []
    for path, info in sources:
        found = identity_of(info)
        if not belongs(expected, found):
            out.append(Conflict(Path(path), found, expected))
    return out


def conflicts(case: Case, sources: Iterable[tuple[Path, Any]]) -> list[Conflict]:
    """Every image (path, header) that is not of the case's patient and study, in order."""
    items = list(sources)
    expected = expected_identity(case, items)
    return [] if expected is None else conflicts_with(expected, items)


def one_study_message(found: Iterable[Conflict]) -> str:
    """The refusal of a case whose images span patients or studies, one conflicting file a line."""
    lines = "\n  ".join(c.message for c in found)
    return ("the case's images span more than one patient or study (a case is one patient and one study);"
            f" refused. Conflicting files:\n  {lines}")


def require_one_study(case: Case, sources: Iterable[tuple[Path, Any]]) -> None:
    """Raise StudyMismatch naming each conflicting file when the images span patients or studies."""
    found = conflicts(case, sources)
    if found:
        raise StudyMismatch(one_study_message(found), case.path)


def case_sources(case: Case, index: Any = None) -> tuple[list[tuple[Path, Any]], list[str]]:
    """(path, header) of every image of the case that can be read, in case order, and the problems."""
    from imaging.reader import read_header
    from planning.case import resolve_image

    out, problems = [], []
    uids = dict.fromkeys([i["sop_instance_uid"] for i in case.images] + [m.sop_instance_uid for m in case.marks])
    for uid in uids:
        path = resolve_image(case, uid, index)
        if path is None:
            continue
        try:
            out.append((path, read_header(path)))
        except InputError as exc:
            problems.append(str(exc))
    return out, problems


def first_of_study(case: Case, headers: Iterable[Any]) -> Any | None:
    """The first header of the case's patient and study (the first header at all when unbound)."""
    items = list(headers)
    expected = bound_identity(case)
    if expected is None:
        return items[0] if items else None
    return next((h for h in items if belongs(expected, identity_of(h))), None)
