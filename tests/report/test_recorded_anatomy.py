"""What the anatomy panels record reaches the report: MAC, rhythm, the kind of each measured space and
whether a scallop's calcification lies in the grasp zone (PDF, JSON and schema)."""

from __future__ import annotations

import json
from pathlib import Path

from gui.main import main

from .test_cli_report import write_case
from .test_outputs import pdf_text


def _case_with_anatomy(folder: Path) -> Path:
    path, _study = write_case(folder)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["study"]["rhythm"] = "atrial fibrillation"
    doc["leaflets"]["mac"] = "moderate"
    doc["leaflets"]["segments"]["P1"].update(calcification="severe", calcification_in_grasp_zone=True)
    doc["leaflets"]["segments"]["P3"] = {"calcification": "mild"}
    doc["leaflets"]["spaces"][0]["kind"] = "lateral"
    # a medial space on the P1 length mark (16 px x 0.05 cm/px = 0.80 cm = 8.0 mm)
    doc["leaflets"]["spaces"].append({"kind": "medial", "label": "D1 medial edge to PM commissure",
                                      "distance_mark": "m1"})
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_report_shows_mac_rhythm_space_kinds_and_grasp_zone(tmp_path: Path, capsys) -> None:
    case = _case_with_anatomy(tmp_path)
    assert main(["report", str(case), "--out", str(tmp_path / "out")]) == 0
    printed = json.loads(capsys.readouterr().out)
    document = json.loads(Path(printed["json"]).read_text(encoding="utf-8"))  # written only when schema-valid
    leaflets = document["leaflets"]
    assert leaflets["mac"] == "moderate"
    assert [(s["segment"], s["calcification"], s["calcification_in_grasp_zone"]) for s in leaflets["segments"]] == [
        ("P1", "severe", True), ("P3", "mild", False)]
    # m5: 18 px x 0.05 cm/px = 0.90 cm; m1: 0.80 cm
    assert [(s["kind"], s["label"], round(s["distance_cm"], 6)) for s in leaflets["spaces"]] == [
        ("lateral", "D1 lateral edge to AL commissure", 0.9), ("medial", "D1 medial edge to PM commissure", 0.8)]
    assert document["context"]["rhythm"] == "atrial fibrillation"
    # §2.7: severe calcification in the grasp zone (P1) argues against redo TEER
    redo = document["assessment"]["options"][0]
    assert redo["key"] == "redo_teer" and redo["status"] == "findings argue against"
    assert "Severe calcification in the grasping zone" in redo["summary"]
    text = pdf_text(Path(printed["pdf"]))
    assert "Mitral annular calcification (MAC): moderate" in text
    assert "P1 8.0 mm severe, in grasp" in text  # the cell wraps before "zone"
    assert "Rhythm: atrial fibrillation" in text
    assert "D1 medial edge to PM commissure medial 8.0 mm" in text
    assert "D1 lateral edge to AL commissure lateral 9.0 mm" in text
