"""Spectral Doppler: trace metrics, pressure half-time, heart rate (clinical.md M5-M9, M16).

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
from imaging.regions import PIXEL_CENTRE, UltrasoundRegion

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
    ``dt (a² + ab + b²) / 3`` (clinical.md M7) - never ``4 * mean(v)²``.
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


# --- automatic envelope ------------------------------------------------------------------------

#: Rows either side of the baseline ignored when looking for signal (the baseline line itself).
BASELINE_GUARD_PX = 3
#: Largest run of dark rows bridged inside the spectrum when walking out from the baseline.
MAX_GAP_PX = 3
#: Columns in the running median that removes speckle spikes from the edge.
EDGE_MEDIAN_COLUMNS = 5
#: Box smoothing (rows x columns) applied after the 3x3 median, against the spectral texture.
SMOOTH_ROWS, SMOOTH_COLUMNS = 5, 1
#: Edge level between the background and the mean spectrum grey (0 = background, 1 = spectrum).
EDGE_LEVEL = 0.4
#: Rows just inside a coarse edge whose median sets the local spectrum brightness.
INSIDE_ROWS = 5
#: Least grey-level difference between spectrum and background for a spectrum to be there at all.
MIN_CONTRAST = 20.0


def _grey(image: np.ndarray) -> np.ndarray:
    """Luminance as float32 (RGB by Rec. 601 weights; grey passes through)."""
    img = np.asarray(image)
    if img.ndim == 3:
        img = img[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return img.astype(np.float32, copy=False)


def _median3x3(img: np.ndarray) -> np.ndarray:
    """3x3 median (edges replicated): removes isolated speckle without moving edges."""
    padded = np.pad(img, 1, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))
    return np.median(windows.reshape(*img.shape, 9), axis=-1)


def _otsu(values: np.ndarray) -> float:
    """Otsu threshold of a set of grey values (0-255 scale)."""
    hist, edges = np.histogram(values, bins=256, range=(0.0, 256.0))
    total = hist.sum()
    if total == 0:
        return 128.0
    levels = (edges[:-1] + edges[1:]) / 2.0
    weight0 = np.cumsum(hist)
    weight1 = total - weight0
    sum0 = np.cumsum(hist * levels)
    mean0 = sum0 / np.maximum(weight0, 1)
    mean1 = (sum0[-1] - sum0) / np.maximum(weight1, 1)
    between = weight0 * weight1 * (mean0 - mean1) ** 2
    return float(levels[int(np.argmax(between))])


def _box(img: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Mean over a rows x cols window (edges replicated): evens out the spectral texture."""
    padded = np.pad(img, ((rows // 2, rows // 2), (cols // 2, cols // 2)), mode="edge")
    csum = np.cumsum(np.cumsum(np.pad(padded, ((1, 0), (1, 0))), axis=0), axis=1)
    total = csum[rows:, cols:] - csum[:-rows, cols:] - csum[rows:, :-cols] + csum[:-rows, :-cols]
    return total / float(rows * cols)


def _levels(values: np.ndarray) -> tuple[float, float]:
    """Background and spectrum grey levels: the means of the two Otsu classes."""
    split = _otsu(values)
    low, high = values[values < split], values[values >= split]
    return (float(low.mean()) if low.size else 0.0, float(high.mean()) if high.size else 255.0)


def _running_median(values: np.ndarray, width: int) -> np.ndarray:
    """Median over ``width`` neighbouring columns: removes single-column spikes, keeps slopes."""
    half = width // 2
    padded = np.pad(values, half, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, width), axis=-1)


def _edge_depths(side: np.ndarray, threshold: float) -> np.ndarray:
    """Per column, the outer edge (float rows from the baseline) of the run of signal that starts at
    the baseline guard and continues with gaps of at most MAX_GAP_PX rows; 0 where there is none.

    ``side`` is (depth, columns), row 0 next to the baseline. The edge is interpolated where the
    profile crosses ``threshold`` between the last signal row and the next one.
    """
    depth, ncols = side.shape
    out = np.zeros(ncols)
    above = side >= threshold
    for c in range(ncols):
        rows = np.flatnonzero(above[:, c])
        if rows.size == 0 or rows[0] > BASELINE_GUARD_PX + MAX_GAP_PX:
            continue
        gaps = np.flatnonzero(np.diff(rows) > MAX_GAP_PX + 1)
        last = int(rows[gaps[0]] if gaps.size else rows[-1])
        edge = float(last)
        if last + 1 < depth:
            a, b = side[last, c], side[last + 1, c]
            if a > b:
                edge += float(np.clip((a - threshold) / (a - b), 0.0, 1.0))
        out[c] = edge
    return out


def _refine_edges(side: np.ndarray, depth: np.ndarray, background: float) -> np.ndarray:
    """Move each edge to where the profile crosses halfway between the spectrum just inside it and
    the background: the position of a blurred step, whatever the local brightness of the spectrum."""
    rows = side.shape[0]
    out = depth.copy()
    for c in np.flatnonzero(depth > 0):
        edge = int(depth[c])
        inside = side[max(edge - INSIDE_ROWS - 2, 0):max(edge - 1, 1), c]
        level = (float(np.median(inside)) + background) / 2.0
        for r in range(max(edge - 2, 1), min(edge + MAX_GAP_PX + 2, rows)):
            a, b = side[r - 1, c], side[r, c]
            if a >= level > b:
                out[c] = (r - 1) + (a - level) / (a - b)
                break
    return out


def auto_envelope(image: np.ndarray, region: UltrasoundRegion, x0: float, x1: float,
                  direction: str = "auto") -> list[tuple[float, float]]:
    """The outer edge of the spectrum between image x0 and x1, as image points (one per column).

    Works on the region's pixels only: a 3x3 median against speckle and a short vertical mean against
    the spectral texture; the baseline line and a guard band beside it ignored; the side
    (above/below the baseline) with more spectrum pixels when ``direction="auto"``. Per column the
    spectrum is followed outward from the baseline (small gaps bridged, detached speckle ignored)
    and its edge placed halfway between the local spectrum brightness and the background, then
    smoothed by a running median over a few columns. Columns without flow at either end are
    trimmed (one zero-velocity point kept at each end), so the trace spans the flow period.
    """
    what = f"envelope over x {x0:.1f}-{x1:.1f}"
    require_spectral(region, what)
    if direction not in ("auto", "above", "below"):
        raise DopplerError(f"direction must be auto, above or below (got {direction!r})")
    bx0, by0, bx1, by1 = region.bounds
    c0, c1 = max(int(math.floor(min(x0, x1))), bx0), min(int(math.ceil(max(x0, x1))) - 1, bx1)
    if c1 - c0 < 2:
        raise DopplerError(f"{what}: the span must cover at least 3 columns inside {region.description}")
    grey = _grey(image)
    if grey.shape[0] <= by1 or grey.shape[1] <= bx1:
        raise DopplerError(f"{what}: the frame ({grey.shape[1]}x{grey.shape[0]}) is smaller than the region")
    crop = _box(_median3x3(grey[by0:by1 + 1, c0:c1 + 1]), SMOOTH_ROWS, SMOOTH_COLUMNS)
    ib = int(round(region.baseline_y - PIXEL_CENTRE - by0))  # baseline row inside the crop (may lie outside it)
    above_start = min(ib - 1 - BASELINE_GUARD_PX, crop.shape[0] - 1)
    below_start = max(ib + 1 + BASELINE_GUARD_PX, 0)
    # each side as (rows ordered outward from the baseline, distance of its first row from the baseline)
    sides = {"above": (crop[above_start::-1] if above_start >= 0 else crop[:0], ib - above_start),
             "below": (crop[below_start:], below_start - ib)}
    background, spectrum = _levels(np.concatenate([sides["above"][0].ravel(), sides["below"][0].ravel()]))
    threshold = background + EDGE_LEVEL * (spectrum - background)
    if direction == "auto":
        direction = max(sides, key=lambda k: int(np.count_nonzero(sides[k][0] >= threshold)))
    side, offset = sides[direction]
    if side.shape[0] < 2:
        raise DopplerError(f"{what}: no room {direction} the baseline in {region.description}")
    if spectrum - background < MIN_CONTRAST:
        raise DopplerError(f"{what}: no spectrum found {direction} the baseline (no contrast above the noise)")
    depth = _refine_edges(side, _edge_depths(side, threshold), background)
    depth = np.where(depth > 0, depth + offset, 0.0)
    depth = _running_median(depth, EDGE_MEDIAN_COLUMNS)
    flow = np.flatnonzero(depth > 0)
    if flow.size == 0:
        raise DopplerError(f"{what}: no spectrum found {direction} the baseline")
    first, last = max(int(flow[0]) - 1, 0), min(int(flow[-1]) + 1, len(depth) - 1)
    sign = -1.0 if direction == "above" else 1.0
    return [(c0 + c + PIXEL_CENTRE, ib + PIXEL_CENTRE + by0 + sign * float(depth[c])) for c in range(first, last + 1)]
