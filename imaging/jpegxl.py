"""JPEG XL frames (DICOM Supplement 232, PS3.5 8.2.16): transfer syntaxes .4.110, .4.111 and .4.112.

Decoder: imagecodecs' libjxl binding (BSD-3; the wheel carries libjxl itself), one frame per call on
that frame's own bytes, so a loop stays lazy exactly like its JPEG baseline frames. pydicom 3.0 has
no JPEG XL plugin, so MitraPlan decodes these itself and ``imaging.decode`` routes the three UIDs here.

Colour follows the file's Photometric Interpretation:

* MONOCHROME1/MONOCHROME2: one channel (MONOCHROME1 is inverted later, with every other syntax).
* RGB: the decoded samples are R, G, B.
* YBR_FULL (.110/.112): the codestream holds Y, Cb, Cr as three plain channels; they are converted
  to RGB with the YBR_FULL equations of PS3.3 C.7.6.3.1.2, as pydicom does for native YBR_FULL.
* JPEG Recompression (.111): libjxl rebuilds the original JPEG's own YCbCr -> RGB, so the samples
  are already RGB whatever the header says (YBR_FULL_422 is what such files declare, from their JPEG).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydicom._uid_dict import UID_dictionary
from pydicom.pixels import convert_color_space

JPEGXL_LOSSLESS = "1.2.840.10008.1.2.4.110"
JPEGXL_JPEG_RECOMPRESSION = "1.2.840.10008.1.2.4.111"
JPEGXL = "1.2.840.10008.1.2.4.112"
#: The three JPEG XL transfer syntaxes and their PS3.6 names.
JPEGXL_SYNTAXES: dict[str, str] = {
    JPEGXL_LOSSLESS: "JPEG XL Lossless",
    JPEGXL_JPEG_RECOMPRESSION: "JPEG XL JPEG Recompression",
    JPEGXL: "JPEG XL",
}
_KEYWORDS = {JPEGXL_LOSSLESS: "JPEGXLLossless", JPEGXL_JPEG_RECOMPRESSION: "JPEGXLJPEGRecompression",
             JPEGXL: "JPEGXL"}
# pydicom 3.0 predates Supplement 232: teach its UID dictionary these three transfer syntaxes (added
# only where absent, as in pydicom 3.1), so it parses, names and writes such files as encapsulated.
for _uid, _name in JPEGXL_SYNTAXES.items():
    UID_dictionary.setdefault(_uid, (_name, "Transfer Syntax", "", "", _KEYWORDS[_uid]))

#: The distribution that provides the decoder (``mitraplan --version`` reports it).
DECODER_DISTRIBUTION = "imagecodecs"


def _codecs() -> Any:
    """imagecodecs, imported on first use (it is large; most loops never need it), or None."""
    try:
        import imagecodecs
    except ImportError:
        return None
    return imagecodecs


def jpegxl_available() -> bool:
    """True when this installation can decode JPEG XL (imagecodecs built with libjxl)."""
    codecs = _codecs()
    return bool(codecs is not None and getattr(codecs.JPEGXL, "available", False))


def jpegxl_version() -> str:
    """The libjxl version the decoder was built with ("" when there is none)."""
    codecs = _codecs()
    return str(codecs.jpegxl_version()) if jpegxl_available() else ""


def decode_samples(data: memoryview | bytes) -> np.ndarray:
    """The stored samples of one JPEG XL codestream: ``(rows, cols)`` or ``(rows, cols, 3)``, uint8/uint16."""
    codecs = _codecs()
    if codecs is None:
        raise RuntimeError("the JPEG XL decoder (imagecodecs) is not installed")
    # one thread per frame: the decode pool already runs frames in parallel (imaging.decode.decode_pool)
    arr: np.ndarray = codecs.jpegxl_decode(bytes(data), numthreads=1)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    return arr


def decode_jpegxl(data: memoryview | bytes, transfer_syntax: str, photometric: str) -> np.ndarray:
    """One frame as RGB ``(rows, cols, 3)`` or grey ``(rows, cols)``, colour as the header declares."""
    arr = decode_samples(data)
    if arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[..., :3]  # an alpha channel has no meaning in an ultrasound frame
    if arr.ndim == 3 and photometric == "YBR_FULL" and transfer_syntax != JPEGXL_JPEG_RECOMPRESSION:
        converted: np.ndarray = convert_color_space(arr, "YBR_FULL", "RGB")
        return converted
    return arr
