"""An MPR plane in the words a clinician reads, from its geometry relative to the aligned annulus.

The valve frame is what the volume viewer's Align to valve sets from three annulus points (the
anterior, i.e. aortic, annulus, then the anterolateral and the posteromedial commissure; the same
convention as ``gui.volume.planes.Planes.align_to_annulus``): the annulus plane, its normal from
the left atrium into the left ventricle, the anterior direction and the commissural axis. Against
it a plane is

* **en face** when its normal is within ``EN_FACE_DEG`` of the valve's: seen from the left atrium
  when the view looks along the atrium → ventricle normal (the surgical view), else from the
  ventricle; its level is said when it lies ``LEVEL_MM`` or more off the annulus;
* **long axis** when it contains the valve's normal within ``LONG_AXIS_DEG``: commissural
  (commissure to commissure) when it cuts the annulus within ``AXIS_DEG`` of the commissural
  axis; anteroposterior when within ``AXIS_DEG`` of perpendicular to it, through A1–P1, A2–P2 or
  A3–P3 by which third of the commissure-to-commissure span it crosses (Carpentier: 1 is
  anterolateral, 3 posteromedial);
* **oblique** otherwise, with its angle from en face.

Without a valve frame nothing anatomical is claimed: "oblique MPR plane (no annulus alignment)".
The numbers behind the words (the view's normal, the angle, the offset) stay in ``detail``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from measurements.concepts import round_half_up

#: a plane this close (degrees) to the annulus plane is en face; one this close to containing its normal is long-axis
EN_FACE_DEG = 5.0
LONG_AXIS_DEG = 10.0
#: a long-axis plane this close (degrees) to the commissural axis, or to perpendicular to it, is named as such
AXIS_DEG = 20.0
#: an en-face plane at least this far (mm) from the annulus centre says its level
LEVEL_MM = 1.0
#: the unaligned wording
UNALIGNED = "oblique MPR plane (no annulus alignment)"

#: a point or direction in mm of a volume's frame of reference
Vector = Sequence[float] | np.ndarray


def _unit(v: Vector, what: str) -> np.ndarray:
    a = np.asarray(v, float)
    n = float(np.linalg.norm(a))
    if not math.isfinite(n) or n < 1e-9:
        raise ValueError(f"{what} is a zero or non-finite vector")
    out: np.ndarray = a / n
    return out


@dataclass(frozen=True)
class ValveFrame:
    """The aligned annulus in mm of a volume's frame of reference: commissure midpoint ``centre``, unit
    ``into_lv`` (left atrium → left ventricle), ``anterior`` and ``lateral_to_medial`` (anterolateral →
    posteromedial commissure) in the annulus plane, and half the commissure-to-commissure distance."""

    centre: np.ndarray
    into_lv: np.ndarray
    anterior: np.ndarray
    lateral_to_medial: np.ndarray
    half_width_mm: float

    @classmethod
    def from_annulus(cls, anterior: Vector, anterolateral: Vector, posteromedial: Vector) -> ValveFrame:
        """From the three Align to valve points (the viewer's convention: right = anterolateral →
        posteromedial, up = anterior, view direction = right × down, i.e. into the ventricle)."""
        a, lat, med = (np.asarray(p, float) for p in (anterior, anterolateral, posteromedial))
        right = _unit(med - lat, "the commissure-to-commissure line")
        up = a - (lat + med) / 2.0
        up = _unit(up - (up @ right) * right, "the anterior annulus direction")
        return cls((lat + med) / 2.0, np.cross(right, -up), up, right, float(np.linalg.norm(med - lat)) / 2.0)


@dataclass(frozen=True)
class PlaneDescription:
    """A plane in words and the numbers behind them (the view's unit normal, row × column, in the
    volume's frame; angle from en face and offset from the annulus centre when aligned)."""

    words: str
    normal: tuple[float, float, float]
    angle_from_en_face_deg: float | None = None
    offset_mm: float | None = None

    @property
    def detail(self) -> str:
        """The numbers: "view normal (0.60, -0.02, 0.80) in the volume's frame of reference; 0° from en face"."""
        n = self.normal
        text = f"view normal ({n[0]:.2f}, {n[1]:.2f}, {n[2]:.2f}) in the volume's frame of reference"
        if self.angle_from_en_face_deg is not None:
            text += f"; {self.angle_from_en_face_deg:.0f}° from en-face"
        if self.offset_mm is not None:
            text += f", {self.offset_mm:+.1f} mm from the annulus centre"
        return text

    def to_json(self) -> dict[str, Any]:
        return {"words": self.words, "normal": list(self.normal), "angle_from_en_face_deg": self.angle_from_en_face_deg,
                "offset_mm": self.offset_mm, "aligned": self.angle_from_en_face_deg is not None}


def describe_plane(origin: Vector, row_dir: Vector, col_dir: Vector, valve: ValveFrame | None = None
                   ) -> PlaneDescription:
    """The plane through ``origin`` spanned by ``row_dir`` (screen right) and ``col_dir`` (screen down), in
    words relative to ``valve`` (module docstring); without it, ``UNALIGNED``."""
    row = _unit(row_dir, "the plane's row direction")
    col = _unit(col_dir, "the plane's column direction")
    normal = _unit(np.cross(row, col), "the plane's normal (row and column directions are parallel)")
    as_tuple = (float(normal[0]), float(normal[1]), float(normal[2]))
    if valve is None:
        return PlaneDescription(UNALIGNED, as_tuple)
    cosine = float(normal @ valve.into_lv)
    tilt = math.degrees(math.acos(min(1.0, abs(cosine))))
    point = np.asarray(origin, float)
    if tilt <= EN_FACE_DEG:
        level = float((point - valve.centre) @ valve.into_lv)
        return PlaneDescription(_en_face_words(cosine > 0, tilt, level), as_tuple, tilt, level)
    if tilt >= 90.0 - LONG_AXIS_DEG:
        return PlaneDescription(_long_axis_words(point, normal, valve), as_tuple, tilt)
    return PlaneDescription(f"oblique MPR, {_whole(tilt)}° from en-face", as_tuple, tilt)


def _whole(value: float) -> str:
    """``value`` to the nearest whole number, halves up (2.5 mm → "3"), as the report rounds."""
    return str(round_half_up(value, "1"))


def _en_face_words(from_atrium: bool, tilt: float, level: float) -> str:
    side = "from the left atrium" if from_atrium else "from the left ventricle"
    words = f"en-face {side} (aligned to annulus)"
    if abs(level) >= LEVEL_MM:
        words += f", {_whole(abs(level))} mm {'ventricular' if level > 0 else 'atrial'} of the annulus"
    if tilt >= 1.0:
        words += f", tilted {_whole(tilt)}°"
    return words


def _long_axis_words(point: np.ndarray, normal: np.ndarray, valve: ValveFrame) -> str:
    """Commissural, anteroposterior through a scallop pair, or the angle from the commissural plane."""
    cut = np.cross(normal, valve.into_lv)  # the plane's line in the annulus plane
    cut = cut - (cut @ valve.into_lv) * valve.into_lv
    cut = _unit(cut, "the plane's line across the annulus")
    from_commissural = math.degrees(math.acos(min(1.0, abs(float(cut @ valve.lateral_to_medial)))))
    if from_commissural <= AXIS_DEG:
        return "long axis, commissural (commissure to commissure)"
    if from_commissural < 90.0 - AXIS_DEG:
        return f"long axis, {_whole(from_commissural)}° from the commissural plane"
    # where the plane crosses the commissural axis, as a fraction of the half-width from the midpoint
    across = float(normal @ valve.lateral_to_medial)
    s = float((point - valve.centre) @ normal) / across / valve.half_width_mm
    if abs(s) > 1.0:
        return "long axis, anteroposterior, beside the annulus (outside the commissures)"
    pair = "A2–P2" if abs(s) <= 1.0 / 3.0 else ("A1–P1" if s < 0 else "A3–P3")
    return f"long axis through {pair} (anteroposterior)"
