"""MPR planes in words (report.plane_words), on hand-made planes around a hand-made annulus.

The annulus: anterior (aortic) annulus A = (0, 15, 0), anterolateral commissure L = (-20, 0, 0),
posteromedial commissure M = (20, 0, 0) (mm). As the viewer's Align to valve takes them: right
= L → M = +x, up = towards A = +y, the surgical view looks along right × down = x × (-y) = -z, so
the left atrium lies at +z, the ventricle at -z; commissure midpoint (0, 0, 0), half-width 20 mm.
A plane is given by its row (screen right) and column (screen down) directions; it looks along row × col.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from report.plane_words import UNALIGNED, ValveFrame, describe_plane

VALVE = ValveFrame.from_annulus((0.0, 15.0, 0.0), (-20.0, 0.0, 0.0), (20.0, 0.0, 0.0))
ORIGIN = (0.0, 0.0, 0.0)
X, Y, Z = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)


def neg(v: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(-c for c in v)


def tilted_down(degrees: float) -> tuple[float, float, float]:
    """The en-face column direction (-y) turned ``degrees`` about the x axis towards the ventricle (-z)."""
    a = math.radians(degrees)
    return (0.0, -math.cos(a), -math.sin(a))


def test_the_valve_frame_follows_the_viewers_align_to_valve_convention() -> None:
    assert np.allclose(VALVE.into_lv, (0, 0, -1)) and np.allclose(VALVE.anterior, Y)
    assert np.allclose(VALVE.lateral_to_medial, X) and np.allclose(VALVE.centre, ORIGIN)
    assert VALVE.half_width_mm == pytest.approx(20.0)


def test_without_an_aligned_annulus_nothing_anatomical_is_claimed() -> None:
    plane = describe_plane(ORIGIN, X, neg(Y))
    assert plane.words == UNALIGNED == "oblique MPR plane (no annulus alignment)"
    assert plane.detail == "view normal (0.00, 0.00, -1.00) in the volume's frame of reference"  # x × -y
    assert plane.to_json()["aligned"] is False and plane.angle_from_en_face_deg is None


def test_the_surgical_view_is_en_face_from_the_left_atrium() -> None:
    plane = describe_plane(ORIGIN, X, neg(Y), VALVE)
    assert plane.words == "en-face from the left atrium (aligned to annulus)"
    assert plane.angle_from_en_face_deg == pytest.approx(0.0) and plane.offset_mm == pytest.approx(0.0)
    assert plane.normal == pytest.approx((0.0, 0.0, -1.0))
    assert "0° from en-face, +0.0 mm from the annulus centre" in plane.detail


def test_the_same_plane_seen_from_below_is_en_face_from_the_ventricle() -> None:
    assert describe_plane(ORIGIN, X, Y, VALVE).words == "en-face from the left ventricle (aligned to annulus)"  # x × y = +z


def test_an_en_face_plane_off_the_annulus_says_its_level() -> None:
    # 6 mm towards the ventricle (-z) and 2.5 mm towards the atrium; 0.4 mm is still "at the annulus"
    assert describe_plane((0, 0, -6), X, neg(Y), VALVE).words == \
        "en-face from the left atrium (aligned to annulus), 6 mm ventricular of the annulus"
    assert describe_plane((3, 4, 2.5), X, neg(Y), VALVE).words.endswith("3 mm atrial of the annulus")  # halves up
    assert describe_plane((0, 0, 0.4), X, neg(Y), VALVE).words == "en-face from the left atrium (aligned to annulus)"


def test_tilts_up_to_five_degrees_are_en_face_beyond_that_oblique() -> None:
    assert describe_plane(ORIGIN, X, tilted_down(3.0), VALVE).words == \
        "en-face from the left atrium (aligned to annulus), tilted 3°"
    assert describe_plane(ORIGIN, X, tilted_down(4.9), VALVE).words.startswith("en-face from the left atrium")
    twelve = describe_plane(ORIGIN, X, tilted_down(12.0), VALVE)
    assert twelve.words == "oblique MPR, 12° from en-face" and twelve.angle_from_en_face_deg == pytest.approx(12.0)
    assert describe_plane(ORIGIN, X, tilted_down(5.1), VALVE).words == "oblique MPR, 5° from en-face"


def test_a_long_axis_plane_through_the_middle_of_the_commissures_is_a2_p2() -> None:
    # row = anterior (y), col = into the ventricle (-z): the plane x = 0, across the annulus front to back
    assert describe_plane(ORIGIN, Y, neg(Z), VALVE).words == "long axis through A2–P2 (anteroposterior)"
    assert describe_plane((6.0, 3.0, -4.0), Y, neg(Z), VALVE).words.endswith("A2–P2 (anteroposterior)")  # 6 < 20/3


@pytest.mark.parametrize(("x_mm", "pair"), [(-10.0, "A1–P1"), (-7.0, "A1–P1"), (-6.0, "A2–P2"), (10.0, "A3–P3")])
def test_an_anteroposterior_plane_names_the_third_of_the_commissure_line_it_crosses(x_mm: float, pair: str) -> None:
    # thirds of L (-20) → M (+20): A1–P1 below -20/3 = -6.67 mm (anterolateral), A3–P3 above +6.67 mm
    assert describe_plane((x_mm, 0.0, 0.0), Y, neg(Z), VALVE).words == f"long axis through {pair} (anteroposterior)"
    assert describe_plane((x_mm, 0.0, 0.0), neg(Z), Y, VALVE).words == f"long axis through {pair} (anteroposterior)"


def test_an_anteroposterior_plane_beyond_a_commissure_is_beside_the_annulus() -> None:
    assert describe_plane((25.0, 0.0, 0.0), Y, neg(Z), VALVE).words == \
        "long axis, anteroposterior, beside the annulus (outside the commissures)"


def test_the_commissural_plane_and_planes_between() -> None:
    assert describe_plane(ORIGIN, X, neg(Z), VALVE).words == "long axis, commissural (commissure to commissure)"
    a = math.radians(45.0)  # the cut across the annulus turned 45° from L → M
    assert describe_plane(ORIGIN, (math.cos(a), math.sin(a), 0.0), neg(Z), VALVE).words == \
        "long axis, 45° from the commissural plane"
    a = math.radians(15.0)
    assert describe_plane(ORIGIN, (math.cos(a), math.sin(a), 0.0), neg(Z), VALVE).words.startswith("long axis, commissural")


def test_a_plane_nearly_containing_the_valve_axis_is_long_axis() -> None:
    a = math.radians(8.0)  # the plane x = 0 tipped 8° off the valve axis: 82° from en face
    plane = describe_plane(ORIGIN, Y, (0.0, math.sin(a), -math.cos(a)), VALVE)
    assert plane.words == "long axis through A2–P2 (anteroposterior)"
    assert plane.angle_from_en_face_deg == pytest.approx(90.0, abs=1e-6)
    a = math.radians(12.0)  # the column tipped 12° off the axis, out of the plane: 78° from en face, oblique
    assert describe_plane(ORIGIN, Y, (math.sin(a), 0.0, -math.cos(a)), VALVE).words == "oblique MPR, 78° from en-face"


def test_parallel_directions_are_refused() -> None:
    with pytest.raises(ValueError, match="parallel"):
        describe_plane(ORIGIN, X, (2.0, 0.0, 0.0), VALVE)


def test_a_degenerate_annulus_is_refused() -> None:
    with pytest.raises(ValueError, match="anterior annulus direction"):
        ValveFrame.from_annulus((5.0, 0.0, 0.0), (-20.0, 0.0, 0.0), (20.0, 0.0, 0.0))  # anterior on the commissure line


def test_the_viewers_aligned_planes_read_as_en_face_commissural_and_a2_p2(tmp_path: Path) -> None:
    """The volume viewer's Align to valve (gui.volume.planes, no Qt) on the demo volume's annulus: plane A
    (and the en-face view) is the surgical view, plane B (right × into) the commissural long axis, plane C
    (down × into) the anteroposterior long axis through the annulus centre."""
    from demo.case import annulus_points
    from demo.volume_phantom import write_enhanced_volume
    from gui.volume.planes import EN_FACE, Planes
    from imaging.volume import read_volume_info

    truth = write_enhanced_volume(tmp_path / "v.dcm", shape=(16, 20, 24))
    points = annulus_points(truth)
    planes = Planes(read_volume_info(tmp_path / "v.dcm").geometry)
    planes.align_to_annulus(*points)
    valve = ValveFrame.from_annulus(*points)
    words = [describe_plane(p.origin, p.row_dir, p.col_dir, valve).words
             for p in (planes.plane(i) for i in (EN_FACE, 0, 1, 2))]
    assert words == ["en-face from the left atrium (aligned to annulus)"] * 2 + [
        "long axis, commissural (commissure to commissure)", "long axis through A2–P2 (anteroposterior)"]
