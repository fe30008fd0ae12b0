"""Where devices and jets sit on the line of coaptation (surgical view), and what a click there means.

Position ``t`` runs 0..1 from the anterolateral commissure (A1/P1) to the posteromedial one (A3/P3).
Positions are derived from the findings (segment pair, position, jet location, the devices a jet
names), never stored: the clip map is a view of the case. The same functions place a new item
where the user clicks (``device_placement``, ``jet_placement``), so drawing and placing agree.
Values are read as ``planning.vocab`` members; anything else counts as "not recorded".
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol, TypeVar

from planning.vocab import DevicePosition, JetClass, JetLocation, SegmentPair

E = TypeVar("E", bound=StrEnum)

_SCALLOP_X = {1: 1 / 6, 2: 3 / 6, 3: 5 / 6}
DEVICE_GAP = 0.14  # along the coaptation line, between devices side by side
JET_OFFSET = 0.095  # a para-device jet sits this far beside its device
POSITION_SHIFT = 1 / 15  # a lateral/medial device sits this far from its scallop's centre
_LOCATION_SHIFT = 1 / 10  # a para-clip lateral/medial jet away from its device-less scallop centre
COMMISSURE_ZONE = 0.06  # this close to either end of the coaptation line is "commissural"
_AL_END, _PM_END = 0.03, 0.97
LO, HI = 0.02, 0.98


class PlacedDevice(Protocol):
    """What placement reads of a device (``planning.model.Device`` or the report's device)."""

    @property
    def id(self) -> str: ...
    @property
    def segment(self) -> str | None: ...
    @property
    def position(self) -> str | None: ...


class PlacedJet(Protocol):
    """What placement reads of a jet."""

    @property
    def id(self) -> str: ...
    @property
    def segment(self) -> str | None: ...
    @property
    def location(self) -> str | None: ...
    @property
    def devices(self) -> Sequence[str]: ...


def _member(enum: type[E], value: str | None) -> E | None:
    """The vocabulary member spelled ``value`` exactly, else None."""
    return next((m for m in enum if m.value == value), None) if value else None


def clamp(t: float) -> float:
    return min(max(t, LO), HI)


def segment_position(segment: str | None, location: str | None = None) -> float:
    """0..1 along the coaptation line for a segment pair (``A2-P3`` sits between its scallops; none:
    the middle); a para-clip lateral/medial jet shifts towards that commissure, a commissural one
    sits at its commissure."""
    pair = _member(SegmentPair, segment)
    numbers = pair.numbers if pair is not None else (2,)
    x = sum(_SCALLOP_X[n] for n in numbers) / len(numbers)
    where = _member(JetLocation, location)
    if where is JetLocation.COMMISSURAL_AL:
        return _AL_END
    if where is JetLocation.COMMISSURAL_PM:
        return _PM_END
    x += {JetLocation.PARA_LATERAL: -_LOCATION_SHIFT, JetLocation.PARA_MEDIAL: _LOCATION_SHIFT}.get(where, 0.0) \
        if where is not None else 0.0
    return clamp(x)


def scallop_at(t: float) -> int:
    """The scallop number (1..3) under a point 0..1 along the coaptation line."""
    return min(3, max(1, int(t * 3) + 1))


def segment_at(t: float) -> SegmentPair:
    """The segment pair a device or jet at ``t`` sits on: ``A2-P2`` for the middle third."""
    n = scallop_at(t)
    return SegmentPair(f"A{n}-P{n}")


def device_placement(t: float) -> tuple[SegmentPair, DevicePosition]:
    """(segment, position) of a device placed at ``t``: the inverse of ``nominal_position``."""
    if t < COMMISSURE_ZONE or t > 1 - COMMISSURE_ZONE:
        return segment_at(t), DevicePosition.COMMISSURAL
    offset = t - _SCALLOP_X[scallop_at(t)]
    if abs(offset) < POSITION_SHIFT / 2:
        return segment_at(t), DevicePosition.CENTRAL
    return segment_at(t), DevicePosition.LATERAL if offset < 0 else DevicePosition.MEDIAL


def nominal_position(device: PlacedDevice) -> float:
    """Where a device would sit alone: its scallop centre, shifted by its position."""
    t = segment_position(device.segment)
    position = _member(DevicePosition, device.position)
    if position is DevicePosition.COMMISSURAL:
        return _AL_END if t < 0.5 else _PM_END
    shift = {DevicePosition.LATERAL: -POSITION_SHIFT, DevicePosition.MEDIAL: POSITION_SHIFT}.get(
        position, 0.0) if position is not None else 0.0
    return clamp(t + shift)


def spread(nominals: Sequence[float]) -> list[float]:
    """Evenly spaced by the device gap around the mean of ``nominals``, kept inside the line."""
    centre = sum(nominals) / len(nominals)
    placed = [centre + DEVICE_GAP * (i - (len(nominals) - 1) / 2) for i in range(len(nominals))]
    shift = max(LO - placed[0], 0.0) - max(placed[-1] - HI, 0.0)
    return [clamp(t + shift) for t in placed]


_SIDE_ORDER = {DevicePosition.LATERAL: 0, DevicePosition.MEDIAL: 2}


def device_positions(devices: Sequence[PlacedDevice]) -> dict[str, float]:
    """Device id → 0..1 along the coaptation line: each at its nominal place, pushed apart side by
    side (lateral ones first) where they would overlap."""
    def side(d: PlacedDevice) -> int:
        position = _member(DevicePosition, d.position)
        return _SIDE_ORDER.get(position, 1) if position is not None else 1

    ordered = sorted(devices, key=lambda d: (round(nominal_position(d), 6), side(d)))
    clusters = [[d] for d in ordered]
    merged = True
    while merged:
        merged = False
        for i in range(len(clusters) - 1):
            left = spread([nominal_position(d) for d in clusters[i]])
            right = spread([nominal_position(d) for d in clusters[i + 1]])
            if right[0] - left[-1] < DEVICE_GAP - 1e-9:
                clusters[i] += clusters.pop(i + 1)
                merged = True
                break
    out: dict[str, float] = {}
    for cluster in clusters:
        for dev, t in zip(cluster, spread([nominal_position(d) for d in cluster]), strict=True):
            out[dev.id] = t
    return out


def jet_position(jet: PlacedJet, devices: Sequence[PlacedDevice], positions: dict[str, float]) -> float:
    """Where a jet starts: between the devices it names (inter-device), beside its device (para-device),
    else at its scallop, moved beside a device it would hide under."""
    location = _member(JetLocation, jet.location)
    cls = location.jet_class if location is not None else JetClass.OTHER
    named = sorted(positions[i] for i in jet.devices if i in positions)
    at_segment = sorted(positions[d.id] for d in devices if d.segment and segment_position(d.segment) ==
                        segment_position(jet.segment))
    if cls is JetClass.INTER_DEVICE:
        pair = named[:2] if len(named) >= 2 else at_segment[:2]
        if len(pair) == 2:
            return sum(pair) / 2
    anchors = named or at_segment
    if cls is JetClass.PARA_DEVICE and anchors:
        if location is JetLocation.PARA_MEDIAL:
            return clamp(anchors[-1] + JET_OFFSET)
        return clamp(anchors[0] - JET_OFFSET)
    t = segment_position(jet.segment, jet.location)
    under = [p for p in positions.values() if abs(p - t) < JET_OFFSET]
    if under:
        nearest = min(under, key=lambda p: abs(p - t))
        t = nearest + (JET_OFFSET if t > nearest or nearest - JET_OFFSET < LO else -JET_OFFSET)
    return clamp(t)


def jet_placement(t: float, devices: Sequence[PlacedDevice]) -> tuple[SegmentPair, JetLocation, tuple[str, ...]]:
    """(segment, location, device ids) of a jet placed at ``t``: at a commissure, between two
    neighbouring devices, beside the nearest device, else a non-coaptation jet at its scallop."""
    if t < COMMISSURE_ZONE:
        return SegmentPair.A1_P1, JetLocation.COMMISSURAL_AL, ()
    if t > 1 - COMMISSURE_ZONE:
        return SegmentPair.A3_P3, JetLocation.COMMISSURAL_PM, ()
    positions = device_positions(devices)
    left = max(((p, i) for i, p in positions.items() if p <= t), default=None)
    right = min(((p, i) for i, p in positions.items() if p > t), default=None)
    if left and right and right[0] - left[0] <= 2 * DEVICE_GAP + 1e-9 \
            and min(t - left[0], right[0] - t) > DEVICE_GAP / 4:
        return segment_at(t), JetLocation.INTER_CLIP, (left[1], right[1])
    near = [n for n in (left, right) if n and abs(n[0] - t) <= 1.5 * DEVICE_GAP]
    if near:
        p, dev_id = min(near, key=lambda n: abs(n[0] - t))
        return segment_at(t), JetLocation.PARA_LATERAL if t < p else JetLocation.PARA_MEDIAL, (dev_id,)
    return segment_at(t), JetLocation.NON_COAPTATION, ()
