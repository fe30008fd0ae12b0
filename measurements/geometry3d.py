"""Distance and polygon area of 3D marks, in mm of a volume's frame of reference (M1, M4 of docs/clinical-criteria.md §1.1 on 3D MPR).

A 3D mark's points were placed on one MPR plane of a volume; the volume's spacing is already in mm,
so no calibration is involved. An area is the shoelace area of the polygon in its own plane: the
best-fit plane of its vertices (singular value decomposition of the centred points: the two
leading right-singular vectors span it, the third is its normal). A polygon whose vertices stray
more than ``PLANARITY_TOLERANCE_MM`` from that plane was not drawn in one plane and has no single
area; it is refused, naming the mark.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from imaging.errors import InputError
from measurements.geometry import is_self_intersecting, shoelace_px

Point3 = tuple[float, float, float]

#: an area's vertices must lie within this distance (mm) of their best-fit plane (docs/case-file.md, 3D marks)
PLANARITY_TOLERANCE_MM = 0.5


class NonPlanarError(InputError):
    """A 3D polygon does not lie in one plane; the message names the mark and the deviation."""


@dataclass(frozen=True)
class FittedPlane:
    """The best-fit plane of some points: centroid, two in-plane unit axes, unit normal, worst deviation (mm)."""

    centroid: np.ndarray
    u: np.ndarray
    v: np.ndarray
    normal: np.ndarray
    max_deviation_mm: float

    def project(self, points: np.ndarray) -> np.ndarray:
        """In-plane coordinates ``(n, 2)`` (mm) of points ``(n, 3)``."""
        d = np.asarray(points, float) - self.centroid
        projected: np.ndarray = np.column_stack([d @ self.u, d @ self.v])
        return projected


def best_fit_plane(points: Sequence[Sequence[float]] | np.ndarray) -> FittedPlane:
    """Least-squares plane through ``points`` (at least 3, not all on one line)."""
    p = np.asarray(points, float)
    if p.ndim != 2 or p.shape[1] != 3 or len(p) < 3:
        raise InputError(f"a plane needs at least 3 points of [x, y, z] (got {p.shape})")
    centroid = p.mean(axis=0)
    _, singular, vt = np.linalg.svd(p - centroid)
    if singular[1] <= 1e-9 * max(float(singular[0]), 1.0):
        raise InputError("the points lie on one line: they span no plane")
    normal = vt[2]
    deviation = float(np.max(np.abs((p - centroid) @ normal)))
    return FittedPlane(centroid=centroid, u=vt[0], v=vt[1], normal=normal, max_deviation_mm=deviation)


def distance_mm(p: Sequence[float], q: Sequence[float]) -> float:
    """Euclidean distance (mm) between two points in mm."""
    return float(math.dist(p, q))


def planar_polygon(points: Sequence[Sequence[float]], name: str) -> tuple[FittedPlane, np.ndarray]:
    """The polygon's plane and its vertices in that plane (mm); NonPlanarError naming ``name`` if not planar."""
    plane = best_fit_plane(points)
    if plane.max_deviation_mm > PLANARITY_TOLERANCE_MM:
        raise NonPlanarError(
            f"{name}: its points are not in one plane (up to {plane.max_deviation_mm:.2f} mm off their best-fit"
            f" plane, more than {PLANARITY_TOLERANCE_MM:g} mm); draw the area on one MPR plane")
    return plane, plane.project(np.asarray(points, float))


def polygon_area_mm2(points: Sequence[Sequence[float]], name: str) -> float:
    """Shoelace area (mm²) of a planar 3D polygon in its best-fit plane (M4 with mm coordinates)."""
    _, flat = planar_polygon(points, name)
    return shoelace_px([(float(x), float(y)) for x, y in flat])


def polygon_crosses_itself(points: Sequence[Sequence[float]], name: str) -> bool:
    """True when the planar polygon's edges cross in its plane (its shoelace area is then wrong)."""
    _, flat = planar_polygon(points, name)
    return is_self_intersecting([(float(x), float(y)) for x, y in flat])
