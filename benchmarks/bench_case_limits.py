"""``report`` on the largest case the limits accept (docs/case-file.md "Limits") vs the demo case.

The demo case (its marks, trace, devices and jets on the demo study) is the reference workload; the
limit case is the same case grown to every bound at once: MAX_MARKS marks, one Doppler trace of
MAX_POINTS_PER_MARK points, MAX_DEVICES devices, MAX_JETS jets and notes of MAX_TEXT_CHARS characters.
Before the limits a 100 000-mark case took over 120 s; the limit case must stay within seconds.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from planning import limits


def _grow(doc: dict[str, Any]) -> dict[str, Any]:
    """The demo case document at every count and length limit."""
    marks = list(doc["marks"])
    trace = next(m for m in marks if m["type"] == "doppler_trace")
    (x0, _y0), (x1, _y1) = trace["points"][0], trace["points"][-1]
    n = limits.MAX_POINTS_PER_MARK
    long_trace = {**trace, "id": "limit-trace", "label": "MV inflow CW (long trace)",
                  "points": [[x0 + (x1 - x0) * k / (n - 1), trace["points"][k * len(trace["points"]) // n][1]]
                             for k in range(n)]}
    distance = next(m for m in marks if m["type"] == "distance")
    extra = [{**distance, "id": f"limit-d{k}", "label": f"Extra distance {k}", "purpose": None}
             for k in range(limits.MAX_MARKS - len(marks) - 1)]
    for mark in extra:
        mark.pop("purpose")
    devices = list(doc["devices"]) + [{"id": f"dx{k}", "kind": "MitraClip", "model": "unknown"}
                                      for k in range(limits.MAX_DEVICES - len(doc["devices"]))]
    jets = list(doc["jets"]) + [{"id": f"jx{k}", "location": "inter-clip", "grade": "mild"}
                                for k in range(limits.MAX_JETS - len(doc["jets"]))]
    return {**doc, "marks": [*marks, long_trace, *extra], "devices": devices, "jets": jets,
            "notes": ("Limit case notes. " * limits.MAX_TEXT_CHARS)[:limits.MAX_TEXT_CHARS]}


def _report_seconds(case: Path, out: Path) -> float:
    from gui.cli.report import write_case_report

    start = time.perf_counter()
    write_case_report(case, out)
    return time.perf_counter() - start


def run() -> None:
    from demo.case import write_demo_case
    from demo.phantom import write_demo_study

    with tempfile.TemporaryDirectory(prefix="mitraplan-bench-") as tmp:
        folder = Path(tmp)
        demo_case = write_demo_case(write_demo_study(folder / "study"), folder)
        limit_case = folder / "limits.mitraplan.json"
        limit_case.write_text(json.dumps(_grow(json.loads(demo_case.read_text(encoding="utf-8")))), encoding="utf-8")
        _report_seconds(demo_case, folder / "warm")  # imports, fonts and the decoder caches, once
        reference = _report_seconds(demo_case, folder / "reference")
        limit = _report_seconds(limit_case, folder / "limit")
        size_mb = limit_case.stat().st_size / 1e6
        print(f"case_limits.limit_case: {limits.MAX_MARKS} marks, a {limits.MAX_POINTS_PER_MARK}-point trace,"
              f" {limits.MAX_DEVICES} devices, {limits.MAX_JETS} jets, {limits.MAX_TEXT_CHARS}-character notes,"
              f" {size_mb:.1f} MB", flush=True)
        print(f"case_limits.reference_report_s: {reference:.2f}", flush=True)
        print(f"case_limits.limit_report_s: {limit:.2f}", flush=True)
        print(f"case_limits.ratio: {limit / reference:.1f}", flush=True)
