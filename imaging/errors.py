"""Typed errors of the imaging layer.

Every error that comes from bad input names the file (or the argument) and the problem, so the
GUI and the command line can show the message as is (exit code 3 on the command line).
"""

from __future__ import annotations

from pathlib import Path


class MitraPlanError(Exception):
    """Base of every error MitraPlan raises on purpose."""


class InputError(MitraPlanError):
    """Bad input from a file or the user: the message says which and what is wrong."""

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.path = None if path is None else str(path)
        super().__init__(f"{self.path}: {message}" if self.path else message)


class ImagingError(InputError):
    """A DICOM file could not be read as an image."""


class NotDicomError(ImagingError):
    """The file is not DICOM (no preamble/prefix and not parseable as a dataset)."""


class UnsupportedImageError(ImagingError):
    """The file is DICOM, but its transfer syntax or photometric interpretation cannot be decoded."""


class HeaderError(ImagingError):
    """A header element is unreadable or impossible; ``attribute`` names it (a DICOM keyword)."""

    def __init__(self, message: str, path: str | Path | None = None, attribute: str = "") -> None:
        self.attribute = attribute
        super().__init__(message, path)


class GeometryError(HeaderError):
    """The header's image geometry (frames, rows, columns, samples, bits) is impossible or lies about the pixel data."""


class NotRegularFileError(ImagingError):
    """The path is a device, FIFO or socket: reading it could block forever or never end."""


class CorruptImageError(ImagingError):
    """The pixel data is truncated or a frame does not decode."""


class CalibrationError(InputError):
    """A point set cannot be given physical units: no region, two regions, or the wrong units."""
