"""Decision-support views of a case's typed findings (``planning.model``): segments with their
measured lengths, spaces, jets with their numbers, and the ``AssessmentInput`` of the rules.

The case-file keys and their allowed values are in docs/case-file.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from measurements.compute import is_unlabelled
from measurements.marks import Mark
from measurements.plausibility import is_held, usable
from measurements.results import Result
from planning.assessment import DEFAULT_DEVICE_WIDTH_MM, AssessmentInput, JetInput, target_jet
from planning.case import Case
from planning.labels import labelled_results, results_of_purpose
from planning.model import Device
from planning.vocab import Calcification, JetLocation, LeafletInjury, MarkPurpose, Mobility, Scallop, SpaceKind


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def mark_value(results: Sequence[Result], marks: Iterable[Mark], mark_id: str | None,
               quantities: Sequence[str] = ()) -> Result | None:
    """The first usable result computed from exactly this one mark (optionally of one of ``quantities``);
    None when the mark is unlabelled (docs/case-file.md: an unlabelled mark's numbers are shown, never used)."""
    if not mark_id:
        return None
    return next((r for r in labelled_results(marks, usable(results))
                 if r.source == (mark_id,) and (not quantities or r.quantity in quantities)), None)


#: The quantities a jet's vena contracta, a segment's length and a gap or space are read as.
VC_QUANTITIES = ("vena_contracta", "distance")
LENGTH_QUANTITIES = ("distance", "posterior_leaflet_length")
GAP_QUANTITIES = ("distance",)

#: What a finding shows in place of its mark's number when the rules cannot use it.
UNLABELLED_NOT_USED = "unlabelled: not used"
HELD_CONFIRM = "held: confirm to use"


def mark_shown(results: Sequence[Result], marks: Iterable[Mark], mark_id: str | None,
               quantities: Sequence[str] = ()) -> tuple[Result | None, str]:
    """The value a finding quotes from its mark (:func:`mark_value`), else why it quotes none: the mark is
    unlabelled (UNLABELLED_NOT_USED) or its number is held by a plausibility gate (HELD_CONFIRM); ("")
    when the mark is absent or measured nothing. The GUI shows the same as the rules use."""
    marks = list(marks)
    hit = mark_value(results, marks, mark_id, quantities)
    if hit is not None or not mark_id:
        return hit, ""
    mark = next((m for m in marks if m.id == mark_id), None)
    own = [r for r in results if r.source == (mark_id,) and (not quantities or r.quantity in quantities)]
    if mark is None or not own:
        return None, ""
    return None, UNLABELLED_NOT_USED if is_unlabelled(mark) else HELD_CONFIRM if any(map(is_held, own)) else ""


@dataclass(frozen=True, slots=True)
class SegmentView:
    segment: str
    length_cm: float | None
    calcification: str
    grasped_by: str
    notes: str
    calcification_in_grasp_zone: bool = False
    mobility: str = ""
    injury: str = ""  # tear | perforation | cleft | none
    coaptation_gap_cm: float | None = None
    calcification_grade: Calcification | None = None

    @property
    def injured(self) -> bool:
        return self.injury not in ("", LeafletInjury.NONE)


def devices_at(devices: Sequence[Device], segment: str) -> list[str]:
    """Ids of the devices whose segment pair grasps this scallop (``A2-P2`` grasps A2 and P2)."""
    return [d.id for d in devices if d.segment is not None and segment in d.segment.scallops]


def context(case: Case) -> Mapping[str, Any]:
    """The ``context`` object of the case as entered (empty when absent), for display."""
    ctx = case.extra.get("context")
    return ctx if isinstance(ctx, dict) else {}


def _scallop_order(name: Scallop) -> tuple[bool, str]:
    return (not name.value.startswith("A"), name.value)


def segments(case: Case, results: Sequence[Result]) -> list[SegmentView]:
    """Residual leaflet segments A1..P3 in anatomical order, lengths and gaps from their marks; a segment
    without a recorded ``grasped_by`` is grasped by the devices placed on it."""
    typed = case.findings()
    out = []
    for name in sorted(typed.leaflets.segments, key=_scallop_order):
        entry = typed.leaflets.segments[name]
        hit = mark_value(results, case.marks, entry.length_mark, LENGTH_QUANTITIES)
        gap = mark_value(results, case.marks, entry.coaptation_gap_mark, GAP_QUANTITIES)
        grasped = entry.grasped_by or ", ".join(devices_at(typed.devices, name.value))
        out.append(SegmentView(name.value, hit.value if hit else None, _text(entry.calcification), grasped,
                               entry.notes, entry.calcification_in_grasp_zone, _text(entry.mobility),
                               _text(entry.injury), gap.value if gap else None,
                               entry.calcification))
    return out


def spaces(case: Case, results: Sequence[Result]) -> list[tuple[str, float]]:
    """Measured spaces beside devices: (label, distance cm)."""
    return [(label, cm) for _kind, label, cm in space_entries(case, results)]


def space_entries(case: Case, results: Sequence[Result]) -> list[tuple[str, str, float]]:
    """Measured spaces beside devices: (kind: lateral | medial | inter-device or "", label, distance cm)."""
    out = []
    for entry in case.findings().leaflets.spaces:
        hit = mark_value(results, case.marks, entry.distance_mark, ("distance",))
        if hit:
            out.append((_text(entry.kind), entry.label or hit.label, hit.value))
    return out


def jet_inputs(case: Case, results: Sequence[Result]) -> list[JetInput]:
    """Jets with their vena contracta (cm) and orifice result (a distance) from their marks."""
    out = []
    for j in case.findings().jets:
        vc = mark_value(results, case.marks, j.vena_contracta_mark, VC_QUANTITIES)
        orifice = mark_value(results, case.marks, j.orifice_mark, ("distance",))
        out.append(JetInput(j.id, j.location, j.segment, j.grade, vc.value if vc else None, orifice))
    return out


def _target_scallops(jets: Sequence[JetInput]) -> list[str]:
    """Posterior scallops (P1..P3) of the jets' segment pairs, worst-graded first."""
    ordered = sorted(jets, key=lambda j: -(j.grade.rank if j.grade is not None else 0))
    return [f"P{n}" for j in ordered if j.segment is not None for n in j.segment.numbers]


def _worst(grades: Iterable[Calcification | None]) -> Calcification | None:
    """The worst of calcification grades (none < mild < moderate < severe); None when none is known."""
    known = [g for g in grades if g is not None]
    return max(known, key=lambda g: g.rank) if known else None


#: Quantities that only a transmitral inflow trace gives (an MR jet's "gradient" is LV→LA).
INFLOW_ONLY = frozenset({"mean_gradient", "peak_gradient", "pht", "deceleration_time", "mva_pht"})


def of_inflow(result: Result, purposes: Mapping[str, str]) -> bool:
    """True when every mark of ``result`` is a mitral inflow trace (``purposes``: mark id → purpose), or
    it was imported from an SR with mitral antegrade flow (``planning.imported``; not an MR jet's value)."""
    if result.imported is not None:
        return not result.imported.regurgitant
    return bool(result.source) and all(purposes.get(i) == MarkPurpose.MV_INFLOW for i in result.source)


def selected(results: Sequence[Result], quantity: str, marks: Iterable[Mark] = (),
             near: Result | None = None, *, held: bool = False) -> Result | None:
    """The one result of ``quantity`` that the rules, the report and the GUI quote (pass the case's marks).

    Never a per-beat result, a held one (plausibility), one of an unlabelled mark or a non-finite one;
    of results that one average covers (its marks include theirs), only the average. An inflow
    quantity (``INFLOW_ONLY``) comes only from mitral inflow traces, never an MR jet's. Of several
    (several inflow loops), the one over the most beats, then the most marks, then the first: one
    value everywhere. ``near``: prefer results sharing a mark with it (the heart rate of the selected
    gradient's trace). ``held``: the same choice among the held results only (what the rules' texts
    name as "held; confirm to use", never a rule input).
    """
    marks = list(marks)
    candidates = [r for r in results if is_held(r)] if held else usable(results)
    pool = [r for r in labelled_results(marks, candidates)
            if r.quantity == quantity and r.beat is None and math.isfinite(r.value)]
    if quantity in INFLOW_ONLY:
        purposes = {m.id: m.purpose or "" for m in marks}
        pool = [r for r in pool if of_inflow(r, purposes)]
    top = [r for r in pool if not any(set(r.source) < set(o.source) for o in pool)]
    if near is not None:
        top = [r for r in top if set(r.source) & set(near.source)] or top
    return max(top, key=lambda r: (r.beats or 1, len(r.source)), default=None)


def _posterior_length(case: Case, results: Sequence[Result], jets: Sequence[JetInput]) -> Result | None:
    """The free posterior leaflet length at the worst jet's scallop, else the shortest measured posterior
    scallop, else the shortest posterior-leaflet-length mark."""
    scallops = case.findings().leaflets.segments
    lengths = {name.value: hit for name, entry in scallops.items() if name.value.startswith("P")
               for hit in [mark_value(results, case.marks, entry.length_mark, ("distance",))] if hit is not None}
    target = next((lengths[p] for p in _target_scallops(jets) if p in lengths), None)
    if target is not None:
        return target
    marked = [r for r in results_of_purpose(case.marks, usable(results), MarkPurpose.POSTERIOR_LEAFLET_LENGTH)
              if r.quantity == "distance"]
    return min(list(lengths.values()) or marked, key=lambda r: r.value, default=None)


#: Which measured space a jet location lies in (lateral = A1/P1 side, medial = A3/P3 side).
_SPACE_OF_LOCATION = {
    JetLocation.PARA_LATERAL: SpaceKind.LATERAL, JetLocation.COMMISSURAL_AL: SpaceKind.LATERAL,
    JetLocation.PARA_MEDIAL: SpaceKind.MEDIAL, JetLocation.COMMISSURAL_PM: SpaceKind.MEDIAL,
    JetLocation.INTER_CLIP: SpaceKind.INTER_DEVICE,
}


def jet_space_kind(jet: JetInput, devices: Sequence[Device]) -> SpaceKind | None:
    """The space a jet lies in: from its location (para-clip lateral, commissural PM, inter-clip …), else
    from its segment against the devices' segments (scallop numbers 1 = lateral … 3 = medial: beyond every
    device on one side, or strictly between two); None when neither tells."""
    if jet.location in _SPACE_OF_LOCATION:
        return _SPACE_OF_LOCATION[jet.location]
    placed = [n for d in devices if d.segment is not None for n in d.segment.numbers]
    if jet.segment is None or not placed:
        return None
    numbers = jet.segment.numbers
    if max(numbers) < min(placed):
        return SpaceKind.LATERAL
    if min(numbers) > max(placed):
        return SpaceKind.MEDIAL
    between = any(a < min(numbers) and max(numbers) < b for a in placed for b in placed)
    return SpaceKind.INTER_DEVICE if between else None


def target_space(case: Case, results: Sequence[Result], jets: Sequence[JetInput]) -> tuple[Result | None, str]:
    """The measured space at the target jet's site (``assessment.target_jet``) and a note saying which it is.

    A space whose kind matches the jet's (``jet_space_kind``) is at the target; of several of that kind
    (the case does not say which inter-device gap a jet is in) the largest, marked as such. When the jet's
    site is unknown, the largest measured space, marked as not related to the target. A jet whose site is
    known but whose space was not measured has none (the rule names it as missing), unless spaces without a
    recorded kind were measured: then the largest of those, marked as not related [INF]."""
    measured = [(e.kind, hit) for e in case.findings().leaflets.spaces
                for hit in [mark_value(results, case.marks, e.distance_mark, ("distance",))] if hit is not None]
    target = target_jet(jets)
    kind = None if target is None else jet_space_kind(target, case.findings().devices)
    if kind is None:
        best = max((h for _k, h in measured), key=lambda r: r.value, default=None)
        why = "no jet recorded" if target is None else f"the case does not relate it to target jet {target.id}"
        return best, (f"largest measured space; {why}" if best is not None else "")
    assert target is not None
    matching = [h for k, h in measured if k is kind]
    if not matching:
        sideless = max((h for k, h in measured if k is None), key=lambda r: r.value, default=None)
        return sideless, ("" if sideless is None else
                          f"largest space without a recorded side; the case does not relate it to target jet {target.id}")
    best = max(matching, key=lambda r: r.value)
    if len(matching) == 1:
        return best, f"{kind} space, at target jet {target.id}"
    return best, f"largest of {len(matching)} {kind} spaces; the case does not say which is at target jet {target.id}"


def scallop_mobility(case: Case) -> dict[str, Mobility]:
    """The leaflet motion recorded for each scallop (residual-anatomy panel), by scallop name."""
    return {name.value: entry.mobility for name, entry in case.findings().leaflets.segments.items()
            if entry.mobility is not None}


def scallop_injuries(case: Case) -> dict[str, LeafletInjury]:
    """The recorded tear, perforation or cleft of each scallop (residual-anatomy panel), by scallop name."""
    return {name.value: entry.injury for name, entry in case.findings().leaflets.segments.items()
            if entry.injury is not None and entry.injury is not LeafletInjury.NONE}


#: Rule inputs whose held value the texts name instead of "not measured" (docs/clinical-criteria.md §8.1).
HELD_INPUTS = ("mean_gradient", "mva_planimetry")


def assessment_input(case: Case, results: Sequence[Result]) -> AssessmentInput:
    """Everything the decision-support rules read, from the case and its recomputed results.

    Each measured input is the :func:`selected` result of its quantity: the mean gradient of the
    mitral inflow averaged over its beats (docs/clinical-criteria.md §1.10), never an MR jet's; the heart
    rate of that trace when it has one; the posterior free length at the worst jet's scallop (else the
    shortest measured posterior scallop); the space at the target jet's site (:func:`target_space`); the
    injuries recorded per scallop. Results held by a plausibility gate are left out; the held mean
    gradient and planimetered MVA that would otherwise be selected go to ``held`` (named by the texts only).
    """
    held = {q: r for q in HELD_INPUTS for r in [selected(results, q, case.marks, held=True)] if r is not None}
    results = labelled_results(case.marks, usable(results))
    typed = case.findings()
    ctx = typed.context
    jets = jet_inputs(case, results)
    segs = segments(case, results)
    in_zone = _worst(s.calcification_grade for s in segs if s.calcification_in_grasp_zone)
    outside = _worst(s.calcification_grade for s in segs if not s.calcification_in_grasp_zone)
    attachments = [d.attachment for d in typed.devices if d.attachment is not None]
    marks = case.marks
    mg = selected(results, "mean_gradient", marks)
    purposes = {m.id: m.purpose or "" for m in marks}
    inflow_mg = [r for r in results if r.quantity == "mean_gradient" and of_inflow(r, purposes)]
    space, space_note = target_space(case, results, jets)
    mva = {k: r for k, r in (("planimetry", selected(results, "mva_planimetry", marks)),
                             ("pht", selected(results, "mva_pht", marks)),
                             ("continuity", selected(results, "mva_continuity", marks))) if r is not None}
    chosen = {"mean_gradient": mg, "mva_planimetry": mva.get("planimetry")}
    return AssessmentInput(
        mean_gradient=mg,
        heart_rate=selected(results, "heart_rate", marks, near=mg),
        mva=mva,
        etiology=ctx.etiology,
        mr_grade=typed.total_mr_grade,
        total_mr_basis=typed.residual_mr.basis,
        jets=tuple(jets),
        posterior_length=_posterior_length(case, results, jets),
        space=space,
        space_note=space_note,
        scallop_injuries=scallop_injuries(case),
        scallop_mobility=scallop_mobility(case),
        device_width_mm=ctx.device_width_mm if ctx.device_width_mm is not None else DEFAULT_DEVICE_WIDTH_MM,
        slda=any(a.is_slda for a in attachments),
        tear_or_perforation=typed.leaflets.tear_or_perforation,
        loss_of_insertion=any(a.is_loss_of_insertion for a in attachments),
        grasp_zone_calcification=in_zone,
        outside_grasp_zone_calcification=outside,
        mac=typed.leaflets.mac,
        surgical_risk=ctx.surgical_risk,
        tmvr_anatomy=ctx.tmvr_anatomy,
        concomitant_surgical_indication=ctx.concomitant_surgical_indication,
        other_gradients=tuple(r for r in inflow_mg if r is not mg),
        ct=ctx.ct,
        held={q: r for q, r in held.items() if chosen[q] is None},
    )
