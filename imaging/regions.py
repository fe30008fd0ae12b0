"""Ultrasound region calibration (PS3.3 C.8.5.5, Sequence of Ultrasound Regions).

This module holds the one conversion between image coordinates and physical units. Image
coordinates follow the SCOORD convention used everywhere in MitraPlan: ``(x, y)`` = (column, row)
as floats, ``(0, 0)`` is the top-left corner of the top-left pixel, so the centre of pixel index
``(c, r)`` is ``(c + 0.5, r + 0.5)``. Region bounds and the Reference Pixel are pixel *indices*;
the Reference Pixel is relative to the region's top-left corner (MinX0, MinY0):

    physical = (index - (region_min + reference_pixel)) * delta + reference_value,
    index    = coordinate - 0.5

Deltas are signed and may differ in x and y. See DICOM PS3.3 C.8.5.5 and ``docs/clinical-criteria.md`` section 1.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from imaging.errors import CalibrationError

log = logging.getLogger(__name__)

#: Half a pixel: image coordinate of a pixel centre minus its index. The only place it lives.
PIXEL_CENTRE = 0.5


class SpatialFormat(IntEnum):
    """Region Spatial Format (0018,6012)."""

    NONE = 0
    TWO_D = 1
    M_MODE = 2
    SPECTRAL = 3
    WAVEFORM = 4
    GRAPHICS = 5


#: Physical Units X/Y Direction (0018,6024/6026), C.8.5.5.1.15, as short unit names.
UNIT_NAMES: dict[int, str] = {
    0: "", 1: "%", 2: "dB", 3: "cm", 4: "s", 5: "Hz", 6: "dB/s", 7: "cm/s",
    8: "cm2", 9: "cm2/s", 10: "cm3", 11: "cm3/s", 12: "deg",
}
UNIT_CM, UNIT_S, UNIT_HZ, UNIT_CM_S = 3, 4, 5, 7

_FORMAT_NAMES = {0: "none", 1: "2D", 2: "M-mode", 3: "spectral", 4: "waveform", 5: "graphics"}
_DATA_TYPE_NAMES = {
    0: "none", 1: "tissue", 2: "color flow", 3: "PW", 4: "CW", 5: "Doppler mean trace",
    6: "Doppler mode trace", 7: "Doppler max trace", 8: "volume trace", 10: "ECG", 11: "pulse",
    12: "phonocardiogram", 13: "gray bar", 14: "color bar", 15: "integrated backscatter",
    16: "area trace", 17: "d(area)/dt", 18: "other physiological",
}


@dataclass(frozen=True, slots=True)
class UltrasoundRegion:
    """One item of the Sequence of Ultrasound Regions, with its calibration.

    ``location`` is the rectangle as written in the file (inclusive pixel indices); ``bounds`` is the
    same rectangle clipped to the image. Calibration always uses ``location``, so clipping never
    moves the reference pixel.
    """

    index: int
    spatial_format: int
    data_type: int
    flags: int
    location: tuple[int, int, int, int]
    bounds: tuple[int, int, int, int]
    units_x: int
    units_y: int
    delta_x: float
    delta_y: float
    reference_pixel_x0: int = 0
    reference_pixel_y0: int = 0
    reference_value_x: float = 0.0
    reference_value_y: float = 0.0
    transducer_frequency_khz: int | None = None
    pulse_repetition_frequency_hz: int | None = None
    doppler_correction_angle_deg: float | None = None
    steering_angle_deg: float | None = None
    clipped: bool = False
    warnings: tuple[str, ...] = field(default=())
    #: Why the calibration must not be used (non-finite or absurd delta, reversed bounds...); None: usable.
    problem: str | None = None

    # --- identity --------------------------------------------------------------------------
    @property
    def spatial_format_name(self) -> str:
        return _FORMAT_NAMES.get(self.spatial_format, f"format {self.spatial_format}")

    @property
    def data_type_name(self) -> str:
        return _DATA_TYPE_NAMES.get(self.data_type, f"data type {self.data_type}")

    @property
    def unit_x(self) -> str:
        return UNIT_NAMES.get(self.units_x, f"unit {self.units_x}")

    @property
    def unit_y(self) -> str:
        return UNIT_NAMES.get(self.units_y, f"unit {self.units_y}")

    @property
    def description(self) -> str:
        """Short human label, e.g. ``"region 1: spectral CW"``."""
        return f"region {self.index}: {self.spatial_format_name} {self.data_type_name}".strip()

    @property
    def is_calibrated(self) -> bool:
        """True when both axes carry a unit and a sane, non-zero delta (and nothing flagged the region unusable)."""
        return self.problem is None and bool(self.units_x and self.units_y and self.delta_x and self.delta_y)

    @property
    def is_spatial(self) -> bool:
        """2D region with cm on both axes: distances and areas are valid here."""
        return (self.spatial_format == SpatialFormat.TWO_D and self.units_x == UNIT_CM
                and self.units_y == UNIT_CM and self.is_calibrated)

    @property
    def is_spectral(self) -> bool:
        """Spectral Doppler region with time (s) across and velocity (cm/s) up."""
        return (self.spatial_format == SpatialFormat.SPECTRAL and self.units_x == UNIT_S
                and self.units_y == UNIT_CM_S and self.is_calibrated)

    @property
    def is_frequency_scale(self) -> bool:
        """RegionFlags bit 2: the Doppler scale is frequency (Hz), not velocity."""
        return bool(self.flags & 0b100)

    @property
    def area_px(self) -> int:
        x0, y0, x1, y1 = self.bounds
        return (x1 - x0 + 1) * (y1 - y0 + 1)

    # --- geometry --------------------------------------------------------------------------
    @property
    def reference_index(self) -> tuple[int, int]:
        """Absolute pixel index of the reference pixel (region origin + Reference Pixel X0/Y0)."""
        return (self.location[0] + self.reference_pixel_x0, self.location[1] + self.reference_pixel_y0)

    def contains(self, x: float, y: float) -> bool:
        """True when image coordinate ``(x, y)`` lies on a pixel of the (clipped) region."""
        x0, y0, x1, y1 = self.bounds
        return x0 <= x <= x1 + 1 and y0 <= y <= y1 + 1

    def to_physical(self, x: float, y: float) -> tuple[float, float]:
        """Physical values (unit_x, unit_y) at image coordinate ``(x, y)``."""
        rx, ry = self.reference_index
        px = self.reference_value_x + (x - PIXEL_CENTRE - rx) * self.delta_x
        py = self.reference_value_y + (y - PIXEL_CENTRE - ry) * self.delta_y
        return px, py

    def to_image(self, px: float, py: float) -> tuple[float, float]:
        """Image coordinate of physical values ``(px, py)``: the inverse of :meth:`to_physical`."""
        if not self.is_calibrated:
            raise CalibrationError(f"{self.description} has no calibration to invert")
        rx, ry = self.reference_index
        x = (px - self.reference_value_x) / self.delta_x + rx + PIXEL_CENTRE
        y = (py - self.reference_value_y) / self.delta_y + ry + PIXEL_CENTRE
        return x, y

    @property
    def baseline_y(self) -> float:
        """Image y where the y physical value is 0 (the Doppler baseline on a spectral region)."""
        return self.to_image(self.reference_value_x, 0.0)[1]

    def as_info(self) -> dict[str, Any]:
        """The region as in the ``mitraplan info`` contract (reference pixel as absolute indices)."""
        return {
            "index": self.index,
            "spatial_format": self.spatial_format_name,
            "data_type": self.data_type_name,
            "flags": self.flags,
            "bounds": list(self.bounds),
            "location": list(self.location),
            "clipped": self.clipped,
            "units": [self.unit_x, self.unit_y],
            "delta": [self.delta_x, self.delta_y],
            "reference_pixel": list(self.reference_index),
            "reference_value": [self.reference_value_x, self.reference_value_y],
            "usable": self.problem is None,
            "problem": self.problem,
            "warnings": list(self.warnings),
        }


#: Plausible |Physical Delta| per pixel for each unit code: a caliper on a real scanner image never
#: falls outside these (0.1 um to 1 cm per pixel; 1 us to 1 s; 0.1 um/s to 10 m/s per pixel).
DELTA_RANGES: dict[int, tuple[float, float]] = {
    UNIT_CM: (1e-5, 1.0), UNIT_S: (1e-6, 1.0), UNIT_CM_S: (1e-5, 1000.0), UNIT_HZ: (1e-3, 1e6),
}
#: Range for the other units (%, dB, deg...): only absurd values are refused.
DEFAULT_DELTA_RANGE = (1e-9, 1e9)


def calibration_problem(values: dict[str, float], units: tuple[int, int], location: tuple[int, int, int, int],
                        rows: int, columns: int) -> str | None:
    """Why a region's calibration cannot be trusted, or None.

    ``bool(nan)`` is true, so a NaN delta would pass a plain truth test: every value is checked
    for finiteness, each calibrated axis for a delta of a physically possible size, and the
    rectangle for ordered bounds that overlap the image (PS3.3 C.8.5.5.1).
    """
    for name, value in values.items():
        if not math.isfinite(value):
            return f"{name} is {value}: not a finite number"
    for axis, unit in zip("XY", units, strict=True):
        delta = abs(values[f"PhysicalDelta{axis}"])
        if not unit:
            continue
        low, high = DELTA_RANGES.get(unit, DEFAULT_DELTA_RANGE)
        if not low <= delta <= high:
            return (f"PhysicalDelta{axis} is {values[f'PhysicalDelta{axis}']:g} {UNIT_NAMES.get(unit, '')}/pixel:"
                    f" outside the physical range {low:g} to {high:g}")
    x0, y0, x1, y1 = location
    if x1 < x0 or y1 < y0:
        return f"region bounds are reversed {list(location)} (MaxX1 < MinX0 or MaxY1 < MinY0)"
    if x0 > columns - 1 or y0 > rows - 1 or x1 < 0 or y1 < 0:
        return f"region {list(location)} lies outside the {columns}x{rows} image"
    return None


def _get(item: Any, keyword: str, default: Any = None) -> Any:
    value = getattr(item, keyword, None)
    return default if value is None or value == "" else value


def parse_region(item: Any, index: int, rows: int, columns: int) -> UltrasoundRegion:
    """Build one region from a pydicom item, clipping its rectangle to ``rows`` x ``columns``."""
    location = tuple(int(_get(item, k, 0)) for k in (
        "RegionLocationMinX0", "RegionLocationMinY0", "RegionLocationMaxX1", "RegionLocationMaxY1"))
    x0, y0, x1, y1 = location
    warnings: list[str] = []
    if x1 < x0 or y1 < y0:
        warnings.append(f"region {index} has an empty rectangle {list(location)}")
    cx0, cy0 = max(0, min(x0, columns - 1)), max(0, min(y0, rows - 1))
    cx1, cy1 = max(0, min(x1, columns - 1)), max(0, min(y1, rows - 1))
    clipped = (cx0, cy0, cx1, cy1) != location
    if clipped:
        warnings.append(
            f"region {index} rectangle {list(location)} exceeds the {columns}x{rows} image;"
            f" clipped to {[cx0, cy0, cx1, cy1]}, calibration kept from the file")
    units = (int(_get(item, "PhysicalUnitsXDirection", 0)), int(_get(item, "PhysicalUnitsYDirection", 0)))
    values = {k: float(_get(item, k, 0.0)) for k in (
        "PhysicalDeltaX", "PhysicalDeltaY", "ReferencePixelPhysicalValueX", "ReferencePixelPhysicalValueY")}
    problem = calibration_problem(values, units, location, rows, columns)  # type: ignore[arg-type]
    if problem:
        warnings.append(f"region {index} calibration is unusable: {problem}")
    return UltrasoundRegion(
        index=index,
        spatial_format=int(_get(item, "RegionSpatialFormat", 0)),
        data_type=int(_get(item, "RegionDataType", 0)),
        flags=int(_get(item, "RegionFlags", 0)),
        location=location,  # type: ignore[arg-type]
        bounds=(cx0, cy0, cx1, cy1),
        units_x=units[0],
        units_y=units[1],
        delta_x=values["PhysicalDeltaX"],
        delta_y=values["PhysicalDeltaY"],
        reference_pixel_x0=int(_get(item, "ReferencePixelX0", 0)),
        reference_pixel_y0=int(_get(item, "ReferencePixelY0", 0)),
        reference_value_x=values["ReferencePixelPhysicalValueX"],
        reference_value_y=values["ReferencePixelPhysicalValueY"],
        transducer_frequency_khz=_optional_int(_get(item, "TransducerFrequency")),
        pulse_repetition_frequency_hz=_optional_int(_get(item, "PulseRepetitionFrequency")),
        doppler_correction_angle_deg=_optional_float(_get(item, "DopplerCorrectionAngle")),
        steering_angle_deg=_optional_float(_get(item, "SteeringAngle")),
        clipped=clipped,
        warnings=tuple(warnings),
        problem=problem,
    )


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def parse_regions(ds: Any, rows: int | None = None, columns: int | None = None) -> tuple[UltrasoundRegion, ...]:
    """All regions of a dataset (empty when the image is uncalibrated)."""
    rows = int(rows if rows is not None else _get(ds, "Rows", 0))
    columns = int(columns if columns is not None else _get(ds, "Columns", 0))
    sequence = _get(ds, "SequenceOfUltrasoundRegions", None) or []
    return tuple(parse_region(item, i, rows, columns) for i, item in enumerate(sequence))


def regions_at(regions: Iterable[UltrasoundRegion], x: float, y: float) -> list[UltrasoundRegion]:
    """Regions holding image point ``(x, y)``, best first: calibrated before not, smaller first."""
    hits = [r for r in regions if r.contains(x, y)]
    return sorted(hits, key=lambda r: (not r.is_calibrated, r.area_px, r.index))


def region_for_points(
    regions: Sequence[UltrasoundRegion], points: Sequence[tuple[float, float]], what: str = "mark"
) -> UltrasoundRegion:
    """The one region that holds every point; refuse with a reason otherwise.

    When regions overlap, the calibrated one that holds every point wins, the smaller first (the
    smallest region is the most specific calibration).
    """
    if not points:
        raise CalibrationError(f"{what} has no points")
    if not regions:
        raise CalibrationError(f"{what}: the image has no ultrasound region calibration (uncalibrated)")
    holding_all = [r for r in regions if all(r.contains(x, y) for x, y in points)]
    if holding_all:
        return min(holding_all, key=lambda r: (not r.is_calibrated, r.area_px, r.index))
    first = [r.index for r in regions_at(regions, *points[0])]
    outside = [i for i, (x, y) in enumerate(points) if not regions_at(regions, x, y)]
    if outside:
        raise CalibrationError(
            f"{what}: point {outside[0] + 1} ({points[outside[0]][0]:.1f}, {points[outside[0]][1]:.1f})"
            " lies outside every calibrated region")
    raise CalibrationError(
        f"{what}: points lie in different regions (first point in region {first[0]});"
        " a measurement must stay inside one region")
