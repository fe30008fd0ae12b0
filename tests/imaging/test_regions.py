"""Calibration convention of imaging.regions, with the arithmetic written out by hand."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from imaging.errors import CalibrationError
from imaging.regions import parse_regions, region_for_points


def _item(**values: object) -> Dataset:
    item = Dataset()
    for keyword, value in values.items():
        setattr(item, keyword, value)
    return item


def _spectral(delta_y: float = -1.5) -> Dataset:
    """Spectral CW region: rectangle (100,300)-(739,539), reference pixel (600,120) relative."""
    return _item(RegionLocationMinX0=100, RegionLocationMinY0=300, RegionLocationMaxX1=739, RegionLocationMaxY1=539,
                 RegionSpatialFormat=3, RegionDataType=4, RegionFlags=0, PhysicalUnitsXDirection=4,
                 PhysicalUnitsYDirection=7, PhysicalDeltaX=0.004, PhysicalDeltaY=delta_y,
                 ReferencePixelX0=600, ReferencePixelY0=120, ReferencePixelPhysicalValueX=0.0,
                 ReferencePixelPhysicalValueY=0.0)


def _image(*items: Dataset, rows: int = 600, columns: int = 800) -> Dataset:
    ds = Dataset()
    ds.Rows, ds.Columns = rows, columns
    ds.SequenceOfUltrasoundRegions = list(items)
    return ds


def test_reference_pixel_centre_reads_reference_value_and_is_region_relative() -> None:
    (region,) = parse_regions(_image(_spectral()))
    # absolute reference index = region min + relative reference = (100+600, 300+120) = (700, 420)
    assert region.reference_index == (700, 420)
    # its centre in image coordinates is (700.5, 420.5): time origin, baseline
    assert region.to_physical(700.5, 420.5) == (0.0, 0.0)
    assert region.baseline_y == pytest.approx(420.5, abs=1e-12)


def test_w14_spectral_rows_to_velocity() -> None:
    # clinical.md W14: baseline row 120 (region-relative), dY = -1.5 (cm/s)/px
    (region,) = parse_regions(_image(_spectral()))
    row_abs = lambda r: 300 + r + 0.5  # noqa: E731 - region-relative row -> image coordinate of its centre
    assert region.to_physical(700.5, row_abs(0))[1] == pytest.approx(180.0)
    assert region.to_physical(700.5, row_abs(30))[1] == pytest.approx(135.0)
    assert region.to_physical(700.5, row_abs(240))[1] == pytest.approx(-180.0)
    # 250 px left of the time origin at 0.004 s/px = -1.0 s
    assert region.to_physical(450.5, row_abs(0))[0] == pytest.approx(-1.0)


def test_inverted_display_flips_sign() -> None:
    (region,) = parse_regions(_image(_spectral(delta_y=+1.5)))
    assert region.to_physical(700.5, 300.5)[1] == pytest.approx(-180.0)


def test_negative_delta_and_nonzero_reference_value_round_trip() -> None:
    # Acuson-style: dX = -0.052478 cm/px, reference value X = 13.697 cm at reference pixel x0 = 261
    item = _item(RegionLocationMinX0=10, RegionLocationMinY0=20, RegionLocationMaxX1=500, RegionLocationMaxY1=400,
                 RegionSpatialFormat=1, RegionDataType=1, RegionFlags=0, PhysicalUnitsXDirection=3,
                 PhysicalUnitsYDirection=3, PhysicalDeltaX=-0.052478, PhysicalDeltaY=0.052478,
                 ReferencePixelX0=261, ReferencePixelY0=0, ReferencePixelPhysicalValueX=13.697)
    (region,) = parse_regions(_image(item))
    # pixel index 281 is 10 px right of reference index 271: 13.697 + 10 * -0.052478 = 13.17222
    x, _ = region.to_physical(281.5, 100.5)
    assert x == pytest.approx(13.697 - 0.52478, rel=1e-12)
    assert region.to_image(*region.to_physical(123.25, 77.75)) == pytest.approx((123.25, 77.75))
    assert region.is_spatial


def test_region_outside_image_is_clipped_and_flagged_not_recalibrated() -> None:
    item = _item(RegionLocationMinX0=0, RegionLocationMinY0=0, RegionLocationMaxX1=595, RegionLocationMaxY1=414,
                 RegionSpatialFormat=1, RegionDataType=1, PhysicalUnitsXDirection=3, PhysicalUnitsYDirection=3,
                 PhysicalDeltaX=0.05, PhysicalDeltaY=0.05, ReferencePixelX0=300, ReferencePixelY0=0)
    (region,) = parse_regions(_image(item, rows=240, columns=320))
    assert region.clipped and region.bounds == (0, 0, 319, 239)
    assert region.location == (0, 0, 595, 414)
    assert "exceeds the 320x240 image" in region.warnings[0]
    assert region.to_physical(300.5, 0.5) == (0.0, 0.0)


def test_overlapping_regions_smaller_holding_all_points_wins() -> None:
    blank = _item(RegionLocationMinX0=0, RegionLocationMinY0=0, RegionLocationMaxX1=799, RegionLocationMaxY1=599,
                  RegionSpatialFormat=0, RegionDataType=0)
    sector = _item(RegionLocationMinX0=100, RegionLocationMinY0=50, RegionLocationMaxX1=500, RegionLocationMaxY1=450,
                   RegionSpatialFormat=1, RegionDataType=1, PhysicalUnitsXDirection=3, PhysicalUnitsYDirection=3,
                   PhysicalDeltaX=0.03, PhysicalDeltaY=0.02)
    regions = parse_regions(_image(blank, sector))
    assert region_for_points(regions, [(200.0, 100.0), (300.0, 200.0)]).index == 1


def test_refusals_name_the_reason() -> None:
    sector = _item(RegionLocationMinX0=0, RegionLocationMinY0=0, RegionLocationMaxX1=399, RegionLocationMaxY1=299,
                   RegionSpatialFormat=1, RegionDataType=1, PhysicalUnitsXDirection=3, PhysicalUnitsYDirection=3,
                   PhysicalDeltaX=0.03, PhysicalDeltaY=0.02)
    regions = parse_regions(_image(sector, _spectral()))
    with pytest.raises(CalibrationError, match="different regions"):
        region_for_points(regions, [(10.0, 10.0), (700.0, 400.0)], what="LVOT diameter")
    with pytest.raises(CalibrationError, match="outside every calibrated region"):
        region_for_points(regions, [(10.0, 10.0), (790.0, 590.0)])
    with pytest.raises(CalibrationError, match="uncalibrated"):
        region_for_points((), [(10.0, 10.0)])
