"""3D marks: planar polygon areas in mm of a volume, the planarity rule, the 3D path of measure_all, round trip.

The polygons lie on the analytic orifice ellipses of the synthetic 4D TEE phantom
(demo/volume_phantom.py, which imitates an Enhanced US Volume of a clipped mitral valve: a rotated,
offset, anisotropic grid), in its en-face plane, in the file's own frame of reference.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from demo.volume_phantom import write_enhanced_volume
from measurements.compute import measure_all
from measurements.geometry3d import NonPlanarError, best_fit_plane, polygon_area_mm2
from measurements.marks import Mark, MarkError, MarkPlane, MarkType, mark_from_json, mark_to_json
from planning.case import Case, load_case, save_case
from tests.measurements.factories import spatial_region

# the phantom's orifices fully open: lateral 5.0 x 3.2 mm, medial 4.0 x 2.5 mm semi-axes (demo/volume_phantom.py)
LATERAL = (5.0, 3.2)
MEDIAL = (4.0, 2.5)
N = 64  # vertices on each ellipse


def inscribed_area_mm2(a: float, b: float, n: int) -> float:
    """Hand arithmetic: n vertices at equal parameter steps on an ellipse enclose n/2 · a · b · sin(2π/n).

    (The affine map x = a·u, y = b·v takes the regular n-gon inscribed in the unit circle, area
    n/2 · sin(2π/n), to this polygon and scales areas by a·b.) For n = 64: 0.998394 · π·a·b.
    """
    return n / 2.0 * a * b * math.sin(2.0 * math.pi / n)


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return write_enhanced_volume(tmp_path_factory.mktemp("vol") / "enhanced.dcm", shape=(16, 20, 24))


def ellipse_points(truth: dict, name: str, semi: tuple[float, float], n: int = N) -> list[list[float]]:
    """n points (mm, frame of reference) on the orifice's ellipse in the valve plane of the phantom."""
    orifice = next(o for o in truth["orifices"] if o["name"] == name)
    centre, e1, e2 = (np.asarray(v) for v in (orifice["centre_mm"], truth["coaptation_dir"], truth["across_dir"]))
    t = np.arange(n) * 2 * math.pi / n
    return (centre + np.outer(semi[0] * np.cos(t), e1) + np.outer(semi[1] * np.sin(t), e2)).tolist()


def area3d(mark_id: str, points: list[list[float]], purpose: str | None = "orifice", label: str = "Orifice") -> Mark:
    return Mark(mark_id, MarkType.AREA, label, "1.2.3.vol", 1, None, (), purpose=purpose, points3d=points,
                plane=MarkPlane((0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0)))


@pytest.mark.parametrize(("name", "semi"), [("lateral", LATERAL), ("medial", MEDIAL)])
def test_polygon_on_the_phantom_ellipse_gives_its_analytic_area(truth: dict, name: str, semi: tuple) -> None:
    area = polygon_area_mm2(ellipse_points(truth, name, semi), "mark 'o'")
    assert area == pytest.approx(inscribed_area_mm2(*semi, N), rel=1e-9)
    analytic = math.pi * semi[0] * semi[1]  # 50.27 mm² lateral, 31.42 mm² medial
    assert abs(area - analytic) / analytic < 0.005


def test_two_3d_orifices_sum_by_3d_mpr_planimetry(truth: dict) -> None:
    marks = [area3d("lat", ellipse_points(truth, "lateral", LATERAL), label="Lateral orifice planimetry"),
             area3d("med", ellipse_points(truth, "medial", MEDIAL), label="Medial orifice planimetry")]
    results, errors = measure_all(marks, [], lambda sop: pytest.fail(f"a 3D mark asked for regions of {sop}"))
    assert errors == []
    by_id = {r.id: r for r in results}
    assert by_id["lat.area"].value == pytest.approx(0.503, abs=0.0025)  # π·5.0·3.2 mm² = 0.5027 cm²
    assert by_id["med.area"].value == pytest.approx(0.314, abs=0.0016)  # π·4.0·2.5 mm² = 0.3142 cm²
    total = by_id["mva.mva_planimetry"]
    assert abs(total.value - 0.8168) / 0.8168 < 0.005 and total.unit == "cm2"
    assert "3D MPR planimetry" in total.method and total.source == ("lat", "med")


def test_a_sum_mixing_2d_and_3d_orifices_is_refused(truth: dict) -> None:
    flat = Mark("o2d", MarkType.AREA, "Medial orifice planimetry", "1.2.3.loop", 1, 0,
                ((10, 10), (50, 10), (60, 40), (20, 50)), purpose="orifice")
    marks = [area3d("lat", ellipse_points(truth, "lateral", LATERAL)), flat]
    results, errors = measure_all(marks, [], lambda sop: [spatial_region()])
    assert not [r for r in results if r.quantity == "mva_planimetry"]
    (cid, message), = errors
    assert cid == "mva" and "mixes 3D MPR orifices (lat) with 2D orifices (o2d)" in message


def test_a_polygon_off_its_plane_is_refused_naming_the_mark(truth: dict) -> None:
    points = ellipse_points(truth, "lateral", LATERAL)
    normal = np.asarray(truth["valve_normal"])
    bent = [list(np.asarray(p) + (0.8 if i == 5 else 0.0) * normal) for i, p in enumerate(points)]
    # one vertex 0.8 mm off: the best-fit plane shifts (0.8/64) and tilts towards it, so it stays less than
    # 0.8 mm but far more than 0.5 mm from it
    assert 0.5 < best_fit_plane(bent).max_deviation_mm < 0.8
    with pytest.raises(NonPlanarError, match=r"mark 'bent': its points are not in one plane \(up to 0.7\d mm"):
        polygon_area_mm2(bent, "mark 'bent'")
    results, errors = measure_all([area3d("bent", bent)], [], lambda sop: [])
    assert [r for r in results if r.source == ("bent",)] == []
    assert errors[0][0] == "bent" and "not in one plane" in errors[0][1]
    slight = [list(np.asarray(p) + (0.3 if i == 5 else 0.0) * normal) for i, p in enumerate(points)]
    assert polygon_area_mm2(slight, "mark 'slight'") > 0  # 0.3 mm off: within the 0.5 mm tolerance


def test_3d_distance_and_point() -> None:
    # 3-4-12 right-angle steps: |(3, 4, 12)| = 13 mm = 1.3 cm
    d = Mark("d", MarkType.DISTANCE, "Anterior leaflet length", "1.2.3.vol", 2, None, (),
             points3d=[[1.0, 2.0, 3.0], [4.0, 6.0, 15.0]])
    p = Mark("p", MarkType.POINT, "Clip 1 tip", "1.2.3.vol", 2, None, (), points3d=[[1.0, 2.0, 3.0]])
    results, errors = measure_all([d, p], [], lambda sop: [])
    assert errors == [] and [(r.id, r.value, r.unit) for r in results] == [("d.distance", pytest.approx(1.3), "cm")]


def test_3d_marks_are_validated() -> None:
    with pytest.raises(MarkError, match=r"a 3D mark \(points3d\) has no region"):
        Mark("x", MarkType.POINT, "", "1.2.3", 1, 0, (), points3d=[[0, 0, 0]])
    with pytest.raises(MarkError, match="a distance needs exactly 2 points"):
        Mark("x", MarkType.DISTANCE, "", "1.2.3", 1, None, (), points3d=[[0, 0, 0]])
    with pytest.raises(MarkError, match="point 2 is not an"):
        Mark("x", MarkType.DISTANCE, "", "1.2.3", 1, None, (), points3d=[[0, 0, 0], [1, 2]])
    with pytest.raises(MarkError, match="Doppler trace cannot be a 3D mark"):
        Mark("x", MarkType.DOPPLER_TRACE, "", "1.2.3", 1, None, (), points3d=[[0, 0, 0], [1, 2, 3]])
    with pytest.raises(MarkError, match="region is a 0-based index"):
        Mark("x", MarkType.POINT, "", "1.2.3", 1, None, ((1.0, 2.0),))
    with pytest.raises(MarkError, match="has no region, calibration or 2D points"):
        mark_from_json({"id": "x", "type": "point", "sop_instance_uid": "1", "frame_number": 1, "region": 0,
                        "points3d": [[0, 0, 0]]})


def test_a_3d_mark_round_trips_through_save_and_load(tmp_path: Path, truth: dict) -> None:
    points = ellipse_points(truth, "lateral", LATERAL, n=8)
    plane = MarkPlane(tuple(truth["valve_centre_mm"]), tuple(truth["coaptation_dir"]), tuple(truth["across_dir"]))
    mark = Mark("m7", MarkType.AREA, "Lateral orifice planimetry", truth["sop_instance_uid"], 3, None, (),
                purpose="orifice", points3d=points, plane=plane)
    flat = Mark("m1", MarkType.DISTANCE, "P2 residual leaflet length", "1.2.3.loop", 12, 0, ((1.5, 2.5), (30.0, 40.0)))
    path = tmp_path / "c.mitraplan.json"
    save_case(Case(study={}, marks=[flat, mark]), path)
    raw = json.loads(path.read_text("utf-8"))["marks"]
    assert raw[0] == {"id": "m1", "type": "distance", "label": "P2 residual leaflet length",
                      "sop_instance_uid": "1.2.3.loop", "frame_number": 12, "region": 0,
                      "points": [[1.5, 2.5], [30.0, 40.0]]}  # a 2D mark is written as in 0.1.0
    assert set(raw[1]) == {"id", "type", "label", "sop_instance_uid", "frame_number", "purpose", "points3d", "plane"}
    assert raw[1]["plane"] == {"origin": truth["valve_centre_mm"], "row_dir": truth["coaptation_dir"],
                               "col_dir": truth["across_dir"]}
    loaded = load_case(path).marks
    assert loaded == [flat, mark]
    assert loaded[1].points3d == tuple(tuple(p) for p in points) and loaded[1].plane == plane
    assert mark_to_json(loaded[1]) == raw[1]


@pytest.mark.slow
def test_a_case_with_3d_marks_is_measured_and_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gui.main import main

    volume = tmp_path / "vol.dcm"
    truth = write_enhanced_volume(volume, shape=(16, 20, 24))
    marks = [area3d("lat", ellipse_points(truth, "lateral", LATERAL), label="Lateral orifice"),
             area3d("med", ellipse_points(truth, "medial", MEDIAL), label="Medial orifice")]
    marks = [Mark(m.id, m.type, m.label, truth["sop_instance_uid"], 1, None, (), purpose="orifice",
                  points3d=m.points3d, plane=m.plane) for m in marks]
    case = tmp_path / "c.mitraplan.json"
    save_case(Case(images=[{"sop_instance_uid": truth["sop_instance_uid"], "path": "vol.dcm"}], marks=marks), case)
    assert main(["report", str(case), "--out", str(tmp_path / "out")]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["failures"] == [] and len(printed["key_images_png"]) == 1  # one MPR key image of their plane
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert [(m["id"], m["region"], len(m["points3d"])) for m in report["marks"]] == [("lat", None, N), ("med", None, N)]
    total = next(m for m in report["measurements"] if m["quantity"] == "mva_planimetry")
    assert abs(total["value"] - 0.8168) / 0.8168 < 0.005 and "3D MPR planimetry" in total["method"]
