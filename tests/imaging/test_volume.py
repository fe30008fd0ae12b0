"""Reading 3D/4D volumes: geometry of both encodings against hand-computed voxel positions.

The Enhanced US Volume fixtures imitate a scanner's standard 4D export (PS3.3 A.59: one frame per
slice, functional groups, frames not stored in geometric order); the Cartesian fixtures imitate
Philips QLAB's "Cartesian" export (the real header shipped in shared/realdata holds its layout).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, RLELossless, generate_uid

from imaging.catalog import catalog_paths
from imaging.errors import CorruptImageError, ImagingError
from imaging.volume import ENHANCED_US_VOLUME, PHILIPS_CARTESIAN, Volume, _scan_frame_geometry, read_volume_info

# Hand-picked rotated frame: a row runs along (0.6, 0.8, 0), a column along (0, 0, -1), so the slice
# normal row x column = (0.8 * -1 - 0, 0 - 0.6 * -1, 0) = (-0.8, 0.6, 0).
ROW_DIR, COL_DIR, NORMAL = (0.6, 0.8, 0.0), (0.0, 0.0, -1.0), (-0.8, 0.6, 0.0)
ORIGIN = (10.0, -20.0, 5.0)
ROW_SPACING, COLUMN_SPACING, SLICE_GAP = 0.5, 0.3, 0.7  # Pixel Spacing = [between rows, between columns]
SLICES, ROWS, COLUMNS, TIMEPOINTS = 4, 5, 6, 2


def _value(t: int, s: int) -> int:
    """Every voxel of time point t, slice s holds this value: it tells where a frame went."""
    return 10 * (t + 1) + s


def _file_dataset(sop_class: str) -> FileDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
    ds.PatientName, ds.PatientID, ds.Modality = "Volume^Test", "VOL-1", "US"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    return ds


def write_enhanced(path: Path, *, jitter_mm: float = 0.0, temporal_index: bool = True) -> Path:
    """Frames stored time point by time point, slices in the order 2, 0, 3, 1 within each."""
    ds = _file_dataset(ENHANCED_US_VOLUME)
    ds.Rows, ds.Columns, ds.NumberOfFrames = ROWS, COLUMNS, SLICES * TIMEPOINTS
    shared = Dataset()
    measures = Dataset()
    measures.PixelSpacing = [ROW_SPACING, COLUMN_SPACING]
    measures.SpacingBetweenSlices = SLICE_GAP
    shared.PixelMeasuresSequence = [measures]
    orientation = Dataset()
    orientation.ImageOrientationVolume = [*ROW_DIR, *COL_DIR]
    shared.PlaneOrientationVolumeSequence = [orientation]
    ds.SharedFunctionalGroupsSequence = [shared]
    frames, pixels = [], []
    for t in range(TIMEPOINTS):
        for s in (2, 0, 3, 1):
            item = Dataset()
            position = Dataset()
            shift = jitter_mm if (t, s) == (0, 3) else 0.0
            position.ImagePositionVolume = [o + s * SLICE_GAP * n + shift for o, n in zip(ORIGIN, NORMAL, strict=True)]
            item.PlanePositionVolumeSequence = [position]
            if temporal_index:
                content = Dataset()
                content.TemporalPositionIndex = t + 1
                item.FrameContentSequence = [content]
                temporal = Dataset()
                temporal.TemporalPositionTimeOffset = t * 0.045  # s: 45 ms between time points
                item.TemporalPositionSequence = [temporal]
            frames.append(item)
            pixels.append(np.full((ROWS, COLUMNS), _value(t, s), np.uint8))
    ds.PerFrameFunctionalGroupsSequence = frames
    ds.PixelData = np.stack(pixels).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def write_cartesian(path: Path, *, volumes: int = TIMEPOINTS, short_by: int = 0, count_tag: bool = True) -> Path:
    """QLAB layout: volume after volume, slice after slice; spacing in cm; Number of Frames wrong."""
    ds = _file_dataset(PHILIPS_CARTESIAN)
    ds.StudyInstanceUID = ds.SeriesInstanceUID = ""
    ds.Rows, ds.Columns, ds.NumberOfFrames = ROWS, COLUMNS, 30
    ds.PhysicalUnitsXDirection = ds.PhysicalUnitsYDirection = 3
    ds.PhysicalDeltaX, ds.PhysicalDeltaY = 0.03, 0.04  # cm: 0.3 mm along a row, 0.4 mm between rows
    ds.FrameTime = 36.5
    block = ds.private_block(0x3001, "Philips3D", create=True)
    block.add_new(0x01, "UL", SLICES)
    if count_tag:
        block.add_new(0x02, "US", volumes)
    block.add_new(0x03, "FD", 0.05)  # cm between slices
    data = np.stack([np.full((ROWS, COLUMNS), _value(t, s), np.uint8)
                     for t in range(volumes) for s in range(SLICES)]).tobytes()
    ds.PixelData = data[:len(data) - short_by] if short_by else data
    ds.save_as(path, enforce_file_format=True)
    return path


def test_enhanced_volume_geometry_matches_hand_computed_voxel_positions(tmp_path: Path) -> None:
    info = read_volume_info(write_enhanced(tmp_path / "enhanced.dcm"))
    g = info.geometry
    assert info.format == "enhanced_us_volume" and info.warnings == ()
    assert g.shape == (SLICES, ROWS, COLUMNS) and info.dimensions == (COLUMNS, ROWS, SLICES)
    assert info.timepoints == TIMEPOINTS and info.frame_time_ms == pytest.approx(45.0)
    assert g.spacing_mm == pytest.approx((0.3, 0.5, 0.7))  # [along a row, between rows, between slices]
    np.testing.assert_allclose(g.origin_mm, ORIGIN, atol=1e-9)  # slice 0 is stored as the 2nd frame
    np.testing.assert_allclose([g.row_dir, g.col_dir, g.slice_dir], [ROW_DIR, COL_DIR, NORMAL], atol=1e-12)
    # voxel (s=2, r=3, c=4): (10, -20, 5) + 4*0.3*(0.6, 0.8, 0) + 3*0.5*(0, 0, -1) + 2*0.7*(-0.8, 0.6, 0)
    np.testing.assert_allclose(g.voxel_mm(2, 3, 4), (10 + 0.72 - 1.12, -20 + 0.96 + 0.84, 5 - 1.5), atol=1e-9)
    np.testing.assert_allclose(g.mm_to_index(np.array([9.6, -18.2, 3.5])), (4, 3, 2), atol=1e-9)
    data = info.as_info()
    assert data["dimensions"] == [6, 5, 4] and data["spacing_mm"] == [0.3, 0.5, 0.7]
    assert data["origin_mm"] == [10.0, -20.0, 5.0] and data["axes"] == [[0.6, 0.8, 0.0], [0.0, 0.0, -1.0],
                                                                          [-0.8, 0.6, 0.0]]


def test_enhanced_volume_decodes_one_time_point_in_geometric_order(tmp_path: Path) -> None:
    with Volume.open(write_enhanced(tmp_path / "enhanced.dcm")) as volume:
        for t in range(TIMEPOINTS):
            voxels = volume.timepoint(t)
            assert voxels.shape == (SLICES, ROWS, COLUMNS) and not voxels.flags.writeable
            assert [int(voxels[s, 0, 0]) for s in range(SLICES)] == [_value(t, s) for s in range(SLICES)]
        with pytest.raises(IndexError):
            volume.timepoint(TIMEPOINTS)


def test_unequal_slice_positions_are_reported(tmp_path: Path) -> None:
    info = read_volume_info(write_enhanced(tmp_path / "jitter.dcm", jitter_mm=0.2))
    assert any("not equally spaced along the slice normal" in w for w in info.warnings), info.warnings


def test_without_temporal_attributes_a_repeated_position_starts_the_next_time_point(tmp_path: Path) -> None:
    with Volume.open(write_enhanced(tmp_path / "no-time.dcm", temporal_index=False)) as volume:
        assert volume.timepoints == TIMEPOINTS
        assert int(volume.timepoint(1)[3, 0, 0]) == _value(1, 3)


def test_cartesian_geometry_is_column_row_slice_in_mm_from_cm(tmp_path: Path) -> None:
    info = read_volume_info(write_cartesian(tmp_path / "cart.dcm"))
    g = info.geometry
    assert info.format == "philips_cartesian" and info.timepoints == TIMEPOINTS
    assert g.spacing_mm == pytest.approx((0.3, 0.4, 0.5))
    assert g.origin_mm == (0.0, 0.0, 0.0) and (g.row_dir, g.col_dir, g.slice_dir) == (
        (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
    # voxel (s=3, r=2, c=5) lies at x = 5 columns * 0.3, y = 2 rows * 0.4, z = 3 slices * 0.5 mm
    np.testing.assert_allclose(g.voxel_mm(3, 2, 5), (1.5, 0.8, 1.5), atol=1e-12)
    assert info.frame_time_ms == 36.5
    assert any("Number of Frames says 30" in w for w in info.warnings)
    with Volume.open(info.path) as volume:
        assert [int(volume.timepoint(1)[s, 0, 0]) for s in range(SLICES)] == [_value(1, s) for s in range(SLICES)]


def test_short_cartesian_data_fails_naming_the_file(tmp_path: Path) -> None:
    path = write_cartesian(tmp_path / "short.dcm", short_by=4)
    with pytest.raises(CorruptImageError, match="4 fewer") as caught:
        Volume.open(path)
    assert str(path) in str(caught.value)


def test_real_qlab_header_with_short_data_fails_naming_the_file(realdata: Path) -> None:
    # the published QLAB export: Pixel Data 489,212 bytes, 4 short of 3 volumes x 56 slices x 52 rows x 56 columns
    path = realdata / "itksnap_echo_cartesian_dummy.dcm"
    with pytest.raises(ImagingError) as caught:
        read_volume_info(path)
    message = str(caught.value)
    assert str(path) in message and "489212" in message and "4 fewer" in message and "3 volumes x 56 slices" in message


def test_real_qlab_header_layout_once_the_data_is_complete(realdata: Path, tmp_path: Path) -> None:
    ds = dcmread(realdata / "itksnap_echo_cartesian_dummy.dcm")
    ds.PixelData = bytes(ds.PixelData) + b"\0" * 4
    ds.save_as(tmp_path / "padded.dcm")
    info = read_volume_info(tmp_path / "padded.dcm")
    # header: Columns 56, Rows 52, (3001,1001) 56 slices, (3001,1002) 3 volumes; deltas in cm x 10 -> mm
    assert info.dimensions == (56, 52, 56) and info.timepoints == 3
    assert info.geometry.spacing_mm == pytest.approx((37.76571273803711, 37.216129302978516, 32.873077392578125))
    assert info.frame_time_ms == pytest.approx(3.666667)
    assert info.header.study_instance_uid == "" and any("Number of Frames says 30" in w for w in info.warnings)


def test_catalog_lists_volumes_apart_from_loops(tmp_path: Path, bar_loop: Path) -> None:
    write_enhanced(tmp_path / "enhanced.dcm")
    write_cartesian(tmp_path / "cart.dcm")
    index = catalog_paths([tmp_path, bar_loop])
    assert sorted(v.format for v in index.volumes()) == ["enhanced_us_volume", "philips_cartesian"]
    assert [loop.path for loop in index.loops()] == [bar_loop]
    assert index.warnings == []


@pytest.mark.parametrize("jitter", [0.0, 0.2])
def test_scanning_the_raw_per_frame_groups_agrees_with_parsing_them(tmp_path: Path, jitter: float,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # large 4D files are read by scanning the undecoded per-frame bytes; pydicom's item-by-item parse is the reference
    path = write_enhanced(tmp_path / "enhanced.dcm", jitter_mm=jitter)
    assert _scan_frame_geometry(dcmread(path, stop_before_pixels=True), SLICES * TIMEPOINTS) is not None
    scanned = read_volume_info(path)
    monkeypatch.setattr("imaging.volume._scan_frame_geometry", lambda ds, n: None)
    parsed = read_volume_info(path)
    assert scanned.geometry == parsed.geometry and scanned.frame_map == parsed.frame_map
    assert scanned.frame_time_ms == parsed.frame_time_ms and scanned.warnings == parsed.warnings
    assert scanned.frame_map[0] == (1, 3, 0, 2)  # stored as slices 2, 0, 3, 1: slice 0 is frame index 1, ...


def test_cartesian_without_a_volume_count_counts_the_volumes_in_the_data(tmp_path: Path) -> None:
    info = read_volume_info(write_cartesian(tmp_path / "nocount.dcm", volumes=3, count_tag=False))
    assert info.timepoints == 3
    assert any("3 counted from the Pixel Data length" in w for w in info.warnings)


def test_compressed_enhanced_volume_decodes_frame_by_frame_to_the_same_voxels(tmp_path: Path) -> None:
    # scanners may store the slices RLE- or JPEG-compressed; each frame then goes through the frame decoder
    native = write_enhanced(tmp_path / "native.dcm")
    ds = dcmread(native)
    ds.compress(RLELossless, encoding_plugin="pydicom")
    ds.save_as(tmp_path / "rle.dcm")
    with Volume.open(native) as a, Volume.open(tmp_path / "rle.dcm") as b:
        for t in range(TIMEPOINTS):
            np.testing.assert_array_equal(a.timepoint(t), b.timepoint(t))


def test_time_points_stay_in_a_given_cache_until_the_volume_closes(tmp_path: Path) -> None:
    from imaging.cache import FrameCache

    cache = FrameCache(budget_bytes=10 * SLICES * ROWS * COLUMNS)
    path = write_enhanced(tmp_path / "enhanced.dcm")
    with Volume.open(path) as alone:  # no cache: only the last time point is held
        first = alone.timepoint(0)
        assert alone.timepoint(0) is first and alone.timepoint(1) is not first
    volume = Volume.open(path, cache=cache)
    a, b = volume.timepoint(0), volume.timepoint(1)
    assert len(cache) == 2 and cache.used_bytes == a.nbytes + b.nbytes
    assert volume.timepoint(0) is a
    volume.close()
    assert len(cache) == 0
