"""Marks: what the user placed on a frame, in DICOM image coordinates (docs/case-file.md, Marks: DICOM image coordinates).

A mark holds only points (x = column, y = row, floats; the centre of pixel index ``(c, r)`` is
``(c + 0.5, r + 0.5)``), the image (SOP Instance UID), the 1-based frame number and the 0-based
ultrasound region it belongs to, or, on an image without one, the user calibration it is measured
through (``calibration``, ``measurements.calibration``; ``region`` is then 0 and unused). Physical
values are never stored: they are derived from points plus region every time (``measurements.compute``).

A 3D mark (placed on an MPR plane of a volume) holds ``points3d`` instead: ``[x, y, z]`` in mm of
the volume's frame of reference, with the volume's SOP Instance UID, ``frame_number`` = the time
point (1-based), no region (None; the volume's spacing is in mm) and the ``plane`` it was drawn in
(origin, row and column directions, mm) so it reopens on that plane. Its ``points`` are empty.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from imaging.errors import InputError


class MarkError(InputError):
    """A mark is malformed (wrong point count, frame number, time order...); the message names it."""


class MarkType(StrEnum):
    """The four mark kinds of the case file."""

    DISTANCE = "distance"
    AREA = "area"
    DOPPLER_TRACE = "doppler_trace"
    POINT = "point"


#: Purposes with a clinical meaning (free text is allowed; these are the ones compute acts on).
PURPOSES: dict[str, str] = {
    "mv_inflow": "CW transmitral inflow trace",
    "mr_jet": "CW mitral regurgitant jet trace",
    "lvot": "PW LVOT trace",
    "pisa_radius": "PISA radius",
    "vena_contracta": "vena contracta width",
    "lvot_diameter": "LVOT diameter",
    "annulus_diameter": "mitral annulus diameter",
    "leaflet_length": "leaflet length",
    "posterior_leaflet_length": "posterior leaflet free length",
    "orifice": "orifice planimetry",
    "vca": "3D vena contracta area",
    "rr_interval": "R-R interval",
    "peak_velocity": "peak velocity",
}

#: Keys of a mark in the case file, in the order they are written.
_KEYS = ("id", "type", "label", "sop_instance_uid", "frame_number", "region", "calibration", "purpose", "confirmed",
         "points", "points3d", "plane")

Point3 = tuple[float, float, float]


@dataclass(frozen=True)
class MarkPlane:
    """The MPR plane a 3D mark was drawn in: a point on it and its row and column unit directions (mm)."""

    origin: Point3
    row_dir: Point3
    col_dir: Point3

    def to_json(self) -> dict[str, list[float]]:
        return {"origin": list(self.origin), "row_dir": list(self.row_dir), "col_dir": list(self.col_dir)}


def _triple(name: str, what: str, raw: Any) -> Point3:
    """Three finite floats, or MarkError naming the mark and ``what``."""
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence) or len(raw) != 3:
        raise MarkError(f"{name}: {what} is not an [x, y, z] triple")
    try:
        x, y, z = (float(v) for v in raw)
    except (TypeError, ValueError):
        raise MarkError(f"{name}: {what} has a non-numeric coordinate") from None
    if not all(math.isfinite(v) for v in (x, y, z)):
        raise MarkError(f"{name}: {what} is not finite")
    return (x, y, z)


def _plane(name: str, raw: Any) -> MarkPlane:
    if isinstance(raw, MarkPlane):
        raw = raw.to_json()
    if not isinstance(raw, Mapping) or any(k not in raw for k in ("origin", "row_dir", "col_dir")):
        raise MarkError(f"{name}: 'plane' must be an object with origin, row_dir and col_dir")
    plane = MarkPlane(*(_triple(name, f"plane {k}", raw[k]) for k in ("origin", "row_dir", "col_dir")))
    if math.hypot(*plane.row_dir) < 1e-9 or math.hypot(*plane.col_dir) < 1e-9:
        raise MarkError(f"{name}: a plane direction is the zero vector")
    return plane


@dataclass(frozen=True)
class Mark:
    """One user mark. Validated on creation; ``extra`` keeps unknown case-file keys (never compared).

    ``confirmed``: the user has confirmed a value that a plausibility gate flagged
    (``measurements.plausibility``); the warning stays, the value is graded and used.
    ``points3d`` and ``plane``: a 3D mark (see the module); then ``region`` is None and ``points`` empty.
    """

    id: str
    type: MarkType
    label: str
    sop_instance_uid: str
    frame_number: int
    region: int | None
    points: tuple[tuple[float, float], ...]
    purpose: str | None = None
    confirmed: bool = False
    calibration: str | None = None  # id of the user calibration it is measured through, in place of region
    points3d: tuple[Point3, ...] | None = None
    plane: MarkPlane | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        name = f"mark {self.id!r}" if self.id else "mark without id"
        if not isinstance(self.id, str) or not self.id:
            raise MarkError(f"{name}: 'id' must be a non-empty string")
        try:
            kind = MarkType(self.type)
        except ValueError:
            raise MarkError(f"{name}: unknown type {self.type!r} (expected one of "
                            f"{', '.join(t.value for t in MarkType)})") from None
        object.__setattr__(self, "type", kind)
        if isinstance(self.frame_number, bool) or not isinstance(self.frame_number, int) or self.frame_number < 1:
            raise MarkError(f"{name}: frame_number is 1-based (got {self.frame_number!r})")
        if self.points3d is not None:
            self._check_3d(name, kind)
        elif isinstance(self.region, bool) or not isinstance(self.region, int) or self.region < 0:
            raise MarkError(f"{name}: region is a 0-based index (got {self.region!r})")
        elif self.plane is not None:
            raise MarkError(f"{name}: 'plane' belongs to a 3D mark (one with points3d)")
        if not isinstance(self.sop_instance_uid, str) or not self.sop_instance_uid:
            raise MarkError(f"{name}: 'sop_instance_uid' must be a non-empty string")
        if not isinstance(self.confirmed, bool):
            raise MarkError(f"{name}: 'confirmed' must be true or false (got {self.confirmed!r})")
        if self.calibration is not None and (not isinstance(self.calibration, str) or not self.calibration):
            raise MarkError(f"{name}: 'calibration' must be the id of a calibration (got {self.calibration!r})")
        if self.points3d is None:
            object.__setattr__(self, "points", _points(name, self.points))
            _check_count(name, kind, self.points)

    @property
    def is_3d(self) -> bool:
        """Placed on an MPR plane of a volume (``points3d`` in mm), not on a 2D frame."""
        return self.points3d is not None

    def _check_3d(self, name: str, kind: MarkType) -> None:
        if self.region is not None or self.calibration is not None:
            raise MarkError(f"{name}: a 3D mark (points3d) has no region and no calibration")
        if self.points:
            raise MarkError(f"{name}: a 3D mark has points3d, not 2D points")
        if kind is MarkType.DOPPLER_TRACE:
            raise MarkError(f"{name}: a Doppler trace cannot be a 3D mark")
        raw = self.points3d
        if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
            raise MarkError(f"{name}: 'points3d' must be a list of [x, y, z] triples")
        points = tuple(_triple(name, f"point {i + 1}", p) for i, p in enumerate(raw))
        object.__setattr__(self, "points3d", points)
        object.__setattr__(self, "points", ())
        _check_count(name, kind, tuple((p[0], p[1]) for p in points))
        if self.plane is not None:
            object.__setattr__(self, "plane", _plane(name, self.plane))


def _points(name: str, raw: Any) -> tuple[tuple[float, float], ...]:
    """Points as a tuple of finite float pairs."""
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
        raise MarkError(f"{name}: 'points' must be a list of [x, y] pairs")
    out = []
    for i, p in enumerate(raw):
        if isinstance(p, (str, bytes)) or not isinstance(p, Sequence) or len(p) != 2:
            raise MarkError(f"{name}: point {i + 1} is not an [x, y] pair")
        try:
            x, y = float(p[0]), float(p[1])
        except (TypeError, ValueError):
            raise MarkError(f"{name}: point {i + 1} has a non-numeric coordinate") from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise MarkError(f"{name}: point {i + 1} is not finite")
        out.append((x, y))
    return tuple(out)


def _check_count(name: str, kind: MarkType, points: tuple[tuple[float, float], ...]) -> None:
    n = len(points)
    if kind is MarkType.DISTANCE and n != 2:
        raise MarkError(f"{name}: a distance needs exactly 2 points (got {n})")
    if kind is MarkType.AREA and n < 3:
        raise MarkError(f"{name}: an area needs at least 3 points (got {n})")
    if kind is MarkType.POINT and n != 1:
        raise MarkError(f"{name}: a point mark needs exactly 1 point (got {n})")
    if kind is MarkType.DOPPLER_TRACE:
        if n < 2:
            raise MarkError(f"{name}: a Doppler trace needs at least 2 points (got {n})")
        if any(b[0] <= a[0] for a, b in itertools.pairwise(points)):
            raise MarkError(f"{name}: a Doppler trace must run left to right (x strictly increasing)")


def mark_from_json(d: Mapping[str, Any]) -> Mark:
    """A mark from its case-file object; unknown keys go to ``extra``. Raises MarkError naming the mark."""
    if not isinstance(d, Mapping):
        raise MarkError(f"a mark must be a JSON object (got {type(d).__name__})")
    mark_id = d.get("id")
    name = f"mark {mark_id!r}"
    calibration = d.get("calibration")
    is_3d = "points3d" in d
    placed = ("points3d",) if is_3d else (("calibration",) if calibration is not None else ("region",)) + ("points",)
    missing = [k for k in ("id", "type", "sop_instance_uid", "frame_number", *placed) if k not in d]
    if missing:
        raise MarkError(f"{name}: missing {', '.join(missing)}")
    if is_3d and any(k in d for k in ("region", "points", "calibration")):
        raise MarkError(f"{name}: a 3D mark (points3d) has no region, calibration or 2D points")
    if calibration is not None and "region" in d:
        raise MarkError(f"{name}: names both a region and a calibration; a mark is measured through one")
    purpose = d.get("purpose")
    if purpose is not None and not isinstance(purpose, str):
        raise MarkError(f"{name}: 'purpose' must be a string")
    return Mark(
        id=d["id"], type=d["type"], label=str(d.get("label", "")), sop_instance_uid=d["sop_instance_uid"],
        frame_number=d["frame_number"], region=None if is_3d else d.get("region", 0), points=d.get("points", ()),
        purpose=purpose, confirmed=d.get("confirmed", False), calibration=calibration, points3d=d.get("points3d"),
        plane=_plane(name, d["plane"]) if d.get("plane") is not None else None,
        extra={k: v for k, v in d.items() if k not in _KEYS},
    )


def mark_to_json(m: Mark) -> dict[str, Any]:
    """The case-file object of a mark (keys as in docs/case-file.md; ``purpose`` only when set, ``confirmed``
    only when true, so an unconfirmed mark is written as before; a 3D mark with ``points3d`` and
    ``plane`` in place of ``region`` and ``points``; extras kept)."""
    d: dict[str, Any] = {
        "id": m.id, "type": m.type.value, "label": m.label, "sop_instance_uid": m.sop_instance_uid,
        "frame_number": m.frame_number,
    }
    if m.calibration is not None:
        d["calibration"] = m.calibration
    elif m.points3d is None:
        d["region"] = m.region
    if m.purpose is not None:
        d["purpose"] = m.purpose
    if m.confirmed:
        d["confirmed"] = True
    if m.points3d is None:
        d["points"] = [[x, y] for x, y in m.points]
    else:
        d["points3d"] = [list(p) for p in m.points3d]
        if m.plane is not None:
            d["plane"] = m.plane.to_json()
    d.update({k: v for k, v in m.extra.items() if k not in d})
    return d
