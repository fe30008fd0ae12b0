"""Typed views of a case's findings (devices, jets, leaflets, clinical context) for decision support.

The case file keeps findings as plain JSON (DESIGN.md). Besides the contract keys, the report reads
these optional keys (kept by ``planning.case`` as unknown keys):

- ``leaflets.spaces``: ``[{"label": "D1 lateral edge to AL commissure", "distance_mark": "m11"}]``
- ``leaflets.segments.<P1>.grasped_by`` / ``notes``; ``jets[].orifice_mark`` (max orifice dimension)
- ``context``: ``{"operator", "indication", "surgical_risk", "etiology", "mr_grade", "tmvr_anatomy",
  "concomitant_surgical_indication", "device_width_mm", "rhythm"}``
- ``key_images``: ``[{"sop_instance_uid", "frame_number", "label", "marks": [...]}]``

The clip map and the residual anatomy panel also write (values from ``planning.catalogue``):

- ``devices[].position`` (lateral | central | medial | commissural), ``orientation`` (perpendicular |
  rotated), ``rotation_deg``, ``image_mark`` (the mark that shows it), ``notes``
- ``jets[].devices`` (ids of the device(s) a para-/inter-clip jet is beside), ``notes``
- ``leaflets.segments.<A1..P3 | AL commissure | PM commissure>``: ``length_mark``, ``calcification``,
  ``calcification_in_grasp_zone``, ``mobility``, ``injury`` (tear | perforation | cleft | none),
  ``coaptation_gap_mark``, ``notes``; ``leaflets.mac``; ``leaflets.spaces[].kind`` (lateral | medial |
  inter-device); ``study.rhythm``
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from measurements.results import Result
from planning.assessment import DEFAULT_DEVICE_WIDTH_MM, AssessmentInput, JetInput
from planning.case import Case
from planning.labels import labelled_results, results_of_purpose

_CALCIFICATION_ORDER = ("none", "mild", "moderate", "severe")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def mark_value(results: Sequence[Result], mark_id: str | None, quantities: Sequence[str] = ()) -> Result | None:
    """The first result computed from exactly this one mark (optionally of one of ``quantities``)."""
    if not mark_id:
        return None
    return next((r for r in results if r.source == (mark_id,) and (not quantities or r.quantity in quantities)),
                None)


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


def devices_at(devices: Sequence[Mapping[str, Any]], segment: str) -> list[str]:
    """Ids of the devices whose segment names this scallop (``A2-P2`` grasps A2 and P2)."""
    target = segment.upper()
    return [str(d.get("id", "")) for d in devices
            if target in re.split(r"[-/ ,]+", str(d.get("segment", "")).upper())]


def context(case: Case) -> Mapping[str, Any]:
    """The ``context`` object of the case (empty when absent or malformed)."""
    ctx = case.extra.get("context")
    return ctx if isinstance(ctx, dict) else {}


def segments(case: Case, results: Sequence[Result]) -> list[SegmentView]:
    """Residual leaflet segments A1..P3 in anatomical order, lengths and gaps from their marks; a segment
    without a recorded ``grasped_by`` is grasped by the devices placed on it."""
    raw = case.leaflets.get("segments") if isinstance(case.leaflets.get("segments"), dict) else {}
    out = []
    for name in sorted(raw, key=lambda s: (s[:1] != "A", s)):
        entry = raw[name] if isinstance(raw[name], dict) else {}
        hit = mark_value(results, entry.get("length_mark"), ("distance", "posterior_leaflet_length"))
        gap = mark_value(results, entry.get("coaptation_gap_mark"), ("distance",))
        grasped = _text(entry.get("grasped_by")) or ", ".join(devices_at(case.devices, str(name)))
        out.append(SegmentView(str(name), hit.value if hit else None, _text(entry.get("calcification")),
                               grasped, _text(entry.get("notes")), bool(entry.get("calcification_in_grasp_zone")),
                               _text(entry.get("mobility")), _text(entry.get("injury")), gap.value if gap else None))
    return out


def spaces(case: Case, results: Sequence[Result]) -> list[tuple[str, float]]:
    """Measured spaces beside devices: (label, distance cm)."""
    return [(label, cm) for _kind, label, cm in space_entries(case, results)]


def space_entries(case: Case, results: Sequence[Result]) -> list[tuple[str, str, float]]:
    """Measured spaces beside devices: (kind: lateral | medial | inter-device or "", label, distance cm)."""
    out = []
    entries = case.leaflets.get("spaces")
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):
            hit = mark_value(results, entry.get("distance_mark"), ("distance",))
            if hit:
                out.append((_text(entry.get("kind")), _text(entry.get("label")) or hit.label, hit.value))
    return out


def jet_inputs(case: Case, results: Sequence[Result]) -> list[JetInput]:
    """Jets with their vena contracta (cm) and orifice size (mm) from their marks."""
    out = []
    for j in case.jets:
        vc = mark_value(results, j.get("vena_contracta_mark"), ("vena_contracta", "distance"))
        orifice = mark_value(results, j.get("orifice_mark"), ("distance",))
        out.append(JetInput(_text(j.get("id")), _text(j.get("location")), _text(j.get("segment")),
                            _text(j.get("grade")) or None, vc.value if vc else None,
                            orifice.value * 10 if orifice else None))
    return out


def _target_scallops(jets: Sequence[JetInput]) -> list[str]:
    """Posterior scallops (P1..P3) of the jets, worst-graded first."""
    from planning.assessment import mr_rank

    ordered = sorted(jets, key=lambda j: -(mr_rank(j.grade) or 0))
    return [f"P{n}" for j in ordered for n in re.findall(r"[AP]?([123])", j.segment.upper())]


#: Mark purposes whose Doppler numbers are not transmitral inflow (an MR jet's "mean gradient" is LV→LA).
NOT_INFLOW = frozenset({"mr_jet", "lvot", "pisa_radius", "vena_contracta"})


def transmitral(case: Case, results: Sequence[Result]) -> list[Result]:
    """Results that describe transmitral inflow: none of their marks is unlabelled or has a non-inflow purpose."""
    purpose = {m.id: (m.purpose or "") for m in case.marks}
    labelled = labelled_results(case.marks, results)
    return [r for r in labelled if not any(purpose.get(i, "") in NOT_INFLOW for i in r.source)]


def _worst(grades: Iterable[str]) -> str | None:
    """The worst of calcification grades (none < mild < moderate < severe); None when none is known."""
    known = [g.lower() for g in grades if g.lower() in _CALCIFICATION_ORDER]
    return max(known, key=_CALCIFICATION_ORDER.index) if known else None


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _first(results: Sequence[Result], quantity: str,
           pick: Callable[[list[float]], float] | None = None) -> float | None:
    values = [r.value for r in results if r.quantity == quantity]
    if not values:
        return None
    return pick(values) if pick else values[0]


def assessment_input(case: Case, results: Sequence[Result]) -> AssessmentInput:
    """Everything the decision-support rules read, from the case and its recomputed results.

    The posterior free length is the one at the worst jet's scallop (else the shortest measured
    posterior scallop); the space is the largest measured space beside the devices; the mean
    gradient is the average over the traced inflow beats (clinical.md M7: average 1–3 beats in
    sinus rhythm), never an MR jet's.
    """
    results = labelled_results(case.marks, results)
    ctx = context(case)
    jets = jet_inputs(case, results)
    segs = {s.segment.upper(): s for s in segments(case, results)}
    posterior = [s for name, s in segs.items() if name.startswith("P") and s.length_cm is not None]
    length_cm = next((segs[p].length_cm for p in _target_scallops(jets) if p in segs and segs[p].length_cm), None)
    if length_cm is None and posterior:
        length_cm = min(s.length_cm for s in posterior if s.length_cm is not None)
    if length_cm is None:
        length_cm = _first(results_of_purpose(case.marks, results, "posterior_leaflet_length"), "distance", min)
    space = [cm for _, cm in spaces(case, results)]
    in_zone = _worst(s.calcification for s in segs.values() if s.calcification_in_grasp_zone)
    outside = _worst(s.calcification for s in segs.values() if not s.calcification_in_grasp_zone)
    attachments = " ".join(_text(d.get("attachment")).lower() for d in case.devices)
    inflow = transmitral(case, results)
    mva = {k: v for k, v in (("planimetry", _first(results, "mva_planimetry", max)),
                             ("pht", _first(results, "mva_pht")),
                             ("continuity", _first(results, "mva_continuity"))) if v is not None}
    width = ctx.get("device_width_mm")
    return AssessmentInput(
        mean_gradient_mmhg=_first(inflow, "mean_gradient", _mean),
        heart_rate_bpm=_first(results, "heart_rate"),
        mva_cm2=mva,
        etiology=_text(ctx.get("etiology")) or None,
        mr_grade=_text(ctx.get("mr_grade")) or None,
        jets=tuple(jets),
        posterior_free_length_mm=None if length_cm is None else length_cm * 10,
        space_mm=max(space) * 10 if space else None,
        device_width_mm=float(width) if isinstance(width, int | float) else DEFAULT_DEVICE_WIDTH_MM,
        slda="slda" in attachments,
        tear_or_perforation=bool(case.leaflets.get("tear_or_perforation")),
        loss_of_insertion="lli" in attachments or "loss of leaflet insertion" in attachments,
        grasp_zone_calcification=in_zone,
        outside_grasp_zone_calcification=outside,
        mac=_text(case.leaflets.get("mac")) or None,
        surgical_risk=_text(ctx.get("surgical_risk")) or None,
        tmvr_anatomy=_text(ctx.get("tmvr_anatomy")) or None,
        concomitant_surgical_indication=bool(ctx.get("concomitant_surgical_indication")),
    )
