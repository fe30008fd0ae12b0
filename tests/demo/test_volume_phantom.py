"""The synthetic 4D TEE phantom (demo/volume_phantom.py): valid DICOM, listed as volumes, known orifice areas.

The areas come from the phantom's analytic ellipses (pi * a * b, written out below); the test
reslices the en-face plane of each file through imaging/mpr.py and counts dark pixels, so the
geometry of both encodings (rotated/offset Enhanced US Volume, axis-aligned QLAB Cartesian) is
checked end to end.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread

from demo.volume_phantom import write_cartesian_volume, write_enhanced_volume
from gui.main import main
from imaging.mpr import reslice
from imaging.volume import Volume

# lateral orifice semi-axes 5.0 x 3.2 mm, medial 4.0 x 2.5 mm when fully open (opening factor 1.0)
LATERAL_OPEN_CM2 = math.pi * 5.0 * 3.2 / 100
MEDIAL_OPEN_CM2 = math.pi * 4.0 * 2.5 / 100


@pytest.fixture(scope="module")
def phantom(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("phantom")
    return {"enhanced": write_enhanced_volume(folder / "enhanced.dcm") | {"path": folder / "enhanced.dcm"},
            "cartesian": write_cartesian_volume(folder / "cart.dcm") | {"path": folder / "cart.dcm"}}


@pytest.mark.external
def test_enhanced_volume_passes_dciodvfy_without_errors(phantom: dict) -> None:
    tool = shutil.which("dciodvfy")
    if tool is None:
        pytest.skip("dciodvfy not installed (make test installs it)")
    out = subprocess.run([tool, str(phantom["enhanced"]["path"])], capture_output=True, text=True)
    text = out.stdout + out.stderr
    assert "EnhancedUltrasoundVolume" in text
    assert [line for line in text.splitlines() if line.startswith("Error")] == []


def test_cartesian_export_carries_the_quirks_of_real_qlab_files(phantom: dict) -> None:
    ds = dcmread(phantom["cartesian"]["path"], stop_before_pixels=True)
    assert ds.SOPClassUID == "1.2.840.113543.6.6.1.3.10002" and ds[0x3001, 0x0010].value == "Philips3D"
    assert ds.StudyInstanceUID == "" and ds.SeriesInstanceUID == "" and int(ds.NumberOfFrames) == 30
    assert ds[0x3001, 0x1001].value == 48 and ds[0x3001, 0x1002].value == 4  # slices per volume, volumes


def test_info_lists_the_phantom_under_volumes_not_loops(phantom: dict, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(phantom["enhanced"]["path"]), str(phantom["cartesian"]["path"])]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["loops"] == [] and data["errors"] == []
    by_format = {v["format"]: v for v in data["volumes"]}
    assert set(by_format) == {"enhanced_us_volume", "philips_cartesian"}
    for fmt, volume in by_format.items():
        assert volume["dimensions"] == [72, 64, 48] and volume["timepoints"] == 4
        assert volume["spacing_mm"] == pytest.approx([0.6, 0.5, 0.8]) and volume["frame_time_ms"] == 40.0
        truth = phantom["enhanced" if fmt == "enhanced_us_volume" else "cartesian"]
        assert volume["sop_instance_uid"] == truth["sop_instance_uid"]
        np.testing.assert_allclose(volume["origin_mm"], truth["origin_mm"], atol=1e-5)
        np.testing.assert_allclose(volume["axes"], truth["axes"], atol=1e-5)
    assert by_format["enhanced_us_volume"]["origin_mm"] == [-40.0, 12.5, 30.0]  # the writer's offset grid


def _planimetry(path: Path, truth: dict, t: int, pixel: float = 0.1, half_mm: float = 18.0) -> tuple[float, float]:
    """Dark-pixel area (cm^2) inside the annulus on the en-face plane, lateral (x > 0) and medial."""
    e1, e2 = np.asarray(truth["coaptation_dir"]), np.asarray(truth["across_dir"])
    n = round(2 * half_mm / pixel)
    origin = np.asarray(truth["valve_centre_mm"]) - half_mm * e1 - half_mm * e2
    with Volume.open(path) as volume:
        plane = reslice(volume.timepoint(t), volume.geometry, origin, e1, e2, (n, n), pixel)
    x = -half_mm + np.arange(n) * pixel
    xx, yy = np.meshgrid(x, x)
    dark = (plane < 100) & (xx ** 2 + yy ** 2 < 15.0 ** 2)
    pixel_cm2 = (pixel / 10) ** 2
    return float((dark & (xx > 0)).sum() * pixel_cm2), float((dark & (xx < 0)).sum() * pixel_cm2)


@pytest.mark.parametrize("kind", ["enhanced", "cartesian"])
def test_en_face_planimetry_matches_the_analytic_orifice_areas(kind: str, phantom: dict) -> None:
    truth = phantom[kind]
    # the writer's default opening factors per time point (diastole open ... systole nearly closed);
    # 0.1 mm pixels on 0.5-0.8 mm voxels: within 2% open, 5% for the 1.5 x 1.0 mm systolic slit
    for t, opening, tolerance in ((0, 1.0, 0.02), (1, 0.8, 0.02), (2, 0.3, 0.05), (3, 0.5, 0.05)):
        lateral, medial = _planimetry(truth["path"], truth, t)
        assert lateral == pytest.approx(LATERAL_OPEN_CM2 * opening ** 2, rel=tolerance), (kind, t)
        assert medial == pytest.approx(MEDIAL_OPEN_CM2 * opening ** 2, rel=tolerance), (kind, t)
        assert [o["areas_cm2"][t] for o in truth["orifices"]] == pytest.approx(
            [LATERAL_OPEN_CM2 * opening ** 2, MEDIAL_OPEN_CM2 * opening ** 2])


def test_both_encodings_hold_the_same_voxels(phantom: dict) -> None:
    with Volume.open(phantom["enhanced"]["path"]) as enhanced, Volume.open(phantom["cartesian"]["path"]) as cartesian:
        np.testing.assert_array_equal(enhanced.timepoint(2), cartesian.timepoint(2))
