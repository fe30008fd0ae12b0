"""The en-face frame of a 3D volume: its aligned annulus, and 3D points projected on the clip map.

The volume viewer's "Align to valve" takes three annulus points (the anterior, i.e. aortic,
annulus, then the anterolateral and the posteromedial commissure); the case keeps them per volume
(``volumes[].annulus``, docs/case-file.md). They define the clip map's frame (report/clipmap.py,
the surgical view from the left atrium): ``t`` runs along the commissural line, 0 at the
anterolateral and 1 at the posteromedial commissure; ``s`` runs towards the anterior annulus, 1
there and 0 on the commissural line (negative: posterior). The three landmarks thus land exactly
where the schematic map draws them; between them the map is affine (not to scale across).
A point off the annulus plane is projected along the plane's normal; its height is kept.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from planning.model import Device, Findings, Jet, MapPoint, point_mm

T = TypeVar("T", Device, Jet)

Vec = tuple[float, float, float]


def _sub(a: Vec, b: Vec) -> Vec:
    return a[0] - b[0], a[1] - b[1], a[2] - b[2]


def _dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _scale(a: Vec, k: float) -> Vec:
    return a[0] * k, a[1] * k, a[2] * k


def _cross(a: Vec, b: Vec) -> Vec:
    return a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]


def _unit(a: Vec, what: str) -> Vec:
    n = math.sqrt(_dot(a, a))
    if n < 1e-6:
        raise ValueError(what)
    return _scale(a, 1.0 / n)


@dataclass(frozen=True, slots=True)
class Annulus:
    """Three annulus points of one volume (mm of its frame of reference) and the time point they were
    clicked on (1-based)."""

    anterior: Vec
    anterolateral: Vec
    posteromedial: Vec
    frame_number: int = 1

    @classmethod
    def from_json(cls, raw: object, where: str) -> Annulus:
        if not isinstance(raw, dict):
            raise ValueError(f"{where} must be a JSON object (got {type(raw).__name__})")
        frame = raw.get("frame_number", 1)
        if isinstance(frame, bool) or not isinstance(frame, int) or frame < 1:
            raise ValueError(f"{where}.frame_number must be a time point, 1 or more (got {frame!r})")
        anterior, lateral, medial = (point_mm(raw.get(k), f"{where}.{k}")
                                     for k in ("anterior", "anterolateral", "posteromedial"))
        annulus = cls(anterior, lateral, medial, frame)
        try:
            annulus.frame()
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        return annulus

    def to_json(self) -> dict[str, Any]:
        return {"anterior": list(self.anterior), "anterolateral": list(self.anterolateral),
                "posteromedial": list(self.posteromedial), "frame_number": self.frame_number}

    def frame(self) -> MapFrame:
        """The clip map's frame on this annulus (ValueError when the points do not span a plane)."""
        lat, med = self.anterolateral, self.posteromedial
        middle = ((lat[0] + med[0]) / 2, (lat[1] + med[1]) / 2, (lat[2] + med[2]) / 2)
        across = _sub(self.posteromedial, self.anterolateral)
        width = math.sqrt(_dot(across, across))
        right = _unit(across, "the two commissures are the same point")
        forward = _sub(self.anterior, middle)
        up_raw = _sub(forward, _scale(right, _dot(forward, right)))
        depth = math.sqrt(_dot(up_raw, up_raw))
        if depth < 1e-3 * max(width, 1.0):
            raise ValueError("the three annulus points lie on one line")
        up = _scale(up_raw, 1.0 / depth)
        return MapFrame(middle, right, up, _cross(right, up), width, depth)


@dataclass(frozen=True, slots=True)
class MapFrame:
    """The annulus frame: the commissures' midpoint, unit axes (``right`` anterolateral → posteromedial,
    ``up`` towards the anterior annulus in the plane, ``atrial`` = right × up, which points to the left
    atrium when the map is seen from there), the commissural distance and the anterior depth (mm)."""

    middle: Vec
    right: Vec
    up: Vec
    atrial: Vec
    width_mm: float
    depth_mm: float

    def project(self, point: Vec) -> MapPoint:
        """``point`` (mm) on the clip map: (t, s) and its height above the annulus plane."""
        d = _sub(point, self.middle)
        return MapPoint(0.5 + _dot(d, self.right) / self.width_mm, _dot(d, self.up) / self.depth_mm,
                        _dot(d, self.atrial))

    def point(self, t: float, s: float, height_mm: float = 0.0) -> Vec:
        """The mm point at map position (t, s) and ``height_mm`` above the plane: the inverse of ``project``."""
        a, b, h = (t - 0.5) * self.width_mm, s * self.depth_mm, height_mm
        m, r, u, n = self.middle, self.right, self.up, self.atrial
        return (m[0] + a * r[0] + b * u[0] + h * n[0], m[1] + a * r[1] + b * u[1] + h * n[1],
                m[2] + a * r[2] + b * u[2] + h * n[2])


def annuli(raw: object, where: str = "volumes") -> dict[str, Annulus]:
    """SOP Instance UID → aligned annulus, from the case's ``volumes`` list (absent: none); ValueError
    naming the field of a malformed entry or a volume listed twice."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise ValueError(f"{where} must be a list (got {type(raw).__name__})")
    out: dict[str, Annulus] = {}
    for i, entry in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{at} must be a JSON object (got {type(entry).__name__})")
        uid = entry.get("sop_instance_uid")
        if not isinstance(uid, str) or not uid.strip():
            raise ValueError(f"{at}.sop_instance_uid must be the volume's SOP Instance UID, a string (got {uid!r})")
        if uid in out:
            raise ValueError(f"{at}: volume {uid} is listed twice")
        if entry.get("annulus") is not None:
            out[uid] = Annulus.from_json(entry["annulus"], f"{at}.annulus")
    return out


def with_annulus(raw: object, uid: str, annulus: Annulus | None) -> list[Any]:
    """The ``volumes`` list with ``uid``'s annulus set (None: removed), every other entry and key kept."""
    entries = [dict(e) if isinstance(e, dict) else e for e in raw] if isinstance(raw, list) else []
    entry = next((e for e in entries if isinstance(e, dict) and e.get("sop_instance_uid") == uid), None)
    if entry is None:
        if annulus is None:
            return entries
        entry = {"sop_instance_uid": uid}
        entries.append(entry)
    if annulus is None:
        entry.pop("annulus", None)
    else:
        entry["annulus"] = annulus.to_json()
    return [e for e in entries if not (isinstance(e, dict) and set(e) == {"sop_instance_uid"})]


def ties_off_images(findings: Findings, images: Collection[str]) -> list[tuple[str, str]]:
    """(item, message) for each device or jet tied to a volume that is not among the case's ``images``
    (SOP Instance UIDs): the clip map cannot place it from 3D and draws it at its schematic spot, so the
    load says so instead of drawing it there silently."""
    named: list[tuple[str, Device | Jet]] = [
        *((f"devices[{i}] (device {d.id!r})", d) for i, d in enumerate(findings.devices)),
        *((f"jets[{i}] (jet {j.id!r})", j) for i, j in enumerate(findings.jets))]
    out = []
    for name, item in named:
        if item.tie is not None and item.tie.sop_instance_uid not in images:
            where = f"{name}.sop_instance_uid"
            out.append((where, f"{where}: tied to volume {item.tie.sop_instance_uid}, which is not among the"
                               " case's images: drawn at its schematic place on the clip map, not from 3D"))
    return out


def place_ties(findings: Findings, known: Mapping[str, Annulus]) -> Findings:
    """The findings with every tied device and jet placed on the clip map through its volume's annulus
    (``Tie3D.placed``; None when that volume has no aligned annulus)."""
    frames = {uid: a.frame() for uid, a in known.items()}

    def placed(item: T) -> T:
        tie = item.tie
        if tie is None:
            return item
        frame = frames.get(tie.sop_instance_uid)
        spot = None if frame is None else frame.project(tie.position_mm)
        return dataclasses.replace(item, tie=dataclasses.replace(tie, placed=spot))

    if all(i.tie is None for i in findings.devices) and all(i.tie is None for i in findings.jets):
        return findings
    return dataclasses.replace(findings, devices=tuple(placed(d) for d in findings.devices),
                               jets=tuple(placed(j) for j in findings.jets))
