"""The real vendor samples: absent, their tests skip with one line saying where the files come from;
with CI=true their absence fails the run (tests/conftest.py hooks)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/imaging/test_loop_realdata.py::test_hp_sonos_issue16_header"


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "CI"}
    environ.update({"MITRAPLAN_REALDATA": str(tmp_path / "absent"), "PYTHONPATH": str(ROOT),
                    "QT_QPA_PLATFORM": "offscreen", **env})
    return subprocess.run([sys.executable, "-m", "pytest", TEST, "-q", "-p", "no:cacheprovider", "-rs"], cwd=ROOT,
                          env=environ, capture_output=True, text=True, timeout=300, check=False)


def test_absent_samples_skip_with_one_line_naming_their_source(tmp_path: Path) -> None:
    done = _run(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    assert done.stdout.count("public DICOM test files of orthanc-tests, fo-dicom") == 1
    assert "1 real-file test(s) skipped: real vendor echo samples not found" in done.stdout


def test_absent_samples_fail_the_run_on_ci(tmp_path: Path) -> None:
    done = _run(tmp_path, CI="true")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "CI=true: real vendor echo samples not found" in done.stdout and "1 error" in done.stdout
    assert "1 real-file test(s) CI=true: the run fails" in done.stdout
