"""A loop (one DICOM image, single- or multi-frame): its header facts and its frames on demand.

``read_info`` reads only the header. ``Loop.open`` maps the file and decodes a frame only when it
is asked for (``frame``) or requested ahead on the shared worker pool (``request``/``prefetch``);
decoded frames live in a ``FrameCache`` under a memory budget.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable
from concurrent.futures import Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from imaging.cache import FrameCache, default_cache
from imaging.decode import FrameDecoder, decode_pool
from imaging.errors import HeaderError, ImagingError
from imaging.geometry import Geometry, check_file_holds, header_value, read_geometry
from imaging.reader import open_pixels, read_header_extent, require_image, transfer_syntax
from imaging.regions import UltrasoundRegion, parse_regions
from imaging.timing import FrameTiming, timing_from_dataset


class _Header:
    """Reads optional header values of one file; an element pydicom cannot decode becomes a warning."""

    def __init__(self, ds: Any, path: Path) -> None:
        self.ds, self.path = ds, path
        self.warnings: list[str] = []

    def value(self, keyword: str) -> Any:
        try:
            return header_value(self.ds, keyword, self.path)
        except HeaderError as exc:
            self.warnings.append(str(exc).removeprefix(f"{self.path}: ") + "; ignored")
            return None

    def text(self, keyword: str) -> str:
        value = self.value(keyword)
        return "" if value is None else str(value).strip()

    def integer(self, keyword: str) -> int | None:
        value = self.value(keyword)
        try:
            return None if value is None or value == "" else int(value)
        except (TypeError, ValueError, OverflowError):
            return None


@dataclass(frozen=True)
class LoopInfo:
    """What the header says about one image file; never touches pixel data."""

    path: Path
    sop_instance_uid: str
    sop_class_uid: str
    study_instance_uid: str
    series_instance_uid: str
    transfer_syntax_uid: str
    photometric: str
    rows: int
    columns: int
    samples_per_pixel: int
    n_frames: int
    modality: str
    patient_name: str
    patient_id: str
    patient_birth_date: str
    patient_sex: str
    study_date: str
    study_time: str
    study_description: str
    accession_number: str
    series_description: str
    series_number: int | None
    instance_number: int | None
    manufacturer: str
    model_name: str
    regions: tuple[UltrasoundRegion, ...]
    timing: FrameTiming
    warnings: tuple[str, ...]

    @classmethod
    def from_dataset(cls, ds: Any, path: str | Path) -> LoopInfo:
        """Header facts of a pydicom dataset read from ``path``; oddities become warnings."""
        path = Path(path)
        geometry = read_geometry(ds, path)
        header = _Header(ds, path)
        regions, region_warnings = _regions(header, geometry)
        timing = timing_from_dataset(ds, geometry.n_frames)
        warnings = header.warnings + region_warnings + [w for r in regions for w in r.warnings] + list(timing.warnings)
        ts = transfer_syntax(ds)
        text = header.text
        return cls(
            path=path,
            sop_instance_uid=text("SOPInstanceUID"),
            sop_class_uid=text("SOPClassUID"),
            study_instance_uid=text("StudyInstanceUID"),
            series_instance_uid=text("SeriesInstanceUID"),
            transfer_syntax_uid=str(ts or ""),
            photometric=geometry.photometric,
            rows=geometry.rows,
            columns=geometry.columns,
            samples_per_pixel=geometry.samples,
            n_frames=geometry.n_frames,
            modality=text("Modality"),
            patient_name=text("PatientName"),
            patient_id=text("PatientID"),
            patient_birth_date=text("PatientBirthDate"),
            patient_sex=text("PatientSex"),
            study_date=text("StudyDate"),
            study_time=text("StudyTime"),
            study_description=text("StudyDescription"),
            accession_number=text("AccessionNumber"),
            series_description=text("SeriesDescription"),
            series_number=header.integer("SeriesNumber"),
            instance_number=header.integer("InstanceNumber"),
            manufacturer=text("Manufacturer"),
            model_name=text("ManufacturerModelName"),
            regions=regions,
            timing=timing,
            warnings=tuple(warnings),
        )

    @property
    def is_multiframe(self) -> bool:
        return self.n_frames > 1

    @property
    def is_color(self) -> bool:
        """Frames decode to RGB (palette colour included) rather than grey."""
        return self.samples_per_pixel == 3 or self.photometric == "PALETTE COLOR"

    def as_info(self) -> dict[str, Any]:
        """The loop as ``mitraplan info`` prints it (a command-line contract the tests pin)."""
        return {
            "path": str(self.path),
            "sop_instance_uid": self.sop_instance_uid,
            "sop_class_uid": self.sop_class_uid,
            "study_instance_uid": self.study_instance_uid,
            "series_instance_uid": self.series_instance_uid,
            "transfer_syntax_uid": self.transfer_syntax_uid,
            "photometric": self.photometric,
            "frames": self.n_frames,
            "rows": self.rows,
            "columns": self.columns,
            "frame_time_ms": self.timing.nominal_frame_ms,
            "fps": self.timing.fps,
            "timing_source": self.timing.source,
            "heart_rate_bpm": self.timing.heart_rate_bpm,
            "modality": self.modality,
            "manufacturer": self.manufacturer,
            "regions": [r.as_info() for r in self.regions],
            "warnings": list(self.warnings),
        }


def _regions(header: _Header, geometry: Geometry) -> tuple[tuple[UltrasoundRegion, ...], list[str]]:
    """The calibration regions; a sequence that cannot be read leaves the image uncalibrated, with a warning."""
    try:
        return parse_regions(header.ds, geometry.rows, geometry.columns), []
    except Exception as exc:  # noqa: BLE001 - any damaged item: the image stays viewable, not measurable
        return (), [f"SequenceOfUltrasoundRegions (0018,6011) is unreadable ({type(exc).__name__}: {exc});"
                    " the image is treated as uncalibrated"]


def read_info(path: str | Path) -> LoopInfo:
    """Header facts of one image file (no pixel data read). Raises a typed ImagingError naming it."""
    path = Path(path)
    header, bytes_after_header = read_header_extent(path)
    require_image(header, path)
    check_file_holds(read_geometry(header, path), bytes_after_header, path)
    return LoopInfo.from_dataset(header, path)


class Loop:
    """Frames of one image file, decoded lazily and cached; safe to use from several threads."""

    def __init__(self, info: LoopInfo, decoder: FrameDecoder, cache: FrameCache) -> None:
        self.info = info
        self._decoder = decoder
        self._cache = cache
        stat = info.path.stat()
        self._owner = (str(info.path.resolve()), info.sop_instance_uid, stat.st_mtime_ns, stat.st_size)
        self._lock = threading.Lock()
        self._inflight: dict[int, Future[np.ndarray]] = {}
        self._closed = False
        missing = info.n_frames - decoder.available_frames
        self.warnings = info.warnings + ((
            f"{missing} of {info.n_frames} frames are missing: the Pixel Data ends early (truncated file)",)
            if missing > 0 else ())

    @classmethod
    def open(cls, path: str | Path, cache: FrameCache | None = None) -> Loop:
        """Open an image file for frame access; typed ImagingError (naming the file) when unusable."""
        path = Path(path)
        source = open_pixels(path)
        try:
            info = LoopInfo.from_dataset(source.header, path)
            decoder = FrameDecoder(source, path, info.n_frames)
        except BaseException:
            source.close()
            raise
        return cls(info, decoder, cache if cache is not None else default_cache())

    @property
    def n_frames(self) -> int:
        return self.info.n_frames

    @property
    def regions(self) -> tuple[UltrasoundRegion, ...]:
        return self.info.regions

    @property
    def timing(self) -> FrameTiming:
        return self.info.timing

    @property
    def path(self) -> Path:
        return self.info.path

    def frame(self, k: int) -> np.ndarray:
        """Frame ``k`` (0-based) as read-only ``uint8`` RGB ``(rows, cols, 3)`` or grey ``(rows, cols)``.

        Raises CorruptImageError (naming file and frame) when that frame cannot be decoded.
        """
        self._check(k)
        cached = self._cache.get((self._owner, k))
        if cached is not None:
            return cached
        with self._lock:
            pending = self._inflight.get(k)
            cached = self._cache.get((self._owner, k))  # again: a decode may have finished meanwhile
        if cached is not None:
            return cached
        if pending is not None:
            return pending.result()
        return self._decode(k)

    def request(self, k: int) -> Future[np.ndarray]:
        """Frame ``k`` decoded on the shared worker pool; the future holds the frame or the error."""
        self._check(k)
        with self._lock:  # cache and in-flight checked together: one decode per frame
            cached = self._cache.get((self._owner, k))
            if cached is not None:
                done: Future[np.ndarray] = Future()
                done.set_result(cached)
                return done
            future = self._inflight.get(k)
            if future is not None:
                return future
            future = decode_pool().submit(self._decode, k, self._decoder.new_buffer())
            self._inflight[k] = future
        future.add_done_callback(functools.partial(self._forget, k))
        return future

    def prefetch(self, ks: Iterable[int]) -> None:
        """Queue frames for decoding ahead of display (errors stay in their futures)."""
        for k in ks:
            if 0 <= k < self.n_frames:
                self.request(k)

    def close(self) -> None:
        """Cancel queued decodes, drop this loop's cached frames and release the file."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pending = list(self._inflight.values())
        for future in pending:
            future.cancel()
        wait(pending)
        self._cache.discard(self._owner)
        self._decoder.close()

    def __enter__(self) -> Loop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Loop({str(self.path)!r}, {self.n_frames} frames, {self.info.columns}x{self.info.rows})"

    def _check(self, k: int) -> None:
        if self._closed:
            raise ImagingError("loop is closed", self.path)
        if not 0 <= k < self.n_frames:
            raise IndexError(f"{self.path}: frame index {k} out of range 0..{self.n_frames - 1}")

    def _decode(self, k: int, out: np.ndarray | None = None) -> np.ndarray:
        return self._cache.put((self._owner, k), self._decoder.decode(k, out))

    def _forget(self, k: int, future: Future[np.ndarray]) -> None:
        with self._lock:
            if self._inflight.get(k) is future:
                del self._inflight[k]
