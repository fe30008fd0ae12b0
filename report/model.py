"""The report model: everything the PDF, JSON, SR and key images show, as plain frozen data.

``report.build`` fills it from a case; the renderers only read it. Strings are kept as entered
(never pre-escaped): each renderer escapes for its own format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from measurements import concepts, selection
from measurements.plausibility import is_held
from planning import model as findings
from planning.assessment import Assessment
from report.plane_words import ValveFrame

REPORT_FORMAT = "mitraplan-report"
REPORT_VERSION = 1


def unit_display(unit: str) -> str:
    """``cm2`` → ``cm²``; unknown units unchanged (``measurements.concepts.unit_text``)."""
    return concepts.unit_text(unit)


@dataclass(frozen=True, slots=True)
class Header:
    """Who, what, when: patient and study identification, author and provenance."""

    patient_name: str = ""
    patient_id: str = ""
    birth_date: str = ""  # YYYYMMDD
    sex: str = ""
    study_instance_uid: str = ""
    study_date: str = ""  # YYYYMMDD
    study_time: str = ""
    accession_number: str = ""
    study_description: str = ""
    institution: str = ""
    operator: str = ""
    indication: str = ""
    created: str = ""  # ISO 8601
    software: str = "MitraPlan"
    software_version: str = ""
    case_file: str = ""
    case_sha256: str = ""
    anonymised: bool = False
    signed_by: str = ""  # the case's sign-off (docs/case-file.md): who, when (ISO 8601), which version
    signed_at: str = ""
    signed_case_sha256: str = ""


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A source image of the study: what the SR and key images reference."""

    sop_instance_uid: str
    sop_class_uid: str = ""
    series_instance_uid: str = ""
    path: str = ""
    frames: int = 1
    rows: int = 0
    columns: int = 0


@dataclass(frozen=True, slots=True)
class Mark:
    """A user mark as placed, in DICOM image coordinates (SCOORD convention)."""

    id: str
    type: str  # distance | area | doppler_trace | point
    label: str
    sop_instance_uid: str
    frame_number: int  # 1-based
    region: int | None  # None for a 3D mark
    points: tuple[tuple[float, float], ...]
    purpose: str = ""
    #: a 3D mark's points in mm of its volume (then ``points`` is empty and ``region`` None)
    points3d: tuple[tuple[float, float, float], ...] = ()
    #: the MPR plane a 3D mark was drawn in: origin, row and column directions (mm), if recorded
    plane: tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]] | None = None


@dataclass(frozen=True, slots=True)
class Grade:
    scheme: str
    label: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measurement as in the ``mitraplan measure`` contract, plus its method text."""

    id: str
    label: str
    quantity: str
    value: float
    unit: str
    source: tuple[str, ...] = ()
    grades: tuple[Grade, ...] = ()
    warnings: tuple[str, ...] = ()
    method: str = ""
    beat: int | None = None  # 1-based beat of a multi-beat trace (None: a whole trace or an average)
    beats: int | None = None  # beats averaged (None: not an average)
    sd: float | None = None  # sample SD over the beats, in ``unit`` (None: one beat or not an average)

    @property
    def shown(self) -> str:
        """The number as printed (the registry's precision, decimal half-up, docs/clinical-criteria.md §0):
        ``measurements.concepts.number_text``."""
        return concepts.number_text(self.quantity, self.value)

    @property
    def text(self) -> str:
        """The number with its unit as every output prints it, e.g. ``"6.6 mmHg"`` (report.json ``shown``)."""
        return concepts.value_text(self.quantity, self.value, self.unit)

    @property
    def averaged(self) -> str:
        """How the value was averaged, e.g. ``"mean of 3 beats, SD 0.1 mmHg"`` ("" when it is not an average)."""
        if self.beats is None:
            return ""
        sd = "" if self.sd is None else f", SD {concepts.value_text(self.quantity, self.sd, self.unit)}"
        return f"mean of {self.beats} beats{sd}"

    @property
    def held(self) -> bool:
        """A plausibility gate holds the value (not used by any summary or rule until confirmed)."""
        return is_held(self)


def _value(member: object) -> str:
    return "" if member is None else str(member)


@dataclass(frozen=True, slots=True)
class Device:
    """A device as printed: ``planning.model.Device`` read into display text (``of``), "" = not recorded."""

    id: str
    kind: str
    model: str = ""
    segment: str = ""
    attachment: str = ""
    notes: str = ""
    position: str = ""  # medial | central | lateral | commissural, as entered
    orientation: str = ""  # perpendicular | rotated
    rotation_deg: float = 0.0  # clockwise on the surgical view, when rotated
    #: tied to a point of a 3D volume (False: placed schematically from its segment)
    tied_3d: bool = False
    #: where the volume puts it on the clip map, t and s of ``planning.enface`` (None: untied, or its
    #: volume's annulus is not aligned)
    map_t: float | None = None
    map_s: float | None = None

    @classmethod
    def of(cls, d: findings.Device) -> Device:
        return cls(d.id, _value(d.kind), _value(d.model), _value(d.segment), _value(d.attachment), d.notes,
                   _value(d.position), _value(d.orientation), d.rotation, *_tie_of(d.tie))

    @property
    def map_ts(self) -> tuple[float, float] | None:
        """(t, s) where the volume puts it on the clip map, if it does."""
        return None if self.map_t is None or self.map_s is None else (self.map_t, self.map_s)


@dataclass(frozen=True, slots=True)
class Jet:
    """A jet as printed: ``planning.model.Jet`` with its measured numbers (``of``)."""

    id: str
    location: str
    segment: str = ""
    grade: str = ""
    vena_contracta_cm: float | None = None
    notes: str = ""
    eroa_cm2: float | None = None  # PISA EROA of the jet's calculation, if any
    devices: tuple[str, ...] = ()  # ids of the device(s) a para-/inter-device jet is beside
    tied_3d: bool = False  # as ``Device.tied_3d``
    map_t: float | None = None  # as ``Device.map_t``
    map_s: float | None = None

    @classmethod
    def of(cls, j: findings.Jet, vena_contracta_cm: float | None = None, eroa_cm2: float | None = None) -> Jet:
        return cls(j.id, _value(j.location), _value(j.segment), _value(j.grade), vena_contracta_cm, j.notes,
                   eroa_cm2, j.devices, *_tie_of(j.tie))

    @property
    def map_ts(self) -> tuple[float, float] | None:
        """(t, s) where the volume puts it on the clip map, if it does."""
        return None if self.map_t is None or self.map_s is None else (self.map_t, self.map_s)


def _tie_of(tie: findings.Tie3D | None) -> tuple[bool, float | None, float | None]:
    """(tied, t, s on the clip map) of a 3D tie, as the clip map reads them (the volume's UID stays in the case)."""
    if tie is None or tie.placed is None:
        return tie is not None, None, None
    return True, tie.placed.t, tie.placed.s


@dataclass(frozen=True, slots=True)
class LeafletSegment:
    segment: str
    length_cm: float | None = None
    calcification: str = ""
    grasped_by: str = ""
    notes: str = ""
    calcification_in_grasp_zone: bool = False


@dataclass(frozen=True, slots=True)
class Space:
    """A measured space beside the devices; ``kind`` is lateral | medial | inter-device (or "" if not given)."""

    label: str
    distance_cm: float
    kind: str = ""


@dataclass(frozen=True, slots=True)
class Leaflets:
    tear_or_perforation: bool = False
    notes: str = ""
    segments: tuple[LeafletSegment, ...] = ()
    spaces: tuple[Space, ...] = ()
    mac: str = ""  # mitral annular calcification: none | mild | moderate | severe (as entered)


@dataclass(frozen=True, slots=True)
class KeyImage:
    """A flagged frame with the marks drawn on it; ``png`` is filled once the image is written."""

    id: str
    sop_instance_uid: str
    frame_number: int
    label: str
    mark_ids: tuple[str, ...] = ()
    png: str = ""


#: Clinical-context entries the report prints (case ``context``), with their labels; none identifies a patient.
CONTEXT_LABELS: dict[str, str] = {
    "etiology": "MR etiology at index", "rhythm": "Rhythm", "surgical_risk": "Surgical risk",
    "mr_grade": "Overall residual MR (clinician)", "tmvr_anatomy": "TMVR anatomy",
    "concomitant_surgical_indication": "Concomitant surgical indication", "device_width_mm": "Candidate device width (mm)",
}


@dataclass(frozen=True, slots=True)
class Report:
    """The whole planning report."""

    header: Header
    devices: tuple[Device, ...]
    jets: tuple[Jet, ...]
    leaflets: Leaflets
    measurements: tuple[Measurement, ...]
    assessment: Assessment
    images: tuple[ImageRef, ...] = ()
    marks: tuple[Mark, ...] = ()
    key_images: tuple[KeyImage, ...] = ()
    notes: str = ""
    errors: tuple[str, ...] = ()
    context: dict[str, Any] = field(default_factory=dict)  # clinical context entered with the case
    #: quantity -> id of the measurement every output quotes for it (the beat average where there are beats)
    selected_ids: dict[str, str] = field(default_factory=dict)
    comparison: dict[str, Any] | None = None  # against the latest prior study (report/compare_section.py)
    reporting: dict[str, Any] | None = None  # reader, impression, sign-off (report/reporting.py)
    #: SOP Instance UID of a volume -> its aligned annulus (``report.build.valve_frames``), which MPR planes are
    #: described relative to (report.plane_words); a volume not in it says "no annulus alignment"
    valves: dict[str, ValveFrame] = field(default_factory=dict, compare=False)  # numpy inside: no ==

    def by_id(self, result_id: str) -> Measurement | None:
        return next((m for m in self.measurements if m.id == result_id), None)

    def selected(self, quantity: str) -> Measurement | None:
        """The one value of ``quantity`` every part of the report quotes (``selected``: chosen once, by
        ``planning.findings.selected``, when the report was built), if the case has one."""
        rid = self.selected_ids.get(quantity)
        return None if rid is None else self.by_id(rid)

    def members(self, average: Measurement) -> list[Measurement]:
        """The measurements averaged into ``average`` (its beats, or its traces' averages)."""
        return selection.members(average, self.measurements)

    def heart_rate_of(self, m: Measurement) -> Measurement | None:
        """The heart rate measured over the same beats as ``m`` (same marks; the beat's own for one beat), if any."""
        if m.quantity == "heart_rate":
            return None
        rates = [r for r in self.measurements if r.quantity == "heart_rate" and r.beat == m.beat and not r.held
                 and set(r.source) == set(m.source)]
        chosen = self.selected("heart_rate")
        return chosen if chosen in rates else (rates[0] if rates else None)

    def mark(self, mark_id: str) -> Mark | None:
        return next((m for m in self.marks if m.id == mark_id), None)

    def image(self, sop_instance_uid: str) -> ImageRef | None:
        return next((i for i in self.images if i.sop_instance_uid == sop_instance_uid), None)
