"""What ``mitraplan --version`` prints: the version, and which pixel-data decoders this installation has.

A loop that will not open on one machine but does on another is most often a missing decoder
library; this report lets a user (or a support request) say which ones are there. Headless: no Qt.
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from pathlib import Path

from pydicom.pixels import get_decoder
from pydicom.uid import AllTransferSyntaxes

from imaging.jpegxl import DECODER_DISTRIBUTION, JPEGXL_SYNTAXES, jpegxl_available, jpegxl_version

#: The decoder libraries pydicom's plugins use (distribution name -> what it decodes here), plus
#: simplejpeg, MitraPlan's own fast path for JPEG baseline loops.
DECODER_LIBRARIES: dict[str, str] = {
    "simplejpeg": "JPEG baseline loops (MitraPlan's fast path)",
    "pillow": "JPEG baseline/extended, JPEG 2000 (pydicom plugin 'pillow')",
    "python-gdcm": "JPEG, JPEG lossless, JPEG-LS, JPEG 2000 (pydicom plugin 'gdcm')",
    "pylibjpeg": "JPEG family via pylibjpeg-libjpeg/-openjpeg/-rle (pydicom plugin 'pylibjpeg')",
    "pylibjpeg-libjpeg": "JPEG, JPEG lossless, JPEG-LS for pylibjpeg",
    "pylibjpeg-openjpeg": "JPEG 2000 and HTJ2K for pylibjpeg",
    "pylibjpeg-rle": "fast RLE for pylibjpeg",
    "pyjpegls": "JPEG-LS (pydicom plugin 'pyjpegls')",
    "imagecodecs": "JPEG XL loops (libjxl; MitraPlan's own handler, pydicom 3.0 has no JPEG XL plugin)",
}


def mitraplan_version() -> str:
    """The installed package version (pyproject.toml), or "dev" when running from an uninstalled tree."""
    return _installed("mitraplan") or "dev"


def _installed(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def program_files() -> str:
    """Where this installation's code was loaded from, and how it was installed (a support request names it)."""
    folder = Path(__file__).resolve().parent.parent
    kind = "application bundle" if getattr(sys, "frozen", False) else "Python package"
    return f"{folder} ({kind})"


def decoder_plugins() -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """Per compressed transfer syntax: (name, plugins available, plugins missing with what they need)."""
    rows = []
    for uid in AllTransferSyntaxes:
        if not uid.is_compressed:
            continue
        try:
            decoder = get_decoder(uid)
        except NotImplementedError:  # video (MPEG, HEVC) and other syntaxes pydicom has no decoder for
            continue
        rows.append((uid.name, tuple(decoder.available_plugins), tuple(decoder.missing_dependencies)))
    have = jpegxl_available()
    for name in JPEGXL_SYNTAXES.values():  # decoded by MitraPlan itself (imaging/jpegxl.py), not by a pydicom plugin
        rows.append((name, (f"{DECODER_DISTRIBUTION} ({jpegxl_version()})",) if have else (),
                     () if have else (f"{DECODER_DISTRIBUTION} with libjxl",)))
    return rows


def version_text() -> str:
    """The --version report: version and Python, each decoder library, then each transfer syntax's plugins."""
    lines = [f"mitraplan {mitraplan_version()}",
             f"Python {platform.python_version()}, pydicom {_installed('pydicom')}, numpy {_installed('numpy')}, "
             f"PySide6 {_installed('PySide6-Essentials') or _installed('PySide6')}",
             f"Program files: {program_files()}",
             "", "Decoder libraries:"]
    width = max(len(name) for name in DECODER_LIBRARIES)
    for name, role in DECODER_LIBRARIES.items():
        found = _installed(name)
        lines.append(f"  {name:<{width}}  {found or 'not installed':<13}  {role}")
    lines += ["", "Compressed transfer syntaxes (pydicom decoder plugins available; missing):"]
    for name, available, missing in decoder_plugins():
        have = ", ".join(available) or "NONE - cannot be decoded here"
        lacking = f"; missing: {'; '.join(missing)}" if missing else ""
        lines.append(f"  {name}: {have}{lacking}")
    return "\n".join(lines)
