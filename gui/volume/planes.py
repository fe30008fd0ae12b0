"""The state of the volume viewer's planes, in mm of the volume's frame of reference (no Qt).

Three mutually orthogonal MPR planes cross at one point, the crosshair ``centre``; ``frame`` holds
their normals as rows (``frame[0]`` = normal of plane A, ``frame[1]`` of plane B, ``frame[2]`` of
plane C). Each view keeps its own display axes (``row_dir``: screen right, ``col_dir``: screen
down, both in its plane) and an anchor (the mm point at the image centre), so moving the crosshair
moves the *other* planes and their lines, never the picture under the mouse; a rotation about a
view's own normal turns the other planes and leaves that view's picture still.

Image coordinates of a view are DICOM/pyqtgraph ones (``(0, 0)`` the corner of the top-left
pixel): the centre of pixel ``(c, r)`` lies at ``origin + c·px·row_dir + r·px·col_dir`` with
``origin`` the centre of pixel (0, 0), exactly as ``imaging.mpr.reslice`` samples it.

The en-face view shares plane A's geometry: after :meth:`Planes.align_to_annulus` (three annulus
points: anterior, i.e. the aortic side, then the anterolateral and the posteromedial commissure)
it looks down the valve from the left atrium, anterior leaflet up (aortic valve at 12 o'clock),
anterolateral commissure on the left, as the clip map draws it (report/clipmap.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from imaging.mpr import reslice
from imaging.volume import VolumeGeometry

#: the three planes (view index = plane index) and the en-face view, which shows plane A as a slab
PLANE_NAMES = ("A", "B", "C")
EN_FACE = 3
#: largest side (pixels) of a plane image; the pixel grows beyond the finest voxel spacing to keep to it
MAX_IMAGE_PX = 320


def unit(v: Sequence[float] | np.ndarray) -> np.ndarray:
    a = np.asarray(v, float)
    n = float(np.linalg.norm(a))
    if n < 1e-12:
        raise ValueError("zero direction")
    out: np.ndarray = a / n
    return out


def rotation(axis: Sequence[float] | np.ndarray, degrees: float) -> np.ndarray:
    """Rotation matrix (Rodrigues) by ``degrees`` about the unit ``axis`` (right hand)."""
    k = unit(axis)
    a = math.radians(degrees)
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    matrix: np.ndarray = np.eye(3) + math.sin(a) * cross + (1 - math.cos(a)) * cross @ cross
    return matrix


@dataclass(frozen=True)
class PlaneImage:
    """What one view samples: pixel (0, 0) centre, unit axes, size (columns, rows) and pixel size (mm)."""

    origin: np.ndarray
    row_dir: np.ndarray
    col_dir: np.ndarray
    size: tuple[int, int]
    pixel_mm: float

    @property
    def normal(self) -> np.ndarray:
        n: np.ndarray = np.cross(self.row_dir, self.col_dir)
        return n

    def to_mm(self, x: float, y: float) -> np.ndarray:
        """The mm point at image coordinates (x, y)."""
        p: np.ndarray = self.origin + (x - 0.5) * self.pixel_mm * self.row_dir + (y - 0.5) * self.pixel_mm * self.col_dir
        return p

    def to_image(self, point: Sequence[float] | np.ndarray) -> tuple[float, float, float]:
        """Image coordinates (x, y) of a mm point projected on the plane, and its distance off the plane (mm)."""
        d = np.asarray(point, float) - self.origin
        return (float(d @ self.row_dir) / self.pixel_mm + 0.5, float(d @ self.col_dir) / self.pixel_mm + 0.5,
                float(d @ self.normal))


class Planes:
    """Crosshair centre, plane normals and the four views' display axes (see the module)."""

    def __init__(self, geometry: VolumeGeometry) -> None:
        self.geometry = geometry
        slices, rows, columns = geometry.shape
        corners = np.array([geometry.voxel_mm(s, r, c) for s in (0, slices - 1) for r in (0, rows - 1)
                            for c in (0, columns - 1)])
        self.volume_centre: np.ndarray = corners.mean(axis=0)
        extent = float(np.max(np.linalg.norm(corners - self.volume_centre, axis=1))) * 2.0
        self.pixel_mm = max(min(geometry.spacing_mm), extent / MAX_IMAGE_PX)
        self.image_px = max(16, math.ceil(extent / self.pixel_mm))
        self.reset()

    def reset(self) -> None:
        """Crosshair at the volume's centre, planes along the volume's own axes (A = one slice)."""
        g = self.geometry
        row, col, slc = (unit(v) for v in (g.row_dir, g.col_dir, g.slice_dir))
        self.centre = self.volume_centre.copy()
        self.frame = np.array([slc, col, row])
        # A: across the slices (right = row dir, down = column dir); B: right = row dir, down = slice dir;
        # C: right = column dir, down = slice dir
        axes = [(row, col), (row, slc), (col, slc)]
        self.display = [(a.copy(), b.copy()) for a, b in axes]
        self.anchors = [self.centre.copy() for _ in PLANE_NAMES]

    # --- geometry of the views -------------------------------------------------------------
    def plane(self, view: int) -> PlaneImage:
        """The image geometry of ``view`` (0-2 the planes, EN_FACE = plane A)."""
        i = 0 if view == EN_FACE else view
        row_dir, col_dir = self.display[i]
        normal = np.cross(row_dir, col_dir)
        anchor = self.anchors[i] + float((self.centre - self.anchors[i]) @ normal) * normal  # on the plane
        half = (self.image_px - 1) / 2.0 * self.pixel_mm
        return PlaneImage(anchor - half * row_dir - half * col_dir, row_dir, col_dir,
                          (self.image_px, self.image_px), self.pixel_mm)

    def centre_in(self, view: int) -> tuple[float, float]:
        x, y, _ = self.plane(view).to_image(self.centre)
        return x, y

    def line_direction(self, view: int, other: int) -> tuple[float, float]:
        """Unit direction (image x, y) of plane ``other``'s line across ``view`` (through the centre)."""
        p = self.plane(view)
        d = np.cross(p.normal, self.frame[other])
        dx, dy = float(d @ p.row_dir), float(d @ p.col_dir)
        n = math.hypot(dx, dy) or 1.0
        return dx / n, dy / n

    # --- moving and turning ------------------------------------------------------------------
    def move(self, delta_mm: Sequence[float] | np.ndarray) -> None:
        """Move the crosshair (every plane through it follows)."""
        self.centre = self.centre + np.asarray(delta_mm, float)

    def move_plane(self, plane: int, distance_mm: float) -> None:
        """Move one plane along its normal (the crosshair moves with it)."""
        self.move(distance_mm * self.frame[plane])

    def rotate(self, axis: Sequence[float] | np.ndarray, degrees: float) -> None:
        """Turn the planes about ``axis`` through the crosshair; a view whose normal is the axis keeps its picture."""
        q = rotation(axis, degrees)
        k = unit(axis)
        self.frame = self.frame @ q.T
        for i, (row_dir, col_dir) in enumerate(self.display):
            if abs(float(np.cross(row_dir, col_dir) @ k)) > 1 - 1e-9:
                continue
            self.display[i] = (q @ row_dir, q @ col_dir)
            self.anchors[i] = self.centre + q @ (self.anchors[i] - self.centre)

    def align_to_annulus(self, anterior: Sequence[float], lateral: Sequence[float], medial: Sequence[float]) -> None:
        """Plane A (and the en-face view) through three annulus points, seen from the left atrium.

        Right = from the anterolateral to the posteromedial commissure, up = towards the anterior
        (aortic) annulus, so the view's normal (into the screen) points from the atrium into the
        ventricle, as in the surgical view.
        """
        a, lat, med = (np.asarray(p, float) for p in (anterior, lateral, medial))
        right = unit(med - lat)
        up = a - (lat + med) / 2.0
        up = unit(up - (up @ right) * right)
        down = -up
        into = np.cross(right, down)
        self.centre = (a + lat + med) / 3.0
        self.frame = np.array([into, down, right])
        self.display = [(right, down), (right, into), (down, into)]
        self.anchors = [self.centre.copy() for _ in PLANE_NAMES]

    def show_plane(self, origin: Sequence[float], row_dir: Sequence[float], col_dir: Sequence[float]) -> None:
        """Put plane A (and the en-face view) on a stored plane (a 3D mark's), crosshair at its origin."""
        right = unit(row_dir)
        down = unit(np.asarray(col_dir, float) - (np.asarray(col_dir, float) @ right) * right)
        into = np.cross(right, down)
        self.centre = np.asarray(origin, float).copy()
        self.frame = np.array([into, down, right])
        self.display = [(right, down), (right, into), (down, into)]
        self.anchors = [self.centre.copy() for _ in PLANE_NAMES]


# --- rendering (numpy, through imaging.mpr.reslice) ------------------------------------------------

SLAB_MODES = ("maximum", "mean")


def render_plane(voxels: np.ndarray, geometry: VolumeGeometry, plane: PlaneImage) -> np.ndarray:
    """One MPR plane as float32 (rows, columns), trilinear, 0 outside the volume."""
    return reslice(voxels, geometry, plane.origin, plane.row_dir, plane.col_dir, plane.size, plane.pixel_mm)


def render_slab(voxels: np.ndarray, geometry: VolumeGeometry, plane: PlaneImage, thickness_mm: float,
                mode: str = "maximum") -> np.ndarray:
    """A thick slab centred on ``plane``: the maximum or mean of planes every finest-voxel step across it."""
    if mode not in SLAB_MODES:
        raise ValueError(f"slab mode {mode!r} is not one of {', '.join(SLAB_MODES)}")
    step = min(geometry.spacing_mm)
    count = max(1, round(thickness_mm / step) + 1)
    offsets = (np.arange(count) - (count - 1) / 2.0) * step
    out: np.ndarray | None = None
    for offset in offsets:
        image = reslice(voxels, geometry, plane.origin + offset * plane.normal, plane.row_dir, plane.col_dir,
                        plane.size, plane.pixel_mm)
        if out is None:
            out = image
        elif mode == "maximum":
            np.maximum(out, image, out=out)
        else:
            out += image
    assert out is not None
    if mode == "mean":
        out /= count
    return out
