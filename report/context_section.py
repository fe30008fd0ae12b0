"""The report's "Context for the non-TEER options": the CT and haemodynamic values entered with the case.

One row per recorded value (docs/case-file.md "CT and haemodynamic context") with its unit, its source
and what the decision support does with it (docs/clinical-criteria.md §8.5): the predicted neo-LVOT
area is the only one a rule uses; the others are shown, not used. Nothing is printed for a value
that was not entered. The PDF, the one-page summary and report.json all take these rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from planning.assessment import CONTEXT_LABELS, NEO_LVOT_MM2, context_text, neo_lvot_finding
from planning.model import CT_NUMBERS, HAEMO_NUMBERS, ClinicalContext, CtContext, Findings, Sourced

CONTEXT_TITLE = "Context for the non-TEER options"
NOT_USED = "shown, not used by the rules (no cited criterion)"
CONTEXT_NOTE = ("CT and haemodynamic values entered with the case, each with its source. Only the predicted "
                "neo-LVOT area is used by a rule (docs/clinical-criteria.md §8.5).")
HEADERS = ["Value", "Measured", "Source", "Use in decision support"]
WIDTHS = [34, 16, 12, 38]


@dataclass(frozen=True, slots=True)
class ContextRow:
    """One entered context value as every output prints it."""

    group: str  # "CT" | "haemodynamics"
    key: str  # the case-file key (context.ct.<key>, context.haemodynamics.<key>)
    label: str
    value: float | str  # the number as entered, or the vocabulary value
    unit: str  # "" for a grade or extent
    shown: str  # the value as printed (the unit's precision, decimal half-up), with its unit
    source: str
    use: str

    def as_json(self) -> dict[str, object]:
        return {"group": self.group, "key": self.key, "label": self.label, "value": self.value, "unit": self.unit,
                "shown": self.shown, "source": self.source, "use": self.use}


def _context(of: Findings | ClinicalContext | Mapping[str, Any]) -> ClinicalContext:
    if isinstance(of, Findings):
        return of.context
    if isinstance(of, ClinicalContext):
        return of
    return ClinicalContext.from_json({k: of[k] for k in ("ct", "haemodynamics") if k in of})


def _neo_lvot_use(ct: CtContext) -> str:
    risk, finding = neo_lvot_finding(ct)
    cut = f"{NEO_LVOT_MM2:g} mm²"
    tag = f"[{', '.join(finding.sources)}; Yoon 2019, REC]" if finding else ""
    if risk:
        return f"used: below {cut}, argues against ELASTA-Clip / clip excision + TMVR (LVOT obstruction risk) {tag}"
    return f"used: at or above {cut}, counts for ELASTA-Clip / clip excision + TMVR anatomy {tag}"


def _number_row(group: str, key: str, entry: Sourced, unit: str, use: str) -> ContextRow:
    value = float(entry.value)
    return ContextRow(group, key, CONTEXT_LABELS[key], int(value) if value.is_integer() else value, unit,
                      context_text(value, unit), entry.source.value, use)


def _grade_row(group: str, key: str, entry: Sourced) -> ContextRow:
    return ContextRow(group, key, CONTEXT_LABELS[key], str(entry.value), "", str(entry.value), entry.source.value,
                      NOT_USED)


_ORDER = (("CT", ("annulus_ap_mm", "annulus_alpm_mm", "annulus_perimeter_mm", "annulus_area_mm2", "neo_lvot_mm2",
                   "mac_extent")),
          ("haemodynamics", ("la_mean_pressure_mmhg", "la_v_wave_mmhg", "tr_grade", "rvsp_mmhg")))


def context_rows(of: Findings | ClinicalContext | Mapping[str, Any]) -> list[ContextRow]:
    """The rows of the section, CT first (annulus, neo-LVOT, MAC), then haemodynamics (LA pressure,
    v-wave, TR, RVSP); ``of`` is the case's typed findings, its context, or the context object as the
    report holds it (``Report.context``). Empty when nothing was entered."""
    ctx = _context(of)
    entries: dict[str, Sourced | None] = {**ctx.ct.numbers, "mac_extent": ctx.ct.mac_extent,
                                          **ctx.haemodynamics.numbers, "tr_grade": ctx.haemodynamics.tr_grade}
    units = {k: unit for k, (unit, _lo, _hi) in (*CT_NUMBERS.items(), *HAEMO_NUMBERS.items())}
    rows = []
    for group, keys in _ORDER:
        for key in keys:
            entry = entries.get(key)
            if entry is None:
                continue
            if key in units:
                use = _neo_lvot_use(ctx.ct) if key == "neo_lvot_mm2" else NOT_USED
                rows.append(_number_row(group, key, entry, units[key], use))
            else:
                rows.append(_grade_row(group, key, entry))
    return rows


def context_table(rows: list[ContextRow]) -> tuple[list[str], list[list[str]], list[int]]:
    """Headers, cells (plain text, to be escaped by the renderer) and column widths (%) of the section."""
    return HEADERS, [[r.label, r.shown, r.source, r.use] for r in rows], WIDTHS
