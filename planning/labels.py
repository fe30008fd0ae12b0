"""The clinical label list of the measurement tools, the mark purpose each label implies, and the
kind of image region each label is offered on.

A label picked from this list (or typed: matched without case) sets the mark's ``purpose``, which
is what ``measurements.compute`` acts on (e.g. "MV inflow CW" → ``mv_inflow``: gradients, PHT and
stenosis grades). Typed labels not in the list keep no purpose. A new mark has no label until the
user gives one: an unlabelled mark is measured but never graded or used (docs/clinical-criteria.md,
"Meaning of a mark"). The list offered for a mark depends on the region it lies on (Region Spatial
Format and Region Data Type, DICOM PS3.3 C.8.5.5): Doppler meanings on a spectral strip, lengths,
areas and spaces on a 2D tissue image, jet measurements on a colour-flow image. An MPR plane of a
3D volume (``labels_for_volume``) offers the lengths, spaces, gaps, areas and landmarks, never a
Doppler meaning.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum

from imaging.regions import SpatialFormat, UltrasoundRegion
from measurements.compute import is_unlabelled
from measurements.marks import Mark, MarkType
from measurements.results import Result
from planning.vocab import MarkPurpose

D, A, T, P = MarkType.DISTANCE, MarkType.AREA, MarkType.DOPPLER_TRACE, MarkType.POINT

#: (label, mark type it is usually drawn with, purpose or None), in the order the picker shows them.
CLINICAL_LABELS: tuple[tuple[str, MarkType, MarkPurpose | None], ...] = (
    ("P1 residual leaflet length", D, MarkPurpose("posterior_leaflet_length")),
    ("P2 residual leaflet length", D, MarkPurpose("posterior_leaflet_length")),
    ("P3 residual leaflet length", D, MarkPurpose("posterior_leaflet_length")),
    ("A1 residual leaflet length", D, MarkPurpose("leaflet_length")),
    ("A2 residual leaflet length", D, MarkPurpose("leaflet_length")),
    ("A3 residual leaflet length", D, MarkPurpose("leaflet_length")),
    ("Vena contracta", D, MarkPurpose("vena_contracta")),
    ("Lateral jet vena contracta", D, MarkPurpose("vena_contracta")),
    ("Medial jet vena contracta", D, MarkPurpose("vena_contracta")),
    ("PISA radius", D, MarkPurpose("pisa_radius")),
    ("LVOT diameter", D, MarkPurpose("lvot_diameter")),
    ("Mitral annulus diameter", D, MarkPurpose("annulus_diameter")),
    ("Space beside device", D, None),
    ("Inter-clip gap", D, None),
    ("R-R interval", D, MarkPurpose("rr_interval")),
    ("Lateral orifice", A, MarkPurpose("orifice")),
    ("Medial orifice", A, MarkPurpose("orifice")),
    ("Central orifice", A, MarkPurpose("orifice")),
    ("3D vena contracta area", A, MarkPurpose("vca")),
    ("MV inflow CW", T, MarkPurpose("mv_inflow")),
    ("MR jet CW", T, MarkPurpose("mr_jet")),
    ("LVOT PW", T, MarkPurpose("lvot")),
    ("Peak velocity", P, MarkPurpose("peak_velocity")),
    ("Clip tip", P, None),
    ("Jet origin", P, None),
)


class RegionKind(StrEnum):
    """What an ultrasound region shows, as far as the meaning of a mark on it goes."""

    TISSUE = "2D tissue"
    COLOUR_FLOW = "colour flow"
    SPECTRAL = "spectral Doppler"
    VOLUME = "3D volume"  # an MPR plane of a 3D/4D volume (gui/volume)
    OTHER = "other"  # M-mode, waveforms, uncalibrated or unknown: every label is offered


#: RegionDataType (0018,6014) values of a spectral Doppler region: PW and CW spectral Doppler.
_SPECTRAL_DATA_TYPES = frozenset({3, 4})
#: RegionDataType of a colour-flow region.
_COLOUR_FLOW_DATA_TYPE = 2
#: RegionDataType values of a plain 2D image: none given, or tissue.
_TISSUE_DATA_TYPES = frozenset({0, 1})

TISSUE, COLOUR, SPECTRAL, VOLUME = RegionKind.TISSUE, RegionKind.COLOUR_FLOW, RegionKind.SPECTRAL, RegionKind.VOLUME

#: The region kinds each clinical label is offered on (every label of ``CLINICAL_LABELS`` is here).
OFFERED_ON: dict[str, frozenset[RegionKind]] = {
    **{f"{s} residual leaflet length": frozenset({TISSUE, VOLUME}) for s in ("P1", "P2", "P3", "A1", "A2", "A3")},
    "Vena contracta": frozenset({COLOUR, VOLUME}),
    "Lateral jet vena contracta": frozenset({COLOUR, VOLUME}),
    "Medial jet vena contracta": frozenset({COLOUR, VOLUME}),
    "PISA radius": frozenset({COLOUR}),
    "LVOT diameter": frozenset({TISSUE, VOLUME}),
    "Mitral annulus diameter": frozenset({TISSUE, VOLUME}),
    "Space beside device": frozenset({TISSUE, VOLUME}),
    "Inter-clip gap": frozenset({TISSUE, VOLUME}),
    "R-R interval": frozenset({SPECTRAL}),
    "Lateral orifice": frozenset({TISSUE, VOLUME}),
    "Medial orifice": frozenset({TISSUE, VOLUME}),
    "Central orifice": frozenset({TISSUE, VOLUME}),
    "3D vena contracta area": frozenset({COLOUR, VOLUME}),
    "MV inflow CW": frozenset({SPECTRAL}),
    "MR jet CW": frozenset({SPECTRAL}),
    "LVOT PW": frozenset({SPECTRAL}),
    "Peak velocity": frozenset({SPECTRAL}),
    "Clip tip": frozenset({TISSUE, COLOUR, VOLUME}),
    "Jet origin": frozenset({TISSUE, COLOUR, VOLUME}),
}


def region_kind(region: UltrasoundRegion | None) -> RegionKind:
    """The kind of ``region`` from its Region Spatial Format and Region Data Type (PS3.3 C.8.5.5)."""
    if region is None:
        return RegionKind.OTHER
    if region.spatial_format == SpatialFormat.SPECTRAL or region.data_type in _SPECTRAL_DATA_TYPES:
        return RegionKind.SPECTRAL
    if region.spatial_format == SpatialFormat.TWO_D and region.data_type == _COLOUR_FLOW_DATA_TYPE:
        return RegionKind.COLOUR_FLOW
    if region.spatial_format == SpatialFormat.TWO_D and region.data_type in _TISSUE_DATA_TYPES:
        return RegionKind.TISSUE
    return RegionKind.OTHER


def purpose_for(label: str) -> MarkPurpose | None:
    """The purpose a label implies (None for a typed label not in the list)."""
    key = label.strip().lower()
    return next((p for name, _, p in CLINICAL_LABELS if name.lower() == key), None)


def _offered(name: str, kind: RegionKind) -> bool:
    return kind is RegionKind.OTHER or kind in OFFERED_ON[name]


def labels_for(region: UltrasoundRegion | None, kind: MarkType | None = None) -> list[str]:
    """The clinical labels offered for a mark on ``region``; those usually drawn with ``kind`` first.

    A spectral strip offers Doppler meanings only, a 2D tissue image lengths, areas and spaces, a
    colour-flow image jet measurements; a region of another kind (or none) offers every label.
    """
    return _ordered({region_kind(region)}, kind)


def labels_for_volume(kind: MarkType | None = None) -> list[str]:
    """The labels offered on an MPR plane of a 3D volume (no Doppler meaning: a volume has no spectrum)."""
    return _ordered({RegionKind.VOLUME}, kind)


def labels_for_regions(regions: Sequence[UltrasoundRegion], kind: MarkType | None = None) -> list[str]:
    """The labels offered on any of ``regions`` (an image before the mark is drawn on one of them)."""
    return _ordered({region_kind(r) for r in regions} or {RegionKind.OTHER}, kind)


def _ordered(where: set[RegionKind], kind: MarkType | None) -> list[str]:
    names = [(name, k) for name, k, _ in CLINICAL_LABELS if any(_offered(name, w) for w in where)]
    return [n for n, k in names if k is kind] + [n for n, k in names if k is not kind]


def fits(label: str, region: UltrasoundRegion | None) -> bool:
    """False for a clinical label that is not offered on ``region`` (a typed free label always fits)."""
    key = label.strip().lower()
    name = next((n for n, _, _ in CLINICAL_LABELS if n.lower() == key), None)
    return name is None or _offered(name, region_kind(region))


def labelled_results(marks: Iterable[Mark], results: Sequence[Result]) -> list[Result]:
    """The results none of whose marks is unlabelled: all that grading, calculations, the summary and
    the decision support may use (an unlabelled mark's numbers are shown, never used)."""
    unlabelled = {m.id for m in marks if is_unlabelled(m)}
    return [r for r in results if not unlabelled.intersection(r.source)]


def results_of_purpose(marks: Iterable[Mark], results: Sequence[Result], purpose: str) -> list[Result]:
    """The results computed from labelled marks of ``purpose`` only (e.g. every posterior leaflet length)."""
    ids = {m.id for m in marks if m.purpose == purpose and not is_unlabelled(m)}
    return [r for r in results if r.source and ids.issuperset(r.source)]
