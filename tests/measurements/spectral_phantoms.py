"""Synthetic CW spectral strips with analytic truth, for the envelope and beat tests.

Each beat's velocity is an analytic profile made of pieces whose integrals are closed-form
(quarter-sine rise, straight decelerations, a half-sine jet), so the truth (Vmax, VTI, mean gradient
as the time average of 4 v^2, PHT from the straight deceleration) is exact arithmetic here, never
the code under test. Imitated features of real strips, each switchable:

- spectral speckle: multiplicative gamma texture inside the spectrum, Rayleigh background noise and
  isolated bright dots (the grainy CW spectrum and its background);
- a feathered outer edge: the spectrum dims over its outermost 15 % of velocity (few scatterers move
  at the maximal velocity), the edge clinicians still trace as the outer edge;
- JPEG artefacts: a lossy round trip (ultrasound exports are often JPEG baseline);
- an inverted display (the scanner's "invert" key: the spectrum drawn on the other side, Physical
  Delta Y sign flipped, velocities keep their physical sign);
- atrial fibrillation: irregular R-R with E-only inflow whose peak and length follow the R-R.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import numpy as np

from imaging.regions import UltrasoundRegion

DX_S = 0.004            # s per pixel column
FIRST_S = 0.10          # start of the first beat
ROWS = 400
EDGE_FADE = 0.15        # outermost fraction of the velocity that dims
EDGE_DIM = 0.45         # brightness at the very edge relative to the inside


@dataclass(frozen=True)
class Piece:
    """One analytic piece of a beat: 'qsin' (0 -> b, quarter sine), 'line' (a -> b) or 'hsin' (0 -> b -> 0)."""

    kind: str
    length_s: float
    a: float
    b: float

    def at(self, u: np.ndarray) -> np.ndarray:
        """Speed (m/s) at times u (s) from the piece start."""
        x = u / self.length_s
        if self.kind == "qsin":
            return self.b * np.sin(0.5 * math.pi * x)
        if self.kind == "hsin":
            return self.b * np.sin(math.pi * x)
        return self.a + (self.b - self.a) * x

    def integrals(self) -> tuple[float, float]:
        """(integral of v dt, integral of v^2 dt), closed form."""
        length, a, b = self.length_s, self.a, self.b
        if self.kind in ("qsin", "hsin"):  # a quarter and a half sine period integrate alike
            return 2.0 * length * b / math.pi, length * b * b / 2.0
        return length * (a + b) / 2.0, length * (a * a + a * b + b * b) / 3.0


@dataclass(frozen=True)
class Beat:
    """A beat starting at ``start_s``; truth from its pieces."""

    start_s: float
    pieces: tuple[Piece, ...]
    pht_ms: float | None = None

    @property
    def duration_s(self) -> float:
        return sum(p.length_s for p in self.pieces)

    def speed(self, t: np.ndarray) -> np.ndarray:
        out = np.zeros_like(t)
        t0 = self.start_s
        for p in self.pieces:
            inside = (t >= t0) & (t < t0 + p.length_s)
            out[inside] = p.at(t[inside] - t0)
            t0 += p.length_s
        return out

    def truth(self) -> dict[str, float]:
        vti_m = sum(p.integrals()[0] for p in self.pieces)
        v2 = sum(p.integrals()[1] for p in self.pieces)
        out = {"vmax_m_s": max(max(p.a, p.b) for p in self.pieces), "vti_cm": 100.0 * vti_m,
               "mean_gradient_mmHg": 4.0 * v2 / self.duration_s}
        if self.pht_ms is not None:
            out["pht_ms"] = self.pht_ms
        return out


def inflow_beat(start_s: float, e: float, pht_ms: float, decel_to: float, a_wave: float | None) -> Beat:
    """Mitral inflow: quarter-sine rise to E in 60 ms, straight deceleration with the given PHT down
    to ``decel_to`` (m/s), then an A wave (straight up and down) or, in AF, a 40 ms fall to zero."""
    slope = e * (1.0 - 1.0 / math.sqrt(2.0)) / (pht_ms / 1000.0)  # PHT = V0 (1 - 1/sqrt 2) / slope
    pieces = [Piece("qsin", 0.06, 0.0, e), Piece("line", (e - decel_to) / slope, e, decel_to)]
    if a_wave is None:
        pieces.append(Piece("line", 0.04, decel_to, 0.0))
    else:
        pieces += [Piece("line", 0.06, decel_to, a_wave), Piece("line", 0.08, a_wave, 0.0)]
    return Beat(start_s, tuple(pieces), pht_ms)


def mr_beat(start_s: float, peak: float = 5.0, length_s: float = 0.40) -> Beat:
    """An MR jet: a half-sine of peak ``peak`` over ``length_s`` (rounded top, as a CW MR jet)."""
    return Beat(start_s, (Piece("hsin", length_s, 0.0, peak),))


@dataclass
class Phantom:
    image: np.ndarray
    region: UltrasoundRegion
    beats: list[Beat]
    sign: int
    r_waves_s: list[float] = field(default_factory=list)

    def x_range(self) -> tuple[float, float]:
        """Image x span from just before the first beat to just after the last."""
        return (self.beats[0].start_s - 0.05) / DX_S, (self.beats[-1].start_s + self.beats[-1].duration_s
                                                       + 0.05) / DX_S


def sinus_inflow(n: int = 3, rr_s: float = 0.85) -> tuple[list[Beat], list[float]]:
    """Post-TEER inflow in sinus rhythm: E 1.9 m/s, PHT 140 ms, A 1.4 m/s; R waves 0.1 s before each beat."""
    beats = [inflow_beat(FIRST_S + k * rr_s, 1.9, 140.0, 1.0, 1.4) for k in range(n)]
    return beats, [b.start_s - 0.1 for b in beats]


def af_inflow(rr_s: tuple[float, ...] = (0.62, 1.05, 0.74, 0.93, 0.58)) -> tuple[list[Beat], list[float]]:
    """AF: irregular R-R, no A wave; a longer cycle lets the E wave decelerate further."""
    beats, t = [], FIRST_S
    for k, rr in enumerate(rr_s):
        e = 1.6 + 0.25 * math.sin(1.7 * k)
        flow = rr - 0.30  # systole ~0.3 s without inflow
        slope = e * (1.0 - 1.0 / math.sqrt(2.0)) / 0.150  # PHT 150 ms
        decel_to = max(e - slope * (flow - 0.10), 0.35)
        beats.append(inflow_beat(t, e, 150.0, decel_to, None))
        t += rr
    return beats, [b.start_s - 0.08 for b in beats]


def mr_jets(n: int = 3, rr_s: float = 0.8) -> tuple[list[Beat], list[float]]:
    beats = [mr_beat(FIRST_S + k * rr_s) for k in range(n)]
    return beats, [b.start_s - 0.03 for b in beats]


def render(beats: list[Beat], *, sign: int, cm_s_per_px: float, invert: bool = False,
           jpeg_quality: int | None = None, fade: bool = True, seed: int = 5,
           r_waves_s: list[float] | None = None) -> Phantom:
    """Draw the beats as a CW spectrum (velocity sign ``sign``: -1 away from the probe, drawn below)."""
    rng = np.random.default_rng(seed)
    end = beats[-1].start_s + beats[-1].duration_s + 0.15
    cols = int(end / DX_S) + 1
    t = (np.arange(cols) + 0.5 - 0.5) * DX_S           # t at column centres x = c + 0.5, reference pixel 0
    speed = np.zeros(cols)
    for b in beats:
        speed = np.maximum(speed, b.speed(t))
    draw_down = (sign < 0) != invert
    baseline = 80 if draw_down else ROWS - 80
    delta_y = -cm_s_per_px if not invert else cm_s_per_px
    region = UltrasoundRegion(index=0, spatial_format=3, data_type=4, flags=0, location=(0, 0, cols - 1, ROWS - 1),
                              bounds=(0, 0, cols - 1, ROWS - 1), units_x=4, units_y=7, delta_x=DX_S,
                              delta_y=delta_y, reference_pixel_x0=0, reference_pixel_y0=baseline)
    depth = speed * 100.0 / cm_s_per_px                   # rows from the baseline centre to the edge
    d = np.abs(np.arange(ROWS)[:, None] - baseline).astype(float)
    side = (np.arange(ROWS)[:, None] > baseline) if draw_down else (np.arange(ROWS)[:, None] < baseline)
    cover = np.clip(depth[None, :] - d + 0.5, 0.0, 1.0) * side
    ratio = np.clip(d / np.maximum(depth[None, :], 1.0), 0.0, 1.0)
    level = 150.0 + 40.0 * ratio
    if fade:
        level *= 1.0 - (1.0 - EDGE_DIM) * np.clip((ratio - (1.0 - EDGE_FADE)) / EDGE_FADE, 0.0, 1.0)
    img = rng.rayleigh(10.0, (ROWS, cols))
    dots = rng.random((ROWS, cols)) < 0.003
    img[dots] = rng.uniform(110, 255, int(dots.sum()))
    img = img * (1 - cover) + cover * level * rng.gamma(8.0, 1 / 8.0, (ROWS, cols))
    img[baseline, :] = 200.0
    grey = np.clip(img, 0, 255).astype(np.uint8)
    rgb = np.repeat(grey[..., None], 3, axis=2)
    if jpeg_quality is not None:
        from PIL import Image
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, format="JPEG", quality=jpeg_quality)
        rgb = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    return Phantom(rgb, region, beats, sign, list(r_waves_s or []))
