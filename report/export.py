"""Write every output of a report: PDF, the one-page summary PDF, JSON, DICOM SR, key images (PNG + Secondary
Capture)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import highdicom as hd
import numpy as np
from PySide6.QtGui import QImage

from imaging.errors import InputError
from planning.study import StudyIdentity, StudyMismatch, conflicts_with, one_study_message
from private_files import make_private, private_folder
from private_files import private_file as private_file  # re-exported: writers outside report/ used it from here
from report import keyimages
from report.anonymise import (
    FreeTextHit,
    IdentifiersInFreeText,
    UidMap,
    anonymise_report,
    deidentify,
    free_text_hits,
    identifiers_of,
    redact_free_text,
    redact_text,
)
from report.build import Sources, load_frame
from report.json_export import write_json
from report.mask import Rect, mask_outside, masks_for
from report.model import ImageRef, KeyImage, Report
from report.pdf import PageSpec, write_pdf, write_summary_pdf
from report.sr import build_sr, evidence_for, save_sr

log = logging.getLogger(__name__)

PDF_NAME, SUMMARY_NAME, JSON_NAME, SR_NAME = "report.pdf", "summary.pdf", "report.json", "report-sr.dcm"

T = TypeVar("T")


@dataclass
class ExportResult:
    """The files written, in the order a user reads them, and what was left out and why.

    ``pdf``/``json``/``sr`` are None when that output was not written; ``failures`` then names it
    and its cause. One output failing never stops the others.
    """

    folder: Path
    pdf: Path | None
    json: Path | None
    sr: Path | None = None
    key_images_png: list[Path] = field(default_factory=list)
    key_images_dicom: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: marks and calculations that could not be measured (they are listed in the report too)
    errors: tuple[str, ...] = ()
    #: outputs that could not be written: "<output> not written: <cause>"
    failures: list[str] = field(default_factory=list)
    #: the one-page heart-team summary (page 1 of the PDF on its own), None when not written
    summary: Path | None = None

    @property
    def paths(self) -> list[Path]:
        return [p for p in (self.pdf, self.summary, self.json, self.sr) if p is not None] + \
            [*self.key_images_png, *self.key_images_dicom]


def _cause(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}" + (f" ({exc.filename})" if exc.filename else "")
    return f"{type(exc).__name__}: {exc}"


def _write(name: str, path: Path, write: Callable[[Path], T], failures: list[str]) -> T | None:
    """Run one output's writer on a private file; a failure is recorded naming the output, not raised."""
    try:
        result = write(private_file(path))
        make_private(path)  # a writer that replaced the file must not widen it
        return result
    except Exception as exc:  # one output failing must not cost the others
        log.warning("%s not written", name, exc_info=True)
        failures.append(f"{name} ({path.name}) not written: {_cause(exc)}")
        path.unlink(missing_ok=True)  # a half-written output is worse than none
        return None


def require_one_study(report: Report, sources: Sources) -> None:
    """Refuse (StudyMismatch naming each file) sources of another patient or study than the header."""
    header = report.header
    expected = StudyIdentity(header.patient_id, header.patient_name, header.study_instance_uid)
    found = conflicts_with(expected, [(sources.paths[uid], ds) for uid, ds in sources.headers.items()])
    if found:
        raise StudyMismatch(one_study_message(found))


def frame_loader(sources: Sources) -> Callable[[ImageRef, int], np.ndarray]:
    """Reads key-image frames from the source files of ``sources``."""
    def load(ref: ImageRef, frame_number: int) -> np.ndarray:
        return load_frame(sources.paths[ref.sop_instance_uid], frame_number)
    return load


def plane_loader(sources: Sources) -> keyimages.PlaneLoader:
    """Reslices MPR key images from the source volumes of ``sources`` (imaging.mpr)."""
    def load(ref: ImageRef, timepoint: int, view: keyimages.MprView) -> np.ndarray:
        from imaging.mpr import reslice, to_grey8
        from imaging.volume import Volume

        with Volume.open(sources.paths[ref.sop_instance_uid]) as volume:
            if not 1 <= timepoint <= volume.timepoints:
                raise InputError(f"time point {timepoint} is beyond the volume's {volume.timepoints}")
            plane = reslice(volume.timepoint(timepoint - 1), volume.geometry, view.origin, view.row_dir,
                            view.col_dir, view.size, view.pixel_mm)
        return to_grey8(plane)
    return load


def anonymised_free_text_hits(report: Report) -> tuple[FreeTextHit, ...]:
    """The identifiers of the case in the free text an anonymised export would still write
    (notes are dropped by ``anonymise_report``, labels and captions are kept)."""
    return free_text_hits(anonymise_report(report, UidMap()), identifiers_of(report.header))


def masked_loader(load: Callable[[ImageRef, int], np.ndarray], masks: Mapping[str, tuple[Rect, ...]]
                  ) -> Callable[[ImageRef, int], np.ndarray]:
    """``load`` with each frame of an image in ``masks`` blanked outside its rectangles (the banner)."""
    def masked(ref: ImageRef, frame_number: int) -> np.ndarray:
        frame = load(ref, frame_number)
        rects = masks.get(ref.sop_instance_uid)
        return mask_outside(frame, rects) if rects else frame
    return masked


def _keys_allowed(report: Report, sources: Sources, anonymise: bool, warnings: list[str],
                  masked: Mapping[str, object] | None = None) -> Report:
    """Drop key images whose source or frame is missing, or (anonymised, not masked) may carry
    burned-in identifiers."""
    keep = []
    for key in report.key_images:
        header = sources.headers.get(key.sop_instance_uid)
        frames = int(header.get("NumberOfFrames", 1) or 1) if header is not None else 0
        if header is None:
            warnings.append(f"key image {key.id}: source image not available")
        elif key.frame_number > frames:
            warnings.append(f"key image {key.id}: frame {key.frame_number} is beyond the last frame ({frames}) of"
                            f" {sources.paths[key.sop_instance_uid].name}")
        elif anonymise and key.sop_instance_uid not in (masked or {}) and \
                str(header.get("BurnedInAnnotation", "")).upper() != "NO":
            warnings.append(f"key image {key.id} left out of the anonymised export: it is not masked (no ultrasound"
                            " regions, no confirmed rectangle) and its source does not declare BurnedInAnnotation"
                            " NO, so its pixels may show identifiers")
        else:
            keep.append(key)
    return replace(report, key_images=tuple(keep))


@dataclass
class Planned:
    """What one export will show before anything is written: the key images it may carry (rendered) and
    the warnings and failures so far. The preview prints :func:`printed_model` of it, as the PDF does.
    ``masks``: SOP Instance UID → the rectangles kept of each masked image (anonymised exports)."""

    report: Report
    rendered: dict[str, tuple[QImage, QImage]]
    warnings: list[str]
    failures: list[str]
    anonymise: bool
    masks: dict[str, tuple[Rect, ...]] = field(default_factory=dict)


def plan_export(report: Report, sources: Sources, *, anonymise: bool = False,
                load: Callable[[ImageRef, int], np.ndarray] | None = None, mask: bool = True,
                mask_rectangles: Mapping[str, Rect] | None = None) -> Planned:
    """The key images an export keeps (source present, frame in range; anonymised: masked outside the
    ultrasound regions, or else declared free of burned-in identifiers), rendered, with the warnings
    and failures of doing so."""
    warnings: list[str] = []
    failures: list[str] = []
    masks = masks_for(sources.headers, mask_rectangles) if anonymise and mask else {}
    report = _keys_allowed(report, sources, anonymise, warnings, masks)
    rendered: dict[str, tuple[QImage, QImage]] = {}
    try:
        rendered = keyimages.render_all(report, masked_loader(load or frame_loader(sources), masks), warnings,
                                        plane_loader(sources),  # an MPR has no banner: nothing to mask
                                        valves=report.valves)
    except Exception as exc:  # noqa: BLE001 - a frame that will not decode must not cost the whole report
        failures.append(f"key images (PNG and Secondary Capture) not rendered: {_cause(exc)}")
    return Planned(report, rendered, warnings, failures, anonymise, masks)


def _export_messages(planned: Planned) -> tuple[str, ...]:
    """The export's warnings and failures as printed: anonymised, without the case's identifiers
    (they name source files, which can be named after the patient)."""
    idents = identifiers_of(planned.report.header) if planned.anonymise else ()
    return tuple(redact_text(m, idents) for m in [*planned.warnings, *planned.failures])


def printed_model(planned: Planned) -> Report:
    """The report as the export's PDF prints it (before any file is written): anonymised when asked,
    with the export's warnings among its errors."""
    model = anonymise_report(planned.report, UidMap()) if planned.anonymise else planned.report
    return replace(model, errors=model.errors + _export_messages(planned))


def export_report(report: Report, sources: Sources, out_dir: Path, *, anonymise: bool = False,
                  paper: str = "A4", load: Callable[[ImageRef, int], np.ndarray] | None = None,
                  confirm_free_text: bool = False, mask: bool = True,
                  mask_rectangles: Mapping[str, Rect] | None = None) -> ExportResult:
    """Write report.pdf, summary.pdf, report.json, report-sr.dcm and key-<id>.png/.dcm into ``out_dir``, each file
    readable by the user only. Sources of another patient or study are refused before anything is
    written; after that, a failing output is named in ``failures`` and the others are still written.

    Anonymised, free text holding the case's identifiers is refused (``IdentifiersInFreeText``, each
    hit named) unless ``confirm_free_text``: then each identifier is replaced in every output. With
    ``mask`` the key images are blanked outside their ultrasound regions (or the user-confirmed
    rectangle of ``mask_rectangles``, SOP Instance UID → (x0, y0, x1, y1)), where the banner is."""
    require_one_study(report, sources)
    if anonymise:
        hits = anonymised_free_text_hits(report)
        if hits and not confirm_free_text:
            raise IdentifiersInFreeText(hits)
        report = redact_free_text(report)
    if not out_dir.is_dir():
        private_folder(out_dir)
    uids = UidMap() if anonymise else None
    planned = plan_export(report, sources, anonymise=anonymise, load=load, mask=mask,
                          mask_rectangles=mask_rectangles)
    report, rendered, warnings, failures = planned.report, planned.rendered, planned.warnings, planned.failures
    dicom_keys = _write_secondary_captures(report, sources, rendered, out_dir, uids, failures, planned.masks)
    sr_path = _write_sr(report, sources, out_dir, uids, warnings, failures)
    model = anonymise_report(report, uids) if uids else report
    model = _write_pngs(model, rendered, out_dir, failures)
    pngs = [Path(k.png) for k in model.key_images if k.png]
    model = replace(model, key_images=tuple(replace(k, png=Path(k.png).name if k.png else "")
                                            for k in model.key_images),
                    errors=model.errors + _export_messages(planned))
    json_path = _write("JSON", out_dir / JSON_NAME, lambda p: write_json(model, p), failures)
    pictures = {k: big for k, (_, big) in rendered.items()}
    pdf_path = _write("PDF", out_dir / PDF_NAME, lambda p: write_pdf(model, p, PageSpec(paper), pictures), failures)
    summary_path = _write("summary PDF", out_dir / SUMMARY_NAME,
                          lambda p: write_summary_pdf(model, p, PageSpec(paper), pictures), failures)
    return ExportResult(out_dir, pdf_path, json_path, sr_path, pngs, dicom_keys, warnings, report.errors, failures,
                        summary_path)


def _write_pngs(model: Report, rendered: dict[str, tuple[QImage, QImage]], out_dir: Path,
                failures: list[str]) -> Report:
    """The key-image PNGs, each on a private file; one that cannot be written is named and left out."""
    keys = []
    for key in model.key_images:
        if key.id not in rendered:
            keys.append(key)
            continue
        def write(path: Path, key: KeyImage = key) -> Report:
            return keyimages.write_pngs(replace(model, key_images=(key,)), rendered, path.parent)
        done = _write(f"PNG key image {key.id}", out_dir / f"key-{key.id}.png", write, failures)
        keys.append(done.key_images[0] if done is not None else key)
    return replace(model, key_images=tuple(keys))


def _write_secondary_captures(report: Report, sources: Sources, rendered: dict[str, tuple[QImage, QImage]],
                              out_dir: Path, uids: UidMap | None, failures: list[str],
                              masks: Mapping[str, object] | None = None) -> list[Path]:
    """One Secondary Capture per rendered key image, in the header's study (type-2 attributes present);
    those of ``masks`` were blanked outside the image area (Burned In Annotation NO)."""
    series = hd.UID()
    paths = []
    for n, key in enumerate(k for k in report.key_images if k.id in rendered):
        def write(path: Path, key: KeyImage = key, number: int = n + 1) -> Path:
            sc = keyimages.secondary_capture(sources.headers[key.sop_instance_uid], rendered[key.id][0], key,
                                             series, number, report.header.software_version, report.header,
                                             masked=key.sop_instance_uid in (masks or {}))
            if uids:
                deidentify(sc, uids)
            sc.save_as(path, enforce_file_format=True)
            return path
        written = _write(f"Secondary Capture key image {key.id}", out_dir / f"key-{key.id}.dcm", write, failures)
        if written is not None:
            paths.append(written)
    return paths


def _write_sr(report: Report, sources: Sources, out_dir: Path, uids: UidMap | None,
              warnings: list[str], failures: list[str]) -> Path | None:
    evidence = evidence_for(report, sources.headers)
    if not evidence:
        warnings.append("DICOM SR not written: no source image of the study could be read")
        return None

    def write(path: Path) -> Path:
        sr = build_sr(report, evidence, patient_characteristics=uids is None)  # age/sex are identifying
        if uids:
            deidentify(sr, uids)
        save_sr(sr, path)
        return path
    return _write("DICOM SR", out_dir / SR_NAME, write, failures)
