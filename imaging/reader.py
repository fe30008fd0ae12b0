"""Reading DICOM headers and locating Pixel Data, with typed errors that name the file.

The header is parsed once with ``stop_before_pixels``; the pixel data is then sliced from a
memory map of the file at the offset where the header ended, so a loop never copies its
compressed frames and a truncated file still gives the frames it holds.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import stat
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian

from imaging.errors import (
    CorruptImageError,
    ImagingError,
    NotDicomError,
    NotRegularFileError,
    UnsupportedImageError,
)

MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"
_PIXEL_DATA_TAG = (0x7FE0, 0x0010)
_UNDEFINED_LENGTH = 0xFFFFFFFF
#: Header values larger than this are not read (pydicom defers them): a damaged length field can
#: declare gigabytes, and reading it would allocate them before failing.
DEFER_BYTES = 1 << 20
_PIXEL_VRS = (b"OB", b"OW", b"UN", b"OV", b"OF", b"OD", b"OL")


def read_header(path: Path) -> Dataset:
    """Header of a DICOM file (no pixel data). Raises NotDicomError / CorruptImageError / ImagingError."""
    return read_header_extent(path)[0]


def read_header_extent(path: Path) -> tuple[Dataset, int]:
    """Header of a DICOM file and the number of bytes after it (the most the pixel data can hold)."""
    with _open(path) as fp:
        header = _parse_header(fp, path)
        end = fp.tell()
        return header, max(0, os.fstat(fp.fileno()).st_size - end)


def require_image(ds: Dataset, path: Path) -> None:
    """Refuse datasets that are not images or whose pixel encoding is unknown."""
    if str(getattr(ds, "SOPClassUID", "")) == MEDIA_STORAGE_DIRECTORY or "DirectoryRecordSequence" in ds:
        raise UnsupportedImageError("is a DICOMDIR (an index of files), not an image", path)
    if "Rows" not in ds or "Columns" not in ds:
        sop = getattr(ds, "SOPClassUID", None)
        name = getattr(sop, "name", None) or str(sop or "unknown")
        raise UnsupportedImageError(f"holds no image (SOP class {name!r} has no Rows/Columns)", path)
    if not transfer_syntax(ds):
        raise UnsupportedImageError(
            "has no Transfer Syntax UID (0002,0010) in its file meta: the pixel encoding is unknown", path)


def transfer_syntax(ds: Dataset) -> UID | None:
    meta = getattr(ds, "file_meta", None)
    uid = getattr(meta, "TransferSyntaxUID", None) if meta is not None else None
    return UID(str(uid)) if uid else None


@dataclass
class PixelSource:
    """Header plus a view of the raw Pixel Data value (items included when encapsulated)."""

    header: Dataset
    pixel_data: memoryview | None
    encapsulated: bool
    declared_length: int | None  # None when undefined (encapsulated)
    _mmap: mmap.mmap | None = None

    def close(self) -> None:
        """Release the view and the memory map (frames already decoded stay valid)."""
        if self.pixel_data is not None:
            self.pixel_data.release()
            self.pixel_data = None
        if self._mmap is not None:
            with contextlib.suppress(BufferError):  # a slice is still in use elsewhere; the map goes with it
                self._mmap.close()
            self._mmap = None


def open_pixels(path: Path) -> PixelSource:
    """Header and Pixel Data view of an image file; a missing Pixel Data element gives ``None``."""
    with _open(path) as fp:
        header = _parse_header(fp, path)
        require_image(header, path)
        offset = fp.tell()
        if transfer_syntax(header) == DeflatedExplicitVRLittleEndian:
            return _deflated_source(path, header)
        size = fp.seek(0, 2)
        if size <= offset:
            return PixelSource(header, None, False, None)
        mapped = mmap.mmap(fp.fileno(), 0, access=mmap.ACCESS_READ)
    view = memoryview(mapped)
    start, length = _pixel_element(view, offset, header, path)
    if start is None:
        view.release()
        mapped.close()
        return PixelSource(header, None, False, None)
    encapsulated = length == _UNDEFINED_LENGTH
    end = len(view) if encapsulated else min(len(view), start + length)
    return PixelSource(header, view[start:end], encapsulated, None if encapsulated else length, mapped)


def _open(path: Path) -> BinaryIO:
    """Open a regular file for reading; a device, FIFO or socket is refused before it is opened.

    Opening ``/dev/zero`` or a FIFO would never end (or never return), so the type is checked
    with ``stat`` first, and again on the open descriptor in case the path changed in between.
    """
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise ImagingError("is a folder, not a file", path)
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(f"is not a regular file ({_file_kind(mode)}); refused", path)
        fp = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    except FileNotFoundError:
        raise ImagingError("file not found", path) from None
    except IsADirectoryError:
        raise ImagingError("is a folder, not a file", path) from None
    except OSError as exc:
        raise ImagingError(f"cannot be opened ({exc.strerror})", path) from None
    if not stat.S_ISREG(os.fstat(fp.fileno()).st_mode):
        fp.close()
        raise NotRegularFileError("is not a regular file; refused", path)
    return fp


def _file_kind(mode: int) -> str:
    """Plain name of a non-regular file type."""
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a plain file"


def _parse_header(fp: BinaryIO, path: Path) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return dcmread(fp, stop_before_pixels=True, defer_size=DEFER_BYTES)
        except InvalidDicomError:
            pass
        except MemoryError:
            raise CorruptImageError("DICOM header is unreadable (an element declares more bytes than can be held)",
                                    path) from None
        except Exception as exc:  # noqa: BLE001 - any parser failure is a damaged header
            raise CorruptImageError(f"DICOM header is unreadable ({type(exc).__name__}: {exc})", path) from None
        fp.seek(0)
        try:
            ds = dcmread(fp, stop_before_pixels=True, force=True, defer_size=DEFER_BYTES)
        except Exception:  # noqa: BLE001 - garbage under force: simply not DICOM
            ds = None
    if ds is None or not ("SOPClassUID" in ds or "Rows" in ds or "PatientID" in ds):
        raise NotDicomError("is not a DICOM file (no 'DICM' prefix and no readable DICOM dataset)", path)
    return ds


def _pixel_element(view: memoryview, offset: int, header: Dataset, path: Path) -> tuple[int | None, int]:
    """Start and declared length of the Pixel Data value at ``offset`` (None when absent)."""
    ts = transfer_syntax(header)
    endian = ">" if ts == ExplicitVRBigEndian else "<"
    if len(view) < offset + 8:
        return None, 0
    group, element = struct.unpack_from(endian + "HH", view, offset)
    if (group, element) != _PIXEL_DATA_TAG:
        return None, 0
    # the VR bytes decide, not the transfer syntax: some files (pydicom's SC_rgb_jpeg.dcm) write an
    # implicit-VR Pixel Data element under an explicit-VR transfer syntax, and pydicom reads them
    if bytes(view[offset + 4:offset + 6]) not in _PIXEL_VRS:
        (length,) = struct.unpack_from(endian + "L", view, offset + 4)
        return offset + 8, length
    if len(view) < offset + 12:
        raise CorruptImageError("file ends inside the Pixel Data element header", path)
    (length,) = struct.unpack_from(endian + "L", view, offset + 8)
    return offset + 12, length


def _deflated_source(path: Path, header: Dataset) -> PixelSource:
    """Deflated files: offsets refer to the inflated stream, so let pydicom read the whole file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = dcmread(path)
        except Exception as exc:  # noqa: BLE001
            raise CorruptImageError(f"deflated data is unreadable ({exc})", path) from None
    element = ds.get("PixelData")
    if element is None:
        return PixelSource(header, None, False, None)
    encapsulated = getattr(ds["PixelData"], "is_undefined_length", False)
    data = memoryview(bytes(ds.PixelData))
    return PixelSource(header, data, encapsulated, None if encapsulated else len(data))
