"""Image geometry from the header, checked before anything is allocated for it.

A header can lie: a 46 KB file declaring 2**31 - 1 frames, or 65535 x 65535 RGB. Every number that
sizes an allocation (frames, rows, columns, samples, bits; PS3.3 C.7.6.3 Image Pixel module,
C.7.6.6 Multi-frame module) is read here, checked against fixed limits and against the bytes the
file can hold, and refused with a :class:`GeometryError` naming the file and the attribute.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imaging.cache import DEFAULT_BUDGET_BYTES
from imaging.errors import GeometryError, HeaderError

#: Most frames one loop may declare: 100 000 frames is 55 min at 30 frames/s, far beyond any cine loop.
MAX_FRAMES = 100_000
#: Largest decoded frame (display RGB, uint8): one frame must fit the frame cache's default budget.
MAX_FRAME_BYTES = DEFAULT_BUDGET_BYTES
#: Bits Allocated values a pixel decoder can hold (PS3.5 8.1.1: 1, or a multiple of 8).
ALLOWED_BITS = (1, 8, 16, 32)
#: Smallest bytes a frame occupies in a file: an encapsulated frame needs at least its 8-byte item header.
MIN_ENCODED_FRAME_BYTES = 8

_TAGS = {"NumberOfFrames": "(0028,0008)", "Rows": "(0028,0010)", "Columns": "(0028,0011)",
         "SamplesPerPixel": "(0028,0002)", "BitsAllocated": "(0028,0100)"}


@dataclass(frozen=True, slots=True)
class Geometry:
    """Checked image geometry of one file."""

    rows: int
    columns: int
    samples: int
    bits: int
    n_frames: int
    photometric: str

    @property
    def frame_bytes(self) -> int:
        """Bytes of one native (uncompressed) frame in the file."""
        if self.photometric == "YBR_FULL_422":
            return self.rows * self.columns * 2 * max(self.bits // 8, 1)
        return (self.rows * self.columns * self.samples * self.bits + 7) // 8

    @property
    def decoded_bytes(self) -> int:
        """Bytes of one decoded display frame (uint8, RGB at most)."""
        return self.rows * self.columns * max(self.samples, 3 if self.photometric == "PALETTE COLOR" else 1)


def label(keyword: str) -> str:
    """``"NumberOfFrames (0028,0008)"``: the keyword with its tag, as messages name attributes."""
    tag = _TAGS.get(keyword)
    return f"{keyword} {tag}" if tag else keyword


def header_value(ds: Any, keyword: str, path: Path) -> Any:
    """The value of ``keyword`` (None when absent); an element pydicom cannot decode is a HeaderError.

    pydicom converts raw elements only when they are first read, so a damaged value fails here
    (``struct.error``, ``ValueError``...), not at ``dcmread``.
    """
    try:
        return getattr(ds, keyword, None)
    except Exception as exc:  # noqa: BLE001 - any decoding failure of one element
        raise HeaderError(f"{label(keyword)} is unreadable ({type(exc).__name__}: {exc})", path, keyword) from None


def _whole(ds: Any, keyword: str, path: Path, default: int | None) -> int:
    value = header_value(ds, keyword, path)
    if value is None or value == "":
        if default is None:
            raise GeometryError(f"{label(keyword)} is missing", path, keyword)
        return default
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise GeometryError(f"{label(keyword)} is not a whole number ({str(value)[:40]!r})", path, keyword) from None
    if number != float(value):
        raise GeometryError(f"{label(keyword)} is not a whole number ({value!r})", path, keyword)
    return number


def read_geometry(ds: Any, path: Path) -> Geometry:
    """Frames, rows, columns, samples and bits of ``ds``, each within its limits, or a GeometryError."""
    rows = _whole(ds, "Rows", path, None)
    columns = _whole(ds, "Columns", path, None)
    samples = _whole(ds, "SamplesPerPixel", path, 1)
    bits = _whole(ds, "BitsAllocated", path, 8)
    n_frames = _whole(ds, "NumberOfFrames", path, 1)
    photometric = str(header_value(ds, "PhotometricInterpretation", path) or "").strip()
    for keyword, value in (("Rows", rows), ("Columns", columns)):
        if not 1 <= value <= 65535:
            raise GeometryError(f"{label(keyword)} is {value}: an image needs 1 to 65535", path, keyword)
    if samples not in (1, 3, 4):
        raise GeometryError(f"{label('SamplesPerPixel')} is {samples}: must be 1, 3 or 4", path, "SamplesPerPixel")
    if bits not in ALLOWED_BITS:
        raise GeometryError(f"{label('BitsAllocated')} is {bits}: must be one of {list(ALLOWED_BITS)}",
                            path, "BitsAllocated")
    if not 1 <= n_frames <= MAX_FRAMES:
        raise GeometryError(f"{label('NumberOfFrames')} is {n_frames}: a loop has 1 to {MAX_FRAMES} frames",
                            path, "NumberOfFrames")
    geometry = Geometry(rows, columns, samples, bits, n_frames, photometric)
    if geometry.decoded_bytes > MAX_FRAME_BYTES:
        raise GeometryError(
            f"Rows x Columns x SamplesPerPixel = {columns}x{rows}x{samples}: one decoded frame would take "
            f"{geometry.decoded_bytes / 2**30:.1f} GiB, more than the {MAX_FRAME_BYTES / 2**30:.0f} GiB frame cache",
            path, "Rows")
    return geometry


def check_file_holds(geometry: Geometry, bytes_after_header: int, path: Path) -> None:
    """Refuse a frame count the file cannot hold even at the smallest possible frame size.

    A file with nothing after its header (no Pixel Data at all) is left to the loop to refuse.
    """
    smallest = min(geometry.frame_bytes, MIN_ENCODED_FRAME_BYTES)
    if bytes_after_header and geometry.n_frames > 1 and geometry.n_frames * smallest > bytes_after_header:
        raise GeometryError(
            f"{label('NumberOfFrames')} is {geometry.n_frames}, but only {bytes_after_header} bytes follow the "
            f"header: the file cannot hold that many frames", path, "NumberOfFrames")


def check_native_length(geometry: Geometry, declared_length: int, path: Path) -> None:
    """Native Pixel Data: the element's declared length must hold every frame the header declares.

    A file cut short keeps its declared length (frames are then missing, with a warning); a
    declared length shorter than the geometry means the header lies.
    """
    needed = geometry.n_frames * geometry.frame_bytes
    if declared_length < needed:
        keyword = "NumberOfFrames" if declared_length >= geometry.frame_bytes else "Rows"
        raise GeometryError(
            f"{label(keyword)}: the header declares {geometry.n_frames} frame(s) of {geometry.columns}x{geometry.rows}"
            f"x{geometry.samples} at {geometry.bits} bits = {needed} bytes, but Pixel Data (7FE0,0010) declares "
            f"{declared_length} bytes", path, keyword)


def check_fragments(geometry: Geometry, fragments: int, complete: bool, offset_table_entries: int,
                    path: Path) -> None:
    """Encapsulated Pixel Data: at least one fragment per frame when the data is complete; a Basic
    Offset Table, when present, has one entry per frame (PS3.5 A.4)."""
    if offset_table_entries and offset_table_entries != geometry.n_frames:
        raise GeometryError(
            f"{label('NumberOfFrames')} is {geometry.n_frames}, but the Basic Offset Table lists "
            f"{offset_table_entries} frames", path, "NumberOfFrames")
    if complete and fragments < geometry.n_frames:
        raise GeometryError(
            f"{label('NumberOfFrames')} is {geometry.n_frames}, but the complete Pixel Data holds only {fragments} "
            f"fragment(s)", path, "NumberOfFrames")


def check_volume_size(slices: int, timepoints: int, rows: int, columns: int, path: Path) -> None:
    """A 3D/4D volume: its frame count within :data:`MAX_FRAMES` and one time point within the frame cache."""
    if not (slices >= 1 and timepoints >= 1 and slices * timepoints <= MAX_FRAMES):
        raise GeometryError(f"{timepoints} volume(s) of {slices} slices: a volume file holds 1 to {MAX_FRAMES} frames",
                            path, "NumberOfFrames")
    size = slices * rows * columns
    if size > MAX_FRAME_BYTES:
        raise GeometryError(
            f"one time point of {slices} slices x {rows} rows x {columns} columns would take {size / 2**30:.1f} GiB, "
            f"more than the {MAX_FRAME_BYTES / 2**30:.0f} GiB frame cache", path, "NumberOfFrames")
