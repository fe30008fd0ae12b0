"""`mitraplan demo --headless`: writes the study where asked and says what it wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pydicom
import pytest

from gui.cli.demo import default_demo_dir
from gui.main import main
from tests.report.test_outputs import pdf_text


@pytest.mark.slow
def test_demo_headless_writes_and_lists_the_files(qapp, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--headless", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for key in ("me_commissural", "me_long_axis", "color_flow", "cw_mv_inflow", "cw_mr", "volume_3d"):
        path = tmp_path / "loops" / f"{key}.dcm"
        assert path.is_file() and str(path) in out
    assert (tmp_path / "demo-truth.json").is_file()
    volume = pydicom.dcmread(tmp_path / "loops" / "volume_3d.dcm", stop_before_pixels=True)
    loop = pydicom.dcmread(tmp_path / "loops" / "me_commissural.dcm", stop_before_pixels=True)
    assert volume.SOPClassUID == "1.2.840.10008.5.1.4.1.1.6.2"  # Enhanced US Volume
    assert (volume.PatientID, volume.StudyInstanceUID) == (loop.PatientID, loop.StudyInstanceUID)  # same study
    assert volume.SeriesInstanceUID != loop.SeriesInstanceUID  # its own series


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
    # the 3D planimetry of both orifices: its method, in the PDF too, and an MPR key image of the volume
    document = json.loads((report / "report.json").read_text(encoding="utf-8"))
    volume_uid = str(pydicom.dcmread(tmp_path / "loops" / "volume_3d.dcm", stop_before_pixels=True).SOPInstanceUID)
    mva = next(m for m in document["measurements"] if m["id"] == document["selected"]["mva_planimetry"])
    assert mva["method"].startswith("3D MPR planimetry") and sorted(mva["source"]) == ["m_orifice_lat", "m_orifice_med"]
    mpr = [k for k in document["key_images"] if k["sop_instance_uid"] == volume_uid]
    assert len(mpr) == 1 and sorted(mpr[0]["marks"]) == ["m_orifice_lat", "m_orifice_med"]
    assert (report / mpr[0]["png"]).is_file()
    assert "3D MPR planimetry" in pdf_text(report / "report.pdf")
