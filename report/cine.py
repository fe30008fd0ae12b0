"""Cine export: a loop, or a 1-based inclusive range of it, as MP4 (H.264), animated GIF or APNG.

Frames play at the loop's own timing (imaging.timing): each frame keeps its start time and duration,
so a Frame Time Vector (variable frame time) survives. MP4 stamps every frame at its start time on a
90 kHz clock (the MPEG clock; exact for whole and most fractional milliseconds); its frame rate is the
range's mean. GIF counts delays in 1/100 s and APNG here in 1/1000 s: each frame's delay is its end
time rounded minus its start time rounded, so rounding never accumulates over the loop.

Marks (report.keyimages painting) are burned in on the frame they were drawn on, as the viewer shows
them, or on every frame of the range. Anonymised, every pixel outside the kept rectangles (the
ultrasound regions, or a rectangle the user confirmed) is blanked first (report.mask), where the
vendor banner burns in the patient's name and ID.

PyAV (FFmpeg in its wheels) encodes H.264 in process; Pillow writes GIF and APNG with per-frame delays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from imaging.errors import InputError
from imaging.timing import FrameTiming
from private_files import make_private, private_file
from report.keyimages import qimage_to_array, render_key_image
from report.mask import Rect, mask_outside
from report.model import Mark

if TYPE_CHECKING:
    from av.packet import Packet
    from av.video.stream import VideoStream

    from planning.case import Case

#: output suffix → format written
FORMATS = {".mp4": "mp4", ".gif": "gif", ".png": "apng", ".apng": "apng"}
#: MP4 timestamps tick at 90 kHz: 1 ms is 90 ticks, 33.3 ms is 2997
MP4_CLOCK_HZ = 90_000
#: x264 constant-quality factor: 18 is visually lossless for 8-bit video, speckle included
H264_CRF = "18"
#: GIF delays under 20 ms are played at 100 ms by most browsers and viewers
GIF_MIN_RELIABLE_DELAY_MS = 20

#: ``progress(done, total, text)``, as gui.tasks passes to a task
Progress = Callable[[int, int, str], None]


class Cancelled(Exception):
    """The export was cancelled; its partial output was removed."""


class CancelFlag(Protocol):
    def is_set(self) -> bool: ...


class FrameSource(Protocol):
    """What a cine export reads: imaging.loop.Loop satisfies it."""

    @property
    def n_frames(self) -> int: ...

    @property
    def timing(self) -> FrameTiming: ...

    def frame(self, k: int) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class CineResult:
    """What was written: the file, its format, frames, mean frame rate and the warnings of doing so."""

    path: Path
    format: str
    frames: int
    fps: float
    variable_frame_time: bool
    warnings: tuple[str, ...] = ()


def cine_format(path: Path) -> str:
    """The format written for ``path``'s suffix; InputError naming the file for any other."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"unknown cine format {path.suffix or '(no suffix)'!r}: use .mp4 (H.264), .gif or .png"
                         " (animated PNG)", path)
    return fmt


def check_range(n_frames: int, first: int, last: int, path: Path | None = None) -> None:
    """Refuse (InputError naming ``path``) a 1-based inclusive range outside 1..n_frames or reversed."""
    if not 1 <= first <= last <= n_frames:
        raise InputError(f"frame range {first}..{last} is not within the loop's frames 1..{n_frames}"
                         " (1-based, first <= last)", path)


def range_times_ms(timing: FrameTiming, first: int, last: int) -> list[float]:
    """Start of each frame of the 1-based range and the end of its last, in ms from the range's start."""
    start = timing.frame_times_ms[first - 1]
    times = [timing.frame_times_ms[k] - start for k in range(first - 1, last)]
    return [*times, times[-1] + timing.frame_duration_ms(last - 1)]


def delays(times_ms: Sequence[float], unit_ms: float) -> list[int]:
    """Per-frame delays in whole ``unit_ms`` from start/end times: end rounded minus start rounded (no drift)."""
    ticks = [round(t / unit_ms) for t in times_ms]
    return [b - a for a, b in pairwise(ticks)]


def is_variable(times_ms: Sequence[float]) -> bool:
    """True when the frames' durations differ by more than 1 µs."""
    steps = np.diff(np.asarray(times_ms, dtype=float))
    return bool(steps.size and np.ptp(steps) > 1e-3)


def compose_frame(frame: np.ndarray, marks: Sequence[Mark], captions: dict[str, str],
                  keep: Sequence[Rect] = ()) -> np.ndarray:
    """The frame as uint8 RGB: blanked outside ``keep`` (when given), then ``marks`` burned in."""
    if keep:
        frame = mask_outside(frame, keep)
    if marks:
        return qimage_to_array(render_key_image(frame, marks, captions))
    rgb = frame if frame.ndim == 3 else np.repeat(frame[:, :, None], 3, axis=2)
    return np.ascontiguousarray(rgb[:, :, :3], dtype=np.uint8)


def blanked_pixels(keep: Sequence[Rect], rows: int, columns: int) -> int:
    """How many pixels of a rows × columns frame blanking outside ``keep`` sets to zero."""
    return int(np.count_nonzero(mask_outside(np.ones((rows, columns), dtype=np.uint8), keep) == 0))


def describe_keep(keep: Sequence[Rect], rows: int, columns: int) -> str:
    """The area an anonymised cine keeps and what is blanked, in words and pixels, for the user to confirm."""
    kept = " + ".join(f"x {x0}–{x1}, y {y0}–{y1}" for x0, y0, x1, y1 in keep)
    blanked = blanked_pixels(keep, rows, columns)
    return (f"kept: {kept} (inclusive pixels of the {columns} × {rows} frame); blanked outside it:"
            f" {blanked} pixels ({100 * blanked / (rows * columns):.0f} %)")


def marks_of_case(case: Case, loop_path: Path, info: object, sop_instance_uid: str
                  ) -> tuple[list[Mark], dict[str, str]]:
    """The case's 2D marks on one loop and their captions (report.keyimages.mark_captions); StudyMismatch
    when the loop (``info``: its header) is of another patient or study than the case's images."""
    from planning.study import require_one_study
    from report.build import build_report
    from report.keyimages import mark_captions

    report, sources = build_report(case)
    require_one_study(case, [*((sources.paths[u], ds) for u, ds in sources.headers.items()), (loop_path, info)])
    return [m for m in report.marks if m.sop_instance_uid == sop_instance_uid and m.points], mark_captions(report)


def marks_for_frame(marks: Sequence[Mark], frame_number: int, every_frame: bool) -> list[Mark]:
    """The marks burned into ``frame_number`` (1-based): those drawn on it, or all of them."""
    return [m for m in marks if m.points and (every_frame or m.frame_number == frame_number)]


def _pad_even(rgb: np.ndarray) -> np.ndarray:
    """yuv420p halves both axes: an odd row or column count gets one black row/column (bottom/right)."""
    rows, cols = rgb.shape[:2]
    if rows % 2 == 0 and cols % 2 == 0:
        return rgb
    return np.pad(rgb, ((0, rows % 2), (0, cols % 2), (0, 0)))


def write_mp4(frames: Iterator[np.ndarray], times_ms: Sequence[float], path: Path) -> None:
    """H.264 (yuv420p, even dimensions) in MP4, each frame stamped at its start time, the last ending at
    ``times_ms[-1]``; ``+faststart`` so a presentation plays it before it has been read to the end."""
    import av

    ticks = [round(t * MP4_CLOCK_HZ / 1000) for t in times_ms]
    n = len(ticks) - 1
    rate = Fraction(n * MP4_CLOCK_HZ, max(ticks[-1], 1)).limit_denominator(MP4_CLOCK_HZ)
    clock = Fraction(1, MP4_CLOCK_HZ)
    durations = {a: b - a for a, b in pairwise(ticks)}
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = clock
        stream.options = {"crf": H264_CRF, "preset": "medium"}
        for k, rgb in enumerate(frames):
            rgb = _pad_even(rgb)
            if k == 0:
                stream.height, stream.width = rgb.shape[:2]
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = ticks[k], clock
            container.mux(_timed(stream.encode(frame), durations))
        container.mux(_timed(stream.encode(None), durations))


def _timed(packets: list[Packet[VideoStream]], durations: dict[int, int]) -> list[Packet[VideoStream]]:
    """``packets`` each given its frame's duration (looked up by pts): the encoder would give the last
    frame one frame at the mean rate, and the MP4 takes a track's length from its last packet."""
    for packet in packets:
        if packet.pts is not None:
            packet.duration = durations[packet.pts]
    return packets


def write_animated(frames: Iterator[np.ndarray], times_ms: Sequence[float], path: Path, fmt: str) -> None:
    """Animated GIF (delays in 1/100 s) or APNG (in ms), looping forever. Pillow reads its frames twice
    (so they are all held in memory: a range, not a long loop) and merges identical consecutive frames
    into one with their summed delay."""
    from PIL import Image

    unit = 10.0 if fmt == "gif" else 1.0
    durations = [d * unit for d in delays(times_ms, unit)]
    first, *rest = [Image.fromarray(rgb, mode="RGB") for rgb in frames]
    first.save(path, format="GIF" if fmt == "gif" else "PNG", save_all=True, append_images=rest,
               duration=durations, loop=0, optimize=False)


def _frames(source: FrameSource, first: int, last: int, marks: Sequence[Mark], captions: dict[str, str],
            keep: Sequence[Rect], every_frame: bool, progress: Progress | None,
            cancel: CancelFlag | None) -> Iterator[np.ndarray]:
    """The composed frames of the range in order, reporting progress and stopping on cancel."""
    total = last - first + 1
    for number in range(first, last + 1):
        if cancel is not None and cancel.is_set():
            raise Cancelled
        yield compose_frame(source.frame(number - 1), marks_for_frame(marks, number, every_frame), captions, keep)
        if progress is not None:
            progress(number - first + 1, total, f"frame {number} of {first}–{last}")


def export_cine(source: FrameSource, out: Path, first: int, last: int, *, marks: Sequence[Mark] = (),
                captions: dict[str, str] | None = None, keep: Sequence[Rect] = (), every_frame: bool = False,
                progress: Progress | None = None, cancel: CancelFlag | None = None) -> CineResult:
    """Write frames ``first``..``last`` (1-based, inclusive) of ``source`` to ``out`` (format by suffix),
    created readable by the user only; a failed or cancelled export leaves no file behind."""
    fmt = cine_format(out)
    check_range(source.n_frames, first, last)
    times = range_times_ms(source.timing, first, last)
    warnings = list(source.timing.warnings)
    if fmt == "gif" and min(d * 10 for d in delays(times, 10.0)) < GIF_MIN_RELIABLE_DELAY_MS:
        warnings.append(f"{out.name}: frames shorter than {GIF_MIN_RELIABLE_DELAY_MS} ms play at 100 ms in most"
                        " browsers and viewers (GIF counts 1/100 s); MP4 or APNG keeps this loop's speed")
    frames = _frames(source, first, last, marks, captions or {}, keep, every_frame, progress, cancel)
    try:
        private_file(out)  # a cine may show burned-in names: user-only, as every export
        if fmt == "mp4":
            write_mp4(frames, times, out)
        else:
            write_animated(frames, times, out, fmt)
        make_private(out)  # a writer that replaced the file must not widen it
    except BaseException:
        out.unlink(missing_ok=True)  # a half-written cine is worse than none
        raise
    n = last - first + 1
    return CineResult(out, fmt, n, 1000.0 * n / times[-1], is_variable(times), tuple(warnings))
