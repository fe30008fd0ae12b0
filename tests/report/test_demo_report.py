"""The report of the built-in demo case: the wiring from phantom → case → measurements → decision support."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.case import write_demo_case
from demo.phantom import write_demo_study
from planning.case import load_case
from report.build import build_report


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("demo")
    study = write_demo_study(root / "loops")
    return build_report(load_case(write_demo_case(study, root)))


def test_demo_stenosis_uses_the_inflow_gradient_not_the_mr_jet(demo_report) -> None:
    report, _ = demo_report
    # Inflow beat (s, m/s): (0.48,0) (0.54,1.8) (0.69,1.8/√2) (0.72,1.0) (0.77,1.4) (0.83,0), T = 0.35 s;
    # Σ Δt(a²+ab+b²)/3 = 0.0648 + 0.357551 + 0.038928 + 0.072667 + 0.0392 = 0.573146 → MG = 4·0.573146/0.35
    # = 6.55 → shown 6.6 mmHg ≥ 5 (MVARC). The MR jet's 62.5 mmHg must not be read as a transmitral gradient.
    texts = [f.text for f in report.assessment.stenosis.findings]
    assert "Mean gradient 6.6 mmHg at HR 72 bpm is ≥ 5 mmHg (MVARC)" in texts
    assert not any("62.5" in t for t in texts)
    assert report.assessment.stenosis.barrier is True
    redo = next(o for o in report.assessment.options if o.key == "redo_teer")
    assert redo.summary == "Redo TEER: findings argue against (would worsen stenosis)"


def test_demo_report_lists_devices_jet_and_leaflets(demo_report) -> None:
    report, sources = demo_report
    assert [(d.id, d.model, d.position) for d in report.devices] == [("d1", "G4 XTW", "medial"),
                                                                      ("d2", "G4 NTW", "lateral")]
    assert report.jets[0].vena_contracta_cm == pytest.approx(0.50)  # truth: 20 px × 0.025 cm
    assert {s.segment for s in report.leaflets.segments} == {"P1", "P3"}
    assert report.header.patient_name == "MitraPlan^Demo"
    assert set(sources.headers) == {i.sop_instance_uid for i in report.images}
    assert len(report.key_images) == 6 and report.errors == ()  # five 2D frames and the en-face MPR
    assert Path(report.images[0].path).is_file()


@pytest.mark.slow
def test_demo_export_is_dicom_clean(demo_report, tmp_path: Path) -> None:
    from report.export import export_report

    from .test_outputs import dciodvfy_errors

    report, sources = demo_report
    result = export_report(report, sources, tmp_path / "out")
    assert len(result.key_images_dicom) == 6 and result.warnings == []
    for path in [result.sr, *result.key_images_dicom]:
        assert dciodvfy_errors(path) == [], path
