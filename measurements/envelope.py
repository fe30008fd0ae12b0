"""Automatic Doppler envelope: image processing that finds a spectrum's outer edge.

The formulas that turn the envelope into clinical numbers live in ``measurements.doppler``; this
module only reads pixels and returns ``(t_s, v_m_s)`` points through the spectral region.
"""

from __future__ import annotations

import math

import numpy as np

from imaging.regions import PIXEL_CENTRE, UltrasoundRegion
from measurements.doppler import DopplerError, require_spectral

#: Rows either side of the baseline ignored when looking for signal (the baseline line itself).
BASELINE_GUARD_PX = 3
#: Largest run of dark rows bridged inside the spectrum when walking out from the baseline.
MAX_GAP_PX = 3
#: Columns in the running median that spikes of the edge are compared with.
EDGE_MEDIAN_COLUMNS = 5
#: An edge further than this (rows) from its running median is a speckle spike or dropout and is
#: replaced by the median; nearer edges are kept, so a sharp peak velocity is not shaved off.
SPIKE_ROWS = 3.0
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
    return np.asarray(np.median(windows.reshape(*img.shape, 9), axis=-1), dtype=np.float32)


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
    return np.asarray(total / float(rows * cols))


def _levels(values: np.ndarray) -> tuple[float, float]:
    """Background and spectrum grey levels: the means of the two Otsu classes."""
    split = _otsu(values)
    low, high = values[values < split], values[values >= split]
    return (float(low.mean()) if low.size else 0.0, float(high.mean()) if high.size else 255.0)


def _running_median(values: np.ndarray, width: int) -> np.ndarray:
    """Median over ``width`` neighbouring columns: removes single-column spikes, keeps slopes."""
    half = width // 2
    padded = np.pad(values, half, mode="edge")
    return np.asarray(np.median(np.lib.stride_tricks.sliding_window_view(padded, width), axis=-1), dtype=float)


def _despike(depth: np.ndarray) -> np.ndarray:
    """Replace only the edges that jump more than SPIKE_ROWS from their running median.

    A plain running median shaves a sharp peak (it returns the third-highest of five columns); the
    outer edge, the maximal velocity clinicians trace, must keep its peak.
    """
    median = _running_median(depth, EDGE_MEDIAN_COLUMNS)
    spike = (np.abs(depth - median) > SPIKE_ROWS) | (depth <= 0) | (median <= 0)
    return np.where(spike, median, depth)


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
    """Move each edge to where the profile last crosses halfway between the spectrum just inside it
    and the background: the position of a blurred step, whatever the local brightness of the
    spectrum (a feathered outer edge is dimmer than the spectrum's middle).

    ``side`` is the unsmoothed (median-filtered) side, so the vertical smoothing that finds the
    coarse edge does not pull the refined edge inward.
    """
    rows = side.shape[0]
    out = depth.copy()
    for c in np.flatnonzero(depth > 0):
        edge = int(depth[c])
        inside = side[max(edge - INSIDE_ROWS, 0):max(edge, 1), c]
        level = (float(np.median(inside)) + background) / 2.0
        for r in range(min(edge + MAX_GAP_PX + 2, rows - 1), max(edge - 2, 1) - 1, -1):
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
    c0, c1 = max(math.floor(min(x0, x1)), bx0), min(math.ceil(max(x0, x1)) - 1, bx1)
    if c1 - c0 < 2:
        raise DopplerError(f"{what}: the span must cover at least 3 columns inside {region.description}")
    grey = _grey(image)
    if grey.shape[0] <= by1 or grey.shape[1] <= bx1:
        raise DopplerError(f"{what}: the frame ({grey.shape[1]}x{grey.shape[0]}) is smaller than the region")
    fine = _median3x3(grey[by0:by1 + 1, c0:c1 + 1])
    crop = _box(fine, SMOOTH_ROWS, SMOOTH_COLUMNS)
    ib = round(region.baseline_y - PIXEL_CENTRE - by0)  # baseline row inside the crop (may lie outside it)
    above_start = min(ib - 1 - BASELINE_GUARD_PX, crop.shape[0] - 1)
    below_start = max(ib + 1 + BASELINE_GUARD_PX, 0)
    # each side as (rows ordered outward from the baseline, distance of its first row from the baseline)
    sides = {"above": (crop[above_start::-1] if above_start >= 0 else crop[:0], ib - above_start),
             "below": (crop[below_start:], below_start - ib)}
    fine_sides = {"above": fine[above_start::-1] if above_start >= 0 else fine[:0], "below": fine[below_start:]}
    background, spectrum = _levels(np.concatenate([sides["above"][0].ravel(), sides["below"][0].ravel()]))
    threshold = background + EDGE_LEVEL * (spectrum - background)
    if direction == "auto":
        direction = max(sides, key=lambda k: int(np.count_nonzero(sides[k][0] >= threshold)))
    side, offset = sides[direction]
    if side.shape[0] < 2:
        raise DopplerError(f"{what}: no room {direction} the baseline in {region.description}")
    if spectrum - background < MIN_CONTRAST:
        raise DopplerError(f"{what}: no spectrum found {direction} the baseline (no contrast above the noise)")
    depth = _refine_edges(fine_sides[direction], _edge_depths(side, threshold), background)
    depth = np.where(depth > 0, depth + offset, 0.0)
    depth = _despike(depth)
    flow = np.flatnonzero(depth > 0)
    if flow.size == 0:
        raise DopplerError(f"{what}: no spectrum found {direction} the baseline")
    first, last = max(int(flow[0]) - 1, 0), min(int(flow[-1]) + 1, len(depth) - 1)
    sign = -1.0 if direction == "above" else 1.0
    return [(c0 + c + PIXEL_CENTRE, ib + PIXEL_CENTRE + by0 + sign * float(depth[c])) for c in range(first, last + 1)]
