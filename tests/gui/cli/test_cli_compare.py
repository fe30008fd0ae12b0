"""``mitraplan compare CASE PRIOR_CASE`` over the demo study (synthetic TEE with known truth).

The prior imitates the final intraprocedural result of the index TEER: the same loops, but its
vena contracta mark spans half the phantom's jet neck, one device fewer and a lower total MR grade.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from demo.case import build_demo_case
from gui.main import main
from planning.case import save_case


def _cases(folder: Path, demo: Any, prior_patient: str | None = None) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    current_path, prior_path = folder / "now.mitraplan.json", folder / "index.mitraplan.json"
    current = build_demo_case(demo, current_path)
    current.extra["residual_mr"] = {"total_grade": "moderate-to-severe"}
    current.extra["priors"] = [{"case": prior_path.name, "role": "index-procedure-final", "date": "2026-05-04"}]
    save_case(current, current_path)
    prior = build_demo_case(demo, prior_path)
    prior.extra["residual_mr"] = {"total_grade": "moderate"}
    prior.devices = prior.devices[:1]  # the medial clip only
    vc = next(m for m in prior.marks if m.id == "m_vc")
    (x0, y), (x1, _) = vc.points
    middle, quarter = (x0 + x1) / 2, (x1 - x0) / 4
    prior.marks = [dataclasses.replace(m, points=((middle - quarter, y), (middle + quarter, y))) if m is vc else m
                   for m in prior.marks]
    if prior_patient is not None:
        prior.study["patient_id"] = prior_patient
    save_case(prior, prior_path)
    return current_path, prior_path


def test_compare_rows_have_hand_computed_changes(tmp_path: Path, demo_study: Any,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    current, prior = _cases(tmp_path, demo_study)
    assert main(["compare", str(current), str(prior)]) == 0
    rows = {r["label"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    truth_vc = demo_study.truth["color_flow"]["vena_contracta_cm"]  # the phantom's jet neck width
    vc = rows["vena contracta width, jet para-clip lateral A2-P2"]
    assert vc["unit"] == "cm"
    assert vc["prior"] == pytest.approx(round(truth_vc / 2, 2)) and vc["current"] == pytest.approx(round(truth_vc, 2))
    assert vc["change"] == pytest.approx(round(truth_vc, 2) - round(truth_vc / 2, 2))
    assert vc["direction"] == "worse"
    mg = rows["mean gradient"]  # the same inflow traces: no change
    assert mg["change"] == 0.0 and mg["direction"] == "unchanged" and mg["unit"] == "mmHg"
    grade = rows["total residual MR grade"]
    assert (grade["prior"], grade["current"], grade["change"], grade["direction"]) == \
        ("moderate", "moderate-to-severe", 1, "worse")
    added = rows["device A2-P2 lateral"]
    assert added["prior"] is None and added["current"].startswith("MitraClip G4 NTW at A2-P2")
    assert added["change"] == "added"
    for row in rows.values():
        assert {"quantity", "label", "prior", "current", "change", "unit"} <= set(row)


def test_a_prior_of_another_patient_exits_3_naming_it(tmp_path: Path, demo_study: Any,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    current, prior = _cases(tmp_path, demo_study, prior_patient="OTHER-42")
    assert main(["compare", str(current), str(prior)]) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert str(prior) in captured.err and "ID OTHER-42" in captured.err and "same patient" in captured.err
