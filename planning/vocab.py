"""The closed vocabularies of a case file's findings, as ``StrEnum``s (docs/case-file.md).

Each member's value is the exact text the case file stores and the editors offer, spelled as
MitraPlan 0.1.0 wrote it, so older cases open unchanged. Code compares members, never substrings
of the text: what a value *means* (which side, which class of leak) is an explicit table here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


def allowed(enum: type[StrEnum]) -> str:
    """The allowed values of ``enum`` as the error messages list them: ``"sinus", "AF", ...``."""
    return ", ".join(f'"{m.value}"' for m in enum)


def parse_enum(enum: type[E], value: object, where: str) -> E:
    """The member of ``enum`` whose value is exactly ``value``; ValueError naming ``where`` and the
    allowed values otherwise (the case boundary turns it into a ``CaseError``)."""
    if isinstance(value, str):
        for member in enum:
            if member.value == value:
                return member
    kind = "" if isinstance(value, str) else f" (a JSON {json_kind(value)}, not a string)"
    raise ValueError(f"{where}: {value!r} is not one of {allowed(enum)}{kind}")


def json_kind(value: object) -> str:
    """What a decoded JSON value is, in the words of docs/case-file.md: list, object, number, true/false, null."""
    if isinstance(value, bool):
        return "true/false"
    kinds = {list: "list", dict: "object", int: "number", float: "number", str: "string", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)


class DeviceKind(StrEnum):
    """The TEER device system."""

    MITRACLIP = "MitraClip"
    PASCAL = "PASCAL"
    OTHER = "other"


class DeviceModelName(StrEnum):
    """Device models of all systems (which model belongs to which system: ``planning.catalogue``)."""

    NT = "NT"
    NTR = "NTR"
    XTR = "XTR"
    XTW = "XTW"  # informal spelling of G4 XTW, kept: 0.1.0 cases contain it
    G4_NT = "G4 NT"
    G4_NTW = "G4 NTW"
    G4_XT = "G4 XT"
    G4_XTW = "G4 XTW"
    P10 = "P10"
    ACE = "Ace"
    UNKNOWN = "unknown"
    OTHER = "other"


class Attachment(StrEnum):
    """Attachment status of a device (SLDA anterior = it has let go of the anterior leaflet)."""

    STABLE = "stable"
    SLDA_ANTERIOR = "SLDA anterior"
    SLDA_POSTERIOR = "SLDA posterior"
    LLI = "partial insertion (LLI)"
    DETACHED = "detached/embolised"
    UNKNOWN = "unknown"

    @property
    def is_slda(self) -> bool:
        return self in (Attachment.SLDA_ANTERIOR, Attachment.SLDA_POSTERIOR)

    @property
    def is_loss_of_insertion(self) -> bool:
        return self is Attachment.LLI


class Orientation(StrEnum):
    PERPENDICULAR = "perpendicular"
    ROTATED = "rotated"


class DevicePosition(StrEnum):
    """Where a device sits within its scallop (lateral = A1/P1 side)."""

    LATERAL = "lateral"
    CENTRAL = "central"
    MEDIAL = "medial"
    COMMISSURAL = "commissural"


class SegmentPair(StrEnum):
    """The anterior + posterior scallops a device grasps or a jet lies at."""

    A1_P1 = "A1-P1"
    A1_P2 = "A1-P2"
    A1_P3 = "A1-P3"
    A2_P1 = "A2-P1"
    A2_P2 = "A2-P2"
    A2_P3 = "A2-P3"
    A3_P1 = "A3-P1"
    A3_P2 = "A3-P2"
    A3_P3 = "A3-P3"

    @property
    def scallops(self) -> tuple[str, str]:
        """``("A2", "P3")`` for A2-P3."""
        anterior, posterior = self.value.split("-")
        return anterior, posterior

    @property
    def numbers(self) -> tuple[int, int]:
        """The scallop numbers (1 = lateral, 3 = medial): ``(2, 3)`` for A2-P3."""
        anterior, posterior = self.scallops
        return int(anterior[1]), int(posterior[1])


class Scallop(StrEnum):
    """The keys of ``leaflets.segments``: the six scallops and the two commissures."""

    A1 = "A1"
    A2 = "A2"
    A3 = "A3"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    AL_COMMISSURE = "AL commissure"
    PM_COMMISSURE = "PM commissure"


class JetClass(StrEnum):
    """What decision support reads from a jet location."""

    INTER_DEVICE = "inter-device"
    PERFORATION = "perforation"
    TEAR = "tear"
    SLDA = "slda"
    PARA_DEVICE = "para-device"
    COMMISSURAL = "commissural"
    OTHER = "other"


class JetLocation(StrEnum):
    """Residual-jet location classes."""

    PARA_LATERAL = "para-clip lateral"
    PARA_MEDIAL = "para-clip medial"
    INTER_CLIP = "inter-clip"
    COMMISSURAL_AL = "commissural AL"
    COMMISSURAL_PM = "commissural PM"
    TEAR = "through leaflet tear"
    PERFORATION = "perforation"
    SLDA = "SLDA-related"
    CLEFT = "cleft-related"
    NON_COAPTATION = "non-coaptation"

    @property
    def jet_class(self) -> JetClass:
        return _JET_CLASS[self]

    @property
    def commissural(self) -> bool:
        return self in (JetLocation.COMMISSURAL_AL, JetLocation.COMMISSURAL_PM)

    @property
    def positional(self) -> bool:
        """Worded from where the jet sits on the map (moving the jet re-reads it)."""
        return self in _POSITIONAL


_JET_CLASS: dict[JetLocation, JetClass] = {
    JetLocation.PARA_LATERAL: JetClass.PARA_DEVICE, JetLocation.PARA_MEDIAL: JetClass.PARA_DEVICE,
    JetLocation.INTER_CLIP: JetClass.INTER_DEVICE, JetLocation.COMMISSURAL_AL: JetClass.COMMISSURAL,
    JetLocation.COMMISSURAL_PM: JetClass.COMMISSURAL, JetLocation.TEAR: JetClass.TEAR,
    JetLocation.PERFORATION: JetClass.PERFORATION, JetLocation.SLDA: JetClass.SLDA,
    JetLocation.CLEFT: JetClass.OTHER, JetLocation.NON_COAPTATION: JetClass.OTHER,
}
_POSITIONAL = frozenset({JetLocation.PARA_LATERAL, JetLocation.PARA_MEDIAL, JetLocation.INTER_CLIP,
                         JetLocation.COMMISSURAL_AL, JetLocation.COMMISSURAL_PM, JetLocation.NON_COAPTATION})


class MRGrade(StrEnum):
    """Residual MR classes, MVARC ordinal 0..4+ (``rank``)."""

    NONE_TRACE = "none/trace"
    MILD = "mild"
    MODERATE = "moderate"
    MODERATE_TO_SEVERE = "moderate-to-severe"
    SEVERE = "severe"

    @property
    def rank(self) -> int:
        return list(MRGrade).index(self)


class Calcification(StrEnum):
    """Calcification of a scallop, and mitral annular calcification (``leaflets.mac``)."""

    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"

    @property
    def rank(self) -> int:
        return list(Calcification).index(self)


class Mobility(StrEnum):
    NORMAL = "normal"
    RESTRICTED_IIIA = "restricted IIIa"
    RESTRICTED_IIIB = "restricted IIIb"
    PROLAPSE = "prolapse"
    FLAIL = "flail"


class LeafletInjury(StrEnum):
    NONE = "none"
    TEAR = "tear"
    PERFORATION = "perforation"
    CLEFT = "cleft"


class Rhythm(StrEnum):
    """Heart rhythm at the study (``study.rhythm``, ``context.rhythm``)."""

    SINUS = "sinus"
    AF = "AF"
    ATRIAL_FIBRILLATION = "atrial fibrillation"  # written out; 0.1.0 cases contain it
    PACED = "paced"
    OTHER = "other"

    @property
    def is_af(self) -> bool:
        return self in (Rhythm.AF, Rhythm.ATRIAL_FIBRILLATION)


class SpaceKind(StrEnum):
    """The measured space beside devices (``leaflets.spaces[].kind``)."""

    LATERAL = "lateral"
    MEDIAL = "medial"
    INTER_DEVICE = "inter-device"


class SurgicalRisk(StrEnum):
    LOW = "low"
    INTERMEDIATE = "intermediate"
    HIGH = "high"
    PROHIBITIVE = "prohibitive"

    @property
    def high(self) -> bool:
        return self in (SurgicalRisk.HIGH, SurgicalRisk.PROHIBITIVE)


class Etiology(StrEnum):
    """MR etiology at the index procedure."""

    PRIMARY = "primary"
    DEGENERATIVE = "degenerative"
    SECONDARY = "secondary"
    FUNCTIONAL = "functional"
    MIXED = "mixed"

    @property
    def degenerative(self) -> bool:
        return self in (Etiology.PRIMARY, Etiology.DEGENERATIVE)


class TmvrAnatomy(StrEnum):
    SUITABLE = "suitable"
    UNSUITABLE = "unsuitable"
    UNKNOWN = "unknown"


class MarkPurpose(StrEnum):
    """What a mark measures (``marks[].purpose``); the keys of ``measurements.marks.PURPOSES``."""

    MV_INFLOW = "mv_inflow"
    MR_JET = "mr_jet"
    LVOT = "lvot"
    PISA_RADIUS = "pisa_radius"
    VENA_CONTRACTA = "vena_contracta"
    LVOT_DIAMETER = "lvot_diameter"
    ANNULUS_DIAMETER = "annulus_diameter"
    LEAFLET_LENGTH = "leaflet_length"
    POSTERIOR_LEAFLET_LENGTH = "posterior_leaflet_length"
    ORIFICE = "orifice"
    VCA = "vca"
    RR_INTERVAL = "rr_interval"
    PEAK_VELOCITY = "peak_velocity"


class PriorRole(StrEnum):
    """What an earlier case of the same patient was (``priors[].role``)."""

    INDEX_PROCEDURE_FINAL = "index-procedure-final"  # the final intraprocedural result of the index TEER
    PRE_PROCEDURE = "pre-procedure"  # the TEE before the index procedure
    FOLLOW_UP = "follow-up"


class ContextSource(StrEnum):
    """Where a CT or haemodynamic context value comes from (``context.ct.*.source``,
    ``context.haemodynamics.*.source``): the modality or document that measured it."""

    CT = "CT"
    CATH = "cath"  # right/left heart catheterisation, transseptal LA pressure
    TTE = "TTE"
    TEE = "TEE"
    IMPORTED_SR = "imported SR"  # an echo structured report accepted by the user
    OTHER = "other"


class MacExtent(StrEnum):
    """Circumferential extent of mitral annular calcification on CT (``context.ct.mac_extent``), the
    circumference component of the CT MAC score (Guerrero M et al., JACC Cardiovasc Imaging 2020 [REC]).
    The echo grade of MAC is ``leaflets.mac`` (``Calcification``)."""

    NONE = "none"
    UNDER_180 = "<180 deg"
    FROM_180_TO_270 = "180-270 deg"
    OVER_270 = ">270 deg"


class TRGrade(StrEnum):
    """Tricuspid regurgitation grade (``context.haemodynamics.tr_grade``): ASE 2017 none/trace to severe
    (S1), with the massive and torrential grades proposed by Hahn RT, Zamorano JL, Eur Heart J Cardiovasc
    Imaging 2017 [REC]."""

    NONE_TRACE = "none/trace"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"
    MASSIVE = "massive"
    TORRENTIAL = "torrential"
