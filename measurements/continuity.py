"""Continuity equation MVA (docs/clinical-criteria.md M12, M13)."""

from __future__ import annotations

import math

from imaging.errors import InputError

#: Continuity needs equal forward flow through LVOT and mitral valve: not true with significant MR/AR.
CONTINUITY_MR_WARNING = "continuity MVA invalid with ≥ moderate MR or AR (S3)"


def lvot_area(diameter_cm: float) -> float:
    """``CSA = π (D/2)²`` (cm²)."""
    if diameter_cm <= 0:
        raise InputError(f"LVOT diameter must be positive (got {diameter_cm} cm)")
    return math.pi * (diameter_cm / 2.0) ** 2


def stroke_volume(diameter_cm: float, vti_lvot_cm: float) -> float:
    """``SV = CSA · VTI_LVOT`` (mL)."""
    return lvot_area(diameter_cm) * vti_lvot_cm


def continuity_mva(diameter_cm: float, vti_lvot_cm: float, vti_mv_cm: float) -> float:
    """``MVA = SV_LVOT / VTI_MV`` (cm², W8)."""
    if vti_mv_cm <= 0:
        raise InputError(f"mitral VTI must be positive (got {vti_mv_cm} cm)")
    return stroke_volume(diameter_cm, vti_lvot_cm) / vti_mv_cm
