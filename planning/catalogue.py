"""The device data and the editors' choices of the findings (docs/clinical-criteria.md §2.7; device IFUs), with sources.

The values are the ``planning.vocab`` enums, in the order the editors offer them; what a value
means is decided by those enums' tables, never by words inside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from planning.vocab import (
    Attachment,
    Calcification,
    DeviceKind,
    DeviceModelName,
    DevicePosition,
    JetLocation,
    LeafletInjury,
    Mobility,
    Orientation,
    Rhythm,
    Scallop,
    SegmentPair,
    SpaceKind,
)

CATALOGUE_SOURCE = "docs/clinical-criteria.md §2.7 (device widths [REC], verify arm sizes against the IFU)"


@dataclass(frozen=True, slots=True)
class DeviceModel:
    """A TEER device as offered in the editor; arm sizes in mm (None when the catalogue gives none)."""

    kind: DeviceKind
    model: DeviceModelName
    arm_length_mm: float | None = None
    arm_width_mm: float | None = None

    @property
    def size_text(self) -> str:
        """``"arms 12 × 6 mm"``, ``"paddle width ~10 mm"`` or ``""``."""
        if self.arm_length_mm and self.arm_width_mm:
            return f"arms {self.arm_length_mm:g} × {self.arm_width_mm:g} mm (length × width)"
        if self.arm_width_mm:
            return f"paddle width ~{self.arm_width_mm:g} mm"
        return ""


#: Every model the device editor offers, by kind, in generation order (source: ``CATALOGUE_SOURCE``).
DEVICE_MODELS: tuple[DeviceModel, ...] = (
    DeviceModel(DeviceKind.MITRACLIP, DeviceModelName.NT, 9, 4),
    DeviceModel(DeviceKind.MITRACLIP, DeviceModelName.NTR, 9, 4),
    DeviceModel(DeviceKind.MITRACLIP, DeviceModelName.XTR, 12, 4),
    DeviceModel(DeviceKind.MITRACLIP, DeviceModelName.G4_NT, 9, 4),
    DeviceModel(DeviceKind.MITRACLIP, DeviceModelName.G4_NTW, 9, 6),
    DeviceModel(DeviceKind.MITRACLIP, DeviceModelName.G4_XT, 12, 4),
    DeviceModel(DeviceKind.MITRACLIP, DeviceModelName.G4_XTW, 12, 6),
    DeviceModel(DeviceKind.MITRACLIP, DeviceModelName.UNKNOWN),
    DeviceModel(DeviceKind.PASCAL, DeviceModelName.P10, None, 10),
    DeviceModel(DeviceKind.PASCAL, DeviceModelName.ACE, None, 6),
    DeviceModel(DeviceKind.PASCAL, DeviceModelName.UNKNOWN),
    DeviceModel(DeviceKind.OTHER, DeviceModelName.OTHER),
)
#: Accepted in case files but not offered: the informal "XTW" of 0.1.0 cases reads as the G4 XTW.
_ALIASES: dict[tuple[str, str], str] = {(DeviceKind.MITRACLIP, DeviceModelName.XTW): DeviceModelName.G4_XTW}
DEVICE_KINDS: tuple[str, ...] = tuple(dict.fromkeys(m.kind.value for m in DEVICE_MODELS))
DEFAULT_DEVICE = DEVICE_MODELS[6]


def models_of(kind: str) -> tuple[str, ...]:
    """The model names offered for ``kind`` (empty for an unknown kind)."""
    return tuple(m.model.value for m in DEVICE_MODELS if m.kind == kind)


def device_model(kind: str | None, model: str | None) -> DeviceModel | None:
    """The catalogue entry of a kind and model (vocabulary values, exactly as spelled)."""
    wanted = _ALIASES.get((kind, model), model) if kind is not None and model is not None else model
    return next((m for m in DEVICE_MODELS if m.kind == kind and m.model == wanted), None)


#: Attachment status (§3.3). "SLDA anterior" = the device has let go of the anterior leaflet.
ATTACHMENTS: tuple[str, ...] = tuple(a.value for a in Attachment)
ORIENTATIONS: tuple[str, ...] = tuple(o.value for o in Orientation)
#: Where on the coaptation line a device sits within its scallop (lateral = A1/P1 side).
POSITIONS: tuple[str, ...] = tuple(p.value for p in DevicePosition)

#: Residual-jet location classes (§3.5).
JET_LOCATIONS: tuple[str, ...] = tuple(j.value for j in JetLocation)

#: Carpentier segments pairs a device can grasp: anterior scallop + posterior scallop.
DEVICE_SEGMENTS: tuple[str, ...] = tuple(s.value for s in SegmentPair)
SCALLOPS: tuple[str, ...] = tuple(s.value for s in Scallop)[:6]
COMMISSURES: tuple[str, ...] = (Scallop.AL_COMMISSURE.value, Scallop.PM_COMMISSURE.value)

#: Residual leaflet anatomy (§3.4).
CALCIFICATION: tuple[str, ...] = tuple(c.value for c in Calcification)
MOBILITY: tuple[str, ...] = tuple(m.value for m in Mobility)
LEAFLET_INJURY: tuple[str, ...] = tuple(i.value for i in LeafletInjury)
MAC: tuple[str, ...] = CALCIFICATION
#: The rhythms the editor offers ("atrial fibrillation" is read from older cases but not offered).
RHYTHMS: tuple[str, ...] = tuple(r.value for r in Rhythm if r is not Rhythm.ATRIAL_FIBRILLATION)

#: The measured spaces beside devices (§3.4 global), stored in ``leaflets.spaces`` by ``kind``.
SPACES: tuple[tuple[str, str], ...] = (
    (SpaceKind.LATERAL.value, "Lateral device edge to AL commissure"),
    (SpaceKind.MEDIAL.value, "Medial device edge to PM commissure"),
    (SpaceKind.INTER_DEVICE.value, "Inter-device gap"),
)
