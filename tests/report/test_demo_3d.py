"""The demo's 3D planimetry: the 4D volume in the demo study, both orifices traced en face, their sum the
case's planimetered MVA by "3D MPR planimetry", and the MPR key image's plane in words.

Independent arithmetic (demo/volume_phantom.py ORIFICES, fully open at time point 1): lateral ellipse
semi-axes 5.0 × 3.2 mm → π·16 mm² = 0.50265 cm²; medial 4.0 × 2.5 mm → π·10 mm² = 0.31416 cm²;
sum π·26 mm² = 0.81681 cm² → "0.82 cm²".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pydicom
import pytest

from demo.case import annulus_points, write_demo_case
from demo.phantom import DEMO_VOLUME, write_demo_study
from planning.case import load_case
from report.build import build_report
from report.keyimages import key_image_planes, measurement_plane, mpr_view, plane_caption
from report.plane_words import UNALIGNED, ValveFrame

LATERAL_CM2, MEDIAL_CM2 = math.pi * 5.0 * 3.2 / 100, math.pi * 4.0 * 2.5 / 100


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("demo3d")
    study = write_demo_study(root / "loops")
    report, sources = build_report(load_case(write_demo_case(study, root)))
    return {"study": study, "report": report, "sources": sources, "volume": study.truth[DEMO_VOLUME]}


def test_the_volume_is_an_enhanced_us_volume_of_the_demo_study_in_its_own_series(demo: dict[str, Any]) -> None:
    study = demo["study"]
    volume = pydicom.dcmread(study.volumes[DEMO_VOLUME], stop_before_pixels=True)
    loops = [pydicom.dcmread(p, stop_before_pixels=True) for p in study.files.values()]
    assert volume.SOPClassUID == "1.2.840.10008.5.1.4.1.1.6.2"
    assert {(d.PatientID, d.StudyInstanceUID) for d in loops} == {(volume.PatientID, volume.StudyInstanceUID)}
    assert volume.SeriesInstanceUID not in {d.SeriesInstanceUID for d in loops}
    assert volume.SOPInstanceUID in {i.sop_instance_uid for i in demo["report"].images}


def test_each_orifice_and_their_sum_is_the_analytic_area(demo: dict[str, Any]) -> None:
    report = demo["report"]
    by_id = {m.id: m for m in report.measurements}
    assert by_id["m_orifice_lat.area"].value == pytest.approx(LATERAL_CM2, rel=1e-9)
    assert by_id["m_orifice_med.area"].value == pytest.approx(MEDIAL_CM2, rel=1e-9)
    mva = report.selected("mva_planimetry")
    assert mva is not None and mva.id == "c_mva3d.mva_planimetry" and mva.text == "0.82 cm²"
    assert mva.value == pytest.approx(LATERAL_CM2 + MEDIAL_CM2, rel=1e-9)
    assert mva.method.startswith("3D MPR planimetry") and mva.source == ("m_orifice_lat", "m_orifice_med")
    assert [g.label for g in mva.grades if g.scheme == "MVARC"] == ["significant MS (MVA <1.5 cm²)"]  # 0.82 < 1.5


def test_the_orifices_are_traced_on_the_en_face_plane_at_full_opening(demo: dict[str, Any]) -> None:
    volume, report = demo["volume"], demo["report"]
    normal, centre = np.asarray(volume["valve_normal"]), np.asarray(volume["valve_centre_mm"])
    for mark in (report.mark("m_orifice_lat"), report.mark("m_orifice_med")):
        assert mark is not None and mark.frame_number == 1 and volume["openings"][0] == 1.0
        assert np.max(np.abs((np.asarray(mark.points3d) - centre) @ normal)) < 1e-9  # in the leaflet plane
        assert mark.plane is not None and np.allclose(np.cross(mark.plane[1], mark.plane[2]), -normal)  # from the LA


def test_the_mpr_key_image_says_its_plane_in_words(demo: dict[str, Any]) -> None:
    report, volume = demo["report"], demo["volume"]
    (key,) = [k for k in report.key_images if k.sop_instance_uid == volume["sop_instance_uid"]]
    assert set(key.mark_ids) == {"m_orifice_lat", "m_orifice_med"}
    assert key_image_planes(report)[key.id].words == UNALIGNED  # no valve frame given: nothing anatomical claimed
    valve = ValveFrame.from_annulus(*annulus_points(volume))
    saved = report.valves[volume["sop_instance_uid"]]  # the demo case saves this alignment (volumes[].annulus)
    assert np.allclose(saved.into_lv, valve.into_lv) and np.allclose(saved.centre, valve.centre)
    assert key.label.startswith("MPR, en-face from the left atrium (aligned to annulus), time point 1: ")
    plane = key_image_planes(report, {volume["sop_instance_uid"]: valve})[key.id]
    assert plane.words == "en-face from the left atrium (aligned to annulus)"
    assert plane.to_json()["angle_from_en_face_deg"] == pytest.approx(0.0, abs=1e-6)
    marks = [m for m in (report.mark(i) for i in key.mark_ids) if m is not None]
    caption = plane_caption(mpr_view(marks), key.frame_number, valve)
    assert caption.startswith("En-face from the left atrium (aligned to annulus); time point 1, ")
    assert "view normal (" in caption  # the numbers stay beside the words


def test_each_3d_measurement_names_its_plane_and_a_2d_one_none(demo: dict[str, Any]) -> None:
    report, volume = demo["report"], demo["volume"]
    valve = ValveFrame.from_annulus(*annulus_points(volume))
    mva, lateral = report.selected("mva_planimetry"), report.by_id("m_orifice_lat.area")
    assert mva is not None and lateral is not None
    unaligned = measurement_plane(report, mva)
    assert unaligned is not None and unaligned.words == UNALIGNED
    for m in (mva, lateral):
        plane = measurement_plane(report, m, valve)
        assert plane is not None and plane.words == "en-face from the left atrium (aligned to annulus)"
    gradient = report.selected("mean_gradient")
    assert gradient is not None and measurement_plane(report, gradient, valve) is None  # a Doppler trace
