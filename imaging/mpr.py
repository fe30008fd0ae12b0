"""Multiplanar reformatting: an oblique plane resliced from one time point of a volume.

One function, ``reslice``, serves the command line (``mitraplan mpr``) and the volume viewer, so
both show the same grey values. Pixel ``(c, r)`` of the plane has its centre at
``origin + c * pixel_mm * row_dir + r * pixel_mm * col_dir`` (mm, the volume's frame of
reference); its value is the trilinear interpolation of the eight voxels around that point, and 0
where the point lies outside the voxel centres' box (the convention of
``scipy.ndimage.map_coordinates(order=1, mode="constant", cval=0)``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from imaging.errors import InputError
from imaging.volume import VolumeGeometry

#: a point or direction in mm: three numbers
Vector = Sequence[float] | np.ndarray


def plane_to_index(geometry: VolumeGeometry, origin: Vector, row_dir: Vector,
                   col_dir: Vector, pixel_mm: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fractional (column, row, slice) voxel index of pixel (0, 0), and its steps per plane column and row."""
    inverse = np.linalg.inv(geometry.index_to_mm_matrix())
    start = inverse @ (np.asarray(origin, float) - np.asarray(geometry.origin_mm))
    step_c = inverse @ (np.asarray(row_dir, float) * pixel_mm)
    step_r = inverse @ (np.asarray(col_dir, float) * pixel_mm)
    return start, step_c, step_r


def check_plane(row_dir: Vector, col_dir: Vector, size: tuple[int, int], pixel_mm: float) -> None:
    """Refuse a plane that cannot be drawn: zero or parallel directions, empty size, pixel <= 0."""
    r, c = np.asarray(row_dir, float), np.asarray(col_dir, float)
    if r.shape != (3,) or c.shape != (3,) or not (np.all(np.isfinite(r)) and np.all(np.isfinite(c))):
        raise InputError("row and column directions must be three finite numbers each")
    if np.linalg.norm(r) < 1e-9 or np.linalg.norm(c) < 1e-9:
        raise InputError("a plane direction is the zero vector")
    if np.linalg.norm(np.cross(r / np.linalg.norm(r), c / np.linalg.norm(c))) < 1e-6:
        raise InputError("the row and column directions are parallel: they span no plane")
    if size[0] < 1 or size[1] < 1:
        raise InputError(f"plane size must be at least 1x1 pixels, got {size[0]}x{size[1]}")
    if not (np.isfinite(pixel_mm) and pixel_mm > 0):
        raise InputError(f"pixel size must be a positive number of mm, got {pixel_mm}")


def reslice(voxels: np.ndarray, geometry: VolumeGeometry, origin: Vector, row_dir: Vector,
            col_dir: Vector, size: tuple[int, int], pixel_mm: float) -> np.ndarray:
    """The plane ``size`` = (columns, rows) as ``float32`` ``(rows, columns)``; see the module docstring.

    ``voxels`` is one time point ``(slices, rows, columns)``; the directions are used as given
    (unit vectors give ``pixel_mm`` spacing; the caller normalises).
    """
    check_plane(row_dir, col_dir, size, pixel_mm)
    if voxels.shape != geometry.shape:
        raise InputError(f"voxel array {voxels.shape} does not match the geometry {geometry.shape}")
    columns, rows = size
    start, step_c, step_r = plane_to_index(geometry, origin, row_dir, col_dir, pixel_mm)
    c = np.arange(columns, dtype=np.float64)
    r = np.arange(rows, dtype=np.float64)
    # (column, row, slice) index of every pixel: affine in (c, r); float32 is exact enough for < 2**16 voxels
    coords = [np.add.outer(r * step_r[a], c * step_c[a] + start[a]).astype(np.float32).ravel() for a in range(3)]
    flat = np.ascontiguousarray(voxels).ravel()
    return _trilinear(flat, voxels.shape, coords).reshape(rows, columns)


def _trilinear(flat: np.ndarray, shape: tuple[int, ...], coords: list[np.ndarray]) -> np.ndarray:
    """Trilinear samples of ``flat`` (a C-ordered (z, y, x) array) at (x, y, z) indices; 0 outside.

    Every step runs on whole arrays with few temporaries: the lower corner's flat offset, the
    fractions, then eight gathers folded pairwise along x, y and z.
    """
    nz, ny, nx = shape
    n = coords[0].size
    inside: np.ndarray = np.ones(n, bool)
    base: np.ndarray = np.zeros(n, np.int64 if flat.size >= 2**31 else np.int32)
    fractions: list[np.ndarray] = []
    steps: list[int] = []
    for values, count, stride in zip(coords, (nx, ny, nz), (1, nx, nx * ny), strict=True):
        inside &= values >= 0
        inside &= values <= count - 1
        np.clip(values, 0, count - 1, out=values)
        lower = np.minimum(np.floor(values), np.float32(max(count - 2, 0)))
        values -= lower  # now the fraction towards the upper neighbour
        fractions.append(values)
        base += lower.astype(base.dtype) * stride
        steps.append(stride if count > 1 else 0)
    fx, fy, fz = fractions
    sx, sy, sz = steps

    def along_x(offset: int) -> np.ndarray:
        low = flat.take(base + offset if offset else base)
        high = flat.take(base + (offset + sx))
        value: np.ndarray = np.subtract(high, low, dtype=np.float32)
        value *= fx
        value += low
        return value

    c00, c10, c01, c11 = along_x(0), along_x(sy), along_x(sz), along_x(sz + sy)
    c10 -= c00
    c10 *= fy
    c10 += c00
    c11 -= c01
    c11 *= fy
    c11 += c01
    c11 -= c10
    c11 *= fz
    c11 += c10
    c11 *= inside
    result: np.ndarray = c11
    return result


def to_grey8(plane: np.ndarray) -> np.ndarray:
    """A resliced plane rounded to ``uint8`` grey for PNG output."""
    grey: np.ndarray = np.clip(np.rint(plane), 0, 255).astype(np.uint8)
    return grey
