"""Map the numeric items of an imported SR onto the quantity registry (``measurements.concepts``).

A NUM is a quantity when its concept name is the quantity's SR concept (code first; the code
meaning only when no registry code matches) and none of its modifiers (Measurement Method, Flow
Direction, Image Mode, Finding Site) contradicts the quantity's (regurgitant flow on a trace
quantity coded for inflow, an MR jet's, and 3D mode on one coded for 2D images, measured on an MPR
of a volume, fit below an exact match); of several candidates the one sharing most modifiers wins,
ties go to registry order. The concepts a distance, area or duration has by its mark's purpose
(``concepts.PURPOSE_SR``: Flow Radius, a leaflet's Length, a lateral orifice's area, ...) are candidates
too and map back to that quantity, naming the purpose; a NUM with a Topographical Modifier (one part of
its site) is never a quantity of the whole site, and the PISA aliasing velocity, an input, is listed as
not imported. Legacy SRT codes arrive already read as
SCT (``imaging.sr_read``). Units are converted with a UCUM table (cm/s → m/s, mm → cm, mm² → cm²,
l/min → ml/s, ...).

Carts repeat values: each beat as measured and the chosen value again with TID 310 Selection
Status (PS3.16 CID 224: mean / most recent / ... value chosen); MitraPlan's own SR writes its
beats with Derivation and the selected mean with Selection Status. Where a selected value exists,
the other values of the same quantity and coding that it covers collapse into it and are never
counted twice: all of them when either side has no image references, else those whose images and
SCOORDs are among the selected value's (another trace's value of the same quantity stays). A NUM
no quantity takes is listed as unknown with the reason, never dropped silently.

MitraPlan's own SR marks a value it imported from another SR (and the clinician accepted) with the
UID of the SR that first reported it (``SOURCE_SR``, a UIDREF property): ``Mapped.quoted_from``, so
that importing that SR back does not add the value a second time (``planning.imported``).

Of the haemodynamic context (docs/case-file.md), an echo SR's RV peak systolic pressure (399023006,
SCT, CID 12204) maps to ``rvsp``; PS3.16's echo templates have no LA pressure, and a TR grade is a
CODE item, not a NUM, so neither maps (``measurements.concepts.CONTEXT_CONCEPTS``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from imaging.sr_read import SRCode, SRDocument, SRNum
from measurements.concepts import (
    ANTEGRADE,
    MODE_2D,
    MODE_3D,
    PISA_ALIASING,
    PRIVATE_SCHEME,
    PURPOSE_SR,
    QUANTITIES,
    REGURGITANT,
    UCUM,
    Coded,
    Quantity,
    SRConcept,
)

METHOD, FLOW, MODE, SITE = ("370129005", "SCT"), ("260674002", "SCT"), ("399264008", "SCT"), ("363698007", "SCT")
#: Topographical Modifier: narrows the site to a part (one orifice, the posterior leaflet); a value with
#: one is never a quantity of the whole site (a lateral orifice's area is not the MVA).
TOPOGRAPHICAL = ("106233006", "SCT")
SELECTION_STATUS = ("121404", "DCM")
N_BEATS = ("N-BEATS", PRIVATE_SCHEME)
#: The SR instance a value was first reported in, on a value MitraPlan's SR quotes from an imported SR.
SOURCE_SR = ("SOURCE-SR", PRIVATE_SCHEME)
#: The TID 5201 container (121118, DCM) by its meaning, as ``imaging.sr_read`` names container paths.
PATIENT_CHARACTERISTICS = "Patient Characteristics"

#: UCUM unit code -> (dimension, factor to the dimension's base unit). Base units: m, m2, m/s,
#: Pa, s, m3, m3/s, 1/s, ratio. Codes as UCUM spells them, with the spellings carts send.
_UCUM: dict[str, tuple[str, float]] = {
    "m": ("length", 1.0), "cm": ("length", 1e-2), "mm": ("length", 1e-3),
    "m2": ("area", 1.0), "cm2": ("area", 1e-4), "mm2": ("area", 1e-6),
    "m/s": ("velocity", 1.0), "cm/s": ("velocity", 1e-2), "mm/s": ("velocity", 1e-3),
    "mm[Hg]": ("pressure", 133.322387415), "kPa": ("pressure", 1e3), "Pa": ("pressure", 1.0),
    "s": ("time", 1.0), "ms": ("time", 1e-3), "min": ("time", 60.0),
    "l": ("volume", 1e-3), "L": ("volume", 1e-3), "ml": ("volume", 1e-6), "mL": ("volume", 1e-6),
    "cm3": ("volume", 1e-6), "m3": ("volume", 1.0),
    "ml/s": ("flow", 1e-6), "mL/s": ("flow", 1e-6), "cm3/s": ("flow", 1e-6), "l/s": ("flow", 1e-3),
    "l/min": ("flow", 1e-3 / 60), "L/min": ("flow", 1e-3 / 60), "ml/min": ("flow", 1e-6 / 60),
    "/min": ("rate", 1 / 60), "1/min": ("rate", 1 / 60), "{beats}/min": ("rate", 1 / 60),
    "{H.B.}/min": ("rate", 1 / 60), "/s": ("rate", 1.0), "Hz": ("rate", 1.0),
    "%": ("ratio", 1e-2), "1": ("ratio", 1.0), "{ratio}": ("ratio", 1.0),
}


def convert(value: float, ucum_from: str, ucum_to: str) -> float | None:
    """``value`` in unit ``ucum_from`` expressed in ``ucum_to`` (None: unknown unit or other dimension)."""
    a, b = _UCUM.get(ucum_from), _UCUM.get(ucum_to)
    if a is None or b is None or a[0] != b[0]:
        return None
    return round(value * a[1] / b[1], 12)


@dataclass(frozen=True, slots=True)
class Mapped:
    """A NUM taken as a quantity: the value in the app's unit, how it matched, whether it was the chosen one."""

    quantity: str
    value: float
    unit: str
    num: SRNum
    matched_by: str  # "code" or "meaning"
    selected: bool
    #: the mark purpose whose concept it matched (``concepts.PURPOSE_SR``: "pisa_radius", "orifice", ...), else ""
    purpose: str = ""

    @property
    def selection(self) -> str:
        """The Selection Status meaning ("Mean value chosen", ...), "" when none."""
        status = self.num.properties.get(SELECTION_STATUS)
        return status.meaning if status is not None else ""

    @property
    def beats(self) -> int | None:
        n = self.num.numbers.get(N_BEATS)
        return int(n) if n is not None else None

    @property
    def quoted_from(self) -> str:
        """The SOP Instance UID of the SR the value was first reported in, when this SR (MitraPlan's)
        quotes it from an imported SR; "" when the SR reports it as its own."""
        return self.num.uids.get(SOURCE_SR, "")

    @property
    def regurgitant(self) -> bool:
        """True for a velocity, gradient or VTI of regurgitant flow (an MR jet), taken as the trace quantity
        the registry codes for mitral inflow: such a value is never the inflow's."""
        flow = self.num.modifiers.get(FLOW)
        return flow is not None and flow.key == _key(REGURGITANT)


@dataclass(frozen=True, slots=True)
class Unknown:
    """A NUM no registry quantity takes, and why."""

    concept: SRCode
    value: float
    unit: SRCode
    reason: str

    def describe(self) -> str:
        code = f"{self.concept.value}, {self.concept.scheme}" + (f" / SRT {self.concept.legacy}"
                                                                  if self.concept.legacy else "")
        return f"{self.concept.meaning or 'unnamed'} ({code}) = {self.value:g} {self.unit.value}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What an SR gives: the values to keep (each quantity's chosen value once), how many repeated
    values collapsed into them, and the NUMs no quantity takes."""

    kept: tuple[Mapped, ...]
    collapsed: int
    unknown: tuple[Unknown, ...]


def _key(c: Coded | None) -> tuple[str, str] | None:
    return None if c is None else (c.value, c.scheme)


def _trace_flow_of_mr_jet(name: tuple[str, str], want: tuple[str, str] | None, have: tuple[str, str]) -> bool:
    """A trace quantity coded for mitral inflow (antegrade) met with regurgitant flow: the MR jet's own
    trace value (MitraPlan codes MR jet traces so, as carts do); it maps, marked regurgitant."""
    return name == FLOW and want == _key(ANTEGRADE) and have == _key(REGURGITANT)


def _image_measured_in_3d(name: tuple[str, str], want: tuple[str, str] | None, have: tuple[str, str]) -> bool:
    """A quantity the registry codes as measured on a 2D image met in 3D mode: measured on an MPR plane of
    a volume (MitraPlan codes its 3D marks so, e.g. a 3D MPR planimetry); it maps."""
    return name == MODE and want == _key(MODE_2D) and have == _key(MODE_3D)


def _topographical_score(sr: SRConcept, num: SRNum) -> int | None:
    """How the NUM's Topographical Modifier fits the concept's options (None: it contradicts them)."""
    have, options = num.modifiers.get(TOPOGRAPHICAL), {(t.value, t.scheme) for t in sr.topographical}
    if have is None:
        return -1 if options else 0
    return 2 if have.key in options else None


def _modifier_score(sr: SRConcept, num: SRNum) -> int | None:
    """How well the NUM's modifiers fit the concept's (None: one contradicts it)."""
    wanted = {METHOD: _key(sr.method), FLOW: _key(sr.flow), MODE: _key(sr.mode), SITE: _key(sr.site)}
    topographical = _topographical_score(sr, num)
    if topographical is None:
        return None
    score = topographical
    for name, want in wanted.items():
        have = num.modifiers.get(name)
        if have is None:
            score -= 1 if want is not None else 0
        elif want is None:
            score -= 1
        elif have.key != want:
            if not (_trace_flow_of_mr_jet(name, want, have.key) or _image_measured_in_3d(name, want, have.key)):
                return None
            score += 1  # below an exact match: a quantity coded for regurgitant flow (or 3D mode) itself wins
        else:
            score += 2
    return score


@dataclass(frozen=True, slots=True)
class _Candidate:
    quantity: Quantity
    sr: SRConcept
    purpose: str = ""


#: The quantities a purpose concept maps back to: generic ones, which no calculation, grade or summary takes
#: as a mitral value. An LVOT trace's Vmax or VTI is not imported as ``vmax``/``vti`` (the mitral valve's,
#: once accepted): its Finding Site LVOT contradicts them, so it is listed as unknown.
_GENERIC = frozenset({"distance", "area", "duration", "time_interval"})
#: Every concept a NUM can be taken as: each quantity's own, then those of a mark purpose (registry order).
_CONCEPTS: tuple[_Candidate, ...] = (
    *(_Candidate(q, q.sr) for q in QUANTITIES.values() if q.sr is not None),
    *(_Candidate(QUANTITIES[name], sr, purpose) for (name, purpose), sr in PURPOSE_SR.items() if name in _GENERIC),
)


def _candidates(num: SRNum) -> tuple[list[_Candidate], str]:
    by_code = [c for c in _CONCEPTS if _key(c.sr.name) == num.name.key]
    if by_code:
        return by_code, "code"
    meaning = num.name.meaning.strip().lower()
    return [c for c in _CONCEPTS if meaning and c.sr.name.meaning.lower() == meaning], "meaning"


def map_num(num: SRNum) -> Mapped | Unknown:
    """The quantity a NUM is (with its value in the quantity's unit), or why it is none."""
    if PATIENT_CHARACTERISTICS in num.path:
        return Unknown(num.name, num.value, num.unit, "a patient characteristic (TID 5201), not a measurement")
    if num.name.key == _key(PISA_ALIASING.name):
        return Unknown(num.name, num.value, num.unit, "the aliasing velocity is an input of a PISA calculation, not a"
                       " result: enter it with the calculation")
    candidates, how = _candidates(num)
    if not candidates:
        return Unknown(num.name, num.value, num.unit, "no quantity of MitraPlan has this concept")
    scored = [(s, i, c) for i, c in enumerate(candidates) if (s := _modifier_score(c.sr, num)) is not None]
    if not scored:
        mods = ", ".join(f"{v.meaning}" for v in num.modifiers.values()) or "none"
        return Unknown(num.name, num.value, num.unit, f"its modifiers ({mods}) fit no quantity of this concept")
    _, _, chosen = max(scored, key=lambda t: (t[0], -t[1]))
    best = chosen.quantity
    target = UCUM[best.unit].value
    value = convert(num.value, num.unit.value, target)
    if value is None:
        return Unknown(num.name, num.value, num.unit,
                       f"unit {num.unit.value!r} cannot be converted to {best.label}'s {target!r}")
    return Mapped(best.name, value, best.unit, num, how, SELECTION_STATUS in num.properties, chosen.purpose)


def _coding(m: Mapped) -> tuple[object, ...]:
    mods = m.num.modifiers
    return (m.quantity, *(None if mods.get(k) is None else mods[k].key
                          for k in (METHOD, FLOW, MODE, SITE, TOPOGRAPHICAL)))


def _references(num: SRNum) -> frozenset[tuple[object, ...]]:
    return frozenset([*((uid, frame) for uid, frame in num.images), *num.scoords])


def _covered(m: Mapped, selected: Sequence[Mapped]) -> bool:
    """True when a selected value of the same coding stands for ``m`` (it was chosen from it)."""
    refs = _references(m.num)
    for s in selected:
        if _coding(s) != _coding(m):
            continue
        chosen_from = _references(s.num)
        if not chosen_from or not refs or refs <= chosen_from:
            return True
    return False


def plan(doc: SRDocument) -> ImportPlan:
    """Each NUM of ``doc`` mapped; repeated values collapsed into their selected value."""
    mapped: list[Mapped] = []
    unknown: list[Unknown] = []
    for num in doc.nums:
        hit = map_num(num)
        if isinstance(hit, Mapped):
            mapped.append(hit)
        else:
            unknown.append(hit)
    selected = [m for m in mapped if m.selected]
    kept = [m for m in mapped if m.selected or not _covered(m, selected)]
    return ImportPlan(tuple(kept), len(mapped) - len(kept), tuple(unknown))
