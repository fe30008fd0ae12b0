"""Thumbnails straight from the index: frame 1 read where the index found Pixel Data, decoded small.

The reduced JPEG decode is checked against the full decode averaged over 8x8 blocks (libjpeg's 1/8
DCT scaling keeps each block's mean); the uncompressed decimation against the array written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imaging.catalog import catalog_paths
from imaging.decode import reduced_first_frame
from imaging.loop import Loop
from tests.imaging.conftest import jpeg_loop, native_loop, save


def _layout(path: Path):  # type: ignore[no-untyped-def]
    catalog = catalog_paths([path])
    (info,) = catalog.loops()
    return catalog.layouts[info.sop_instance_uid]


def _smooth_frames(n: int, rows: int = 480, cols: int = 640) -> list[np.ndarray]:
    """Smooth colour ramps (JPEG keeps them well): red across, green down, blue by frame."""
    ys, xs = np.mgrid[0:rows, 0:cols]
    return [np.stack([xs * 255 // cols, ys * 255 // rows, np.full_like(xs, 40 * k)], axis=-1).astype(np.uint8)
            for k in range(n)]


def test_a_jpeg_loop_decodes_at_the_smallest_dct_scale_at_least_thumbnail_sized(tmp_path: Path) -> None:
    path = save(jpeg_loop(_smooth_frames(3)), tmp_path / "loop.dcm")
    small = reduced_first_frame(_layout(path), 66, 50)
    assert small is not None and small.shape == (60, 80, 3)  # 640x480 / 8 = 80x60 >= 66x50; / 16 is not offered
    with Loop.open(path) as loop:
        full = loop.frame(0).astype(float)
    block_means = full.reshape(60, 8, 80, 8, 3).mean(axis=(1, 3))
    assert np.abs(small - block_means).mean() < 3.0
    assert reduced_first_frame(_layout(path), 100, 50).shape == (120, 160, 3)  # 1/4: 80 < 100 <= 160


def test_an_uncompressed_grey_image_is_decimated_from_the_bytes_written(tmp_path: Path) -> None:
    grey = (np.arange(240 * 320).reshape(240, 320) % 251).astype(np.uint8)
    ds = native_loop([np.repeat(grey[..., None], 3, axis=2)])
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    del ds.PlanarConfiguration
    ds.PixelData = grey.tobytes()
    path = save(ds, tmp_path / "grey.dcm")
    small = reduced_first_frame(_layout(path), 88, 66)
    np.testing.assert_array_equal(small, grey[::3, ::3])  # 320 // 88 = 240 // 66 = 3
    ds.PhotometricInterpretation = "MONOCHROME1"
    path = save(ds, tmp_path / "inverted.dcm")
    np.testing.assert_array_equal(reduced_first_frame(_layout(path), 88, 66), 255 - grey[::3, ::3])


def test_uncompressed_rgb_in_both_planar_configurations(tmp_path: Path) -> None:
    frame = _smooth_frames(1, 64, 96)[0]
    path = save(native_loop([frame, frame]), tmp_path / "rgb.dcm")
    np.testing.assert_array_equal(reduced_first_frame(_layout(path), 40, 30), frame[::2, ::2])
    ds = native_loop([frame])
    ds.PlanarConfiguration = 1
    ds.PixelData = frame.transpose(2, 0, 1).tobytes()  # all red, then all green, then all blue
    path = save(ds, tmp_path / "planar.dcm")
    np.testing.assert_array_equal(reduced_first_frame(_layout(path), 40, 30), frame[::2, ::2])


def test_a_file_changed_since_it_was_indexed_goes_to_the_full_decoder(tmp_path: Path) -> None:
    path = save(jpeg_loop(_smooth_frames(2, 64, 96)), tmp_path / "loop.dcm")
    layout = _layout(path)
    save(jpeg_loop(_smooth_frames(3, 64, 96)), path)
    assert reduced_first_frame(layout, 40, 30) is None


@pytest.mark.parametrize("photometric", ["PALETTE COLOR", "YBR_FULL"])
def test_encodings_without_a_fast_path_go_to_the_full_decoder(tmp_path: Path, photometric: str) -> None:
    ds = native_loop(_smooth_frames(1, 32, 48))
    ds.PhotometricInterpretation = photometric
    path = save(ds, tmp_path / "other.dcm")
    assert reduced_first_frame(_layout(path), 20, 10) is None
