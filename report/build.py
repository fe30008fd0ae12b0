"""Case → report model: recompute the measurements, read the source headers, run decision support."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from imaging.errors import InputError
from measurements.results import Result
from planning import findings, model
from planning.assessment import AssessmentInput, assess
from planning.case import Case, measure_case, resolve_image
from planning.enface import annuli
from planning.imported import context_with_imports
from planning.study import first_of_study
from report.compare_section import comparison_section
from report.model import (
    Device,
    Grade,
    Header,
    ImageRef,
    Jet,
    KeyImage,
    Leaflets,
    LeafletSegment,
    Mark,
    Measurement,
    Report,
    Space,
)
from report.plane_words import ValveFrame
from report.reporting import reporting_section

log = logging.getLogger(__name__)
MAX_DEFAULT_KEY_IMAGES = 6
#: an MPR key image's label: its plane in words first (it must survive), then its marks' labels
MPR_LABEL_CHARS = 200


def software_version() -> str:
    try:
        return metadata.version("mitraplan")
    except metadata.PackageNotFoundError:
        return "dev"


def case_checksum(case: Case) -> str:
    """SHA-256 of the case file as saved (empty when the case was never saved)."""
    if case.path is None or not Path(case.path).is_file():
        return ""
    return hashlib.sha256(Path(case.path).read_bytes()).hexdigest()


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def case_device(d: model.Device) -> Device:
    """The report's device from a typed case device (the clip map on screen uses the same)."""
    return Device.of(d)


def case_jet(j: model.Jet, vena_contracta_cm: float | None = None, eroa_cm2: float | None = None) -> Jet:
    """The report's jet from a typed case jet, with its measured numbers when known."""
    return Jet.of(j, vena_contracta_cm, eroa_cm2)


@dataclass(frozen=True, slots=True)
class Sources:
    """Headers (no pixels) and files of the case's images, by SOP Instance UID."""

    headers: dict[str, Dataset]
    paths: dict[str, Path]


def read_sources(case: Case, index: Any = None) -> tuple[Sources, list[str]]:
    """Read the header of every image of the case; unreadable or missing files become messages."""
    from imaging.reader import read_header

    headers, paths, problems = {}, {}, []
    uids = dict.fromkeys([i["sop_instance_uid"] for i in case.images] + [m.sop_instance_uid for m in case.marks])
    for uid in uids:
        path = resolve_image(case, uid, index)
        if path is None:
            problems.append(f"image {uid} not found: not referenced in the report's DICOM outputs")
            continue
        try:
            headers[uid] = read_header(path)
            paths[uid] = path
        except InputError as exc:
            problems.append(f"cannot read the DICOM header: {exc}")
    return Sources(headers, paths), problems


def info_reader(sources: Sources) -> Callable[[Path], Any]:
    """``read_info`` for ``measure_case`` that reuses the headers already read (each file parsed once)."""
    from imaging.loop import LoopInfo, read_info
    from imaging.reader import require_image

    by_path = {path: sources.headers[uid] for uid, path in sources.paths.items()}

    def read(path: Path) -> Any:
        header = by_path.get(path)
        if header is None:
            return read_info(path)
        require_image(header, path)
        return LoopInfo.from_dataset(header, path)
    return read


def _image_ref(uid: str, ds: Dataset, path: Path) -> ImageRef:
    return ImageRef(uid, str(ds.get("SOPClassUID", "")), str(ds.get("SeriesInstanceUID", "")), str(path),
                    int(ds.get("NumberOfFrames", 1) or 1), int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0))


def _header(case: Case, sources: Sources, created: datetime) -> Header:
    study = case.study
    first = first_of_study(case, sources.headers.values()) or Dataset()  # never another patient's header
    ctx = findings.context(case)
    signoff = case.findings().signoff

    def pick(key: str, keyword: str) -> str:
        value = study.get(key)
        return str(value) if value not in (None, "") else str(first.get(keyword, "") or "")

    return Header(
        patient_name=pick("patient_name", "PatientName"), patient_id=pick("patient_id", "PatientID"),
        birth_date=pick("birth_date", "PatientBirthDate"), sex=pick("sex", "PatientSex"),
        study_instance_uid=pick("study_instance_uid", "StudyInstanceUID"), study_date=pick("study_date", "StudyDate"),
        study_time=pick("study_time", "StudyTime"), accession_number=pick("accession_number", "AccessionNumber"),
        study_description=pick("study_description", "StudyDescription"),
        institution=pick("institution", "InstitutionName"), operator=str(ctx.get("operator", "") or ""),
        indication=str(ctx.get("indication", "") or ""), created=created.isoformat(timespec="seconds"),
        software_version=software_version(), case_file=Path(case.path).name if case.path else "",
        case_sha256=case_checksum(case), signed_by=signoff.by if signoff else "",
        signed_at=signoff.at if signoff else "", signed_case_sha256=signoff.case_checksum if signoff else "")


def _measurement(r: Result) -> Measurement:
    return Measurement(r.id, r.label, r.quantity, r.value, r.unit, tuple(r.source),
                       tuple(Grade(g.scheme, g.label, g.source) for g in r.grades), tuple(r.warnings), r.method,
                       r.beat, r.beats, r.sd)


def _mark(m: Any) -> Mark:
    return Mark(m.id, str(getattr(m.type, "value", m.type)), m.label, m.sop_instance_uid, m.frame_number, m.region,
                tuple((float(x), float(y)) for x, y in m.points), m.purpose or "",
                tuple((float(x), float(y), float(z)) for x, y, z in (m.points3d or ())),
                None if m.plane is None else (m.plane.origin, m.plane.row_dir, m.plane.col_dir))


def segment_notes(s: findings.SegmentView) -> str:
    """The notes of a scallop with what the anatomy panel recorded besides length and calcification
    (whether it lies in the grasp zone is a field of its own)."""
    details = [(f"mobility {s.mobility}" if s.mobility else ""),
               (s.injury if s.injured else ""),
               ("" if s.coaptation_gap_cm is None else f"coaptation gap {s.coaptation_gap_cm * 10:.1f} mm"),
               s.notes]
    return "; ".join(d for d in details if d)


def _jet_eroa(jet: model.Jet, results: Sequence[Result]) -> float | None:
    """EROA of the PISA calculation a jet names (``pisa_calculation``)."""
    calc = jet.pisa_calculation
    hit = next((r for r in results if calc and r.quantity == "eroa_pisa" and r.id.split(".")[0] == calc), None)
    return hit.value if hit else None


def aliasing_conflicts(calculations: Sequence[dict[str, Any]]) -> list[str]:
    """PISA calculations over the same radius mark with different aliasing velocities: the colour scale of one
    loop has one aliasing velocity, so at most one of them is right (each is named, the report says which)."""
    by_radius: dict[str, list[tuple[str, float]]] = {}
    for n, calc in enumerate(calculations):
        va = calc.get("aliasing_velocity_m_s")
        if calc.get("type") in ("pisa", "pisa_mva") and isinstance(va, int | float) and calc.get("radius_mark"):
            by_radius.setdefault(str(calc["radius_mark"]), []).append((str(calc.get("id") or f"calculation {n + 1}"),
                                                                       float(va)))
    return [f"PISA radius {radius} is used with different aliasing velocities ("
            + ", ".join(f"{cid}: {va:g} m/s" for cid, va in uses)
            + "): one colour scale has one aliasing velocity; correct or delete the wrong calculation"
            for radius, uses in by_radius.items() if len({va for _, va in uses}) > 1]


def _frame_label(marks: Sequence[Mark], uid: str, frame: int) -> tuple[str, tuple[str, ...]]:
    """The caption of a frame (its marks' labels, else "Frame N") and the ids of its marks."""
    on = [m for m in marks if (m.sop_instance_uid, m.frame_number) == (uid, frame)]
    return "; ".join(dict.fromkeys(m.label for m in on if m.label))[:120] or f"Frame {frame}", tuple(m.id for m in on)


def _key_image_entry(n: int, entry: Any, case_marks: Sequence[Mark]) -> KeyImage:
    """One flagged key image of the case file, captioned by its label, else by the labels of the marks
    on its frame; ValueError naming the entry when it is malformed."""
    where = f"key_images[{n}]"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: not an object")
    uid, frame, marks = entry.get("sop_instance_uid"), entry.get("frame_number", 1), entry.get("marks") or []
    if not isinstance(uid, str) or not uid:
        raise ValueError(f"{where}: sop_instance_uid must be a non-empty string")
    if isinstance(frame, bool) or not isinstance(frame, int) or frame < 1:
        raise ValueError(f"{where}: frame_number is 1-based (got {frame!r})")
    if not isinstance(marks, list):
        raise ValueError(f"{where}: marks must be a list of mark ids")
    label = str(entry.get("label", "") or _frame_label(case_marks, uid, frame)[0])
    return KeyImage(f"k{n + 1}", uid, frame, label, tuple(str(i) for i in marks))


def valve_frames(case: Case) -> dict[str, ValveFrame]:
    """SOP Instance UID of a volume → its aligned annulus (``volumes[].annulus``, set by the viewer's Align
    to valve) as the frame every MPR plane of the report is described in (report.plane_words); built once
    per report. ValueError naming the field of a malformed entry (``planning.enface.annuli``)."""
    return {uid: ValveFrame.from_annulus(a.anterior, a.anterolateral, a.posteromedial)
            for uid, a in annuli(case.extra.get("volumes")).items()}


def _key_images(case: Case, marks: Sequence[Mark], valves: Mapping[str, ValveFrame]
                ) -> tuple[tuple[KeyImage, ...], list[str]]:
    """Flagged frames (``key_images`` in the case), else each distinct marked frame (at most six).

    A malformed flagged entry is left out and named in the returned problems.
    """
    flagged = case.extra.get("key_images")
    out, problems = [], []
    if isinstance(flagged, list) and flagged:
        for n, entry in enumerate(flagged):
            try:
                out.append(_key_image_entry(n, entry, marks))
            except ValueError as exc:
                problems.append(f"{exc}; key image left out")
        return tuple(out), problems
    frames = dict.fromkeys((m.sop_instance_uid, m.frame_number) for m in marks if m.points)  # 3D marks: no 2D frame
    for n, (uid, frame) in enumerate(list(frames)[:MAX_DEFAULT_KEY_IMAGES]):
        label, ids = _frame_label(marks, uid, frame)
        out.append(KeyImage(f"k{n + 1}", uid, frame, label, ids))
    return tuple(out) + _mpr_key_images(marks, len(out), valves), problems


def _mpr_label(on: Sequence[Mark], frame: int, valve: ValveFrame | None) -> str:
    """"MPR, <the plane in words>, time point N: <the marks' labels>" (words relative to ``valve``)."""
    from report.keyimages import mpr_view, view_plane  # QtGui: loaded only for a case with 3D marks

    labels = "; ".join(dict.fromkeys(m.label for m in on if m.label))
    try:
        words = view_plane(mpr_view(on), valve).words
    except InputError:  # the points span no plane: the key image names that problem when it is rendered
        return f"MPR, time point {frame}: {labels}"[:MPR_LABEL_CHARS]
    return f"MPR, {words}, time point {frame}: {labels}"[:MPR_LABEL_CHARS]


def _mpr_key_images(marks: Sequence[Mark], taken: int, valves: Mapping[str, ValveFrame]) -> tuple[KeyImage, ...]:
    """One MPR key image per plane that 3D marks were drawn in (volume, time point, plane), after the
    2D frames and within the six, labelled by its plane in words (relative to the volume's aligned annulus
    in ``valves``, when known); its marks are drawn on a reslice of that plane (report.keyimages)."""
    planes: dict[tuple[Any, ...], list[Mark]] = {}
    for m in marks:
        if m.points3d and m.plane is not None:
            planes.setdefault((m.sop_instance_uid, m.frame_number, m.plane), []).append(m)
    out = []
    for n, ((uid, frame, _), on) in enumerate(list(planes.items())[:max(0, MAX_DEFAULT_KEY_IMAGES - taken)]):
        out.append(KeyImage(f"k{taken + n + 1}", uid, frame, _mpr_label(on, frame, valves.get(uid)),
                            tuple(m.id for m in on)))
    return tuple(out)


#: Quantities a case has one value of (the summary and the stenosis table quote it); a distance, a
#: vena contracta or a PISA flow belongs to one structure or jet and is quoted per mark or calculation.
CASE_QUANTITIES = ("mean_gradient", "peak_gradient", "heart_rate", "pht",
                   "mva_planimetry", "mva_pht", "mva_continuity", "mva_pisa")


def selected_ids(case: Case, results: Sequence[Result], inputs: AssessmentInput) -> dict[str, str]:
    """Quantity -> id of the one result every output quotes for it: the one decision support reads
    (``planning.findings.selected``; the heart rate of the selected gradient's trace)."""
    picked = {q: findings.selected(results, q, case.marks) for q in CASE_QUANTITIES}
    picked["heart_rate"] = inputs.heart_rate
    return {q: r.id for q, r in picked.items() if r is not None}


def build_report(case: Case, *, index: Any = None, results: Sequence[Result] | None = None,
                 errors: Sequence[tuple[str, str]] | None = None, created: datetime | None = None
                 ) -> tuple[Report, Sources]:
    """The report model of ``case`` and the source headers it references.

    Measurements are recomputed from the marks unless ``results``/``errors`` are given.
    """
    sources, problems = read_sources(case, index)
    problems += aliasing_conflicts(case.calculations)
    if results is None:
        results, errors = measure_case(case, index, read_info=info_reader(sources))
    results = list(results)
    marks = tuple(_mark(m) for m in case.marks)
    images = tuple(_image_ref(uid, ds, sources.paths[uid]) for uid, ds in sources.headers.items())
    valves = valve_frames(case)
    key_images, key_problems = _key_images(case, marks, valves)
    typed = case.findings()
    segs = findings.segments(case, results)
    jets = findings.jet_inputs(case, results)
    inputs = findings.assessment_input(case, results)
    report = Report(
        header=_header(case, sources, created or datetime.now(UTC)),
        devices=tuple(case_device(d) for d in typed.devices),
        jets=tuple(case_jet(raw, j.vena_contracta_cm, _jet_eroa(raw, results))
                   for j, raw in zip(jets, typed.jets, strict=True)),
        leaflets=Leaflets(typed.leaflets.tear_or_perforation, typed.leaflets.notes,
                          tuple(LeafletSegment(s.segment, s.length_cm, s.calcification, s.grasped_by,
                                               segment_notes(s), s.calcification_in_grasp_zone) for s in segs),
                          tuple(Space(label, cm, kind) for kind, label, cm in findings.space_entries(case, results)),
                          _str(typed.leaflets.mac)),
        measurements=tuple(_measurement(r) for r in results),
        assessment=assess(inputs),
        images=images, marks=marks, key_images=key_images, notes=case.notes or "",
        errors=tuple([f"{i}: {msg}" if i not in msg else msg for i, msg in (errors or [])] + problems + key_problems),
        context={**({"rhythm": typed.rhythm.value} if typed.rhythm else {}), **context_with_imports(case, results)},
        selected_ids=selected_ids(case, results, inputs),
        comparison=comparison_section(case, results), reporting=reporting_section(case), valves=valves)
    return report, sources


def load_frame(path: Path, frame_number: int) -> np.ndarray:
    """Frame ``frame_number`` (1-based) of an image as uint8 RGB, through the imaging layer."""
    from imaging.loop import Loop

    with Loop.open(path) as loop:
        return loop.frame(frame_number - 1)

