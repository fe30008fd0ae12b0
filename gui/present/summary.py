"""The presentation's summary: the headline numbers, the total MR and the decision-support options, as text.

Every number is the selected value (``planning.findings.selected``: the one the report and the rules
quote), printed by ``measurements.concepts.value_text``; a gradient carries its beats and heart rate,
and with a prior study each number its prior value and change (``planning.compare`` rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from measurements import concepts
from measurements.concepts import quantity as registry
from measurements.results import Result
from planning.assessment import assess
from planning.case import Case
from planning.compare import COMPARED, Row
from planning.findings import assessment_input, selected
from report.compare_section import comparison_cells

#: Gradients are quoted with their beats and heart rate (docs/clinical-criteria.md: MG at a stated HR).
WITH_HEART_RATE = frozenset({"mean_gradient", "peak_gradient"})


@dataclass(frozen=True, slots=True)
class Headline:
    """One headline number: the quantity, its value as printed, beats and heart rate, and against the prior."""

    label: str
    value: str
    detail: str = ""
    prior: str = ""
    change: str = ""
    direction: str = ""


@dataclass(frozen=True, slots=True)
class Summary:
    """The lines of the summary slide."""

    numbers: tuple[Headline, ...]
    total_mr: str
    options: tuple[str, ...]


def _beats(result: Result, results: Sequence[Result], case: Case) -> str:
    parts = [f"{result.beats} beats"] if result.beats else []
    if result.quantity in WITH_HEART_RATE:
        hr = selected(results, "heart_rate", case.marks, near=result)
        if hr is not None:
            parts.append(f"HR {concepts.value_text('heart_rate', hr.value, hr.unit)}")
    return ", ".join(parts)


def _against(row: Row | None) -> tuple[str, str, str]:
    """(prior value, signed change with unit, direction) of a numeric comparison row, printed as the report's
    comparison table prints it (``report.compare_section.comparison_cells``); blanks without one."""
    if row is None or not isinstance(row.prior, float) or not isinstance(row.change, float):
        return "", "", ""
    _label, prior, _current, change, direction = comparison_cells(row.as_json())
    return prior, change, direction


def headline_numbers(case: Case, results: Sequence[Result], rows: Sequence[Row] = ()) -> list[Headline]:
    """Each measured compared quantity (the heart rate goes with the gradients), with the prior's value."""
    by_quantity = {r.quantity: r for r in rows if r.quantity in COMPARED}
    lines = []
    for name in COMPARED:
        if name == "heart_rate":
            continue
        result = selected(results, name, case.marks)
        if result is not None:
            label = registry(name).label
            value = concepts.value_text(name, result.value, result.unit)
            lines.append(Headline(label[:1].upper() + label[1:], value, _beats(result, results, case),
                                  *_against(by_quantity.get(name))))
    return lines


def summary(case: Case, results: Sequence[Result], rows: Sequence[Row] = ()) -> Summary:
    """The summary of ``case`` (``rows``: its comparison with the prior, when there is one)."""
    findings = case.findings()
    grade = findings.total_mr_grade
    grade_row = next((r for r in rows if r.quantity == "total_mr_grade"), None)
    total = f"Total residual MR: {grade if grade is not None else 'not recorded'}"
    if grade_row is not None and grade_row.prior is not None:
        total += f" (prior {grade_row.prior}, {grade_row.direction})"
    assessment = assess(assessment_input(case, results))
    return Summary(tuple(headline_numbers(case, results, rows)), total, tuple(o.summary for o in assessment.options))
