"""Plausibility gates: values that are unlikely for what their mark says it is (docs/clinical-criteria.md §8.1).

A gated mark keeps its numbers, each with a warning naming the rule, but they are not graded and not
used by any calculation, beat average, summary or decision rule until the user confirms the mark
(``"confirmed": true`` in the case file). After confirmation the warning stays and the grade
appears. The gate is applied once, in ``measurements.compute.measure_all``; consumers downstream
of it leave held results out with :func:`usable`.

A sum of orifice areas that has fewer orifices than the devices imply is held the same way
(confirmed with ``"confirmed": true`` on its "planimetry" calculation).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from imaging.errors import InputError
from imaging.regions import UltrasoundRegion
from measurements import doppler, thresholds
from measurements.marks import Mark, MarkType
from measurements.results import Result


@dataclass(frozen=True)
class Limit:
    """One row of the plausibility table: which values it checks, the limit, and where it comes from."""

    key: str
    applies_to: str
    rule: str
    limit: float | None
    unit: str
    source: str
    evidence: str  # "SRC" (a source states it) or "INF" (the app's own rule)


INFLOW_DIRECTION = Limit(
    "inflow_direction", "Doppler trace with purpose mv_inflow",
    "flow towards the transducer (calibrated velocity sign positive)", None, "",
    "S1/S2 physiology: in mid-oesophageal TEE views the probe lies behind the left atrium, so LA→LV"
    " inflow flows away from it; judged from the calibrated sign, not the screen side", "SRC")
INFLOW_PEAK = Limit(
    "inflow_peak", "Doppler trace with purpose mv_inflow", "peak velocity above the limit", 3.5, "m/s",
    "an MR jet is 4–6 m/s; severe iatrogenic MS rarely exceeds 3 m/s", "INF")
MR_DIRECTION = Limit(
    "mr_direction", "Doppler trace with purpose mr_jet",
    "flow away from the transducer (calibrated velocity sign negative)", None, "",
    "LV→LA regurgitation flows towards a mid-oesophageal TEE probe", "INF")
MR_PEAK = Limit(
    "mr_peak", "Doppler trace with purpose mr_jet", "peak velocity below the limit", 2.0, "m/s",
    "an MR jet is 4–6 m/s (LV–LA systolic pressure difference)", "INF")
ORIFICE_AREA = Limit(
    "orifice_area", "area with purpose orifice (one orifice after TEER)", "area above the limit", 4.0, "cm2",
    "a whole native mitral valve is 4–6 cm² (S3)", "INF")
ORIFICE_COUNT = Limit(
    "orifice_count", "MVA by planimetry (sum of orifices)",
    "fewer orifices measured than the devices imply", None, "orifices",
    "k devices side by side in one line of coaptation leave up to k + 1 orifices", "INF")
LEAFLET_LENGTH = Limit(
    "leaflet_length", "distance with purpose leaflet_length or posterior_leaflet_length",
    "length above the limit", 4.0, "cm", "a calibrated 2D leaflet length beyond 4 cm is not a leaflet", "INF")

#: The plausibility table, in the order of docs/clinical-criteria.md §8.1.
LIMITS: tuple[Limit, ...] = (INFLOW_DIRECTION, INFLOW_PEAK, MR_DIRECTION, MR_PEAK, ORIFICE_AREA, ORIFICE_COUNT,
                             LEAFLET_LENGTH)

#: Every plausibility warning starts with this; held ones end with HELD, confirmed ones with CONFIRMED.
PREFIX = "plausibility: "
HELD = "; not graded or used until confirmed"
#: Opens the warning of an imported value not accepted (or superseded): held the same way (planning.imported).
IMPORTED_PREFIX = "imported from "
CONFIRMED = "; confirmed by the user"

_LEAFLET_PURPOSES = frozenset({"leaflet_length", "posterior_leaflet_length"})


def _tag(limit: Limit) -> str:
    return f"[{limit.evidence}{', app rule' if limit.evidence == 'INF' else ''}]"


def _flow_sign(mark: Mark, region: UltrasoundRegion) -> int:
    """+1 when the marked flow is towards the transducer (positive calibrated velocity), else -1."""
    if mark.type is MarkType.DOPPLER_TRACE:
        return doppler.trace_metrics(doppler.velocity_trace(mark.points, region)).sign
    return 1 if region.to_physical(*mark.points[0])[1] >= 0 else -1


def _largest(results: Sequence[Result], quantity: str) -> float | None:
    values = [thresholds.shown(quantity, r.value) for r in results if r.quantity == quantity]
    return max(values) if values else None


def reasons(mark: Mark, region: UltrasoundRegion | None, results: Sequence[Result]) -> list[str]:
    """Why this mark's values are implausible for its purpose (empty when they are plausible).

    Values are compared as shown (rounded to the reporting precision), as grades are. ``region`` is
    None for a 3D mark (only the area and length rules apply to it).
    """
    out: list[str] = []
    spectral = region is not None and region.is_spectral and mark.type in (MarkType.DOPPLER_TRACE, MarkType.POINT)
    vmax = _largest(results, "vmax")
    if spectral and region is not None and mark.purpose == "mv_inflow":
        if _flow_sign(mark, region) > 0:
            out.append("mitral inflow trace flows towards the transducer; on a mid-oesophageal TEE view"
                       f" inflow flows away from the probe (is this the MR jet?) {_tag(INFLOW_DIRECTION)}")
        if vmax is not None and INFLOW_PEAK.limit is not None and vmax > INFLOW_PEAK.limit:
            out.append(f"mitral inflow peak {vmax:.2f} m/s > {INFLOW_PEAK.limit:g} m/s (an MR jet is 4–6 m/s)"
                       f" {_tag(INFLOW_PEAK)}")
    if spectral and region is not None and mark.purpose == "mr_jet":
        if _flow_sign(mark, region) < 0:
            out.append("MR jet trace flows away from the transducer; on a mid-oesophageal TEE view"
                       f" MR flows towards the probe (is this mitral inflow?) {_tag(MR_DIRECTION)}")
        if vmax is not None and MR_PEAK.limit is not None and vmax < MR_PEAK.limit:
            out.append(f"MR jet peak {vmax:.2f} m/s < {MR_PEAK.limit:g} m/s (an MR jet is 4–6 m/s) {_tag(MR_PEAK)}")
    area = _largest(results, "area")
    if mark.purpose == "orifice" and area is not None and ORIFICE_AREA.limit is not None and area > ORIFICE_AREA.limit:
        out.append(f"one orifice of {area:.2f} cm² > {ORIFICE_AREA.limit:g} cm² after TEER (a whole native valve"
                   f" is 4–6 cm²; is this an en-face view of one orifice?) {_tag(ORIFICE_AREA)}")
    length = _largest(results, "distance")
    if (mark.purpose in _LEAFLET_PURPOSES and length is not None and LEAFLET_LENGTH.limit is not None
            and length > LEAFLET_LENGTH.limit):
        out.append(f"leaflet length {length:.2f} cm > {LEAFLET_LENGTH.limit:g} cm {_tag(LEAFLET_LENGTH)}")
    return out


def hold(results: Sequence[Result], why: Sequence[str], confirmed: bool) -> tuple[list[Result], bool]:
    """``results`` with one warning per reason; ungraded and ``held`` (True) unless ``confirmed``."""
    if not why:
        return list(results), False
    suffix = CONFIRMED if confirmed else HELD
    notes = tuple(f"{PREFIX}{w}{suffix}" for w in why)
    out = [replace(r, warnings=(*r.warnings, *notes), grades=r.grades if confirmed else ()) for r in results]
    return out, not confirmed


def gate(mark: Mark, region: UltrasoundRegion | None, results: Sequence[Result]) -> tuple[list[Result], bool]:
    """The mark's results with its plausibility warnings, and whether they are held (see the module)."""
    return hold(results, reasons(mark, region, results), mark.confirmed)


def orifice_count_reason(measured: int, expected: int | None) -> str | None:
    """Why a sum of ``measured`` orifices is incomplete against the ``expected`` count (None: complete)."""
    if expected is None or measured >= expected:
        return None
    return (f"incomplete: {measured} of {expected} expected orifices measured (the devices side by side leave up"
            f" to {expected}; measure each orifice en face) {_tag(ORIFICE_COUNT)}")


#: The method of a sum of orifices against the count the devices imply (``orifices_summed`` reads it back).
ORIFICE_SHORTFALL = "sum of {measured} of {expected} expected orifice area(s)"
_ORIFICE_SHORTFALL = re.compile(r"sum of (\d+) of (\d+) expected orifice area")


def orifices_summed(method: str) -> tuple[int, int] | None:
    """(measured, expected) of a sum of fewer orifices than the devices imply, from its method text
    (None when it is complete or not a sum): a lower bound of the MVA that every quote must say so."""
    hit = _ORIFICE_SHORTFALL.search(method)
    if hit is None or int(hit[1]) >= int(hit[2]):
        return None
    return int(hit[1]), int(hit[2])


def gate_orifice_sum(summed: Result, calc: Mapping[str, Any]) -> Result:
    """A sum of orifice areas saying how many were measured against ``calc["expected_orifices"]``.

    Fewer than expected: incomplete, ungraded and held, unless the calculation has ``"confirmed": true``.
    """
    expected = calc.get("expected_orifices")
    if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int) or expected < 1):
        raise InputError(f"expected_orifices must be a whole number ≥ 1 (got {expected!r})")
    measured = len(summed.source)
    method = f"sum of {measured} orifice area(s)" if expected is None else \
        ORIFICE_SHORTFALL.format(measured=measured, expected=expected) if measured <= expected else \
        f"sum of {measured} orifice area(s) (the recorded devices imply {expected}: check the device list)"
    why = orifice_count_reason(measured, expected)
    (out,), _ = hold([replace(summed, method=method)], [why] if why else [], calc.get("confirmed") is True)
    return out


class _Warned(Protocol):
    @property
    def warnings(self) -> Sequence[str]: ...


def is_held(result: _Warned) -> bool:
    """True when a plausibility gate holds this result (flagged and not confirmed); takes a ``Result``
    or anything else that carries its warnings (the report's measurement rows)."""
    return any(w.startswith((PREFIX, IMPORTED_PREFIX)) and w.endswith(HELD) for w in result.warnings)


def usable(results: Sequence[Result]) -> list[Result]:
    """The results that calculations, summaries and decision rules may use (held ones left out)."""
    return [r for r in results if not is_held(r)]
