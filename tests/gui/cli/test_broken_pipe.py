"""``mitraplan --version | head -1``: output to a pipe whose reader has gone ends the command quietly
(exit 141 = 128 + SIGPIPE, no traceback), as a shell pipeline expects."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gui.main import EXIT_BROKEN_PIPE

ROOT = Path(__file__).resolve().parents[3]


def _run_into_closed_pipe(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``mitraplan ARGS`` with stdout a pipe whose read end is closed before it writes (what
    ``| head -1`` leaves once head has its line, made deterministic)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "gui.main", *args], cwd=ROOT, stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        os.close(write_end)


#: --help: argparse itself drops a message it cannot write (OSError), so the command ends 0
@pytest.mark.parametrize(("args", "code"), [(("--version",), EXIT_BROKEN_PIPE), (("--help",), 0)])
def test_output_to_a_closed_pipe_exits_quietly(args: tuple[str, ...], code: int) -> None:
    done = _run_into_closed_pipe(*args)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert done.stderr == ""
    assert done.returncode == code


def test_version_to_an_open_pipe_still_prints_and_exits_0() -> None:
    done = subprocess.run([sys.executable, "-m", "gui.main", "--version"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and done.stdout.startswith("mitraplan"), done.stderr
