"""Meaning is explicit: a mark drawn with a tool has no label (and no purpose) until the user gives one,
the label box starts empty, offers only labels that fit the region under the mark, and a clinical
label grades the mark. Real mouse events on the demo loops; the CLI ``measure`` contract for an
unlabelled mark. Calibrations are the demo phantom's (demo/phantom.py), repeated in test_annotate:
2D region 0 of the ME long-axis loop Δx = 0.025 cm/px, Δy = 0.0225 cm/px; CW strip Δt = 0.004 s/px.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from gui.annotate import LABEL_PLACEHOLDER
from gui.main import main
from measurements.compute import UNLABELLED_WARNING
from measurements.marks import mark_to_json
from tests.gui import test_annotate
from tests.gui.conftest import open_in
from tests.gui.test_annotate import DT, _long_axis, at_one_to_one, click, drag
from tests.measurements.factories import region_item, write_us_image

#: The demo window with a new case (the fixture of test_annotate).
annotating = test_annotate.annotating

DOPPLER = {"MV inflow CW", "MR jet CW", "LVOT PW", "Peak velocity", "R-R interval"}
LENGTHS = {"P2 residual leaflet length", "LVOT diameter", "Mitral annulus diameter", "Space beside device"}


def _items(box: Any) -> set[str]:
    return {box.itemText(i) for i in range(box.count())}


def test_a_caliper_drawn_with_the_tool_is_unlabelled_until_a_label_is_chosen(qtbot: Any, annotating: Any,
                                                                            demo_study: Any, tmp_path: Path) -> None:
    win = annotating
    viewport = _long_axis(qtbot, win, demo_study)
    QTest.keyClick(win, Qt.Key.Key_D)
    box = win.annotation.label_box
    assert box.currentText() == "" and box.lineEdit().placeholderText() == LABEL_PLACEHOLDER
    drag(viewport, (200.5, 300.5), (260.5, 380.5))
    doc = win.session.document
    (mark,) = doc.marks
    assert mark.label == "" and mark.purpose is None
    assert "purpose" not in mark_to_json(mark) and mark_to_json(mark)["label"] == ""
    # 60 px × 0.025 cm = 1.5 cm across, 80 px × 0.0225 cm = 1.8 cm down: √(1.5² + 1.8²) = 2.343 cm
    (result,) = doc.results_of(mark.id)
    assert result.quantity == "distance" and result.value == pytest.approx(math.sqrt(1.5 ** 2 + 1.8 ** 2), rel=1e-9)
    assert result.grades == () and UNLABELLED_WARNING in result.warnings
    assert "2.34 cm" in win.annotation.overlay().labels[mark.id].textItem.toPlainText()  # shown all the same

    path = tmp_path / "unlabelled.mitraplan.json"
    win.session.ask_save_path = lambda: path
    QTest.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    (saved,) = json.loads(path.read_text(encoding="utf-8"))["marks"]
    assert saved["label"] == "" and "purpose" not in saved

    QTest.keyClick(win, Qt.Key.Key_Escape)  # select mode
    click(viewport, 230.5, 340.5)  # on the caliper line
    assert win.annotation.overlay().selected == mark.id
    assert box.currentText() == ""
    assert _items(box) >= LENGTHS and not _items(box) & DOPPLER  # a 2D tissue image: no Doppler meaning
    box.setCurrentIndex(box.findText("P2 residual leaflet length"))
    box.activated.emit(box.currentIndex())
    labelled = doc.mark(mark.id)
    assert labelled.label == "P2 residual leaflet length" and labelled.purpose == "posterior_leaflet_length"
    (graded,) = doc.results_of(mark.id)
    assert graded.value == pytest.approx(result.value, rel=1e-12)
    assert [g.label for g in graded.grades] == ["favourable (≥10 mm)"] and UNLABELLED_WARNING not in graded.warnings


def test_a_label_that_does_not_fit_the_region_is_not_given(qtbot: Any, annotating: Any, demo_study: Any) -> None:
    """A leaflet length chosen in the box, then a caliper on the CW strip: the strip measures time, so
    the mark stays unlabelled; selecting it offers Doppler meanings only."""
    win = annotating
    viewport = open_in(qtbot, win, demo_study.files["cw_mv_inflow"])
    at_one_to_one(viewport, (150, 420))
    QTest.keyClick(win, Qt.Key.Key_D)
    box = win.annotation.label_box
    box.setCurrentText("P2 residual leaflet length")
    drag(viewport, (100.5, 450.5), (150.5, 450.5))
    doc = win.session.document
    (mark,) = doc.marks
    assert mark.region == 1 and mark.label == "" and mark.purpose is None
    (result,) = doc.results_of(mark.id)
    assert result.quantity == "time_interval" and result.value == pytest.approx(50 * DT * 1000, rel=1e-9)  # 200 ms
    assert result.grades == ()
    QTest.keyClick(win, Qt.Key.Key_Escape)
    click(viewport, 125.5, 450.5)
    assert win.annotation.overlay().selected == mark.id
    assert _items(box) == DOPPLER


def test_measure_cli_reports_an_unlabelled_mark_without_grade_and_with_the_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 2D tissue image of 0.02 cm/px (as a TEE B-mode loop); the unlabelled caliper's purpose says
    vena contracta, which a labelled one would grade (0.60 cm: 2+/3+ moderate)."""
    sop = "1.2.826.0.1.3680043.99.31"
    write_us_image(tmp_path / "IM.dcm", sop, [region_item((0, 0, 399, 299), 1, 1, (3, 3), (0.02, 0.02))])
    mark = {"id": "m1", "type": "distance", "label": "", "sop_instance_uid": sop, "frame_number": 1, "region": 0,
            "purpose": "vena_contracta", "points": [[10.5, 10.5], [40.5, 10.5]]}
    case = {"format": "mitraplan-case", "version": 1, "study": {}, "notes": "",
            "images": [{"sop_instance_uid": sop, "path": "IM.dcm"}], "marks": [mark]}
    path = tmp_path / "c.mitraplan.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    assert main(["measure", str(path)]) == 0
    captured = capsys.readouterr()
    (m,) = json.loads(captured.out)["measurements"]
    assert m["quantity"] == "distance" and m["value"] == pytest.approx(0.60)  # 30 px × 0.02 cm
    assert "grade" not in m and "grades" not in m
    assert m["warnings"] == [UNLABELLED_WARNING] and m["label"] == "Unlabelled m1"
    assert "mark 'm1' is unlabelled" in captured.err


def test_the_json_report_lists_an_unlabelled_mark_as_unlabelled_and_ungraded(tmp_path: Path) -> None:
    """Same 0.02 cm/px 2D image: an unlabelled 0.60 cm caliper beside a labelled vena contracta of 0.60 cm."""
    from planning.case import load_case
    from report.build import build_report
    from report.json_export import report_to_json, validate

    sop = "1.2.826.0.1.3680043.99.32"
    write_us_image(tmp_path / "IM.dcm", sop, [region_item((0, 0, 399, 299), 1, 1, (3, 3), (0.02, 0.02))])
    base = {"type": "distance", "sop_instance_uid": sop, "frame_number": 1, "region": 0,
            "points": [[10.5, 10.5], [40.5, 10.5]]}
    case = {"format": "mitraplan-case", "version": 1, "study": {}, "notes": "",
            "images": [{"sop_instance_uid": sop, "path": "IM.dcm"}],
            "marks": [{**base, "id": "m1", "label": ""},
                      {**base, "id": "m2", "label": "Vena contracta", "purpose": "vena_contracta"}]}
    path = tmp_path / "c.mitraplan.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    report, _ = build_report(load_case(path))
    document = report_to_json(report)
    validate(document)
    by_id = {m["id"]: m for m in document["measurements"]}
    assert by_id["m1.distance"]["label"] == "Unlabelled m1" and by_id["m1.distance"]["grades"] == []
    assert by_id["m1.distance"]["warnings"] == [UNLABELLED_WARNING] and by_id["m1.distance"]["value"] == pytest.approx(0.6)
    assert by_id["m2.vena_contracta"]["grades"][0]["label"].startswith("2+/3+ moderate")
    assert {m["id"]: m["label"] for m in document["marks"]} == {"m1": "", "m2": "Vena contracta"}
