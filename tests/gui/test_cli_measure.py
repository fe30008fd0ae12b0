"""``mitraplan measure CASE``: the JSON contract and exit codes (headless, no Qt)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gui.main import main
from tests.measurements.factories import region_item, write_us_image

SOP = "1.2.826.0.1.3680043.99.7"


def _case(tmp_path: Path, marks: list[dict], version: int = 1) -> Path:
    write_us_image(tmp_path / "IM_2D.dcm", SOP, [region_item((0, 0, 399, 299), 1, 1, (3, 3), (0.02, 0.02))])
    doc = {"format": "mitraplan-case", "version": version, "study": {}, "notes": "",
           "images": [{"sop_instance_uid": SOP, "path": "IM_2D.dcm"},
                      {"sop_instance_uid": "1.2.9", "path": "gone.dcm"}], "marks": marks}
    path = tmp_path / "c.mitraplan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _mark(mid: str, points: list, sop: str = SOP, **over) -> dict:
    return {"id": mid, "type": "distance", "label": f"label {mid}", "sop_instance_uid": sop, "frame_number": 1,
            "region": 0, "points": points, **over}


def test_measure_prints_graded_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _case(tmp_path, [_mark("vc", [[10.5, 10.5], [40.5, 10.5]], purpose="vena_contracta")])
    assert main(["measure", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    (m,) = out["measurements"]
    # 30 px · 0.02 cm/px = 0.60 cm -> 0.30 <= x < 0.70
    assert m["id"] == "vc.vena_contracta" and m["unit"] == "cm" and m["value"] == pytest.approx(0.60)
    assert m["source"] == ["vc"] and m["label"] == "label vc"
    assert m["grade"].startswith("2+/3+ moderate") and m["grades"][0]["scheme"]
    assert out["errors"] == []


def test_bad_marks_exit_3_but_every_other_mark_is_reported(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = _case(tmp_path, [
        _mark("good", [[10.5, 10.5], [40.5, 50.5]]),
        _mark("outside", [[10.5, 10.5], [450.5, 10.5]]),
        _mark("noimage", [[10.5, 10.5], [20.5, 10.5]], sop="1.2.9"),
        _mark("malformed", [[10.5, 10.5]]),
    ])
    assert main(["measure", str(path)]) == 3
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert [m["id"] for m in out["measurements"]] == ["good.distance"]
    assert out["measurements"][0]["value"] == pytest.approx(1.0)
    ids = [e["id"] for e in out["errors"]]
    assert sorted(ids) == ["malformed", "noimage", "outside"]
    assert "mark 'outside'" in captured.err and "outside every calibrated region" in captured.err
    assert "'gone.dcm' not found" in captured.err
    assert "mark 'malformed': a distance needs exactly 2 points" in captured.err


@pytest.mark.parametrize(("content", "message"), [("not json at all", "not JSON"), (None, "newer MitraPlan")])
def test_unreadable_case_files_exit_3_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      content: str | None, message: str) -> None:
    path = _case(tmp_path, [], version=99)
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["measure", str(path)]) == 3
    err = capsys.readouterr().err
    assert message in err and "c.mitraplan.json" in err


def test_missing_case_file_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["measure", str(tmp_path / "nope.mitraplan.json")]) == 3
    assert "no such case file" in capsys.readouterr().err
