"""`mitraplan demo --headless`: writes the study where asked and says what it wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from gui.cli.demo import default_demo_dir
from gui.main import main


@pytest.mark.slow
def test_demo_headless_writes_and_lists_the_files(qapp, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--headless", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for key in ("me_commissural", "me_long_axis", "color_flow", "cw_mv_inflow", "cw_mr"):
        path = tmp_path / "loops" / f"{key}.dcm"
        assert path.is_file() and str(path) in out
    assert (tmp_path / "demo-truth.json").is_file()


def test_default_demo_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_demo_dir() == tmp_path / "mitraplan" / "demo"


@pytest.mark.slow
def test_demo_headless_writes_the_demo_case_and_report(qapp, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # qapp first: the report renders with QtGui and must find the session's QApplication, not make its own
    assert main(["demo", "--headless", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    report = tmp_path / "report"
    for name in ("report.pdf", "report.json", "report-sr.dcm"):
        assert (report / name).is_file() and str(report / name) in out
    assert (tmp_path / "demo.mitraplan.json").is_file()
    assert sorted(report.glob("key-*.png")) and len(list(report.glob("key-*.png"))) == len(list(report.glob("key-*.dcm")))
