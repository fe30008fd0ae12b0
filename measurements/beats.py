"""Split a Doppler trace that spans several beats into one trace per beat.

A trace dragged (or traced automatically) across several cardiac cycles must not be measured as
one flow period: the baseline between beats would enter the mean gradient and the VTI. A beat here
is a run of flow, bounded where the envelope returns to the baseline; when R-wave times are known
they also cut fused beats (flow that never reaches the baseline, as in AF or tachycardia) and join
runs that lie in one R-R interval (mitral E and A waves separated by diastasis). The rule and its
source are in docs/clinical-criteria.md, "Beats".

A trace is a sequence of ``(t_s, v_m_s)`` with strictly increasing time (``measurements.doppler``).
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

TracePoint = tuple[float, float]

#: The envelope is "at the baseline" below this fraction of the trace's peak speed.
BASELINE_FRACTION = 0.08
#: A return to the baseline splits beats only if it lasts this long: a dropout of the envelope does
#: not, while the gap between beats (systole for inflow, diastole for a jet) lasts longer even at 150 /min.
MIN_GAP_S = 0.10
#: Flow shorter than this is a speckle blip, not a beat; an R-wave cut leaving a shorter piece is not made.
MIN_BEAT_S = 0.08
#: Atrial fibrillation: average at least this many consecutive beats (EAE/ASE 2009, Baumgartner et al.; docs/clinical-criteria.md S3).
AF_MIN_BEATS = 5


@dataclass(frozen=True)
class BeatStats:
    """Mean and sample SD (None for one value) of one quantity over ``n`` beats."""

    mean: float
    sd: float | None
    n: int


def _crossing(t: np.ndarray, speed: np.ndarray, i: int, level: float) -> float:
    """Time where the speed crosses ``level`` between points i and i + 1 (linear)."""
    a, b = speed[i], speed[i + 1]
    return float(t[i] + (t[i + 1] - t[i]) * (a - level) / (a - b)) if a != b else float(t[i])


def _runs(speed: np.ndarray, t: np.ndarray, level: float) -> list[tuple[int, int]]:
    """Index ranges [first, last] of consecutive points above ``level``, joined across gaps shorter
    than MIN_GAP_S (time below the level, from the interpolated crossings: sparse hand traces too)."""
    above = speed > level
    runs: list[tuple[int, int]] = []
    i, n = 0, len(speed)
    while i < n:
        if not above[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and above[j + 1]:
            j += 1
        if runs and _crossing(t, speed, i - 1, level) - _crossing(t, speed, runs[-1][1], level) < MIN_GAP_S:
            runs[-1] = (runs[-1][0], j)
        else:
            runs.append((i, j))
        i = j + 1
    return runs


def _widen(speed: np.ndarray, first: int, last: int) -> tuple[int, int]:
    """Extend a run outward while the speed keeps falling: the beat starts and ends at the baseline."""
    while first > 0 and speed[first - 1] < speed[first]:
        first -= 1
    while last + 1 < len(speed) and speed[last + 1] < speed[last]:
        last += 1
    return first, last


def _point_at(points: Sequence[TracePoint], t_cut: float) -> TracePoint:
    """The trace linearly interpolated at ``t_cut`` (inside its time span)."""
    ts = [p[0] for p in points]
    k = min(max(bisect.bisect_right(ts, t_cut), 1), len(points) - 1)
    (t0, v0), (t1, v1) = points[k - 1], points[k]
    return t_cut, v0 + (v1 - v0) * (t_cut - t0) / (t1 - t0)


def _cut_at(beat: list[TracePoint], t_cut: float) -> list[list[TracePoint]]:
    """Split one beat at an R wave inside it, unless a piece would be shorter than MIN_BEAT_S."""
    if not beat[0][0] + MIN_BEAT_S <= t_cut <= beat[-1][0] - MIN_BEAT_S:
        return [beat]
    cut = _point_at(beat, t_cut)
    before = [p for p in beat if p[0] < t_cut] + [cut]
    after = [cut] + [p for p in beat if p[0] > t_cut]
    return [before, after]


def split_beats(points: Sequence[TracePoint], r_waves_s: Sequence[float] = ()) -> list[list[TracePoint]]:
    """One trace per beat, in time order; a single-beat trace comes back whole.

    Beats are runs of flow above BASELINE_FRACTION of the peak speed, separated by at least
    MIN_GAP_S at the baseline, each widened to the baseline points around it. With R-wave times
    (s, on the trace's time axis) a beat containing an R wave is cut there, and runs that start in
    the same R-R interval are one beat.
    """
    if len(points) < 2:
        return [list(points)]
    t = np.array([p[0] for p in points], dtype=float)
    speed = np.abs(np.array([p[1] for p in points], dtype=float))
    peak = float(speed.max())
    if peak <= 0.0:
        return [list(points)]
    widened = (_widen(speed, a, b) for a, b in _runs(speed, t, BASELINE_FRACTION * peak))
    runs = [(a, b) for a, b in widened if t[b] - t[a] >= MIN_BEAT_S]
    if not runs:
        return [list(points)]
    waves = sorted(r for r in r_waves_s if t[0] < r < t[-1])
    if waves:
        joined: list[tuple[int, int]] = []
        for a, b in runs:
            if joined and bisect.bisect_right(waves, t[joined[-1][0]]) == bisect.bisect_right(waves, t[a]):
                joined[-1] = (joined[-1][0], b)
            else:
                joined.append((a, b))
        runs = joined
    beats = [list(points[a:b + 1]) for a, b in runs]
    for wave in waves:
        beats = [piece for beat in beats for piece in _cut_at(beat, wave)]
    return beats


def complete_beats(points: Sequence[TracePoint],
                   r_waves_s: Sequence[float] = ()) -> tuple[list[list[TracePoint]], int]:
    """``split_beats`` without the partial beats cut by the trace's ends, and how many were left out.

    Of several beats, one that starts (or ends) the trace above the baseline level began before
    (or ended after) the traced span: averaging it would bias the beat average. A lone beat is kept.
    """
    beats = split_beats(points, r_waves_s)
    if len(beats) < 2:
        return beats, 0
    level = BASELINE_FRACTION * max(abs(v) for _, v in points)
    complete = [b for i, b in enumerate(beats)
                if not ((i == 0 and abs(b[0][1]) > level) or (i == len(beats) - 1 and abs(b[-1][1]) > level))]
    if not complete:
        return beats, 0
    return complete, len(beats) - len(complete)


def beat_stats(values: Sequence[float]) -> BeatStats:
    """Mean and SD of one quantity over beats (the mean gradient is averaged as the beats' own gradients)."""
    if not values:
        raise ValueError("no beats to average")
    sd = statistics.stdev(values) if len(values) >= 2 else None
    return BeatStats(mean=math.fsum(values) / len(values), sd=sd, n=len(values))


def beat_heart_rates(starts_s: Sequence[float], r_waves_s: Sequence[float] = ()) -> list[float | None]:
    """Heart rate of each beat (bpm): 60 / the R-R interval holding its start when R waves bracket it,
    else 60 / the time to the next beat's start; None for the last beat without an R wave after it."""
    waves = sorted(r_waves_s)
    out: list[float | None] = []
    for k, start in enumerate(starts_s):
        i = bisect.bisect_right(waves, start)
        if 0 < i < len(waves):
            out.append(60.0 / (waves[i] - waves[i - 1]))
        elif k + 1 < len(starts_s) and starts_s[k + 1] > start:
            out.append(60.0 / (starts_s[k + 1] - start))
        else:
            out.append(None)
    return out


def af_needs_more_beats(rhythm: str | None, n_beats: int) -> bool:
    """True in atrial fibrillation when fewer than AF_MIN_BEATS beats were averaged."""
    return is_af(rhythm) and n_beats < AF_MIN_BEATS


def is_af(rhythm: str | None) -> bool:
    """The case's rhythm names atrial fibrillation ("AF", "afib", "atrial fibrillation")."""
    return (rhythm or "").strip().lower() in ("af", "atrial fibrillation", "afib")
