"""One PISA flow for one set of marks: the calculation dialog, the report's tables, report.json and the SR.

The mismatch (50.9 vs 49.0 mL/s for the demo's marks) was one formula fed two aliasing velocities: a
new PISA in the dialog started at 0.40 m/s while the calculation on the same loop had 0.385 m/s entered
(2π·0.45²·40 = 50.9, 2π·0.45²·38.5 = 49.0 mL/s). The dialog now assumes none (the box starts empty), and
the report names a radius used with two aliasing velocities.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from measurements.concepts import number_text
from planning.case import load_case
from report.build import aliasing_conflicts, build_report
from report.export import export_report
from report.pdf import report_html

from .demo_outputs import html_rows, sr_nums, write_demo
from .test_outputs import pdf_text

# The demo's colour loop is 0.0225 cm/px vertically: a 40 px radius is r = 0.9 cm. With Va = 0.40 m/s:
# Q = 2π · 0.9² · 40 = 2π · 0.81 · 40 = 203.575 mL/s → 203.6; the MR jet peaks at 5.00 m/s, so
# EROA = 203.575 / 500 = 0.40715 cm² → 0.41.
FLOW_SHOWN, EROA_SHOWN = "203.6 mL/s", "0.41 cm²"
PEAK_FLOW_RATE, ORIFICE_AREA, PISA_METHOD = "34141-2", "399367004", "125216"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("pisa")
    case_path = write_demo(root, pisa_radius_px=40.0, aliasing_m_s=0.40)
    report, sources = build_report(load_case(case_path))
    return case_path, report, export_report(report, sources, root / "out")


def test_the_flow_is_hand_arithmetic_in_every_output(exported) -> None:
    import json

    _, report, result = exported
    document = json.loads(result.json.read_text(encoding="utf-8"))
    shown = {m["id"]: m["shown"] for m in document["measurements"]}
    assert shown["c_pisa.pisa_flow"] == FLOW_SHOWN and shown["c_pisa.eroa_pisa"] == EROA_SHOWN
    assert [m["shown"] for m in document["measurements"] if m["quantity"] == "pisa_flow"] == [FLOW_SHOWN]
    rows = html_rows(report_html(report, 700))
    table = [cells for section, cells in rows if section.startswith("5.") and "PISA: flow rate" in cells[0]]
    assert [cells[1] for cells in table] == [FLOW_SHOWN]
    jets = [cells for section, cells in rows if section.startswith("2.") and cells[0] == "J1"]
    assert jets[0][4] == EROA_SHOWN  # the jet table's EROA column
    assert FLOW_SHOWN in pdf_text(result.pdf)
    flows = [v for code, v, _ in sr_nums(result.sr) if code == PEAK_FLOW_RATE]
    eroas = [v for code, v, codes in sr_nums(result.sr) if code == ORIFICE_AREA and PISA_METHOD in codes]
    assert [number_text("pisa_flow", v) for v in flows] == ["203.6"]
    assert [number_text("eroa_pisa", v) for v in eroas] == ["0.41"]


def test_a_new_pisa_in_the_dialog_computes_the_same_flow(qtbot, exported) -> None:
    from gui.panels.calculations import CalculationDialog
    from gui.session import CaseSession
    from tests.gui.panels.test_calculations import choose_mark

    case_path, _, _ = exported
    session = CaseSession()
    session.set_case(load_case(case_path))
    dialog = CalculationDialog(session)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.choice.setCurrentIndex(dialog.choice.findData("edit:c_pisa"))
    assert dialog.aliasing is not None and dialog.aliasing.text() == "0.4"
    assert f"flow rate</b>: {FLOW_SHOWN}" in dialog.result_label.text()
    dialog.choice.setCurrentIndex(dialog.choice.findData("new:pisa"))
    assert dialog.aliasing is not None and dialog.aliasing.text() == ""  # never assumed (it was 0.40)
    assert FLOW_SHOWN not in dialog.result_label.text()
    qtbot.keyClicks(dialog.aliasing, "0.40")
    for key, mark in (("radius_mark", "m_pisa_r"), ("mr_trace_mark", "m_mr")):  # never chosen for the user
        choose_mark(qtbot, dialog.inputs[key], mark)
    assert f"flow rate</b>: {FLOW_SHOWN}" in dialog.result_label.text()


def test_two_aliasing_velocities_for_one_radius_are_named() -> None:
    calcs = [{"id": "c1", "type": "pisa", "radius_mark": "m_r", "aliasing_velocity_m_s": 0.385},
             {"id": "c2", "type": "pisa", "radius_mark": "m_r", "aliasing_velocity_m_s": 0.40},
             {"id": "c3", "type": "pisa", "radius_mark": "m_other", "aliasing_velocity_m_s": 0.50}]
    (message,) = aliasing_conflicts(calcs)
    assert "m_r" in message and "c1: 0.385 m/s" in message and "c2: 0.4 m/s" in message
    assert aliasing_conflicts(calcs[:1] + calcs[2:]) == []


def test_the_report_lists_the_conflict(tmp_path: Path) -> None:
    case = load_case(write_demo(tmp_path))
    case.calculations.append({**case.calculations[0], "id": "c_pisa2", "aliasing_velocity_m_s": 0.40})
    report, _ = build_report(case)
    assert any("c_pisa: 0.385 m/s" in e and "c_pisa2: 0.4 m/s" in e for e in report.errors)
