"""The demo case over the phantom: ``measure`` gives the numbers worked out by hand from the phantom."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from demo.case import write_demo_case
from demo.phantom import write_demo_study
from gui.main import main
from planning.case import load_case, measure_case


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    return write_demo_case(write_demo_study(folder / "loops"), folder)


@pytest.fixture(scope="module")
def results(demo_case: Path) -> dict:
    found, errors = measure_case(load_case(demo_case))
    assert errors == []
    return {r.id: r for r in found}


def test_inflow_mean_gradient_heart_rate_and_constrained_pht(results: dict) -> None:
    # INFLOW_BEAT (t s, |v| m/s): (0.48,0) (0.54,1.8) (0.69,1.8/√2) (0.72,1.0) (0.77,1.4) (0.83,0); T = 0.35 s
    r2 = 1.8 / math.sqrt(2)
    integral = (0.06 * 1.8 ** 2 / 3 + 0.15 * (1.8 ** 2 + 1.8 * r2 + r2 ** 2) / 3 + 0.03 * (r2 ** 2 + r2 + 1) / 3
                + 0.05 * (1 + 1.4 + 1.96) / 3 + 0.06 * 1.96 / 3)  # = 0.5731455 m²/s
    assert results["m_inflow1.mean_gradient"].value == pytest.approx(4 * integral / 0.35, rel=1e-6)  # 6.55
    assert results["m_inflow1.mean_gradient"].grades[0].label.startswith("significant MS")
    assert results["m_inflow2.vmax"].value == pytest.approx(1.8, rel=1e-6)
    assert results["m_inflow1.heart_rate"].value == pytest.approx(72.0, rel=1e-6)  # beats one R-R apart
    # the fit spans E peak -> V0/√2, reached in exactly 0.15 s: PHT 150 ms, MVA 220/150 = 1.47 cm²
    assert results["c_pht.pht"].value == pytest.approx(150.0, rel=1e-6)
    assert results["c_pht.mva_pht"].value == pytest.approx(220 / 150, rel=1e-6)
    assert "m_inflow1.pht" not in results  # replaced by the constrained fit
    assert results["m_inflow2.pht"].value == pytest.approx(150.0, rel=1e-6)  # automatic: the drawn slope


def test_mr_pisa_and_vena_contracta(results: dict) -> None:
    # MR_BEAT: VTI = 0.05·1.8 + 0.10·4.3 + 0.12·4.85 + 0.10·3.85 + 0.05·1.5 = 1.562 m
    assert results["m_mr.vmax"].value == pytest.approx(5.0, rel=1e-6)
    assert results["m_mr.vti"].value == pytest.approx(156.2, rel=1e-6)
    # jet neck 20 px · 0.025 cm = 0.50 cm (phantom truth): 2+/3+ by VCW
    assert results["m_vc.vena_contracta"].value == pytest.approx(0.50, rel=1e-9)
    # PISA radius 20 px · 0.0225 = 0.45 cm; EROA = 2π·0.45²·38.5/500 = 0.0980; RVol = ·156.2 = 15.3 mL
    eroa = 2 * math.pi * 0.45 ** 2 * 38.5 / 500
    assert results["c_pisa.eroa_pisa"].value == pytest.approx(eroa, rel=1e-6)
    assert results["c_pisa.rvol_pisa"].value == pytest.approx(eroa * 156.2, rel=1e-6)
    assert any("limited validity" in w for w in results["c_pisa.eroa_pisa"].warnings)


def test_leaflet_lengths_and_annulus(results: dict) -> None:
    # hinge (320.5, 290.5) -> clip (360.5, 330.5): hypot(40·0.025, 40·0.0225) = hypot(1.0, 0.9) cm
    for mark in ("m_p3", "m_p1"):
        r = results[f"{mark}.distance"]
        assert r.value == pytest.approx(math.hypot(1.0, 0.9), rel=1e-9)
        assert r.grades[0].label == "favourable (≥10 mm)"
    # long-axis hinges (120, 40) px apart: sqrt(3.0² + 0.9²) = 3.1321 cm (phantom docstring)
    assert results["m_annulus.distance"].value == pytest.approx(math.hypot(3.0, 0.9), rel=1e-9)


def test_demo_case_file_and_cli(demo_case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(demo_case.read_text(encoding="utf-8"))
    assert [d["kind"] for d in doc["devices"]] == ["MitraClip", "MitraClip"]
    assert doc["jets"][0]["location"] == "para-clip lateral"
    assert all(not Path(i["path"]).is_absolute() for i in doc["images"])
    assert main(["measure", str(demo_case)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["errors"] == [] and len(out["measurements"]) > 20
