"""Run every ``benchmarks/bench_*.py`` module's ``run()`` in name order (or only those named)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def discover() -> list[str]:
    """Module names of the benchmarks, ``bench_*`` in this folder, sorted."""
    folder = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(folder)]) if m.name.startswith("bench_"))


def main(argv: list[str]) -> int:
    names = [n if n.startswith("bench_") else f"bench_{n}" for n in argv] or discover()
    failed = 0
    for name in names:
        print(f"# {name}", flush=True)
        try:
            importlib.import_module(f"benchmarks.{name}").run()
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others
            print(f"{name}.error: {type(exc).__name__}: {exc}", flush=True)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
