"""Write every output of a report: PDF, JSON, DICOM SR, key images (PNG + Secondary Capture)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import highdicom as hd
import numpy as np
from PySide6.QtGui import QImage

from report import keyimages
from report.anonymise import UidMap, anonymise_report, deidentify
from report.build import Sources, load_frame
from report.json_export import write_json
from report.model import ImageRef, Report
from report.pdf import PageSpec, write_pdf
from report.sr import build_sr, evidence_for

log = logging.getLogger(__name__)

PDF_NAME, JSON_NAME, SR_NAME = "report.pdf", "report.json", "report-sr.dcm"


@dataclass
class ExportResult:
    """The files written, in the order a user reads them, and what was left out and why."""

    pdf: Path
    json: Path
    sr: Path | None = None
    key_images_png: list[Path] = field(default_factory=list)
    key_images_dicom: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: marks and calculations that could not be measured (they are listed in the report too)
    errors: tuple[str, ...] = ()

    @property
    def paths(self) -> list[Path]:
        return [self.pdf, self.json, *([self.sr] if self.sr else []), *self.key_images_png, *self.key_images_dicom]


def frame_loader(sources: Sources) -> Callable[[ImageRef, int], np.ndarray]:
    """Reads key-image frames from the source files of ``sources``."""
    def load(ref: ImageRef, frame_number: int) -> np.ndarray:
        return load_frame(sources.paths[ref.sop_instance_uid], frame_number)
    return load


def _keys_allowed(report: Report, sources: Sources, anonymise: bool, warnings: list[str]) -> Report:
    """Drop key images whose source or frame is missing, or (anonymised) may carry burned-in identifiers."""
    keep = []
    for key in report.key_images:
        header = sources.headers.get(key.sop_instance_uid)
        frames = int(header.get("NumberOfFrames", 1) or 1) if header is not None else 0
        if header is None:
            warnings.append(f"key image {key.id}: source image not available")
        elif key.frame_number > frames:
            warnings.append(f"key image {key.id}: frame {key.frame_number} is beyond the last frame ({frames}) of"
                            f" {sources.paths[key.sop_instance_uid].name}")
        elif anonymise and str(header.get("BurnedInAnnotation", "")).upper() != "NO":
            warnings.append(f"key image {key.id} left out of the anonymised export: its source does not declare "
                            "BurnedInAnnotation NO, so its pixels may show identifiers")
        else:
            keep.append(key)
    return replace(report, key_images=tuple(keep))


def export_report(report: Report, sources: Sources, out_dir: Path, *, anonymise: bool = False,
                  paper: str = "A4", load: Callable[[ImageRef, int], np.ndarray] | None = None) -> ExportResult:
    """Write report.pdf, report.json, report-sr.dcm and key-<id>.png/.dcm into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    warnings: list[str] = []
    uids = UidMap() if anonymise else None
    report = _keys_allowed(report, sources, anonymise, warnings)
    rendered: dict[str, tuple[QImage, QImage]] = {}
    try:
        rendered = keyimages.render_all(report, load or frame_loader(sources), warnings)
    except Exception as exc:  # noqa: BLE001 - a frame that will not decode must not cost the whole report
        warnings.append(f"key images not rendered: {exc}")
    dicom_keys = _write_secondary_captures(report, sources, rendered, out_dir, uids)
    sr_path = _write_sr(report, sources, out_dir, uids, warnings)
    model = anonymise_report(report, uids) if uids else report
    model = keyimages.write_pngs(model, rendered, out_dir)
    pngs = [Path(k.png) for k in model.key_images if k.png]
    model = replace(model, key_images=tuple(replace(k, png=Path(k.png).name if k.png else "")
                                            for k in model.key_images),
                    errors=model.errors + tuple(warnings))
    json_path = write_json(model, out_dir / JSON_NAME)
    pdf_path = write_pdf(model, out_dir / PDF_NAME, PageSpec(paper),
                         key_images={k: big for k, (_, big) in rendered.items()})
    return ExportResult(pdf_path, json_path, sr_path, pngs, dicom_keys, warnings, report.errors)


def _write_secondary_captures(report: Report, sources: Sources, rendered: dict[str, tuple[QImage, QImage]],
                              out_dir: Path, uids: UidMap | None) -> list[Path]:
    series = hd.UID()
    paths = []
    for n, key in enumerate(k for k in report.key_images if k.id in rendered):
        sc = keyimages.secondary_capture(sources.headers[key.sop_instance_uid], rendered[key.id][0], key, series,
                                         n + 1, report.header.software_version)
        if uids:
            deidentify(sc, uids)
        path = out_dir / f"key-{key.id}.dcm"
        sc.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def _write_sr(report: Report, sources: Sources, out_dir: Path, uids: UidMap | None,
              warnings: list[str]) -> Path | None:
    evidence = evidence_for(report, sources.headers)
    if not evidence:
        warnings.append("DICOM SR not written: no source image of the study could be read")
        return None
    sr = build_sr(report, evidence)
    if uids:
        deidentify(sr, uids)
    path = out_dir / SR_NAME
    sr.save_as(path, enforce_file_format=True)
    return path
