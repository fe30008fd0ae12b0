"""Sign-off and amendment of a case (docs/case-file.md ``signoff`` / ``amends``).

Signing freezes the case version the report was built from: ``signoff.case_checksum`` is the
SHA-256 of the case file as saved just before signing (the ``case_sha256`` the report of that
version carries). A signed case is read-only: ``CaseDocument`` refuses every edit. An amendment
is a new, unsigned version that names the signed one in ``amends`` (its checksum, signer and time),
keeping what that version itself amended, so the chain of versions stays readable.
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


class SignOffError(InputError):
    """The case cannot be signed or amended in its present state; the message says why."""


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
    return SignOff(by.strip(), at or now_utc(), case_checksum(case)).to_json()


def make_amends(case: Case) -> dict[str, Any]:
    """The ``amends`` entry of a new version of the signed ``case`` (SignOffError when not signed)."""
    findings = case.findings()
    signoff = findings.signoff
    if signoff is None:
        raise SignOffError("only a signed case can be amended; this one is not signed off", case.path)
    return Amends(signoff.case_checksum, signoff.by, signoff.at, findings.amends).to_json()
