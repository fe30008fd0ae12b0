"""Frame timing of a loop: when each frame starts, heart rate and R waves (PS3.3 C.7.6.5 Cine, C.8.5.6 US Image).

Sources, in order of trust: Frame Time Vector (0018,1065), Frame Time (0018,1063), Cine Rate
(0018,0040), Recommended Display Frame Rate (0008,2144); otherwise 30 fps with a warning.
R waves and heart rate: the header's, else from the image's ECG waveform (``imaging.ecg``).
Frame indices are 0-based here; DICOM's frame numbers are 1-based.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from imaging.ecg import heart_rate_bpm, r_waves_from_waveform, trigger_time_ms

DEFAULT_FPS = 30.0


@dataclass(frozen=True)
class FrameTiming:
    """Start time of every frame (ms from frame 1), where it came from, and the ECG timing."""

    frame_times_ms: tuple[float, ...]
    source: str
    heart_rate_bpm: float | None = None
    r_wave_times_ms: tuple[float, ...] = ()
    warnings: tuple[str, ...] = ()
    #: duration given to the last frame (and to every frame of a still): the nominal frame time
    nominal_frame_ms: float = 1000.0 / DEFAULT_FPS
    #: Trigger Time (0018,1060): ms from the R wave to a triggered image, when stated
    trigger_time_ms: float | None = None

    @property
    def n_frames(self) -> int:
        return len(self.frame_times_ms)

    @property
    def duration_ms(self) -> float:
        """Time from the start of frame 1 to the end of the last frame."""
        return self.frame_times_ms[-1] + self.frame_duration_ms(self.n_frames - 1)

    @property
    def fps(self) -> float:
        """Mean frame rate over the loop (frames per second)."""
        return 1000.0 * self.n_frames / self.duration_ms

    def frame_duration_ms(self, k: int) -> float:
        """How long frame ``k`` (0-based) is shown: up to the next frame, nominal for the last."""
        if not 0 <= k < self.n_frames:
            raise IndexError(f"frame index {k} out of range 0..{self.n_frames - 1}")
        if k + 1 < self.n_frames:
            return self.frame_times_ms[k + 1] - self.frame_times_ms[k]
        return self.nominal_frame_ms

    def frame_at(self, t_ms: float) -> int:
        """The 0-based frame shown at elapsed time ``t_ms``; no wrapping, clamped to the loop."""
        k = bisect.bisect_right(self.frame_times_ms, t_ms) - 1
        return min(max(k, 0), self.n_frames - 1)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN -> None


def _values(value: Any) -> list[float]:
    if value is None or value == "":
        return []
    is_multi = hasattr(value, "__iter__") and not isinstance(value, (str, bytes))
    items = list(value) if is_multi else [value]
    numbers = [_number(v) for v in items]
    return [n for n in numbers if n is not None]


def _from_vector(ftv: list[float], n_frames: int, warnings: list[str]) -> tuple[tuple[float, ...], float] | None:
    """Start times from a Frame Time Vector: t[k] = sum(FTV[1..k]), FTV[0] taken as 0."""
    if len(ftv) < 2 or any(v < 0 for v in ftv) or not any(v > 0 for v in ftv[1:]):
        return None
    if ftv[0] != 0:
        warnings.append(f"Frame Time Vector starts with {ftv[0]:g} ms, not 0; taken as 0 (frame 1 starts the loop)")
    increments = [0.0, *ftv[1:]]
    if len(increments) != n_frames:
        warnings.append(f"Frame Time Vector has {len(ftv)} values for {n_frames} frames")
    steps = [v for v in increments[1:] if v > 0]
    nominal = sum(steps) / len(steps) if steps else ftv[0]
    increments = (increments + [nominal] * n_frames)[:n_frames]
    return tuple(accumulate(increments)), nominal


def _r_waves(ds: Any, times: tuple[float, ...]) -> tuple[float, ...]:
    vector = [t for t in _values(getattr(ds, "RWaveTimeVector", None)) if math.isfinite(t)]
    if vector:
        return tuple(vector)
    pointers = _values(getattr(ds, "RWavePointer", None))
    from_pointers = tuple(times[int(p) - 1] for p in pointers if 1 <= int(p) <= len(times))
    return from_pointers or r_waves_from_waveform(ds)


def timing_from_dataset(ds: Any, n_frames: int) -> FrameTiming:
    """Timing of ``n_frames`` frames from a pydicom dataset (header only), warnings included."""
    n_frames = max(int(n_frames), 1)
    warnings: list[str] = []
    source, times, nominal = "default", None, 1000.0 / DEFAULT_FPS
    from_vector = _from_vector(_values(getattr(ds, "FrameTimeVector", None)), n_frames, warnings)
    frame_time = _number(getattr(ds, "FrameTime", None))
    cine_rate = _number(getattr(ds, "CineRate", None))
    display_rate = _number(getattr(ds, "RecommendedDisplayFrameRate", None))
    if from_vector:
        source, (times, nominal) = "FrameTimeVector", from_vector
    elif frame_time and frame_time > 0:
        source, nominal = "FrameTime", frame_time
    elif cine_rate and cine_rate > 0:
        source, nominal = "CineRate", 1000.0 / cine_rate
    elif display_rate and display_rate > 0:
        source, nominal = "RecommendedDisplayFrameRate", 1000.0 / display_rate
    elif n_frames > 1:
        warnings.append(f"no frame timing in the header (Frame Time, Frame Time Vector, Cine Rate); "
                        f"{DEFAULT_FPS:g} fps assumed")
    if times is None:
        times = tuple(k * nominal for k in range(n_frames))
    r_waves = _r_waves(ds, times)
    return FrameTiming(
        frame_times_ms=times,
        source=source,
        heart_rate_bpm=heart_rate_bpm(ds, r_waves),
        r_wave_times_ms=r_waves,
        warnings=tuple(warnings),
        nominal_frame_ms=nominal,
        trigger_time_ms=trigger_time_ms(ds),
    )
