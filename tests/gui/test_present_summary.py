"""The presentation's summary over the demo case and its prior (tests/gui/cli/test_cli_compare.py builds both):
each headline number once, printed as the report prints it, with the prior's value and the change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gui.present.presentation import map_legend
from gui.present.prior_study import load_prior_study
from gui.present.summary import summary
from planning.case import load_case, measure_case
from planning.compare import Side
from tests.gui.cli.test_cli_compare import _cases


def test_summary_quotes_each_selected_value_once_against_the_prior(tmp_path: Path, demo_study: Any) -> None:
    current_path, _prior = _cases(tmp_path, demo_study)
    case = load_case(current_path)
    results, _ = measure_case(case)
    (entry,) = case.findings().priors
    prior = load_prior_study(case, entry, Side(case.findings(), results, case.marks))
    content = summary(case, results, prior.rows)
    by_label = {h.label: h for h in content.numbers}
    assert len(by_label) == len(content.numbers)  # one line per quantity
    truth_vc = demo_study.truth["color_flow"]["vena_contracta_cm"]  # 0.50 cm; the prior's mark spans half
    vc = by_label["Vena contracta width"]
    assert (vc.value, vc.prior, vc.change, vc.direction) == (f"{truth_vc:.2f} cm", f"{truth_vc / 2:.2f} cm",
                                                             f"+{truth_vc - truth_vc / 2:.2f} cm", "worse")
    mg = by_label["Mean gradient"]  # the same two inflow beats in both cases
    assert mg.detail.startswith("2 beats, HR ") and mg.detail.endswith(" bpm")
    assert mg.value == mg.prior and mg.direction == "unchanged"
    assert content.total_mr == "Total residual MR: moderate-to-severe (prior moderate, worse)"
    assert content.options and all(": " in line for line in content.options)
    assert prior.loops and not prior.warnings  # the prior's images were indexed


def test_summary_without_a_prior_has_no_prior_columns(tmp_path: Path, demo_study: Any) -> None:
    current_path, _prior = _cases(tmp_path, demo_study)
    case = load_case(current_path)
    results, _ = measure_case(case)
    content = summary(case, results)
    assert content.numbers and all(h.prior == h.change == "" for h in content.numbers)
    assert content.total_mr == "Total residual MR: moderate-to-severe"


def test_the_clip_map_legend_names_every_device_and_jet(tmp_path: Path, demo_study: Any) -> None:
    current_path, _prior = _cases(tmp_path, demo_study)
    findings = load_case(current_path).findings()
    legend = map_legend(findings.devices, findings.jets)
    assert legend == ["D1: MitraClip G4 XTW at A2-P2, medial, stable", "D2: MitraClip G4 NTW at A2-P2, lateral, stable",
                      "J1: residual jet, para-clip lateral, A2-P2, moderate"]
