"""The calibrated readout under the cursor: region type and physical position, with units.

The reading is for the pixel under the cursor (its centre), so a cursor anywhere on the reference
pixel of a region reads the reference value exactly. Calibration itself is
``UltrasoundRegion.to_physical`` (the one place the half-pixel shift lives).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from imaging.regions import PIXEL_CENTRE, UltrasoundRegion, regions_at

UNCALIBRATED = "uncalibrated"


def _signed(value: float, decimals: int) -> str:
    """Signed number; a value that rounds to zero prints as plain 0 (no "-0.00")."""
    if round(value, decimals) == 0:
        return f"{0:.{decimals}f}"
    return f"{value:+.{decimals}f}"


def pixel_centre(x: float, y: float) -> tuple[float, float]:
    """Image coordinate of the centre of the pixel holding ``(x, y)``."""
    return math.floor(x) + PIXEL_CENTRE, math.floor(y) + PIXEL_CENTRE


def region_name(region: UltrasoundRegion, count: int) -> str:
    """The region as the user counts them, e.g. ``"region 2 of 2: spectral CW"``: the file's 0-based
    index plus one (case files keep the 0-based index; docs/case-file.md)."""
    return f"region {region.index + 1} of {count}: {region.spatial_format_name} {region.data_type_name}".strip()


def readout(regions: Sequence[UltrasoundRegion], x: float, y: float) -> str:
    """Status-bar text for image coordinate ``(x, y)``.

    2D: depth and lateral position in cm; spectral: time in s and signed velocity in m/s;
    other calibrated regions: both axes in their own units; outside every calibrated region:
    ``"uncalibrated"``.
    """
    cx, cy = pixel_centre(x, y)
    where = f"pixel ({int(cx)}, {int(cy)})"
    calibrated = [r for r in regions_at(regions, cx, cy) if r.is_calibrated]
    if not calibrated:
        return f"{UNCALIBRATED} · {where}"
    region = calibrated[0]
    px, py = region.to_physical(cx, cy)
    if region.is_spatial:
        values = f"depth {py:.2f} cm · lateral {_signed(px, 2)} cm"
    elif region.is_spectral:
        values = f"time {px:.3f} s · velocity {_signed(py / 100.0, 2)} m/s"
    else:
        values = f"x {px:.4g} {region.unit_x} · y {py:.4g} {region.unit_y}"
    return f"{region_name(region, len(regions))} · {values} · {where}"


def calibration_summary(regions: Sequence[UltrasoundRegion]) -> str:
    """One line naming the calibrated regions and their scales, shown when the cursor is away."""
    parts = [f"{region_name(r, len(regions))} ({abs(r.delta_x):.4g} {r.unit_x}/px × {abs(r.delta_y):.4g} {r.unit_y}/px)"
             for r in regions if r.is_calibrated]
    return "Calibrated: " + "; ".join(parts) if parts else UNCALIBRATED + " (no ultrasound regions)"
