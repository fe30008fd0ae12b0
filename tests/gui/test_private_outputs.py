"""The window screenshot and the ``mpr`` plane PNG are readable by the user only (0600), like every
export: both may show burned-in patient names. (The other writers' modes: tests/test_private_files.py
and the writers' own tests.)"""

from __future__ import annotations

import argparse
import os
import stat
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def open_umask():
    """A umask of 0: what the code does not set explicitly would come out readable by all."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_window_screenshot_is_0600_also_over_an_older_wider_file(window: Any, tmp_path: Path, open_umask) -> None:
    shot = tmp_path / "shot.png"
    window.save_screenshot(shot)
    assert stat.S_IMODE(shot.stat().st_mode) == 0o600 and shot.read_bytes().startswith(b"\x89PNG")
    shot.chmod(0o644)
    window.save_screenshot(shot)
    assert stat.S_IMODE(shot.stat().st_mode) == 0o600


def test_mpr_plane_png_is_0600(tmp_path: Path, open_umask) -> None:
    from demo.volume_phantom import write_enhanced_volume
    from gui.cli import mpr

    volume = tmp_path / "volume.dcm"
    write_enhanced_volume(volume, shape=(8, 10, 12))
    parser = argparse.ArgumentParser()
    mpr.add_arguments(parser)
    out = tmp_path / "planes" / "plane.png"
    args = parser.parse_args([str(volume), "--origin", "0", "0", "0", "--row-dir", "1", "0", "0",
                              "--col-dir", "0", "1", "0", "--size", "8", "6", "--pixel", "1", "--out", str(out)])
    assert mpr.run(args) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and out.read_bytes().startswith(b"\x89PNG")
