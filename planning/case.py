"""The case document (docs/case-file.md): load, save atomically, autosave, find images.

A case holds only what the user placed or entered (marks, calculations, findings); every number is
recomputed from marks and calibration on open (``measure_case``), so a case never disagrees with
its images. Unknown keys are kept on save (forward compatibility); a newer ``version`` is refused
before anything is read.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import stat
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imaging.errors import InputError
from imaging.regions import UltrasoundRegion
from measurements.calibration import CalibrationEntryError, UserCalibration, parse_calibrations
from measurements.compute import measure_all
from measurements.marks import Mark, MarkError, mark_from_json, mark_to_json
from measurements.results import Result
from planning.enface import annuli, place_ties, ties_off_images
from planning.limits import LimitError, check_document, check_size, loads_bounded
from planning.model import Findings, parse_findings
from planning.orifices import expected_orifices
from planning.vocab import MarkPurpose, parse_enum
from private_files import make_private

if TYPE_CHECKING:
    from imaging.catalog import StudyCatalog

    OpenStudy = StudyCatalog | Mapping[str, str | Path] | None

log = logging.getLogger(__name__)

CASE_FORMAT = "mitraplan-case"
CASE_VERSION = 1
CASE_SUFFIX = ".mitraplan.json"
AUTOSAVE_SUFFIX = ".autosave"

#: Top-level keys this version understands, in the order they are written.
_KNOWN = ("format", "version", "study", "images", "marks", "calculations", "devices", "jets", "leaflets", "notes")


class CaseError(InputError):
    """The case file cannot be read or written; the message names the file (and the mark)."""


@dataclass
class Case:
    """One planning case. ``extra`` keeps unknown top-level keys; ``path`` is where it was read/saved."""

    study: dict[str, Any] = field(default_factory=dict)
    images: list[dict[str, Any]] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    calculations: list[dict[str, Any]] = field(default_factory=list)
    devices: list[dict[str, Any]] = field(default_factory=list)
    jets: list[dict[str, Any]] = field(default_factory=list)
    leaflets: dict[str, Any] = field(default_factory=dict)
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    #: marks that failed validation in a lenient load, kept verbatim so a save never loses them
    rejected_marks: list[dict[str, Any]] = field(default_factory=list)
    load_errors: list[tuple[str, str]] = field(default_factory=list)

    def mark(self, mark_id: str) -> Mark | None:
        return next((m for m in self.marks if m.id == mark_id), None)

    def image_entry(self, sop_instance_uid: str) -> dict[str, Any] | None:
        return next((i for i in self.images if i.get("sop_instance_uid") == sop_instance_uid), None)

    def findings(self) -> Findings:
        """The typed devices, jets, leaflets, clinical context and rhythm of the case, devices and jets
        tied to a 3D volume placed on the clip map through its annulus (``planning.enface``); ValueError
        naming the field when an edit has put a value outside the vocabulary."""
        typed = parse_findings(self.devices, self.jets, self.leaflets, self.extra.get("context"), self.study,
                               self.extra.get("residual_mr"), self.calculations, priors=self.extra.get("priors"),
                               report=self.extra.get("report"), signoff=self.extra.get("signoff"),
                               amends=self.extra.get("amends"))
        return place_ties(typed, annuli(self.extra.get("volumes")))  # 3D ties on the clip map (planning.enface)

    def calibrations(self) -> tuple[UserCalibration, ...]:
        """The user calibrations of images without a calibrated region (``calibrations``, kept in
        ``extra`` and written back as read); CalibrationEntryError naming the bad entry."""
        return parse_calibrations(self.extra.get("calibrations"))

    def to_json(self) -> dict[str, Any]:
        """The case-file document (known keys first, then unknown keys as read)."""
        doc: dict[str, Any] = {
            "format": CASE_FORMAT, "version": CASE_VERSION, "study": self.study, "images": self.images,
            "marks": [mark_to_json(m) for m in self.marks] + list(self.rejected_marks),
            "calculations": self.calculations, "devices": self.devices, "jets": self.jets,
            "leaflets": self.leaflets, "notes": self.notes,
        }
        doc.update({k: v for k, v in self.extra.items() if k not in doc})
        return doc


def _expect(doc: Mapping[str, Any], key: str, kind: type, default: Any, path: Path) -> Any:
    value = doc.get(key, default)
    if not isinstance(value, kind):
        raise CaseError(f"'{key}' must be a JSON {kind.__name__.replace('dict', 'object').replace('str', 'string')}"
                        f" (got {type(value).__name__})", path)
    return value


def parse_case(doc: Any, path: Path, *, lenient: bool = False, check_texts: bool = True) -> Case:
    """A Case from a decoded JSON document; ``lenient`` skips malformed marks into ``load_errors``.

    The limits (``planning.limits``) are checked first; ``check_texts=False`` skips the walk over
    every string when the text scan of ``load_case`` has shown that none is too long.
    """
    if not isinstance(doc, dict):
        raise CaseError("not a MitraPlan case file: the top level is not a JSON object", path)
    try:
        check_document(doc, texts=check_texts)
    except LimitError as exc:
        raise CaseError(str(exc), path) from None
    if doc.get("format") != CASE_FORMAT:
        raise CaseError(f"not a MitraPlan case file: 'format' is {doc.get('format')!r}, expected {CASE_FORMAT!r}",
                        path)
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise CaseError(f"case file 'version' must be a positive integer (got {version!r})", path)
    if version > CASE_VERSION:
        raise CaseError(f"case file version {version} was written by a newer MitraPlan; this version reads"
                        f" up to version {CASE_VERSION}. Nothing was loaded.", path)
    case = Case(
        study=_expect(doc, "study", dict, {}, path), images=_expect(doc, "images", list, [], path),
        calculations=_expect(doc, "calculations", list, [], path), devices=_expect(doc, "devices", list, [], path),
        jets=_expect(doc, "jets", list, [], path), leaflets=_expect(doc, "leaflets", dict, {}, path),
        notes=_expect(doc, "notes", str, "", path), extra={k: v for k, v in doc.items() if k not in _KNOWN},
        path=path,
    )
    for i, entry in enumerate(case.images):
        if not isinstance(entry, dict) or not isinstance(entry.get("sop_instance_uid"), str):
            raise CaseError(f"images[{i}] needs a 'sop_instance_uid' string", path)
    for key in ("calculations", "devices", "jets"):
        if any(not isinstance(item, dict) for item in getattr(case, key)):
            raise CaseError(f"every entry of '{key}' must be a JSON object", path)
    try:
        case.findings()
        case.calibrations()
    except (ValueError, CalibrationEntryError) as exc:
        raise CaseError(str(exc), path) from None
    from planning.imported import imported_of  # imports this module

    imported_of(case)  # CaseError naming the field of a malformed imported result
    seen: set[str] = set()
    for index, raw in enumerate(_expect(doc, "marks", list, [], path)):
        try:
            mark = mark_from_json(raw)
            if mark.id in seen:
                raise MarkError(f"mark {mark.id!r}: duplicate id")
            if mark.purpose is not None:
                parse_enum(MarkPurpose, mark.purpose, f"marks[{index}] (mark {mark.id!r}).purpose")
        except (MarkError, ValueError) as exc:
            if not lenient:
                raise CaseError(str(exc), path) from None
            case.rejected_marks.append(raw)
            mark_id = raw.get("id") if isinstance(raw, dict) else None
            case.load_errors.append((str(mark_id or f"marks[{index}]"), str(exc)))
            continue
        seen.add(mark.id)
        case.marks.append(mark)
    for item, message in dangling_references(case):
        if not lenient:
            raise CaseError(message, path)
        case.load_errors.append((item, f"{path}: {message}"))
    images = {str(e.get("sop_instance_uid")) for e in case.images}  # a warning, never a refusal
    case.load_errors += [(item, f"{path}: {message}") for item, message in ties_off_images(case.findings(), images)]
    return case


def _missing(kind: str, wanted: str, known: set[str], where: str) -> list[tuple[str, str]]:
    """One (item, message) when ``wanted`` (a non-empty id) is not among ``known``."""
    if not wanted or wanted in known:
        return []
    return [(where, f"{where}: {wanted!r} is not the id of a {kind} in this case")]


def dangling_references(case: Case) -> list[tuple[str, str]]:
    """References of jets, devices, leaflets and key images to marks, devices or calculations that
    the case does not hold, as (item, message naming the item and the missing id).

    A mark set aside by a lenient load still counts as present: its own error already names it.
    """
    typed = case.findings()
    marks = {m.id for m in case.marks} | {str(r.get("id")) for r in case.rejected_marks if isinstance(r, dict)}
    devices = {d.id for d in typed.devices}
    calculations = {str(c.get("id")) for c in case.calculations}
    out: list[tuple[str, str]] = []
    for i, jet in enumerate(typed.jets):
        where = f"jets[{i}] (jet {jet.id!r})"
        for n, device in enumerate(jet.devices):
            out += _missing("device", device, devices, f"{where}.devices[{n}]")
        out += _missing("mark", jet.vena_contracta_mark, marks, f"{where}.vena_contracta_mark")
        out += _missing("mark", jet.orifice_mark, marks, f"{where}.orifice_mark")
        out += _missing("calculation", jet.pisa_calculation, calculations, f"{where}.pisa_calculation")
    for i, dev in enumerate(typed.devices):
        out += _missing("mark", dev.image_mark, marks, f"devices[{i}] (device {dev.id!r}).image_mark")
    for scallop, seg in typed.leaflets.segments.items():
        out += _missing("mark", seg.length_mark, marks, f"leaflets.segments.{scallop.value}.length_mark")
        out += _missing("mark", seg.coaptation_gap_mark, marks, f"leaflets.segments.{scallop.value}.coaptation_gap_mark")
    for i, space in enumerate(typed.leaflets.spaces):
        out += _missing("mark", space.distance_mark, marks, f"leaflets.spaces[{i}].distance_mark")
    key_images = case.extra.get("key_images")
    for i, key in enumerate(key_images if isinstance(key_images, list) else ()):
        listed = key.get("marks") if isinstance(key, dict) else None
        for n, mark_id in enumerate(listed if isinstance(listed, list) else ()):
            if isinstance(mark_id, str):
                out += _missing("mark", mark_id, marks, f"key_images[{i}].marks[{n}]")
    return out


def load_case(path: str | Path, *, lenient: bool = False) -> Case:
    """Read a case file; raises CaseError naming the file (not JSON, wrong format, newer version, bad mark)."""
    path = Path(path)
    try:
        status = path.stat()
        if stat.S_ISFIFO(status.st_mode) or stat.S_ISCHR(status.st_mode) or stat.S_ISSOCK(status.st_mode):
            raise CaseError("not a MitraPlan case file: a device, FIFO or socket, not a file (reading it could"
                            " block forever)", path)
        check_size(status.st_size)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaseError("no such case file", path) from None
    except UnicodeDecodeError:
        raise CaseError("not a MitraPlan case file: not UTF-8 text", path) from None
    except LimitError as exc:
        raise CaseError(str(exc), path) from None
    except OSError as exc:
        raise CaseError(f"cannot read: {exc.strerror or exc}", path) from None
    try:
        doc, long_texts = loads_bounded(text)
    except json.JSONDecodeError as exc:
        raise CaseError(f"not a MitraPlan case file: not JSON ({exc.msg} at line {exc.lineno}"
                        f" column {exc.colno})", path) from None
    except LimitError as exc:
        raise CaseError(str(exc), path) from None
    except ValueError as exc:  # an integer past Python's int_max_str_digits, a number JSON cannot hold
        raise CaseError(f"not a MitraPlan case file: a number cannot be read ({exc})", path) from None
    return parse_case(doc, path.resolve(), lenient=lenient, check_texts=long_texts)


def _rebase_images(images: list[dict[str, Any]], old_dir: Path | None, new_dir: Path) -> list[dict[str, Any]]:
    """Relative image paths re-expressed from the new case folder, so a "save as" keeps them valid."""
    if old_dir is None or old_dir.resolve() == new_dir.resolve():
        return images
    out = []
    for entry in images:
        p = entry.get("path")
        if isinstance(p, str) and p and not Path(p).is_absolute():
            entry = {**entry, "path": Path(os.path.relpath((old_dir / p).resolve(), new_dir.resolve())).as_posix()}
        out.append(entry)
    return out


def save_case(case: Case, path: str | Path | None = None) -> None:
    """Write the case atomically: temp file in the same folder, fsync, rename over, fsync the folder.

    The case holds patient data: the temp file is made private (0600; a user-only ACL on Windows)
    before the data goes in, and the rename keeps that protection."""
    target = Path(path) if path is not None else case.path
    if target is None:
        raise CaseError("the case has no file name yet; choose where to save it")
    target = target.resolve()
    doc = case.to_json()
    doc["images"] = _rebase_images(case.images, case.path.parent if case.path else None, target.parent)
    data = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise CaseError(f"cannot write into {target.parent}: {exc.strerror or exc}", target) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            make_private(tmp_name, handle.fileno())
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except OSError as exc:
        Path(tmp_name).unlink(missing_ok=True)
        raise CaseError(f"cannot save: {exc.strerror or exc}", target) from None
    _fsync_dir(target.parent)
    _remove_stale_temps(target)


#: A temp file older than this is left over from a save that was killed (a live save takes milliseconds).
STALE_TEMP_SECONDS = 60.0


def _remove_stale_temps(target: Path) -> None:
    """Delete temp files of earlier saves of ``target`` that died before their rename."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for leftover in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except OSError:
            log.debug("could not remove stale temp file %s", leftover)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        log.debug("fsync of %s not supported", folder)
    finally:
        os.close(fd)


def autosave_path(path: str | Path) -> Path:
    """The autosave side file beside a case: ``<name>.autosave``."""
    path = Path(path)
    return path.with_name(path.name + AUTOSAVE_SUFFIX)


def autosave(case: Case) -> Path:
    """Write the autosave side file of a case that has a path; returns it."""
    if case.path is None:
        raise CaseError("an unsaved case has no autosave location")
    side = autosave_path(case.path)
    save_case(case, side)  # same folder: relative image paths stay valid
    return side


def _lookup(index: OpenStudy, sop_instance_uid: str) -> Path | None:
    """The file of a SOP Instance UID in an open study: a ``StudyCatalog`` (``find(uid) -> LoopInfo``)
    or a plain mapping of UID to path."""
    if index is None:
        return None
    if isinstance(index, Mapping):
        hit = index.get(sop_instance_uid)
        return Path(hit) if hit else None
    info = index.find(sop_instance_uid)
    return Path(info.path) if info is not None else None


def resolve_image(case: Case, sop_uid: str, index: OpenStudy = None) -> Path | None:
    """The image file of ``sop_uid``: its path (absolute or relative to the case file) if it exists,
    else the file with that SOP Instance UID in the open study ``index``, else None."""
    entry = case.image_entry(sop_uid)
    raw = entry.get("path") if entry else None
    if isinstance(raw, str) and raw:
        p = Path(raw)
        if not p.is_absolute() and case.path is not None:
            p = case.path.parent / p
        if p.is_file():
            return p
    return _lookup(index, sop_uid)


def measure_case(case: Case, index: OpenStudy = None,
                 read_info: Callable[[Path], Any] | None = None) -> tuple[list[Result], list[tuple[str, str]]]:
    """Recompute every number of the case from its marks and the images' calibration.

    Returns (results, errors) like ``measure_all``; a missing image becomes an error naming the
    file for each of its marks, and every other mark is still measured. The case's imported
    results (``planning.imported``: values read from another system's SR) follow MitraPlan's own.
    """
    if read_info is None:
        from imaging.loop import read_info as read_info_default
        read_info = read_info_default
    infos: dict[str, Any] = {}

    def info_for(sop: str) -> Any:
        if sop not in infos:
            path = resolve_image(case, sop, index)
            if path is None:
                entry = case.image_entry(sop)
                where = f"image file {entry['path']!r} not found" if entry and entry.get("path") else \
                    "image is not listed in the case and not in the open study"
                infos[sop] = CaseError(f"{where} (SOP Instance UID {sop})", case.path)
            else:
                try:
                    infos[sop] = read_info(path)
                except InputError as exc:
                    infos[sop] = exc
        hit = infos[sop]
        if isinstance(hit, InputError):
            raise hit
        return hit

    def regions_for(sop: str) -> Sequence[UltrasoundRegion]:
        regions: Sequence[UltrasoundRegion] = info_for(sop).regions
        return regions

    def heart_rate_for(sop: str) -> float | None:
        try:
            timing = getattr(info_for(sop), "timing", None)
        except InputError:
            return None
        return getattr(timing, "heart_rate_bpm", None)

    def r_waves_for(sop: str) -> Sequence[float]:
        try:
            timing = getattr(info_for(sop), "timing", None)
        except InputError:
            return ()
        return [t / 1000.0 for t in getattr(timing, "r_wave_times_ms", ())]

    def frames_for(sop: str) -> int | None:
        try:
            frames = getattr(info_for(sop), "n_frames", None)
        except InputError:
            return None  # measure_all names the missing image for each of its marks
        return frames if isinstance(frames, int) else None

    marks, frame_errors = _within_loops(case, frames_for)
    typed = case.findings()
    rhythm = typed.rhythm or typed.context.rhythm
    results, errors = measure_all(
        marks, case.calculations, regions_for, heart_rate_for=heart_rate_for, r_waves_for=r_waves_for,
        rhythm="AF" if rhythm is not None and rhythm.is_af else rhythm,
        # any jet at a grade means at least that much MR in total, so per-jet grades count here
        recorded_mr_grades=[g.value for g in (typed.total_mr_grade, *(j.grade for j in typed.jets)) if g is not None],
        expected_orifices=expected_orifices(len(case.devices)), calibrations=case.calibrations())
    from planning.imported import imported_results  # imports this module

    return [*results, *imported_results(case, results)], [*case.load_errors, *frame_errors, *errors]


def _within_loops(case: Case, frames_for: Callable[[str], int | None]) -> tuple[list[Mark], list[tuple[str, str]]]:
    """The marks whose frame exists in their loop, and an error naming the case file and each other mark.

    Only here is the loop known (the case file alone cannot tell that frame 1 000 000 of a one-frame
    loop does not exist); such a mark is not measured, so no number rests on a frame nobody saw.
    """
    kept: list[Mark] = []
    errors: list[tuple[str, str]] = []
    for mark in case.marks:
        frames = frames_for(mark.sop_instance_uid)
        if frames is not None and not 1 <= mark.frame_number <= frames:
            errors.append((mark.id, f"{case.path}: mark {mark.id!r}: frame {mark.frame_number} is not in its loop"
                                    f" (the loop has {frames} frame{'s' if frames != 1 else ''};"
                                    f" SOP Instance UID {mark.sop_instance_uid})"))
            continue
        kept.append(mark)
    return kept, errors
