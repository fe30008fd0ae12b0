"""The words and device data of the findings (clinical.md §3.3–3.5), as data with their sources.

Editors offer exactly these values and the case file stores them as written here, so the report,
the SR coding (``report.sr``) and decision support (``planning.assessment``) read them back by
their keywords ("slda", "lli", "para", "inter", "tear", "commiss").
"""

from __future__ import annotations

from dataclasses import dataclass

CATALOGUE_SOURCE = "clinical.md §3.3 (arm sizes [REC], verify against the IFU) and §2.7 (PASCAL paddle widths)"


@dataclass(frozen=True, slots=True)
class DeviceModel:
    """A TEER device as offered in the editor; arm sizes in mm (None when the catalogue gives none)."""

    kind: str
    model: str
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
    DeviceModel("MitraClip", "NT", 9, 4),
    DeviceModel("MitraClip", "NTR", 9, 4),
    DeviceModel("MitraClip", "XTR", 12, 4),
    DeviceModel("MitraClip", "G4 NT", 9, 4),
    DeviceModel("MitraClip", "G4 NTW", 9, 6),
    DeviceModel("MitraClip", "G4 XT", 12, 4),
    DeviceModel("MitraClip", "G4 XTW", 12, 6),
    DeviceModel("MitraClip", "unknown"),
    DeviceModel("PASCAL", "P10", None, 10),
    DeviceModel("PASCAL", "Ace", None, 6),
    DeviceModel("PASCAL", "unknown"),
    DeviceModel("other", "other"),
)
DEVICE_KINDS: tuple[str, ...] = tuple(dict.fromkeys(m.kind for m in DEVICE_MODELS))
DEFAULT_DEVICE = DeviceModel("MitraClip", "G4 XTW", 12, 6)


def models_of(kind: str) -> tuple[str, ...]:
    """The model names offered for ``kind`` (empty for an unknown kind)."""
    return tuple(m.model for m in DEVICE_MODELS if m.kind == kind)


def device_model(kind: str, model: str) -> DeviceModel | None:
    """The catalogue entry of a kind and model, matched without regard to case."""
    return next((m for m in DEVICE_MODELS if m.kind.lower() == kind.lower() and m.model.lower() == model.lower()),
                None)


#: Attachment status (§3.3). "SLDA anterior" = the device has let go of the anterior leaflet.
ATTACHMENTS: tuple[str, ...] = ("stable", "SLDA anterior", "SLDA posterior", "partial insertion (LLI)",
                                "detached/embolised", "unknown")
ORIENTATIONS: tuple[str, ...] = ("perpendicular", "rotated")
#: Where on the coaptation line a device sits within its scallop (lateral = A1/P1 side).
POSITIONS: tuple[str, ...] = ("lateral", "central", "medial", "commissural")

#: Residual-jet location classes (§3.5), worded so ``JetInput.location_class`` reads them.
JET_LOCATIONS: tuple[str, ...] = ("para-clip lateral", "para-clip medial", "inter-clip", "commissural AL",
                                  "commissural PM", "through leaflet tear", "perforation", "SLDA-related",
                                  "cleft-related", "non-coaptation")

#: Carpentier segments pairs a device can grasp: anterior scallop + posterior scallop.
DEVICE_SEGMENTS: tuple[str, ...] = tuple(f"A{a}-P{p}" for a in (1, 2, 3) for p in (1, 2, 3))
SCALLOPS: tuple[str, ...] = ("A1", "A2", "A3", "P1", "P2", "P3")
COMMISSURES: tuple[str, ...] = ("AL commissure", "PM commissure")

#: Residual leaflet anatomy (§3.4).
CALCIFICATION: tuple[str, ...] = ("none", "mild", "moderate", "severe")
MOBILITY: tuple[str, ...] = ("normal", "restricted IIIa", "restricted IIIb", "prolapse", "flail")
LEAFLET_INJURY: tuple[str, ...] = ("none", "tear", "perforation", "cleft")
MAC: tuple[str, ...] = ("none", "mild", "moderate", "severe")
RHYTHMS: tuple[str, ...] = ("sinus", "AF", "paced", "other")

#: The measured spaces beside devices (§3.4 global), stored in ``leaflets.spaces`` by ``kind``.
SPACES: tuple[tuple[str, str], ...] = (
    ("lateral", "Lateral device edge to AL commissure"),
    ("medial", "Medial device edge to PM commissure"),
    ("inter-device", "Inter-device gap"),
)
