"""`mitraplan export-cine`: the DESIGN.md command, its marks, banner blanking and its refusals."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageSequence

from gui.main import main
from tests.report.cine_loops import REGION, grey_of, write_loop


def _case(tmp_path: Path, loop: Path, sop: str, marks: list[dict]) -> Path:
    doc = {"format": "mitraplan-case", "version": 1, "study": {}, "notes": "",
           "images": [{"sop_instance_uid": sop, "path": loop.name}], "marks": marks}
    path = tmp_path / "c.mitraplan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _apng(path: Path) -> list[np.ndarray]:
    with Image.open(path) as image:
        return [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(image)]


def test_export_cine_writes_the_range_at_the_loops_rate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "loop.dcm"
    write_loop(src, frames=10, frame_time_ms=25.0)
    out = tmp_path / "out" / "clip.mp4"
    assert main(["export-cine", str(src), "--out", str(out), "--range", "2", "8"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["frames"] == 7 and printed["fps"] == pytest.approx(40.0) and printed["format"] == "mp4"
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        decoded = list(container.decode(stream))
        assert len(decoded) == 8 - 2 + 1
        assert stream.average_rate == 1000 / 25  # 40 fps exactly
        assert stream.codec_context.name == "h264" and decoded[0].format.name == "yuv420p"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_marks_of_the_case_are_burned_in(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "loop.dcm"
    ds = write_loop(src, frames=6)
    sop = str(ds.SOPInstanceUID)
    case = _case(tmp_path, src, sop, [{"id": "d1", "type": "distance", "label": "annulus", "sop_instance_uid": sop,
                                       "frame_number": 3, "region": 0, "points": [[30.5, 70.5], [90.5, 70.5]]}])
    out = tmp_path / "m.png"
    assert main(["export-cine", str(src), "--out", str(out), "--case", str(case)]) == 0
    assert json.loads(capsys.readouterr().out)["marks"] == ["d1"]
    frames = _apng(out)
    assert len(frames) == 6
    assert tuple(frames[2][70, 60]) == (0xFF, 0xE6, 0x00)  # frame 3: the mark's ink on its line
    assert tuple(frames[1][70, 60]) == (grey_of(2),) * 3  # frame 2: no mark


def test_blank_banner_auto_prints_the_area_and_zeroes_the_rest(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "loop.dcm"
    write_loop(src, frames=3)
    out = tmp_path / "anon.gif"
    assert main(["export-cine", str(src), "--out", str(out), "--blank-banner", "auto"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["blanked"] is True
    # region x 10..149, y 20..115 of 160 × 121: 19360 - 140 * 96 = 5920 pixels blanked
    assert "kept: x 10–149, y 20–115" in captured.err and "5920 pixels" in captured.err
    x0, y0, x1, y1 = REGION
    for frame in _apng(out):
        assert frame[:y0].max() == 0 and frame[:, :x0].max() == 0 and frame[y1 + 1:].max() == 0
        assert frame[y0:y1 + 1, x0:x1 + 1].min() > 0


def test_blank_banner_with_an_explicit_area(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "loop.dcm"
    write_loop(src, frames=2, regions=False)
    out = tmp_path / "anon.png"
    assert main(["export-cine", str(src), "--out", str(out), "--blank-banner", "0,30,159,120"]) == 0
    assert "kept: x 0–159, y 30–120" in capsys.readouterr().err
    for frame in _apng(out):
        assert frame[:30].max() == 0 and frame[30:].min() > 0


def test_a_whole_frame_area_is_named_as_blanking_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "loop.dcm"
    write_loop(src, frames=2, regions=False)
    assert main(["export-cine", str(src), "--out", str(tmp_path / "a.png"), "--blank-banner", "0,0,159,120"]) == 0
    err = capsys.readouterr().err
    assert "blanked outside it: 0 pixels" in err and "loop.dcm: the area kept is the whole frame, nothing was blanked" in err


def _refused(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 3) -> str:
    if code == 2:  # a usage error: argparse exits
        with pytest.raises(SystemExit) as usage:
            main(argv)
        assert usage.value.code == 2
    else:
        assert main(argv) == code
    return capsys.readouterr().err


def test_bad_input_is_refused_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "loop.dcm"
    write_loop(src, frames=4, regions=False)
    text = tmp_path / "notes.dcm"
    text.write_text("not dicom")
    err = _refused(capsys, ["export-cine", str(text), "--out", str(tmp_path / "a.mp4")])
    assert str(text) in err and "is not a DICOM file" in err
    err = _refused(capsys, ["export-cine", str(src), "--out", str(tmp_path / "a.mp4"), "--range", "3", "9"])
    assert str(src) in err and "3..9 is not within the loop's frames 1..4" in err
    err = _refused(capsys, ["export-cine", str(src), "--out", str(tmp_path / "a.avi")], code=2)
    assert "a.avi: unknown cine format '.avi'" in err
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    err = _refused(capsys, ["export-cine", str(src), "--out", str(blocker / "a.mp4")])
    assert str(blocker / "a.mp4") in err and "cannot write the cine" in err
    err = _refused(capsys, ["export-cine", str(src), "--out", str(tmp_path / "a.gif"), "--blank-banner", "auto"])
    assert str(src) in err and "no ultrasound regions" in err
    assert not list(tmp_path.glob("a.*"))


def test_a_case_of_another_patient_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = write_loop(tmp_path / "mine.dcm", frames=2, patient_id="PID-A")
    other = tmp_path / "other.dcm"
    write_loop(other, frames=2, patient_id="PID-B")
    case = _case(tmp_path, tmp_path / "mine.dcm", str(mine.SOPInstanceUID), [])
    err = _refused(capsys, ["export-cine", str(other), "--out", str(tmp_path / "x.mp4"), "--case", str(case)])
    assert "other.dcm" in err and "PID-B" in err
    assert not (tmp_path / "x.mp4").exists()
