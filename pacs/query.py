"""What a PACS search asks and what it answers, shared by DIMSE and DICOMweb (and the CLI and the dialog)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset

from pacs.errors import PacsCancelledError, PacsConfigError

#: progress(done, total): instances received or sent so far, and the total when the peer says it.
Progress = Callable[[int, "int | None"], None]


def check_date(value: str, what: str) -> str:
    """``value`` if it is a real calendar date written YYYYMMDD, else a :class:`PacsConfigError`."""
    try:
        dt.datetime.strptime(value, "%Y%m%d")
    except ValueError:
        raise PacsConfigError(f"{what} {value!r} is not a date written YYYYMMDD") from None
    if len(value) != 8:
        raise PacsConfigError(f"{what} {value!r} is not a date written YYYYMMDD")
    return value


@dataclass(frozen=True, slots=True)
class StudyQuery:
    """Study-level search keys; empty fields match everything. ``patient_name`` may hold ``*`` and ``?``."""

    patient_id: str = ""
    patient_name: str = ""
    date_from: str = ""
    date_to: str = ""
    modality: str = ""

    def __post_init__(self) -> None:
        if self.date_from:
            check_date(self.date_from, "--date-from")
        if self.date_to:
            check_date(self.date_to, "--date-to")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise PacsConfigError(f"--date-from {self.date_from} is after --date-to {self.date_to}")

    @property
    def date_range(self) -> str:
        """The DICOM range matching value: ``A-B``, ``A-``, ``-B`` or empty."""
        if not (self.date_from or self.date_to):
            return ""
        if self.date_from == self.date_to:
            return self.date_from
        return f"{self.date_from}-{self.date_to}"


@dataclass(frozen=True, slots=True)
class StudySummary:
    """One study as the PACS describes it (the JSON row ``mitraplan pacs find`` prints)."""

    study_instance_uid: str
    patient_name: str = ""
    patient_id: str = ""
    study_date: str = ""
    study_time: str = ""
    description: str = ""
    accession_number: str = ""
    modalities: tuple[str, ...] = ()
    number_of_series: int | None = None
    number_of_instances: int | None = None

    def to_json(self) -> dict[str, object]:
        return {"study_instance_uid": self.study_instance_uid, "patient_name": self.patient_name,
                "patient_id": self.patient_id, "study_date": self.study_date, "study_time": self.study_time,
                "description": self.description, "accession_number": self.accession_number,
                "modalities": list(self.modalities), "number_of_series": self.number_of_series,
                "number_of_instances": self.number_of_instances}

    @classmethod
    def from_dataset(cls, ds: Dataset) -> StudySummary:
        return cls(study_instance_uid=str(ds.get("StudyInstanceUID", "")),
                   patient_name=str(ds.get("PatientName", "") or ""), patient_id=str(ds.get("PatientID", "")),
                   study_date=str(ds.get("StudyDate", "")), study_time=str(ds.get("StudyTime", "")),
                   description=str(ds.get("StudyDescription", "")),
                   accession_number=str(ds.get("AccessionNumber", "")),
                   modalities=_strings(ds.get("ModalitiesInStudy")),
                   number_of_series=_count(ds.get("NumberOfStudyRelatedSeries")),
                   number_of_instances=_count(ds.get("NumberOfStudyRelatedInstances")))


@dataclass(frozen=True, slots=True)
class SeriesSummary:
    """One series of a study."""

    series_instance_uid: str
    modality: str = ""
    series_number: int | None = None
    description: str = ""
    number_of_instances: int | None = None

    def to_json(self) -> dict[str, object]:
        return {"series_instance_uid": self.series_instance_uid, "modality": self.modality,
                "series_number": self.series_number, "description": self.description,
                "number_of_instances": self.number_of_instances}

    @classmethod
    def from_dataset(cls, ds: Dataset) -> SeriesSummary:
        return cls(series_instance_uid=str(ds.get("SeriesInstanceUID", "")), modality=str(ds.get("Modality", "")),
                   series_number=_count(ds.get("SeriesNumber")), description=str(ds.get("SeriesDescription", "")),
                   number_of_instances=_count(ds.get("NumberOfSeriesRelatedInstances")))


@dataclass(slots=True)
class RetrieveResult:
    """What a retrieve left in the study folder."""

    study_instance_uid: str
    folder: Path
    received: list[Path] = field(default_factory=list)
    already_present: list[Path] = field(default_factory=list)
    removed_partials: int = 0
    #: instances the PACS sent that are not of this study (or of its patient): named, never stored
    refused: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        return sorted({*self.received, *self.already_present})

    def to_json(self) -> dict[str, object]:
        return {"study_instance_uid": self.study_instance_uid, "folder": str(self.folder),
                "received": len(self.received), "already_present": len(self.already_present),
                "removed_partials": self.removed_partials, "refused": list(self.refused),
                "files": [str(p) for p in self.files]}


@dataclass(frozen=True, slots=True)
class SentInstance:
    """One file the node accepted."""

    path: Path
    sop_instance_uid: str
    sop_class_uid: str


def check_cancel(cancel: threading.Event | None) -> None:
    """Raise :class:`PacsCancelledError` when the user asked to stop."""
    if cancel is not None and cancel.is_set():
        raise PacsCancelledError("the transfer was cancelled")


def _strings(value: object) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)  # type: ignore[attr-defined]


def _count(value: object) -> int | None:
    if not isinstance(value, str | int | float) or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        return None
