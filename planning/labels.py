"""The clinical label list of the measurement tools, and the mark purpose each label implies.

A label picked from this list (or typed: matched without case) sets the mark's ``purpose``, which
is what ``measurements.compute`` acts on (e.g. "MV inflow CW" → ``mv_inflow``: gradients, PHT and
stenosis grades). Typed labels not in the list keep no purpose.
"""

from __future__ import annotations

from measurements.marks import MarkType
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
    ("Mitral annulus diameter", D, None),
    ("Space beside device", D, None),
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


def purpose_for(label: str) -> MarkPurpose | None:
    """The purpose a label implies (None for a typed label not in the list)."""
    key = label.strip().lower()
    return next((p for name, _, p in CLINICAL_LABELS if name.lower() == key), None)


def labels_for(kind: MarkType) -> list[str]:
    """Labels usually drawn with ``kind`` first, then the rest."""
    first = [name for name, k, _ in CLINICAL_LABELS if k is kind]
    return first + [name for name, k, _ in CLINICAL_LABELS if k is not kind]


def default_label(kind: MarkType) -> str:
    return labels_for(kind)[0]
