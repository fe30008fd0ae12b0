"""Typed findings of a case: devices, jets, residual leaflet anatomy, spaces, clinical context.

Each is a frozen dataclass read from its case-file JSON object with ``from_json(raw, where)`` and
written back with ``to_json()`` (docs/case-file.md). Closed vocabularies are ``planning.vocab``
enums; a value outside them raises ``ValueError`` naming the field (``jets[2].location``) and the
allowed values, which ``planning.case`` reports as a ``CaseError`` naming the file. Keys this
version does not know are kept in ``extra`` and written back unchanged (forward compatibility).
An absent key, JSON ``null`` or an empty string is "not recorded" (``None``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

from planning.vocab import (
    Attachment,
    Calcification,
    ContextSource,
    DeviceKind,
    DeviceModelName,
    DevicePosition,
    Etiology,
    JetLocation,
    LeafletInjury,
    MacExtent,
    Mobility,
    MRGrade,
    Orientation,
    PriorRole,
    Rhythm,
    Scallop,
    SegmentPair,
    SpaceKind,
    SurgicalRisk,
    TmvrAnatomy,
    TRGrade,
    parse_enum,
)

E = TypeVar("E", bound=StrEnum)
JSON = dict[str, Any]


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


def _object(raw: object, where: str) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be a JSON object (got {type(raw).__name__})")
    return raw


def _enum(raw: Mapping[str, Any], key: str, enum: type[E], where: str) -> E | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    return parse_enum(enum, value, f"{where}.{key}")


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{where}.{key} must be a string (got {value!r})")
    return value


def _flag(raw: Mapping[str, Any], key: str, where: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise ValueError(f"{where}.{key} must be true or false (got {value!r})")
    return value


def _number(raw: Mapping[str, Any], key: str, where: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}.{key} must be a number (got {value!r})")
    return float(value)


def _ids(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
        raise ValueError(f"{where}.{key} must be a list of ids (got {value!r})")
    return tuple(value)


def _extra(raw: Mapping[str, Any], known: tuple[str, ...]) -> Mapping[str, Any]:
    return MappingProxyType({k: v for k, v in raw.items() if k not in known})


def _out(pairs: tuple[tuple[str, object], ...], extra: Mapping[str, Any]) -> JSON:
    """Known keys that are recorded (not None / "" / () / False), then the unknown keys as read."""
    doc: JSON = {}
    for key, value in pairs:
        if value is None or value == "" or value == () or value is False:
            continue
        doc[key] = list(value) if isinstance(value, tuple) else value
    doc.update({k: v for k, v in extra.items() if k not in doc})
    return doc


def _whole(value: float | None) -> float | int | None:
    return int(value) if value is not None and value.is_integer() else value


#: a 3D tie's keys in a device or jet (docs/case-file.md "Tied to a 3D volume")
_TIE_KEYS = ("position_mm", "sop_instance_uid")


def point_mm(value: object, where: str) -> tuple[float, float, float]:
    """``[x, y, z]``: three finite numbers (mm of a volume's frame of reference); ValueError naming ``where``."""
    if not isinstance(value, list) or len(value) != 3 or \
            any(isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) for v in value):
        raise ValueError(f"{where} must be [x, y, z]: three finite numbers in mm (got {value!r})")
    return float(value[0]), float(value[1]), float(value[2])


@dataclass(frozen=True, slots=True)
class MapPoint:
    """Where a tied item falls on the clip map (``planning.enface.project``): ``t`` 0..1 along the
    commissural line (0 anterolateral, 1 posteromedial), ``s`` towards the anterior (aortic) annulus
    (1 there, 0 on the commissural line, < 0 posterior), and its height above the annulus plane in mm
    (+ towards the left atrium)."""

    t: float
    s: float
    height_mm: float


@dataclass(frozen=True, slots=True)
class Tie3D:
    """A device or jet tied to a point of a 3D volume: ``position_mm`` in mm of the volume's frame of
    reference, ``sop_instance_uid`` of the volume. ``placed`` is derived when the case is read (never
    written): the point projected on the clip map through the volume's aligned annulus, None when the
    case holds no annulus for that volume."""

    position_mm: tuple[float, float, float]
    sop_instance_uid: str
    placed: MapPoint | None = field(default=None, compare=False)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], where: str) -> Tie3D | None:
        """The tie of a device or jet (None when it has neither key); both keys or none."""
        position, uid = raw.get("position_mm"), raw.get("sop_instance_uid")
        if position is None and uid is None:
            return None
        if position is None or uid is None:
            missing = "position_mm" if position is None else "sop_instance_uid"
            raise ValueError(f"{where}.{missing} is required with {where}."
                             f"{'sop_instance_uid' if position is None else 'position_mm'} (a 3D tie needs both)")
        if not isinstance(uid, str) or not uid.strip():
            raise ValueError(f"{where}.sop_instance_uid must be the volume's SOP Instance UID, a string (got {uid!r})")
        return cls(point_mm(position, f"{where}.position_mm"), uid)

    def to_json(self) -> tuple[tuple[str, object], ...]:
        return (("position_mm", [_whole(v) for v in self.position_mm]), ("sop_instance_uid", self.sop_instance_uid))


def _tie_pairs(tie: Tie3D | None) -> tuple[tuple[str, object], ...]:
    return () if tie is None else tie.to_json()


_DEVICE_KEYS = ("id", "kind", "model", "segment", "position", "attachment", "orientation", "rotation_deg",
                "image_mark", "notes", *_TIE_KEYS)


@dataclass(frozen=True, slots=True)
class Device:
    """A prior TEER device (``devices[]``)."""

    id: str
    kind: DeviceKind | None = None
    model: DeviceModelName | None = None
    segment: SegmentPair | None = None
    position: DevicePosition | None = None
    attachment: Attachment | None = None
    orientation: Orientation | None = None
    rotation_deg: float | None = None  # clockwise on the surgical view, when rotated
    image_mark: str = ""
    notes: str = ""
    extra: Mapping[str, Any] = field(default_factory=_empty, compare=False)
    tie: Tie3D | None = None  # tied to a point of a 3D volume (en-face view)

    @classmethod
    def from_json(cls, raw: object, where: str) -> Device:
        d = _object(raw, where)
        return cls(_text(d, "id", where), _enum(d, "kind", DeviceKind, where),
                   _enum(d, "model", DeviceModelName, where), _enum(d, "segment", SegmentPair, where),
                   _enum(d, "position", DevicePosition, where), _enum(d, "attachment", Attachment, where),
                   _enum(d, "orientation", Orientation, where), _number(d, "rotation_deg", where),
                   _text(d, "image_mark", where), _text(d, "notes", where), _extra(d, _DEVICE_KEYS),
                   Tie3D.from_json(d, where))

    def to_json(self) -> JSON:
        return _out((("id", self.id), ("kind", self.kind), ("model", self.model), ("segment", self.segment),
                     ("position", self.position), ("attachment", self.attachment),
                     ("orientation", self.orientation), ("rotation_deg", _whole(self.rotation_deg)),
                     ("image_mark", self.image_mark), ("notes", self.notes), *_tie_pairs(self.tie)), self.extra)

    @property
    def rotation(self) -> float:
        """The drawn rotation in degrees: ``rotation_deg`` when rotated, else 0."""
        return (self.rotation_deg or 0.0) if self.orientation is Orientation.ROTATED else 0.0


_JET_KEYS = ("id", "location", "segment", "grade", "devices", "vena_contracta_mark", "orifice_mark",
             "pisa_calculation", "notes", *_TIE_KEYS)


@dataclass(frozen=True, slots=True)
class Jet:
    """A residual MR jet (``jets[]``); ``devices`` are the device(s) a para-/inter-clip jet is beside."""

    id: str
    location: JetLocation | None = None
    segment: SegmentPair | None = None
    grade: MRGrade | None = None
    devices: tuple[str, ...] = ()
    vena_contracta_mark: str = ""
    orifice_mark: str = ""
    pisa_calculation: str = ""
    notes: str = ""
    extra: Mapping[str, Any] = field(default_factory=_empty, compare=False)
    tie: Tie3D | None = None  # tied to a point of a 3D volume (en-face view)

    @classmethod
    def from_json(cls, raw: object, where: str) -> Jet:
        j = _object(raw, where)
        return cls(_text(j, "id", where), _enum(j, "location", JetLocation, where),
                   _enum(j, "segment", SegmentPair, where), _enum(j, "grade", MRGrade, where),
                   _ids(j, "devices", where), _text(j, "vena_contracta_mark", where),
                   _text(j, "orifice_mark", where), _text(j, "pisa_calculation", where), _text(j, "notes", where),
                   _extra(j, _JET_KEYS), Tie3D.from_json(j, where))

    def to_json(self) -> JSON:
        return _out((("id", self.id), ("location", self.location), ("segment", self.segment),
                     ("grade", self.grade), ("devices", self.devices),
                     ("vena_contracta_mark", self.vena_contracta_mark), ("orifice_mark", self.orifice_mark),
                     ("pisa_calculation", self.pisa_calculation), ("notes", self.notes), *_tie_pairs(self.tie)),
                    self.extra)


_SEGMENT_KEYS = ("length_mark", "calcification", "calcification_in_grasp_zone", "mobility", "injury",
                 "coaptation_gap_mark", "grasped_by", "notes")


@dataclass(frozen=True, slots=True)
class SegmentFinding:
    """The residual anatomy of one scallop or commissure (``leaflets.segments.<name>``)."""

    length_mark: str = ""
    calcification: Calcification | None = None
    calcification_in_grasp_zone: bool = False
    mobility: Mobility | None = None
    injury: LeafletInjury | None = None
    coaptation_gap_mark: str = ""
    grasped_by: str = ""
    notes: str = ""
    extra: Mapping[str, Any] = field(default_factory=_empty, compare=False)

    @classmethod
    def from_json(cls, raw: object, where: str) -> SegmentFinding:
        s = _object(raw, where)
        return cls(_text(s, "length_mark", where), _enum(s, "calcification", Calcification, where),
                   _flag(s, "calcification_in_grasp_zone", where), _enum(s, "mobility", Mobility, where),
                   _enum(s, "injury", LeafletInjury, where), _text(s, "coaptation_gap_mark", where),
                   _text(s, "grasped_by", where), _text(s, "notes", where), _extra(s, _SEGMENT_KEYS))

    def to_json(self) -> JSON:
        return _out((("length_mark", self.length_mark), ("calcification", self.calcification),
                     ("calcification_in_grasp_zone", self.calcification_in_grasp_zone),
                     ("mobility", self.mobility), ("injury", self.injury),
                     ("coaptation_gap_mark", self.coaptation_gap_mark), ("grasped_by", self.grasped_by),
                     ("notes", self.notes)), self.extra)


@dataclass(frozen=True, slots=True)
class Space:
    """A measured space beside the devices (``leaflets.spaces[]``)."""

    kind: SpaceKind | None = None
    label: str = ""
    distance_mark: str = ""
    extra: Mapping[str, Any] = field(default_factory=_empty, compare=False)

    @classmethod
    def from_json(cls, raw: object, where: str) -> Space:
        s = _object(raw, where)
        return cls(_enum(s, "kind", SpaceKind, where), _text(s, "label", where), _text(s, "distance_mark", where),
                   _extra(s, ("kind", "label", "distance_mark")))

    def to_json(self) -> JSON:
        return _out((("kind", self.kind), ("label", self.label), ("distance_mark", self.distance_mark)),
                    self.extra)


_LEAFLET_KEYS = ("segments", "spaces", "mac", "tear_or_perforation", "notes")


@dataclass(frozen=True, slots=True)
class Leaflets:
    """Residual leaflet anatomy (``leaflets``)."""

    segments: Mapping[Scallop, SegmentFinding] = field(default_factory=lambda: MappingProxyType({}))
    spaces: tuple[Space, ...] = ()
    mac: Calcification | None = None  # mitral annular calcification
    tear_or_perforation: bool = False
    notes: str = ""
    extra: Mapping[str, Any] = field(default_factory=_empty, compare=False)

    @classmethod
    def from_json(cls, raw: object, where: str = "leaflets") -> Leaflets:
        leaf = _object(raw, where)
        segs = _object(leaf.get("segments", {}), f"{where}.segments")
        spaces = leaf.get("spaces", [])
        if not isinstance(spaces, list):
            raise ValueError(f"{where}.spaces must be a list (got {spaces!r})")
        return cls(
            MappingProxyType({parse_enum(Scallop, name, f"{where}.segments key"):
                              SegmentFinding.from_json(entry, f"{where}.segments.{name}")
                              for name, entry in segs.items()}),
            tuple(Space.from_json(s, f"{where}.spaces[{i}]") for i, s in enumerate(spaces)),
            _enum(leaf, "mac", Calcification, where), _flag(leaf, "tear_or_perforation", where),
            _text(leaf, "notes", where), _extra(leaf, _LEAFLET_KEYS))

    def to_json(self) -> JSON:
        segs = {str(name): s.to_json() for name, s in self.segments.items()}
        return _out((("segments", segs or None), ("spaces", tuple(s.to_json() for s in self.spaces)),
                     ("mac", self.mac), ("tear_or_perforation", self.tear_or_perforation), ("notes", self.notes)),
                    self.extra)


@dataclass(frozen=True, slots=True)
class Sourced:
    """One CT or haemodynamic context value with where it comes from (``{"value": …, "source": …}``):
    a number in the unit its key names, or a vocabulary member (MAC extent, TR grade)."""

    value: float | StrEnum
    source: ContextSource
    extra: Mapping[str, Any] = field(default_factory=_empty, compare=False)

    def to_json(self) -> JSON:
        value = self.value if isinstance(self.value, StrEnum) else _whole(self.value)
        return _out((("value", value), ("source", self.source)), self.extra)


#: The numeric context entries, key → (unit, lowest, highest accepted): plausible entry limits [INF],
#: not clinical cut-offs; a value outside them (or not finite) is refused naming the file and field.
CT_NUMBERS: dict[str, tuple[str, float, float]] = {
    "annulus_ap_mm": ("mm", 15.0, 80.0),  # anteroposterior (septal-lateral) diameter
    "annulus_alpm_mm": ("mm", 15.0, 80.0),  # anterolateral-posteromedial (intercommissural) diameter
    "annulus_perimeter_mm": ("mm", 50.0, 260.0),
    "annulus_area_mm2": ("mm²", 200.0, 5000.0),
    "neo_lvot_mm2": ("mm²", 0.0, 2000.0),  # predicted neo-LVOT area
}
HAEMO_NUMBERS: dict[str, tuple[str, float, float]] = {
    "la_mean_pressure_mmhg": ("mmHg", 0.0, 60.0),
    "la_v_wave_mmhg": ("mmHg", 0.0, 100.0),
    "rvsp_mmhg": ("mmHg", 5.0, 150.0),
}
_CT_KEYS = (*CT_NUMBERS, "mac_extent")
_HAEMO_KEYS = (*HAEMO_NUMBERS, "tr_grade")


def _sourced_object(raw: Mapping[str, Any], key: str, where: str) -> tuple[Mapping[str, Any], ContextSource] | None:
    entry = raw.get(key)
    if entry is None:
        return None
    at = f"{where}.{key}"
    if not isinstance(entry, dict):
        raise ValueError(f'{at} must be an object {{"value": ..., "source": ...}} (got {entry!r})')
    if entry.get("value") is None:
        raise ValueError(f"{at}.value is required")
    source = _enum(entry, "source", ContextSource, at)
    if source is None:
        raise ValueError(f"{at}.source is required (one of {', '.join(repr(s.value) for s in ContextSource)})")
    return entry, source


def _sourced_number(raw: Mapping[str, Any], key: str, limits: tuple[str, float, float], where: str) -> Sourced | None:
    """A ``{"value": number, "source"}`` entry; refused when the number is not finite or outside ``limits``."""
    got = _sourced_object(raw, key, where)
    if got is None:
        return None
    entry, source = got
    at = f"{where}.{key}"
    value = _number(entry, "value", at)
    unit, low, high = limits
    if value is None or not math.isfinite(value):
        raise ValueError(f"{at}.value must be a finite number (got {entry.get('value')!r})")
    if not low <= value <= high:
        raise ValueError(f"{at}.value: {entry.get('value')!r} is outside {_whole(low)}-{_whole(high)} {unit}")
    return Sourced(value, source, _extra(entry, ("value", "source")))


def _sourced_enum(raw: Mapping[str, Any], key: str, enum: type[E], where: str) -> Sourced | None:
    got = _sourced_object(raw, key, where)
    if got is None:
        return None
    entry, source = got
    value = _enum(entry, "value", enum, f"{where}.{key}")
    assert value is not None  # _sourced_object refused a missing value
    return Sourced(value, source, _extra(entry, ("value", "source")))


def _nested(raw: Mapping[str, Any], key: str) -> object:
    value = raw.get(key)
    return {} if value is None else value


def _sourced_out(entries: Mapping[str, Sourced | None]) -> tuple[tuple[str, object], ...]:
    return tuple((k, None if v is None else v.to_json()) for k, v in entries.items())


@dataclass(frozen=True, slots=True)
class CtContext:
    """CT findings for a TMVR after clip laceration or excision (``context.ct``): annulus dimensions,
    predicted neo-LVOT area and MAC extent, each with its source (docs/case-file.md, clinical-criteria §8.5)."""

    numbers: Mapping[str, Sourced] = field(default_factory=_empty)  # key of CT_NUMBERS → value
    mac_extent: Sourced | None = None
    extra: Mapping[str, Any] = field(default_factory=_empty, compare=False)

    @classmethod
    def from_json(cls, raw: object, where: str = "context.ct") -> CtContext:
        c = _object(raw, where)
        numbers = {k: _sourced_number(c, k, limits, where) for k, limits in CT_NUMBERS.items()}
        return cls(MappingProxyType({k: v for k, v in numbers.items() if v is not None}),
                   _sourced_enum(c, "mac_extent", MacExtent, where), _extra(c, _CT_KEYS))

    def number(self, key: str) -> float | None:
        entry = self.numbers.get(key)
        return None if entry is None else float(entry.value)

    @property
    def recorded(self) -> bool:
        return bool(self.numbers) or self.mac_extent is not None

    def to_json(self) -> JSON:
        return _out((*_sourced_out({k: self.numbers.get(k) for k in CT_NUMBERS}),
                     ("mac_extent", None if self.mac_extent is None else self.mac_extent.to_json())), self.extra)


@dataclass(frozen=True, slots=True)
class Haemodynamics:
    """LA pressure and v-wave, TR grade and RVSP (``context.haemodynamics``), each with its source."""

    numbers: Mapping[str, Sourced] = field(default_factory=_empty)  # key of HAEMO_NUMBERS → value
    tr_grade: Sourced | None = None
    extra: Mapping[str, Any] = field(default_factory=_empty, compare=False)

    @classmethod
    def from_json(cls, raw: object, where: str = "context.haemodynamics") -> Haemodynamics:
        h = _object(raw, where)
        numbers = {k: _sourced_number(h, k, limits, where) for k, limits in HAEMO_NUMBERS.items()}
        return cls(MappingProxyType({k: v for k, v in numbers.items() if v is not None}),
                   _sourced_enum(h, "tr_grade", TRGrade, where), _extra(h, _HAEMO_KEYS))

    def number(self, key: str) -> float | None:
        entry = self.numbers.get(key)
        return None if entry is None else float(entry.value)

    @property
    def recorded(self) -> bool:
        return bool(self.numbers) or self.tr_grade is not None

    def to_json(self) -> JSON:
        return _out((*_sourced_out({k: self.numbers.get(k) for k in HAEMO_NUMBERS}),
                     ("tr_grade", None if self.tr_grade is None else self.tr_grade.to_json())), self.extra)


_CONTEXT_KEYS = ("operator", "indication", "surgical_risk", "etiology", "mr_grade", "tmvr_anatomy",
                 "concomitant_surgical_indication", "device_width_mm", "rhythm", "ct", "haemodynamics")


@dataclass(frozen=True, slots=True)
class ClinicalContext:
    """What the clinician records about the patient and the plan (``context``)."""

    operator: str = ""
    indication: str = ""
    surgical_risk: SurgicalRisk | None = None
    etiology: Etiology | None = None
    mr_grade: MRGrade | None = None  # the clinician's overall residual MR grade
    tmvr_anatomy: TmvrAnatomy | None = None
    concomitant_surgical_indication: bool = False
    device_width_mm: float | None = None  # width of the candidate device
    rhythm: Rhythm | None = None
    ct: CtContext = field(default_factory=CtContext)
    haemodynamics: Haemodynamics = field(default_factory=Haemodynamics)
    extra: Mapping[str, Any] = field(default_factory=_empty, compare=False)

    @classmethod
    def from_json(cls, raw: object, where: str = "context") -> ClinicalContext:
        c = _object(raw, where)
        return cls(_text(c, "operator", where), _text(c, "indication", where),
                   _enum(c, "surgical_risk", SurgicalRisk, where), _enum(c, "etiology", Etiology, where),
                   _enum(c, "mr_grade", MRGrade, where), _enum(c, "tmvr_anatomy", TmvrAnatomy, where),
                   _flag(c, "concomitant_surgical_indication", where), _number(c, "device_width_mm", where),
                   _enum(c, "rhythm", Rhythm, where), CtContext.from_json(_nested(c, "ct"), f"{where}.ct"),
                   Haemodynamics.from_json(_nested(c, "haemodynamics"), f"{where}.haemodynamics"),
                   _extra(c, _CONTEXT_KEYS))

    def to_json(self) -> JSON:
        return _out((("operator", self.operator), ("indication", self.indication),
                     ("surgical_risk", self.surgical_risk), ("etiology", self.etiology), ("mr_grade", self.mr_grade),
                     ("tmvr_anatomy", self.tmvr_anatomy),
                     ("concomitant_surgical_indication", self.concomitant_surgical_indication),
                     ("device_width_mm", _whole(self.device_width_mm)), ("rhythm", self.rhythm),
                     ("ct", self.ct.to_json() or None), ("haemodynamics", self.haemodynamics.to_json() or None)),
                    self.extra)


@dataclass(frozen=True, slots=True)
class ResidualMR:
    """The clinician's integrated total residual MR grade (``residual_mr``) and what it rests on; per-jet
    grades are never summed or maxed into it."""

    total_grade: MRGrade | None = None
    basis: str = ""
    extra: Mapping[str, Any] = field(default_factory=_empty, compare=False)

    @classmethod
    def from_json(cls, raw: object, where: str = "residual_mr") -> ResidualMR:
        r = _object(raw, where)
        return cls(_enum(r, "total_grade", MRGrade, where), _text(r, "basis", where),
                   _extra(r, ("total_grade", "basis")))

    def to_json(self) -> JSON:
        return _out((("total_grade", self.total_grade), ("basis", self.basis)), self.extra)


@dataclass(frozen=True, slots=True)
class Calculation:
    """A calculation entry (``calculations[]``): its id and type; its inputs (mark ids, numbers) are
    read by ``measurements.compute`` and kept in ``extra``."""

    id: str
    type: str
    extra: Mapping[str, Any] = field(default_factory=_empty, compare=False)

    @classmethod
    def from_json(cls, raw: object, where: str) -> Calculation:
        c = _object(raw, where)
        return cls(_text(c, "id", where), _text(c, "type", where), _extra(c, ("id", "type")))

    def to_json(self) -> JSON:
        return _out((("id", self.id), ("type", self.type)), self.extra)


@dataclass(frozen=True, slots=True)
class Findings:
    """All typed findings of one case, as parsed at the case-file boundary."""

    devices: tuple[Device, ...] = ()
    jets: tuple[Jet, ...] = ()
    leaflets: Leaflets = field(default_factory=Leaflets)
    context: ClinicalContext = field(default_factory=ClinicalContext)
    rhythm: Rhythm | None = None  # study.rhythm
    residual_mr: ResidualMR = field(default_factory=ResidualMR)
    calculations: tuple[Calculation, ...] = ()
    priors: tuple[Prior, ...] = ()
    report: ReportText = field(default_factory=lambda: ReportText())
    signoff: SignOff | None = None
    amends: Amends | None = None

    @property
    def total_mr_grade(self) -> MRGrade | None:
        """The integrated total: ``residual_mr.total_grade``, else the overall grade 0.1.0 kept in
        ``context.mr_grade``; never derived from the jets."""
        return self.residual_mr.total_grade or self.context.mr_grade

    def device(self, device_id: str) -> Device | None:
        return next((d for d in self.devices if d.id == device_id), None)


def parse_findings(devices: list[Any], jets: list[Any], leaflets: object, context: object,
                   study: Mapping[str, Any], residual_mr: object = None,
                   calculations: Sequence[Any] = (), *, priors: object = None, report: object = None,
                   signoff: object = None, amends: object = None) -> Findings:
    """Every finding of a case typed; ValueError naming the first bad field."""
    if priors is not None and not isinstance(priors, list):
        raise ValueError(f"priors must be a list (got {priors!r})")
    return Findings(tuple(Device.from_json(d, f"devices[{i}]") for i, d in enumerate(devices)),
                    tuple(Jet.from_json(j, f"jets[{i}]") for i, j in enumerate(jets)),
                    Leaflets.from_json(leaflets), ClinicalContext.from_json({} if context is None else context),
                    _enum(study, "rhythm", Rhythm, "study"),
                    ResidualMR.from_json({} if residual_mr is None else residual_mr),
                    tuple(Calculation.from_json(c, f"calculations[{i}]") for i, c in enumerate(calculations)),
                    tuple(Prior.from_json(p, f"priors[{i}]") for i, p in enumerate(priors or [])),
                    ReportText.from_json({} if report is None else report),
                    None if signoff is None else SignOff.from_json(signoff),
                    None if amends is None else Amends.from_json(amends))


def _required(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = _text(raw, key, where)
    if not value:
        raise ValueError(f"{where}.{key} is required")
    return value


def _date(raw: Mapping[str, Any], key: str, where: str) -> str:
    """An ISO date ``YYYY-MM-DD`` (or not recorded)."""
    value = _text(raw, key, where)
    if value:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{where}.{key} must be a date YYYY-MM-DD (got {value!r})") from None
    return value


def _timestamp(raw: Mapping[str, Any], key: str, where: str) -> str:
    """A required ISO 8601 date and time (``2026-12-03T15:20:00+00:00``)."""
    value = _required(raw, key, where)
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{where}.{key} must be an ISO 8601 date and time (got {value!r})") from None
    return value


def _checksum(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = _required(raw, key, where)
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError(f"{where}.{key} must be a SHA-256 hex digest (got {value!r})")
    return value


_PRIOR_KEYS = ("case", "role", "date")


@dataclass(frozen=True, slots=True)
class Prior:
    """An earlier case of the same patient (``priors[]``): its case file (absolute or relative to this
    case file), what it was, and when."""

    case: str
    role: PriorRole
    date: str = ""  # YYYY-MM-DD
    extra: Mapping[str, Any] = field(default_factory=_empty, compare=False)

    @classmethod
    def from_json(cls, raw: object, where: str) -> Prior:
        p = _object(raw, where)
        role = _enum(p, "role", PriorRole, where)
        if role is None:
            raise ValueError(f"{where}.role is required")
        return cls(_required(p, "case", where), role, _date(p, "date", where), _extra(p, _PRIOR_KEYS))

    def to_json(self) -> JSON:
        return _out((("case", self.case), ("role", self.role), ("date", self.date)), self.extra)


_REPORT_KEYS = ("reader", "operator", "impression", "recommendation")


@dataclass(frozen=True, slots=True)
class ReportText:
    """What the reader writes into the report (``report``): who read and who operated, the free-text
    impression and recommendation."""

    reader: str = ""
    operator: str = ""
    impression: str = ""
    recommendation: str = ""
    extra: Mapping[str, Any] = field(default_factory=_empty, compare=False)

    @classmethod
    def from_json(cls, raw: object, where: str = "report") -> ReportText:
        r = _object(raw, where)
        return cls(_text(r, "reader", where), _text(r, "operator", where), _text(r, "impression", where),
                   _text(r, "recommendation", where), _extra(r, _REPORT_KEYS))

    def to_json(self) -> JSON:
        return _out(tuple((k, getattr(self, k)) for k in _REPORT_KEYS), self.extra)


@dataclass(frozen=True, slots=True)
class SignOff:
    """The sign-off of a case (``signoff``): who, when, and the SHA-256 of the case version signed."""

    by: str
    at: str  # ISO 8601
    case_checksum: str
    extra: Mapping[str, Any] = field(default_factory=_empty, compare=False)

    @classmethod
    def from_json(cls, raw: object, where: str = "signoff") -> SignOff:
        s = _object(raw, where)
        return cls(_required(s, "by", where), _timestamp(s, "at", where), _checksum(s, "case_checksum", where),
                   _extra(s, ("by", "at", "case_checksum")))

    def to_json(self) -> JSON:
        return _out((("by", self.by), ("at", self.at), ("case_checksum", self.case_checksum)), self.extra)


@dataclass(frozen=True, slots=True)
class Amends:
    """The signed version an amended case replaces (``amends``); ``previous`` is what that version
    itself amended, so the chain of versions is kept."""

    case_checksum: str
    signed_by: str
    signed_at: str
    previous: Amends | None = None
    extra: Mapping[str, Any] = field(default_factory=_empty, compare=False)

    @classmethod
    def from_json(cls, raw: object, where: str = "amends") -> Amends:
        a = _object(raw, where)
        previous = a.get("amends")
        return cls(_checksum(a, "case_checksum", where), _required(a, "signed_by", where),
                   _timestamp(a, "signed_at", where),
                   None if previous is None else Amends.from_json(previous, f"{where}.amends"),
                   _extra(a, ("case_checksum", "signed_by", "signed_at", "amends")))

    def to_json(self) -> JSON:
        return _out((("case_checksum", self.case_checksum), ("signed_by", self.signed_by),
                     ("signed_at", self.signed_at),
                     ("amends", None if self.previous is None else self.previous.to_json())), self.extra)
