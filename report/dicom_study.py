"""The patient and study of the DICOM outputs (SR, Secondary Captures): the report header's, never
whichever source image happens to come first, with every type-2 attribute present.

Type-2 attributes of the Patient and General Study modules (PS3.3 C.7.1.1, C.7.2.1) must be present
but may be empty; anonymised sources often lack them, so they are written empty rather than copied
as missing.
"""

from __future__ import annotations

import copy

from pydicom.dataset import Dataset

from report.model import Header

#: Type-2 attributes of the Patient and General Study modules that are written empty when unknown.
TYPE2_KEYWORDS = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime",
                  "AccessionNumber", "ReferringPhysicianName", "StudyID")
#: Patient's Sex enumerated values (PS3.3 C.7.1.1); anything else is written empty.
SEX_VALUES = ("M", "F", "O")


def header_values(header: Header) -> dict[str, str]:
    """DICOM keyword → value of the report header's patient and study (empty when unknown)."""
    sex = header.sex.strip().upper()
    return {"PatientName": header.patient_name, "PatientID": header.patient_id,
            "PatientBirthDate": header.birth_date, "PatientSex": sex if sex in SEX_VALUES else "",
            "StudyInstanceUID": header.study_instance_uid, "StudyDate": header.study_date,
            "StudyTime": header.study_time, "AccessionNumber": header.accession_number}


def stamp_study(ds: Dataset, header: Header) -> Dataset:
    """Set the header's patient and study on ``ds`` and add every missing type-2 attribute empty."""
    for keyword, value in header_values(header).items():
        if value or keyword != "StudyInstanceUID":
            setattr(ds, keyword, value or None)
    if header.study_description:
        ds.StudyDescription = header.study_description
    for keyword in TYPE2_KEYWORDS:
        if keyword not in ds:
            setattr(ds, keyword, None)
    return ds


def study_reference(source: Dataset, header: Header) -> Dataset:
    """A header-only copy of ``source`` carrying the report's patient and study, for the DICOM
    writers that copy patient and study from a reference dataset."""
    ref = copy.deepcopy(source)
    for keyword in ("PixelData", "FloatPixelData", "DoubleFloatPixelData"):
        if keyword in ref:
            delattr(ref, keyword)
    return stamp_study(ref, header)
