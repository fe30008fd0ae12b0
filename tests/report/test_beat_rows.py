"""A trace over three beats in the report: its average with n, SD and HR, each beat listed under it,
beat/beats/sd in report.json (a hand-built model: the numbers are the ones entered below)."""

from __future__ import annotations

from dataclasses import replace

from report.json_export import report_to_json, validate
from report.model import Measurement, Report
from report.pdf import report_html

from .conftest import sample_report
from .demo_outputs import html_rows

# Three beats 6.5, 6.6, 6.8 mmHg: mean 6.6333 → 6.6; sample SD √((0.1333² + 0.0333² + 0.1667²)/2) = 0.1528 → 0.2.
# Beats 0.80 s apart: 75 bpm.
BEATS = (6.5, 6.6, 6.8)
MEAN, SD = sum(BEATS) / 3, 0.15275252316519466


def _with_trace(report: Report) -> Report:
    trace = [Measurement(f"m9.beat{k}.mean_gradient", f"MV inflow, beat {k}: mean gradient", "mean_gradient", v,
                         "mmHg", ("m9",), beat=k) for k, v in enumerate(BEATS, start=1)]
    trace += [Measurement(f"m9.beat{k}.heart_rate", f"MV inflow, beat {k}: heart rate", "heart_rate", 75.0, "bpm",
                          ("m9",), beat=k) for k in (1, 2)]
    trace += [Measurement("m9.mean_gradient", "MV inflow: mean gradient, mean of 3 beats", "mean_gradient", MEAN,
                          "mmHg", ("m9",), beats=3, sd=SD),
              Measurement("m9.heart_rate", "MV inflow: heart rate", "heart_rate", 75.0, "bpm", ("m9",), beats=2,
                          sd=0.0)]
    return replace(report, measurements=(*report.measurements, *trace),
                   selected_ids={**report.selected_ids, "mean_gradient": "m9.mean_gradient",
                                 "heart_rate": "m9.heart_rate"})


def test_the_average_shows_n_sd_and_hr_and_lists_its_beats(study) -> None:
    report = _with_trace(sample_report(study))
    rows = html_rows(report_html(report, 700))
    summary = [c[1] for s, c in rows if s == "Residual MR and stenosis" and c[0] == "Mean gradient"]
    assert summary == ["6.6 mmHg (mean of 3 beats, SD 0.2 mmHg; HR 75 bpm)"]
    table = [c for s, c in rows if s.startswith("5.") and "MV inflow" in c[0] and "mean gradient" in c[0]]
    assert [(c[0].startswith("└"), c[1]) for c in table] == [
        (False, "6.6 mmHg mean of 3 beats, SD 0.2 mmHg; HR 75 bpm"),
        (True, "6.5 mmHg"), (True, "6.6 mmHg"), (True, "6.8 mmHg")]
    stenosis = [c[1] for s, c in rows if s.startswith("4.") and "mean gradient" in c[0]]
    assert stenosis == ["6.6 mmHg (mean of 3 beats, SD 0.2 mmHg; HR 75 bpm)"]  # the beats are not quoted there


def test_report_json_carries_beat_beats_and_sd(study) -> None:
    document = report_to_json(_with_trace(sample_report(study)))
    validate(document)
    by_id = {m["id"]: m for m in document["measurements"]}
    assert (by_id["m9.beat2.mean_gradient"]["beat"], by_id["m9.beat2.mean_gradient"]["beats"]) == (2, None)
    average = by_id["m9.mean_gradient"]
    assert (average["beat"], average["beats"], average["sd"], average["shown"]) == (None, 3, SD, "6.6 mmHg")
    assert document["selected"]["mean_gradient"] == "m9.mean_gradient"
