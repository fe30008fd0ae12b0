"""Spectral Doppler: trace metrics, pressure half-time, heart rate (docs/clinical-criteria.md M5-M9, M16).

A trace here is a list of ``(t_s, v_m_s)`` with time strictly increasing; velocities keep their
sign, every formula uses magnitudes. ``velocity_trace`` converts a mark's image points through its
spectral region (cm/s -> m/s, the one unit trap of W3).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from imaging.errors import CalibrationError, InputError
from imaging.regions import UltrasoundRegion

TracePoint = tuple[float, float]

#: Above this peak gradient a velocity axis was almost surely read in the wrong unit (W3c).
MAX_PLAUSIBLE_GRADIENT_MMHG = 250.0
#: PHT = DT * (1 - 1/sqrt 2): the exact factor, not the 0.29 shortcut (W4d).
PHT_PER_DT = 1.0 - 1.0 / math.sqrt(2.0)
#: A fit span includes trace points this close outside it (float round trips through the calibration).
SPAN_TOLERANCE_S = 1e-6
#: MVA = 220 / PHT(ms) (S3).
PHT_CONSTANT_MS_CM2 = 220.0


class DopplerError(InputError):
    """A trace cannot give the asked number (too short, no deceleration, implausible velocity)."""


def require_spectral(region: UltrasoundRegion, what: str) -> None:
    """Refuse Doppler metrics outside a velocity-calibrated spectral region (s x cm/s)."""
    if region.problem:
        raise CalibrationError(f"{what}: {region.description} calibration is unusable ({region.problem})")
    if not region.is_spectral or region.is_frequency_scale:
        raise CalibrationError(
            f"{what}: {region.description} has units {region.unit_x or 'none'} x {region.unit_y or 'none'};"
            " Doppler measurements need a spectral region in s x cm/s")


def velocity_trace(points: Sequence[tuple[float, float]], region: UltrasoundRegion) -> list[TracePoint]:
    """Image points -> ``(t_s, v_m_s)`` through the region's calibration (cm/s -> m/s)."""
    out = []
    for x, y in points:
        t, v_cm_s = region.to_physical(x, y)
        out.append((t, v_cm_s / 100.0))
    if region.delta_x < 0:
        out.reverse()
    return out


@dataclass(frozen=True)
class TraceMetrics:
    """Numbers of one traced envelope (M5-M7)."""

    vmax_m_s: float
    peak_gradient_mmhg: float
    mean_gradient_mmhg: float
    vti_cm: float
    duration_s: float
    mean_velocity_m_s: float
    sign: int  # +1 above the baseline (toward the transducer), -1 below


def peak_gradient(vmax_m_s: float) -> float:
    """Simplified Bernoulli ``4 v²`` (v in m/s -> mmHg), refusing implausible values (W3c)."""
    pg = 4.0 * vmax_m_s * vmax_m_s
    if pg > MAX_PLAUSIBLE_GRADIENT_MMHG:
        raise DopplerError(f"peak gradient {pg:.0f} mmHg (v = {vmax_m_s:.2f} m/s) is implausible;"
                           " check the velocity unit of the spectral calibration")
    return pg


def trace_metrics(points: Sequence[TracePoint]) -> TraceMetrics:
    """Vmax, peak and mean gradient, VTI, duration and mean velocity of a piecewise-linear trace.

    Mean gradient is the time average of ``4 v²`` with the exact per-segment integral
    ``dt (a² + ab + b²) / 3`` (docs/clinical-criteria.md M7) - never ``4 * mean(v)²``.
    """
    if len(points) < 2:
        raise DopplerError(f"a trace needs at least 2 points (got {len(points)})")
    t = np.array([p[0] for p in points], dtype=float)
    v = np.array([p[1] for p in points], dtype=float)
    dt = np.diff(t)
    if np.any(dt <= 0):
        raise DopplerError("trace time must increase strictly")
    a, b = np.abs(v[:-1]), np.abs(v[1:])
    duration = float(t[-1] - t[0])
    vti_m = math.fsum(dt * (a + b) / 2.0)
    v2_int = math.fsum(dt * (a * a + a * b + b * b) / 3.0)
    vmax = float(np.max(np.abs(v)))
    signed_area = math.fsum(dt * (v[:-1] + v[1:]) / 2.0)
    return TraceMetrics(
        vmax_m_s=vmax,
        peak_gradient_mmhg=peak_gradient(vmax),
        mean_gradient_mmhg=4.0 * v2_int / duration,
        vti_cm=vti_m * 100.0,
        duration_s=duration,
        mean_velocity_m_s=vti_m / duration,
        sign=1 if signed_area >= 0 else -1,
    )


@dataclass(frozen=True)
class PhtFit:
    """Pressure half-time from a straight line fitted to the deceleration slope (M8, M9)."""

    pht_ms: float
    v0_m_s: float
    slope_m_s2: float  # deceleration, positive
    t_start_s: float
    t_end_s: float
    deceleration_time_ms: float


def pht_from_slope(v0_m_s: float, deceleration_m_s2: float) -> float:
    """``PHT = V0 (1 - 1/√2) / s`` in ms: time for the velocity to fall from V0 to V0/√2 (W4c)."""
    if deceleration_m_s2 <= 0:
        raise DopplerError("the fitted slope does not decelerate; no pressure half-time")
    return 1000.0 * v0_m_s * PHT_PER_DT / deceleration_m_s2


def pht_from_deceleration_time(dt_ms: float) -> float:
    """``PHT = DT (1 - 1/√2)`` (W4d)."""
    return dt_ms * PHT_PER_DT


def mva_from_pht(pht_ms: float) -> float:
    """``MVA = 220 / PHT`` in cm² (S3); compute it from the unrounded PHT (W4c)."""
    if pht_ms <= 0:
        raise DopplerError(f"pressure half-time must be positive (got {pht_ms} ms)")
    return PHT_CONSTANT_MS_CM2 / pht_ms


def _auto_fit_span(speed: np.ndarray) -> tuple[int, int, int]:
    """(peak, first, last) indices of the deceleration slope used for the fit.

    The slope runs from just below the peak (95 %, past the rounded top) to the first point under
    70 % of the peak (just past V0/√2, the part PHT measures), or to the lowest point before the
    speed rises again (A wave) if that comes first. On a sparse, hand-placed trace (at most two
    vertices there) it is the first segment after the peak: the slope the user drew.
    """
    peak = int(np.argmax(speed))
    v0 = speed[peak]
    last = peak
    running_min = v0
    for i in range(peak + 1, len(speed)):
        if speed[i] > running_min + 0.1 * v0:  # the next wave starts
            break
        if speed[i] <= running_min:
            running_min = speed[i]
            last = i
        if speed[i] < 0.7 * v0:
            break
    if last - peak <= 2:  # a hand-placed trace: its first segment after the peak is the drawn slope
        return peak, peak, min(peak + 1, len(speed) - 1)
    below_top = [i for i in range(peak + 1, last) if speed[i] <= 0.95 * v0]
    first = below_top[0] if below_top and last - below_top[0] >= 2 else peak
    return peak, first, last


def pressure_half_time(points: Sequence[TracePoint], fit_span_s: tuple[float, float] | None = None) -> PhtFit:
    """Least-squares line through the deceleration slope; ``fit_span_s`` (t0, t1) constrains it.

    V0 is the fitted line at the peak (at the start of a user span), so PHT is the time the *line*
    takes to fall from V0 to V0/√2 and DT the time to reach zero.
    """
    t = np.array([p[0] for p in points], dtype=float)
    speed = np.abs(np.array([p[1] for p in points], dtype=float))
    if fit_span_s is not None:
        t0, t1 = sorted(fit_span_s)
        chosen = np.flatnonzero((t >= t0 - SPAN_TOLERANCE_S) & (t <= t1 + SPAN_TOLERANCE_S))
        if len(chosen) < 2:
            raise DopplerError(f"fit span {t0:.3f}-{t1:.3f} s holds fewer than 2 trace points")
        i0, i1 = int(chosen[0]), int(chosen[-1])
        at = i0
    else:
        at, i0, i1 = _auto_fit_span(speed)
    if i1 - i0 < 1:
        raise DopplerError("no deceleration slope after the peak velocity; no pressure half-time")
    slope, intercept = np.polyfit(t[i0:i1 + 1], speed[i0:i1 + 1], 1)
    deceleration = -float(slope)
    v0 = float(intercept + slope * t[at])
    pht = pht_from_slope(v0, deceleration)
    return PhtFit(pht_ms=pht, v0_m_s=v0, slope_m_s2=deceleration, t_start_s=float(t[i0]), t_end_s=float(t[i1]),
                  deceleration_time_ms=1000.0 * v0 / deceleration)


def heart_rate_from_rr(rr_s: float) -> float:
    """``HR = 60 / RR`` (M16)."""
    if rr_s <= 0:
        raise DopplerError(f"R-R interval must be positive (got {rr_s} s)")
    return 60.0 / rr_s


def heart_rate_from_frames(frame_a: int, frame_b: int, frame_time_ms: float) -> float:
    """HR from two R-wave frame numbers and a constant Frame Time (W12a)."""
    return heart_rate_from_rr(abs(frame_b - frame_a) * frame_time_ms / 1000.0)


def heart_rate_from_starts(start_times_s: Sequence[float]) -> float:
    """HR from the start times of consecutive beats (traces): 60 / mean start-to-start interval."""
    starts = sorted(start_times_s)
    if len(starts) < 2:
        raise DopplerError("heart rate from traces needs at least two consecutive beats")
    return heart_rate_from_rr((starts[-1] - starts[0]) / (len(starts) - 1))
