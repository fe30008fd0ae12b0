"""``mitraplan report`` with CT and haemodynamic context: the rows and the neo-LVOT finding reach
report.json; an out-of-range or sourceless value exits 3 naming the file and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gui.main import main
from tests.report.test_cli_report import write_case


def _with_context(tmp_path: Path, context: dict) -> Path:
    case, _ = write_case(tmp_path)
    doc = json.loads(case.read_text(encoding="utf-8"))
    doc["context"].update(context)
    case.write_text(json.dumps(doc), encoding="utf-8")
    return case


def test_report_json_carries_the_context_and_the_neo_lvot_criterion(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    case = _with_context(tmp_path, {"ct": {"neo_lvot_mm2": {"value": 150, "source": "CT"},
                                           "annulus_ap_mm": {"value": 39, "source": "CT"}},
                                    "haemodynamics": {"la_v_wave_mmhg": {"value": 41, "source": "cath"}}})
    assert main(["report", str(case), "--out", str(tmp_path / "out")]) == 0
    printed = json.loads(capsys.readouterr().out)
    document = json.loads(Path(printed["json"]).read_text(encoding="utf-8"))
    rows = {r["key"]: r for r in document["context_non_teer"]}
    assert (rows["neo_lvot_mm2"]["shown"], rows["annulus_ap_mm"]["shown"], rows["la_v_wave_mmhg"]["shown"]) == \
        ("150 mm²", "39.0 mm", "41 mmHg")
    elasta = next(o for o in document["assessment"]["options"] if o["key"] == "elasta_tmvr")
    assert elasta["status"] == "findings argue against"
    assert [f["criterion"] for f in elasta["against"]] == ["neo_lvot"]
    assert [f["criterion"] for f in elasta["shown"]] == ["ct_annulus"]


@pytest.mark.parametrize(("context", "message"), [
    ({"ct": {"neo_lvot_mm2": {"value": 2500, "source": "CT"}}}, "context.ct.neo_lvot_mm2.value: 2500 is outside 0-2000 mm²"),
    ({"haemodynamics": {"rvsp_mmhg": {"value": 40}}}, "context.haemodynamics.rvsp_mmhg.source is required"),
])
@pytest.mark.parametrize("command", ["measure", "report"])
def test_a_bad_context_value_exits_3_naming_file_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          command: str, context: dict, message: str) -> None:
    case = _with_context(tmp_path, context)
    args = [command, str(case)] + (["--out", str(tmp_path / "out")] if command == "report" else [])
    assert main(args) == 3
    err = capsys.readouterr().err
    assert str(case) in err and message in err
