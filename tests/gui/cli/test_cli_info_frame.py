"""`mitraplan info` and `mitraplan frame`: the DESIGN.md command-line contract."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gui.main import main
from imaging.loop import Loop

REGION_KEYS = {"index", "spatial_format", "data_type", "bounds", "units", "delta", "reference_pixel", "reference_value"}
LOOP_KEYS = {"sop_instance_uid", "sop_class_uid", "transfer_syntax_uid", "photometric", "frames", "rows", "columns",
             "frame_time_ms", "fps", "regions"}


def _info(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, dict]:
    code = main(["info", *map(str, paths)])
    return code, json.loads(capsys.readouterr().out)


def test_info_reports_loops_and_errors(tmp_path: Path, realdata: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.dcm"
    text.write_text("not dicom")
    code, data = _info(capsys, realdata / "orthanc-tests_Issue16.dcm", text)
    assert code == 0
    (loop,) = data["loops"]
    assert loop.keys() >= LOOP_KEYS
    # Issue16 header: 34 frames 430x480 YBR_FULL_422, FrameTime 30 ms -> 33.33 fps
    assert (loop["frames"], loop["rows"], loop["columns"]) == (34, 430, 480)
    assert loop["photometric"] == "YBR_FULL_422" and loop["transfer_syntax_uid"] == "1.2.840.10008.1.2.4.50"
    assert loop["frame_time_ms"] == 30.0 and loop["fps"] == pytest.approx(1000 / 30)
    tissue = loop["regions"][0]
    assert tissue.keys() >= REGION_KEYS
    assert tissue["bounds"] == [42, 4, 438, 353] and tissue["units"] == ["cm", "cm"]
    assert tissue["reference_pixel"] == [42 + 198, 4 - 4]  # absolute: region min + Reference Pixel
    assert tissue["delta"] == pytest.approx([0.2 / 7, 0.16 / 7])
    assert data["errors"] == [{"path": str(text), "error": "is not a DICOM file (no 'DICM' prefix and no readable "
                                                             "DICOM dataset)"}]


def test_info_on_the_demo_folder(demo_study, capsys: pytest.CaptureFixture[str]) -> None:
    code, data = _info(capsys, demo_study.folder)
    assert code == 0 and data["errors"] == []
    by_uid = {loop["sop_instance_uid"]: loop for loop in data["loops"]}
    strip = by_uid[demo_study.truth["cw_mv_inflow"]["sop_instance_uid"]]
    spectral = strip["regions"][1]
    assert (spectral["spatial_format"], spectral["data_type"]) == ("spectral", "CW")
    assert spectral["units"] == ["s", "cm/s"] and spectral["delta"] == [0.004, -1.25]
    assert spectral["reference_pixel"] == [40 + 20, 200 + 120]  # time origin column, baseline row
    assert strip["frame_time_ms"] is None and strip["fps"] is None  # a still
    commissural = by_uid[demo_study.truth["me_commissural"]["sop_instance_uid"]]
    assert commissural["frames"] == 60 and commissural["fps"] == pytest.approx(40.0)
    # the demo's 4D volume (demo/volume_phantom.py defaults): 72 columns, 64 rows, 48 slices, 0.6/0.5/0.8 mm, 4 × 40 ms
    (volume,) = data["volumes"]
    assert volume["sop_instance_uid"] == demo_study.truth["volume_3d"]["sop_instance_uid"] not in by_uid
    assert (volume["format"], volume["dimensions"], volume["timepoints"]) == ("enhanced_us_volume", [72, 64, 48], 4)
    assert volume["spacing_mm"] == pytest.approx([0.6, 0.5, 0.8]) and volume["frame_time_ms"] == pytest.approx(40.0)


def test_info_exits_3_when_nothing_is_readable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "a.dcm"
    text.write_text("x")
    code, data = _info(capsys, text, tmp_path / "missing.dcm")
    assert code == 3 and data["loops"] == []
    assert [e["path"] for e in data["errors"]] == [str(text), str(tmp_path / "missing.dcm")]


def test_info_on_an_empty_folder_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["info", str(empty)]) == 3
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"loops": [], "volumes": [], "errors": []}
    assert f"{empty}: no readable DICOM image (no files found)" in captured.err


def test_frame_writes_the_decoded_frame(demo_study, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "f.png"
    path = demo_study.files["me_long_axis"]
    assert main(["frame", str(path), "--frame", "60", "--out", str(out)]) == 0
    with Image.open(out) as image:
        assert image.mode == "RGB" and image.size == (800, 600)
        written = np.asarray(image)
    with Loop.open(path) as loop:
        np.testing.assert_array_equal(written, loop.frame(59))  # 1-based 60 = index 59
    # a frame shows the vendor banner (name, ID): readable by the user only, even over an existing 0644 file
    assert out.stat().st_mode & 0o777 == 0o600
    out.chmod(0o644)
    assert main(["frame", str(path), "--frame", "1", "--out", str(out)]) == 0
    assert out.stat().st_mode & 0o777 == 0o600


def test_frame_grey_still(realdata: Path, tmp_path: Path) -> None:
    out = tmp_path / "g.png"
    assert main(["frame", str(realdata / "pydicom-data_JPGLosslessP14SV1_1s_1f_8b.dcm"), "--out", str(out)]) == 0
    with Image.open(out) as image:
        assert image.mode == "L" and image.size == (1024, 768)


def test_frame_errors(bar_loop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.png"
    assert main(["frame", str(bar_loop), "--frame", "11", "--out", str(out)]) == 3
    assert "--frame 11 is out of range: the loop has frames 1..10" in capsys.readouterr().err
    text = tmp_path / "t.dcm"
    text.write_text("x")
    assert main(["frame", str(text), "--out", str(out)]) == 3
    assert f"{text}: is not a DICOM file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["frame", str(bar_loop), "--frame", "0", "--out", str(out)])
    assert usage.value.code == 2
    assert not out.exists()
    assert main(["frame", str(bar_loop), "--out", str(tmp_path)]) == 3  # --out names a folder
    assert f"{tmp_path}: --out: cannot write the PNG" in capsys.readouterr().err
