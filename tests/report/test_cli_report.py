"""``mitraplan report CASE --out DIR`` on a case over stand-in loops: every output written, numbers recomputed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gui.main import main

from .conftest import make_study
from .test_outputs import pdf_text


def write_case(folder: Path) -> tuple[Path, dict[str, object]]:
    """A case on two stand-in loops (0.05 cm/px): lengths and areas checkable by hand."""
    study = make_study(folder / "study")
    a, b = (ds.SOPInstanceUID for ds in study["datasets"])
    mark = lambda i, t, label, uid, frame, pts, purpose=None: {  # noqa: E731
        "id": i, "type": t, "label": label, "sop_instance_uid": uid, "frame_number": frame, "region": 0,
        "points": pts, **({"purpose": purpose} if purpose else {})}
    doc = {
        "format": "mitraplan-case", "version": 1,
        "study": {"study_instance_uid": study["study_uid"], "patient_name": "Testperson^Erika", "patient_id": "PID-778899",
                  "study_date": "20250314"},
        "images": [{"sop_instance_uid": a, "path": "study/IM_0001.dcm"}, {"sop_instance_uid": b, "path": "study/IM_0002.dcm"}],
        "marks": [
            mark("m1", "distance", "P1 free length", a, 2, [[40, 30], [40, 46]]),            # 16 px → 0.80 cm
            mark("m2", "area", "Lateral orifice", a, 2, [[60, 60], [100, 60], [100, 90], [60, 90]], "orifice"),
            mark("m3", "distance", "J1 vena contracta", b, 3, [[80.5, 50.5], [89.5, 50.5]], "vena_contracta"),
            mark("m5", "distance", "D1 to AL commissure", a, 2, [[10, 100], [28, 100]]),     # 18 px → 0.90 cm
        ],
        "calculations": [],
        "devices": [{"id": "d1", "kind": "MitraClip", "model": "G4 XTW", "segment": "A2-P2", "attachment": "stable"}],
        "jets": [{"id": "j1", "location": "para-clip lateral", "segment": "A1-P1", "vena_contracta_mark": "m3",
                  "grade": "moderate"}],
        "leaflets": {"tear_or_perforation": False, "segments": {"P1": {"length_mark": "m1", "calcification": "none"}},
                     "spaces": [{"label": "D1 lateral edge to AL commissure", "distance_mark": "m5"}]},
        "notes": "",
        "context": {"operator": "Dr. Test", "surgical_risk": "high"},
    }
    path = folder / "case.mitraplan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path, study


def test_report_command_writes_every_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case, _ = write_case(tmp_path)
    assert main(["report", str(case), "--out", str(tmp_path / "out"), "--paper", "Letter"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert Path(printed["pdf"]).name == "report.pdf" and Path(printed["json"]).name == "report.json"
    assert Path(printed["sr"]).name == "report-sr.dcm"
    assert len(printed["key_images_png"]) == 2 and len(printed["key_images_dicom"]) == 2  # frames 2 and 3
    for p in [printed["pdf"], printed["json"], printed["sr"], *printed["key_images_png"], *printed["key_images_dicom"]]:
        assert Path(p).is_file()
    document = json.loads(Path(printed["json"]).read_text(encoding="utf-8"))
    shown = {m["label"]: m["shown"] for m in document["measurements"]}
    assert shown["P1 free length"] == "0.80 cm"
    assert shown["J1 vena contracta"] == "0.45 cm"      # 9 px × 0.05
    assert "3.00 cm²" in shown.values()                 # 40 × 30 px × 0.0025 cm²
    redo = document["assessment"]["options"][0]
    # W16 anatomy through the case; it has no inflow trace, and its one orifice of the two one device leaves
    # is held by the plausibility gate (docs/clinical-criteria.md §8.1): named as held, still not used
    assert redo["summary"] == ("Redo TEER: possible (conditional: posterior leaflet 8 mm; missing: "
                               "mean gradient (mitral inflow), planimetered MVA held (3.00 cm², 1 of 2 expected "
                               "orifices summed; confirm to use))")
    surgery = document["assessment"]["options"][3]
    assert surgery["status"] == "findings argue against"  # rule 6: high surgical risk
    text = pdf_text(Path(printed["pdf"]))
    assert "0.45 cm" in text and "3.00 cm²" in text and "G4 XTW" in text


def test_report_command_bad_case_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.mitraplan.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["report", str(bad), "--out", str(tmp_path / "out")]) == 3
    assert "bad.mitraplan.json" in capsys.readouterr().err


def test_report_on_missing_images_is_written_but_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case, _ = write_case(tmp_path)
    for image in (tmp_path / "study").glob("IM_*.dcm"):
        image.unlink()
    assert main(["report", str(case), "--out", str(tmp_path / "out")]) == 3
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    assert Path(printed["pdf"]).is_file() and Path(printed["json"]).is_file()
    assert printed["sr"] is None                          # no source header to build the SR from
    marks = {e.split(":")[0] for e in printed["errors"] if e.startswith("mark")}
    assert marks == {"mark 'm1'", "mark 'm2'", "mark 'm3'", "mark 'm5'"}
    assert "IM_0001.dcm' not found" in captured.err


def test_malformed_key_images_are_left_out_and_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case, study = write_case(tmp_path)
    a = study["datasets"][0].SOPInstanceUID
    doc = json.loads(case.read_text(encoding="utf-8"))
    frames = int(study["datasets"][0].NumberOfFrames)
    doc["key_images"] = [{"sop_instance_uid": a, "frame_number": "x"}, "junk",
                         {"sop_instance_uid": a, "frame_number": frames + 1},
                         {"sop_instance_uid": a, "frame_number": 2, "label": "P1", "marks": ["m1"]}]
    case.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["report", str(case), "--out", str(tmp_path / "out")]) == 3
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    assert [Path(p).name for p in printed["key_images_png"]] == ["key-k4.png"]  # the one good entry still drawn
    assert "key_images[0]: frame_number is 1-based (got 'x')" in captured.err
    assert "key_images[1]: not an object" in captured.err
    assert f"key image k3: frame {frames + 1} is beyond the last frame ({frames})" in captured.err


@pytest.mark.parametrize(("where", "key", "junk", "message"), [
    ("study", "rhythm", 5, 'study.rhythm: 5 is not one of "sinus", "AF"'),
    ("leaflets", "spaces", 5, "leaflets.spaces must be a list (got 5)")])
def test_junk_in_findings_is_refused_naming_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      where: str, key: str, junk: object, message: str) -> None:
    """Findings are parsed at the case-file boundary: a value of the wrong type is refused (exit 3), not
    silently dropped (changed with the typed case model; 0.1.0 ignored it)."""
    case, _ = write_case(tmp_path)
    doc = json.loads(case.read_text(encoding="utf-8"))
    doc[where][key] = junk
    case.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["report", str(case), "--out", str(tmp_path / "out")]) == 3
    assert f"{case}: {message}" in capsys.readouterr().err


def test_report_out_that_is_a_file_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case, _ = write_case(tmp_path)
    assert main(["report", str(case), "--out", str(case)]) == 3
    assert f"{case}: --out: cannot write the report" in capsys.readouterr().err


def test_building_the_report_parses_each_image_header_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pydicom.filereader

    from planning.case import load_case
    from report.build import build_report

    case, _ = write_case(tmp_path)
    parsed: list[str] = []
    real = pydicom.filereader.read_partial

    def counting(fileobj, *args, **kwargs):
        parsed.append(Path(fileobj.name).name)
        return real(fileobj, *args, **kwargs)

    monkeypatch.setattr(pydicom.filereader, "read_partial", counting)
    report, sources = build_report(load_case(case))
    assert sorted(parsed) == ["IM_0001.dcm", "IM_0002.dcm"]  # not once for measuring and again for the SR
    assert not report.errors and len(sources.headers) == 2
