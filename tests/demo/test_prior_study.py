"""The demo's synthetic prior study (the index TEER's final result) and ``mitraplan demo --with-prior``.

Its known truth, by construction (demo/phantom.py PRIOR_SPEC): the demo patient, its own study dated
2025-06-10, one clip in the commissural view, the colour jet's neck 10 px wide (10 × 0.025 cm = 0.25 cm,
half the demo's 20 px = 0.50 cm), 60 bpm: R waves at 100 and 1100 ms of each loop (the demo's 72 bpm:
R-R 60000 / 72 = 833.33 ms, R waves at 100 and 933.33 ms).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydicom
import pytest

from demo.case import write_demo_case, write_prior_case
from demo.phantom import write_prior_study
from gui.main import main
from gui.viewer.sync import SyncMode, follower_frame
from imaging.loop import read_info

LOOPS = ("me_commissural", "me_long_axis", "color_flow", "cw_mv_inflow", "cw_mr")


@pytest.fixture(scope="module")
def prior_study(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return write_prior_study(tmp_path_factory.mktemp("prior") / "prior-loops")


def _header(path: Path) -> Any:
    return pydicom.dcmread(path, stop_before_pixels=True)


def test_the_prior_is_the_same_patient_in_another_earlier_study(demo_study: Any, prior_study: Any) -> None:
    now = {key: _header(demo_study.files[key]) for key in LOOPS}
    then = {key: _header(prior_study.files[key]) for key in LOOPS}
    for key in LOOPS:
        a, b = now[key], then[key]
        assert (b.PatientID, str(b.PatientName), b.PatientBirthDate) == \
            ("MP-DEMO-0001", "MitraPlan^Demo", "19470312") == (a.PatientID, str(a.PatientName), a.PatientBirthDate)
        assert b.StudyInstanceUID != a.StudyInstanceUID and b.SeriesInstanceUID != a.SeriesInstanceUID
        assert (a.StudyDate, b.StudyDate) == ("20260115", "20250610")
        assert int(b.HeartRate) == 60 and int(a.HeartRate) == 72
    assert len({str(h.StudyInstanceUID) for h in then.values()}) == 1  # one study
    uids_now = {str(h.SOPInstanceUID) for h in now.values()}
    assert not uids_now & {str(h.SOPInstanceUID) for h in then.values()}
    assert list(then["me_commissural"].RWaveTimeVector) == [100.0, 1100.0]  # 0.1 s + n × 1 s within 1.5 s
    truth = prior_study.truth
    assert truth["color_flow"]["vena_contracta_cm"] == pytest.approx(10 * 0.025)
    assert truth["me_commissural"]["n_clips"] == 1 and demo_study.truth["me_commissural"]["n_clips"] == 2
    assert truth["study"]["study_date"] == "20250610"
    assert truth["study"]["study_instance_uid"] == str(then["color_flow"].StudyInstanceUID)
    assert not prior_study.volumes


def test_the_prior_jet_is_drawn_half_as_wide(demo_study: Any, prior_study: Any) -> None:
    """On the neck row of the systolic colour frames the jet spans its neck: 20 px now, 10 px then."""
    import numpy as np
    import simplejpeg
    from pydicom.encaps import generate_frames

    row = int(demo_study.truth["color_flow"]["jet_neck"][1])
    widths = []
    for study in (demo_study, prior_study):
        ds = pydicom.dcmread(study.files["color_flow"])
        jpegs = list(generate_frames(ds.PixelData, number_of_frames=int(ds.NumberOfFrames)))
        coloured = np.zeros(120, bool)  # columns 300..419; the union over systole (the mosaic has white too)
        for k in study.truth["color_flow"]["systolic_frames"]:
            line = simplejpeg.decode_jpeg(jpegs[k]).astype(np.int16)[row, 300:420]
            coloured |= line.max(axis=1) - line.min(axis=1) > 60  # chroma: colour, not grey
        columns = np.nonzero(coloured)[0]
        widths.append(int(columns.max() - columns.min() + 1))
    # |x - 372| <= 20/2 px: 21 pixel columns now; <= 10/2 px: 11 then (± JPEG 4:2:2 chroma blur)
    assert widths[0] == pytest.approx(21, abs=2) and widths[1] == pytest.approx(11, abs=2)


def _cases(folder: Path, demo_study: Any, prior_study: Any) -> tuple[Path, Path]:
    prior = write_prior_case(prior_study, folder)
    current = write_demo_case(demo_study, folder, [{"case": prior.name, "role": "index-procedure-final",
                                                    "date": "2025-06-10"}])
    return current, prior


def test_compare_rows_demo_against_its_prior(tmp_path: Path, demo_study: Any, prior_study: Any,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    current, prior = _cases(tmp_path, demo_study, prior_study)
    assert main(["compare", str(current), str(prior)]) == 0
    rows = {r["label"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    vc = rows["vena contracta width, jet para-clip lateral A2-P2"]
    # 10 px and 20 px at 0.025 cm/px: 0.25 → 0.50 cm, +0.25 cm, a wider jet is worse
    assert (vc["prior"], vc["current"], vc["unit"], vc["direction"]) == (0.25, 0.50, "cm", "worse")
    assert vc["change"] == pytest.approx(0.50 - 0.25)
    devices = rows["number of devices"]
    assert (devices["prior"], devices["current"], devices["change"]) == (1, 2, 2 - 1)
    added = rows["device A2-P2 lateral"]
    assert added["prior"] is None and added["change"] == "added" and added["current"].startswith("MitraClip G4 NTW")
    grade = rows["total residual MR grade"]  # mild (1+) → moderate (2+): one class up
    assert (grade["prior"], grade["current"], grade["change"], grade["direction"]) == ("mild", "moderate", 1, "worse")
    hr = rows["heart rate"]  # two consecutive inflow beats: 60000 / 1000 ms then, 60000 / 833.33 ms now
    assert (hr["prior"], hr["current"]) == (pytest.approx(60.0, abs=0.1), pytest.approx(72.0, abs=0.1))


@pytest.mark.parametrize(("key", "frame", "expected"), [
    # current 72 bpm: R waves 100, 933.33 (extended by 833.33 ms); prior 60 bpm: 100, 1100 (by 1000 ms)
    ("me_commissural", 20, 23),  # t 500: beat 1, phase 400/833.33 = 0.48 → 100 + 480 = 580 ms → 580 // 25 = 23
    ("me_commissural", 40, 47),  # t 1000: beat 2, phase 66.67/833.33 = 0.08 → 1100 + 80 = 1180 ms → frame 47
    ("me_commissural", 2, 1),    # t 50: beat 0 (-733.33 … 100), phase 783.33/833.33 = 0.94 → -900 + 940 = 40 ms → 1
    ("color_flow", 12, 14),      # t 600 (50 ms frames): phase 0.6 → 100 + 600 = 700 ms → 700 // 50 = 14
])
def test_cycle_sync_maps_the_same_beat_phase_at_two_heart_rates(demo_study: Any, prior_study: Any, key: str,
                                                                 frame: int, expected: int) -> None:
    leader, follower = read_info(demo_study.files[key]).timing, read_info(prior_study.files[key]).timing
    assert follower_frame(SyncMode.CYCLE, frame, leader, follower) == expected
    assert follower_frame(SyncMode.FRAME, frame, leader, follower) == frame  # by index: off the beat phase


@pytest.mark.slow
def test_demo_with_prior_writes_both_and_the_default_none(qapp: Any, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    with_prior, default = tmp_path / "with", tmp_path / "default"
    assert main(["demo", "--headless", "--with-prior", "--out", str(with_prior)]) == 0
    out = capsys.readouterr().out
    case = json.loads((with_prior / "demo.mitraplan.json").read_text(encoding="utf-8"))
    assert case["priors"] == [{"case": "prior.mitraplan.json", "role": "index-procedure-final", "date": "2025-06-10"}]
    prior = json.loads((with_prior / "prior.mitraplan.json").read_text(encoding="utf-8"))
    assert prior["study"]["patient_id"] == case["study"]["patient_id"]
    assert prior["study"]["study_instance_uid"] != case["study"]["study_instance_uid"]
    assert len(prior["devices"]) == 1 and prior["residual_mr"]["total_grade"] == "mild"
    for key in LOOPS:
        assert (with_prior / "prior-loops" / f"{key}.dcm").is_file()
    truth = json.loads((with_prior / "prior-truth.json").read_text(encoding="utf-8"))
    assert truth["color_flow"]["vena_contracta_cm"] == pytest.approx(0.25) and truth["case"]["devices"] == 1
    assert str(with_prior / "prior.mitraplan.json") in out
    assert "index-procedure-final" in (with_prior / "report" / "report.json").read_text(encoding="utf-8")

    assert main(["demo", "--headless", "--out", str(default)]) == 0
    assert not (default / "prior-loops").exists() and not (default / "prior.mitraplan.json").exists()
    assert not (default / "prior-truth.json").exists()
    assert "priors" not in json.loads((default / "demo.mitraplan.json").read_text(encoding="utf-8"))
    # the default demo's study and case do not depend on the flag
    for name in ("demo-truth.json", "demo.mitraplan.json", *(f"loops/{key}.dcm" for key in LOOPS)):
        same = (default / name).read_bytes() == (with_prior / name).read_bytes()
        assert same == (name != "demo.mitraplan.json"), name
