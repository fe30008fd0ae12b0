"""Calibration that is not a number or not physical: the region is flagged unusable with the reason.

Imitates the audit's bogus Sequence of Ultrasound Regions: NaN and infinite deltas (``bool(nan)`` is
true, so they counted as calibrated and ``measure`` returned NaN cm), a delta of 1e-320 (an area of
0 cm2 without a word), a NaN reference value, reversed bounds and a rectangle outside the image.
"""

from __future__ import annotations

import math

import pytest
from pydicom.dataset import Dataset

from imaging.errors import CalibrationError
from imaging.regions import parse_regions
from measurements.doppler import require_spectral
from measurements.geometry import area_cm2, distance_cm, require_spatial


def _image(rows: int = 600, columns: int = 800, **values: object) -> Dataset:
    """One 2D tissue region in cm (0.03 cm/px, as a typical TEE sector), fields overridden by ``values``."""
    item = Dataset()
    fields: dict[str, object] = {
        "RegionSpatialFormat": 1, "RegionDataType": 1, "RegionFlags": 0, "RegionLocationMinX0": 10,
        "RegionLocationMinY0": 20, "RegionLocationMaxX1": 700, "RegionLocationMaxY1": 500,
        "PhysicalUnitsXDirection": 3, "PhysicalUnitsYDirection": 3, "PhysicalDeltaX": 0.03, "PhysicalDeltaY": 0.03,
    }
    fields.update(values)
    for keyword, value in fields.items():
        setattr(item, keyword, value)
    ds = Dataset()
    ds.Rows, ds.Columns = rows, columns
    ds.SequenceOfUltrasoundRegions = [item]
    return ds


def test_a_sane_region_stays_usable() -> None:
    (region,) = parse_regions(_image())
    assert region.problem is None and region.is_spatial
    # 100 px across at 0.03 cm/px = 3.0 cm
    assert distance_cm((100.5, 50.5), (200.5, 50.5), region) == pytest.approx(3.0)


@pytest.mark.parametrize(("values", "reason"), [
    ({"PhysicalDeltaX": math.nan}, "PhysicalDeltaX is nan: not a finite number"),
    ({"PhysicalDeltaY": math.inf}, "PhysicalDeltaY is inf: not a finite number"),
    ({"PhysicalDeltaX": -math.inf}, "PhysicalDeltaX is -inf: not a finite number"),
    ({"ReferencePixelPhysicalValueX": math.nan}, "ReferencePixelPhysicalValueX is nan: not a finite number"),
    ({"PhysicalDeltaX": 1e-320, "PhysicalDeltaY": 1e-320},
     "PhysicalDeltaX is 9.99989e-321 cm/pixel: outside the physical range 1e-05 to 1"),
    ({"PhysicalDeltaY": 1e30}, "PhysicalDeltaY is 1e+30 cm/pixel: outside the physical range 1e-05 to 1"),
    ({"PhysicalDeltaX": 0.0}, "PhysicalDeltaX is 0 cm/pixel: outside the physical range 1e-05 to 1"),
    ({"RegionLocationMinX0": 700, "RegionLocationMaxX1": 10},
     "region bounds are reversed [700, 20, 10, 500] (MaxX1 < MinX0 or MaxY1 < MinY0)"),
    ({"RegionLocationMinX0": 60000, "RegionLocationMaxX1": 65000},
     "region [60000, 20, 65000, 500] lies outside the 800x600 image"),
])
def test_bogus_calibration_flags_the_region_unusable(values: dict[str, object], reason: str) -> None:
    (region,) = parse_regions(_image(**values))
    assert region.problem == reason
    assert not region.is_calibrated and not region.is_spatial
    assert f"region 0 calibration is unusable: {reason}" in region.warnings
    info = region.as_info()
    assert info["usable"] is False and info["problem"] == reason
    with pytest.raises(CalibrationError, match=r"distance: region 0: 2D tissue calibration is unusable \("):
        require_spatial(region, "distance")


def test_a_tiny_delta_no_longer_gives_zero_square_centimetres_silently() -> None:
    (region,) = parse_regions(_image(PhysicalDeltaX=1e-320, PhysicalDeltaY=1e-320))
    square = [(100.0, 100.0), (200.0, 100.0), (200.0, 200.0), (100.0, 200.0)]
    assert area_cm2(square, region) == 0.0  # the arithmetic underflows: this is why the region is refused
    with pytest.raises(CalibrationError, match="calibration is unusable"):
        require_spatial(region, "area")


def test_a_spectral_region_with_nan_velocity_scale_is_refused() -> None:
    ds = _image(RegionSpatialFormat=3, RegionDataType=4, PhysicalUnitsXDirection=4, PhysicalUnitsYDirection=7,
                PhysicalDeltaX=0.004, PhysicalDeltaY=math.nan)
    (region,) = parse_regions(ds)
    with pytest.raises(CalibrationError, match=r"CW calibration is unusable \(PhysicalDeltaY is nan"):
        require_spectral(region, "trace")
