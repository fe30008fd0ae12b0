"""``mitraplan open CASE --mark ID --screenshot PNG``: the case's mark shown on its loop and frame."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from demo.case import write_demo_case
from tests.gui.test_open_cli import mitraplan


@pytest.mark.slow
def test_screenshot_of_a_case_mark(demo_study: Any, tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    case = write_demo_case(demo_study, tmp_path)
    png = tmp_path / "trace.png"
    result = mitraplan("open", str(case), "--mark", "m_inflow1", "--screenshot", str(png))
    assert result.returncode == 0, result.stderr
    assert not QImage(str(png)).isNull()


@pytest.mark.slow
def test_unknown_mark_exits_3_naming_it(demo_study: Any, tmp_path: Path) -> None:
    case = write_demo_case(demo_study, tmp_path)
    result = mitraplan("open", str(case), "--mark", "m_nope", "--screenshot", str(tmp_path / "x.png"))
    assert result.returncode == 3
    assert "--mark m_nope" in result.stderr and "Traceback" not in result.stderr
