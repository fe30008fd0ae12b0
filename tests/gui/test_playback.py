"""The playback clock, without Qt: frame due at a time, speed, loop range, skipping, sync mapping."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gui.viewer.playback import CineClock, frame_end_ms
from gui.viewer.sync import SyncMode, by_cycle, cycle_marks_ms, follower_frame, phase_at


@dataclass
class Timing:
    """Hand-written stand-in for imaging.timing.FrameTiming (start of each frame, frame 1 at 0)."""

    frame_times_ms: tuple[float, ...]
    duration_ms: float
    heart_rate_bpm: float | None = None
    r_wave_times_ms: tuple[float, ...] = ()

    def frame_at(self, t_ms: float) -> int:
        return max(k for k, t in enumerate(self.frame_times_ms) if t <= t_ms)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# A Frame Time Vector with jitter: frames start at 0, 30, 80, 110, 160 ms; the loop lasts 190 ms.
JITTER = Timing((0.0, 30.0, 80.0, 110.0, 160.0), 190.0)


@pytest.mark.parametrize(("elapsed_ms", "frame"), [
    (0, 0), (29.9, 0), (30, 1), (79, 1), (80, 2), (159, 3), (160, 4), (189, 4),
    (190, 0),      # wraps after the last frame's 30 ms
    (190 + 85, 2),  # second pass: 85 ms into the loop is frame 3 (starts at 80)
])
def test_frame_due_follows_the_frame_time_vector(elapsed_ms: float, frame: int) -> None:
    clock = Clock()
    cine = CineClock(JITTER, clock)
    cine.start(0)
    clock.now += elapsed_ms / 1000
    assert cine.frame_now() == frame


def test_half_speed_takes_twice_as_long() -> None:
    clock = Clock()
    cine = CineClock(JITTER, clock)
    cine.set_speed(0.5)
    cine.start(0)
    clock.now += 0.100  # 100 ms of wall time = 50 ms of loop time -> frame 2 (starts at 30)
    assert cine.frame_now() == 1
    assert cine.ms_until_next_frame() == pytest.approx((80 - 50) / 0.5)


def test_speed_change_keeps_position() -> None:
    clock = Clock()
    cine = CineClock(JITTER, clock)
    cine.start(0)
    clock.now += 0.090  # loop time 90 ms: frame index 2
    cine.set_speed(2.0)
    assert cine.frame_now() == 2
    clock.now += 0.012  # +24 ms of loop time -> 114 ms: frame index 3 (starts at 110)
    assert cine.frame_now() == 3


def test_loop_range_wraps_inside_the_range() -> None:
    clock = Clock()
    cine = CineClock(JITTER, clock)
    cine.set_range(1, 2)  # frames 2..3 (1-based): 30 ms to 110 ms, an 80 ms span
    cine.start(0)  # clamped to the range start
    assert cine.frame_now() == 1
    clock.now += 0.085  # 30 + 85 = 115 -> wraps to 35 ms: index 1
    assert cine.frame_now() == 1
    clock.now += 0.050  # 30 + 135 -> 85 ms: index 2
    assert cine.frame_now() == 2


def test_skipped_frames_are_counted_in_the_range() -> None:
    cine = CineClock(JITTER, Clock())
    assert cine.frames_skipped(0, 1) == 0
    assert cine.frames_skipped(0, 3) == 2
    assert cine.frames_skipped(4, 0) == 0   # wrap to the start is consecutive
    assert cine.frames_skipped(3, 1) == 2   # 3 -> (4, 0 skipped) -> 1


def test_last_frame_lasts_until_the_loop_duration() -> None:
    assert frame_end_ms(JITTER, 4) == 190.0
    assert frame_end_ms(JITTER, 1) == 80.0


def test_sync_by_index_wraps_a_shorter_follower() -> None:
    short = Timing((0.0, 40.0, 80.0), 120.0)
    assert follower_frame(SyncMode.FRAME, 4, JITTER, short) == 1  # 4 mod 3


def test_cycle_marks_from_heart_rate_start_at_the_first_frame() -> None:
    # 100 bpm: one cycle every 600 ms; a 1.3 s loop holds R at 0, 600, 1200 and the next at 1800.
    timing = Timing(tuple(float(t) for t in range(0, 1300, 100)), 1300.0, heart_rate_bpm=100)
    assert cycle_marks_ms(timing) == [0.0, 600.0, 1200.0, 1800.0]


def test_cycle_marks_extend_r_waves_both_ways() -> None:
    # R waves at 250 and 1050 ms (R-R 800 ms) in a 2 s loop: add -550 before, 1850 and 2650 after.
    timing = Timing(tuple(float(t) for t in range(0, 2000, 50)), 2000.0, r_wave_times_ms=(250.0, 1050.0))
    assert cycle_marks_ms(timing) == [-550.0, 250.0, 1050.0, 1850.0, 2650.0]
    assert phase_at([-550.0, 250.0, 1050.0, 1850.0], 650.0) == (1, 0.5)


def test_sync_by_cycle_matches_cardiac_phase() -> None:
    # Leader: 60 bpm (1000 ms cycles), frames every 50 ms. Frame 15 = 750 ms = phase 0.75 of cycle 0.
    leader = Timing(tuple(float(t) for t in range(0, 2000, 50)), 2000.0, heart_rate_bpm=60)
    # Follower: R waves at 100 and 500 ms (R-R 400 ms), frames every 20 ms over 1 s.
    follower = Timing(tuple(float(t) for t in range(0, 1000, 20)), 1000.0, r_wave_times_ms=(100.0, 500.0))
    # Follower cycle 0 starts at its first mark, -300 ms; phase 0.75 -> -300 + 300 = 0 ms: frame 0.
    # Leader cycle 1 (frame 35 = 1750 ms, phase 0.75) -> follower 100 + 300 = 400 ms: frame 20.
    assert by_cycle(15, leader, follower) == 0
    assert by_cycle(35, leader, follower) == 20


def test_sync_by_cycle_falls_back_to_index_without_cardiac_timing() -> None:
    no_ecg = Timing((0.0, 40.0, 80.0, 120.0), 160.0)
    assert by_cycle(2, JITTER, no_ecg) is None
    assert follower_frame(SyncMode.CYCLE, 2, JITTER, no_ecg) == 2
