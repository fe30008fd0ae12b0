"""Playback clock: which frame is due now, at the loop's own frame timing.

The clock never slows down to wait for the display: the frame shown is always the one whose
start time (Frame Time / Frame Time Vector) is the latest not after the elapsed loop time, so a
slow display skips frames instead of stretching the loop. Pure Python so it can be tested with a
fake clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

#: Playback speeds offered to the user (multiples of real time).
SPEEDS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0)

Clock = Callable[[], float]
"""A monotonic clock in seconds (``time.monotonic`` or a fake one in tests)."""


class Timing(Protocol):
    """The part of ``imaging.timing.FrameTiming`` playback needs."""

    frame_times_ms: Sequence[float]

    @property
    def duration_ms(self) -> float: ...

    def frame_at(self, t_ms: float) -> int: ...


def frame_end_ms(timing: Timing, k: int) -> float:
    """End of frame ``k`` (0-based): the next frame's start, or the loop's end for the last frame."""
    times = timing.frame_times_ms
    if k + 1 < len(times):
        return float(times[k + 1])
    end = float(timing.duration_ms)
    if end > times[-1]:
        return end
    step = (times[-1] - times[0]) / (len(times) - 1) if len(times) > 1 else 1000.0 / 30
    return float(times[-1] + max(step, 1.0))


class CineClock:
    """Maps a monotonic clock to a frame index of one loop, with speed and a loop range."""

    def __init__(self, timing: Timing, clock: Clock = time.monotonic) -> None:
        self._timing = timing
        self._clock = clock
        self._n = len(timing.frame_times_ms)
        self.first, self.last = 0, self._n - 1
        self.speed = 1.0
        self._anchor_wall: float | None = None
        self._anchor_ms = 0.0

    @property
    def n_frames(self) -> int:
        return self._n

    @property
    def running(self) -> bool:
        return self._anchor_wall is not None

    def start(self, frame: int) -> None:
        """Start (or restart) the clock at the beginning of ``frame`` (clamped into the range)."""
        frame = min(max(frame, self.first), self.last)
        self._anchor_wall = self._clock()
        self._anchor_ms = float(self._timing.frame_times_ms[frame])

    def stop(self) -> None:
        self._anchor_wall = None

    def set_speed(self, speed: float) -> None:
        """Change speed without a jump: re-anchor at the current loop time."""
        if self.running:
            now_ms = self.loop_time_ms()
            self._anchor_wall, self._anchor_ms = self._clock(), now_ms
        self.speed = float(speed)

    def set_range(self, first: int, last: int) -> None:
        """Play only frames ``first..last`` (0-based, inclusive); restart inside it when running."""
        first, last = sorted((max(0, first), min(self._n - 1, last)))
        self.first, self.last = first, last
        if self.running and not self._start_ms <= self._anchor_ms < self._end_ms:
            self.start(first)

    @property
    def _start_ms(self) -> float:
        return float(self._timing.frame_times_ms[self.first])

    @property
    def _end_ms(self) -> float:
        return frame_end_ms(self._timing, self.last)

    def loop_time_ms(self) -> float:
        """Loop time now (ms from the first frame), wrapped inside the loop range."""
        if self._anchor_wall is None:
            return self._anchor_ms
        t = self._anchor_ms + (self._clock() - self._anchor_wall) * 1000.0 * self.speed
        span = self._end_ms - self._start_ms
        return self._start_ms + (t - self._start_ms) % span

    def frame_now(self) -> int:
        """0-based frame due now."""
        k = self._timing.frame_at(self.loop_time_ms())
        return min(max(k, self.first), self.last)

    def ms_until_next_frame(self) -> float:
        """Wall-clock milliseconds until the next frame is due (at the current speed)."""
        t = self.loop_time_ms()
        return max(0.0, (frame_end_ms(self._timing, self.frame_now()) - t) / self.speed)

    def frames_skipped(self, previous: int, current: int) -> int:
        """Frames of the range passed over between two displayed frames (0 when consecutive)."""
        span = self.last - self.first + 1
        return (current - previous - 1) % span if current != previous else 0
