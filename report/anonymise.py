"""Anonymised export: patient identifiers out of every output.

DICOM outputs get the PS3.15 Basic Application Level Confidentiality Profile (Table E.1-1 actions
for the attributes these objects can carry: identifiers emptied or removed, instance UIDs replaced
consistently, private tags removed) with the Clean Structured Content option: the SR content this
app writes holds measurements and codes, never a name. The report model gets the same treatment:
patient fields, dates, free-text notes, file names and instance UIDs (through the same UID map).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import replace

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

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
        if element.VR == "UI" and element.value:
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
                   comparison=anonymised_comparison(report.comparison), reporting=None)


def _strip_paths(message: str) -> str:
    """Error messages name files; in an anonymised export keep only the reason after the last colon."""
    return message.rsplit(": ", 1)[-1] if "/" in message else message

