"""Region factories for measurement tests: UltrasoundRegion built directly, calibration chosen by hand."""

from __future__ import annotations

from imaging.regions import UltrasoundRegion


def spatial_region(dx: float = 0.02, dy: float = 0.02, bounds: tuple[int, int, int, int] = (0, 0, 799, 599),
                   index: int = 0, ref: tuple[int, int] = (0, 0), data_type: int = 1) -> UltrasoundRegion:
    """2D region in cm x cm (spatial format 1)."""
    return UltrasoundRegion(index=index, spatial_format=1, data_type=data_type, flags=0, location=bounds,
                            bounds=bounds, units_x=3, units_y=3, delta_x=dx, delta_y=dy,
                            reference_pixel_x0=ref[0], reference_pixel_y0=ref[1])


def spectral_region(dx: float = 0.001, dy: float = -1.0, bounds: tuple[int, int, int, int] = (0, 100, 799, 599),
                    ref: tuple[int, int] = (0, 250), index: int = 1, data_type: int = 4,
                    ref_value_x: float = 0.0) -> UltrasoundRegion:
    """Spectral CW region in s x cm/s; ``ref`` is relative to the region's top-left corner (baseline row)."""
    return UltrasoundRegion(index=index, spatial_format=3, data_type=data_type, flags=0, location=bounds,
                            bounds=bounds, units_x=4, units_y=7, delta_x=dx, delta_y=dy,
                            reference_pixel_x0=ref[0], reference_pixel_y0=ref[1], reference_value_x=ref_value_x)


def trace_to_image(region: UltrasoundRegion, trace_s_m_s: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(t s, v m/s) -> image points through the region (the inverse the GUI uses)."""
    return [region.to_image(t, v * 100.0) for t, v in trace_s_m_s]
