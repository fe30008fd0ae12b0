"""Automatic Doppler envelope benchmark: time to trace a whole demo CW strip and split it into beats.

- ``envelope.strip_ms``: median wall time (ms) of ``auto_envelope`` over the full spectral width
  of the demo phantom's mitral-inflow strip (demo/phantom.py ``cw_strip``), several beats.
- ``envelope.split_ms``: median time of ``split_beats`` on that trace.
- ``envelope.beats``: beats found, and complete ones (partial beats cut by the strip's edges left out).
"""

from __future__ import annotations

import statistics
import time

ROUNDS = 7


def _median_ms(action: object) -> float:
    times = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(1000.0 * (time.perf_counter() - t0))
    return statistics.median(times)


def run() -> None:
    from demo.phantom import COLS, ROWS, cw_strip
    from imaging.regions import parse_region
    from measurements.beats import complete_beats, split_beats
    from measurements.doppler import velocity_trace
    from measurements.envelope import auto_envelope

    strip = cw_strip("mv_inflow")
    region = parse_region(strip.region_item, 1, ROWS, COLS)
    x0, _, x1, _ = region.bounds
    points = auto_envelope(strip.rgb, region, x0, x1 + 1, direction="below")
    trace = velocity_trace(points, region)
    print(f"envelope.columns: {len(points)}", flush=True)
    print(f"envelope.strip_ms: {_median_ms(lambda: auto_envelope(strip.rgb, region, x0, x1 + 1)):.1f}", flush=True)
    print(f"envelope.split_ms: {_median_ms(lambda: split_beats(trace)):.2f}", flush=True)
    print(f"envelope.beats: {len(split_beats(trace))}, complete: {len(complete_beats(trace)[0])}"
          f" (complete beats on the strip: {len(strip.truth['beats'])})", flush=True)
