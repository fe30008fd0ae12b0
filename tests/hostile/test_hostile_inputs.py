"""Hundreds of hostile files derived from real ones: every one fails cleanly, none crashes, hangs or blows up.

Runs ``mitraplan info``, the catalog of a folder holding the file beside a good loop, and the decode
of its first and last frame on every case of :mod:`tests.hostile.generator`, in a worker process
limited to 2 GiB of address space with a per-file timeout. Every failure class must count zero:
exit 1 (an unexpected error), a traceback on stderr, a hang, a memory error, a message that does
not name the file, non-strict JSON, and a folder whose good loop was lost to one bad file.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import find_realdata
from tests.hostile.generator import write_cases, write_good_loop
from tests.hostile.runner import CLASSES, TRACEBACK, run_all, strict_json

ROOT = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 2 << 30


def _assert_clean(paths: list[Path], tmp_path: Path) -> None:
    good = write_good_loop(tmp_path / "good" / "good-loop.dcm")
    counts, bad = run_all(paths, good, memory_bytes=MEMORY_LIMIT, timeout_s=20.0, cwd=ROOT)
    assert dict(counts) == dict.fromkeys(CLASSES, 0), json.dumps(bad, indent=1)


@pytest.mark.slow
def test_hostile_files_from_pydicom_test_data_fail_cleanly(tmp_path: Path) -> None:
    paths = write_cases(tmp_path / "cases", None)
    assert len(paths) >= 150  # 5 bases x (9 truncations + 6 flips + lengths + ~21 header edits)
    _assert_clean(paths, tmp_path)


@pytest.mark.slow
def test_hostile_files_from_real_vendor_loops_fail_cleanly(tmp_path: Path, realdata: Path) -> None:
    paths = write_cases(tmp_path / "cases", realdata, with_pydicom=False)
    assert len(paths) >= 150  # 5 vendor loops
    _assert_clean(paths, tmp_path)


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


SAMPLE = ("frames-max", "huge-rgb", "delta-nan", "trunc-pixels-mid", "name-rtl", "frames-neg", "rows-0")


@pytest.mark.slow
def test_a_sample_through_the_real_command_line(tmp_path: Path) -> None:
    """The same files through ``python -m gui.main info`` (a real process: stdout, stderr, exit code)."""
    realdata = find_realdata()
    paths = write_cases(tmp_path / "cases", realdata if realdata else None, with_pydicom=realdata is None)
    chosen = [p for p in paths if p.stem.startswith(("orthanc", "examples_ybr")) and p.stem.endswith(SAMPLE)]
    assert len(chosen) >= len(SAMPLE)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    for path in chosen:
        result = subprocess.run([sys.executable, "-m", "gui.main", "info", str(path)], capture_output=True, text=True,
                                env=env, cwd=ROOT, timeout=60, preexec_fn=_limit)
        assert result.returncode in (0, 3), (path.name, result.stderr)
        assert TRACEBACK not in result.stderr and "MemoryError" not in result.stderr, (path.name, result.stderr)
        assert strict_json(result.stdout), (path.name, result.stdout)
        if result.returncode == 3:
            assert path.name in result.stderr, (path.name, result.stderr)
