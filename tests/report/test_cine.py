"""Cine export (report.cine): frame count, frame timing, burned-in marks and the blanked banner, read back
from the written file by a decoder (PyAV for MP4, Pillow for GIF/APNG)."""

from __future__ import annotations

import stat
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageSequence

from imaging.errors import InputError
from imaging.loop import Loop
from report.cine import Cancelled, delays, export_cine
from report.model import Mark
from tests.report.cine_loops import BANNER_VALUE, COLS, REGION, ROWS, grey_of, write_loop


def _decode_mp4(path: Path) -> tuple[list[np.ndarray], list[Fraction], Fraction]:
    """Frames (RGB), their start times (s) and the stream's mean frame rate, as a player reads them."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        rate = stream.average_rate
        assert rate is not None
        return ([f.to_ndarray(format="rgb24") for f in frames],
                [f.pts * f.time_base for f in frames if f.pts is not None and f.time_base is not None], rate)


def _decode_animated(path: Path) -> tuple[list[np.ndarray], list[int]]:
    with Image.open(path) as image:
        frames = [(np.asarray(f.convert("RGB")), int(f.info["duration"])) for f in ImageSequence.Iterator(image)]
    return [f for f, _ in frames], [d for _, d in frames]


def test_mp4_of_a_range_has_its_frames_at_the_loops_frame_rate(tmp_path: Path) -> None:
    src = tmp_path / "loop.dcm"
    write_loop(src, frames=12, frame_time_ms=33.3)
    out = tmp_path / "cine.mp4"
    with Loop.open(src) as loop:
        result = export_cine(loop, out, 3, 9)
    frames, starts, rate = _decode_mp4(out)
    assert len(frames) == 9 - 3 + 1 == result.frames
    assert float(rate) == pytest.approx(1000 / 33.3, rel=1e-6)  # 30.03 fps, not a rounded 30
    assert [float(t) for t in starts] == pytest.approx([k * 0.0333 for k in range(7)], abs=1e-6)
    assert frames[0].shape == (ROWS + 1, COLS, 3)  # 121 rows padded to an even 122 for yuv420p
    for k, frame in enumerate(frames):  # frame 3 first, in order (H.264 is lossy: a few grey levels)
        assert abs(int(frame[60, 80].mean()) - grey_of(3 + k)) <= 3
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_variable_frame_time_keeps_each_frames_start(tmp_path: Path) -> None:
    src = tmp_path / "vfr.dcm"
    # Frame Time Vector: frame k starts sum(FTV[1..k]) ms after frame 1
    write_loop(src, frames=6, frame_time_ms=None, frame_time_vector=[0, 20, 20, 40, 40, 20])
    out = tmp_path / "vfr.mp4"
    with Loop.open(src) as loop:
        result = export_cine(loop, out, 2, 6)
    _, starts, rate = _decode_mp4(out)
    # frames 2..6 start at 20, 40, 80, 120, 140 ms: relative 0, 20, 60, 100, 120; the last lasts the mean step 28 ms
    assert [float(t) * 1000 for t in starts] == pytest.approx([0, 20, 60, 100, 120], abs=1e-3)
    assert float(rate) == pytest.approx(5 / 0.148, rel=1e-6)
    assert result.variable_frame_time


def test_gif_and_apng_frame_durations(tmp_path: Path) -> None:
    src = tmp_path / "loop.dcm"
    write_loop(src, frames=12, frame_time_ms=33.4)
    with Loop.open(src) as loop:
        export_cine(loop, tmp_path / "c.gif", 1, 6)
        export_cine(loop, tmp_path / "c.png", 1, 6)
    gif_frames, gif_ms = _decode_animated(tmp_path / "c.gif")
    png_frames, png_ms = _decode_animated(tmp_path / "c.png")
    # ends 33.4, 66.8, 100.2, 133.6, 167.0, 200.4 ms -> GIF centiseconds 3, 7, 10, 13, 17, 20 -> 30 40 30 30 40 30 ms
    assert gif_ms == [30, 40, 30, 30, 40, 30] and sum(gif_ms) == 200
    # whole ms 33, 67, 100, 134, 167, 200 -> 33 34 33 34 33 33
    assert png_ms == [33, 34, 33, 34, 33, 33]
    assert len(gif_frames) == len(png_frames) == 6
    assert [int(f[60, 80, 0]) for f in png_frames] == [grey_of(n) for n in range(1, 7)]
    for name in ("c.gif", "c.png"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_delays_do_not_drift() -> None:
    times = [k * 1000 / 60 for k in range(61)]  # 60 fps for one second
    assert sum(delays(times, 10.0)) == 100 and set(delays(times, 10.0)) == {1, 2}


def test_a_mark_is_burned_in_on_its_own_frame(tmp_path: Path) -> None:
    src = tmp_path / "loop.dcm"
    ds = write_loop(src, frames=8)
    mark = Mark("d1", "distance", "MV annulus", str(ds.SOPInstanceUID), 5, 0, ((30.5, 70.5), (90.5, 70.5)))
    with Loop.open(src) as loop:
        export_cine(loop, tmp_path / "m.png", 4, 6, marks=[mark], captions={"d1": "MV annulus 3.00 cm"})
        export_cine(loop, tmp_path / "all.png", 4, 6, marks=[mark], captions={}, every_frame=True)
        export_cine(loop, tmp_path / "m.mp4", 4, 6, marks=[mark], captions={})
    frames, _ = _decode_animated(tmp_path / "m.png")
    yellow = (0xFF, 0xE6, 0x00)  # report.keyimages ink
    assert tuple(frames[1][70, 60]) == yellow  # frame 5, on the line between x 30.5 and 90.5
    assert tuple(frames[0][70, 60]) == (grey_of(4),) * 3 == (65, 65, 65)  # frames 4 and 6: no mark
    assert tuple(frames[2][70, 60]) == (grey_of(6),) * 3
    assert all(tuple(f[70, 60]) == yellow for f in _decode_animated(tmp_path / "all.png")[0])
    mp4, _, _ = _decode_mp4(tmp_path / "m.mp4")
    red, _, blue = (int(v) for v in mp4[1][70, 60])
    # a 1-px yellow line through 4:2:0 chroma: far brighter than the grey 80 of frame 5, and yellowish
    assert red > 200 and blue < red - 60
    assert abs(int(mp4[0][70, 60, 0]) - grey_of(4)) <= 3


def test_banner_blanked_outside_the_kept_area(tmp_path: Path) -> None:
    src = tmp_path / "loop.dcm"
    write_loop(src, frames=4)
    with Loop.open(src) as loop:
        assert (loop.frame(0)[:20] == BANNER_VALUE).all()
        export_cine(loop, tmp_path / "anon.png", 1, 4, keep=[REGION])
        export_cine(loop, tmp_path / "anon.mp4", 1, 4, keep=[REGION])
    x0, y0, x1, y1 = REGION
    for k, frame in enumerate(_decode_animated(tmp_path / "anon.png")[0]):
        outside = np.ones(frame.shape[:2], bool)
        outside[y0:y1 + 1, x0:x1 + 1] = False
        assert (frame[outside] == 0).all()  # the banner rows and the side strips
        assert (frame[y0:y1 + 1, x0:x1 + 1] == grey_of(k + 1)).all()
    for frame in _decode_mp4(tmp_path / "anon.mp4")[0]:
        assert frame[:16].max() <= 3  # the banner (250) is gone; H.264 leaves at most a trace of its edge


def test_bad_range_and_format_name_the_file(tmp_path: Path) -> None:
    src = tmp_path / "loop.dcm"
    write_loop(src, frames=4)
    with Loop.open(src) as loop:
        with pytest.raises(InputError, match=r"3\.\.5 is not within the loop's frames 1\.\.4"):
            export_cine(loop, tmp_path / "x.mp4", 3, 5)
        with pytest.raises(InputError, match=r"x\.avi.*unknown cine format '\.avi'"):
            export_cine(loop, tmp_path / "x.avi", 1, 2)
    assert not (tmp_path / "x.mp4").exists()


class _CancelAfter:
    """A cancel flag that trips once ``n`` frames were reported done."""

    def __init__(self, n: int) -> None:
        self.n, self.done = n, 0

    def progress(self, done: int, _total: int, _text: str) -> None:
        self.done = done

    def is_set(self) -> bool:
        return self.done >= self.n


@pytest.mark.parametrize("suffix", ["mp4", "gif"])
def test_a_cancelled_export_leaves_no_file(tmp_path: Path, suffix: str) -> None:
    src = tmp_path / "loop.dcm"
    write_loop(src, frames=8)
    flag = _CancelAfter(3)
    out = tmp_path / f"c.{suffix}"
    with Loop.open(src) as loop, pytest.raises(Cancelled):
        export_cine(loop, out, 1, 8, progress=flag.progress, cancel=flag)
    assert flag.done == 3 and not out.exists()


def test_a_single_frame_plays_for_its_nominal_frame_time(tmp_path: Path) -> None:
    src = tmp_path / "still.dcm"
    write_loop(src, frames=1, frame_time_ms=50.0)
    with Loop.open(src) as loop:
        result = export_cine(loop, tmp_path / "one.mp4", 1, 1)
    frames, _, rate = _decode_mp4(tmp_path / "one.mp4")
    assert len(frames) == 1 and result.fps == pytest.approx(20.0) and float(rate) == pytest.approx(20.0)
