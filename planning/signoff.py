"""Sign-off and amendment of a case (docs/case-file.md ``signoff`` / ``amends``).

Signing freezes the case version the report was built from: ``signoff.case_checksum`` is the
SHA-256 of the case file as saved just before signing (the ``case_sha256`` the report of that
version carries). A signed case is read-only: ``CaseDocument`` refuses every edit. An amendment
is a new, unsigned version that names the signed one in ``amends`` (its checksum, signer and time),
keeping what that version itself amended, so the chain of versions stays readable.

The signer's name is kept as typed; the SR writes it as a DICOM person name (PN) with
``dicom_person_name``: never split into family and given names by guessing, and refused at
sign-off when no PN can hold it (``person_name_problem``).
"""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from imaging.errors import InputError
from planning.case import Case
from planning.model import Amends, SignOff

#: A PN component group holds at most 64 characters (PS3.5 Table 6.2-1).
PN_MAX_CHARS = 64
#: PN components, ``family^given^middle^prefix^suffix`` (PS3.5 6.2.1.1)
PN_COMPONENTS = 5


class SignOffError(InputError):
    """The case cannot be signed or amended in its present state; the message says why."""


def _typed(name: str) -> str:
    """``name`` with runs of white space (tabs, line breaks) made one space, ends stripped."""
    return " ".join(name.split())


def _not_in_pn(c: str) -> bool:
    """True for a character no PN value may hold: the value and component-group delimiters, a control."""
    return c in "\\=" or ord(c) < 32 or ord(c) == 127


def person_name_problem(name: str) -> str:
    """Why ``name`` cannot be written as a DICOM person name as typed ("" when it can): a backslash
    separates values and "=" the alphabetic from the ideographic group (PS3.5 6.2), a control
    character is not allowed, more than four "^" make more than five components, and the name
    (with the "^" ``dicom_person_name`` adds to an unstructured one) must fit 64 characters."""
    typed = _typed(name)
    bad = sorted({c for c in typed if _not_in_pn(c)})
    if bad:
        return f"a person name cannot contain {', '.join(repr(c) for c in bad)} (DICOM PN)"
    if typed.count("^") >= PN_COMPONENTS:
        return f"a person name has at most {PN_COMPONENTS} components, family^given^middle^prefix^suffix"
    if len(dicom_person_name(typed)) > PN_MAX_CHARS:
        return (f"too long for a DICOM person name (at most {PN_MAX_CHARS} characters, counting the '^' added"
                " to a name typed without one)")
    return ""


def dicom_person_name(name: str) -> str:
    """``name`` as a DICOM PN value. A name typed with "^" is already in components
    (``Reader^Dana``) and is kept. A name typed without (``Dr Dana Reader``) is not split by guessing
    which word is the family name: it is the family name component as typed, followed by an empty
    given name (``Dr Dana Reader^``; PS3.5 6.2: trailing empty components and their delimiter may be
    left out, so both spellings mean the same name, and the caret tells readers such as highdicom
    that one component is meant). Characters no PN may hold become spaces (``person_name_problem``
    refuses them where a name is entered for sign-off)."""
    typed = _typed("".join(" " if _not_in_pn(c) else c for c in name))
    if not typed:
        return ""
    return typed if "^" in typed else f"{typed}^"


def case_bytes(case: Case) -> bytes:
    """The case file as ``planning.case.save_case`` writes it (UTF-8 JSON, indent 2, newline)."""
    return (json.dumps(case.to_json(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def case_checksum(case: Case) -> str:
    """SHA-256 of the case file as it would be saved now."""
    return hashlib.sha256(case_bytes(case)).hexdigest()


def signoff_of(case: Case) -> SignOff | None:
    """The case's sign-off, if signed."""
    return case.findings().signoff


def read_only_message(signoff: SignOff) -> str:
    """Why an edit of a signed case is refused, and what to do instead."""
    return (f"the case is signed off by {signoff.by} at {signoff.at} and is read-only;"
            " amend it (a new version naming the signed one) to change it")


def unsigned_version(case: Case) -> Case:
    """The case as it was before signing (for checking ``case_checksum``)."""
    before = copy.copy(case)
    before.extra = {k: v for k, v in case.extra.items() if k != "signoff"}
    return before


def intact(case: Case) -> bool:
    """True when a signed case is still the version its sign-off names (nothing changed since)."""
    signoff = signoff_of(case)
    return signoff is not None and case_checksum(unsigned_version(case)) == signoff.case_checksum


def now_utc() -> str:
    """The present time, ISO 8601 in UTC to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def make_signoff(case: Case, by: str, at: str | None = None) -> dict[str, Any]:
    """The ``signoff`` entry that signs ``case`` as it stands (SignOffError when already signed or no name)."""
    if signoff_of(case) is not None:
        raise SignOffError("the case is already signed off; amend it to sign a new version", case.path)
    if not by.strip():
        raise SignOffError("sign-off needs the signer's name", case.path)
    problem = person_name_problem(by)
    if problem:
        raise SignOffError(f"the signer's name {by.strip()!r} cannot be signed: {problem}", case.path)
    return SignOff(_typed(by), at or now_utc(), case_checksum(case)).to_json()


def make_amends(case: Case) -> dict[str, Any]:
    """The ``amends`` entry of a new version of the signed ``case`` (SignOffError when not signed)."""
    findings = case.findings()
    signoff = findings.signoff
    if signoff is None:
        raise SignOffError("only a signed case can be amended; this one is not signed off", case.path)
    return Amends(signoff.case_checksum, signoff.by, signoff.at, findings.amends).to_json()
