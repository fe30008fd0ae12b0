"""Cine export speed on the demo's 60-frame commissural loop, against decoding the same frames.

- ``cine.decode_fps``: frames decoded per second (a fresh cache: nothing decoded before), the reference.
- ``cine.<fmt>_fps``: frames per second of ``report.cine.export_cine`` to MP4 (H.264), GIF and APNG,
  decode included, with one mark burned into every frame; ``cine.<fmt>_vs_decode`` is the export's time
  over the decode's, in this run (how much slower than just reading the loop an export is).
- ``cine.<fmt>_kb``: the file's size.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path


def run() -> None:
    from demo.phantom import write_demo_study
    from imaging.cache import FrameCache
    from imaging.loop import Loop
    from report.cine import export_cine
    from report.model import Mark

    with tempfile.TemporaryDirectory(prefix="mitraplan-bench-") as tmp:
        folder = Path(tmp)
        path = write_demo_study(folder / "loops").files["me_commissural"]
        cache_bytes = 1 << 30
        with Loop.open(path, cache=FrameCache(cache_bytes)) as loop:
            n = loop.n_frames
            t0 = time.perf_counter()
            for k in range(n):
                loop.frame(k)
            decode_s = time.perf_counter() - t0
        print(f"cine.decode_fps: {n / decode_s:.0f} ({n} frames)", flush=True)
        mark = Mark("m1", "distance", "annulus", "", 1, 0, ((100.5, 200.5), (260.5, 200.5)))
        for suffix in ("mp4", "gif", "png"):
            out = folder / f"cine.{suffix}"
            with Loop.open(path, cache=FrameCache(cache_bytes)) as loop:
                t0 = time.perf_counter()
                export_cine(loop, out, 1, n, marks=[mark], captions={"m1": "annulus 4.0 cm"}, every_frame=True)
                seconds = time.perf_counter() - t0
            name = "apng" if suffix == "png" else suffix
            print(f"cine.{name}_fps: {n / seconds:.0f}", flush=True)
            print(f"cine.{name}_vs_decode: {seconds / decode_s:.1f}", flush=True)
            print(f"cine.{name}_kb: {out.stat().st_size / 1e3:.0f}", flush=True)
