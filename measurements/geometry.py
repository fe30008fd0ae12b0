"""Calibrated distance and polygon area on 2D regions (docs/clinical-criteria.md M1, M4).

Only the deltas matter here, and they may differ in x and y (never assume square pixels) and be
negative (magnitudes are used). Points are image coordinates; the region does the calibration.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from imaging.errors import CalibrationError
from imaging.regions import UltrasoundRegion

Point = tuple[float, float]


def require_spatial(region: UltrasoundRegion, what: str) -> None:
    """Refuse distances/areas on a region whose axes are not both cm (spectral, uncalibrated...)."""
    if region.problem:
        raise CalibrationError(f"{what}: {region.description} calibration is unusable ({region.problem})")
    if not region.is_spatial:
        raise CalibrationError(
            f"{what}: {region.description} has units {region.unit_x or 'none'} x {region.unit_y or 'none'};"
            " distances and areas need a calibrated 2D region in cm")


def distance_cm(p: Point, q: Point, region: UltrasoundRegion) -> float:
    """``sqrt((dx_px*dX)^2 + (dy_px*dY)^2)`` in cm (M1)."""
    return math.hypot((q[0] - p[0]) * region.delta_x, (q[1] - p[1]) * region.delta_y)


def shoelace_px(points: Sequence[Point]) -> float:
    """Polygon area in px² (absolute, so either vertex order gives the same area)."""
    n = len(points)
    twice = sum(points[i][0] * points[(i + 1) % n][1] - points[(i + 1) % n][0] * points[i][1] for i in range(n))
    return abs(twice) / 2.0


def area_cm2(points: Sequence[Point], region: UltrasoundRegion) -> float:
    """Shoelace area ``A_px * |dX * dY|`` in cm² (M4)."""
    return shoelace_px(points) * abs(region.delta_x * region.delta_y)


def total_area_cm2(areas_cm2: Sequence[float]) -> float:
    """Multi-orifice planimetry: the sum of the unrounded orifice areas (round only the total, W10b)."""
    return math.fsum(areas_cm2)


def is_self_intersecting(points: Sequence[Point]) -> bool:
    """True when two non-adjacent edges of the closed polygon cross (its shoelace area is then wrong).

    Vectorised over all edge pairs (a freehand outline of a few hundred points stays fast).
    """
    p = np.asarray(points, dtype=float)
    n = len(p)
    if n < 4:
        return False
    a, b = p, np.roll(p, -1, axis=0)  # edge i runs a[i] -> b[i]

    def side(o: np.ndarray, d: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Sign of the cross product (d - o) x (q - o), broadcast over edge pairs."""
        return np.asarray((d[..., 0] - o[..., 0]) * (q[..., 1] - o[..., 1])
                          - (d[..., 1] - o[..., 1]) * (q[..., 0] - o[..., 0]))

    ai, bi = a[:, None, :], b[:, None, :]
    aj, bj = a[None, :, :], b[None, :, :]
    crosses = (side(aj, bj, ai) * side(aj, bj, bi) < 0) & (side(ai, bi, aj) * side(ai, bi, bj) < 0)
    i, j = np.triu_indices(n, k=2)
    keep = ~((i == 0) & (j == n - 1))  # first and last edges share a vertex
    return bool(np.any(crosses[i[keep], j[keep]]))
