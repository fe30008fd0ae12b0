"""One number per quantity: the demo report read as a reader reads it (PDF tables and texts, report.json,
the SR's NUMs) quotes one mean gradient, MVA, PISA flow and EROA everywhere, at reporting precision.

The demo's two inflow beats are identical; the second case scales beat 2's velocities by 1.1 so that a
beat, the other beat and their average are three different numbers (the bug: 6.6, 6.5 and 11.9 mmHg in
one report). Hand arithmetic (the beat's vertices, trapezoid of v² per segment, test_demo_report.py):
beat 1 MG = 4 · 0.573146 / 0.35 = 6.55024 mmHg; beat 2 ×1.1 in velocity is ×1.21 in gradient, 7.92579;
mean 7.23801 → 7.2 mmHg, SD |7.92579 − 6.55024| / √2 = 0.97266 → 1.0. MVA by PHT 220 / 150 ms = 1.47 cm²
(PHT is a time, unchanged by the scale); PISA flow 2π · 0.45² · 38.5 = 48.985 → 49.0 mL/s; EROA
48.985 / 500 = 0.098 → 0.10 cm². Heart rate: beats one R-R (0.8333 s) apart → 72 bpm. MVA by 3D MPR
planimetry: the demo volume's two orifices traced en face fully open (demo/volume_phantom.py ellipses, semi-axes
5.0 × 3.2 mm and 4.0 × 2.5 mm), π(16 + 10) mm² = 81.681 mm² → 0.82 cm², the case's one planimetered MVA.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from measurements.concepts import number_text
from planning.case import load_case
from report.build import build_report
from report.export import export_report
from report.pdf import report_html, section_number

from .demo_outputs import html_rows, html_text, sr_nums, write_demo
from .test_summary_page import page_text as pdf_text  # reading order: a wrapped cell stays whole

MG_BEAT1 = 4 * 0.573146 / 0.35
MEAN_GRADIENT = "20256-4"
MEAN_VALUE_CHOSEN, MEASURED = "121412", "258104002"  # DCM Selection Status; SCT Derivation "Measured"
ORIFICE_AREA, PHT_METHOD, PISA_METHOD, PEAK_FLOW_RATE = "399367004", "125210", "125216", "34141-2"
PLANIMETRY_METHOD = "125220"
MVA_3D = f"{math.pi * (5.0 * 3.2 + 4.0 * 2.5) / 100:.2f}"  # cm²

CASES = {  # beat-2 scale -> (average shown, SD shown, per-beat shown)
    1.0: ("6.6 mmHg", "0.0", ["6.6 mmHg", "6.6 mmHg"]),
    1.1: ("7.2 mmHg", "1.0", ["6.6 mmHg", "7.9 mmHg"]),
}


@pytest.fixture(scope="module", params=sorted(CASES), ids=["equal beats", "beat 2 x1.1"])
def outputs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("one_number")
    report, sources = build_report(load_case(write_demo(root, beat2_scale=request.param)))
    result = export_report(report, sources, root / "out")
    return {"scale": request.param, "report": report, "result": result,
            "json": json.loads(result.json.read_text(encoding="utf-8")),
            "rows": html_rows(report_html(report, 700)), "pdf": pdf_text(result.pdf), "sr": sr_nums(result.sr)}


def _findings(document: dict[str, Any]) -> list[dict[str, Any]]:
    a = document["assessment"]
    return [*a["stenosis"]["findings"], *a["redo_teer"]["findings"],
            *(f for o in a["options"] for f in (*o["favouring"], *o["against"]))]


def _numbers(text: str, unit: str) -> list[str]:
    return re.findall(rf"(\d+(?:\.\d+)?)\s{re.escape(unit)}", text)


def test_hand_arithmetic_of_the_beats() -> None:
    mean = (MG_BEAT1 + MG_BEAT1 * 1.21) / 2
    assert number_text("mean_gradient", mean) == "7.2"
    assert number_text("mean_gradient", abs(MG_BEAT1 * 1.21 - MG_BEAT1) / 2 ** 0.5) == "1.0"


def test_one_mean_gradient_in_summary_tables_and_texts(outputs: dict[str, Any]) -> None:
    average, sd, beats = CASES[outputs["scale"]]
    rows = outputs["rows"]
    summary = [cells[1] for section, cells in rows if section == "Residual MR and stenosis" and cells[0] == "Mean gradient"]
    assert summary == [f"{average} (mean of 2 beats, SD {sd} mmHg; rhythm sinus; HR 72 bpm)"]  # MG with HR and rhythm
    stenosis = [cells[1] for section, cells in rows if section.startswith("4.") and "mean gradient" in cells[0]]
    assert stenosis == [f"{average} (mean of 2 beats, SD {sd} mmHg; rhythm sinus; HR 72 bpm)"]  # as page 1 prints it
    table = [cells for section, cells in rows if section.startswith("5.") and "mean gradient" in cells[0]]
    averaged = [c[1] for c in table if not c[0].startswith("└")]
    listed_beats = [c[1] for c in table if c[0].startswith("└")]
    assert averaged == [f"{average} mean of 2 beats, SD {sd} mmHg; HR 72 bpm"]  # the average, n, SD and HR
    assert listed_beats == beats  # each beat listed under it
    options = f"{section_number('Decision support', outputs['report'])}. Decision support"
    texts = [cells[1] for section, cells in rows if section == options and "Mean gradient" in cells[1]]
    assert texts  # the detail pages' decision support quotes it
    texts += [f["text"] for f in _findings(outputs["json"]) if "Mean gradient" in f["text"]]
    assert texts and all(_numbers(t, "mmHg")[0] == average.split()[0] for t in texts)
    assert f"Mean gradient {average} (mean of 2 beats, SD {sd} mmHg; rhythm sinus; HR 72 bpm)" in outputs["pdf"]


def test_one_mean_gradient_in_json_and_sr(outputs: dict[str, Any]) -> None:
    average, sd, beats = CASES[outputs["scale"]]
    document = outputs["json"]
    by_id = {m["id"]: m for m in document["measurements"]}
    chosen = by_id[document["selected"]["mean_gradient"]]
    assert (chosen["shown"], chosen["beats"], number_text("mean_gradient", chosen["sd"])) == (average, 2, sd)
    inflow_beats = [m for m in document["measurements"] if m["quantity"] == "mean_gradient" and m["id"] != chosen["id"]]
    assert sorted(m["shown"] for m in inflow_beats) == sorted(beats)
    assert all(set(m["source"]) < set(chosen["source"]) for m in inflow_beats)  # each one of its beats
    gradients = [(number_text("mean_gradient", v), codes) for code, v, codes in outputs["sr"] if code == MEAN_GRADIENT]
    chosen_in_sr = [value for value, codes in gradients if MEAN_VALUE_CHOSEN in codes]
    measured = [value for value, codes in gradients if MEASURED in codes]
    assert chosen_in_sr == [average.split()[0]]  # the SR's "Mean value chosen" is the report's number
    assert sorted(measured) == sorted(b.split()[0] for b in beats) and len(gradients) == 3


def test_one_mva_pisa_flow_and_eroa_everywhere(outputs: dict[str, Any]) -> None:
    document, rows, nums = outputs["json"], outputs["rows"], outputs["sr"]
    shown = {m["quantity"]: {x["shown"] for x in document["measurements"] if x["quantity"] == m["quantity"]}
             for m in document["measurements"]}
    assert shown["mva_pht"] == {"1.47 cm²"} and shown["pisa_flow"] == {"49.0 mL/s"} and shown["eroa_pisa"] == {"0.10 cm²"}
    assert shown["mva_planimetry"] == {f"{MVA_3D} cm²"}
    by_id = {m["id"]: m for m in document["measurements"]}
    assert by_id[document["selected"]["mva_pht"]]["shown"] == "1.47 cm²"
    assert by_id[document["selected"]["mva_planimetry"]]["method"].startswith("3D MPR planimetry")
    stenosis = [cells[1] for section, cells in rows if section.startswith("4.") and "MVA" in cells[0]]
    warnings = document["assessment"]["stenosis"]["warnings"]
    # the PHT MVA is 220 / the mean PHT of 2 beats
    assert stenosis == [f"{MVA_3D} cm² (2 of 3 expected orifices summed: a lower bound)",
                        "1.47 cm² (mean of 2 beats; HR 72 bpm)"]
    assert all(_numbers(w, "cm²") == ["1.47", "1.5"] for w in warnings if "MVA" in w)
    summary = [cells for section, cells in rows if section == "Residual MR and stenosis" and "MVA" in cells[0]]
    # the demo sums 2 of the 3 orifices its 2 devices imply (confirmed): the summary says it is a lower bound
    assert summary == [["MVA, 3D planimetry", f"{MVA_3D} cm² (2 of 3 expected orifices summed: a lower bound)"],
                       ["MVA, PHT", "1.47 cm²"]]
    table = {cells[1] for section, cells in rows if section.startswith("5.") and ("MVA" in cells[0] or "PISA:" in cells[0])}
    assert table == {f"{MVA_3D} cm²", "1.47 cm²", "1.47 cm² mean of 2 beats; HR 72 bpm", "49.0 mL/s", "0.10 cm²", "15 mL"}
    jets = [cells for section, cells in rows if section.startswith("2.") and cells[0] == "J1"]
    assert jets[0][4] == "0.10 cm²"
    mva = {number_text("mva_pht", v) for code, v, codes in nums if code == ORIFICE_AREA and PHT_METHOD in codes}
    planimetry = {number_text("mva_planimetry", v) for code, v, codes in nums
                  if code == ORIFICE_AREA and PLANIMETRY_METHOD in codes}
    eroa = {number_text("eroa_pisa", v) for code, v, codes in nums if code == ORIFICE_AREA and PISA_METHOD in codes}
    flow = {number_text("pisa_flow", v) for code, v, _ in nums if code == PEAK_FLOW_RATE}
    assert (mva, planimetry, eroa, flow) == ({"1.47"}, {MVA_3D}, {"0.10"}, {"49.0"})


def test_every_finding_that_quotes_a_value_names_it(outputs: dict[str, Any]) -> None:
    document = outputs["json"]
    shown = {m["id"]: m["shown"] for m in document["measurements"]}
    quoting = [f for f in _findings(document) if f["measurements"]]
    assert quoting, "no finding names the measurements it quotes"
    for f in quoting:
        for rid in f["measurements"]:
            assert shown[rid] in f["text"], (rid, f["text"])
    for f in _findings(document):
        if re.search(r"\d\s(?:mmHg|cm²|mL/s)", f["text"]):  # a measured value in the text: it is named
            assert f["measurements"], f["text"]


def test_the_pdf_has_no_other_gradient(outputs: dict[str, Any]) -> None:
    """Any mmHg number the PDF prints is the average, its SD, a listed beat, a peak gradient or a cut-off."""
    average, _, beats = CASES[outputs["scale"]]
    document = outputs["json"]
    known = {m["shown"].split()[0] for m in document["measurements"] if m["unit"] == "mmHg"}
    known |= {number_text(m["quantity"], m["sd"]) for m in document["measurements"]  # the averages' SDs
              if m["unit"] == "mmHg" and m["sd"] is not None}
    quoted = set(_numbers(html_text(report_html(outputs["report"], 700)), "mmHg"))
    cut_offs = {"5", "10", "4", "6", "8"}  # MVARC 5, redo stop 10, amber 4-6, ... thresholds printed by the texts
    assert quoted - known - cut_offs == set(), quoted - known
    assert {average.split()[0], *(b.split()[0] for b in beats)} <= quoted


def test_report_json_is_written_from_the_same_model(outputs: dict[str, Any]) -> None:
    report = outputs["report"]
    assert outputs["json"]["selected"] == report.selected_ids
