"""Oblique reslicing (imaging/mpr.py, `mitraplan mpr`) against an independent trilinear reslice.

The reference is scipy.ndimage.map_coordinates(order=1, mode="constant", cval=0) on voxel indices
computed here from the geometry by hand (p = origin + A @ (c, r, s), A = [dx*row, dy*col, dz*slice]).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.ndimage import map_coordinates

from demo.volume_phantom import write_cartesian_volume, write_enhanced_volume
from gui.main import main
from imaging.errors import InputError
from imaging.mpr import reslice
from imaging.volume import Volume, VolumeGeometry


def _rotation(axis: tuple[float, float, float], degrees: float) -> np.ndarray:
    k = np.array(axis) / np.linalg.norm(axis)
    a = np.radians(degrees)
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(a) * cross + (1 - np.cos(a)) * cross @ cross


def reference_plane(voxels: np.ndarray, origin_mm, axes, spacing, plane_origin, row_dir, col_dir,
                    size: tuple[int, int], pixel: float) -> np.ndarray:
    """Pixel centres in mm -> voxel indices by solving A @ (c, r, s) = p - origin, then map_coordinates."""
    cols, rows = size
    c, r = np.meshgrid(np.arange(cols), np.arange(rows))
    points = (np.asarray(plane_origin) + c[..., None] * pixel * np.asarray(row_dir)
              + r[..., None] * pixel * np.asarray(col_dir))
    a = np.column_stack([np.asarray(axes[i]) * spacing[i] for i in range(3)])
    crs = np.linalg.solve(a, (points - np.asarray(origin_mm)).reshape(-1, 3).T)  # (3, n): column, row, slice
    return map_coordinates(voxels.astype(np.float64), crs[::-1], order=1, mode="constant", cval=0.0).reshape(rows, cols)


def _oblique(centre: np.ndarray, size: tuple[int, int], pixel: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    row_dir = np.array([1.0, 0.7, -0.4])
    row_dir /= np.linalg.norm(row_dir)
    col_dir = np.cross(row_dir, [0.2, -0.3, 1.0])
    col_dir /= np.linalg.norm(col_dir)
    origin = centre - size[0] / 2 * pixel * row_dir - size[1] / 2 * pixel * col_dir
    return origin, row_dir, col_dir


def test_reslice_equals_map_coordinates_on_a_rotated_anisotropic_volume() -> None:
    rng = np.random.default_rng(3)
    voxels = rng.integers(0, 256, (20, 24, 28), dtype=np.uint8)
    rot = _rotation((1.0, -2.0, 0.5), 35.0)
    spacing = (0.6, 0.45, 0.9)
    geometry = VolumeGeometry(shape=voxels.shape, origin_mm=(-12.0, 7.5, 3.0), row_dir=tuple(rot[:, 0]),
                              col_dir=tuple(rot[:, 1]), slice_dir=tuple(rot[:, 2]), spacing_mm=spacing)
    centre = np.asarray(geometry.voxel_mm(10, 12, 14))
    size, pixel = (70, 50), 0.35  # larger than the volume: the plane's corners fall outside (0)
    origin, row_dir, col_dir = _oblique(centre, size, pixel)
    ours = reslice(voxels, geometry, origin, row_dir, col_dir, size, pixel)
    expected = reference_plane(voxels, geometry.origin_mm, rot.T, spacing, origin, row_dir, col_dir, size, pixel)
    assert ours.shape == (50, 70) and ours.dtype == np.float32
    assert (expected == 0).sum() > 200  # some of the plane really is outside
    np.testing.assert_allclose(ours, expected, atol=2e-3)


def test_a_plane_through_voxel_centres_reads_the_voxels_and_zero_outside() -> None:
    voxels = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    geometry = VolumeGeometry((3, 4, 5), (1.0, 2.0, 3.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0),
                              (0.5, 0.5, 2.0))
    # slice 1 exactly: origin at voxel (1, 0, 0), 0.5 mm pixels along x and y; one extra column outside
    plane = reslice(voxels, geometry, (1.0, 2.0, 5.0), (1, 0, 0), (0, 1, 0), (6, 4), 0.5)
    np.testing.assert_array_equal(plane[:, :5], voxels[1].astype(np.float32))
    assert np.all(plane[:, 5] == 0)
    # half way between slices 1 and 2: the mean of the two
    middle = reslice(voxels, geometry, (1.0, 2.0, 6.0), (1, 0, 0), (0, 1, 0), (5, 4), 0.5)
    np.testing.assert_allclose(middle, (voxels[1] + voxels[2].astype(np.float32)) / 2)


def test_reslice_refuses_a_plane_without_extent() -> None:
    geometry = VolumeGeometry((2, 2, 2), (0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0),
                              (1.0, 1.0, 1.0))
    voxels = np.zeros((2, 2, 2), np.uint8)
    with pytest.raises(InputError, match="parallel"):
        reslice(voxels, geometry, (0, 0, 0), (1, 0, 0), (2, 0, 0), (4, 4), 1.0)
    with pytest.raises(InputError, match="pixel size"):
        reslice(voxels, geometry, (0, 0, 0), (1, 0, 0), (0, 1, 0), (4, 4), 0.0)


@pytest.fixture(scope="module")
def phantom_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("volume-phantom")
    return {"enhanced": write_enhanced_volume(folder / "enhanced.dcm", shape=(32, 40, 44)) | {
                "path": folder / "enhanced.dcm"},
            "cartesian": write_cartesian_volume(folder / "cart.dcm", shape=(32, 40, 44)) | {
                "path": folder / "cart.dcm"}}


@pytest.mark.parametrize("kind", ["enhanced", "cartesian"])
def test_mpr_command_writes_the_independently_resliced_plane(kind: str, phantom_files: dict, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    truth = phantom_files[kind]
    size, pixel = (60, 45), 0.4
    origin, row_dir, col_dir = _oblique(np.asarray(truth["valve_centre_mm"]), size, pixel)
    out = tmp_path / "plane.png"
    code = main(["mpr", str(truth["path"]), "--frame", "2", "--origin", *map(str, origin),
                 "--row-dir", *map(str, row_dir), "--col-dir", *map(str, col_dir),
                 "--size", str(size[0]), str(size[1]), "--pixel", str(pixel), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    with Image.open(out) as image:
        assert image.mode == "L" and image.size == size
        png = np.asarray(image).astype(np.float64)
    with Volume.open(truth["path"]) as volume:
        voxels = np.array(volume.timepoint(1))
    expected = reference_plane(voxels, truth["origin_mm"], truth["axes"], truth["spacing_mm"], origin, row_dir,
                               col_dir, size, pixel)
    assert np.abs(png - np.rint(expected)).max() <= 1.0
    assert png.max() >= 180  # the plane crosses leaflet tissue, not only blood


def test_mpr_command_bad_input_exits_3_with_a_named_message(phantom_files: dict, tmp_path: Path, bar_loop: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = str(phantom_files["enhanced"]["path"])
    plane = ["--origin", "0", "0", "0", "--row-dir", "1", "0", "0", "--size", "8", "8", "--pixel", "0.5",
             "--out", str(tmp_path / "p.png")]
    assert main(["mpr", path, "--frame", "5", "--col-dir", "0", "1", "0", *plane]) == 3
    assert f"{path}: --frame 5 is out of range: the volume has time points 1..4" in capsys.readouterr().err
    assert main(["mpr", path, "--col-dir", "2", "0", "0", *plane]) == 3
    assert "parallel" in capsys.readouterr().err
    assert main(["mpr", path, "--col-dir", "0", "0", "0", *plane]) == 3
    assert "--col-dir 0.0 0.0 0.0 is the zero vector" in capsys.readouterr().err
    assert main(["mpr", str(bar_loop), "--col-dir", "0", "1", "0", *plane]) == 3
    assert f"{bar_loop}: SOP class" in capsys.readouterr().err


def test_mpr_command_on_the_short_qlab_export_names_the_file(realdata: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = realdata / "itksnap_echo_cartesian_dummy.dcm"
    code = main(["mpr", str(path), "--origin", "0", "0", "0", "--row-dir", "1", "0", "0", "--col-dir", "0", "1", "0",
                 "--size", "8", "8", "--pixel", "1", "--out", str(tmp_path / "p.png")])
    assert code == 3
    assert f"mitraplan mpr: {path}: Pixel Data holds 489212 bytes, 4 fewer" in capsys.readouterr().err


def test_info_lists_the_short_qlab_export_as_an_error_naming_it(realdata: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = realdata / "itksnap_echo_cartesian_dummy.dcm"
    assert main(["info", str(path)]) == 3
    data = json.loads(capsys.readouterr().out)
    assert data["loops"] == [] and data["volumes"] == []
    (error,) = data["errors"]
    assert error["path"] == str(path) and error["error"].startswith("Pixel Data holds 489212 bytes, 4 fewer")
