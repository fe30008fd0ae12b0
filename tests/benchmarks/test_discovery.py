"""`python -m benchmarks` finds every bench_*.py module (each with run())."""

from __future__ import annotations

import importlib

from benchmarks.__main__ import discover


def test_bench_modules_are_discovered_and_runnable() -> None:
    names = discover()
    assert "bench_decode" in names and names == sorted(names)
    for name in names:
        assert callable(importlib.import_module(f"benchmarks.{name}").run)
