"""A demo phantom loop without its Sequence of Ultrasound Regions.

It imitates a real vendor file exported through a PACS (or from an older cart) that dropped the
regions: the pixels are an echo image, but nothing in the header says how many cm a pixel is.
"""

from __future__ import annotations

from pathlib import Path

import pydicom
from pydicom.uid import generate_uid

from demo.phantom import write_cine_loop


def write_scanner_calibrated(path: Path) -> str:
    """A 3-frame demo loop as the scanner wrote it (one calibrated 2D region); returns its SOP UID."""
    write_cine_loop(path, n_frames=3)
    return str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)


def write_regionless(path: Path, source: Path | None = None) -> str:
    """The demo loop with SequenceOfUltrasoundRegions deleted and a new SOP Instance UID; returns it."""
    if source is None:
        source = path.with_name(path.stem + "-source.dcm")
        write_scanner_calibrated(source)
    ds = pydicom.dcmread(source)
    del ds.SequenceOfUltrasoundRegions
    uid = generate_uid(prefix="1.2.826.0.1.3680043.99.", entropy_srcs=[str(path)])
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uid
    ds.save_as(path, enforce_file_format=True)
    return str(uid)
