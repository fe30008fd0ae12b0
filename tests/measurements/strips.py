"""A small CW spectral-strip generator with known truth, for the automatic-envelope tests.

Independent of the code under test: the envelope is a piecewise-linear velocity profile per beat,
drawn as a filled, speckled spectrum with a soft anti-aliased edge, a bright baseline line and
background speckle; the truth (Vmax, mean gradient, PHT) is computed here by dense sampling.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np

from imaging.regions import UltrasoundRegion

DX_S = 0.004           # s per pixel column
BEAT_S = 0.9           # R-R interval
FIRST_BEAT_S = 0.1
#: (t s from beat start, |v| m/s) vertices
PROFILES = {
    # E 1.8 m/s, deceleration 2.9289 m/s² (PHT 180 ms), A 1.3 m/s
    "mv_inflow": [(0.05, 0.0), (0.11, 1.8), (0.11 + 1.0 / (1.8 * (1 - 1 / math.sqrt(2)) / 0.180), 0.8),
                  (0.55, 1.3), (0.65, 0.0)],
    "mr": [(0.02, 0.0), (0.07, 3.5), (0.14, 4.8), (0.22, 5.0), (0.30, 4.6), (0.37, 3.0), (0.42, 0.0)],
}


@dataclass
class Strip:
    image: np.ndarray
    region: UltrasoundRegion
    truth: dict
    beats: int

    def x_range_for_beat(self, i: int) -> tuple[float, float]:
        start = FIRST_BEAT_S + i * BEAT_S
        return start / DX_S, (start + 0.8) / DX_S


def _profile(kind: str, t: np.ndarray) -> np.ndarray:
    ts, vs = zip(*PROFILES[kind], strict=True)
    return np.interp(t, ts, vs, left=0.0, right=0.0)


def make_strip(kind: str = "mv_inflow", invert: bool = False, jpeg_quality: int | None = None,
               seed: int = 7, beats: int = 4) -> Strip:
    rng = np.random.default_rng(seed)
    cm_s_per_px = 1.0 if kind == "mv_inflow" else 2.0
    rows, cols = 420, int((FIRST_BEAT_S + beats * BEAT_S) / DX_S) + 20
    # inflow (negative velocity, away from the probe) below the baseline; MR (positive) above;
    # inverting the display flips both the drawing side and the sign of PhysicalDeltaY.
    v_sign = -1.0 if kind == "mv_inflow" else 1.0
    draw_down = (v_sign < 0) != invert
    baseline_row = 90 if draw_down else 340
    delta_y = (-cm_s_per_px) if not invert else cm_s_per_px
    region = UltrasoundRegion(index=0, spatial_format=3, data_type=4, flags=0, location=(0, 10, cols - 1, rows - 1),
                              bounds=(0, 10, cols - 1, rows - 1), units_x=4, units_y=7, delta_x=DX_S,
                              delta_y=delta_y, reference_pixel_x0=0, reference_pixel_y0=baseline_row - 10)
    t_cols = (np.arange(cols) + 0.5 - 0.5) * DX_S  # t(x = c + 0.5) = (c + 0.5 - 0.5 - 0) * dx
    speed = np.zeros(cols)
    for b in range(beats):
        speed = np.maximum(speed, _profile(kind, t_cols - FIRST_BEAT_S - b * BEAT_S))
    depth_px = speed * 100.0 / cm_s_per_px  # rows from the baseline pixel centre to the envelope
    img = rng.rayleigh(9.0, (rows, cols))                                    # background noise
    dots = rng.random((rows, cols)) < 0.004
    img[dots] = rng.uniform(120, 255, dots.sum())                            # isolated speckle
    d = np.abs(np.arange(rows)[:, None] - baseline_row).astype(float)       # distance of each pixel centre
    side = (np.arange(rows)[:, None] > baseline_row) if draw_down else (np.arange(rows)[:, None] < baseline_row)
    cover = np.clip(depth_px[None, :] - d + 0.5, 0.0, 1.0) * side            # anti-aliased fill fraction
    level = 80.0 + 120.0 * np.clip(d / np.maximum(depth_px[None, :], 1.0), 0, 1) ** 1.5
    texture = rng.gamma(6.0, 1 / 6.0, (rows, cols))
    img = img * (1 - cover) + cover * level * texture
    img[baseline_row, :] = 210.0                                              # the baseline line
    img[:10, :] = 0.0                                                         # outside the region
    grey = np.clip(img, 0, 255).astype(np.uint8)
    rgb = np.repeat(grey[..., None], 3, axis=2)
    if jpeg_quality is not None:
        from PIL import Image
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, format="JPEG", quality=jpeg_quality)
        rgb = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    return Strip(rgb, region, _truth(kind), beats)


def _truth(kind: str) -> dict:
    """Vmax, mean gradient (time average of 4v² over the flow period) and PHT, by dense sampling."""
    (t_on, _), (t_off, _) = PROFILES[kind][0], PROFILES[kind][-1]
    t = np.linspace(t_on, t_off, 200_001)
    v = _profile(kind, t)
    mg = 4.0 * float(np.mean(v * v))
    truth = {"vmax_m_s": float(v.max()), "mean_gradient_mmHg": mg}
    if kind == "mv_inflow":
        (_, v0), (_, v1) = PROFILES[kind][1], PROFILES[kind][2]
        slope = (v0 - v1) / (PROFILES[kind][2][0] - PROFILES[kind][1][0])
        truth["pht_ms"] = 1000.0 * v0 * (1 - 1 / math.sqrt(2)) / slope
    return truth
