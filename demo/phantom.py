"""A synthetic post-TEER TEE study with known truth: the demo study and the test fixtures.

Everything is computed with numpy from a fixed seed, so writing the demo twice gives the same
pixels and the same UIDs. Five images, all 800x600 JPEG baseline YBR_FULL_422, one patient
("MitraPlan^Demo"), one study, heart rate 72 bpm (RR = 60/72 s = 833.3 ms):

* ``me_commissural``: mid-oesophageal commissural loop, 60 frames at Frame Time 25 ms, two clips.
* ``me_long_axis``: long-axis loop, 60 frames, Frame Time Vector alternating 30/36 ms, one clip.
* ``color_flow``: 40 frames at 50 ms, a 2D tissue region and a colour-flow region, a para-clip
  MR jet in systole whose neck (vena contracta) is 20 px wide.
* ``cw_mv_inflow`` / ``cw_mr``: CW Doppler strips (a 2D thumbnail region above a spectral region)
  with mitral inflow below and MR above the baseline, drawn from known piecewise-linear envelopes.

Truth is analytic: distances from pixel offsets times the region deltas, Doppler numbers from the
envelope polylines by the exact per-segment formulas of docs/clinical-criteria.md §1.2-1.3 (M5-M8): VTI = sum dt(a+b)/2,
integral of v^2 = sum dt(a^2+ab+b^2)/3, mean gradient = 4/T times that integral, PHT = time from
the E peak V0 to V0/sqrt(2) along the linear deceleration.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import simplejpeg
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.tag import Tag
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    UID,
    JPEGBaseline8Bit,
    UltrasoundImageStorage,
    UltrasoundMultiFrameImageStorage,
    generate_uid,
)

ROWS, COLS = 600, 800
HEART_RATE_BPM = 72.0
RR_S = 60.0 / HEART_RATE_BPM
#: first R wave of every loop and strip, in s from its start; the next ones follow every RR_S
FIRST_R_S = 0.1
JPEG_QUALITY = 92
DEMO_UID_ROOT = "1.2.826.0.1.3680043.8.498."  # pydicom's root; suffixes are hashed from fixed names

PATIENT = {"PatientName": "MitraPlan^Demo", "PatientID": "MP-DEMO-0001", "PatientBirthDate": "19470312",
           "PatientSex": "F"}
STUDY = {"StudyDate": "20260115", "StudyTime": "101500", "StudyDescription": "TEE after mitral TEER (demo)",
         "AccessionNumber": "MPDEMO0001", "StudyID": "1", "ReferringPhysicianName": "",
         "InstitutionName": "MitraPlan demo"}

#: 2D sector of the loops: apex (transducer) at image (400, 40), 90 degrees wide, 540 px deep.
APEX = (400, 40)
SECTOR_DEPTH_PX = 540
SECTOR_HALF_ANGLE = math.radians(45)
#: anisotropic 2D calibration of the loops (cm per pixel)
DELTA_X_CM, DELTA_Y_CM = 0.025, 0.0225
TISSUE_BOUNDS = (80, 40, 719, 579)
COLOR_BOX = (250, 150, 549, 449)

#: spectral region of the CW strips and its time axis
SPECTRAL_BOUNDS = (40, 200, 779, 579)
SPECTRAL_DELTA_X_S = 0.004
SPECTRAL_REF_X0 = 20  # time 0 lies 20 px right of the region's left edge
THUMB_BOUNDS = (250, 10, 549, 169)
THUMB_DELTA_CM = 0.08

#: per-beat envelopes (s after the R wave, |v| m/s). Inflow: E peak 1.8 m/s at 0.54 s, linear
#: deceleration to 1.8/sqrt(2) in exactly 0.15 s (so PHT = 150 ms), then an A wave peaking at 1.4 m/s.
SQRT2 = math.sqrt(2.0)
INFLOW_BEAT = ((0.48, 0.0), (0.54, 1.8), (0.69, 1.8 / SQRT2), (0.72, 1.0), (0.77, 1.4), (0.83, 0.0))
INFLOW_PHT_S = 0.15
#: MR: holosystolic, peak 5.0 m/s at 0.18 s
MR_BEAT = ((0.03, 0.0), (0.08, 3.6), (0.18, 5.0), (0.30, 4.7), (0.40, 3.0), (0.45, 0.0))


def demo_uid(name: str) -> UID:
    """A UID that depends only on ``name`` (re-writing the demo keeps every UID)."""
    return generate_uid(prefix=DEMO_UID_ROOT, entropy_srcs=["mitraplan-demo", name])


# --- envelope arithmetic (docs/clinical-criteria.md M5-M8) ------------------------------

def polyline_metrics(points: Sequence[tuple[float, float]]) -> dict[str, float]:
    """Vmax (m/s), VTI (cm), mean gradient (mmHg) and duration (s) of a (t s, v m/s) polyline.

    Exact for a piecewise-linear envelope: VTI = sum dt (|a|+|b|)/2; MG = (4/T) sum dt (a^2+ab+b^2)/3.
    """
    vti = sq = 0.0
    for (t0, v0), (t1, v1) in itertools.pairwise(points):
        a, b, dt = abs(v0), abs(v1), t1 - t0
        vti += dt * (a + b) / 2.0
        sq += dt * (a * a + a * b + b * b) / 3.0
    duration = points[-1][0] - points[0][0]
    return {"vmax_m_s": max(abs(v) for _, v in points), "vti_cm": 100.0 * vti,
            "mean_gradient_mmHg": 4.0 * sq / duration, "duration_s": duration}


def _beat_times(t_first: float, t_last: float, rr_s: float = RR_S) -> list[float]:
    """R-wave times (s) from FIRST_R_S every ``rr_s``, including one beat before ``t_first``."""
    n0 = math.floor((t_first - FIRST_R_S) / rr_s) - 1
    n1 = math.ceil((t_last - FIRST_R_S) / rr_s) + 1
    return [FIRST_R_S + n * rr_s for n in range(n0, n1 + 1)]


def envelope_at(t: np.ndarray, rr_s: float = RR_S) -> np.ndarray:
    """Signed CW velocity envelope (m/s) at times ``t`` (s): MR positive, mitral inflow negative."""
    v = np.zeros_like(t, dtype=np.float64)
    for r in _beat_times(float(t.min()), float(t.max()), rr_s):
        for beat, sign in ((MR_BEAT, 1.0), (INFLOW_BEAT, -1.0)):
            ts = np.array([r + p[0] for p in beat])
            vs = np.array([p[1] for p in beat])
            inside = (t >= ts[0]) & (t <= ts[-1])
            v[inside] = sign * np.interp(t[inside], ts, vs)
    return v


# --- drawing helpers -------------------------------------------------------------------------

def _grid() -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:ROWS, 0:COLS].astype(np.float32)
    return xs, ys


def _segment_mask(shape: tuple[int, int], p0: tuple[float, float], p1: tuple[float, float],
                  width: float) -> tuple[slice, slice, np.ndarray]:
    """Pixels within ``width/2`` of segment p0-p1, as a mask over its bounding box."""
    pad = width / 2 + 1
    x0, x1 = int(max(min(p0[0], p1[0]) - pad, 0)), int(min(max(p0[0], p1[0]) + pad + 1, shape[1]))
    y0, y1 = int(max(min(p0[1], p1[1]) - pad, 0)), int(min(max(p0[1], p1[1]) + pad + 1, shape[0]))
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    length2 = max(dx * dx + dy * dy, 1e-6)
    u = np.clip(((xs - p0[0]) * dx + (ys - p0[1]) * dy) / length2, 0.0, 1.0)
    dist2 = (xs - p0[0] - u * dx) ** 2 + (ys - p0[1] - u * dy) ** 2
    return slice(y0, y1), slice(x0, x1), dist2 <= (width / 2) ** 2


def _draw_segment(img: np.ndarray, p0: tuple[float, float], p1: tuple[float, float], width: float,
                  value: float) -> None:
    sy, sx, mask = _segment_mask(img.shape[:2], p0, p1, width)
    img[sy, sx][mask] = value


def _ellipse(xs: np.ndarray, ys: np.ndarray, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    return ((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2 <= 1.0


def _sector_mask(xs: np.ndarray, ys: np.ndarray, apex: tuple[float, float], depth: float) -> np.ndarray:
    dx, dy = xs - apex[0], ys - apex[1]
    r = np.hypot(dx, dy)
    return (r <= depth) & (dy >= 0) & (np.abs(np.arctan2(dx, dy)) <= SECTOR_HALF_ANGLE)


def _speckle(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Multiplicative speckle: Rayleigh noise at full size times a coarse (4x) Rayleigh pattern."""
    fine = rng.rayleigh(0.8, shape).astype(np.float32)
    coarse = rng.rayleigh(0.8, (shape[0] // 4 + 1, shape[1] // 4 + 1)).astype(np.float32)
    coarse = np.repeat(np.repeat(coarse, 4, axis=0), 4, axis=1)[:shape[0], :shape[1]]
    return fine * 0.5 + coarse * 0.6


def _to_rgb(grey: np.ndarray) -> np.ndarray:
    g = np.clip(grey, 0, 255).astype(np.uint8)
    return np.repeat(g[:, :, None], 3, axis=2)


# --- cardiac phase ---------------------------------------------------------------------------

def _phase(t_s: float, rr_s: float = RR_S) -> float:
    """Time since the last R wave (s)."""
    return (t_s - FIRST_R_S) % rr_s


def _opening(t_s: float, rr_s: float = RR_S) -> float:
    """Leaflet opening 0 (closed) .. 1 (wide), following the inflow envelope's shape."""
    p = _phase(t_s, rr_s)
    beat_t = [q[0] for q in INFLOW_BEAT]
    beat_v = [q[1] for q in INFLOW_BEAT]
    return float(np.interp(p, beat_t, beat_v) / 1.8) ** 0.5 if beat_t[0] <= p <= beat_t[-1] else 0.0


def _in_systole(t_s: float, rr_s: float = RR_S) -> bool:
    return MR_BEAT[0][0] <= _phase(t_s, rr_s) <= MR_BEAT[-1][0]


def _r_wave_times_ms(duration_s: float, rr_s: float = RR_S) -> list[float]:
    return [1000.0 * t for t in _beat_times(0.0, duration_s, rr_s) if 0.0 <= t < duration_s]


# --- the 2D views ----------------------------------------------------------------------------

@dataclass(frozen=True)
class _View:
    """Geometry of one 2D view (image pixel coordinates)."""

    hinges: tuple[tuple[float, float], tuple[float, float]]
    coaptation: tuple[float, float]
    clips: tuple[tuple[float, float], ...]
    la: tuple[float, float, float, float]
    lv: tuple[float, float, float, float]


COMMISSURAL = _View(hinges=((320.0, 290.0), (480.0, 290.0)), coaptation=(400.0, 335.0),
                    clips=((360.0, 330.0), (440.0, 330.0)),
                    la=(400.0, 170.0, 170.0, 95.0), lv=(400.0, 440.0, 170.0, 120.0))
LONG_AXIS = _View(hinges=((340.0, 260.0), (460.0, 300.0)), coaptation=(405.0, 325.0), clips=((405.0, 322.0),),
                  la=(390.0, 160.0, 150.0, 90.0), lv=(420.0, 440.0, 150.0, 120.0))


def _tissue_base(view: _View, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Static speckled sector (float grey) and its mask."""
    xs, ys = _grid()
    sector = _sector_mask(xs, ys, APEX, SECTOR_DEPTH_PX)
    grey = np.full((ROWS, COLS), 95.0, np.float32)
    for cx, cy, rx, ry in (view.la, view.lv):
        grey[_ellipse(xs, ys, cx, cy, rx, ry)] = 14.0
    depth = np.hypot(xs - APEX[0], ys - APEX[1])
    grey *= _speckle(rng, (ROWS, COLS)) * np.exp(-depth / 900.0)
    grey[~sector] = 0.0
    return grey, sector


def _draw_valve(img: np.ndarray, view: _View, t_s: float, rr_s: float = RR_S) -> None:
    """Leaflets from hinge to tip (tips swing down into the LV with opening), then the clips."""
    opening = _opening(t_s, rr_s)
    cx, cy = view.coaptation
    for hinge in view.hinges:
        side = -1.0 if hinge[0] < cx else 1.0
        closed_tip = (cx + side * 12.0, cy)
        open_tip = (hinge[0] + side * 10.0, hinge[1] + 95.0)
        tip = (closed_tip[0] + opening * (open_tip[0] - closed_tip[0]),
               closed_tip[1] + opening * (open_tip[1] - closed_tip[1]))
        _draw_segment(img, hinge, tip, 7.0, 185.0)
    bob = 4.0 * math.sin(2 * math.pi * _phase(t_s, rr_s) / rr_s)
    for x, y in view.clips:
        y += bob
        sy, sx, mask = _segment_mask(img.shape, (x, y - 14.0), (x, y + 14.0), 14.0)
        img[sy, sx][mask] = 252.0
        shadow = slice(int(y + 22), int(y + 140)), slice(int(x - 9), int(x + 10))
        img[shadow] *= 0.35
        for echo in (48.0, 96.0):  # reverberation of the metal clip
            _draw_segment(img, (x - 7, y + echo), (x + 7, y + echo), 3.0, 150.0 - echo)


#: para-clip jet of the colour loop: neck (vena contracta) 20 px wide at y = 318, lateral to the clip
JET_NECK = (372.0, 318.0)
JET_NECK_WIDTH_PX = 20


def _loop_frames(view: _View, times_s: Sequence[float], seed: int, colour: bool = False, rr_s: float = RR_S,
                 neck_width_px: int = JET_NECK_WIDTH_PX) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    base, sector = _tissue_base(view, rng)
    flicker = rng.normal(0.0, 6.0, (ROWS + 64, COLS)).astype(np.float32)
    frames = []
    for k, t in enumerate(times_s):
        grey = base + flicker[(k * 7) % 64:(k * 7) % 64 + ROWS]
        grey[~sector] = 0.0
        _draw_valve(grey, view, t, rr_s)
        rgb = _to_rgb(grey)
        if colour:
            _draw_colour(rgb, view, t, rng, rr_s, neck_width_px)
        frames.append(rgb)
    return frames


def _draw_colour(rgb: np.ndarray, view: _View, t_s: float, rng: np.random.Generator, rr_s: float = RR_S,
                 neck_width_px: int = JET_NECK_WIDTH_PX) -> None:
    """Colour Doppler inside COLOR_BOX: a mosaic MR jet in systole, blue inflow in diastole."""
    x0, y0, x1, y1 = COLOR_BOX
    ys, xs = np.mgrid[y0:y1 + 1, x0:x1 + 1].astype(np.float32)
    box = rgb[y0:y1 + 1, x0:x1 + 1]
    lv = _ellipse(xs, ys, *view.lv)
    if _in_systole(t_s, rr_s):
        nx, ny = JET_NECK
        height = ny - ys  # the jet rises from the neck towards the probe (into the LA)
        half = neck_width_px / 2 + np.clip(height, 0, None) * 0.3
        jet = (height >= 0) & (height <= 130) & (np.abs(xs - (nx - 0.25 * height)) <= half)
        flow_convergence = _ellipse(xs, ys, nx, ny + 10.0, 16.0, 10.0) & lv
        palette = np.array([[255, 230, 40], [250, 60, 20], [40, 220, 230], [30, 60, 250], [250, 250, 250]],
                           np.uint8)
        pick = rng.integers(0, len(palette), size=box.shape[:2])
        box[jet] = palette[pick[jet]]
        box[flow_convergence] = (220, 40, 20)
    else:
        opening = _opening(t_s, rr_s)
        if opening > 0.05:
            blood = lv & (box.max(axis=2) < 120)  # tissue priority: leaflets and clips stay grey
            cy = view.coaptation[1]
            depth = ys - cy
            for ox in (view.hinges[0][0] + 22.0, view.hinges[1][0] - 22.0):  # the two orifices
                half = 9.0 + 0.35 * np.clip(depth, 0, None)
                cone = blood & (depth >= 0) & (depth <= 120 * opening) & (np.abs(xs - ox) <= half)
                core = 1.0 - np.abs(xs - ox) / np.maximum(half, 1.0)
                blue = (90 + 160 * opening * core).astype(np.uint8)
                box[cone] = np.stack([blue // 6, blue // 3, blue], axis=-1)[cone]


# --- the CW strips ---------------------------------------------------------------------------

@dataclass
class StripPhantom:
    """One CW Doppler screen: pixels, the spectral region item and the analytic truth."""

    rgb: np.ndarray
    region_item: Dataset
    thumb_item: Dataset
    truth: dict[str, Any]
    kind: str
    _x_ref: float = field(repr=False, default=0.0)

    def x_range_for_beat(self, i: int) -> tuple[float, float]:
        """Image x coordinates spanning the target flow of beat ``i`` (0-based, fully on screen)."""
        t0, t1 = self.truth["beats"][i]
        return self._x(t0), self._x(t1)

    def _x(self, t_s: float) -> float:
        # inverse of t = (x - 0.5 - x_ref) * dX (regions.py convention: pixel centre at index + 0.5)
        return t_s / SPECTRAL_DELTA_X_S + self._x_ref + 0.5


def _spectral_item(baseline_row: int, delta_y: float) -> Dataset:
    x0, y0, x1, y1 = SPECTRAL_BOUNDS
    return _region_item((x0, y0, x1, y1), spatial_format=3, data_type=4, units=(4, 7),
                        delta=(SPECTRAL_DELTA_X_S, delta_y), ref=(SPECTRAL_REF_X0, baseline_row),
                        extra={"TransducerFrequency": 3500, "DopplerCorrectionAngle": 0.0})


def cw_strip(kind: str, *, invert: bool = False, jpeg_quality: int | None = None, seed: int = 0,
             heart_rate_bpm: float = HEART_RATE_BPM) -> StripPhantom:
    """A CW Doppler screen through the mitral valve (pure numpy).

    ``kind`` "mv_inflow": baseline high (row 120 of 380), 1.25 cm/s per px; the target is the
    diastolic inflow below the baseline. ``kind`` "mr": baseline low (row 330), 2 cm/s per px; the
    target is the MR jet above. ``invert`` flips the display (and the sign of Physical Delta Y),
    as the "invert" key of a scanner does; velocities keep their physical sign. ``jpeg_quality``
    round-trips the pixels through JPEG so tests see compression noise. ``heart_rate_bpm`` sets the
    R-R interval the beats repeat at (the synthetic prior's strips: 60 bpm).

    Truth (analytic, from INFLOW_BEAT / MR_BEAT): per complete beat the same envelope, so vmax,
    VTI, mean gradient follow from ``polyline_metrics`` on one beat; PHT = 150 ms by construction
    (inflow only). ``beats`` lists (t0, t1) in s of each complete target flow on the strip's time
    axis, ``envelope`` the signed (t s, v m/s) vertices of those beats.
    """
    if kind not in ("mv_inflow", "mr"):
        raise ValueError(f"kind must be 'mv_inflow' or 'mr', got {kind!r}")
    rng = np.random.default_rng(seed)
    rr_s = 60.0 / heart_rate_bpm
    x0, y0, x1, y1 = SPECTRAL_BOUNDS
    height, width = y1 - y0 + 1, x1 - x0 + 1
    baseline, step = (120, 1.25) if kind == "mv_inflow" else (330, 2.0)
    if invert:
        baseline = height - 1 - baseline
    delta_y = step if invert else -step  # cm/s per pixel row; negative: velocity grows upward
    cols = np.arange(width, dtype=np.float64)
    t = (cols - SPECTRAL_REF_X0) * SPECTRAL_DELTA_X_S  # pixel-index form of t(x); centre convention
    v_env = envelope_at(t, rr_s) * 100.0  # cm/s, signed
    v_row = (np.arange(height, dtype=np.float64) - baseline) * delta_y  # velocity at each row centre
    env, vr = v_env[None, :], v_row[:, None]
    same_side = np.sign(vr) == np.sign(env)
    fill = same_side & (np.abs(vr) <= np.abs(env)) & (np.abs(env) > 0)
    ratio = np.divide(np.abs(vr), np.abs(env), out=np.zeros((height, width)), where=np.abs(env) > 0)
    speckle = rng.rayleigh(0.55, (height, width))
    spectrum = np.where(fill, (95.0 + 120.0 * ratio ** 2) * (0.55 + speckle * 0.6), 12.0 + speckle * 14.0)
    spectrum[baseline, :] = 170.0
    screen = np.zeros((ROWS, COLS), np.float32)
    screen[y0:y1 + 1, x0:x1 + 1] = spectrum
    _draw_thumbnail(screen, rng)
    rgb = _to_rgb(screen)
    if jpeg_quality is not None:
        rgb = simplejpeg.decode_jpeg(simplejpeg.encode_jpeg(rgb, quality=jpeg_quality, colorspace="RGB",
                                                            colorsubsampling="422"))
    beat, sign = (INFLOW_BEAT, -1.0) if kind == "mv_inflow" else (MR_BEAT, 1.0)
    t_lo, t_hi = float(t[0]), float(t[-1])
    starts = [r for r in _beat_times(t_lo, t_hi, rr_s) if r + beat[0][0] >= t_lo and r + beat[-1][0] <= t_hi]
    metrics = polyline_metrics(beat)
    truth: dict[str, Any] = {
        "kind": kind,
        "vmax_m_s": metrics["vmax_m_s"],
        "mean_gradient_mmHg": metrics["mean_gradient_mmHg"],
        "vti_cm": metrics["vti_cm"],
        "pht_ms": 1000.0 * INFLOW_PHT_S if kind == "mv_inflow" else None,
        "duration_s": metrics["duration_s"],
        "heart_rate_bpm": heart_rate_bpm,
        "sign": sign,
        "beats": [(r + beat[0][0], r + beat[-1][0]) for r in starts],
        "envelope": [(r + bt, sign * bv) for r in starts for bt, bv in beat],
        "baseline_row": y0 + baseline,
        "delta_y_cm_s": delta_y,
    }
    return StripPhantom(rgb=rgb, region_item=_spectral_item(baseline, delta_y),
                        thumb_item=_thumb_item(), truth=truth, kind=kind, _x_ref=x0 + SPECTRAL_REF_X0)


def _draw_thumbnail(screen: np.ndarray, rng: np.random.Generator) -> None:
    """Small 2D sector above the spectrum, with the CW cursor line through the valve."""
    x0, y0, x1, y1 = THUMB_BOUNDS
    ys, xs = np.mgrid[y0:y1 + 1, x0:x1 + 1].astype(np.float32)
    apex = ((x0 + x1) / 2, y0)
    sector = _sector_mask(xs, ys, apex, y1 - y0)
    patch = 80.0 * rng.rayleigh(0.8, xs.shape) * sector
    patch[_ellipse(xs, ys, apex[0], y0 + 60, 45, 25) & sector] = 10.0
    screen[y0:y1 + 1, x0:x1 + 1] = patch
    _draw_segment(screen, apex, (apex[0] + 10, y1), 1.5, 200.0)


def _thumb_item() -> Dataset:
    x0, _y0, x1, _y1 = THUMB_BOUNDS
    return _region_item(THUMB_BOUNDS, spatial_format=1, data_type=1, units=(3, 3),
                        delta=(THUMB_DELTA_CM, THUMB_DELTA_CM), ref=((x1 - x0) // 2, 0))


# --- the study's identity and truth ----------------------------------------------------------

@dataclass(frozen=True)
class StudySpec:
    """What the demo study and its synthetic prior differ in: the study's identity and date, the heart
    rate, the commissural view's clips, the colour jet's neck width and the loops' descriptions."""

    uid_scope: str  # prefixed to every UID name: "" for the demo, so its UIDs never change
    study: dict[str, str]
    heart_rate_bpm: float
    commissural: _View
    jet_neck_width_px: int
    clips_text: str  # "two clips", "one clip"

    @property
    def rr_s(self) -> float:
        return 60.0 / self.heart_rate_bpm

    def uid(self, name: str) -> UID:
        return demo_uid(self.uid_scope + name)


DEMO_SPEC = StudySpec("", STUDY, HEART_RATE_BPM, COMMISSURAL, JET_NECK_WIDTH_PX, "two clips")
#: The synthetic prior: the index TEER's final intraprocedural result, the same patient 7 months earlier:
#: one clip (the medial one), the jet neck half as wide (10 px: vena contracta 0.25 cm), 60 bpm (R-R 1 s).
PRIOR_SPEC = StudySpec(
    "prior:", {**STUDY, "StudyDate": "20250610", "StudyTime": "143000", "AccessionNumber": "MPDEMO0000",
               "StudyDescription": "TEE, final result of mitral TEER (demo prior)"},
    60.0, dataclasses.replace(COMMISSURAL, clips=COMMISSURAL.clips[:1]), JET_NECK_WIDTH_PX // 2, "one clip")


# --- DICOM writing ---------------------------------------------------------------------------

def _region_item(bounds: tuple[int, int, int, int], *, spatial_format: int, data_type: int,
                 units: tuple[int, int], delta: tuple[float, float], ref: tuple[int, int],
                 flags: int = 0, extra: dict[str, Any] | None = None) -> Dataset:
    item = Dataset()
    item.RegionSpatialFormat, item.RegionDataType, item.RegionFlags = spatial_format, data_type, flags
    (item.RegionLocationMinX0, item.RegionLocationMinY0,
     item.RegionLocationMaxX1, item.RegionLocationMaxY1) = bounds
    item.PhysicalUnitsXDirection, item.PhysicalUnitsYDirection = units
    item.ReferencePixelX0, item.ReferencePixelY0 = ref
    item.ReferencePixelPhysicalValueX = item.ReferencePixelPhysicalValueY = 0.0
    item.PhysicalDeltaX, item.PhysicalDeltaY = delta
    for keyword, value in (extra or {}).items():
        setattr(item, keyword, value)
    return item


def tissue_region_item(bounds: tuple[int, int, int, int] = TISSUE_BOUNDS, data_type: int = 1) -> Dataset:
    """2D region of the loops: reference pixel at the apex, anisotropic cm deltas."""
    return _region_item(bounds, spatial_format=1, data_type=data_type, units=(3, 3),
                        delta=(DELTA_X_CM, DELTA_Y_CM), ref=(APEX[0] - bounds[0], APEX[1] - bounds[1]))


def encode_frames(frames: Sequence[np.ndarray], quality: int = JPEG_QUALITY) -> list[bytes]:
    """JPEG baseline 4:2:2 (YBR_FULL_422 in DICOM terms) codestreams of RGB frames."""
    return [simplejpeg.encode_jpeg(np.ascontiguousarray(f), quality=quality, colorspace="RGB",
                                   colorsubsampling="422") for f in frames]


def us_dataset(encoded: Sequence[bytes], *, key: str, rows: int = ROWS, columns: int = COLS,
               regions: Sequence[Dataset] = (), frame_time_ms: float | None = None,
               frame_time_vector: Sequence[float] | None = None, series: tuple[int, str] = (1, "TEE"),
               instance_number: int = 1, description: str = "",
               r_wave_times_ms: Sequence[float] = (), spec: StudySpec = DEMO_SPEC) -> FileDataset:
    """A US (multi-frame) Image dataset of JPEG baseline frames, in the demo patient's study (``spec``'s)."""
    multiframe = len(encoded) > 1
    sop_class = UltrasoundMultiFrameImageStorage if multiframe else UltrasoundImageStorage
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = spec.uid(f"instance:{key}")
    meta.TransferSyntaxUID = JPEGBaseline8Bit
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds = FileDataset("", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
    for keyword, value in {**PATIENT, **spec.study}.items():
        setattr(ds, keyword, value)
    ds.StudyInstanceUID = spec.uid("study")
    ds.SeriesInstanceUID = spec.uid(f"series:{series[0]}")
    ds.SeriesNumber, ds.SeriesDescription = series
    ds.InstanceNumber = instance_number
    ds.Modality, ds.Manufacturer, ds.ManufacturerModelName = "US", "MitraPlan", "Synthetic TEE phantom"
    ds.BodyPartExamined, ds.ImageComments = "HEART", description
    ds.DerivationDescription = "Synthetic image computed by demo/phantom.py (known truth)"
    ds.HeartRate = int(spec.heart_rate_bpm)
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, columns, 3
    ds.PhotometricInterpretation, ds.PlanarConfiguration = "YBR_FULL_422", 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.LossyImageCompression, ds.LossyImageCompressionMethod = "01", "ISO_10918_1"
    if multiframe:
        ds.NumberOfFrames = len(encoded)
        if frame_time_vector is not None:
            ds.FrameTimeVector = [round(v, 3) for v in frame_time_vector]
            ds.FrameIncrementPointer = Tag("FrameTimeVector")
        else:
            if frame_time_ms is None:
                raise ValueError(f"{key}: a multi-frame loop needs frame_time_ms or frame_time_vector")
            ds.FrameTime = frame_time_ms
            ds.FrameIncrementPointer = Tag("FrameTime")
            ds.RecommendedDisplayFrameRate = round(1000.0 / frame_time_ms)
        ds.StartTrim, ds.StopTrim = 1, len(encoded)
    if r_wave_times_ms:
        ds.RWaveTimeVector = [float(t) for t in r_wave_times_ms]
    if regions:
        ds.SequenceOfUltrasoundRegions = list(regions)
    ds.PixelData = encapsulate(list(encoded))
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return ds


def write_cine_loop(path: Path, n_frames: int = 90, frame_time_ms: float = 25.0, seed: int = 7) -> Path:
    """A commissural loop of ``n_frames`` 800x600 JPEG baseline frames (for benchmarks and stress tests)."""
    times = [frame_time_ms * k / 1000.0 for k in range(n_frames)]
    frames = _loop_frames(COMMISSURAL, times, seed=seed)
    ds = us_dataset(encode_frames(frames), key=f"cine:{n_frames}:{frame_time_ms}:{seed}",
                    regions=[tissue_region_item()], frame_time_ms=frame_time_ms, series=(9, "Benchmark"),
                    description=f"{n_frames}-frame benchmark loop")
    return _write(ds, Path(path))


# --- the demo study --------------------------------------------------------------------------

@dataclass
class DemoStudy:
    """Where the demo was written and what each image is known to show: ``files`` the 2D loops and
    stills, ``volumes`` the 3D/4D volumes (listed apart, as ``mitraplan info`` lists them)."""

    folder: Path
    files: dict[str, Path]
    truth: dict[str, dict[str, Any]]
    volumes: dict[str, Path] = field(default_factory=dict)


def _loop_truth(view: _View, times_ms: Sequence[float], frame_time: float | str,
                r_waves_ms: Sequence[float], spec: StudySpec) -> dict[str, Any]:
    (hx0, hy0), (hx1, hy1) = view.hinges
    annulus_cm = math.hypot((hx1 - hx0) * DELTA_X_CM, (hy1 - hy0) * DELTA_Y_CM)
    clips = [(x + 0.5, y + 0.5) for x, y in view.clips]  # pixel centres as image coordinates
    return {
        "n_frames": len(times_ms), "frame_time_ms": frame_time, "frame_times_ms": list(times_ms),
        "heart_rate_bpm": spec.heart_rate_bpm, "r_wave_times_ms": list(r_waves_ms),
        "delta_cm": (DELTA_X_CM, DELTA_Y_CM), "apex_index": APEX,
        "annulus_points": [(hx0 + 0.5, hy0 + 0.5), (hx1 + 0.5, hy1 + 0.5)], "annulus_cm": annulus_cm,
        "clip_centres": clips, "n_clips": len(clips),
        "systolic_frames": [k for k, t in enumerate(times_ms) if _in_systole(t / 1000.0, spec.rr_s)],
    }


def _write(ds: FileDataset, path: Path) -> Path:
    tmp = path.with_suffix(".tmp")
    ds.save_as(tmp, enforce_file_format=True)
    tmp.replace(path)
    return path


#: the demo's 3D TEE volume (demo/volume_phantom.py), in the demo study, series 30
DEMO_VOLUME = "volume_3d"


def write_demo_study(folder: Path) -> DemoStudy:
    """Write the five demo images and the 4D volume into ``folder`` (created if needed); same pixels
    and UIDs every time.

    Loop truth: the annulus is the distance between the two hinge points, hypot(dx * 0.025,
    dy * 0.0225) cm; commissural hinges 160 px apart on one row give 4.0 cm, long-axis hinges
    (120, 40) px apart give sqrt(3.0^2 + 0.9^2) = 3.1321 cm. Colour-flow truth: the jet neck is
    20 px wide on one row, so the vena contracta is 20 * 0.025 = 0.50 cm. Volume truth:
    ``demo.volume_phantom`` (a double orifice beside the clip bridge, areas pi * a * b).
    """
    study = _write_2d_study(Path(folder), DEMO_SPEC)
    from demo.volume_phantom import write_enhanced_volume  # it builds on this module's patient, study and UIDs

    volume = study.folder / f"{DEMO_VOLUME}.dcm"
    study.truth[DEMO_VOLUME] = write_enhanced_volume(volume)
    study.volumes[DEMO_VOLUME] = volume
    return study


def write_prior_study(folder: Path) -> DemoStudy:
    """Write the demo patient's synthetic prior study (``PRIOR_SPEC``) into ``folder``: the five 2D images
    of the demo's views, with their own Study Instance UID and UIDs, dated 2025-06-10; no 3D volume.

    Known truth, different from the demo's: one clip in the commissural view (the medial one), the jet
    neck 10 px wide, so the vena contracta is 10 * 0.025 = 0.25 cm, and 60 bpm (R-R 1000 ms, R waves
    at 100, 1100 ms of each loop). ``truth["study"]`` sums it up (the identity and those numbers).
    """
    study = _write_2d_study(Path(folder), PRIOR_SPEC)
    study.truth["study"] = {
        "patient_id": PATIENT["PatientID"], "patient_name": PATIENT["PatientName"],
        "patient_birth_date": PATIENT["PatientBirthDate"], "study_instance_uid": str(PRIOR_SPEC.uid("study")),
        "study_date": PRIOR_SPEC.study["StudyDate"], "heart_rate_bpm": PRIOR_SPEC.heart_rate_bpm,
        "vena_contracta_cm": study.truth["color_flow"]["vena_contracta_cm"],
        "n_clips": study.truth["me_commissural"]["n_clips"]}
    return study


def _write_2d_study(folder: Path, spec: StudySpec) -> DemoStudy:
    """The three loops and two CW strips of ``spec``'s study, written into ``folder``, with their truth."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    truth: dict[str, dict[str, Any]] = {}
    rr = spec.rr_s

    def add(key: str, ds: FileDataset, item_truth: dict[str, Any]) -> None:
        files[key] = _write(ds, folder / f"{key}.dcm")
        truth[key] = {"sop_instance_uid": str(ds.SOPInstanceUID), **item_truth}

    view = spec.commissural
    times = [25.0 * k for k in range(60)]
    r_waves = _r_wave_times_ms(60 * 0.025, rr)
    frames = _loop_frames(view, [t / 1000 for t in times], seed=1, rr_s=rr)
    add("me_commissural", us_dataset(
        encode_frames(frames), key="me_commissural", regions=[tissue_region_item()], frame_time_ms=25.0,
        instance_number=1, description=f"ME commissural view, {spec.clips_text}", r_wave_times_ms=r_waves,
        spec=spec), _loop_truth(view, times, 25.0, r_waves, spec))

    steps = [0.0] + [30.0 if k % 2 else 36.0 for k in range(1, 60)]  # frame k starts steps[1..k] after frame 1
    times = [float(t) for t in np.cumsum(steps)]
    r_waves = _r_wave_times_ms(times[-1] / 1000, rr)
    frames = _loop_frames(LONG_AXIS, [t / 1000 for t in times], seed=2, rr_s=rr)
    add("me_long_axis", us_dataset(
        encode_frames(frames), key="me_long_axis", regions=[tissue_region_item()], frame_time_vector=steps,
        instance_number=2, description="ME long-axis view, one clip", r_wave_times_ms=r_waves, spec=spec),
        _loop_truth(LONG_AXIS, times, "FrameTimeVector", r_waves, spec))

    times = [50.0 * k for k in range(40)]
    r_waves = _r_wave_times_ms(40 * 0.05, rr)
    frames = _loop_frames(view, [t / 1000 for t in times], seed=3, colour=True, rr_s=rr,
                          neck_width_px=spec.jet_neck_width_px)
    colour_item = tissue_region_item(COLOR_BOX, data_type=2)
    item_truth = _loop_truth(view, times, 50.0, r_waves, spec)
    item_truth.update({"jet_location": "para-clip lateral", "jet_neck": (JET_NECK[0], JET_NECK[1] + 0.5),
                       "vena_contracta_cm": spec.jet_neck_width_px * DELTA_X_CM, "color_region": 1})
    add("color_flow", us_dataset(
        encode_frames(frames), key="color_flow", regions=[tissue_region_item(), colour_item], frame_time_ms=50.0,
        instance_number=3, description="ME commissural colour flow, para-clip MR jet",
        r_wave_times_ms=r_waves, spec=spec), item_truth)

    for number, (key, kind) in enumerate((("cw_mv_inflow", "mv_inflow"), ("cw_mr", "mr")), start=1):
        strip = cw_strip(kind, seed=10 + number, heart_rate_bpm=spec.heart_rate_bpm)
        add(key, us_dataset(
            encode_frames([strip.rgb]), key=key, regions=[strip.thumb_item, strip.region_item],
            series=(2, "CW Doppler"), instance_number=number,
            description=f"CW Doppler through the mitral valve ({kind.replace('_', ' ')})", spec=spec),
            {**strip.truth, "spectral_region": 1,
             "x_ranges": [strip.x_range_for_beat(i) for i in range(len(strip.truth["beats"]))]})
    return DemoStudy(folder=folder, files=files, truth=truth)
