"""User calibration of an image that carries no calibrated region (docs/case-file.md, Calibrations).

Exports through some PACS and older carts drop the Sequence of Ultrasound Regions; JPEG-LS stills
never had one. The user then draws a line of known length (a span of the depth scale, a known
distance) and types the length: ``UserCalibration`` turns it into an isotropic cm-per-pixel scale
for that image, or, with a second line of another direction, separate x and y scales. It is never
allowed where the scanner calibrated the image (a calibrated 2D region there) nor on a Doppler
spectrum, whose time and velocity scales only the scanner knows. Every result measured through a
user calibration carries ``USER_CALIBRATION_WARNING``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from imaging.errors import CalibrationError, InputError
from imaging.regions import UNIT_CM, SpatialFormat, UltrasoundRegion

Point = tuple[float, float]

#: Carried by every result measured through a user calibration, in every output.
USER_CALIBRATION_WARNING = ("measured through a user calibration (a line of known length drawn by the user),"
                            " not the scanner's calibration: check the calibration line")
#: A calibration line shorter than this (pixels) cannot give a trustworthy scale.
MIN_LINE_PX = 10.0
#: The largest image a DICOM header can describe (Rows, Columns are 16-bit): the user region's extent.
_MAX_PIXELS = 65535

_KEYS = ("id", "sop_instance_uid", "frame_number", "points", "distance_cm", "points_2", "distance_2_cm")


class CalibrationEntryError(InputError):
    """A ``calibrations[]`` entry of the case file is malformed; the message names the entry and field."""


@dataclass(frozen=True, slots=True)
class UserCalibration:
    """A line of known length on one image (``calibrations[]``); optionally a second line of another
    direction (``points_2``, ``distance_2_cm``) for separate x and y scales."""

    id: str
    sop_instance_uid: str
    frame_number: int
    points: tuple[Point, Point]
    distance_cm: float
    points_2: tuple[Point, Point] | None = None
    distance_2_cm: float | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), compare=False)

    @classmethod
    def from_json(cls, raw: object, where: str) -> UserCalibration:
        """Read one entry; ``CalibrationEntryError`` naming ``where`` and the field when it is malformed."""
        if not isinstance(raw, Mapping):
            raise CalibrationEntryError(f"{where} must be a JSON object (got {type(raw).__name__})")
        cid = raw.get("id")
        where = f"{where} (calibration {cid!r})" if isinstance(cid, str) and cid else where
        for key in ("id", "sop_instance_uid"):
            if not isinstance(raw.get(key), str) or not raw[key]:
                raise CalibrationEntryError(f"{where}.{key} must be a non-empty string (got {raw.get(key)!r})")
        frame = raw.get("frame_number")
        if isinstance(frame, bool) or not isinstance(frame, int) or frame < 1:
            raise CalibrationEntryError(f"{where}.frame_number is 1-based (got {frame!r})")
        has_second = "points_2" in raw or "distance_2_cm" in raw
        cal = cls(raw["id"], raw["sop_instance_uid"], frame, _line(raw.get("points"), f"{where}.points"),
                  _length(raw.get("distance_cm"), f"{where}.distance_cm"),
                  _line(raw.get("points_2"), f"{where}.points_2") if has_second else None,
                  _length(raw.get("distance_2_cm"), f"{where}.distance_2_cm") if has_second else None,
                  MappingProxyType({k: v for k, v in raw.items() if k not in _KEYS}))
        try:
            cal.scale_cm_per_px()
        except CalibrationError as exc:
            raise CalibrationEntryError(f"{where}: {exc}") from None
        return cal

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"id": self.id, "sop_instance_uid": self.sop_instance_uid,
                               "frame_number": self.frame_number, "points": [list(p) for p in self.points],
                               "distance_cm": self.distance_cm}
        if self.points_2 is not None:
            doc["points_2"] = [list(p) for p in self.points_2]
            doc["distance_2_cm"] = self.distance_2_cm
        doc.update({k: v for k, v in self.extra.items() if k not in doc})
        return doc

    @property
    def drawn_points(self) -> tuple[Point, ...]:
        """Every point of the calibration line(s)."""
        return self.points + (self.points_2 or ())

    def scale_cm_per_px(self) -> tuple[float, float]:
        """(cm per pixel across, cm per pixel down); CalibrationError when the lines cannot give one."""
        return scale_from_lines(self.points, self.distance_cm, self.points_2, self.distance_2_cm)

    def as_region(self) -> UserRegion:
        """The calibration as a 2D region in cm over the whole image (the one type ``measure_mark`` takes)."""
        sx, sy = self.scale_cm_per_px()
        return UserRegion(index=0, spatial_format=SpatialFormat.TWO_D, data_type=1, flags=0,
                          location=(0, 0, _MAX_PIXELS, _MAX_PIXELS), bounds=(0, 0, _MAX_PIXELS, _MAX_PIXELS),
                          units_x=UNIT_CM, units_y=UNIT_CM, delta_x=sx, delta_y=sy,
                          warnings=(f"user calibration {self.id}",))


class UserRegion(UltrasoundRegion):
    """A user calibration dressed as an ultrasound region; says so in every message."""

    __slots__ = ()

    @property
    def description(self) -> str:
        return "the user calibration"


def _line(raw: Any, where: str) -> tuple[Point, Point]:
    if not isinstance(raw, Sequence) or isinstance(raw, str) or len(raw) != 2:
        raise CalibrationEntryError(f"{where} must be two [x, y] points (got {raw!r})")
    out = []
    for p in raw:
        if not isinstance(p, Sequence) or isinstance(p, str) or len(p) != 2 or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in p):
            raise CalibrationEntryError(f"{where} must be two [x, y] points of finite numbers (got {raw!r})")
        out.append((float(p[0]), float(p[1])))
    return out[0], out[1]


def _length(raw: Any, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw) or raw <= 0:
        raise CalibrationEntryError(f"{where} must be a length in cm greater than 0 (got {raw!r})")
    return float(raw)


def line_length_px(points: Sequence[Point]) -> float:
    (x0, y0), (x1, y1) = points
    return math.hypot(x1 - x0, y1 - y0)


def scale_from_lines(points: Sequence[Point], distance_cm: float, points_2: Sequence[Point] | None = None,
                     distance_2_cm: float | None = None) -> tuple[float, float]:
    """cm per pixel (x, y) from one line (isotropic: distance / length) or two lines of different
    directions: each gives ``dx² sx² + dy² sy² = d²``, two linear equations in ``sx²``, ``sy²``."""
    for line in (points, points_2):
        if line is not None and line_length_px(line) < MIN_LINE_PX:
            raise CalibrationError(f"the calibration line is {line_length_px(line):.1f} pixels long;"
                                   f" draw one of at least {MIN_LINE_PX:g} pixels")
    if points_2 is None or distance_2_cm is None:
        s = distance_cm / line_length_px(points)
        return s, s
    (a0, a1), (b0, b1) = points, points_2
    ax2, ay2 = (a1[0] - a0[0]) ** 2, (a1[1] - a0[1]) ** 2
    bx2, by2 = (b1[0] - b0[0]) ** 2, (b1[1] - b0[1]) ** 2
    det = ax2 * by2 - bx2 * ay2
    if abs(det) < 0.25 * (ax2 + ay2) * (bx2 + by2):  # the two lines run (almost) the same way
        raise CalibrationError("the two calibration lines do not separate x from y; for separate x and y"
                               " scales draw one line across and one down")
    sx2 = (distance_cm ** 2 * by2 - distance_2_cm ** 2 * ay2) / det
    sy2 = (ax2 * distance_2_cm ** 2 - bx2 * distance_cm ** 2) / det
    if sx2 <= 0 or sy2 <= 0:
        raise CalibrationError("the two calibration lengths contradict each other (no positive x and y scale)")
    return math.sqrt(sx2), math.sqrt(sy2)


def parse_calibrations(raw: object, where: str = "calibrations") -> tuple[UserCalibration, ...]:
    """The case file's ``calibrations`` list, typed; ids must be unique."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise CalibrationEntryError(f"{where} must be a list (got {type(raw).__name__})")
    out = tuple(UserCalibration.from_json(c, f"{where}[{i}]") for i, c in enumerate(raw))
    ids = [c.id for c in out]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise CalibrationEntryError(f"{where}: calibration id {dup!r} is used twice")
    return out


def check_may_calibrate(regions: Sequence[UltrasoundRegion], points: Sequence[Point], what: str) -> None:
    """Refuse a user calibration (or a mark through one) where the scanner calibrated the image: a
    calibrated 2D region holds a point, or a Doppler spectrum does (its scales come from the scanner)."""
    for region in regions:
        if not any(region.contains(x, y) for x, y in points):
            continue
        if region.spatial_format == SpatialFormat.SPECTRAL:
            raise CalibrationError(f"{what}: this is a Doppler spectrum; its time and velocity scales come only"
                                   " from the scanner and cannot be calibrated by hand")
        if region.is_spatial:
            raise CalibrationError(f"{what}: the scanner has calibrated this part of the image; measure it"
                                   " directly (a user calibration never overrides the scanner's)")


def calibration_for(calibrations: Sequence[UserCalibration], sop_instance_uid: str) -> UserCalibration | None:
    """The calibration new marks on this image use: its latest."""
    return next((c for c in reversed(calibrations) if c.sop_instance_uid == sop_instance_uid), None)


def resolve_user_region(calibration_id: str, sop_instance_uid: str, points: Sequence[Point],
                        calibrations: Sequence[UserCalibration], regions: Sequence[UltrasoundRegion],
                        what: str) -> UserRegion:
    """The region of a mark measured through user calibration ``calibration_id``, checked."""
    cal = next((c for c in calibrations if c.id == calibration_id), None)
    if cal is None:
        raise CalibrationError(f"{what}: calibration {calibration_id!r} is not in the case")
    if cal.sop_instance_uid != sop_instance_uid:
        raise CalibrationError(f"{what}: calibration {calibration_id!r} belongs to another image")
    check_may_calibrate(regions, cal.drawn_points, f"{what}: its calibration {calibration_id!r}")
    check_may_calibrate(regions, points, what)
    return cal.as_region()
