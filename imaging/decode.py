"""Decoding one frame at a time, with the decoder pinned per transfer syntax (PS3.5 Annex A.4, encapsulated frames).

* JPEG Baseline (.4.50), 8-bit YBR_FULL_422 / YBR_FULL / RGB-with-JFIF / grey: simplejpeg
  (libjpeg-turbo, MIT, releases the GIL) straight on the frame's bytes. Codestreams whose colour
  space pydicom would read differently from libjpeg (Adobe APP14, 'R','G','B' component IDs, or an
  RGB header without JFIF) go to pydicom's 'pillow' plugin, which applies pydicom's rules.
* RLE: pydicom's own decoder. JPEG lossless (.57/.70), JPEG-LS, JPEG 2000, 12-bit JPEG: 'gdcm'
  (Apache/BSD; pylibjpeg-libjpeg is GPL and is never used).
* JPEG XL (.4.110/.111/.112): imagecodecs' libjxl, MitraPlan's own handler (imaging/jpegxl.py).
* Native (uncompressed) data: pydicom on that frame's bytes only.

Thumbnails (``reduced_first_frame``) skip the header: the index records where Pixel Data starts
(``FrameLayout``), and frame 1 is read there and decoded at a reduced size (JPEG: libjpeg's DCT
scaling, 1/2 to 1/8) or, uncompressed, decimated; other encodings go through ``FrameDecoder``.

Output: ``uint8`` arrays, ``(rows, cols, 3)`` RGB or ``(rows, cols)`` grey; palette colour through
its LUT (16-bit LUTs scaled >> 8), MONOCHROME1 inverted. Frames are cut from the file by their own
offsets, so a truncated file or a damaged frame only loses those frames.
"""

from __future__ import annotations

import os
import struct
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import simplejpeg
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.pixels import apply_color_lut, get_decoder, pixel_array
from pydicom.uid import (
    JPEG2000,
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

from imaging.errors import CorruptImageError, UnsupportedImageError
from imaging.geometry import check_file_holds, check_fragments, check_native_length, read_geometry
from imaging.jpegxl import DECODER_DISTRIBUTION, JPEGXL_SYNTAXES, decode_jpegxl, jpegxl_available
from imaging.reader import PixelSource, transfer_syntax

#: pydicom decoding plugin pinned per compressed transfer syntax (the JPEG baseline fast path aside).
PLUGINS: dict[str, str] = {
    JPEGBaseline8Bit: "pillow",
    JPEGExtended12Bit: "gdcm",
    JPEGLossless: "gdcm",
    JPEGLosslessSV1: "gdcm",
    JPEGLSLossless: "gdcm",
    JPEGLSNearLossless: "gdcm",
    JPEG2000Lossless: "gdcm",
    JPEG2000: "gdcm",
    RLELossless: "pydicom",
}
NATIVE = frozenset({ImplicitVRLittleEndian, ExplicitVRLittleEndian, ExplicitVRBigEndian,
                    DeflatedExplicitVRLittleEndian})
_PIXEL_MODULE = ("Rows", "Columns", "SamplesPerPixel", "BitsAllocated", "BitsStored", "HighBit",
                 "PixelRepresentation", "PhotometricInterpretation", "PlanarConfiguration")

# --- the shared worker pool ------------------------------------------------------------------

_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_workers = max(1, min(4, os.cpu_count() or 1))


def decode_pool() -> ThreadPoolExecutor:
    """The process-wide decode pool (simplejpeg releases the GIL, so threads decode in parallel)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_workers, thread_name_prefix="mitraplan-decode")
        return _pool


def set_workers(n: int) -> None:
    """Use ``n`` decode threads from now on (running decodes finish on the old pool)."""
    global _pool, _workers
    if n < 1:
        raise ValueError(f"workers must be >= 1, got {n}")
    with _pool_lock:
        old, _pool, _workers = _pool, None, int(n)
    if old is not None:
        old.shutdown(wait=False)


def workers() -> int:
    return _workers


# --- frames of encapsulated pixel data -------------------------------------------------------

def split_frames(data: memoryview, n_frames: int) -> list[memoryview | bytes]:
    """Each frame's encoded bytes, in order; fewer than ``n_frames`` when the data ends early.

    One fragment per frame (the usual case) needs no copy. Otherwise the Basic Offset Table
    groups the fragments, and without one pydicom splits them at JPEG end-of-image markers.
    """
    offsets, fragments = _items(data)
    bot, fragments = fragments[0] if fragments else b"", fragments[1:]
    positions = offsets[1:]
    if len(fragments) == n_frames or (len(fragments) < n_frames and len(bot) < 4):
        return list(fragments)
    if n_frames == 1:
        return [b"".join(fragments)]
    if len(bot) >= 4 * n_frames:
        starts = struct.unpack_from(f"<{n_frames}L", bot)
        base = positions[0]
        grouped: list[list[memoryview]] = [[] for _ in starts]
        for pos, fragment in zip(positions, fragments, strict=True):
            index = max(i for i, s in enumerate(starts) if s <= pos - base)
            grouped[index].append(fragment)
        return [b"".join(g) if len(g) > 1 else g[0] for g in grouped if g]
    try:
        return list(generate_frames(bytes(data), number_of_frames=n_frames))
    except Exception:  # noqa: BLE001 - unsplittable: keep the fragments, damaged frames fail one by one
        return list(fragments)


def _items(data: memoryview) -> tuple[list[int], list[memoryview]]:
    """Start offsets and values of the items of an encapsulated Pixel Data value (BOT first)."""
    offsets, values, _ = _items_and_end(data)
    return offsets, values


def _items_and_end(data: memoryview) -> tuple[list[int], list[memoryview], bool]:
    """Items as :func:`_items`, and whether the value ends properly (sequence delimiter, last item whole)."""
    offsets: list[int] = []
    values: list[memoryview] = []
    pos = 0
    while pos + 8 <= len(data):
        group, element, length = struct.unpack_from("<HHL", data, pos)
        if (group, element) == (0xFFFE, 0xE0DD):
            return offsets, values, True
        if (group, element) != (0xFFFE, 0xE000):
            break  # damaged item: the frames before it are still good
        offsets.append(pos)
        values.append(data[pos + 8:min(pos + 8 + length, len(data))])
        pos += 8 + length
    return offsets, values, False


# --- JPEG codestream colour space ------------------------------------------------------------

def jpeg_colour_mode(frame: memoryview | bytes, photometric: str, samples: int) -> str | None:
    """How to decode this codestream so the colours match pydicom's reading of it.

    "RGB"/"GRAY": simplejpeg agrees with pydicom. "pydicom": they disagree about the colour
    transform (Adobe APP14 marker, 'R','G','B' component IDs, or an RGB header without JFIF), so
    pydicom's plugin must decode. None: the markers are unreadable (a damaged frame), undecided.
    """
    if samples == 1:
        return "GRAY"
    markers = _jpeg_markers(bytes(frame[:4096]))
    if markers is None:
        return None
    has_jfif, has_adobe, component_ids = markers
    if samples != 3 or has_adobe or component_ids in ([82, 71, 66], [114, 103, 98]):
        return "pydicom"
    if photometric.startswith("YBR_FULL") or has_jfif:
        return "RGB"
    return "pydicom"


def _jpeg_markers(head: bytes) -> tuple[bool, bool, list[int]] | None:
    """(JFIF APP0 present, Adobe APP14 present, SOF component IDs) from the start of a JPEG."""
    if head[:2] != b"\xff\xd8":
        return None
    pos, jfif, adobe = 2, False, False
    while pos + 4 <= len(head):
        if head[pos] != 0xFF:
            return None
        marker = head[pos + 1]
        (length,) = struct.unpack_from(">H", head, pos + 2)
        segment = head[pos + 4:pos + 2 + length]
        jfif |= marker == 0xE0 and segment.startswith(b"JFIF")
        adobe |= marker == 0xEE and segment.startswith(b"Adobe")
        if marker in (0xC0, 0xC1, 0xC2) and len(segment) >= 6:
            count = segment[5]
            return jfif, adobe, [segment[6 + 3 * i] for i in range(count) if 6 + 3 * i < len(segment)]
        pos += 2 + length
    return None


# --- the per-file frame decoder --------------------------------------------------------------

class FrameDecoder:
    """Decodes frame ``k`` (0-based) of one file into a display-ready ``uint8`` array."""

    def __init__(self, source: PixelSource, path: Path, n_frames: int) -> None:
        self.path = path
        self.n_frames = n_frames
        self._source = source
        header = source.header
        self._ts = transfer_syntax(header) or UID("")
        self._rows, self._cols = int(header.Rows), int(header.Columns)
        self._samples = int(getattr(header, "SamplesPerPixel", 1) or 1)
        self._bits = int(getattr(header, "BitsAllocated", 8) or 8)
        self._photometric = str(getattr(header, "PhotometricInterpretation", "") or "").strip()
        if source.pixel_data is None:
            raise CorruptImageError("has no Pixel Data (7FE0,0010): truncated before the image, or not an image",
                                    path)
        self._check_geometry(source)
        self._plugin = self._check_codec()
        self._frames = split_frames(source.pixel_data, n_frames) if source.encapsulated else None
        self._jpeg_mode: str | None = None  # decided on the first frame whose markers are readable
        self._template = self._mini_template()
        self._palette_shift = self._palette_shift_bits()
        self._slow_lock = threading.Lock()

    @property
    def transfer_syntax(self) -> UID:
        return self._ts

    @property
    def available_frames(self) -> int:
        """Frames whose bytes are present in the file (the rest were cut off)."""
        if self._frames is not None:
            return min(len(self._frames), self.n_frames)
        data = self._source.pixel_data
        return min(self.n_frames, len(data) // self._frame_length()) if data is not None else 0

    def new_buffer(self) -> np.ndarray | None:
        """An output buffer for ``decode(out=...)`` when the JPEG fast path can fill it, else None.

        Allocate it in the thread that asks for the frame: glibc gives each decode thread its own
        malloc arena, which returns freed frame memory to the OS and page-faults it in again on the
        next frame (measured 0.6x the raw decoder); the requester's arena reuses it (0.97x).
        """
        if self._ts != JPEGBaseline8Bit or self._bits != 8 or self._samples not in (1, 3):
            return None
        return np.empty((self._rows, self._cols, self._samples), np.uint8)

    def decode(self, k: int, out: np.ndarray | None = None) -> np.ndarray:
        """Frame ``k`` (0-based); ``out`` from ``new_buffer`` receives it when the fast path applies."""
        if not 0 <= k < self.n_frames:
            raise IndexError(f"{self.path}: frame index {k} out of range 0..{self.n_frames - 1}")
        data = self._frame_bytes(k)
        try:
            frame = self._decode_bytes(data, out)
        except (CorruptImageError, UnsupportedImageError):
            raise
        except Exception as exc:  # noqa: BLE001 - any codec failure is a corrupt frame
            raise CorruptImageError(
                f"frame {k + 1} of {self.n_frames} does not decode ({type(exc).__name__}: {exc})", self.path) from None
        expected = (self._rows, self._cols)
        if frame.shape[:2] != expected:
            raise CorruptImageError(
                f"frame {k + 1} decodes to {frame.shape[1]}x{frame.shape[0]} pixels, header says "
                f"{self._cols}x{self._rows}", self.path)
        return frame

    def close(self) -> None:
        self._frames = None
        self._source.close()

    # -- internals --
    def _check_geometry(self, source: PixelSource) -> None:
        """Refuse a header whose geometry the Pixel Data contradicts, before any frame is cut or allocated."""
        geometry = read_geometry(source.header, self.path)
        if geometry.n_frames != self.n_frames:
            geometry = replace(geometry, n_frames=self.n_frames)
        data = source.pixel_data
        assert data is not None
        check_file_holds(geometry, len(data), self.path)
        if not source.encapsulated:
            if source.declared_length is not None:
                check_native_length(geometry, source.declared_length, self.path)
            return
        _, values, complete = _items_and_end(data)
        bot_entries = len(values[0]) // 4 if values else 0
        check_fragments(geometry, max(len(values) - 1, 0), complete, bot_entries, self.path)

    def _check_codec(self) -> str:
        if self._ts in NATIVE:
            return ""
        if self._ts in JPEGXL_SYNTAXES:
            return self._check_jpegxl()
        plugin = PLUGINS.get(self._ts)
        name = getattr(self._ts, "name", "") or "unknown"
        if plugin is None:
            raise UnsupportedImageError(f"transfer syntax {self._ts} ({name}) has no decoder in MitraPlan", self.path)
        try:
            available = get_decoder(self._ts).available_plugins
        except NotImplementedError:
            available = ()
        if plugin not in available and self._ts != JPEGBaseline8Bit:
            raise UnsupportedImageError(
                f"transfer syntax {self._ts} ({name}) needs the '{plugin}' decoder, which is not installed", self.path)
        return plugin

    def _check_jpegxl(self) -> str:
        if not jpegxl_available():
            raise UnsupportedImageError(
                f"transfer syntax {self._ts} ({JPEGXL_SYNTAXES[self._ts]}) needs the JPEG XL decoder "
                f"('{DECODER_DISTRIBUTION}' with libjxl), which is not installed", self.path)
        return "jpegxl"

    def _frame_length(self) -> int:
        if self._photometric == "YBR_FULL_422":
            return self._rows * self._cols * 2 * (self._bits // 8)
        return (self._rows * self._cols * self._samples * self._bits + 7) // 8

    def _frame_bytes(self, k: int) -> memoryview | bytes:
        missing = CorruptImageError(
            f"frame {k + 1} of {self.n_frames} is missing: the Pixel Data ends early (truncated file)", self.path)
        if self._frames is not None:
            if k >= len(self._frames):
                raise missing
            return self._frames[k]
        data = self._source.pixel_data
        length = self._frame_length()
        if data is None or len(data) < (k + 1) * length:
            raise missing
        return data[k * length:(k + 1) * length]

    def _decode_bytes(self, data: memoryview | bytes, out: np.ndarray | None) -> np.ndarray:
        if self._plugin == "jpegxl":
            return self._to_display(decode_jpegxl(data, self._ts, self._photometric))
        if self._ts == JPEGBaseline8Bit and self._bits == 8:
            mode = self._jpeg_mode or jpeg_colour_mode(data, self._photometric, self._samples)
            self._jpeg_mode = self._jpeg_mode or mode
            if mode == "RGB":
                rgb: np.ndarray = simplejpeg.decode_jpeg(data, colorspace="RGB", buffer=out)
                return rgb
            if mode == "GRAY":
                return self._to_display(simplejpeg.decode_jpeg(data, colorspace="GRAY", buffer=out)[..., 0])
        return self._decode_with_pydicom(data)

    def _decode_with_pydicom(self, data: memoryview | bytes) -> np.ndarray:
        frame_ds = Dataset()
        frame_ds.update(self._template)
        frame_ds.file_meta = self._template.file_meta
        frame_ds.PixelData = encapsulate([bytes(data)]) if self._frames is not None else bytes(data)
        with self._slow_lock, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = pixel_array(frame_ds, decoding_plugin=self._plugin)
        return self._to_display(arr)

    def _mini_template(self) -> Dataset:
        """A one-frame dataset holding only the Image Pixel module, for pydicom's decoders."""
        template = Dataset()
        for keyword in _PIXEL_MODULE:
            if keyword in self._source.header:
                setattr(template, keyword, getattr(self._source.header, keyword))
        template.NumberOfFrames = 1
        template.file_meta = FileMetaDataset()
        native_ts = ExplicitVRLittleEndian if self._ts == DeflatedExplicitVRLittleEndian else self._ts
        template.file_meta.TransferSyntaxUID = native_ts
        return template

    def _palette_shift_bits(self) -> int:
        """Right shift that brings this file's palette LUT entries to 8 bits (0 if they already are)."""
        if self._photometric != "PALETTE COLOR":
            return 0
        try:
            lut = apply_color_lut(np.arange(int(self._source.header.RedPaletteColorLookupTableDescriptor[0]) or 65536,
                                            dtype=np.uint16), self._source.header)
        except Exception as exc:  # noqa: BLE001
            raise UnsupportedImageError(f"palette colour lookup table is unusable ({exc})", self.path) from None
        return 8 if lut.dtype != np.uint8 and int(lut.max()) > 255 else 0

    def _to_display(self, arr: np.ndarray) -> np.ndarray:
        """uint8 RGB or grey for display: palette through its LUT, MONOCHROME1 inverted."""
        if self._photometric == "PALETTE COLOR":
            arr = apply_color_lut(arr, self._source.header)
            arr = arr >> self._palette_shift if self._palette_shift else arr
            return np.ascontiguousarray(arr, dtype=np.uint8)
        if arr.dtype != np.uint8:
            arr = _to_uint8(arr, int(getattr(self._source.header, "BitsStored", self._bits) or self._bits))
        if self._photometric == "MONOCHROME1":
            arr = 255 - arr
        return np.ascontiguousarray(arr)


def _to_uint8(arr: np.ndarray, bits_stored: int) -> np.ndarray:
    """Scale stored values to 0..255: unsigned by their bit depth, signed by their range."""
    if arr.dtype.kind == "i":
        low, high = int(arr.min()), int(arr.max())
        scaled = (arr.astype(np.float32) - low) * (255.0 / max(high - low, 1))
        return scaled.astype(np.uint8)
    shift = max(bits_stored - 8, 0)
    shifted: np.ndarray = arr >> shift
    return shifted.clip(0, 255).astype(np.uint8)



# --- thumbnails from the index's header facts ------------------------------------------------

_UNDEFINED = 0xFFFFFFFF
_NATIVE_PIXEL_VRS = (b"OB", b"OW", b"UN")
_THUMBNAIL_NATIVE = frozenset({ImplicitVRLittleEndian, ExplicitVRLittleEndian})


@dataclass(frozen=True)
class FrameLayout:
    """Where one file's Pixel Data starts and how its frames are encoded (recorded by the index)."""

    path: Path
    file_size: int
    pixel_offset: int  # of the Pixel Data element's tag
    transfer_syntax: str
    photometric: str
    rows: int
    columns: int
    samples: int
    bits_allocated: int
    planar_configuration: int

    @classmethod
    def from_header(cls, header: Dataset, path: Path, file_size: int, pixel_offset: int) -> FrameLayout:
        return cls(path, file_size, pixel_offset, str(transfer_syntax(header) or ""),
                   str(getattr(header, "PhotometricInterpretation", "") or "").strip(),
                   int(header.Rows), int(header.Columns), int(getattr(header, "SamplesPerPixel", 1) or 1),
                   int(getattr(header, "BitsAllocated", 8) or 8), int(getattr(header, "PlanarConfiguration", 0) or 0))


def reduced_first_frame(layout: FrameLayout, min_width: int, min_height: int) -> np.ndarray | None:
    """Frame 1 at least ``min_width`` x ``min_height`` (when the image is), read without parsing the header.

    JPEG baseline decodes at the smallest DCT scale that is large enough; 8-bit uncompressed grey or
    RGB is decimated. None when this file needs the full decoder (other encodings, a frame split over
    fragments, a file changed since it was indexed).
    """
    with open(layout.path, "rb") as fp:
        if os.fstat(fp.fileno()).st_size != layout.file_size:
            return None
        fp.seek(layout.pixel_offset)
        head = fp.read(12)
        if len(head) < 12 or struct.unpack_from("<HH", head) != (0x7FE0, 0x0010):
            return None
        explicit = layout.transfer_syntax != ImplicitVRLittleEndian and head[4:6] in _NATIVE_PIXEL_VRS
        (length,) = struct.unpack_from("<L", head, 8 if explicit else 4)
        fp.seek(layout.pixel_offset + (12 if explicit else 8))
        if layout.transfer_syntax == JPEGBaseline8Bit and length == _UNDEFINED:
            return _reduced_jpeg(_first_fragment(fp), layout, min_width, min_height)
        if layout.transfer_syntax in _THUMBNAIL_NATIVE and length != _UNDEFINED:
            return _decimated_native(fp, layout, min_width, min_height)
    return None


def _first_fragment(fp: Any) -> bytes | None:
    """The first fragment after the Basic Offset Table, if it is a whole JPEG codestream."""
    item = fp.read(8)
    if len(item) < 8 or struct.unpack_from("<HH", item) != (0xFFFE, 0xE000):
        return None
    fp.seek(struct.unpack_from("<L", item, 4)[0], os.SEEK_CUR)
    item = fp.read(8)
    if len(item) < 8 or struct.unpack_from("<HH", item) != (0xFFFE, 0xE000):
        return None
    data: bytes = fp.read(struct.unpack_from("<L", item, 4)[0])
    whole = data[:2] == b"\xff\xd8" and data.rstrip(b"\0")[-2:] == b"\xff\xd9"
    return data if whole else None


def _reduced_jpeg(data: bytes | None, layout: FrameLayout, min_width: int, min_height: int) -> np.ndarray | None:
    if data is None or layout.bits_allocated != 8 or layout.samples not in (1, 3):
        return None
    mode = jpeg_colour_mode(data, layout.photometric, layout.samples)
    if mode not in ("RGB", "GRAY"):
        return None
    arr: np.ndarray = simplejpeg.decode_jpeg(data, colorspace=mode, min_width=min(min_width, layout.columns),
                                             min_height=min(min_height, layout.rows))
    if mode == "GRAY":
        arr = arr[..., 0]
        return 255 - arr if layout.photometric == "MONOCHROME1" else arr
    return arr


def _decimated_native(fp: Any, layout: FrameLayout, min_width: int, min_height: int) -> np.ndarray | None:
    grey = layout.samples == 1 and layout.photometric in ("MONOCHROME1", "MONOCHROME2")
    if layout.bits_allocated != 8 or not (grey or (layout.samples == 3 and layout.photometric == "RGB")):
        return None
    size = layout.rows * layout.columns * layout.samples
    data = fp.read(size)
    if len(data) < size:
        return None
    flat = np.frombuffer(data, np.uint8)
    arr: np.ndarray
    if grey:
        arr = flat.reshape(layout.rows, layout.columns)
    elif layout.planar_configuration == 1:
        arr = flat.reshape(3, layout.rows, layout.columns).transpose(1, 2, 0)
    else:
        arr = flat.reshape(layout.rows, layout.columns, 3)
    step = max(1, min(layout.columns // max(min_width, 1), layout.rows // max(min_height, 1)))
    small = np.ascontiguousarray(arr[::step, ::step])
    return 255 - small if layout.photometric == "MONOCHROME1" else small
