"""Files, folders and DICOMDIRs become patients -> studies -> series -> loops, from headers only.

No pixel data is read: each file's header is parsed up to Pixel Data, and where Pixel Data starts
is kept (``StudyCatalog.layouts``) so thumbnails need no second header parse. Files that are not
DICOM images are skipped with a warning that names them, so one bad file never stops an index.
Loops and volumes are both found by SOP Instance UID (``find``, ``find_volume``).
"""

from __future__ import annotations

import logging
import stat
import threading
import warnings as pywarnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydicom import dcmread

from imaging.decode import FrameLayout
from imaging.errors import InputError
from imaging.geometry import check_file_holds, read_geometry
from imaging.loop import LoopInfo
from imaging.reader import read_header_extent, require_image
from imaging.volume import VolumeInfo, is_volume_sop_class, read_volume_info

DICOMDIR_NAME = "DICOMDIR"

log = logging.getLogger(__name__)


@dataclass
class Series:
    series_instance_uid: str
    description: str
    number: int | None
    modality: str
    loops: list[LoopInfo] = field(default_factory=list)
    #: 3D/4D volumes (Enhanced US Volume, Philips Cartesian): listed apart, never played as loops
    volumes: list[VolumeInfo] = field(default_factory=list)


@dataclass
class Study:
    study_instance_uid: str
    date: str
    description: str
    accession: str
    series: list[Series] = field(default_factory=list)


@dataclass
class Patient:
    patient_id: str
    name: str
    studies: list[Study] = field(default_factory=list)


@dataclass
class StudyCatalog:
    """Everything found, in display order, plus (path, message) for every file left out."""

    patients: list[Patient] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    #: SOP Instance UID -> where each loop's Pixel Data starts and how it is encoded (for thumbnails)
    layouts: dict[str, FrameLayout] = field(default_factory=dict)

    def loops(self) -> list[LoopInfo]:
        return [loop for p in self.patients for st in p.studies for se in st.series for loop in se.loops]

    def volumes(self) -> list[VolumeInfo]:
        return [v for p in self.patients for st in p.studies for se in st.series for v in se.volumes]

    def find(self, sop_instance_uid: str) -> LoopInfo | None:
        """The header of the image (loop or volume) with this SOP Instance UID: its ``path`` is the file.

        Volumes are found too, as 3D marks reference their volume by SOP Instance UID.
        """
        loop = self.find_loop(sop_instance_uid)
        volume = self.find_volume(sop_instance_uid) if loop is None else None
        return volume.header if volume is not None else loop

    def find_loop(self, sop_instance_uid: str) -> LoopInfo | None:
        """The loop (never a volume) with this SOP Instance UID."""
        return next((loop for loop in self.loops() if loop.sop_instance_uid == sop_instance_uid), None)

    def find_volume(self, sop_instance_uid: str) -> VolumeInfo | None:
        return next((v for v in self.volumes() if v.sop_instance_uid == sop_instance_uid), None)


def catalog_paths(paths: Iterable[Path | str], progress: Callable[[int, int], None] | None = None,
                cancel: threading.Event | None = None) -> StudyCatalog:
    """Index files, folders (recursively) and DICOMDIRs; ``progress(done, total)`` after each file.

    Setting ``cancel`` stops early and returns what was found so far, with a warning saying so.
    """
    warnings: list[tuple[str, str]] = []
    files = list(_expand(paths, warnings))
    loops: list[LoopInfo] = []
    volumes: list[VolumeInfo] = []
    layouts: dict[str, FrameLayout] = {}
    seen: dict[str, Path] = {}
    for done, path in enumerate(files, start=1):
        if cancel is not None and cancel.is_set():
            warnings.append(("", f"indexing cancelled after {done - 1} of {len(files)} files"))
            break
        try:
            info, layout = _read(path)
            volume = read_volume_info(path) if is_volume_sop_class(info.sop_class_uid) else None
        except InputError as exc:
            warnings.append((str(path), _message(exc)))
        except Exception as exc:  # one unreadable file costs that file only, never the folder
            log.warning("unexpected error indexing %s", path, exc_info=True)
            warnings.append((str(path), f"header is unreadable ({type(exc).__name__}: {exc})"))
        else:
            if info.sop_instance_uid in seen:
                warnings.append((str(path), f"same SOP Instance UID as {seen[info.sop_instance_uid]}; skipped"))
            else:
                seen[info.sop_instance_uid] = path
                if volume is not None:
                    volumes.append(volume)
                else:
                    loops.append(info)
                    layouts[info.sop_instance_uid] = layout
        if progress is not None:
            progress(done, len(files))
    return StudyCatalog(patients=_group(loops, volumes), warnings=warnings, layouts=layouts)


def _read(path: Path) -> tuple[LoopInfo, FrameLayout]:
    """``imaging.loop.read_info``, also keeping where the header ends (the Pixel Data element)."""
    header, bytes_after_header = read_header_extent(path)
    require_image(header, path)
    check_file_holds(read_geometry(header, path), bytes_after_header, path)
    size = path.stat().st_size
    return LoopInfo.from_dataset(header, path), FrameLayout.from_header(header, path, size, size - bytes_after_header)


def _message(exc: InputError) -> str:
    """The error's message without the path prefix (the path is the warning's first field)."""
    text = str(exc)
    prefix = f"{exc.path}: " if exc.path else ""
    return text[len(prefix):] if prefix and text.startswith(prefix) else text


def _expand(paths: Iterable[Path | str], warnings: list[tuple[str, str]]) -> Iterator[Path]:
    """Every candidate file once: folders walked in name order, DICOMDIRs followed."""
    yielded: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        candidates: Iterator[Path]
        if path.is_dir():
            candidates = (p for p in sorted(path.rglob("*"))
                          if p.is_file() and not p.name.startswith(".") and p.name.upper() != DICOMDIR_NAME)
        elif path.name.upper() == DICOMDIR_NAME and path.is_file():
            candidates = iter(_dicomdir_files(path, warnings))
        else:
            candidates = iter([path])
        for candidate in candidates:
            key = candidate.resolve()
            if key not in yielded:
                yielded.add(key)
                yield candidate


def _dicomdir_files(path: Path, warnings: list[tuple[str, str]]) -> list[Path]:
    """Files referenced by the records of a DICOMDIR (paths relative to its folder)."""
    try:
        with pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore")
            ds = dcmread(path, force=True)
        records = ds.DirectoryRecordSequence
    except Exception as exc:  # noqa: BLE001 - any failure: report the DICOMDIR, index nothing from it
        warnings.append((str(path), f"DICOMDIR is unreadable ({type(exc).__name__}: {exc})"))
        return []
    files = []
    for number, record in enumerate(records, start=1):
        try:
            file_id = record.get("ReferencedFileID")
        except Exception as exc:  # noqa: BLE001 - one damaged record costs that record only
            warnings.append((str(path), f"record {number}: ReferencedFileID (0004,1500) is unreadable ({exc})"))
            continue
        if file_id:
            parts = [str(file_id)] if isinstance(file_id, str) else [str(p) for p in file_id]
            target, problem = _dicomdir_target(path.parent, parts)
            if problem:
                reference = "\\".join(parts)
                warnings.append((str(path), f"record {number} ({reference!r}) {problem}; skipped"))
            elif target is not None:
                files.append(target)
    return files


def _dicomdir_target(folder: Path, parts: list[str]) -> tuple[Path | None, str]:
    """The file a DICOMDIR record names, or why it is not followed (PS3.10 8.5: File IDs are relative).

    Only regular files inside the DICOMDIR's folder are followed: an absolute path, a ``..`` or a
    symbolic link leading outside, and a device file or FIFO (which could block the indexer) are not.
    """
    if any(not p or p.startswith(("/", "\\")) or (len(p) > 1 and p[1] == ":") for p in parts):
        return None, "is an absolute path"
    target = folder.joinpath(*parts)
    root = folder.resolve()
    try:
        resolved = target.resolve()
    except (OSError, RuntimeError):
        return None, "cannot be resolved"
    if not resolved.is_relative_to(root):
        return None, "points outside the DICOMDIR's folder"
    try:
        mode = resolved.stat().st_mode
    except OSError:
        return target, ""  # missing: read_info names it ("file not found")
    if not stat.S_ISREG(mode):
        return None, "is not a regular file (a device, FIFO, socket or folder)"
    return target, ""


def _group(loops: list[LoopInfo], volumes: list[VolumeInfo]) -> list[Patient]:
    """Patients → studies → series. A study is keyed by its patient too and a series by its study, so a
    UID reused across patients (anonymisers and test exports do this) never files a loop under another patient."""
    patients: dict[tuple[str, str], Patient] = {}
    studies: dict[tuple[tuple[str, str], str], Study] = {}
    series: dict[tuple[tuple[str, str], str, str], Series] = {}
    items: list[LoopInfo | VolumeInfo] = [*loops, *volumes]
    for item in items:
        loop = item if isinstance(item, LoopInfo) else item.header
        who = (loop.patient_id, loop.patient_name)
        patient = patients.setdefault(who, Patient(loop.patient_id, loop.patient_name))
        study_key = (who, loop.study_instance_uid)
        study = studies.get(study_key)
        if study is None:
            study = studies[study_key] = Study(
                loop.study_instance_uid, loop.study_date, loop.study_description, loop.accession_number)
            patient.studies.append(study)
        series_key = (who, loop.study_instance_uid, loop.series_instance_uid)
        one_series = series.get(series_key)
        if one_series is None:
            one_series = series[series_key] = Series(
                loop.series_instance_uid, loop.series_description, loop.series_number, loop.modality)
            study.series.append(one_series)
        if isinstance(item, LoopInfo):
            one_series.loops.append(item)
        else:
            one_series.volumes.append(item)
    for patient in patients.values():
        patient.studies.sort(key=lambda s: (s.date, s.study_instance_uid))
        for study in patient.studies:
            study.series.sort(key=lambda s: (s.number is None, s.number or 0, s.series_instance_uid))
            for one_series in study.series:
                one_series.loops.sort(key=lambda i: (i.instance_number is None, i.instance_number or 0, str(i.path)))
                one_series.volumes.sort(key=lambda v: str(v.path))
    return sorted(patients.values(), key=lambda p: (p.name, p.patient_id))

