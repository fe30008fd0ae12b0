"""Synthetic loops for the cine-export tests: a banner above one ultrasound region, each frame its own grey."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

US_MULTIFRAME = "1.2.840.10008.5.1.4.1.1.3.1"
ROWS, COLS = 121, 160  # an odd row count: the MP4 must pad it to even
REGION = (10, 20, 149, 115)  # x0, y0, x1, y1 inclusive: the image area; the banner is rows 0..19
BANNER_VALUE = 250


def grey_of(frame_number: int) -> int:
    """The grey of frame ``frame_number`` (1-based) inside the region: 20, 35, 50, ..."""
    return 5 + 15 * frame_number


def write_loop(path: Path, frames: int = 12, frame_time_ms: float | None = 40.0,
               frame_time_vector: Sequence[float] | None = None, regions: bool = True,
               patient_id: str = "PID-CINE-1", study_uid: str | None = None) -> Dataset:
    """An RGB US multi-frame: a bright banner (rows 0..19, the "patient name"), frame k grey_of(k) elsewhere."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = US_MULTIFRAME
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = US_MULTIFRAME, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid or generate_uid(), generate_uid()
    ds.PatientName, ds.PatientID, ds.Modality = "Cine^Test", patient_id, "US"
    ds.StudyDate = "20260101"
    if frame_time_ms is not None:
        ds.FrameTime = frame_time_ms
    if frame_time_vector is not None:
        ds.FrameTimeVector = list(frame_time_vector)
    if regions:
        region = Dataset()
        region.RegionSpatialFormat, region.RegionDataType, region.RegionFlags = 1, 1, 0
        (region.RegionLocationMinX0, region.RegionLocationMinY0,
         region.RegionLocationMaxX1, region.RegionLocationMaxY1) = REGION
        region.PhysicalUnitsXDirection = region.PhysicalUnitsYDirection = 3
        region.PhysicalDeltaX = region.PhysicalDeltaY = 0.05
        ds.SequenceOfUltrasoundRegions = [region]
    pixels = np.zeros((frames, ROWS, COLS, 3), dtype=np.uint8)
    for k in range(frames):
        pixels[k] = grey_of(k + 1)
        pixels[k, :20] = BANNER_VALUE
    ds.set_pixel_data(pixels, "RGB", 8)
    ds.save_as(path, enforce_file_format=True)
    return ds
