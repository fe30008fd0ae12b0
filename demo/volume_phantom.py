"""A synthetic 4D TEE volume with known truth: a mitral valve after one clip, in two encodings.

The anatomy is analytic, in mm of a world frame: a leaflet slab (3 mm thick) filling a circular
annulus, pierced by two elliptical orifices on either side of a clip (a bright box across the line
of coaptation), so each orifice area is exactly pi * a * b at every time point. The orifices open
in diastole and nearly close in systole. Blood is dark (20), leaflet tissue 180, the clip 240.

* ``write_enhanced_volume``: an Enhanced US Volume (PS3.3 A.59) whose grid is rotated and offset
  in its frame of reference, with anisotropic spacing, slices stored in an order that is not the
  geometric one, one frame per (time point, slice) and full functional groups.
* ``write_cartesian_volume``: the same anatomy as a Philips QLAB "Cartesian" export (private SOP
  class 1.2.840.113543.6.6.1.3.10002, creator ``Philips3D``): origin 0, identity axes, spacing in
  cm in Physical Delta X/Y and (3001,1003), slices per volume and volumes in (3001,1001/1002), and
  the empty UIDs and wrong Number of Frames real exports carry.

Each writer returns its truth in the file's own frame of reference (valve centre, normal and
in-plane axes, per-time-point orifice areas in cm^2), so a test can reslice the en-face plane and
compare planimetry with the analytic areas.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import Tag
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID, ExplicitVRLittleEndian

from demo.phantom import PATIENT, STUDY, demo_uid

ENHANCED_US_VOLUME = UID("1.2.840.10008.5.1.4.1.1.6.2")
PHILIPS_CARTESIAN = UID("1.2.840.113543.6.6.1.3.10002")

BLOOD, TISSUE, CLIP = 20, 180, 240
LEAFLET_HALF_THICKNESS_MM = 1.5
ANNULUS_RADIUS_MM = 16.0
#: the clip: half-extents (mm) along the coaptation line (e1), across it (e2) and the normal (h, LV side < 0)
CLIP_HALF_MM = (2.5, 2.0)
CLIP_HEIGHT_MM = (-9.0, 1.0)


@dataclass(frozen=True)
class Orifice:
    """One orifice: an ellipse in the leaflet plane centred at x = ``centre_mm`` along e1."""

    name: str
    centre_mm: float
    semi_axes_mm: tuple[float, float]  # (along e1, along e2) when fully open

    def area_cm2(self, opening: float) -> float:
        """Analytic area pi * a * b (cm^2) at an opening factor scaling both semi-axes."""
        a, b = self.semi_axes_mm
        return math.pi * (a * opening) * (b * opening) / 100.0


ORIFICES = (Orifice("lateral", 8.5, (5.0, 3.2)), Orifice("medial", -8.0, (4.0, 2.5)))
#: opening factor per time point: diastole open (1.0), systole nearly closed
DEFAULT_OPENINGS = (1.0, 0.8, 0.3, 0.5)
FRAME_TIME_MS = 40.0


@dataclass(frozen=True)
class Anatomy:
    """Where the valve sits, in mm of a frame of reference: centre, normal (towards the LA) and e1, e2."""

    centre: tuple[float, float, float]
    normal: tuple[float, float, float]
    e1: tuple[float, float, float]
    e2: tuple[float, float, float]

    def moved(self, rotation: np.ndarray, offset: np.ndarray) -> Anatomy:
        """The same anatomy in another frame: p' = rotation @ p + offset."""
        def vec(v: np.ndarray) -> tuple[float, float, float]:
            return float(v[0]), float(v[1]), float(v[2])
        return Anatomy(vec(rotation @ np.array(self.centre) + offset), vec(rotation @ np.array(self.normal)),
                       vec(rotation @ np.array(self.e1)), vec(rotation @ np.array(self.e2)))

    def truth(self, openings: Sequence[float]) -> dict[str, Any]:
        return {
            "valve_centre_mm": list(self.centre), "valve_normal": list(self.normal),
            "coaptation_dir": list(self.e1), "across_dir": list(self.e2),
            "orifices": [{"name": o.name, "centre_mm": list(np.array(self.centre) + o.centre_mm * np.array(self.e1)),
                          "areas_cm2": [o.area_cm2(f) for f in openings]} for o in ORIFICES],
            "total_area_cm2": [sum(o.area_cm2(f) for o in ORIFICES) for f in openings],
            "clip_centre_mm": list(self.centre),
            "openings": list(openings), "frame_time_ms": FRAME_TIME_MS,
        }


def intensity(points: np.ndarray, anatomy: Anatomy, opening: float) -> np.ndarray:
    """Grey value (uint8) of the anatomy at points ``(..., 3)`` in mm of the anatomy's frame."""
    d = points - np.asarray(anatomy.centre)
    h = d @ np.asarray(anatomy.normal)
    x = d @ np.asarray(anatomy.e1)
    y = d @ np.asarray(anatomy.e2)
    out = np.full(points.shape[:-1], BLOOD, np.uint8)
    leaflet = (np.abs(h) <= LEAFLET_HALF_THICKNESS_MM) & (x * x + y * y <= ANNULUS_RADIUS_MM ** 2)
    for orifice in ORIFICES:
        a, b = (s * opening for s in orifice.semi_axes_mm)
        leaflet &= ((x - orifice.centre_mm) / a) ** 2 + (y / b) ** 2 > 1.0
    out[leaflet] = TISSUE
    clip = (np.abs(x) <= CLIP_HALF_MM[0]) & (np.abs(y) <= CLIP_HALF_MM[1]) & (h >= CLIP_HEIGHT_MM[0]) & (
        h <= CLIP_HEIGHT_MM[1])
    out[clip] = CLIP
    return out


@dataclass(frozen=True)
class Grid:
    """A voxel grid: shape (slices, rows, columns), first voxel centre, unit axes and spacing (mm)."""

    shape: tuple[int, int, int]
    origin: np.ndarray
    axes: np.ndarray  # rows: row direction (columns grow), column direction (rows grow), slice direction
    spacing: tuple[float, float, float]  # along a row, between rows, between slices

    def slice_points(self, s: int) -> np.ndarray:
        """Voxel centres (rows, columns, 3) of slice ``s``."""
        _, rows, columns = self.shape
        c = np.arange(columns) * self.spacing[0]
        r = np.arange(rows) * self.spacing[1]
        base = self.origin + s * self.spacing[2] * self.axes[2]
        points: np.ndarray = base + r[:, None, None] * self.axes[1] + c[None, :, None] * self.axes[0]
        return points

    def voxels(self, anatomy: Anatomy, opening: float) -> np.ndarray:
        return np.stack([intensity(self.slice_points(s), anatomy, opening) for s in range(self.shape[0])])


def rotation(axis: Sequence[float], degrees: float) -> np.ndarray:
    """Rodrigues rotation matrix about ``axis``."""
    k = np.asarray(axis, float) / np.linalg.norm(axis)
    a = math.radians(degrees)
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    matrix: np.ndarray = np.eye(3) + math.sin(a) * cross + (1 - math.cos(a)) * cross @ cross
    return matrix


TILT = rotation((0.3, 1.0, 0.0), 20.0)  # the valve plane 20 degrees off the slices, coaptation oblique


def local_anatomy(grid: Grid) -> Anatomy:
    """The valve at the grid's centre, in grid-local mm (voxel (s, r, c) at (c dx, r dy, s dz))."""
    slices, rows, columns = grid.shape
    centre = np.array([(columns - 1) * grid.spacing[0], (rows - 1) * grid.spacing[1],
                       (slices - 1) * grid.spacing[2]]) / 2.0
    return Anatomy((0.0, 0.0, 0.0), (0.0, 0.0, 1.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0)).moved(TILT, centre)


def enhanced_grid(shape: tuple[int, int, int] = (48, 64, 72),
                  spacing: tuple[float, float, float] = (0.6, 0.5, 0.8)) -> Grid:
    """A grid rotated 30 degrees about (1, 2, 3) and offset, with anisotropic spacing."""
    axes = rotation((1.0, 2.0, 3.0), 30.0).T  # rows = the rotated unit axes (a right-handed set)
    return Grid(shape, np.array([-40.0, 12.5, 30.0]), axes, spacing)


def write_enhanced_volume(path: Path, *, shape: tuple[int, int, int] = (48, 64, 72),
                          spacing: tuple[float, float, float] = (0.6, 0.5, 0.8),
                          openings: Sequence[float] = DEFAULT_OPENINGS) -> dict[str, Any]:
    """Write the Enhanced US Volume; returns its truth (frame of reference mm)."""
    grid = enhanced_grid(shape, spacing)
    anatomy = local_anatomy(grid).moved(grid.axes.T, grid.origin)  # grid-local mm -> frame of reference mm
    ds = _enhanced_dataset(grid, [grid.voxels(anatomy, f) for f in openings])
    _write(ds, path)
    return _truth(anatomy, openings, grid, ds, "enhanced_us_volume")


def write_cartesian_volume(path: Path, *, shape: tuple[int, int, int] = (48, 64, 72),
                           spacing: tuple[float, float, float] = (0.6, 0.5, 0.8),
                           openings: Sequence[float] = DEFAULT_OPENINGS) -> dict[str, Any]:
    """Write the same anatomy as a Philips QLAB Cartesian export; returns its truth (its own mm frame)."""
    grid = Grid(shape, np.zeros(3), np.eye(3), spacing)
    anatomy = local_anatomy(grid)
    ds = _cartesian_dataset(grid, [grid.voxels(anatomy, f) for f in openings])
    _write(ds, path)
    return _truth(anatomy, openings, grid, ds, "philips_cartesian")


def _truth(anatomy: Anatomy, openings: Sequence[float], grid: Grid, ds: FileDataset, fmt: str) -> dict[str, Any]:
    truth = anatomy.truth(openings)
    truth.update(format=fmt, shape=list(grid.shape), spacing_mm=list(grid.spacing),
                 origin_mm=[float(v) for v in grid.origin], axes=[[float(v) for v in a] for a in grid.axes],
                 sop_instance_uid=str(ds.SOPInstanceUID))
    return truth


# --- datasets ----------------------------------------------------------------------------------

def _file_dataset(sop_class: UID, key: str) -> FileDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = demo_uid(f"instance:{key}")
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds = FileDataset("", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
    for keyword, value in {**PATIENT, **STUDY}.items():
        setattr(ds, keyword, value)
    ds.Modality = "US"
    return ds


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def _enhanced_dataset(grid: Grid, volumes: Sequence[np.ndarray]) -> FileDataset:
    slices, rows, columns = grid.shape
    ds = _file_dataset(ENHANCED_US_VOLUME, f"volume:enhanced:{grid.shape}:{len(volumes)}")
    ds.StudyInstanceUID = demo_uid("study")
    ds.SeriesInstanceUID = demo_uid("series:30")
    ds.SeriesNumber, ds.SeriesDescription, ds.InstanceNumber = 30, "3D TEE (synthetic volume)", 1
    ds.PatientOrientation = ""  # Type 2C: no patient axes are known for a synthetic volume
    ds.AnatomicRegionSequence = [_code("80891009", "SCT", "Heart")]
    ds.ViewCodeSequence = [_code("MV-EN-FACE", "99MITRAPLAN", "Mitral valve en face (synthetic)")]
    ds.BurnedInAnnotation = "NO"
    ds.ContentDate, ds.ContentTime = STUDY["StudyDate"], STUDY["StudyTime"]
    ds.AcquisitionDateTime = STUDY["StudyDate"] + STUDY["StudyTime"]
    ds.AcquisitionDuration = FRAME_TIME_MS * len(volumes) / 1000.0
    ds.Manufacturer, ds.ManufacturerModelName = "MitraPlan", "Synthetic 3D TEE phantom"
    ds.DeviceSerialNumber, ds.SoftwareVersions = "0", "demo/volume_phantom.py"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "VOLUME", "NONE"]
    ds.FrameOfReferenceUID = demo_uid("frame-of-reference:volume")
    ds.PositionReferenceIndicator = ""
    ds.VolumeFrameOfReferenceUID = demo_uid("volume-frame-of-reference")
    ds.UltrasoundAcquisitionGeometry = "APEX"
    ds.ApexPosition = [0.0, 0.0, 0.0]
    ds.VolumeToTransducerRelationship = "FIXED"
    ds.VolumeToTransducerMappingMatrix = [float(v) for v in np.eye(4).ravel()]
    ds.SynchronizationFrameOfReferenceUID = demo_uid("synchronization")
    ds.SynchronizationTrigger, ds.AcquisitionTimeSynchronized = "NO TRIGGER", "N"
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.Rows, ds.Columns, ds.NumberOfFrames = rows, columns, slices * len(volumes)
    ds.PresentationLUTShape = "IDENTITY"
    ds.RescaleIntercept, ds.RescaleSlope = 0, 1
    ds.LossyImageCompression = "00"
    ds.MechanicalIndex = ds.BoneThermalIndex = ds.CranialThermalIndex = ds.SoftTissueThermalIndex = 0.0
    ds.DepthsOfFocus = [50.0]
    ds.DepthOfScanField = 120
    ds.PositionMeasuringDeviceUsed = "RIGID"
    ds.TransducerScanPatternCodeSequence = [_code("125242", "DCM", "Volume scan pattern")]
    ds.TransducerGeometryCodeSequence = [_code("125254", "DCM", "Sector ultrasound transducer geometry")]
    ds.TransducerBeamSteeringCodeSequence = [_code("125257", "DCM", "Phased beam steering")]
    ds.TransducerApplicationCodeSequence = [_code("125264", "DCM", "Transesophageal Transducer")]
    ds.ProcessingFunction = "SYNTHETIC"
    ds.AcquisitionContextSequence = DicomSequence([])
    ds.DimensionOrganizationType = "3D_TEMPORAL" if len(volumes) > 1 else "3D"
    _dimensions(ds)
    ds.SharedFunctionalGroupsSequence = [_shared_groups(grid)]
    ds.PerFrameFunctionalGroupsSequence = _per_frame_groups(grid, len(volumes))
    order = _storage_order(slices)
    ds.PixelData = b"".join(np.ascontiguousarray(v[order]).tobytes() for v in volumes)
    ds["PixelData"].VR = "OB"
    return ds


def _storage_order(slices: int) -> list[int]:
    """Slices stored far end first (frame 1 = the last slice along the normal), to exercise sorting."""
    return list(range(slices - 1, -1, -1))


def _dimensions(ds: FileDataset) -> None:
    organization = demo_uid("dimension-organization:volume")
    ds.DimensionOrganizationSequence = [Dataset()]
    ds.DimensionOrganizationSequence[0].DimensionOrganizationUID = organization
    index = []
    for pointer, group in (("TemporalPositionIndex", "FrameContentSequence"),
                           ("ImagePositionVolume", "PlanePositionVolumeSequence")):
        item = Dataset()
        item.DimensionOrganizationUID = organization
        item.DimensionIndexPointer = Tag(pointer)
        item.FunctionalGroupPointer = Tag(group)
        index.append(item)
    ds.DimensionIndexSequence = index


def _shared_groups(grid: Grid) -> Dataset:
    shared = Dataset()
    measures = Dataset()
    measures.PixelSpacing = [grid.spacing[1], grid.spacing[0]]  # [between rows, between columns]
    measures.SliceThickness = grid.spacing[2]
    measures.SpacingBetweenSlices = grid.spacing[2]
    shared.PixelMeasuresSequence = [measures]
    orientation = Dataset()
    orientation.ImageOrientationVolume = [round(float(v), 9) for v in (*grid.axes[0], *grid.axes[1])]
    shared.PlaneOrientationVolumeSequence = [orientation]
    data_type = Dataset()
    data_type.DataType, data_type.AliasedDataType = "TISSUE_INTENSITY", "NO"
    shared.ImageDataTypeSequence = [data_type]
    description = Dataset()
    description.FrameType = ["ORIGINAL", "PRIMARY", "VOLUME", "NONE"]
    description.VolumetricProperties, description.VolumeBasedCalculationTechnique = "VOLUME", "NONE"
    shared.USImageDescriptionSequence = [description]
    window = Dataset()
    window.WindowCenter, window.WindowWidth = 128, 256
    shared.FrameVOILUTSequence = [window]
    return shared


def _per_frame_groups(grid: Grid, timepoints: int) -> list[Dataset]:
    slices = grid.shape[0]
    items = []
    for t in range(timepoints):
        for s in _storage_order(slices):
            item = Dataset()
            content = Dataset()
            content.TemporalPositionIndex = t + 1
            content.DimensionIndexValues = [t + 1, s + 1]
            content.FrameAcquisitionDateTime = STUDY["StudyDate"] + STUDY["StudyTime"]
            content.FrameReferenceDateTime = STUDY["StudyDate"] + STUDY["StudyTime"]
            content.FrameAcquisitionDuration = FRAME_TIME_MS
            item.FrameContentSequence = [content]
            position = Dataset()
            centre = grid.origin + s * grid.spacing[2] * grid.axes[2]
            position.ImagePositionVolume = [round(float(v), 6) for v in centre]
            item.PlanePositionVolumeSequence = [position]
            temporal = Dataset()
            temporal.TemporalPositionTimeOffset = t * FRAME_TIME_MS / 1000.0
            item.TemporalPositionSequence = [temporal]
            items.append(item)
    return items


def _cartesian_dataset(grid: Grid, volumes: Sequence[np.ndarray]) -> FileDataset:
    """A QLAB-style Cartesian export: the standard header bits QLAB writes plus the Philips3D block."""
    slices, rows, columns = grid.shape
    ds = _file_dataset(PHILIPS_CARTESIAN, f"volume:cartesian:{grid.shape}:{len(volumes)}")
    ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.Manufacturer = "PMS QLAB Cart Export"
    ds.StudyInstanceUID = ds.SeriesInstanceUID = ""  # as real exports: empty
    ds.FrameTime = FRAME_TIME_MS
    ds.PhysicalUnitsXDirection = ds.PhysicalUnitsYDirection = 3
    ds.PhysicalDeltaX, ds.PhysicalDeltaY = grid.spacing[0] / 10.0, grid.spacing[1] / 10.0
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.NumberOfFrames = 30  # disagrees with the data, as in real exports
    ds.Rows, ds.Columns = rows, columns
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    block = ds.private_block(0x3001, "Philips3D", create=True)
    block.add_new(0x01, "UL", slices)
    block.add_new(0x02, "US", len(volumes))
    block.add_new(0x03, "FD", grid.spacing[2] / 10.0)
    ds.PixelData = b"".join(np.ascontiguousarray(v).tobytes() for v in volumes)
    ds["PixelData"].VR = "OB"
    return ds


def _write(ds: FileDataset, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    ds.save_as(tmp, enforce_file_format=True)
    tmp.replace(path)
