"""The calibrated readout text, on hand-made regions (no Qt): golden values by hand arithmetic."""

from __future__ import annotations

import pytest

from gui.viewer.readout import calibration_summary, readout
from gui.viewer.viewport import display_levels
from imaging.regions import UltrasoundRegion

# A CW spectral strip: rows 300..599, reference pixel (700, 380) absolute (region min + (700, 80)),
# 0.005 s and -2.5 cm/s per pixel (toward the probe above the baseline), reference value (0 s, 0 cm/s).
CW = UltrasoundRegion(index=1, spatial_format=3, data_type=4, flags=0, location=(0, 300, 799, 599),
                      bounds=(0, 300, 799, 599), units_x=4, units_y=7, delta_x=0.005, delta_y=-2.5,
                      reference_pixel_x0=700, reference_pixel_y0=80)
# A 2D sector: apex (reference pixel) at absolute (400, 40), 0.03 cm per pixel, reference value (0, 0).
SECTOR = UltrasoundRegion(index=0, spatial_format=1, data_type=1, flags=0, location=(100, 40, 699, 280),
                          bounds=(100, 40, 699, 280), units_x=3, units_y=3, delta_x=0.03, delta_y=0.03,
                          reference_pixel_x0=300, reference_pixel_y0=0)


def test_reference_pixel_of_a_doppler_region_reads_the_reference_value() -> None:
    text = readout([SECTOR, CW], 700.5, 380.5)
    assert text.startswith("region 2 of 2: spectral CW · ")  # counted from 1, as the user sees them
    assert "time 0.000 s" in text and "velocity 0.00 m/s" in text


def test_anywhere_on_the_reference_pixel_reads_the_same() -> None:
    assert readout([CW], 700.05, 380.95) == readout([CW], 700.5, 380.5)


def test_baseline_reads_zero_and_velocity_keeps_its_sign() -> None:
    assert "velocity 0.00 m/s" in readout([CW], 100.5, 380.5)
    # 40 rows above the baseline: -40 px * -2.5 cm/s = +100 cm/s = +1.00 m/s; 100 px left: -0.500 s
    text = readout([CW], 600.5, 340.5)
    assert "time -0.500 s" in text and "velocity +1.00 m/s" in text
    # 60 rows below: 60 * -2.5 = -150 cm/s = -1.50 m/s
    assert "velocity -1.50 m/s" in readout([CW], 600.5, 440.5)


def test_2d_region_reads_depth_and_lateral_in_cm() -> None:
    # 100 rows below the apex, 50 columns right: depth 100 * 0.03 = 3.00 cm, lateral +1.50 cm
    text = readout([SECTOR, CW], 450.5, 140.5)
    assert text.startswith("region 1 of 2: 2D tissue · ")
    assert "depth 3.00 cm" in text and "lateral +1.50 cm" in text


def test_outside_every_region_is_uncalibrated() -> None:
    assert readout([SECTOR], 10.5, 10.5).startswith("uncalibrated")
    assert readout([], 10.5, 10.5).startswith("uncalibrated")


def test_display_levels_are_off_until_brightness_or_contrast_change() -> None:
    assert display_levels(0, 0) is None
    assert display_levels(0, 50) == (127.5 - 63.75, 127.5 + 63.75)  # gain 2: half the window
    assert display_levels(100, 0) == pytest.approx((-127.5, 127.5))               # window shifted down by 127.5


def test_the_summary_counts_regions_from_one() -> None:
    text = calibration_summary([SECTOR, CW])
    assert text.startswith("Calibrated: region 1 of 2: 2D tissue (0.03 cm/px × 0.03 cm/px); region 2 of 2: spectral CW")
    assert "region 0" not in text
