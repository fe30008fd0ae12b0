"""The report as a DICOM Comprehensive SR: TID 5200 Adult Echocardiography Procedure Report, in the
study, new series.

Measurements use the adult-echo codes of the quantity registry (measurements.concepts: TID 5200
family, LOINC/SCT/DCM) with UCUM units, in one TID 5202 Findings section per structure and one
Measurement Group per image mode (``report.sr_tid5200``). Per-beat values carry Derivation
"Measured", the value chosen from the beats Derivation "Mean", Selection Status and the number of
beats; each references its image, frame and the SCOORD of its marks. Marks are already in SCOORD
image coordinates, so points are written as they are (a trace of more than 2 000 points simplified within
0.25 px: planning.limits.display_points). Values a plausibility gate holds are left out.
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
from typing import Any, TypeVar

import highdicom as hd
import numpy as np
from highdicom.coding_schemes import CodingSchemeIdentificationItem
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

from measurements import concepts, plausibility
from measurements.concepts import PRIVATE_SCHEME, Coded
from planning.limits import display_points
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


def _image_refs(report: Report, marks: Sequence[Mark]) -> list[hd.sr.SourceImageForMeasurement]:
    refs, seen = [], set()
    for mark in marks:
        image = report.image(mark.sop_instance_uid)
        key = (mark.sop_instance_uid, mark.frame_number)
        if image is None or key in seen:
            continue
        seen.add(key)
        frames = [mark.frame_number] if image.frames > 1 else None
        refs.append(hd.sr.SourceImageForMeasurement(image.sop_class_uid, image.sop_instance_uid, frames))
    return refs


def _coordinates(report: Report, marks: Sequence[Mark]) -> list[hd.sr.CoordinatesForMeasurement]:
    out = []
    for mark in marks:
        image = report.image(mark.sop_instance_uid)
        if image is None or not mark.points:  # a 3D mark (points in mm of a volume) has no 2D SCOORD
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
    """The concept for a measurement; distances of a leaflet keep the generic Length (no 131xxx in pydicom)."""
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


P_PLANNING = private("PLANNING", "TEER redo-planning findings (private, no standard codes)")


#: The flow a trace's purpose states: a velocity, gradient or VTI of an MR jet trace is regurgitant (systolic)
#: flow, though the registry codes those quantities for their usual mitral inflow.
_FLOW_OF_PURPOSE = {"mr_jet": code(concepts.REGURGITANT)}


def _coding(report: Report, m: Measurement) -> echo.Coding:
    c = measurement_concept(m)
    purposes = {mk.purpose for mk in (report.mark(i) for i in m.source) if mk is not None}
    flow = _FLOW_OF_PURPOSE.get(purposes.pop(), c.flow) if c.flow is not None and len(purposes) == 1 else c.flow
    return echo.Coding(c.name, UCUM[m.unit], c.site, c.method, flow, c.mode)


def _refs(report: Report, m: Measurement) -> list[hd.sr.ContentItem]:
    marks = [mk for mk in (report.mark(i) for i in m.source) if mk is not None]
    return [*_image_refs(report, marks), *_coordinates(report, marks)]


def _section_subjects(codings: Sequence[echo.Coding]) -> list[Code]:
    subjects = {s.value: s for s in (echo.section_subject(c.site) for c in codings)}
    order = echo.SECTION_ORDER
    return sorted(subjects.values(), key=lambda s: order.index(s.value) if s.value in order else len(order))


def _findings_sections(report: Report) -> list[hd.sr.ContainerContentItem]:
    """One Findings section per structure: measurements without an image mode directly in it (derived
    values), the others in one Measurement Group per image mode, each in report order."""
    ms = [m for m in report.measurements if exported(m)]
    codings = [_coding(report, m) for m in ms]
    roles = echo.beat_roles(ms)
    sections = []
    for subject in _section_subjects(codings):
        direct: list[hd.sr.ContentItem] = []
        by_mode: dict[str, tuple[Code, list[hd.sr.ContentItem]]] = {}
        for m, c in zip(ms, codings, strict=True):
            if echo.section_subject(c.site).value != subject.value:
                continue
            num = echo.echo_num(c, m, subject, _refs(report, m), roles.get(m.id))
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
    container.ContentSequence = hd.sr.ContentSequence([item for group in _groups(report) for item in group])
    return container


def _observation_context(report: Report) -> hd.sr.ObservationContext:
    device = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=hd.UID(), name="MitraPlan", manufacturer_name="MitraPlan project", model_name="MitraPlan",
            serial_number=report.header.software_version or "unknown"))
    return hd.sr.ObservationContext(observer_device_context=device)


def _referenced_images(report: Report) -> set[str]:
    """SOP Instance UIDs of the images the exported measurements reference (IMAGE and SCOORD items)."""
    marks = (report.mark(i) for m in report.measurements if exported(m) for i in m.source)
    return {mk.sop_instance_uid for mk in marks if mk is not None and report.image(mk.sop_instance_uid) is not None}


def _document(root: hd.sr.ContainerContentItem, evidence: Sequence[Dataset], referenced: set[str],
              **kwargs: Any) -> hd.sr.ComprehensiveSR:
    """highdicom's Comprehensive SR of the content tree ``root``, without its constructor's cost.

    The constructor deep-copies the whole tree, re-parses the copy into content items and searches it
    three times (evidence, SCOORD3D): about 0.1 s per measured mark, most of a report's export. The
    document is built around the root without its children (the same header, evidence sequences and
    root attributes), then the children are attached, as the constructor itself attaches them. The
    evidence check it made (every referenced image among ``evidence``) is made here from ``referenced``;
    the tree holds no SCOORD3D (marks are 2-D).
    """
    missing = referenced - {str(e.SOPInstanceUID) for e in evidence}
    if missing:
        raise ValueError("No evidence was provided for the following SOP instances, which are referenced in the "
                         f"document content: {', '.join(sorted(missing))}")
    children = root.ContentSequence
    root.ContentSequence = hd.sr.ContentSequence()  # highdicom searches the tree: give it an empty one
    sr = hd.sr.ComprehensiveSR(evidence=evidence, content=root, **kwargs)
    root.ContentSequence = children
    sr.ContentSequence = children
    sr._content = hd.sr.ContentSequence([root], is_root=True)  # what ``sr.content`` returns, as srread sets it
    return sr


def build_sr(report: Report, evidence: Sequence[Dataset], *, series_instance_uid: str | None = None,
             sop_instance_uid: str | None = None, patient_characteristics: bool = True) -> hd.sr.ComprehensiveSR:
    """The TID 5200 Comprehensive SR of ``report``; ``evidence`` are the headers of the referenced
    source images.

    Patient and study come from the report header (the case's bound study), not from whichever
    source sorts first; type-2 attributes a source lacks are written empty. An SR that will be
    de-identified is built without ``patient_characteristics`` (age and sex would stay in the content
    tree, which the PS3.15 header actions do not reach).
    """
    evidence = [study_reference(evidence[0], report.header), *evidence[1:]] if evidence else []
    patient = echo.patient_characteristics(report.header) if patient_characteristics else None
    content = echo.report_root(_observation_context(report), [
        *([patient] if patient is not None else []), *_findings_sections(report), _planning_section(report)])
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
    case is COMPLETE, VERIFIED (and FINAL) with the signer as Verifying Observer; otherwise PARTIAL,
    UNVERIFIED and PRELIMINARY."""
    if not header.signed_by:
        return {"is_complete": False, "is_final": False, "is_verified": False}
    return {"is_complete": True, "is_final": True, "is_verified": True,
            "verifying_observer_name": header.signed_by,
            "verifying_organization": header.institution or "(institution not recorded)"}


def _stamp_verification_time(sr: Dataset, header: Header) -> None:
    """The Verification DateTime is when the case was signed, not when the SR was written."""
    if header.signed_by and header.signed_at and "VerifyingObserverSequence" in sr:
        signed = datetime.fromisoformat(header.signed_at)
        sr.VerifyingObserverSequence[0].VerificationDateTime = signed.strftime("%Y%m%d%H%M%S%z")


def evidence_for(report: Report, headers: Mapping[str, Dataset]) -> list[Dataset]:
    """Headers of every image a mark of the report lies on (SOP Instance UID → dataset)."""
    used = {m.sop_instance_uid for m in report.marks}
    return [headers[uid] for uid in sorted(used) if uid in headers]
