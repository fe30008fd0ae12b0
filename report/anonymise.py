"""Anonymised export: patient identifiers out of every output.

DICOM outputs get the PS3.15 Basic Application Level Confidentiality Profile (Table E.1-1 actions
for the attributes these objects can carry: identifiers emptied or removed, instance UIDs replaced
consistently, private tags removed) with the Clean Structured Content option: the SR content this
app writes holds measurements and codes, never a name. The report model gets the same treatment:
patient fields, dates, free-text notes, file names and instance UIDs (through the same UID map).

Free text the user typed (mark labels, key-image labels, notes, captions...) cannot be scrubbed by
attribute: ``free_text_hits`` finds the case's own identifiers in it (name parts, Patient ID, birth
date in the usual spellings, accession number, institution), so an anonymised export can be refused
until the user edits the text or confirms, and ``redact_free_text`` then removes each hit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import Enum

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from imaging.errors import InputError
from report.compare_section import anonymised_comparison
from report.model import CONTEXT_LABELS, Header, ImageRef, Report

#: PS3.15 Table E.1-1 actions (Z = empty, X = remove) for attributes our outputs can carry.
DUMMY = {"ContentDate": "19000101", "ContentTime": "000000"}  # Type 1 in the SR document module (action D)
EMPTY = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "AccessionNumber", "StudyID",
         "ReferringPhysicianName", "StudyDate", "StudyTime", "ContentCreatorName", "VerifyingObserverName")
REMOVE = ("PatientAge", "PatientSize", "PatientWeight", "PatientAddress", "PatientTelephoneNumbers",
          "OtherPatientIDs", "OtherPatientNames", "OtherPatientIDsSequence", "PatientBirthName",
          "PatientMotherBirthName", "PatientBirthTime", "EthnicGroup", "PatientComments", "AdditionalPatientHistory",
          "InstitutionName", "InstitutionAddress", "InstitutionalDepartmentName", "StationName",
          "OperatorsName", "PerformingPhysicianName", "NameOfPhysiciansReadingStudy", "PhysiciansOfRecord",
          "RequestingPhysician", "StudyDescription", "SeriesDescription", "DerivationDescription", "ImageComments",
          "DeviceSerialNumber", "SeriesDate", "SeriesTime", "AcquisitionDate", "AcquisitionTime",
          "AcquisitionDateTime", "InstanceCreationDate", "InstanceCreationTime",
          "ReferencedPatientSequence", "ReferencedStudySequence", "RequestAttributesSequence",
          "IssuerOfPatientID", "PatientInsurancePlanCodeSequence", "MedicalRecordLocator", "RequestedProcedureID",
          "ScheduledProcedureStepID", "PerformedProcedureStepID", "PerformedProcedureStepStartDate",
          "PerformedProcedureStepStartTime", "PerformedProcedureStepDescription", "VerifyingOrganization",
          "VerifyingObserverSequence", "ParticipantSequence", "ProtocolName")
#: Well-known UIDs (SOP classes, transfer syntaxes, coding schemes) are never replaced.
_DICOM_ROOT = "1.2.840.10008."
#: De-identification Method Code Sequence (CID 7050).
BASIC_PROFILE = ("113100", "Basic Application Confidentiality Profile")
CLEAN_STRUCTURED_CONTENT = ("113104", "Clean Structured Content Option")
ANONYMOUS = "ANONYMISED"
#: Action D for any other date or time, at any depth (e.g. ContributionDateTime (0018,A002) in the
#: Contributing Equipment Sequence): the basic profile without the Retain Longitudinal Temporal
#: Information option keeps no date of the study; a dummy keeps Type 1 content-item values valid.
DUMMY_BY_VR = {"DA": "19000101", "TM": "000000", "DT": "19000101000000"}


class UidMap:
    """Original UID → replacement UID (``2.25.<128-bit>``), salted per export, stable within it."""

    def __init__(self, salt: bytes | None = None) -> None:
        self._salt = salt if salt is not None else secrets.token_bytes(16)
        self._map: dict[str, str] = {}

    def __call__(self, uid: str) -> str:
        uid = str(uid)
        if not uid or uid.startswith(_DICOM_ROOT):
            return uid
        if uid not in self._map:
            digest = hashlib.sha256(self._salt + uid.encode("ascii", "replace")).digest()[:16]
            self._map[uid] = f"2.25.{int.from_bytes(digest, 'big')}"
        return self._map[uid]


def _scrub(ds: Dataset, uids: UidMap) -> None:
    for keyword in REMOVE:
        if keyword in ds:
            delattr(ds, keyword)
    for keyword in EMPTY:
        if keyword in ds:
            ds[keyword].value = None
    for keyword, dummy in DUMMY.items():
        if keyword in ds:
            ds[keyword].value = dummy
    ds.remove_private_tags()
    for element in list(ds):
        if element.VR in DUMMY_BY_VR and element.value and element.keyword not in DUMMY:
            element.value = DUMMY_BY_VR[element.VR]
        elif element.VR == "UI" and element.value:
            if element.VM > 1:
                element.value = [uids(v) for v in element.value]
            else:
                element.value = uids(element.value)
        elif element.VR == "SQ":
            for item in element.value:
                _scrub(item, uids)


def deidentify(ds: Dataset, uids: UidMap) -> Dataset:
    """Apply the basic profile to ``ds`` in place (file meta too) and record it; returns ``ds``."""
    _scrub(ds, uids)
    if getattr(ds, "file_meta", None) is not None and "MediaStorageSOPInstanceUID" in ds.file_meta:
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.PatientName = ANONYMOUS
    ds.PatientID = ANONYMOUS
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = ["PS3.15 Basic Profile", "Clean Structured Content Option"]
    codes = []
    for value, meaning in (BASIC_PROFILE, CLEAN_STRUCTURED_CONTENT):
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, "DCM", meaning
        codes.append(item)
    ds.DeidentificationMethodCodeSequence = DicomSequence(codes)
    return ds


def anonymise_report(report: Report, uids: UidMap) -> Report:
    """The report without patient identifiers, dates of the study, free text or file names."""
    h = report.header
    header = Header(patient_name=ANONYMOUS, patient_id=ANONYMOUS, study_instance_uid=uids(h.study_instance_uid),
                    study_description="TEE", created=h.created, software=h.software,
                    software_version=h.software_version, case_sha256=h.case_sha256, anonymised=True)
    images = tuple(ImageRef(uids(i.sop_instance_uid), i.sop_class_uid, uids(i.series_instance_uid), "", i.frames,
                            i.rows, i.columns) for i in report.images)
    marks = tuple(replace(m, sop_instance_uid=uids(m.sop_instance_uid)) for m in report.marks)
    keys = tuple(replace(k, sop_instance_uid=uids(k.sop_instance_uid), png="") for k in report.key_images)
    leaflets = replace(report.leaflets, notes="", segments=tuple(replace(s, notes="") for s in report.leaflets.segments))
    return replace(report, header=header, images=images, marks=marks, key_images=keys, leaflets=leaflets,
                   devices=tuple(replace(d, notes="") for d in report.devices),
                   jets=tuple(replace(j, notes="") for j in report.jets),
                   notes="", context={k: v for k, v in report.context.items() if k in CONTEXT_LABELS},
                   errors=tuple(_strip_paths(e) for e in report.errors),
                   comparison=anonymised_comparison(report.comparison), reporting=None,
                   valves={uids(uid): valve for uid, valve in report.valves.items()})


def _strip_paths(message: str) -> str:
    """Error messages name files; in an anonymised export keep only the reason after the last colon."""
    return message.rsplit(": ", 1)[-1] if "/" in message else message



# --- identifiers in free text -------------------------------------------------------------------

#: What replaces an identifier found in free text once the user confirmed the anonymised export.
REDACTED = "[removed]"
#: Report fields that hold ids, UIDs or file names, never text the user typed (the header holds the
#: identifiers themselves).
_NOT_FREE_TEXT = frozenset({"header", "id", "png", "path", "source", "mark_ids", "devices", "sop_instance_uid",
                            "sop_class_uid", "series_instance_uid"})
_MIN_NAME_PART = 2


@dataclass(frozen=True, slots=True)
class Identifier:
    """One identifier of the case as it could be typed: ``kind`` (e.g. "Patient ID") and a spelling."""

    kind: str
    value: str

    def pattern(self) -> re.Pattern[str]:
        """Case-insensitive, and not inside a longer word or number ("Ann" does not hit "Annulus")."""
        return re.compile(rf"(?<![0-9A-Za-z]){re.escape(self.value)}(?![0-9A-Za-z])", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FreeTextHit:
    """An identifier found in free text: the report field (e.g. ``marks[m1].label``), its text, which identifier."""

    field: str
    text: str
    identifier: str

    def __str__(self) -> str:
        return f"{self.field} {self.text!r} contains the {self.identifier}"


class IdentifiersInFreeText(InputError):
    """An anonymised export refused: free text holds the case's identifiers (each hit is named)."""

    def __init__(self, hits: tuple[FreeTextHit, ...]) -> None:
        self.hits = hits
        super().__init__("anonymised export refused: free text holds patient identifiers: "
                         + "; ".join(str(h) for h in hits)
                         + ". Edit the text, or confirm to export with each identifier replaced by " + REDACTED)


def _name_parts(name: str) -> list[Identifier]:
    """Family and given (and middle) name of a DICOM PN, each word of 2 characters or more."""
    kinds = ("family name", "given name", "given name")
    parts: list[Identifier] = []
    for group in name.split("="):
        for kind, component in zip(kinds, group.split("^"), strict=False):
            words = {component.strip(), *re.split(r"[\s\-]+", component)}
            parts += [Identifier(kind, w.strip()) for w in sorted(words) if len(w.strip()) >= _MIN_NAME_PART]
    return parts


def _date_spellings(yyyymmdd: str) -> list[str]:
    """A DA value as YYYYMMDD, DD.MM.YYYY, YYYY-MM-DD and DD/MM/YYYY (nothing for a malformed date)."""
    if not re.fullmatch(r"\d{8}", yyyymmdd):
        return []
    y, m, d = yyyymmdd[:4], yyyymmdd[4:6], yyyymmdd[6:]
    return [yyyymmdd, f"{d}.{m}.{y}", f"{y}-{m}-{d}", f"{d}/{m}/{y}"]


def identifiers_of(header: Header) -> tuple[Identifier, ...]:
    """The identifiers of the case that free text must not repeat, longest spelling first."""
    found = _name_parts(header.patient_name)
    found += [Identifier("birth date", s) for s in _date_spellings(header.birth_date.strip())]
    for kind, value in (("Patient ID", header.patient_id), ("accession number", header.accession_number),
                        ("institution name", header.institution)):
        if len(value.strip()) >= _MIN_NAME_PART and value.strip().upper() != ANONYMOUS:
            found.append(Identifier(kind, value.strip()))
    return tuple(sorted(set(found), key=lambda i: (-len(i.value), i.kind, i.value)))


def _item_name(item: object, index: int) -> str:
    for key in ("id", "segment"):
        value = getattr(item, key, None)
        if isinstance(value, str) and value:
            return value
    return str(index)


def _map_text(value: object, path: str, fn: Callable[[str, str], str]) -> object:
    """``value`` with ``fn(path, text)`` applied to every free-text string inside it (dataclasses,
    tuples, lists, dicts); ids, UIDs and file names are left alone, unchanged parts are not copied."""
    if isinstance(value, str):
        return value if isinstance(value, Enum) else fn(path, value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            if f.name in _NOT_FREE_TEXT or f.name.endswith("_uid") or not f.init:
                continue
            old = getattr(value, f.name)
            new = _map_text(old, f"{path}.{f.name}" if path else f.name, fn)
            if new is not old:
                changes[f.name] = new
        return replace(value, **changes) if changes else value
    if isinstance(value, (tuple, list)):
        items = [_map_text(v, f"{path}[{_item_name(v, n)}]", fn) for n, v in enumerate(value)]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else type(value)(items)
    if isinstance(value, Mapping):
        mapped = {k: _map_text(v, f"{path}.{k}", fn) for k, v in value.items()}
        return value if all(mapped[k] is v for k, v in value.items()) else mapped
    return value


def free_text_fields(report: Report) -> Iterator[tuple[str, str]]:
    """Every free-text string of the report (mark and key-image labels, notes, captions, errors...)
    as (field path, text), header excluded."""
    found: list[tuple[str, str]] = []

    def collect(path: str, text: str) -> str:
        if text.strip():
            found.append((path, text))
        return text
    _map_text(report, "", collect)
    yield from found


def free_text_hits(report: Report, identifiers: tuple[Identifier, ...] | None = None) -> tuple[FreeTextHit, ...]:
    """Each (field, identifier kind) where free text of ``report`` repeats one of ``identifiers``
    (default: those of its own header)."""
    idents = identifiers_of(report.header) if identifiers is None else identifiers
    hits: dict[tuple[str, str], FreeTextHit] = {}
    for path, text in free_text_fields(report):
        for ident in idents:
            if ident.pattern().search(text):
                hits.setdefault((path, ident.kind), FreeTextHit(path, text, ident.kind))
    return tuple(hits.values())


def redact_text(text: str, identifiers: tuple[Identifier, ...]) -> str:
    """``text`` with every spelling of every identifier replaced by ``REDACTED`` (longest first)."""
    for ident in identifiers:
        text = ident.pattern().sub(REDACTED, text)
    return text


def redact_free_text(report: Report, identifiers: tuple[Identifier, ...] | None = None) -> Report:
    """The report with each identifier removed from its free text; the header is kept as it was."""
    idents = identifiers_of(report.header) if identifiers is None else identifiers
    redacted = _map_text(report, "", lambda _path, text: redact_text(text, idents))
    assert isinstance(redacted, Report)
    return redacted
