"""User calibration: a line of known length on an image whose regions were dropped (issue 12).

The region-less image is a demo phantom loop with SequenceOfUltrasoundRegions deleted, as a PACS
export or an older cart delivers it (tests/measurements/regionless.py).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from gui.main import main
from imaging.errors import CalibrationError
from measurements.calibration import (
    USER_CALIBRATION_WARNING,
    CalibrationEntryError,
    UserCalibration,
    check_may_calibrate,
    parse_calibrations,
    scale_from_lines,
)
from measurements.compute import measure_all
from measurements.marks import Mark, MarkError, MarkType, mark_from_json, mark_to_json
from planning.case import CaseError, load_case, measure_case, parse_case
from tests.measurements.factories import spatial_region, spectral_region
from tests.measurements.regionless import write_regionless, write_scanner_calibrated

# A horizontal line of 200 px said to be 4.0 cm: 4.0 / 200 = 0.02 cm per pixel.
LINE = [[100.5, 100.5], [300.5, 100.5]]
CAL = {"id": "cal1", "sop_instance_uid": "", "frame_number": 1, "points": LINE, "distance_cm": 4.0}


def _case(tmp_path: Path, marks: list[dict[str, Any]], *, regionless: bool = True,
          calibrations: list[dict[str, Any]] | None = None) -> Path:
    image = tmp_path / ("IM_PACS.dcm" if regionless else "IM_SCANNER.dcm")
    sop = write_regionless(image) if regionless else write_scanner_calibrated(image)
    cals = [{**CAL, "sop_instance_uid": sop}] if calibrations is None else calibrations
    doc = {"format": "mitraplan-case", "version": 1, "study": {}, "notes": "",
           "images": [{"sop_instance_uid": sop, "path": image.name}],
           "marks": [{**m, "sop_instance_uid": sop} for m in marks], "calibrations": cals}
    path = tmp_path / "c.mitraplan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


CALIPER = {"id": "m1", "type": "distance", "label": "P2 residual leaflet length", "frame_number": 2,
           "calibration": "cal1", "points": [[110.5, 200.5], [110.5, 350.5]]}
POLYGON = {"id": "m2", "type": "area", "label": "Lateral orifice planimetry", "frame_number": 1,
           "calibration": "cal1", "points": [[400, 300], [500, 300], [500, 350], [400, 350]]}


def test_scale_of_one_line_and_of_two_lines_by_hand() -> None:
    assert scale_from_lines(LINE, 4.0) == pytest.approx((0.02, 0.02))
    # across: 200 px = 4 cm (0.02 cm/px); down: 100 px = 3 cm (0.03 cm/px)
    sx, sy = scale_from_lines(LINE, 4.0, [[50.0, 10.0], [50.0, 110.0]], 3.0)
    assert (sx, sy) == pytest.approx((0.02, 0.03))
    # a diagonal of the second image: dx 30 px, dy 40 px -> hypot(0.6, 1.2) cm
    sx, sy = scale_from_lines([[0, 0], [30, 40]], math.hypot(0.6, 1.2), [[0, 0], [100, 0]], 2.0)
    assert (sx, sy) == pytest.approx((0.02, 0.03))


@pytest.mark.parametrize(("entry", "message"), [
    ({**CAL, "sop_instance_uid": "1.2", "distance_cm": 0}, r"calibrations\[0\] \(calibration 'cal1'\).distance_cm"),
    ({**CAL, "sop_instance_uid": "1.2", "distance_cm": "4"}, "distance_cm must be a length in cm"),
    ({**CAL, "sop_instance_uid": "1.2", "points": [[0, 0]]}, "points must be two"),
    ({**CAL, "sop_instance_uid": "1.2", "points": [[0, 0], [3, 0]]}, "at least 10 pixels"),
    ({**CAL, "sop_instance_uid": ""}, "sop_instance_uid must be a non-empty string"),
    ({**CAL, "sop_instance_uid": "1.2", "frame_number": 0}, "frame_number is 1-based"),
    ({**CAL, "sop_instance_uid": "1.2", "points_2": [[0, 0], [200, 0]], "distance_2_cm": 4.0},
     "do not separate x from y"),
])
def test_malformed_calibrations_are_named(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(CalibrationEntryError, match=message):
        parse_calibrations([entry])


def test_a_bad_calibration_refuses_the_case_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match=r"c.mitraplan.json: calibrations\[0\].*distance_cm"):
        parse_case({"format": "mitraplan-case", "version": 1, "calibrations": [{**CAL, "sop_instance_uid": "1.2",
                                                                                "distance_cm": -1}]},
                   tmp_path / "c.mitraplan.json")


def test_round_trip_of_a_calibration_and_a_mark_through_it() -> None:
    entry = {**CAL, "sop_instance_uid": "1.2", "later": {"kept": True}}
    (cal,) = parse_calibrations([entry])
    assert cal.to_json() == entry
    mark = mark_from_json({**CALIPER, "sop_instance_uid": "1.2"})
    assert mark.calibration == "cal1"
    written = mark_to_json(mark)
    assert written["calibration"] == "cal1" and "region" not in written
    with pytest.raises(MarkError, match="names both a region and a calibration"):
        mark_from_json({**CALIPER, "sop_instance_uid": "1.2", "region": 0})


def test_caliper_and_polygon_through_the_calibration_by_hand(tmp_path: Path) -> None:
    results, errors = measure_case(load_case(_case(tmp_path, [CALIPER, POLYGON])))
    assert errors == []
    by_id = {r.id: r for r in results}
    # 150 px down at 0.02 cm/px = 3.00 cm (measured on frame 2: the calibration is of the image)
    assert by_id["m1.distance"].value == pytest.approx(3.0, rel=1e-9) and by_id["m1.distance"].unit == "cm"
    # 100 x 50 px = 5000 px² at 0.0004 cm² per px² = 2.00 cm²
    assert by_id["m2.area"].value == pytest.approx(2.0, rel=1e-9) and by_id["m2.area"].unit == "cm2"
    assert all(USER_CALIBRATION_WARNING in r.warnings for r in results)


def test_calculations_over_user_calibrated_marks_carry_the_warning() -> None:
    cal = UserCalibration("cal1", "1.2", 1, ((0.0, 0.0), (100.0, 0.0)), 1.0)
    marks = [Mark(f"o{i}", MarkType.AREA, f"Orifice {i}", "1.2", 1, 0, ((0, 0), (10, 0), (10, 10), (0, 10)),
                  purpose="orifice", calibration="cal1") for i in (1, 2)]
    results, errors = measure_all(marks, [], lambda _sop: (), calibrations=[cal])
    assert errors == []
    (total,) = [r for r in results if r.quantity == "mva_planimetry"]
    assert total.value == pytest.approx(0.02)  # 2 x 100 px² at 0.0001 cm²/px²
    assert USER_CALIBRATION_WARNING in total.warnings


def test_a_scanner_calibrated_image_refuses_the_user_calibration(tmp_path: Path) -> None:
    # the demo tissue region covers x 80..719, y 40..579: the caliper lies inside it
    results, errors = measure_case(load_case(_case(tmp_path, [CALIPER], regionless=False, calibrations=[])))
    assert results == [] and "calibration 'cal1' is not in the case" in errors[0][1]
    path = _case(tmp_path, [CALIPER], regionless=False, calibrations=None)
    results, errors = measure_case(load_case(path))
    assert results == []
    assert errors[0][0] == "m1" and "the scanner has calibrated this part of the image" in errors[0][1]


def test_a_calibration_line_on_the_scanner_region_is_refused_even_for_marks_outside_it() -> None:
    # a case edited by hand: the line lies in the scanner's 2D region (x 0..99), the mark beside it
    cal = UserCalibration("cal1", "1.2", 1, ((10.5, 10.5), (60.5, 10.5)), 1.0)
    mark = Mark("m1", MarkType.DISTANCE, "Leaflet", "1.2", 1, 0, ((150.5, 10.5), (190.5, 10.5)), calibration="cal1")
    _, errors = measure_all([mark], [], lambda _sop: [spatial_region(bounds=(0, 0, 99, 99))], calibrations=[cal])
    assert errors[0][1].startswith("mark 'm1': its calibration 'cal1': the scanner has calibrated")


def test_doppler_spectra_cannot_be_calibrated_by_hand() -> None:
    with pytest.raises(CalibrationError, match="Doppler spectrum"):
        check_may_calibrate([spectral_region()], [(10.5, 300.5), (200.5, 300.5)], "the calibration line")
    with pytest.raises(CalibrationError, match="scanner has calibrated"):
        check_may_calibrate([spatial_region()], [(10.5, 10.5), (200.5, 10.5)], "the calibration line")
    check_may_calibrate([spatial_region(bounds=(0, 0, 99, 99))], [(110.5, 110.5), (300.5, 110.5)], "the line")


def test_measure_command_prints_values_and_the_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["measure", str(_case(tmp_path, [CALIPER, POLYGON]))]) == 0
    out = {m["id"]: m for m in json.loads(capsys.readouterr().out)["measurements"]}
    assert out["m1.distance"]["value"] == pytest.approx(3.0) and out["m2.area"]["value"] == pytest.approx(2.0)
    assert USER_CALIBRATION_WARNING in out["m1.distance"]["warnings"]
    assert USER_CALIBRATION_WARNING in out["m2.area"]["warnings"]


def test_report_json_carries_the_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    assert main(["report", str(_case(tmp_path, [CALIPER])), "--out", str(out_dir)]) == 0
    report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    (m,) = [m for m in report["measurements"] if m["id"] == "m1.distance"]
    assert m["value"] == pytest.approx(3.0) and USER_CALIBRATION_WARNING in m["warnings"]


def test_the_sr_carries_the_warning_on_the_value(tmp_path: Path) -> None:
    # the echo SR's NUM of a user-calibrated caliper (150 px at 0.02 cm/px = 3.00 cm) has a Comment saying so
    import pydicom

    out_dir = tmp_path / "out"
    assert main(["report", str(_case(tmp_path, [CALIPER])), "--out", str(out_dir)]) == 0

    def nums(item: pydicom.Dataset) -> list[pydicom.Dataset]:
        found = []
        for child in item.get("ContentSequence", []):
            found += [child] if child.ValueType == "NUM" else nums(child)
        return found

    sr = pydicom.dcmread(out_dir / "report-sr.dcm")
    (num,) = [n for n in nums(sr) if float(n.MeasuredValueSequence[0].NumericValue) == pytest.approx(3.0)]
    comments = [c.TextValue for c in num.ContentSequence
                if c.ValueType == "TEXT" and c.ConceptNameCodeSequence[0].CodeValue == "121106"]
    assert comments and USER_CALIBRATION_WARNING in comments[0]


def test_pdf_measurement_table_carries_the_warning(tmp_path: Path) -> None:
    from report.build import build_report
    from report.pdf import report_html

    report, _sources = build_report(load_case(_case(tmp_path, [CALIPER])))
    html = report_html(report, 900)
    assert "measured through a user calibration" in html and "3.00" in html


def test_a_real_region_less_file_is_measurable_through_a_user_calibration(tmp_path: Path, realdata: Path) -> None:
    """The ITK-SNAP echo sample (56 x 52 px, 30 frames) carries no Sequence of Ultrasound Regions."""
    import pydicom

    image = realdata / "itksnap_echo_cartesian_dummy.dcm"
    sop = str(pydicom.dcmread(image, stop_before_pixels=True).SOPInstanceUID)
    doc = {"format": "mitraplan-case", "version": 1, "study": {},
           "images": [{"sop_instance_uid": sop, "path": str(image)}],
           # 40 px across said to be 2.0 cm: 0.05 cm per pixel; the caliper runs 30 px down: 1.50 cm
           "calibrations": [{"id": "cal1", "sop_instance_uid": sop, "frame_number": 1,
                             "points": [[5.5, 5.5], [45.5, 5.5]], "distance_cm": 2.0}],
           "marks": [{"id": "m1", "type": "distance", "label": "Leaflet length", "sop_instance_uid": sop,
                      "frame_number": 3, "calibration": "cal1", "points": [[10.5, 10.5], [10.5, 40.5]]}]}
    path = tmp_path / "real.mitraplan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    results, errors = measure_case(load_case(path))
    assert errors == []
    (distance,) = results
    assert distance.value == pytest.approx(1.5, rel=1e-9) and USER_CALIBRATION_WARNING in distance.warnings


def test_a_region_less_image_without_calibration_says_how_to_measure_it(tmp_path: Path) -> None:
    plain = {k: v for k, v in CALIPER.items() if k != "calibration"} | {"region": 0}
    results, errors = measure_case(load_case(_case(tmp_path, [plain], calibrations=[])))
    assert results == [] and "uncalibrated" in errors[0][1] and "Calibrate…" in errors[0][1]
