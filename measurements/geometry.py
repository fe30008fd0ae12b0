"""Calibrated distance and polygon area on 2D regions (clinical.md M1, M4).

Only the deltas matter here, and they may differ in x and y (never assume square pixels) and be
negative (magnitudes are used). Points are image coordinates; the region does the calibration.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from imaging.errors import CalibrationError
from imaging.regions import UltrasoundRegion

Point = tuple[float, float]


def require_spatial(region: UltrasoundRegion, what: str) -> None:
    """Refuse distances/areas on a region whose axes are not both cm (spectral, uncalibrated...)."""
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


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _segments_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """Proper crossing of two segments (touching at an end does not count)."""
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0


def is_self_intersecting(points: Sequence[Point]) -> bool:
    """True when two non-adjacent edges of the closed polygon cross (its shoelace area is then wrong)."""
    n = len(points)
    edges = [(points[i], points[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue
            if _segments_cross(*edges[i], *edges[j]):
                return True
    return False
