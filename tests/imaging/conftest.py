"""Fixtures of the imaging tests: small synthetic loops written in code, and the real samples."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pydicom
import pytest
import simplejpeg
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    ExplicitVRLittleEndian,
    JPEGBaseline8Bit,
    UltrasoundMultiFrameImageStorage,
    generate_uid,
)


def bar_frames(n: int, rows: int = 48, cols: int = 64) -> list[np.ndarray]:
    """Grey frames with a bright vertical bar at column 4 + 2k in frame k: frame order is visible."""
    frames = []
    for k in range(n):
        frame = np.full((rows, cols, 3), 40, np.uint8)
        frame[:, 4 + 2 * k:8 + 2 * k] = 220
        frames.append(frame)
    return frames


def bar_column(frame: np.ndarray) -> int:
    """First bright column of a bar frame (recovers k = (column - 4) / 2)."""
    grey = frame if frame.ndim == 2 else frame[..., 0]
    return int(np.argmax(grey[grey.shape[0] // 2] > 128))


def jpeg_loop(frames: Sequence[np.ndarray], *, frame_time_ms: float | None = 40.0,
              encoded: list[bytes] | None = None) -> FileDataset:
    """A US multi-frame JPEG baseline YBR_FULL_422 dataset of ``frames`` (RGB uint8)."""
    rows, cols = frames[0].shape[:2]
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UltrasoundMultiFrameImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds = FileDataset("", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.PatientName, ds.PatientID = "US", "Test^Loop", "T1"
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, cols, 3
    ds.PhotometricInterpretation, ds.PlanarConfiguration = "YBR_FULL_422", 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.NumberOfFrames = len(frames)
    if frame_time_ms is not None:
        ds.FrameTime = frame_time_ms
        ds.FrameIncrementPointer = pydicom.tag.Tag("FrameTime")
    encoded = encoded or [simplejpeg.encode_jpeg(f, quality=95, colorspace="RGB", colorsubsampling="422")
                          for f in frames]
    ds.PixelData = encapsulate(encoded)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return ds


def native_loop(frames: Sequence[np.ndarray]) -> FileDataset:
    """The same loop uncompressed (Explicit VR Little Endian, RGB)."""
    ds = jpeg_loop(frames[:1])
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.PhotometricInterpretation = "RGB"
    ds.NumberOfFrames = len(frames)
    ds.PixelData = np.stack(frames).tobytes()
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = False
    return ds


def save(ds: FileDataset, path: Path) -> Path:
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.fixture
def bar_loop(tmp_path: Path) -> Path:
    """A 10-frame 64x48 JPEG loop whose bar moves 2 px per frame."""
    return save(jpeg_loop(bar_frames(10)), tmp_path / "bar.dcm")
