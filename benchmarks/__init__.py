"""Speed and memory benchmarks, run by ``make bench`` (``python -m benchmarks``).

Each ``benchmarks/bench_*.py`` module has ``run() -> None`` and prints ``name: value`` lines.
"""
