"""PISA (proximal isovelocity surface area) for MR and for stenosis (docs/clinical-criteria.md M10, M11, M15)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from imaging.errors import InputError

#: Attached to every PISA result: after TEER the convergence is rarely a single hemisphere (S2, S20).
PISA_POST_TEER_WARNING = ("PISA after TEER: limited validity (multiple orifices/jets, clip artefact,"
                          " non-hemispheric convergence)")


@dataclass(frozen=True)
class PisaMR:
    """Regurgitant flow (mL/s), EROA (cm²), and regurgitant volume (mL) when the MR VTI is known."""

    flow_ml_s: float
    eroa_cm2: float
    rvol_ml: float | None


def pisa_flow(radius_cm: float, aliasing_cm_s: float, angle_deg: float | None = None) -> float:
    """``Q = 2π r² Va`` (mL/s), times ``α/180`` for a wall-constrained funnel."""
    if radius_cm <= 0 or aliasing_cm_s <= 0:
        raise InputError(f"PISA needs a positive radius and aliasing velocity (got r = {radius_cm} cm,"
                         f" Va = {aliasing_cm_s} cm/s)")
    if angle_deg is not None and not 0.0 < angle_deg <= 180.0:
        raise InputError(f"angle_deg must be more than 0° and at most 180° (got {angle_deg}°)")
    q = 2.0 * math.pi * radius_cm * radius_cm * aliasing_cm_s
    return q * angle_deg / 180.0 if angle_deg is not None else q


def pisa_mr(radius_cm: float, aliasing_cm_s: float, vmax_mr_cm_s: float, vti_mr_cm: float | None = None,
            angle_deg: float | None = None) -> PisaMR:
    """``EROA = Q / Vmax``, ``RVol = EROA · VTI`` (W5, W6). Never the r²/2 shortcut."""
    if vmax_mr_cm_s <= 0:
        raise InputError(f"PISA needs a positive MR peak velocity (got {vmax_mr_cm_s} cm/s)")
    q = pisa_flow(radius_cm, aliasing_cm_s, angle_deg)
    eroa = q / vmax_mr_cm_s
    return PisaMR(q, eroa, None if vti_mr_cm is None else eroa * vti_mr_cm)


def pisa_mva(radius_cm: float, aliasing_cm_s: float, vpeak_inflow_cm_s: float, angle_deg: float) -> float:
    """Stenotic MVA ``2π r² Va / Vpeak · α/180`` (cm², W7)."""
    if vpeak_inflow_cm_s <= 0:
        raise InputError(f"PISA MVA needs a positive inflow peak velocity (got {vpeak_inflow_cm_s} cm/s)")
    return pisa_flow(radius_cm, aliasing_cm_s, angle_deg) / vpeak_inflow_cm_s


def regurgitant_fraction(rvol_ml: float, sv_forward_ml: float) -> float:
    """``RF = RVol / (RVol + SV_LVOT) · 100`` (%, M15)."""
    total = rvol_ml + sv_forward_ml
    if total <= 0:
        raise InputError("regurgitant fraction needs a positive total stroke volume")
    return 100.0 * rvol_ml / total


def eroa_shortcut(radius_cm: float) -> float:
    """``EROA ≈ r²/2``: an estimate valid only at Va ≈ 40 cm/s and Vmax ≈ 5 m/s (S1); shown, never graded."""
    return radius_cm * radius_cm / 2.0
