"""The ECG and beats of a loop (imaging/ecg.py): R waves, heart rate, the waveform, and `mitraplan info`.

The loops are the phantom's commissural loop (25 ms frames) with a synthetic monitoring ECG
(demo/ecg.py): an R Wave Time Vector as GE/Philips write for gated loops, and/or a Waveform
Sequence in the image holding Lead II (1 µV steps, 500 Hz) with a PQRST complex at each R wave.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import FileDataset

from demo.ecg import write_ecg_loop, write_ecg_waveform
from gui.main import main
from imaging.ecg import heart_rate_bpm, read_ecg, trigger_time_ms
from imaging.loop import Loop, read_info
from measurements.beats import split_beats


def _info(capsys: pytest.CaptureFixture[str], path: Path) -> dict:
    assert main(["info", str(path)]) == 0
    (loop,) = json.loads(capsys.readouterr().out)["loops"]
    return loop


def test_info_lists_the_r_waves_and_the_heart_rate_they_imply(tmp_path, capsys) -> None:
    # R waves at 0, 800, 1600 ms: R-R = 800 ms -> 60000 / 800 = 75 /min (the header has no Heart Rate)
    path = write_ecg_loop(tmp_path / "rwv.dcm", [0.0, 800.0, 1600.0], waveform=False)
    loop = _info(capsys, path)
    assert loop["r_wave_times_ms"] == [0.0, 800.0, 1600.0]
    assert loop["heart_rate_bpm"] == pytest.approx(75.0)


def test_the_header_heart_rate_wins_over_the_r_waves(tmp_path, capsys) -> None:
    path = write_ecg_loop(tmp_path / "hr.dcm", [0.0, 800.0, 1600.0], waveform=False, heart_rate=72)
    loop = _info(capsys, path)
    assert loop["heart_rate_bpm"] == 72.0 and loop["r_wave_times_ms"] == [0.0, 800.0, 1600.0]


def test_a_loop_without_an_ecg_lists_no_r_waves(tmp_path, capsys) -> None:
    path = write_ecg_loop(tmp_path / "none.dcm", [0.0], vector=False, waveform=False)
    loop = _info(capsys, path)
    assert loop["r_wave_times_ms"] == [] and loop["heart_rate_bpm"] is None and loop["trigger_time_ms"] is None


def test_info_gives_the_trigger_time_of_a_triggered_still(tmp_path, capsys) -> None:
    path = write_ecg_loop(tmp_path / "still.dcm", [0.0], vector=False, waveform=False)
    ds = dcmread(path)
    ds.TriggerTime = 350.0  # an end-systolic still, 350 ms after the R wave
    ds.save_as(path)
    assert _info(capsys, path)["trigger_time_ms"] == 350.0


def test_r_waves_are_found_in_the_ecg_waveform(tmp_path, capsys) -> None:
    # R peaks drawn at 70, 890, 1710 ms, on the 2 ms sample grid -> found exactly; R-R 820 ms -> 73.17 /min
    path = write_ecg_loop(tmp_path / "wave.dcm", [70.0, 890.0, 1710.0], vector=False)
    loop = _info(capsys, path)
    assert loop["r_wave_times_ms"] == [70.0, 890.0, 1710.0]
    assert loop["heart_rate_bpm"] == pytest.approx(60000 / 820)


def test_the_r_wave_time_vector_wins_over_the_waveform(tmp_path) -> None:
    path = write_ecg_loop(tmp_path / "both.dcm", [70.0, 890.0, 1710.0])
    ds = dcmread(path)
    ds.RWaveTimeVector = [72.0, 892.0, 1712.0]  # the scanner's own detection, 2 ms later
    ds.save_as(path)
    assert read_info(path).timing.r_wave_times_ms == (72.0, 892.0, 1712.0)


def test_the_ecg_trace_is_on_the_loops_clock_in_its_units(tmp_path) -> None:
    path = write_ecg_loop(tmp_path / "trace.dcm", [70.0, 890.0, 1710.0], n_frames=72)
    trace = read_ecg(path)
    assert trace is not None and trace.label == "Lead II" and trace.units == "uV"
    # 72 frames x 25 ms = 1800 ms at 500 Hz -> 901 samples, 2 ms apart, from 0 ms (offset 0)
    assert len(trace.times_ms) == 901 and trace.times_ms[0] == 0.0 and trace.times_ms[1] == 2.0
    r = int(np.argmax(trace.values))
    assert trace.times_ms[r] in (70.0, 890.0, 1710.0)
    assert 1150 <= trace.values[r] <= 1250  # the R wave is 1.2 mV = 1200 µV tall (+ the Q/S tails)


def test_a_linked_waveform_object_of_the_series_gives_the_ecg(tmp_path) -> None:
    # a General ECG Waveform object in the same series, started 500 ms before the loop: its samples
    # sit at -500 ms + i * 2 ms on the loop's clock, so its R wave drawn at 570 ms of its own is at 70 ms
    path = write_ecg_loop(tmp_path / "loop.dcm", [70.0, 890.0], vector=False, waveform=False)
    image = dcmread(path)
    image.AcquisitionDateTime = "20260115101500.500"
    image.save_as(path)
    write_ecg_waveform(tmp_path / "ecg.dcm", path, [570.0, 1390.0], 2500.0, "20260115101500.000")
    trace = read_ecg(path)
    assert trace is not None and trace.source == "ecg.dcm"
    assert trace.times_ms[0] == pytest.approx(-500.0)
    assert trace.times_ms[int(np.argmax(trace.values))] in (pytest.approx(70.0), pytest.approx(890.0))


def test_a_damaged_waveform_leaves_the_loop_usable(tmp_path) -> None:
    path = write_ecg_loop(tmp_path / "bad.dcm", [70.0, 890.0], vector=False)
    ds = dcmread(path)
    ds.WaveformSequence[0].WaveformData = ds.WaveformSequence[0].WaveformData[:100]
    ds.save_as(path)
    assert read_ecg(path) is None
    with Loop.open(path) as loop:
        assert loop.timing.r_wave_times_ms == () and loop.frame(0).shape == (600, 800, 3)


def test_nominal_interval_and_trigger_time() -> None:
    ds = FileDataset("", {})
    ds.NominalInterval, ds.TriggerTime = 800, 120.5
    assert heart_rate_bpm(ds, ()) == pytest.approx(75.0)  # 60000 / 800 ms
    assert heart_rate_bpm(ds, (0.0, 1000.0)) == pytest.approx(60.0)  # R waves first: 60000 / 1000
    assert trigger_time_ms(ds) == 120.5


def test_beats_split_at_the_ecgs_r_waves(tmp_path) -> None:
    # flow that never returns to the baseline (fused beats) is cut only at an R wave: here the
    # one the ECG gives at 890 ms, so 0.1-1.6 s becomes 0.1-0.89 s and 0.89-1.6 s
    path = write_ecg_loop(tmp_path / "beats.dcm", [70.0, 890.0, 1710.0], vector=False)
    r_waves_s = [t / 1000 for t in read_info(path).timing.r_wave_times_ms]
    trace = [(0.1 + 0.01 * i, 1.0 + 0.5 * np.sin(i / 10)) for i in range(151)]
    beats = split_beats(trace, [t for t in r_waves_s if trace[0][0] < t < trace[-1][0]])
    assert len(beats) == 2 and beats[0][-1][0] == pytest.approx(0.89) and beats[1][0][0] == pytest.approx(0.89)


def test_non_finite_r_waves_are_dropped(tmp_path) -> None:
    path = write_ecg_loop(tmp_path / "inf.dcm", [0.0, 800.0, 1600.0], waveform=False)
    ds = dcmread(path)
    ds.RWaveTimeVector = [0.0, float("inf"), 800.0]
    ds.save_as(path)
    timing = read_info(path).timing
    assert timing.r_wave_times_ms == (0.0, 800.0) and timing.heart_rate_bpm == pytest.approx(75.0)


@pytest.mark.parametrize("damage", ["no_channels", "bad_rate", "huge_count", "odd_bits"])
def test_a_malformed_waveform_sequence_is_no_ecg(tmp_path, damage: str) -> None:
    path = write_ecg_loop(tmp_path / f"{damage}.dcm", [70.0, 890.0], vector=False)
    ds = dcmread(path)
    group = ds.WaveformSequence[0]
    if damage == "no_channels":
        del group.ChannelDefinitionSequence
    elif damage == "bad_rate":
        group.SamplingFrequency = "0"
    elif damage == "huge_count":
        group.NumberOfWaveformSamples = 2**31  # far more samples than the data holds
    else:
        group.WaveformBitsAllocated = 12
    ds.save_as(path)
    assert read_ecg(path) is None
    info = read_info(path)
    assert info.timing.r_wave_times_ms == () and info.timing.heart_rate_bpm is None
