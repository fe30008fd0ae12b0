"""``mitraplan trace FILE --region N --x-range X0 X1``: JSON contract and bad-input exit codes."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from gui.main import main
from tests.measurements.factories import region_item, write_us_image
from tests.measurements.strips import make_strip


@pytest.fixture
def strip_file(tmp_path: Path):
    strip = make_strip("mv_inflow")
    r = strip.region
    item = region_item(r.location, 3, 4, (4, 7), (r.delta_x, r.delta_y), ref=(r.reference_pixel_x0,
                                                                             r.reference_pixel_y0))
    path = write_us_image(tmp_path / "cw.dcm", "1.2.826.0.1.3680043.99.9", [item], rows=strip.image.shape[0],
                          columns=strip.image.shape[1], pixels=strip.image[..., 0])
    return path, strip


def test_trace_prints_points_and_measurements(strip_file, capsys: pytest.CaptureFixture[str]) -> None:
    path, strip = strip_file
    x0, x1 = strip.x_range_for_beat(0)
    assert main(["trace", str(path), "--region", "0", "--x-range", str(x0), str(x1), "--purpose", "mv_inflow"]) == 0
    out = json.loads(capsys.readouterr().out)
    ts = [t for t, _ in out["points"]]
    assert all(b > a for a, b in itertools.pairwise(ts))
    assert min(v for _, v in out["points"]) == pytest.approx(-strip.truth["vmax_m_s"], rel=0.03)  # below: negative
    by_q = {m["quantity"]: m for m in out["measurements"]}
    assert by_q["vmax"]["unit"] == "m/s" and by_q["mean_gradient"]["unit"] == "mmHg"
    assert by_q["mean_gradient"]["value"] == pytest.approx(strip.truth["mean_gradient_mmHg"], rel=0.05)
    assert by_q["pht"]["value"] == pytest.approx(strip.truth["pht_ms"], rel=0.10)
    assert len(out["image_points"]) == len(out["points"])


@pytest.mark.parametrize(("extra", "message"), [
    (["--region", "3", "--x-range", "50", "200"], "--region 3"),
    (["--region", "0", "--frame", "2", "--x-range", "50", "200"], "--frame 2"),
    (["--region", "0", "--x-range", "50", "51"], "at least 3 columns"),
])
def test_bad_arguments_exit_3_naming_the_file(strip_file, capsys: pytest.CaptureFixture[str], extra, message) -> None:
    path, _ = strip_file
    assert main(["trace", str(path), *extra]) == 3
    err = capsys.readouterr().err
    assert message in err and "cw.dcm" in err


@pytest.mark.parametrize(("extra", "message"), [
    (["--region", "0", "--x-range", "nan", "200"], "--x-range: must be a finite number, got 'nan'"),
    (["--region", "0", "--x-range", "50", "inf"], "--x-range: must be a finite number, got 'inf'"),
    (["--region", "0", "--frame", "0", "--x-range", "50", "200"], "--frame: frames are 1-based"),
])
def test_unusable_numbers_are_usage_errors(strip_file, capsys: pytest.CaptureFixture[str], extra, message) -> None:
    path, _ = strip_file
    with pytest.raises(SystemExit) as exit_info:
        main(["trace", str(path), *extra])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_not_dicom_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.dcm"
    bad.write_text("hello")
    assert main(["trace", str(bad), "--region", "0", "--x-range", "1", "9"]) == 3
    assert "x.dcm" in capsys.readouterr().err


def test_trace_on_the_demo_study_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from demo.phantom import write_demo_study

    demo = write_demo_study(tmp_path / "loops")
    truth = demo.truth["cw_mv_inflow"]
    x0, x1 = truth["x_ranges"][0]
    args = ["trace", str(demo.files["cw_mv_inflow"]), "--region", str(truth["spectral_region"]), "--frame", "1",
            "--x-range", str(x0), str(x1), "--direction", "below", "--purpose", "mv_inflow"]
    assert main(args) == 0
    by_q = {m["quantity"]: m for m in json.loads(capsys.readouterr().out)["measurements"]}
    assert by_q["vmax"]["value"] == pytest.approx(truth["vmax_m_s"], rel=0.03)
    assert by_q["mean_gradient"]["value"] == pytest.approx(truth["mean_gradient_mmHg"], rel=0.05)
    assert by_q["pht"]["value"] == pytest.approx(truth["pht_ms"], rel=0.10)
