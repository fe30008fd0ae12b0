"""The clip map's geometry: placing by position along the coaptation line and reading it back."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor

from planning.placement import (
    device_placement,
    device_positions,
    jet_placement,
    jet_position,
    nominal_position,
    segment_at,
)
from report.clipmap import DARK_STYLE, MapGeometry, clip_map_image, item_at, map_items
from report.model import Device, Jet

# Two clips side by side on A2-P2, as in the demo case.
LATERAL = Device("d2", "MitraClip", "G4 NTW", "A2-P2", "stable", position="lateral")
MEDIAL = Device("d1", "MitraClip", "G4 XTW", "A2-P2", "stable", position="medial")


@pytest.mark.parametrize(("t", "segment"), [(0.1, "A1-P1"), (0.34, "A2-P2"), (0.5, "A2-P2"), (0.9, "A3-P3")])
def test_segment_by_thirds_of_the_coaptation_line(t: float, segment: str) -> None:
    assert segment_at(t) == segment


@pytest.mark.parametrize(("t", "expected"), [
    (0.5, ("A2-P2", "central")),
    (0.42, ("A2-P2", "lateral")),     # 0.42 − 1/2 = −0.08, beyond half the 1/15 shift
    (0.60, ("A2-P2", "medial")),
    (0.03, ("A1-P1", "commissural")),
    (0.97, ("A3-P3", "commissural")),
])
def test_device_placement_from_a_click(t: float, expected: tuple[str, str]) -> None:
    assert device_placement(t) == expected


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("position", ["lateral", "central", "medial"])
def test_a_lone_device_is_drawn_where_its_placement_reads_back(n: int, position: str) -> None:
    device = Device("d1", "MitraClip", segment=f"A{n}-P{n}", position=position)
    assert device_placement(nominal_position(device)) == (f"A{n}-P{n}", position)


def test_two_clips_on_one_scallop_sit_side_by_side_lateral_first() -> None:
    # nominal 1/2 ∓ 1/15 = 0.433/0.567 are 0.133 apart, closer than the 0.14 gap: spread about 0.5
    positions = device_positions([MEDIAL, LATERAL])
    assert positions["d2"] == pytest.approx(0.43)
    assert positions["d1"] == pytest.approx(0.57)


def test_jet_placement_between_beside_and_away_from_devices() -> None:
    devices = [MEDIAL, LATERAL]
    assert jet_placement(0.5, devices) == ("A2-P2", "inter-clip", ("d2", "d1"))
    assert jet_placement(0.36, devices) == ("A2-P2", "para-clip lateral", ("d2",))
    assert jet_placement(0.64, devices) == ("A2-P2", "para-clip medial", ("d1",))
    assert jet_placement(0.02, devices) == ("A1-P1", "commissural AL", ())
    assert jet_placement(0.85, devices) == ("A3-P3", "non-coaptation", ())


def test_a_para_clip_jet_is_drawn_beside_its_device() -> None:
    devices = [MEDIAL, LATERAL]
    positions = device_positions(devices)
    lateral = Jet("j1", "para-clip lateral", "A2-P2", devices=("d2",))
    assert jet_position(lateral, devices, positions) == pytest.approx(0.43 - 0.095)
    medial = Jet("j2", "para-clip medial", "A2-P2", devices=("d1",))
    assert jet_position(medial, devices, positions) == pytest.approx(0.57 + 0.095)
    between = Jet("j3", "inter-clip", "A2-P2", devices=("d2", "d1"))
    assert jet_position(between, devices, positions) == pytest.approx(0.5)


def test_geometry_inverts_along_the_coaptation_line() -> None:
    g = MapGeometry(QRectF(10, 20, 600, 400))
    for t in (0.0, 0.25, 0.5, 0.9, 1.0):
        assert g.t_at(g.coapt(t).x()) == pytest.approx(t)
    # valve 0.84 × 600 = 504 wide from x = 10 + 48; the line starts 6 % in: 58 + 30.24
    assert g.coapt(0).x() == pytest.approx(88.24)


def test_hit_testing_finds_the_item_drawn_on_top() -> None:
    g = MapGeometry(QRectF(0, 0, 900, 600))
    devices = [MEDIAL, LATERAL]
    jets = [Jet("j1", "para-clip lateral", "A2-P2", "moderate", devices=("d2",))]
    items = {i.id: i for i in map_items(g, devices, jets)}
    assert item_at(g, devices, jets, items["d1"].rect.center()).id == "d1"
    assert item_at(g, devices, jets, items["j1"].rect.center()).id == "j1"
    assert item_at(g, devices, jets, QPointF(450, 120)) is None  # on the anterior leaflet, nothing there


def test_dark_map_draws_devices_in_the_device_colour() -> None:
    devices = [Device("d1", "MitraClip", "G4 XT", "A3-P3", "stable")]
    image = clip_map_image(devices, [], 900, 600, style=DARK_STYLE)
    item = map_items(MapGeometry(QRectF(0, 0, 900, 600)), devices, [])[0]
    inside = item.rect.adjusted(4, 4, -4, -4).topLeft()  # away from the label in the middle
    assert image.pixelColor(int(inside.x()) + 2, int(inside.y()) + 2) == QColor(DARK_STYLE.device)
    assert image.pixelColor(5, 590) == QColor(DARK_STYLE.paper)


def test_case_entries_become_map_items_with_rotation_and_neighbours() -> None:
    from planning import model
    from report.build import case_device, case_jet

    rotated = case_device(model.Device.from_json({"id": "d1", "kind": "PASCAL", "model": "Ace", "segment": "A3-P3",
                                                  "orientation": "rotated", "rotation_deg": 30}, "d1"))
    upright = case_device(model.Device.from_json({"id": "d2", "kind": "MitraClip", "orientation": "perpendicular",
                                                  "rotation_deg": 30}, "d2"))
    assert (rotated.rotation_deg, upright.rotation_deg) == (30.0, 0.0)  # the angle counts only when rotated
    jet = case_jet(model.Jet.from_json({"id": "j1", "location": "inter-clip", "segment": "A2-P2",
                                        "devices": ["d1", "d2"]}, "j1"))
    assert jet.devices == ("d1", "d2") and jet.vena_contracta_cm is None


def test_a_device_tied_in_3d_is_drawn_where_the_volume_puts_it(tmp_path) -> None:
    """The tied device of the planning test (t 0.7, s -0.25 through its annulus) on a 1200 × 800 map: valve
    rect (96, 96, 1008, 560), commissures' level cy = 96 + 280 + 0.08·560 = 420.8; x = 96 + 0.06·1008
    + 0.7·0.88·1008 = 777.408, y = 420.8 + 0.25·(420.8 − 96) = 502.0."""
    from planning.case import load_case
    from report.clipmap import FROM_VOLUME, NOT_ALIGNED, SCHEMATIC, placement_legend
    from tests.planning.test_case import _write
    from tests.planning.test_enface import _tied_doc

    typed = load_case(_write(tmp_path, _tied_doc())).findings()
    devices, jets = [Device.of(d) for d in typed.devices], [Jet.of(j) for j in typed.jets]
    geometry = MapGeometry(QRectF(0, 0, 1200, 800))
    items = {i.id: i for i in map_items(geometry, devices, jets)}
    centre = items["d1"].rect.center()
    assert (centre.x(), centre.y()) == pytest.approx((777.408, 502.0))
    assert items["d1"].placed == FROM_VOLUME and items["j1"].placed == FROM_VOLUME
    jet = items["j1"].rect.center()  # the commissures' midpoint: t 0.5, s 0
    assert (jet.x(), jet.y()) == pytest.approx((96 + 0.06 * 1008 + 0.5 * 0.88 * 1008, 420.8))
    image = clip_map_image(devices, jets)
    # the ring-and-dot on the point, white on the device's #303030 bar (the ring's radius is 0.011·1200 = 13 px)
    assert QColor(image.pixel(777, 502)).lightness() > 200 and QColor(image.pixel(777, 530)).lightness() < 60
    assert "D1, J1: placed by the 3D volume" in placement_legend(list(items.values()))
    # the annulus not aligned: drawn from its segment (A2-P2, centre t 0.5) and said so, never guessed
    bare = load_case(_write(tmp_path, _tied_doc(volumes=[]), "bare.mitraplan.json")).findings()
    unplaced = {i.id: i for i in map_items(geometry, [Device.of(d) for d in bare.devices], [])}
    assert unplaced["d1"].placed == NOT_ALIGNED
    assert unplaced["d1"].rect.center().x() == pytest.approx(geometry.coapt(0.5).x())
    assert "D1: 3D annulus not aligned, drawn by segment" in placement_legend(list(unplaced.values()))
    assert map_items(geometry, [LATERAL], [])[0].placed == SCHEMATIC


def test_report_json_says_which_items_the_volume_places_and_validates(tmp_path) -> None:
    import jsonschema

    from planning.case import load_case
    from report.build import build_report
    from report.json_export import report_to_json, schema
    from tests.planning.test_case import _write
    from tests.planning.test_enface import VOLUME, _tied_doc

    report, _sources = build_report(load_case(_write(tmp_path, _tied_doc()), lenient=True))
    document = report_to_json(report)
    jsonschema.validate(document, schema())
    device, = document["devices"]
    assert device["tied_3d"] is True and (device["map_t"], device["map_s"]) == pytest.approx((0.7, -0.25))
    assert VOLUME not in json.dumps(document["devices"])  # the volume's UID stays in the case
