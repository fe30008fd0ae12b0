"""The report's "comparison" section: the case against its latest prior study (docs/case-file.md, priors).

The rows are ``planning.compare`` rows (selected values as printed, change, direction, whether the
change is meaningful and by which criterion), so the report says what ``mitraplan compare`` and the
measurements panel say. A prior that cannot be read, or is another patient's, gives the section
with a neutral ``error`` (:func:`refusal_text`) and no rows: the report is still written, and says why
there is no comparison. The full message (it names the other patient and the file) goes to the log
(stderr for the CLI) only, never into this patient's report.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from imaging.errors import InputError
from measurements.concepts import value_text
from measurements.results import Result
from planning.case import Case
from planning.compare import PriorMismatch, Side, compare, latest_prior, measured_prior

log = logging.getLogger(__name__)

#: What the report says of a refused or unreadable prior (no names, IDs or paths: they stay in the log).
PRIOR_OF_ANOTHER_PATIENT = "prior refused: it is another patient's case"
PRIOR_NOT_SAME_PATIENT = "prior refused: it cannot be shown to be the same patient (no Patient ID)"
PRIOR_UNREADABLE = "prior could not be read (see the log)"


def refusal_text(exc: InputError) -> str:
    """The report's words for why the prior was not compared (the exception's message names files and patients)."""
    if isinstance(exc, PriorMismatch):
        return PRIOR_OF_ANOTHER_PATIENT if exc.found is not None else PRIOR_NOT_SAME_PATIENT
    return PRIOR_UNREADABLE


def comparison_section(case: Case, results: Sequence[Result]) -> dict[str, Any] | None:
    """``{"prior": {"case", "role", "date"}, "rows": [...]}`` (or ``"error"``); None without priors."""
    findings = case.findings()
    prior = latest_prior(findings.priors)
    if prior is None:
        return None
    section: dict[str, Any] = {"prior": {"case": prior.case, "role": str(prior.role), "date": prior.date}}
    try:
        before = measured_prior(case, prior)
    except InputError as exc:
        log.warning("comparison with the prior not made: %s", exc)
        return {**section, "rows": [], "error": refusal_text(exc)}
    rows = compare(before, Side(findings, results, case.marks))
    return {**section, "rows": [r.as_json() for r in rows]}


def anonymised_comparison(section: dict[str, Any] | None) -> dict[str, Any] | None:
    """The section without the prior's file name, its date or an error text (which names files and
    patients); the rows hold numbers, grades and device descriptions only."""
    if section is None:
        return None
    prior = {**section["prior"], "case": "", "date": ""}
    out = {"prior": prior, "rows": section["rows"]}
    if "error" in section:
        out["error"] = "the prior study could not be compared"
    return out


def _cell(quantity: str, value: object, unit: str) -> str:
    """A prior or current value as printed: a number with its unit (the quantity's precision), else as given."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float) or unit in ("", "class"):
        return str(value)
    return value_text(quantity, float(value), unit)


def _change(row: dict[str, Any]) -> str:
    """current − prior with its sign ("+0.25 cm", "+1 class", "added"); "—" when one side is missing."""
    change, unit = row["change"], str(row["unit"])
    if change is None:
        return "—"
    if isinstance(change, str):
        return change
    sign = "+" if change > 0 else ""
    if unit == "class":
        return f"{sign}{change} class" if abs(change) == 1 else f"{sign}{change} classes"
    return sign + (str(change) if unit == "" else value_text(str(row["quantity"]), float(change), unit))


def comparison_cells(row: dict[str, Any]) -> tuple[str, str, str, str, str]:
    """One ``compare`` row as the report prints it: label, prior, current, change, direction."""
    quantity, unit = str(row["quantity"]), str(row["unit"])
    return (str(row["label"]), _cell(quantity, row["prior"], unit), _cell(quantity, row["current"], unit),
            _change(row), str(row.get("direction", "")))
