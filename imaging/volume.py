"""3D/4D ultrasound volumes: header geometry and one time point decoded at a time.

Two encodings are read:

* **Enhanced US Volume** (SOP class 1.2.840.10008.5.1.4.1.1.6.2, PS3.3 A.59): each frame is one
  slice; its geometry comes from the functional groups (PS3.3 C.7.6.16): Pixel Measures (Pixel
  Spacing = [between rows, between columns], Spacing Between Slices), Plane Orientation (Volume)
  (Image Orientation (Volume) = direction of a row, then of a column), Plane Position (Volume)
  (Image Position (Volume) = centre of the frame's first voxel), and the time point from Frame
  Content (Temporal Position Index) or Temporal Position (Temporal Position Time Offset, s).
* **Philips QLAB "Cartesian" export** (private SOP class 1.2.840.113543.6.6.1.3.10002, private
  creator ``Philips3D``): one block of ``volumes x slices x rows x columns`` 8-bit voxels; x =
  column, y = row, z = slice, spacing Physical Delta X/Y (0018,602C/602E) and (3001,1003) in cm,
  origin 0, identity axes (the layout ITK-SNAP and SlicerHeart read). Real exports leave the Study
  and Series UIDs empty and write a Number of Frames that fits neither count, so the private
  counts (3001,1001) slices per volume and (3001,1002) volumes are trusted, checked against the
  length of the Pixel Data.

Voxel arrays are ``(slice, row, column)`` per time point; the position of voxel ``(s, r, c)`` in
mm of the volume's frame of reference is
``origin + c * spacing[0] * row_dir + r * spacing[1] * col_dir + s * spacing[2] * slice_dir``.
"""

from __future__ import annotations

import math
import re
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from imaging.cache import FrameCache
from imaging.decode import NATIVE, FrameDecoder
from imaging.errors import CorruptImageError, ImagingError, UnsupportedImageError
from imaging.geometry import check_volume_size, read_geometry
from imaging.loop import LoopInfo
from imaging.reader import PixelSource, open_pixels, require_image, transfer_syntax

ENHANCED_US_VOLUME = "1.2.840.10008.5.1.4.1.1.6.2"
PHILIPS_CARTESIAN = "1.2.840.113543.6.6.1.3.10002"
VOLUME_SOP_CLASSES = frozenset({ENHANCED_US_VOLUME, PHILIPS_CARTESIAN})
PHILIPS_CREATOR = "Philips3D"

Vec3 = tuple[float, float, float]

#: positions may stray this far (mm) from the regular grid before the reader says so
POSITION_TOLERANCE_MM = 0.01


def is_volume_sop_class(sop_class_uid: str) -> bool:
    """True for the SOP classes this module reads as volumes (never to be played as a loop)."""
    return str(sop_class_uid).strip() in VOLUME_SOP_CLASSES


@dataclass(frozen=True)
class VolumeGeometry:
    """Where the voxels of one time point lie, in mm of the volume's frame of reference.

    ``shape`` is ``(slices, rows, columns)``; ``spacing_mm`` is (along a row, between rows,
    between slices); ``origin_mm`` is the centre of voxel (0, 0, 0); the directions are unit
    vectors of increasing column, row and slice index.
    """

    shape: tuple[int, int, int]
    origin_mm: Vec3
    row_dir: Vec3
    col_dir: Vec3
    slice_dir: Vec3
    spacing_mm: Vec3

    def index_to_mm_matrix(self) -> np.ndarray:
        """3x3 matrix taking (column, row, slice) index steps to mm."""
        return np.column_stack([np.asarray(self.row_dir) * self.spacing_mm[0],
                                np.asarray(self.col_dir) * self.spacing_mm[1],
                                np.asarray(self.slice_dir) * self.spacing_mm[2]])

    def voxel_mm(self, slice_: float, row: float, column: float) -> np.ndarray:
        """Position (mm) of the centre of voxel (slice, row, column); fractional indices allowed."""
        position: np.ndarray = np.asarray(self.origin_mm) + self.index_to_mm_matrix() @ np.array(
            [column, row, slice_], float)
        return position

    def mm_to_index(self, points_mm: np.ndarray) -> np.ndarray:
        """Fractional (column, row, slice) indices of points ``(..., 3)`` in mm."""
        inverse = np.linalg.inv(self.index_to_mm_matrix())
        result: np.ndarray = (np.asarray(points_mm, float) - np.asarray(self.origin_mm)) @ inverse.T
        return result


@dataclass(frozen=True)
class VolumeInfo:
    """What the header says about one volume file; never decodes pixel data."""

    path: Path
    format: str  # "enhanced_us_volume" | "philips_cartesian"
    header: LoopInfo  # identity of the file (patient, study, series), as for any image
    geometry: VolumeGeometry
    timepoints: int
    frame_time_ms: float | None
    #: frame index (0-based in the file) of each (time point, slice)
    frame_map: tuple[tuple[int, ...], ...]
    warnings: tuple[str, ...]

    @property
    def sop_instance_uid(self) -> str:
        return self.header.sop_instance_uid

    @property
    def sop_class_uid(self) -> str:
        return self.header.sop_class_uid

    @property
    def dimensions(self) -> tuple[int, int, int]:
        """[columns, rows, slices], as ``mitraplan info`` lists them."""
        slices, rows, columns = self.geometry.shape
        return columns, rows, slices

    def as_info(self) -> dict[str, Any]:
        """The volume as ``mitraplan info`` prints it (a command-line contract)."""
        g = self.geometry
        return {
            "path": str(self.path),
            "sop_instance_uid": self.sop_instance_uid,
            "sop_class_uid": self.sop_class_uid,
            "study_instance_uid": self.header.study_instance_uid,
            "series_instance_uid": self.header.series_instance_uid,
            "format": self.format,
            "dimensions": list(self.dimensions),
            "spacing_mm": [_round(v) for v in g.spacing_mm],
            "timepoints": self.timepoints,
            "frame_time_ms": None if self.frame_time_ms is None else _round(self.frame_time_ms),
            "origin_mm": [_round(v) for v in g.origin_mm],
            "axes": [[_round(v) for v in axis] for axis in (g.row_dir, g.col_dir, g.slice_dir)],
            "warnings": list(self.warnings),
        }


def _round(value: float) -> float:
    return round(float(value), 6)


class Volume:
    """A volume file opened for reading: ``timepoint(t)`` decodes one time point on demand.

    Without a cache only the most recent time point is kept (one time point's memory); with a
    ``FrameCache`` (the viewer's, shared with the loops) decoded time points stay in it under its
    memory budget, for 4D playback. Safe to call from several threads.
    """

    def __init__(self, info: VolumeInfo, source: PixelSource, cache: FrameCache | None = None) -> None:
        self.info = info
        self._source = source
        self._decoder: FrameDecoder | None = None
        self._lock = threading.Lock()
        self._last: tuple[int, np.ndarray] | None = None
        self._cache = cache
        stat = info.path.stat()
        self._owner = ("volume", str(info.path.resolve()), info.sop_instance_uid, stat.st_mtime_ns, stat.st_size)

    @classmethod
    def open(cls, path: str | Path, cache: FrameCache | None = None) -> Volume:
        """Open a volume file; typed ImagingError naming it when it is not a readable volume."""
        path = Path(path)
        source = open_pixels(path)
        try:
            info = volume_info_from_dataset(source.header, path, _pixel_length(source))
        except BaseException:
            source.close()
            raise
        return cls(info, source, cache)

    @property
    def geometry(self) -> VolumeGeometry:
        return self.info.geometry

    @property
    def timepoints(self) -> int:
        return self.info.timepoints

    def timepoint(self, t: int) -> np.ndarray:
        """Time point ``t`` (0-based) as a read-only ``uint8`` array ``(slices, rows, columns)``."""
        if not 0 <= t < self.timepoints:
            raise IndexError(f"{self.info.path}: time point index {t} out of range 0..{self.timepoints - 1}")
        with self._lock:
            cached = self._cache.get((self._owner, t)) if self._cache is not None else (
                self._last[1] if self._last is not None and self._last[0] == t else None)
            if cached is not None:
                return cached
            voxels = self._decode(t)
            voxels.setflags(write=False)
            if self._cache is not None:
                return self._cache.put((self._owner, t), voxels)
            self._last = (t, voxels)
            return voxels

    def close(self) -> None:
        with self._lock:
            self._last = None
            if self._cache is not None:
                self._cache.discard(self._owner)
            if self._decoder is not None:
                self._decoder.close()
            else:
                self._source.close()

    def __enter__(self) -> Volume:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _decode(self, t: int) -> np.ndarray:
        frames = self.info.frame_map[t]
        shape = self.geometry.shape
        fast = self._native_block(frames)
        if fast is not None:
            return fast
        if self._decoder is None:
            self._decoder = FrameDecoder(self._source, self.info.path, self.info.header.n_frames)
        out = np.empty(shape, np.uint8)
        for s, k in enumerate(frames):
            frame = self._decoder.decode(k)
            out[s] = frame if frame.ndim == 2 else frame[..., 0]
        return out

    def _native_block(self, frames: Sequence[int]) -> np.ndarray | None:
        """Native 8-bit grey voxels copied straight from the file (no per-frame decode)."""
        header = self._source.header
        data = self._source.pixel_data
        if (data is None or self._source.encapsulated or transfer_syntax(header) not in NATIVE
                or int(getattr(header, "BitsAllocated", 8)) != 8 or int(getattr(header, "SamplesPerPixel", 1)) != 1
                or str(getattr(header, "PhotometricInterpretation", "")).strip() != "MONOCHROME2"):
            return None
        slices, rows, columns = self.geometry.shape
        frame_len = rows * columns
        flat = np.frombuffer(data, np.uint8)
        first = frames[0]
        if list(frames) == list(range(first, first + slices)):  # slices stored in order: one copy
            return flat[first * frame_len:(first + slices) * frame_len].reshape(slices, rows, columns).copy()
        out = np.empty((slices, rows, columns), np.uint8)
        for s, k in enumerate(frames):
            out[s] = flat[k * frame_len:(k + 1) * frame_len].reshape(rows, columns)
        return out


# --- reading headers -------------------------------------------------------------------------

def read_volume_info(path: str | Path) -> VolumeInfo:
    """Header facts of a volume file (no voxel decoded). Raises a typed ImagingError naming it."""
    path = Path(path)
    source = open_pixels(path)  # maps the file; only the Pixel Data element header is read
    try:
        return volume_info_from_dataset(source.header, path, _pixel_length(source))
    finally:
        source.close()


def volume_info_from_dataset(ds: Any, path: Path, pixel_bytes: int | None) -> VolumeInfo:
    """Volume facts of a parsed header; ``pixel_bytes`` is the native Pixel Data length (None if encapsulated)."""
    require_image(ds, path)
    read_geometry(ds, path)  # frames, rows, columns checked before anything is sized by them
    sop_class = str(getattr(ds, "SOPClassUID", "")).strip()
    if sop_class == PHILIPS_CARTESIAN:
        return _philips_cartesian(ds, path, pixel_bytes)
    if sop_class == ENHANCED_US_VOLUME:
        return _enhanced_us_volume(ds, path, pixel_bytes)
    raise UnsupportedImageError(f"SOP class {sop_class or '(none)'} is not a 3D volume", path)


def _pixel_length(source: PixelSource) -> int | None:
    if source.pixel_data is None:
        return 0
    return None if source.encapsulated else len(source.pixel_data)


def _frame_bytes(ds: Any) -> int:
    rows, columns = int(ds.Rows), int(ds.Columns)
    samples = int(getattr(ds, "SamplesPerPixel", 1) or 1)
    bits = int(getattr(ds, "BitsAllocated", 8) or 8)
    return (rows * columns * samples * bits + 7) // 8


def _check_pixel_length(path: Path, pixel_bytes: int | None, needed: int, what: str) -> list[str]:
    """Refuse short Pixel Data (naming what it should hold); a longer one is a warning."""
    if pixel_bytes is None:
        return []
    if pixel_bytes < needed:
        raise CorruptImageError(
            f"Pixel Data holds {pixel_bytes} bytes, {needed - pixel_bytes} fewer than {what} need "
            f"({needed} bytes): the volume is truncated", path)
    if pixel_bytes > needed:
        return [f"Pixel Data holds {pixel_bytes - needed} bytes more than {what} need; the rest is ignored"]
    return []


def _philips_cartesian(ds: Any, path: Path, pixel_bytes: int | None) -> VolumeInfo:
    warnings: list[str] = []
    block = _private_block(ds, path)
    slices = _private_int(ds, block, 0x01, "(3001,1001) slices per volume", path)
    rows, columns = int(ds.Rows), int(ds.Columns)
    if ds.get((0x3001, (block << 8) | 0x02)) is None and pixel_bytes:  # count the volumes the data holds
        volumes = max(1, pixel_bytes // (slices * rows * columns))
        warnings.append(f"no (3001,1002) number of volumes: {volumes} counted from the Pixel Data length")
    else:
        volumes = _private_int(ds, block, 0x02, "(3001,1002) number of volumes", path)
    dz_cm = _private_float(ds, block, 0x03, "(3001,1003) slice spacing", path)
    dx_cm, dy_cm = _float(ds, "PhysicalDeltaX", path), _float(ds, "PhysicalDeltaY", path)
    for keyword in ("PhysicalUnitsXDirection", "PhysicalUnitsYDirection"):
        unit = getattr(ds, keyword, 3)
        if unit not in (None, "", 3):
            raise UnsupportedImageError(f"{keyword} is {unit}, not 3 (cm): the voxel spacing is unknown", path)
    if int(getattr(ds, "BitsAllocated", 8) or 8) != 8 or int(getattr(ds, "SamplesPerPixel", 1) or 1) != 1:
        raise UnsupportedImageError("Philips Cartesian export that is not 8-bit grey is not supported", path)
    declared = _int_or_none(ds, "NumberOfFrames")
    if declared is not None and declared != slices * volumes:
        warnings.append(f"Number of Frames says {declared}, but the private counts give {volumes} volumes x "
                        f"{slices} slices = {slices * volumes} frames; the private counts are used")
    check_volume_size(slices, volumes, rows, columns, path)
    what = f"{volumes} volumes x {slices} slices x {rows} rows x {columns} columns"
    warnings += _check_pixel_length(path, pixel_bytes, volumes * slices * rows * columns, what)
    header = replace(LoopInfo.from_dataset(ds, path), n_frames=slices * volumes)
    geometry = VolumeGeometry(shape=(slices, rows, columns), origin_mm=(0.0, 0.0, 0.0),
                              row_dir=(1.0, 0.0, 0.0), col_dir=(0.0, 1.0, 0.0), slice_dir=(0.0, 0.0, 1.0),
                              spacing_mm=(abs(dx_cm) * 10.0, abs(dy_cm) * 10.0, abs(dz_cm) * 10.0))
    frame_time = _float_or_none(ds, "FrameTime")
    frame_map = tuple(tuple(range(t * slices, (t + 1) * slices)) for t in range(volumes))
    return VolumeInfo(path=path, format="philips_cartesian", header=header, geometry=geometry, timepoints=volumes,
                      frame_time_ms=frame_time, frame_map=frame_map, warnings=tuple(warnings))


def _private_block(ds: Any, path: Path) -> int:
    for element in range(0x10, 0x100):
        creator = ds.get((0x3001, element))
        if creator is not None and str(creator.value).strip() == PHILIPS_CREATOR:
            return element
    raise ImagingError(f"Philips Cartesian export without the '{PHILIPS_CREATOR}' private creator in group 3001",
                       path)


def _private_value(ds: Any, block: int, offset: int, name: str, path: Path) -> Any:
    element = ds.get((0x3001, (block << 8) | offset))
    value = None if element is None else element.value
    if isinstance(value, bytes):  # implicit VR or unknown private tag: little-endian raw bytes
        value = _decode_private_bytes(value)
    if value is None or value == "":
        raise ImagingError(f"Philips Cartesian export lacks {name}", path)
    return value


def _decode_private_bytes(raw: bytes) -> float | int:
    if len(raw) == 8:
        return float(np.frombuffer(raw, "<f8")[0])
    if len(raw) == 4:
        return int(np.frombuffer(raw, "<u4")[0])
    if len(raw) == 2:
        return int(np.frombuffer(raw, "<u2")[0])
    raise ValueError(f"unexpected private value of {len(raw)} bytes")


def _private_int(ds: Any, block: int, offset: int, name: str, path: Path) -> int:
    value = int(_private_value(ds, block, offset, name, path))
    if value < 1:
        raise ImagingError(f"Philips Cartesian export has {name} = {value}", path)
    return value


def _private_float(ds: Any, block: int, offset: int, name: str, path: Path) -> float:
    value = float(_private_value(ds, block, offset, name, path))
    if not math.isfinite(value) or value == 0:
        raise ImagingError(f"Philips Cartesian export has {name} = {value}", path)
    return value


def _float(ds: Any, keyword: str, path: Path) -> float:
    value = _float_or_none(ds, keyword)
    if value is None or value == 0:
        raise ImagingError(f"{keyword} is missing or zero: the voxel spacing is unknown", path)
    return value


def _float_or_none(ds: Any, keyword: str) -> float | None:
    try:
        value = getattr(ds, keyword, None)
        number = None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None
    return number if number is not None and math.isfinite(number) else None


def _int_or_none(ds: Any, keyword: str) -> int | None:
    try:
        value = getattr(ds, keyword, None)
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None


# --- Enhanced US Volume ------------------------------------------------------------------------

@dataclass(frozen=True)
class _FrameGeometry:
    position: np.ndarray
    orientation: tuple[float, ...]
    time_key: float | None
    time_offset_s: float | None


def _group_item(ds: Any, frame_item: Any, sequence: str) -> Any:
    """The item of a functional group for one frame: per-frame first, else shared (PS3.3 C.7.6.16)."""
    for holder in (frame_item, _shared(ds)):
        if holder is not None and sequence in holder and len(getattr(holder, sequence)) > 0:
            return getattr(holder, sequence)[0]
    return None


def _shared(ds: Any) -> Any:
    shared = getattr(ds, "SharedFunctionalGroupsSequence", None)
    return shared[0] if shared else None


def _enhanced_us_volume(ds: Any, path: Path, pixel_bytes: int | None) -> VolumeInfo:
    warnings: list[str] = []
    n_frames = _int_or_none(ds, "NumberOfFrames") or 1
    frames = _scan_frame_geometry(ds, n_frames)
    measures = _group_item(ds, None, "PixelMeasuresSequence")
    if frames is None or measures is None:  # the per-frame groups parsed item by item (slower)
        per_frame = list(getattr(ds, "PerFrameFunctionalGroupsSequence", []) or [])
        if per_frame and len(per_frame) != n_frames:
            raise ImagingError(f"Per-frame Functional Groups hold {len(per_frame)} items for {n_frames} frames", path)
        frames = [_frame_geometry(ds, per_frame[k] if per_frame else None, k, path) for k in range(n_frames)]
        measures = _group_item(ds, per_frame[0] if per_frame else None, "PixelMeasuresSequence")
    if measures is None or "PixelSpacing" not in measures:
        raise ImagingError("Pixel Measures functional group (Pixel Spacing) is missing: the voxel size is unknown",
                           path)
    row_spacing, column_spacing = (float(v) for v in measures.PixelSpacing)
    declared_gap = _float_or_none(measures, "SpacingBetweenSlices")
    groups = _group_by_time(frames)
    orientation = frames[0].orientation
    if any(not np.allclose(f.orientation, orientation, atol=1e-6) for f in frames):
        warnings.append("Image Orientation (Volume) differs between frames; the first frame's is used")
    row_dir, col_dir = _unit(orientation[:3], path), _unit(orientation[3:], path)
    if abs(float(row_dir @ col_dir)) > 1e-4:
        warnings.append("Image Orientation (Volume): the row and column directions are not perpendicular")
    normal = _unit(np.cross(row_dir, col_dir), path)
    frame_map, origin, measured_gap, grid_warnings = _slices_along_normal(frames, groups, normal, path)
    warnings += grid_warnings
    gap = measured_gap if measured_gap is not None else declared_gap
    if gap is None or gap <= 0:
        raise ImagingError("Spacing Between Slices is missing and the frames hold one slice per time point", path)
    if declared_gap is not None and measured_gap is not None and abs(declared_gap - measured_gap) > 1e-3:
        warnings.append(f"Spacing Between Slices says {declared_gap:g} mm, the frame positions are "
                        f"{measured_gap:g} mm apart; the positions are used")
    slices = len(frame_map[0])
    rows, columns = int(ds.Rows), int(ds.Columns)
    check_volume_size(slices, len(frame_map), rows, columns, path)
    what = f"{n_frames} frames of {rows} rows x {columns} columns"
    warnings += _check_pixel_length(path, pixel_bytes, n_frames * _frame_bytes(ds), what)
    geometry = VolumeGeometry(shape=(slices, rows, columns), origin_mm=_vec(origin), row_dir=_vec(row_dir),
                              col_dir=_vec(col_dir), slice_dir=_vec(normal),
                              spacing_mm=(column_spacing, row_spacing, float(gap)))
    header = LoopInfo.from_dataset(ds, path)
    frame_time = _frame_time_ms(ds, frames, groups)
    return VolumeInfo(path=path, format="enhanced_us_volume", header=header, geometry=geometry,
                      timepoints=len(frame_map), frame_time_ms=frame_time, frame_map=frame_map,
                      warnings=tuple(warnings))


def _frame_geometry(ds: Any, item: Any, k: int, path: Path) -> _FrameGeometry:
    position_item = _group_item(ds, item, "PlanePositionVolumeSequence")
    orientation_item = _group_item(ds, item, "PlaneOrientationVolumeSequence")
    if position_item is None or "ImagePositionVolume" not in position_item:
        raise ImagingError(f"frame {k + 1} has no Plane Position (Volume) (Image Position (Volume) (0020,9301))", path)
    if orientation_item is None or "ImageOrientationVolume" not in orientation_item:
        raise ImagingError(f"frame {k + 1} has no Plane Orientation (Volume) (Image Orientation (Volume) (0020,9302))",
                           path)
    content = _group_item(ds, item, "FrameContentSequence")
    temporal = _group_item(ds, item, "TemporalPositionSequence")
    index = _float_or_none(content, "TemporalPositionIndex") if content is not None else None
    offset = _float_or_none(temporal, "TemporalPositionTimeOffset") if temporal is not None else None
    return _FrameGeometry(position=np.array([float(v) for v in position_item.ImagePositionVolume]),
                          orientation=tuple(float(v) for v in orientation_item.ImageOrientationVolume),
                          time_key=index if index is not None else offset, time_offset_s=offset)


#: per-frame attributes found by scanning the raw Per-frame Functional Groups bytes: tag, VR, struct format
_SCANNED = {"position": (0x00209301, b"FD", "<3d"), "orientation": (0x00209302, b"FD", "<6d"),
            "index": (0x00209128, b"UL", "<I"), "offset": (0x0020930D, b"FD", "<d")}


def _scan_frame_geometry(ds: Any, n_frames: int) -> list[_FrameGeometry] | None:
    """Per-frame geometry read straight from the undecoded Per-frame Functional Groups bytes.

    Parsing thousands of sequence items with pydicom takes seconds; each attribute here has a
    fixed-size value, so its tag, VR and length form a fixed byte pattern. Used only when every
    attribute occurs once per frame (or never, for those the shared groups may hold); otherwise
    None, and the items are parsed one by one.
    """
    raw = ds.get_item(0x52009230) if "PerFrameFunctionalGroupsSequence" in ds else None
    value = getattr(raw, "value", None)
    if not isinstance(value, bytes) or not getattr(raw, "is_little_endian", False):
        return None
    implicit = bool(getattr(raw, "is_implicit_VR", False))
    found: dict[str, list[tuple[float, ...]]] = {}
    for name, (tag, vr, fmt) in _SCANNED.items():
        size = struct.calcsize(fmt)
        head = struct.pack("<HH", tag >> 16, tag & 0xFFFF)
        pattern = head + (struct.pack("<I", size) if implicit else vr + struct.pack("<H", size))
        found[name] = [struct.unpack_from(fmt, value, m.end()) for m in re.finditer(re.escape(pattern), value)]
        if len(found[name]) not in (0, n_frames):
            return None
    shared = _shared(ds)
    if not found["position"]:
        return None
    orientation = found["orientation"] or _shared_orientation(shared, n_frames)
    if orientation is None or (not found["index"] and _has_shared(shared, "FrameContentSequence")):
        return None
    if not found["offset"] and _has_shared(shared, "TemporalPositionSequence"):
        return None
    frames = []
    for k in range(n_frames):
        index = float(found["index"][k][0]) if found["index"] else None
        offset = float(found["offset"][k][0]) if found["offset"] else None
        frames.append(_FrameGeometry(position=np.array(found["position"][k], float), orientation=orientation[k],
                                     time_key=index if index is not None else offset, time_offset_s=offset))
    return frames


def _has_shared(shared: Any, sequence: str) -> bool:
    return shared is not None and sequence in shared


def _shared_orientation(shared: Any, n_frames: int) -> list[tuple[float, ...]] | None:
    if not _has_shared(shared, "PlaneOrientationVolumeSequence"):
        return None
    item = shared.PlaneOrientationVolumeSequence[0]
    if "ImageOrientationVolume" not in item:
        return None
    return [tuple(float(v) for v in item.ImageOrientationVolume)] * n_frames


def _group_by_time(frames: list[_FrameGeometry]) -> list[list[int]]:
    """Frame indices per time point, in time order.

    By Temporal Position Index or Time Offset when the frames carry one; otherwise a position met
    again starts the next time point (frames stored volume after volume).
    """
    if all(f.time_key is not None for f in frames):
        keys = sorted({f.time_key for f in frames if f.time_key is not None})
        return [[k for k, f in enumerate(frames) if f.time_key == key] for key in keys]
    seen: dict[tuple[float, ...], int] = {}
    groups: list[list[int]] = []
    for k, f in enumerate(frames):
        key = tuple(np.round(f.position, 3))
        t = seen.get(key, 0)
        seen[key] = t + 1
        while len(groups) <= t:
            groups.append([])
        groups[t].append(k)
    return groups


def _slices_along_normal(frames: list[_FrameGeometry], groups: list[list[int]], normal: np.ndarray,
                         path: Path) -> tuple[tuple[tuple[int, ...], ...], np.ndarray, float | None, list[str]]:
    """Each time point's frames sorted along the normal, the first voxel's centre and the slice gap."""
    warnings: list[str] = []
    counts = {len(g) for g in groups}
    if len(counts) != 1:
        raise ImagingError(f"time points hold different numbers of slices ({sorted(counts)})", path)
    ordered: list[tuple[int, ...]] = []
    for group in groups:
        heights = np.array([frames[k].position @ normal for k in group])
        ordered.append(tuple(group[i] for i in np.argsort(heights, kind="stable")))
    first = ordered[0]
    positions = np.array([frames[k].position for k in first])
    origin = positions[0]
    gap: float | None = None
    if len(first) > 1:
        steps = np.diff(positions @ normal)
        gap = float(np.mean(steps))
        if gap <= 0:
            raise ImagingError("two frames of one time point share a position along the slice normal", path)
        expected = origin + np.outer(np.arange(len(first)) * gap, normal)
        worst = float(np.max(np.linalg.norm(positions - expected, axis=1)))
        if worst > POSITION_TOLERANCE_MM:
            warnings.append(f"per-frame positions are not equally spaced along the slice normal (up to {worst:.3f} mm "
                            f"off a regular {gap:.4g} mm grid); voxels are placed on the regular grid")
    for t, later in enumerate(ordered[1:], start=2):
        other = np.array([frames[k].position for k in later])
        if other.shape != positions.shape or not np.allclose(other, positions, atol=POSITION_TOLERANCE_MM):
            warnings.append(f"time point {t} lies elsewhere than time point 1; time point 1's geometry is used")
            break
    return tuple(ordered), origin, gap, warnings


def _frame_time_ms(ds: Any, frames: list[_FrameGeometry], groups: list[list[int]]) -> float | None:
    offsets = [frames[g[0]].time_offset_s for g in groups]
    if len(groups) > 1 and all(o is not None for o in offsets):
        steps = np.diff(np.array(offsets, float)) * 1000.0
        return float(np.median(steps))
    return _float_or_none(ds, "FrameTime")


def _unit(values: Sequence[float] | np.ndarray, path: Path) -> np.ndarray:
    vector = np.array(values, float)
    norm = float(np.linalg.norm(vector))
    if not math.isfinite(norm) or norm < 1e-6:
        raise ImagingError(f"Image Orientation (Volume) holds a zero direction {list(values)}", path)
    return vector / norm


def _vec(values: np.ndarray | Sequence[float]) -> Vec3:
    x, y, z = (float(v) for v in values)
    return (x, y, z)
