"""The report as a DICOM Comprehensive SR: TID 5200 Adult Echocardiography Procedure Report, in the
study, new series.

Measurements use the adult-echo codes of the quantity registry (measurements.concepts: TID 5200
family, LOINC/SCT/DCM) with UCUM units, in one TID 5202 Findings section per structure and one
Measurement Group per image mode (``report.sr_tid5200``). Per-beat values carry Derivation
"Measured", the value chosen from the beats Derivation "Mean", Selection Status and the number of
beats; each references its image, frame and the SCOORD of its marks. Marks are already in SCOORD
image coordinates, so points are written as they are (a trace of more than 2 000 points simplified within
0.25 px: planning.limits.display_points). Values a plausibility gate holds are left out.

A measurement on 3D marks (placed on an MPR plane of a volume) references the volume instance with
the frames of its time point, sits in a 3D mode Measurement Group, and gives each mark a SCOORD3D
in mm of the volume's Frame of Reference (POLYGON for an area, closed, its vertices on their
best-fit plane; POLYLINE for a distance; POINT). The SR is then a Comprehensive 3D SR
(1.2.840.10008.5.1.4.1.1.88.34), the SR class that may hold SCOORD3D; without a volume it stays a
Comprehensive SR. A volume without a Frame of Reference UID (the Philips QLAB Cartesian export has
none) cannot anchor a SCOORD3D: its marks get a text comment saying so, and the image reference
(the whole instance: the export's Number of Frames cannot be trusted) names the volume.

Devices, segments, jet locations and the decision-support statuses have no standard codes: they are
in a separate container of the private scheme ``99TEERPLAN``, declared in the Coding Scheme
Identification Sequence, as are the registry's private method codes
(measurements.concepts.PRIVATE_CODES).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar, cast

import highdicom as hd
import numpy as np
from highdicom.coding_schemes import CodingSchemeIdentificationItem
from pydicom.dataset import Dataset
from pydicom.filewriter import correct_ambiguous_vr
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code
from pydicom.uid import generate_uid

from imaging.errors import ImagingError
from imaging.volume import PHILIPS_CARTESIAN, is_volume_sop_class, volume_info_from_dataset
from measurements import concepts, plausibility
from measurements.concepts import PRIVATE_SCHEME, Coded
from measurements.geometry3d import best_fit_plane
from planning.imported import quoted_sr
from planning.limits import display_points
from planning.signoff import dicom_person_name, person_name_problem
from planning.vocab import Attachment, DeviceKind, DeviceModelName, JetClass, JetLocation, SegmentPair
from report import sr_tid5200 as echo
from report.dicom_study import stamp_study, study_reference
from report.model import Header, Mark, Measurement, Report

E = TypeVar("E", bound=StrEnum)

SR_SERIES_NUMBER = 9901


def code(c: Coded) -> Code:
    """The pydicom code of a registry concept."""
    return Code(c.value, c.scheme, c.meaning)


#: App unit -> UCUM code (measurements.concepts.UCUM).
UCUM: dict[str, Code] = {unit: code(c) for unit, c in concepts.UCUM.items()}


@dataclass(frozen=True, slots=True)
class Concept:
    """How one quantity is coded: concept name, method, flow direction, image mode, finding site."""

    name: Code
    method: Code | None = None
    flow: Code | None = None
    mode: Code | None = None
    site: Code = codes.SCT.MitralValve


def _concept(sr: concepts.SRConcept) -> Concept:
    def opt(c: Coded | None) -> Code | None:
        return None if c is None else code(c)

    return Concept(code(sr.name), opt(sr.method), opt(sr.flow), opt(sr.mode), code(sr.site))


#: Quantity -> SR concept, for every quantity the registry exports (the others carry a reason there).
CONCEPTS: dict[str, Concept] = {q.name: _concept(q.sr) for q in concepts.QUANTITIES.values() if q.sr is not None}

_GRAPHIC = {"distance": "POLYLINE", "area": "POLYLINE", "doppler_trace": "POLYLINE", "point": "POINT"}
#: SCOORD3D graphic type of a 3D mark (an area is a closed POLYGON: PS3.3 C.18.9.1.2)
_GRAPHIC_3D = {"distance": "POLYLINE", "area": "POLYGON", "point": "POINT"}


def private(value: str, meaning: str) -> Code:
    """A concept of the private TEER planning scheme (value ≤ 16 characters, meaning ≤ 64)."""
    return Code(value[:16], PRIVATE_SCHEME, meaning[:64])


P_DEVICE = private("DEVICE", "Implanted TEER device")
P_SYSTEM = private("DEV-SYSTEM", "TEER device system")
P_ATTACH = private("DEV-ATTACH", "Device attachment status")
P_SEGMENT = private("SEGMENT", "Carpentier segment")
P_JET = private("JET", "Residual MR jet")
P_JET_LOC = private("JET-LOC", "Residual jet location class")
P_GRADE = private("GRADE", "Clinician residual MR grade")
P_OPTION = private("OPTION", "Redo-intervention option")
P_STATUS = private("OPT-STATUS", "What the findings say about the option")


def coding_scheme() -> CodingSchemeIdentificationItem:
    return CodingSchemeIdentificationItem(
        designator=PRIVATE_SCHEME, name="MitraPlan TEER redo-planning concepts", version="1",
        responsible_organization="MitraPlan project (private, see report.sr)")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", text.upper()).strip("-")[:12] or "UNKNOWN"


#: The device system coded in the SR, by vocabulary system (PASCAL Ace is coded apart from PASCAL).
_SYSTEMS = {DeviceKind.MITRACLIP: "MitraClip", DeviceKind.PASCAL: "PASCAL", DeviceKind.OTHER: "other"}
#: The attachment coded in the SR, by vocabulary value: (code value, meaning). Each value is its own
#: code (the two SLDA sides used to share the truncated "ATT-SINGLE-LEAFL").
_ATTACHMENTS = {
    Attachment.STABLE: ("ATT-STABLE", "stable bileaflet attachment"),
    Attachment.SLDA_ANTERIOR: ("ATT-SLDA-ANT", "single-leaflet device attachment anterior"),
    Attachment.SLDA_POSTERIOR: ("ATT-SLDA-POST", "single-leaflet device attachment posterior"),
    Attachment.LLI: ("ATT-LLI", "loss of leaflet insertion"),
    Attachment.DETACHED: ("ATT-DETACHED", "detached"),
}


def _member(enum: type[E], value: str) -> E | None:
    return next((m for m in enum if m.value == value), None)


def device_system_code(kind: str, model: str) -> Code:
    """The coded device system of a vocabulary system and model ("other" when not recorded)."""
    system_kind = _member(DeviceKind, kind)
    system = _SYSTEMS[system_kind] if system_kind is not None else "other"
    if system_kind is DeviceKind.PASCAL and _member(DeviceModelName, model) is DeviceModelName.ACE:
        system = "PASCAL Ace"
    return private(f"SYS-{_slug(system)}", system)


def attachment_code(attachment: str) -> Code:
    """The coded attachment of a vocabulary value ("attachment unknown" when unknown or not recorded)."""
    member = _member(Attachment, attachment)
    value, meaning = _ATTACHMENTS.get(member, ("ATT-UNKNOWN", "attachment unknown")) if member is not None else (
        "ATT-UNKNOWN", "attachment unknown")
    return private(value, meaning)


def segment_code(segment: str) -> Code:
    """The coded segment pair (``SEG-A2P2``), "unspecified" when not recorded."""
    pair = _member(SegmentPair, segment)
    if pair is None:
        return private("SEG-NA", "Mitral segment unspecified")
    return private(f"SEG-{''.join(pair.scallops)}", f"Mitral segment {pair.value}")


@dataclass(frozen=True, slots=True)
class VolumeRef:
    """What the SR needs of a volume 3D marks lie in: its Frame of Reference UID ("" when the file has
    none) and the 1-based frames of each time point (empty: reference the whole instance)."""

    frame_of_reference_uid: str
    timepoint_frames: tuple[tuple[int, ...], ...] = ()
    name: str = ""

    def frames(self, timepoint: int) -> list[int] | None:
        """The frames of time point ``timepoint`` (1-based), None when they cannot be named."""
        if 1 <= timepoint <= len(self.timepoint_frames):
            return list(self.timepoint_frames[timepoint - 1])
        return None


def volume_refs(report: Report, evidence: Sequence[Dataset]) -> dict[str, VolumeRef]:
    """SOP Instance UID → VolumeRef of every volume among ``evidence`` (headers, read in imaging.volume)."""
    out = {}
    for ds in evidence:
        sop_class, uid = str(ds.get("SOPClassUID", "")), str(ds.get("SOPInstanceUID", ""))
        if not is_volume_sop_class(sop_class):
            continue
        image = report.image(uid)
        path = Path(image.path) if image is not None and image.path else Path(uid)
        frames: tuple[tuple[int, ...], ...] = ()
        if sop_class != PHILIPS_CARTESIAN:  # the export's Number of Frames fits neither count: no frame numbers
            try:
                frame_map = volume_info_from_dataset(ds, path, None).frame_map
                frames = tuple(tuple(sorted(i + 1 for i in t)) for t in frame_map)
            except ImagingError:
                frames = ()
        out[uid] = VolumeRef(str(ds.get("FrameOfReferenceUID", "") or "").strip(), frames, path.name)
    return out


def _frames(image_frames: int, mark: Mark, volume: VolumeRef | None) -> list[int] | None:
    """The frames a mark's image reference names: a 3D mark's time point in its volume, else its frame."""
    if mark.points3d:
        return volume.frames(mark.frame_number) if volume is not None else None
    return [mark.frame_number] if image_frames > 1 else None


def _image_refs(report: Report, marks: Sequence[Mark], volumes: Mapping[str, VolumeRef]
                ) -> list[hd.sr.SourceImageForMeasurement]:
    refs, seen = [], set()
    for mark in marks:
        image = report.image(mark.sop_instance_uid)
        key = (mark.sop_instance_uid, mark.frame_number)
        if image is None or key in seen:
            continue
        seen.add(key)
        frames = _frames(image.frames, mark, volumes.get(mark.sop_instance_uid))
        refs.append(hd.sr.SourceImageForMeasurement(image.sop_class_uid, image.sop_instance_uid, frames))
    return refs


def scoord3d_points(mark: Mark) -> np.ndarray:
    """The SCOORD3D graphic data (n × 3, mm) of a 3D mark: an area's vertices moved onto their
    best-fit plane (a POLYGON must be coplanar; the area was measured in that plane, within
    measurements.geometry3d.PLANARITY_TOLERANCE_MM) and closed by repeating the first."""
    points = np.asarray(mark.points3d, dtype=float)
    if mark.type != "area":
        return points
    plane = best_fit_plane(points)
    points = points - np.outer((points - plane.centroid) @ plane.normal, plane.normal)
    return np.vstack([points, points[:1]])


def _coordinates_3d(mark: Mark, volume: VolumeRef | None) -> hd.sr.ContentItem:
    """A 3D mark's SCOORD3D in its volume's Frame of Reference, else a comment saying why there is none."""
    if volume is not None and volume.frame_of_reference_uid:
        return hd.sr.CoordinatesForMeasurement3D(_GRAPHIC_3D[mark.type], scoord3d_points(mark),
                                                 volume.frame_of_reference_uid)
    where = f"volume {volume.name}" if volume is not None and volume.name else "its volume"
    return hd.sr.TextContentItem(
        name=codes.DCM.Comment, relationship_type=hd.sr.RelationshipTypeValues.HAS_PROPERTIES,
        value=(f"Mark {mark.id} ({mark.label or mark.type}) was placed in 3D on time point {mark.frame_number} of "
               f"{where}, which has no Frame of Reference UID: its 3D coordinates (SCOORD3D) are not written")[:1024])


def _coordinates(report: Report, marks: Sequence[Mark], volumes: Mapping[str, VolumeRef]
                 ) -> list[hd.sr.ContentItem]:
    out: list[hd.sr.ContentItem] = []
    for mark in marks:
        image = report.image(mark.sop_instance_uid)
        if image is None:
            continue
        if mark.points3d:
            out.append(_coordinates_3d(mark, volumes.get(mark.sop_instance_uid)))
            continue
        points = [list(p) for p in display_points(mark.points)]  # a long trace simplified within 0.25 px
        if mark.type == "area" and points[0] != points[-1]:
            points.append(points[0])  # a closed POLYLINE is the SCOORD polygon
        frames = [mark.frame_number] if image.frames > 1 else None
        source = hd.sr.SourceImageForRegion(image.sop_class_uid, image.sop_instance_uid, frames)
        out.append(hd.sr.CoordinatesForMeasurement(_GRAPHIC.get(mark.type, "POLYLINE"),
                                                   np.asarray(points, dtype=float), source))
    return out


def measurement_concept(m: Measurement) -> Concept:
    """The registry concept of a measurement's quantity (``_coding`` narrows it by its mark's purpose)."""
    return CONCEPTS[m.quantity]


def exported(m: Measurement) -> bool:
    """True when the registry gives ``m``'s quantity an SR concept (else it lists why not) and no
    plausibility gate holds it (an unconfirmed implausible value never leaves the app as a number)."""
    return m.quantity in CONCEPTS and m.unit in UCUM and not plausibility.is_held(m)


def _finding_group(identifier: str, segment: str, evaluations: Sequence[tuple[Code, Code]]
                   ) -> hd.sr.MeasurementsAndQualitativeEvaluations:
    site = hd.sr.FindingSite(codes.SCT.MitralValve, topographical_modifier=segment_code(segment)) if segment \
        else hd.sr.FindingSite(codes.SCT.MitralValve)
    return hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier=identifier[:64]),
        finding_sites=[site],
        qualitative_evaluations=[hd.sr.QualitativeEvaluation(n, v) for n, v in evaluations])


def _groups(report: Report) -> list[hd.sr.MeasurementsAndQualitativeEvaluations]:
    groups: list[hd.sr.MeasurementsAndQualitativeEvaluations] = []
    for d in report.devices:
        groups.append(_finding_group(f"Device {d.id}", d.segment, [
            (P_DEVICE, private(f"DEV-{_slug(d.id)}", f"Device {d.id}")),
            (P_SYSTEM, device_system_code(d.kind, d.model)), (P_ATTACH, attachment_code(d.attachment))]))
    for j in report.jets:
        location = _member(JetLocation, j.location)
        cls = location.jet_class if location is not None else JetClass.OTHER
        evaluations = [(P_JET, private(f"JET-{_slug(j.id)}", f"Jet {j.id}")),
                       (P_JET_LOC, private(f"LOC-{_slug(cls)}", cls))]
        if j.grade:
            evaluations.append((P_GRADE, private(f"MR-{_slug(j.grade)}", j.grade)))
        groups.append(_finding_group(f"Jet {j.id}", j.segment, evaluations))
    groups.append(_finding_group("Decision support (heart team decides)", "", [
        (private(f"OPT-{_slug(o.key)}", o.name), private(f"ST-{_slug(o.status.value)}", o.status.value))
        for o in report.assessment.options]))
    return groups


#: On a value imported from another SR (and accepted): the SR instance that first reported it (UIDREF).
P_SOURCE_SR = private("SOURCE-SR", "SR instance the value was imported from")


def imported_properties(m: Measurement, anonymised: bool = False) -> list[hd.sr.ContentItem]:
    """What marks an imported value (an accepted ``planning.imported`` result) as not measured by
    MitraPlan: a Comment saying where it comes from, and the UID of the SR that first reported it
    (``P_SOURCE_SR``), by which an importer recognises the value when this SR comes back
    (``measurements.sr_import.SOURCE_SR``). Empty for MitraPlan's own values. An ``anonymised`` SR
    says only that the value was imported: the device, observer and SR UID identify the study."""
    uid = quoted_sr(m.id, m.method)
    if not uid:
        return []
    where = "imported from another system's SR" if anonymised else m.method
    comment = hd.sr.TextContentItem(name=codes.DCM.Comment,
                                    value=f"Not measured by MitraPlan: {where}, accepted by the clinician"[:1024],
                                    relationship_type=hd.sr.RelationshipTypeValues.HAS_PROPERTIES)
    if anonymised:
        return [comment]
    return [comment, hd.sr.UIDRefContentItem(name=P_SOURCE_SR, value=uid,
                                             relationship_type=hd.sr.RelationshipTypeValues.HAS_PROPERTIES)]


P_PLANNING = private("PLANNING", "TEER redo-planning findings (private, no standard codes)")


def on_volume(report: Report, m: Measurement) -> bool:
    """True when every mark ``m`` is measured on is a 3D mark (placed on an MPR plane of a volume)."""
    marks = [report.mark(i) for i in m.source]
    return bool(marks) and all(mk is not None and bool(mk.points3d) for mk in marks)


#: The flow a trace's purpose states: a velocity, gradient or VTI of an MR jet trace is regurgitant (systolic)
#: flow, though the registry codes those quantities for their usual mitral inflow.
_FLOW_OF_PURPOSE = {"mr_jet": code(concepts.REGURGITANT)}


def _single_mark(report: Report, m: Measurement) -> Mark | None:
    """The one mark ``m`` is measured on (None: a calculation over several, or none)."""
    return report.mark(m.source[0]) if len(m.source) == 1 else None


def _side(sr: concepts.SRConcept, label: str) -> Coded | None:
    """The topographical modifier of ``sr`` for a mark labelled ``label``: the only one, else the one option
    the label names as a word ("Lateral orifice area" → Lateral); None when it names none or both."""
    if len(sr.topographical) == 1:
        return sr.topographical[0]
    words = set(re.findall(r"[a-z]+", label.lower()))
    named = [t for t in sr.topographical if t.meaning.lower() in words]
    return named[0] if len(named) == 1 else None


def _purpose_coding(report: Report, m: Measurement) -> tuple[Concept, Code | None] | None:
    """The concept of ``m`` by the one purpose of its marks (``concepts.PURPOSE_SR``: a generic distance,
    area or duration, an LVOT trace's values) and its topographical modifier; None when the purpose adds
    none, or the marks' labels do not name one side."""
    marks = [mk for mk in (report.mark(i) for i in m.source) if mk is not None]
    purposes = {mk.purpose for mk in marks}
    sr = concepts.purpose_concept(m.quantity, purposes.pop()) if len(purposes) == 1 else None
    if sr is None:
        return None
    sides = {_side(sr, mk.label) for mk in marks} if sr.topographical else {None}
    side = sides.pop() if len(sides) == 1 else None
    if sr.topographical and side is None:
        return None
    return _concept(sr), None if side is None else code(side)


def _coding(report: Report, m: Measurement) -> echo.Coding:
    """The NUM coding of ``m``: what its mark's purpose says it measures; the flow its trace's purpose
    states; measured on a volume, its image mode is 3D mode (CID 12224), not 2D."""
    by_purpose = _purpose_coding(report, m)
    c, side = by_purpose if by_purpose is not None else (measurement_concept(m), None)
    purposes = {mk.purpose for mk in (report.mark(i) for i in m.source) if mk is not None}
    flow = _FLOW_OF_PURPOSE.get(purposes.pop(), c.flow) if c.flow is not None and len(purposes) == 1 else c.flow
    mode = code(concepts.MODE_3D) if c.mode is not None and on_volume(report, m) else c.mode
    return echo.Coding(c.name, UCUM[m.unit], c.site, c.method, flow, mode, side)


#: Quantities that say only "Length", "Area" or "Duration": their NUM carries the mark's label too.
_LABELLED = frozenset({"distance", "area", "duration", "time_interval"})


def _label_properties(report: Report, m: Measurement) -> list[hd.sr.ContentItem]:
    mark = _single_mark(report, m)
    return [echo.label_comment(mark.label)] if m.quantity in _LABELLED and mark is not None and mark.label else []


#: The aliasing velocity in a PISA result's method text (``measurements.compute.pisa_inputs_text``: "Va 0.385 m/s").
_VA = re.compile(r"\bVa (\d+(?:\.\d+)?) m/s")


def aliasing_entry(m: Measurement) -> tuple[echo.Coding, hd.sr.NumContentItem] | None:
    """The PISA aliasing velocity NUM (59130-5, LN) beside a PISA flow rate, as entered in its calculation."""
    found = _VA.search(m.method) if m.quantity == "pisa_flow" else None
    if found is None:
        return None
    c = _concept(concepts.PISA_ALIASING)
    coding = echo.Coding(c.name, UCUM["m/s"], c.site, c.method, c.flow, c.mode)
    value = str(concepts.round_half_up(float(found.group(1)), concepts.ALIASING_PRECISION))
    return coding, echo.input_num(coding, value)


def _refs(report: Report, m: Measurement, volumes: Mapping[str, VolumeRef]) -> list[hd.sr.ContentItem]:
    marks = [mk for mk in (report.mark(i) for i in m.source) if mk is not None]
    return [*_image_refs(report, marks, volumes), *_coordinates(report, marks, volumes)]


def _section_subjects(codings: Sequence[echo.Coding]) -> list[Code]:
    subjects = {s.value: s for s in (echo.section_subject(c.site) for c in codings)}
    order = echo.SECTION_ORDER
    return sorted(subjects.values(), key=lambda s: order.index(s.value) if s.value in order else len(order))


#: The case-file groups of the context values (``context.ct``, ``context.haemodynamics``).
_CONTEXT_GROUPS = ("ct", "haemodynamics")


def _context_entry(context: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    """The ``{"value", "source"}`` entry of context value ``key``, if the report's context has one."""
    for group in _CONTEXT_GROUPS:
        entries = context.get(group)
        entry = entries.get(key) if isinstance(entries, dict) else None
        if isinstance(entry, dict) and isinstance(entry.get("value"), int | float):
            return entry
    return None


def context_measurements(report: Report) -> list[Measurement]:
    """The context values the SR writes (``measurements.concepts.CONTEXT_CONCEPTS``): those with an SR
    concept, entered from a source of this study (``sr_sources``: TEE, the case's study). A value
    from another procedure or study is left out (``NOT_THIS_STUDY``), one taken from an imported SR
    too (``IMPORTED_IN_SR``: the imported measurement is written, marked)."""
    out = []
    for key, cc in concepts.CONTEXT_CONCEPTS.items():
        entry = _context_entry(report.context, key)
        if not cc.quantity or entry is None or entry.get("source") not in cc.sr_sources:
            continue
        q = concepts.quantity(cc.quantity)
        out.append(Measurement(f"context.{key}", q.label, q.name, float(entry["value"]), q.unit,
                               method=f"entered with the case by the clinician, source {entry['source']}"))
    return out


def _context_properties(m: Measurement) -> list[hd.sr.ContentItem]:
    """A context value says in words that it was entered, not measured on MitraPlan's marks."""
    text = f"Not measured by MitraPlan: {m.method} (this study)"
    return [hd.sr.TextContentItem(name=codes.DCM.Comment, value=text[:1024],
                                  relationship_type=hd.sr.RelationshipTypeValues.HAS_PROPERTIES)]


def _findings_sections(report: Report, volumes: Mapping[str, VolumeRef], deidentified: bool = False
                       ) -> list[hd.sr.ContainerContentItem]:
    """One Findings section per structure: measurements without an image mode directly in it (derived
    values, context values such as an entered RVSP), the others in one Measurement Group per image
    mode, each in report order; ``deidentified``: imported values without their source's names."""
    ms = [m for m in report.measurements if exported(m)]
    roles = echo.beat_roles(ms)
    entries: list[tuple[echo.Coding, hd.sr.NumContentItem]] = []
    for m in ms:
        c = _coding(report, m)
        subject = echo.section_subject(c.site)
        entries.append((c, echo.echo_num(c, m, subject, _refs(report, m, volumes), roles.get(m.id),
                                         [*_label_properties(report, m), *imported_properties(m, deidentified)])))
        aliasing = aliasing_entry(m)
        if aliasing is not None:
            entries.append(aliasing)
    for m in context_measurements(report):
        c = _coding(report, m)
        entries.append((c, echo.echo_num(c, m, echo.section_subject(c.site), [], None, _context_properties(m))))
    sections = []
    for subject in _section_subjects([c for c, _ in entries]):
        direct: list[hd.sr.ContentItem] = []
        by_mode: dict[str, tuple[Code, list[hd.sr.ContentItem]]] = {}
        for c, num in entries:
            if echo.section_subject(c.site).value != subject.value:
                continue
            if c.mode is None:
                direct.append(num)
            else:
                by_mode.setdefault(c.mode.value, (c.mode, []))[1].append(num)
        groups = [echo.measurement_group(mode, nums) for mode, nums in by_mode.values()]
        sections.append(echo.findings_section(subject, [*direct, *groups]))
    return sections


def _planning_section(report: Report) -> hd.sr.ContainerContentItem:
    """The private container of the planning findings (devices, jets, options), apart from TID 5200's."""
    container = hd.sr.ContainerContentItem(name=P_PLANNING, relationship_type=hd.sr.RelationshipTypeValues.CONTAINS)
    echo.set_children(container, [item for group in _groups(report) for item in group])
    return container


#: The Person Observer's Role in this Procedure (TID 1002, CID 7453) of the reader and the operator.
READER_ROLE = Code("C28747", "NCIt", "Reader")
OPERATOR_ROLE = codes.DCM.Performing  # 121094


def _person(name: str, role: Code) -> hd.sr.ObserverContext | None:
    """A TID 1002 person observer with ``name`` as a PN (``planning.signoff.dicom_person_name``); None
    when no name was entered or no PN can hold it as typed (the PDF still prints it)."""
    if not name.strip() or person_name_problem(name):
        return None
    return hd.sr.ObserverContext(
        observer_type=codes.DCM.Person,
        observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(
            name=dicom_person_name(name), role_in_procedure=role))


def _observation_context(report: Report, deidentified: bool = False) -> list[hd.sr.ContentItem]:
    """TID 1001: the reader and the operator (TID 1002 persons, when entered and not ``deidentified``),
    then MitraPlan (the device)."""
    reporting = {} if deidentified else report.reporting or {}
    operator = "" if deidentified else str(reporting.get("operator") or "") or report.header.operator
    people = [_person(str(reporting.get("reader") or ""), READER_ROLE), _person(operator, OPERATOR_ROLE)]
    device = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=hd.UID(), name="MitraPlan", manufacturer_name="MitraPlan project", model_name="MitraPlan",
            serial_number=report.header.software_version or "unknown"))
    return [item for observer in (*people, device) if observer is not None for item in observer]


def _referenced_images(report: Report) -> set[str]:
    """SOP Instance UIDs of the images the exported measurements reference (IMAGE and SCOORD items)."""
    marks = (report.mark(i) for m in report.measurements if exported(m) for i in m.source)
    return {mk.sop_instance_uid for mk in marks if mk is not None and report.image(mk.sop_instance_uid) is not None}


#: highdicom copies patient and study from the first evidence through its SOP class's IOD, which a
#: private class (the Philips Cartesian volume) has not: the copy then goes through this standard one.
_CARRIER_CLASS = "1.2.840.10008.5.1.4.1.1.3.1"  # Ultrasound Multi-frame Image: same Patient and Study modules


def _with(source: Dataset, **values: str) -> Dataset:
    """A copy of ``source`` with ``values`` set, the source untouched (``copy.copy`` of a pydicom
    Dataset shares its elements: setting one on the copy would change the caller's header)."""
    out = Dataset({tag: element for tag, element in source.items()})
    for keyword, value in values.items():
        if keyword in out:
            delattr(out, keyword)
        setattr(out, keyword, value)
    return out


def derived_series_uid(sop_instance_uid: str) -> str:
    """The Series Instance UID the SR's evidence gives an instance whose file has none (a Philips QLAB
    Cartesian export leaves it empty; the Hierarchical SOP Instance Reference needs one, Type 1): derived
    from its SOP Instance UID, so every SR of the case names the same one. It names no series an archive
    holds, as the file itself names none."""
    return str(generate_uid(entropy_srcs=["mitraplan-derived-series", sop_instance_uid]))


def _identified(source: Dataset, header: Header) -> Dataset:
    """``source`` with a Study and a Series Instance UID for the evidence sequences: where the file has
    none, the report's study (the case binds it) and ``derived_series_uid``."""
    values = {}
    if not str(source.get("StudyInstanceUID", "") or ""):
        values["StudyInstanceUID"] = header.study_instance_uid or derived_series_uid(f"study:{source.SOPInstanceUID}")
    if not str(source.get("SeriesInstanceUID", "") or ""):
        values["SeriesInstanceUID"] = derived_series_uid(str(source.SOPInstanceUID))
    return _with(source, **values) if values else source


def _private_class_first(evidence: Sequence[Dataset]) -> tuple[list[Dataset], str]:
    """``evidence`` with a private-class first item carried by a standard-class copy, and that item's
    class ("" when no stand-in was needed), to be put back into the evidence sequences."""
    first = evidence[0] if evidence else None
    if first is None or str(first.get("SOPClassUID", "")) != PHILIPS_CARTESIAN:
        return list(evidence), ""
    return [_with(first, SOPClassUID=_CARRIER_CLASS), *evidence[1:]], PHILIPS_CARTESIAN


def _restore_class(sr: Dataset, uid: str, sop_class: str) -> None:
    """Put the file's own SOP class back on the evidence entry of instance ``uid``."""
    for keyword in ("CurrentRequestedProcedureEvidenceSequence", "PertinentOtherEvidenceSequence"):
        for study in sr.get(keyword, []):
            for series in study.ReferencedSeriesSequence:
                for ref in series.ReferencedSOPSequence:
                    if ref.ReferencedSOPInstanceUID == uid:
                        ref.ReferencedSOPClassUID = sop_class


def _document(root: hd.sr.ContainerContentItem, evidence: Sequence[Dataset], referenced: set[str],
              **kwargs: Any) -> hd.sr.ComprehensiveSR | hd.sr.Comprehensive3DSR:
    """highdicom's Comprehensive SR of the content tree ``root``, without its constructor's cost; a
    Comprehensive 3D SR when the tree references a volume (its 3D marks carry SCOORD3D).

    The constructor deep-copies the whole tree, re-parses the copy into content items and searches it
    three times (evidence, SCOORD3D): about 0.1 s per measured mark, most of a report's export. The
    document is built around the root without its children (the same header, evidence sequences and
    root attributes), then the children are attached, as the constructor itself attaches them. The
    evidence check it made (every referenced image among ``evidence``) is made here from ``referenced``,
    and the SOP class is chosen here from it (SCOORD3D is written only for volumes).
    """
    missing = referenced - {str(e.SOPInstanceUID) for e in evidence}
    if missing:
        raise ValueError("No evidence was provided for the following SOP instances, which are referenced in the "
                         f"document content: {', '.join(sorted(missing))}")
    children = root.ContentSequence
    root.ContentSequence = hd.sr.ContentSequence()  # highdicom searches the tree: give it an empty one
    three_d = any(is_volume_sop_class(str(e.SOPClassUID)) for e in evidence if str(e.SOPInstanceUID) in referenced)
    document = hd.sr.Comprehensive3DSR if three_d else hd.sr.ComprehensiveSR
    carried, private_class = _private_class_first(evidence)
    sr = document(evidence=carried, content=root, **kwargs)
    if private_class:
        _restore_class(sr, str(evidence[0].SOPInstanceUID), private_class)
    root.ContentSequence = children
    sr.ContentSequence = children
    sr._content = hd.sr.ContentSequence([root], is_root=True)  # what ``sr.content`` returns, as srread sets it
    return sr


def build_sr(report: Report, evidence: Sequence[Dataset], *, series_instance_uid: str | None = None,
             sop_instance_uid: str | None = None, patient_characteristics: bool = True
             ) -> hd.sr.ComprehensiveSR | hd.sr.Comprehensive3DSR:
    """The TID 5200 Comprehensive SR of ``report`` (Comprehensive 3D SR when it measures on a volume);
    ``evidence`` are the headers of the referenced source images.

    Patient and study come from the report header (the case's bound study), not from whichever
    source sorts first; type-2 attributes a source lacks are written empty. An SR that will be
    de-identified is built without ``patient_characteristics``: the PS3.15 header actions do not reach
    the content tree, so it then also leaves out age and sex, the reader and operator person observers,
    and the device, observer and SR UID an imported value came from.
    """
    evidence = [_identified(e, report.header) for e in evidence]
    evidence = [study_reference(evidence[0], report.header), *evidence[1:]] if evidence else []
    patient = echo.patient_characteristics(report.header) if patient_characteristics else None
    volumes = volume_refs(report, evidence)
    deidentified = not patient_characteristics or report.header.anonymised
    content = echo.report_root(_observation_context(report, deidentified), [
        *([patient] if patient is not None else []), *_findings_sections(report, volumes, deidentified),
        _planning_section(report)])
    sr = _document(
        content, evidence, _referenced_images(report), series_instance_uid=series_instance_uid or hd.UID(),
        series_number=SR_SERIES_NUMBER, sop_instance_uid=sop_instance_uid or hd.UID(), instance_number=1,
        manufacturer="MitraPlan", **verification(report.header),
        series_description="MitraPlan echo measurements (TID 5200)", coding_schemes=[coding_scheme()],
        software_versions=report.header.software_version or "unknown")
    stamp_study(sr, report.header)
    _stamp_verification_time(sr, report.header)
    return sr


def verification(header: Header) -> dict[str, Any]:
    """Completion and verification of the SR from the case's sign-off (docs/case-file.md): a signed
    case is COMPLETE, VERIFIED (and FINAL) with the signer as Verifying Observer (the name as typed,
    a PN by ``planning.signoff.dicom_person_name``); otherwise PARTIAL, UNVERIFIED and PRELIMINARY."""
    if not header.signed_by:
        return {"is_complete": False, "is_final": False, "is_verified": False}
    return {"is_complete": True, "is_final": True, "is_verified": True,
            "verifying_observer_name": dicom_person_name(header.signed_by),
            "verifying_organization": header.institution or "(institution not recorded)"}


def _stamp_verification_time(sr: Dataset, header: Header) -> None:
    """The Verification DateTime is when the case was signed, not when the SR was written."""
    if header.signed_by and header.signed_at and "VerifyingObserverSequence" in sr:
        signed = datetime.fromisoformat(header.signed_at)
        sr.VerifyingObserverSequence[0].VerificationDateTime = signed.strftime("%Y%m%d%H%M%S%z")


def save_sr(sr: Dataset, path: Path) -> None:
    """Write ``sr`` as a DICOM file (Explicit VR Little Endian), the bytes ``sr.save_as(path,
    enforce_file_format=True)`` writes, with its ambiguous VRs corrected once for the whole tree.

    Why: pydicom's writer corrects the ambiguous VRs of every dataset it writes whose original encoding
    differs from the file's (all of a dataset built in memory), and each correction walks that dataset's
    whole subtree, so an SR's content tree (nested ten deep) is walked about depth × size times. Here the
    tree is corrected once from the root (what the writer's first correction does), every element read
    from a file is decoded (what the writer's re-correction also does), and each dataset is then marked as
    already in the file's encoding, so the writer writes it as it is. Local to this dataset: pydicom
    itself is not patched."""
    explicit_vr, little_endian = False, True
    datasets = _tree(sr)
    correct_ambiguous_vr(sr, little_endian)
    for item in datasets:
        item.set_original_encoding(explicit_vr, little_endian, item._character_set)
    sr.save_as(path, enforce_file_format=True)


def _tree(root: Dataset) -> list[Dataset]:
    """``root`` and every dataset nested in its sequences, each element read from a file decoded."""
    found, pending = [], [root]
    while pending:
        item = pending.pop()
        found.append(item)
        for elem in item.elements():
            if elem.is_raw:
                elem = item[elem.tag]
            if elem.VR == "SQ":
                pending.extend(cast(Sequence[Dataset], elem.value))
    return found


def evidence_for(report: Report, headers: Mapping[str, Dataset]) -> list[Dataset]:
    """Headers of every image a mark of the report lies on (SOP Instance UID → dataset)."""
    used = {m.sop_instance_uid for m in report.marks}
    return [headers[uid] for uid in sorted(used) if uid in headers]
