"""A case against a prior case of the same patient: each quantity with its prior value, the change and
its direction (better / worse / unchanged), judged by ``planning.change_criteria``.

Numbers are the selected values (``planning.findings.selected``: the one value the rules, the report
and the GUI quote), compared as printed (rounded to the quantity's reporting precision,
docs/clinical-criteria.md §0.4), so the change a reader checks by subtraction is the change shown.
The jets are matched by their location and segment, the devices by their segment and position. ``compare`` is
pure; ``load_prior`` reads the prior's case file and refuses another patient's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from measurements.concepts import quantity as registry
from measurements.marks import Mark
from measurements.results import Result
from measurements.thresholds import round_half_up
from planning.case import Case, load_case
from planning.change_criteria import Polarity, criterion
from planning.findings import mark_value, selected
from planning.model import Device, Findings, Jet, Prior
from planning.study import StudyMismatch, bound_identity

#: The quantities compared by their selected value, in the order the rows are listed.
COMPARED = ("mean_gradient", "peak_gradient", "heart_rate", "mva_planimetry", "mva_pht", "mva_continuity",
            "mva_pisa", "vena_contracta", "vena_contracta_biplane", "vca_total", "eroa_pisa", "rvol_pisa")


class Direction(StrEnum):
    BETTER = "better"
    WORSE = "worse"
    UNCHANGED = "unchanged"  # smaller than the criterion's threshold
    HIGHER = "higher"  # a meaningful change of a quantity that is neither better nor worse
    LOWER = "lower"
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    NOT_COMPARABLE = "not comparable"  # measured in only one of the two


@dataclass(frozen=True, slots=True)
class Side:
    """One study's numbers for the comparison: its typed findings, results and marks."""

    findings: Findings
    results: Sequence[Result]
    marks: Sequence[Mark]


@dataclass(frozen=True, slots=True)
class Row:
    """One compared quantity. ``change`` is current - prior as printed (MR grade: classes; a device:
    what happened to it); ``meaningful`` None when there is no criterion or one side is missing."""

    quantity: str
    label: str
    prior: float | str | None
    current: float | str | None
    change: float | int | str | None
    unit: str
    direction: Direction
    meaningful: bool | None
    criterion: str = ""

    def as_json(self) -> dict[str, Any]:
        """The ``compare`` contract row plus ``direction``, ``meaningful`` and ``criterion``."""
        return {"quantity": self.quantity, "label": self.label, "prior": self.prior, "current": self.current,
                "change": self.change, "unit": self.unit, "direction": str(self.direction),
                "meaningful": self.meaningful, "criterion": self.criterion}


class PriorMismatch(StudyMismatch):
    """A prior case that belongs to another patient (or cannot be shown to be the same patient)."""


# --- numbers ---------------------------------------------------------------------------------

def printed(quantity: str, value: float) -> float:
    """The value at the quantity's reporting precision."""
    return float(round_half_up(value, registry(quantity).precision))


def _direction(quantity: str, change: float) -> tuple[Direction, bool | None, str]:
    rule = criterion(quantity)
    if rule is None:
        return (Direction.UNCHANGED if change == 0 else Direction.CHANGED), None, ""
    # the threshold is compared with a tolerance below the printed precision (0.1 + 0.2 != 0.3)
    meaningful = abs(change) >= rule.threshold - 1e-9
    if not meaningful:
        return Direction.UNCHANGED, False, rule.source
    if rule.polarity is Polarity.NEUTRAL:
        return (Direction.HIGHER if change > 0 else Direction.LOWER), True, rule.source
    worse = (change > 0) == (rule.polarity is Polarity.HIGHER_IS_WORSE)
    return (Direction.WORSE if worse else Direction.BETTER), True, rule.source


def numeric_row(quantity: str, label: str, prior: float | None, current: float | None) -> Row:
    """A row of a measured quantity; values as printed, change = printed current - printed prior."""
    q = registry(quantity)
    p = None if prior is None else printed(quantity, prior)
    c = None if current is None else printed(quantity, current)
    if p is None or c is None:
        return Row(quantity, label, p, c, None, q.unit, Direction.NOT_COMPARABLE, None)
    change = float(round_half_up(c - p, q.precision))
    direction, meaningful, source = _direction(quantity, change)
    return Row(quantity, label, p, c, change, q.unit, direction, meaningful, source)


def _count_row(quantity: str, label: str, prior: int, current: int) -> Row:
    direction, meaningful, source = _direction(quantity, current - prior)
    return Row(quantity, label, prior, current, current - prior, "", direction, meaningful, source)


def _grade_row(prior: Findings, current: Findings) -> Row:
    p, c = prior.total_mr_grade, current.total_mr_grade
    label = "total residual MR grade"
    if p is None or c is None:
        return Row("total_mr_grade", label, None if p is None else str(p), None if c is None else str(c), None,
                   "class", Direction.NOT_COMPARABLE, None)
    steps = c.rank - p.rank
    direction, meaningful, source = _direction("total_mr_grade", steps)
    return Row("total_mr_grade", label, str(p), str(c), steps, "class", direction, meaningful, source)


# --- jets and devices ------------------------------------------------------------------------

def _jet_key(jet: Jet) -> str:
    parts = [str(p) for p in (jet.location, jet.segment) if p is not None]
    return " ".join(parts) or jet.id


def _jet_rows(prior: Side, current: Side) -> list[Row]:
    """The vena contracta width of each jet, matched by location and segment."""
    def widths(side: Side) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        for jet in side.findings.jets:
            hit = mark_value(side.results, side.marks, jet.vena_contracta_mark, ("vena_contracta", "distance"))
            out.setdefault(_jet_key(jet), None if hit is None else hit.value)
        return out

    before, after = widths(prior), widths(current)
    rows = [_count_row("jet_count", "number of residual jets", len(prior.findings.jets),
                       len(current.findings.jets))]
    for key in dict.fromkeys([*before, *after]):
        label = f"vena contracta width, jet {key}"
        if key not in before or key not in after:
            rows.append(Row("jet", f"residual jet {key}", None if key not in before else key,
                            None if key not in after else key, "added" if key in after else "removed", "",
                            Direction.ADDED if key in after else Direction.REMOVED, True,
                            "[INF] a residual jet that appeared or vanished"))
        if before.get(key) is not None or after.get(key) is not None:
            rows.append(numeric_row("vena_contracta", label, before.get(key), after.get(key)))
    return rows


def describe_device(device: Device) -> str:
    """``MitraClip XTW at A2-P2, central, attached`` (what was recorded)."""
    name = " ".join(str(v) for v in (device.kind, device.model) if v is not None) or "device"
    where = f" at {device.segment}" if device.segment is not None else ""
    state = ", ".join(str(v) for v in (device.position, device.attachment, device.orientation) if v is not None)
    return f"{name}{where}" + (f", {state}" if state else "")


def _device_rows(prior: Side, current: Side) -> list[Row]:
    """The device count, then each device added, removed or changed (matched by segment and position,
    else id)."""
    def by_key(side: Side) -> dict[str, Device]:
        return {" ".join(str(p) for p in (d.segment, d.position) if p is not None) or d.id: d
                for d in side.findings.devices}

    before, after = by_key(prior), by_key(current)
    rows = [_count_row("device_count", "number of devices", len(prior.findings.devices),
                       len(current.findings.devices))]
    for key in dict.fromkeys([*before, *after]):
        p, c = before.get(key), after.get(key)
        pd, cd = (None if p is None else describe_device(p)), (None if c is None else describe_device(c))
        if pd == cd:
            continue
        direction = Direction.ADDED if p is None else Direction.REMOVED if c is None else Direction.CHANGED
        rows.append(Row("device", f"device {key}", pd, cd, str(direction), "", direction, True,
                        "[INF] any device added, removed or changed"))
    return rows


# --- the comparison --------------------------------------------------------------------------

def compare(prior: Side, current: Side) -> list[Row]:
    """Every compared quantity of ``current`` against ``prior`` (quantities measured in neither are left out)."""
    rows = []
    for name in COMPARED:
        p, c = selected(prior.results, name, prior.marks), selected(current.results, name, current.marks)
        if p is not None or c is not None:
            rows.append(numeric_row(name, registry(name).label, None if p is None else p.value,
                                    None if c is None else c.value))
    return [*rows, *_jet_rows(prior, current), _grade_row(prior.findings, current.findings),
            *_device_rows(prior, current)]


# --- the prior's case file -------------------------------------------------------------------

def prior_path(case: Case, prior: Prior) -> Path:
    """The prior's case file: absolute, or relative to the folder of ``case``'s file."""
    path = Path(prior.case)
    if not path.is_absolute() and case.path is not None:
        path = Path(case.path).parent / path
    return path


def require_same_patient(case: Case, prior: Case) -> None:
    """Refuse (PriorMismatch naming both) a prior of another patient, or one that names no patient."""
    mine, theirs = bound_identity(case), bound_identity(prior)
    if mine is None or mine.patient_id is None:
        raise PriorMismatch("refused: the case names no Patient ID, so no prior can be shown to be the same patient",
                            case.path)
    if theirs is None or theirs.patient_id is None:
        raise PriorMismatch("refused as a prior: the case names no Patient ID, so it cannot be shown to be"
                            f" {mine.describe()}", prior.path)
    if theirs.patient_id != mine.patient_id:
        raise PriorMismatch(f"refused as a prior: it belongs to {theirs.describe()}, but the case is"
                            f" {mine.describe()} (a prior must be the same patient)", prior.path, mine, theirs)


def load_prior(case: Case, path: str | Path) -> Case:
    """The prior case at ``path``; CaseError naming the file, PriorMismatch for another patient."""
    prior = load_case(path)
    require_same_patient(case, prior)
    return prior


def latest_prior(priors: Sequence[Prior]) -> Prior | None:
    """The prior the current values are shown against: the latest dated one, else the last listed."""
    dated = [p for p in priors if p.date]
    if dated:
        return max(dated, key=lambda p: p.date)
    return priors[-1] if priors else None


def measured_prior(case: Case, prior: Prior) -> Side:
    """The prior's numbers, recomputed from its marks and images (CaseError / PriorMismatch naming it)."""
    from planning.case import measure_case

    prior_case = load_prior(case, prior_path(case, prior))
    results, _ = measure_case(prior_case)
    return Side(prior_case.findings(), results, prior_case.marks)
