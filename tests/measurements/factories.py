"""Region factories for measurement tests: UltrasoundRegion built directly, calibration chosen by hand."""

from __future__ import annotations

from imaging.regions import UltrasoundRegion


def spatial_region(dx: float = 0.02, dy: float = 0.02, bounds: tuple[int, int, int, int] = (0, 0, 799, 599),
                   index: int = 0, ref: tuple[int, int] = (0, 0), data_type: int = 1) -> UltrasoundRegion:
    """2D region in cm x cm (spatial format 1)."""
    return UltrasoundRegion(index=index, spatial_format=1, data_type=data_type, flags=0, location=bounds,
                            bounds=bounds, units_x=3, units_y=3, delta_x=dx, delta_y=dy,
                            reference_pixel_x0=ref[0], reference_pixel_y0=ref[1])


def spectral_region(dx: float = 0.001, dy: float = -1.0, bounds: tuple[int, int, int, int] = (0, 100, 799, 599),
                    ref: tuple[int, int] = (0, 250), index: int = 1, data_type: int = 4,
                    ref_value_x: float = 0.0) -> UltrasoundRegion:
    """Spectral CW region in s x cm/s; ``ref`` is relative to the region's top-left corner (baseline row)."""
    return UltrasoundRegion(index=index, spatial_format=3, data_type=data_type, flags=0, location=bounds,
                            bounds=bounds, units_x=4, units_y=7, delta_x=dx, delta_y=dy,
                            reference_pixel_x0=ref[0], reference_pixel_y0=ref[1], reference_value_x=ref_value_x)


def trace_to_image(region: UltrasoundRegion, trace_s_m_s: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(t s, v m/s) -> image points through the region (the inverse the GUI uses)."""
    return [region.to_image(t, v * 100.0) for t, v in trace_s_m_s]


def write_us_image(path, sop_uid: str, regions: list[dict], rows: int = 600, columns: int = 800,
                   pixels=None, heart_rate: float | None = None):
    """A small single-frame US image (grey, explicit VR little endian) with the given region items.

    Each region dict holds pydicom keywords of one Sequence of Ultrasound Regions item.
    """
    import numpy as np
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.6.1"
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, sop_uid
    ds.StudyInstanceUID, ds.SeriesInstanceUID = "1.2.826.0.1.3680043.99.1", generate_uid()
    ds.Modality, ds.PatientName, ds.PatientID = "US", "Test^Case", "T1"
    if heart_rate is not None:
        ds.HeartRate = int(heart_rate)
    ds.SequenceOfUltrasoundRegions = []
    for values in regions:
        item = Dataset()
        for keyword, value in values.items():
            setattr(item, keyword, value)
        ds.SequenceOfUltrasoundRegions.append(item)
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    data = np.zeros((rows, columns), np.uint8) if pixels is None else pixels
    ds.PixelData = np.ascontiguousarray(data, dtype=np.uint8).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def region_item(bounds, spatial_format, data_type, units, delta, ref=(0, 0), ref_value=(0.0, 0.0)) -> dict:
    """Keywords of one region item; ``ref`` is relative to the region's top-left corner."""
    return dict(RegionLocationMinX0=bounds[0], RegionLocationMinY0=bounds[1], RegionLocationMaxX1=bounds[2],
                RegionLocationMaxY1=bounds[3], RegionSpatialFormat=spatial_format, RegionDataType=data_type,
                RegionFlags=0, PhysicalUnitsXDirection=units[0], PhysicalUnitsYDirection=units[1],
                PhysicalDeltaX=delta[0], PhysicalDeltaY=delta[1], ReferencePixelX0=ref[0], ReferencePixelY0=ref[1],
                ReferencePixelPhysicalValueX=ref_value[0], ReferencePixelPhysicalValueY=ref_value[1])
