"""The ECG strip under a loop and stepping beat by beat (gui/viewer/ecg.py), with real key events.

The loop is the phantom's commissural loop, 72 frames of 25 ms, with a synthetic monitoring ECG
(demo/ecg.py): an R Wave Time Vector as GE/Philips write it and a Lead II Waveform Sequence.
R waves at 70, 890 and 1710 ms fall between frames, so the frame shown at each is the nearest one:
round(70 / 25) = round(2.8) = 3, round(890 / 25) = round(35.6) = 36, round(1710 / 25) = round(68.4) = 68
(0-based; frame numbers 4, 37 and 69).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("demo.phantom", reason="needs the imaging core")

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from demo.ecg import write_ecg_loop
from gui.viewer.ecg import beat_frames, beat_step, nearest_frame
from tests.gui.conftest import wait_frame, wait_loaded

R_WAVES_MS = (70.0, 890.0, 1710.0)
BEAT_FRAMES = [3, 36, 68]  # round(t / 25 ms), worked in the module docstring
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "ecg-strip.png"


@pytest.fixture
def ecg_window(qtbot: Any, window: Any, tmp_path: Path) -> Any:
    path = write_ecg_loop(tmp_path / "ecg_loop.dcm", R_WAVES_MS, n_frames=72, frame_time_ms=25.0)
    window.open_paths([path])
    wait_loaded(qtbot, window)
    return window


def _ctrl(win: Any, key: Any) -> None:
    QTest.keyClick(win, key, Qt.KeyboardModifier.ControlModifier)


def test_beat_frames_are_the_frames_nearest_the_r_waves() -> None:
    times = [25.0 * k for k in range(72)]
    assert beat_frames(times, R_WAVES_MS, 1800.0) == BEAT_FRAMES
    assert beat_frames(times, (-10.0, 1800.0), 1800.0) == []  # outside the loop
    assert nearest_frame(times, 37.5) == 1  # a tie goes to the earlier frame
    assert beat_step(BEAT_FRAMES, 68, 1) == 3 and beat_step(BEAT_FRAMES, 3, -1) == 68  # wraps
    assert beat_step([], 5, 1) is None


def test_ctrl_arrows_step_beat_by_beat(qtbot: Any, ecg_window: Any) -> None:
    win, viewport = ecg_window, ecg_window.grid.active
    loop = viewport.loop
    assert viewport.frame_index == 0
    for expected in [*BEAT_FRAMES, BEAT_FRAMES[0]]:  # next beat three times, then wrap to the first
        _ctrl(win, Qt.Key.Key_Right)
        assert viewport.frame_index == expected
        wait_frame(qtbot, viewport, expected)
        np.testing.assert_array_equal(viewport.current_image(), loop.frame(expected))
        assert viewport.ecg_strip.frame_line.value() == pytest.approx(25.0 * expected)
        assert win.transport.slider.value() == expected + 1
    for expected in (BEAT_FRAMES[2], BEAT_FRAMES[1]):  # previous beat: wraps back to the last, then 36
        _ctrl(win, Qt.Key.Key_Left)
        assert viewport.frame_index == expected
        wait_frame(qtbot, viewport, expected)
    QTest.keyClick(win, Qt.Key.Key_Right)  # plain Right still steps one frame
    assert viewport.frame_index == BEAT_FRAMES[1] + 1
    assert win.transport.slider.r_wave_frames == tuple(k + 1 for k in BEAT_FRAMES)


def test_the_strip_shows_the_ecg_and_is_saved_as_a_screenshot(qtbot: Any, ecg_window: Any) -> None:
    win, viewport = ecg_window, ecg_window.grid.active
    strip = viewport.ecg_strip
    qtbot.waitUntil(strip.isVisible)
    times, values = strip.curve.getData()
    assert values.max() == 1199.0  # µV: R 1.2 mV less the S wave's tail, rounded
    assert len(times) == 901 and times[-1] == pytest.approx(1800.0)  # 1800 ms at 500 Hz
    assert [line.value() for line in strip._r_lines] == list(R_WAVES_MS)
    assert strip.height() == 64 and strip.width() > 0.9 * viewport.width()
    # Lead II: R 1.2 mV tall; S -0.25 mV, lifted by the R wave's tail 28 ms away, 1.2 * exp(-0.5 * (28/9)^2)
    # = 0.0095 mV -> -0.2405 mV; both rounded to whole µV (1199, -241): 1.440 mV peak to peak
    assert strip.label.toPlainText() == "ECG Lead II · 1.44 mV peak to peak"
    _ctrl(win, Qt.Key.Key_Right)
    _ctrl(win, Qt.Key.Key_Right)
    wait_frame(qtbot, viewport, BEAT_FRAMES[1])
    if os.environ.get("MITRAPLAN_SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        win.save_screenshot(SCREENSHOT)


def test_a_loop_without_an_ecg_has_no_strip(qtbot: Any, demo_window: Any) -> None:
    viewport = demo_window.grid.active
    assert viewport.loop is not None and not viewport.ecg_strip.isVisible()


def test_the_frame_counter_sits_above_the_strip(qtbot: Any, ecg_window: Any) -> None:
    viewport = ecg_window.grid.active
    label, strip = viewport.frame_label, viewport.ecg_strip
    assert label.geometry().bottom() < strip.geometry().top()


def test_cycle_sync_uses_the_r_waves_of_the_ecg(tmp_path: Path) -> None:
    from gui.viewer.sync import by_cycle
    from imaging.loop import read_info

    # leader: R waves only in its ECG waveform (70, 890, 1710 ms); follower: R Wave Time Vector 0, 800, 1600.
    # Leader frame 36 starts at 900 ms: 10 ms into the cycle from 890 (R-R 820 ms), cycle 2 counting the
    # one extended back to -750 ms. Follower cycle 2 runs 1600..2400 ms: 1600 + 10/820 * 800 = 1609.76 ms,
    # shown by frame floor(1609.76 / 25) = 64.
    leader = read_info(write_ecg_loop(tmp_path / "lead.dcm", R_WAVES_MS, vector=False)).timing
    follower = read_info(write_ecg_loop(tmp_path / "follow.dcm", (0.0, 800.0, 1600.0), waveform=False)).timing
    assert leader.r_wave_times_ms == R_WAVES_MS
    assert by_cycle(36, leader, follower) == 64


def test_a_focused_text_field_keeps_ctrl_arrows_for_its_words(qtbot: Any, ecg_window: Any) -> None:
    from PySide6.QtWidgets import QApplication, QLineEdit

    win, viewport = ecg_window, ecg_window.grid.active
    edit = QLineEdit("para clip jet")
    win.add_panel(edit, "Test field", "test-field")
    win.activateWindow()
    edit.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is edit)
    edit.setCursorPosition(len(edit.text()))
    _ctrl(edit, Qt.Key.Key_Left)
    assert edit.cursorPosition() == len("para clip ")  # one word back
    assert viewport.frame_index == 0  # and no beat was stepped


def test_a_linked_ecg_waveform_gives_the_strip_and_the_beats(qtbot: Any, window: Any, tmp_path: Path) -> None:
    from pydicom import dcmread

    from demo.ecg import write_ecg_waveform

    # the loop has no ECG of its own; a General ECG Waveform object of its series started 1 s earlier
    # holds R waves at 1070, 1890, 2710 ms of its clock (and the beat drawn before, at 1070 - 820 = 250)
    # -> -750, 70, 890, 1710 ms of the loop's; inside the loop: frames 3, 36 (and 68)
    path = write_ecg_loop(tmp_path / "loop.dcm", R_WAVES_MS, vector=False, waveform=False)
    image = dcmread(path)
    image.AcquisitionDateTime = "20260115101501"
    image.save_as(path)
    write_ecg_waveform(tmp_path / "ecg.dcm", path, (1070.0, 1890.0, 2710.0), 3000.0, "20260115101500")
    window.open_paths([path])
    wait_loaded(qtbot, window)
    viewport = window.grid.active
    assert viewport.timing.r_wave_times_ms == ()  # the header alone knows no R wave
    qtbot.waitUntil(viewport.ecg_strip.isVisible)
    assert viewport.ecg_strip.r_wave_times_ms == (-750.0, *R_WAVES_MS)
    for expected in BEAT_FRAMES[:2]:
        _ctrl(window, Qt.Key.Key_Right)
        assert viewport.frame_index == expected
