"""Marks: what the user placed on a frame, in DICOM image coordinates (docs/case-file.md, Marks: DICOM image coordinates).

A mark holds only points (x = column, y = row, floats; the centre of pixel index ``(c, r)`` is
``(c + 0.5, r + 0.5)``), the image (SOP Instance UID), the 1-based frame number and the 0-based
ultrasound region it belongs to, or, on an image without one, the user calibration it is measured
through (``calibration``, ``measurements.calibration``; ``region`` is then 0 and unused). Physical
values are never stored: they are derived from points plus region every time (``measurements.compute``).
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
    "leaflet_length": "leaflet length",
    "posterior_leaflet_length": "posterior leaflet free length",
    "orifice": "orifice planimetry",
    "vca": "3D vena contracta area",
    "rr_interval": "R-R interval",
    "peak_velocity": "peak velocity",
}

#: Keys of a mark in the case file, in the order they are written.
_KEYS = ("id", "type", "label", "sop_instance_uid", "frame_number", "region", "calibration", "purpose", "confirmed",
         "points")


@dataclass(frozen=True)
class Mark:
    """One user mark. Validated on creation; ``extra`` keeps unknown case-file keys (never compared).

    ``confirmed``: the user has confirmed a value that a plausibility gate flagged
    (``measurements.plausibility``); the warning stays, the value is graded and used.
    """

    id: str
    type: MarkType
    label: str
    sop_instance_uid: str
    frame_number: int
    region: int
    points: tuple[tuple[float, float], ...]
    purpose: str | None = None
    confirmed: bool = False
    calibration: str | None = None  # id of the user calibration it is measured through, in place of region
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
        if isinstance(self.region, bool) or not isinstance(self.region, int) or self.region < 0:
            raise MarkError(f"{name}: region is a 0-based index (got {self.region!r})")
        if not isinstance(self.sop_instance_uid, str) or not self.sop_instance_uid:
            raise MarkError(f"{name}: 'sop_instance_uid' must be a non-empty string")
        if not isinstance(self.confirmed, bool):
            raise MarkError(f"{name}: 'confirmed' must be true or false (got {self.confirmed!r})")
        if self.calibration is not None and (not isinstance(self.calibration, str) or not self.calibration):
            raise MarkError(f"{name}: 'calibration' must be the id of a calibration (got {self.calibration!r})")
        object.__setattr__(self, "points", _points(name, self.points))
        _check_count(name, kind, self.points)


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
    placed = ("calibration",) if calibration is not None else ("region",)
    missing = [k for k in ("id", "type", "sop_instance_uid", "frame_number", *placed, "points") if k not in d]
    if missing:
        raise MarkError(f"{name}: missing {', '.join(missing)}")
    if calibration is not None and "region" in d:
        raise MarkError(f"{name}: names both a region and a calibration; a mark is measured through one")
    purpose = d.get("purpose")
    if purpose is not None and not isinstance(purpose, str):
        raise MarkError(f"{name}: 'purpose' must be a string")
    return Mark(
        id=d["id"], type=d["type"], label=str(d.get("label", "")), sop_instance_uid=d["sop_instance_uid"],
        frame_number=d["frame_number"], region=d.get("region", 0), points=d["points"], purpose=purpose,
        confirmed=d.get("confirmed", False), calibration=calibration, extra={k: v for k, v in d.items() if k not in _KEYS},
    )


def mark_to_json(m: Mark) -> dict[str, Any]:
    """The case-file object of a mark (keys as in docs/case-file.md; ``purpose`` only when set, ``confirmed``
    only when true, so an unconfirmed mark is written as before; extras kept)."""
    d: dict[str, Any] = {
        "id": m.id, "type": m.type.value, "label": m.label, "sop_instance_uid": m.sop_instance_uid,
        "frame_number": m.frame_number,
    }
    if m.calibration is not None:
        d["calibration"] = m.calibration
    else:
        d["region"] = m.region
    if m.purpose is not None:
        d["purpose"] = m.purpose
    if m.confirmed:
        d["confirmed"] = True
    d["points"] = [[x, y] for x, y in m.points]
    d.update({k: v for k, v in m.extra.items() if k not in d})
    return d
