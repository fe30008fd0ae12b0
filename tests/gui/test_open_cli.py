"""``mitraplan open … --screenshot``: renders the window once, saves a PNG, exits; bad input exits 3."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def mitraplan(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run([sys.executable, "-m", "gui.main", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_screenshot_of_a_chosen_frame(demo_study: Any, tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    png = tmp_path / "shot.png"
    result = mitraplan("open", str(demo_study.folder), "--screenshot", str(png), "--frame", "5")
    assert result.returncode == 0, result.stderr
    image = QImage(str(png))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 600


@pytest.mark.slow
def test_screenshot_size(demo_study: Any, tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    png = tmp_path / "big.png"
    result = mitraplan("open", str(demo_study.files["cw_mr"]), "--screenshot", str(png), "--size", "1600x1000")
    assert result.returncode == 0, result.stderr
    assert (QImage(str(png)).width(), QImage(str(png)).height()) == (1600, 1000)
    bad = mitraplan("open", "--screenshot", str(png), "--size", "big")
    assert bad.returncode == 2 and "size must look like 1920x1080" in bad.stderr


@pytest.mark.slow
def test_paths_alone_mean_open(demo_study: Any, tmp_path: Path) -> None:
    png = tmp_path / "shot.png"
    result = mitraplan(str(demo_study.files["cw_mr"]), "--screenshot", str(png))
    assert result.returncode == 0, result.stderr
    assert png.stat().st_size > 10_000


def test_missing_path_exits_3_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-study"
    result = mitraplan("open", str(missing), "--screenshot", str(tmp_path / "x.png"))
    assert result.returncode == 3
    assert str(missing) in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_frame_beyond_the_loop_exits_3(demo_study: Any, tmp_path: Path) -> None:
    result = mitraplan("open", str(demo_study.files["cw_mr"]), "--screenshot", str(tmp_path / "x.png"),
                       "--frame", "999")
    assert result.returncode == 3
    assert "--frame 999" in result.stderr and "cw_mr" in result.stderr


def test_frame_zero_is_a_usage_error(tmp_path: Path) -> None:
    result = mitraplan("open", "--screenshot", str(tmp_path / "x.png"), "--frame", "0")
    assert result.returncode == 2
    assert "frames are 1-based" in result.stderr


@pytest.mark.parametrize("module", ["gui.main", "gui.cli.open_app"])
def test_importing_the_command_pulls_in_no_widgets(module: str) -> None:
    code = f"import sys, {module}; print('PySide6.QtWidgets' in sys.modules, 'pyqtgraph' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.slow
def test_an_option_first_also_means_open(demo_study: Any, tmp_path: Path) -> None:
    png = tmp_path / "first.png"
    result = mitraplan("-v", "--screenshot", str(png), str(demo_study.files["cw_mr"]))
    assert result.returncode == 0, result.stderr
    assert png.stat().st_size > 10_000
