"""Synchronised playback: which frame a follower loop shows for a frame of the leading loop.

By frame index, or by cardiac cycle when both loops know their R waves (R-wave times, or a heart
rate from which a regular cycle is assumed with an R wave at the first frame): the follower shows
the same phase (fraction of the R-R interval) of the same cycle number, modulo its own cycles.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from enum import Enum
from typing import Protocol

from gui.viewer.playback import frame_end_ms


class SyncMode(str, Enum):
    OFF = "off"
    FRAME = "frame"
    CYCLE = "cycle"


class CardiacTiming(Protocol):
    """The part of ``imaging.timing.FrameTiming`` synchronisation needs."""

    frame_times_ms: Sequence[float]
    heart_rate_bpm: float | None
    r_wave_times_ms: Sequence[float]

    @property
    def duration_ms(self) -> float: ...

    def frame_at(self, t_ms: float) -> int: ...


def by_index(k: int, follower_frames: int) -> int:
    """Same frame index, wrapping when the follower is shorter."""
    return k % follower_frames


def cycle_marks_ms(timing: CardiacTiming) -> list[float] | None:
    """R-wave times covering the whole loop (at least two), or None when the cycle is unknown.

    Known R waves are extended by their mean R-R interval before the first and after the last one;
    with only a heart rate, cycles start at the first frame.
    """
    end = frame_end_ms(timing, len(timing.frame_times_ms) - 1)
    r_waves = sorted(float(t) for t in (timing.r_wave_times_ms or ()))
    if len(r_waves) >= 2:
        rr = (r_waves[-1] - r_waves[0]) / (len(r_waves) - 1)
    elif timing.heart_rate_bpm:
        rr = 60000.0 / float(timing.heart_rate_bpm)
        r_waves = r_waves or [0.0]
    else:
        return None
    if rr <= 0:
        return None
    marks = list(r_waves)
    while marks[0] > 0:
        marks.insert(0, marks[0] - rr)
    while marks[-1] < end:
        marks.append(marks[-1] + rr)
    return marks


def phase_at(marks: Sequence[float], t_ms: float) -> tuple[int, float]:
    """(cycle number, phase in [0, 1)) of loop time ``t_ms`` between R-wave ``marks``."""
    i = min(max(bisect.bisect_right(marks, t_ms) - 1, 0), len(marks) - 2)
    return i, (t_ms - marks[i]) / (marks[i + 1] - marks[i])


def by_cycle(k: int, leader: CardiacTiming, follower: CardiacTiming) -> int | None:
    """Follower frame at the leader's cardiac phase, or None when either cycle is unknown."""
    lead_marks, follow_marks = cycle_marks_ms(leader), cycle_marks_ms(follower)
    if lead_marks is None or follow_marks is None:
        return None
    cycle, phase = phase_at(lead_marks, float(leader.frame_times_ms[k]))
    j = cycle % (len(follow_marks) - 1)
    t = follow_marks[j] + phase * (follow_marks[j + 1] - follow_marks[j])
    n = len(follower.frame_times_ms)
    t = min(max(t, float(follower.frame_times_ms[0])), frame_end_ms(follower, n - 1) - 1e-6)
    return min(max(follower.frame_at(t), 0), n - 1)


def follower_frame(mode: SyncMode, k: int, leader: CardiacTiming, follower: CardiacTiming) -> int:
    """Frame a follower shows when the leader shows frame ``k`` (cycle mode falls back to index)."""
    if mode is SyncMode.CYCLE:
        mapped = by_cycle(k, leader, follower)
        if mapped is not None:
            return mapped
    return by_index(k, len(follower.frame_times_ms))


def sync_description(leader: CardiacTiming, follower: CardiacTiming) -> str:
    """What cycle sync does for this pair of loops, for the reader (what each loop's cycle comes from)."""
    def source(timing: CardiacTiming) -> str | None:
        if len(timing.r_wave_times_ms or ()) >= 2:
            return "R waves"
        return "heart rate" if timing.heart_rate_bpm else None

    lead, follow = source(leader), source(follower)
    if lead is None or follow is None:
        return "Synced by frame number: a loop has neither R waves nor a heart rate"
    which = lead if lead == follow else f"{lead} / {follow}"
    return f"Synced by cardiac cycle ({which}): the same phase of each beat, each loop at its own frame rate"
