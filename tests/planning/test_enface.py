"""Devices and jets tied to a 3D volume: the case-file contract (round trip, refusals naming file and
field) and the projection through the aligned annulus onto the clip map, against hand arithmetic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planning.case import CaseError, load_case, save_case
from planning.enface import Annulus, annuli, with_annulus
from planning.model import Device, Jet

from .test_case import _doc, _write

VOLUME = "1.2.826.0.1.3680043.8.498.77"

# A rotated, offset annulus frame written out by hand: the commissures' midpoint O, right (anterolateral →
# posteromedial) = (0, 0, 1), up (towards the anterior annulus) = (0.6, 0.8, 0), so right × up = (-0.8, 0.6, 0).
MIDDLE = (10.0, -20.0, 35.0)  # O
LATERAL = (10.0, -20.0, 20.0)  # O - 15·right
MEDIAL = (10.0, -20.0, 50.0)  # O + 15·right: commissural distance 30 mm
ANTERIOR = (17.2, -10.4, 37.0)  # O + 2·right + 12·up: 12 mm anterior, 2 mm towards the posteromedial side
ANNULUS = {"anterior": list(ANTERIOR), "anterolateral": list(LATERAL), "posteromedial": list(MEDIAL),
           "frame_number": 2}


def _tied_doc(**over: object) -> dict:
    doc = _doc(volumes=[{"sop_instance_uid": VOLUME, "annulus": ANNULUS, "probe": "X8-2t"}])
    doc["devices"][0].update({"position_mm": [6.6, -21.2, 41.0], "sop_instance_uid": VOLUME, "future": 1})
    doc["jets"] = [{"id": "j1", "location": "inter-clip", "position_mm": [10, -20, 35], "sop_instance_uid": VOLUME}]
    doc.update(over)
    return doc


def test_a_tie_round_trips_with_unknown_keys_kept(tmp_path: Path) -> None:
    case = load_case(_write(tmp_path, _tied_doc()))
    device, = case.findings().devices
    assert device.tie is not None and device.tie.position_mm == (6.6, -21.2, 41.0)
    assert device.tie.sop_instance_uid == VOLUME and device.extra == {"future": 1}
    out = tmp_path / "again.mitraplan.json"
    save_case(case, out)
    saved = json.loads(out.read_text())
    assert saved["devices"][0] == {"id": "d1", "kind": "MitraClip", "model": "G4 XTW", "segment": "A2-P2",
                                   "attachment": "stable", "position_mm": [6.6, -21.2, 41], "sop_instance_uid": VOLUME,
                                   "future": 1}
    assert saved["jets"][0]["position_mm"] == [10, -20, 35]
    assert saved["volumes"] == [{"sop_instance_uid": VOLUME, "annulus": ANNULUS, "probe": "X8-2t"}]
    # the typed objects write the same keys; an untied device writes none of them
    assert Device.from_json(saved["devices"][0], "d").to_json() == saved["devices"][0]
    assert "position_mm" not in Jet("j2").to_json() and "sop_instance_uid" not in Jet("j2").to_json()


@pytest.mark.parametrize(("change", "field"), [
    ({"position_mm": [1, 2]}, r"devices\[0\]\.position_mm must be \[x, y, z\]"),
    ({"position_mm": [1, 2, float("nan")]}, r"devices\[0\]\.position_mm must be \[x, y, z\]: three finite"),
    ({"position_mm": [1, "2", 3]}, r"devices\[0\]\.position_mm must be"),
    ({"position_mm": [1, True, 3]}, r"devices\[0\]\.position_mm must be"),
    ({"sop_instance_uid": 12}, r"devices\[0\]\.sop_instance_uid must be the volume's SOP Instance UID, a string"),
    ({"sop_instance_uid": None}, r"devices\[0\]\.sop_instance_uid is required with devices\[0\]\.position_mm"),
])
def test_a_malformed_tie_is_refused_naming_file_and_field(tmp_path: Path, change: dict, field: str) -> None:
    doc = _tied_doc()
    doc["devices"][0].update(change)
    if change.get("sop_instance_uid", "") is None:
        del doc["devices"][0]["sop_instance_uid"]
    path = _write(tmp_path, json.dumps(doc, allow_nan=True))
    with pytest.raises(CaseError, match=field) as caught:
        load_case(path)
    assert str(path) in str(caught.value)


def test_a_jet_position_without_its_volume_is_refused(tmp_path: Path) -> None:
    doc = _tied_doc()
    del doc["jets"][0]["sop_instance_uid"]
    with pytest.raises(CaseError, match=r"jets\[0\]\.sop_instance_uid is required with jets\[0\]\.position_mm"):
        load_case(_write(tmp_path, doc))


@pytest.mark.parametrize(("annulus", "field"), [
    ({**ANNULUS, "anterior": [1, 2]}, r"volumes\[0\]\.annulus\.anterior must be \[x, y, z\]"),
    ({**ANNULUS, "anterior": [10.0, -20.0, 30.0]}, r"volumes\[0\]\.annulus: the three annulus points lie on one line"),
    ({**ANNULUS, "frame_number": 0}, r"volumes\[0\]\.annulus\.frame_number must be a time point"),
])
def test_a_malformed_annulus_is_refused_naming_its_field(tmp_path: Path, annulus: dict, field: str) -> None:
    doc = _tied_doc(volumes=[{"sop_instance_uid": VOLUME, "annulus": annulus}])
    with pytest.raises(CaseError, match=field):
        load_case(_write(tmp_path, doc))


def test_projection_through_a_rotated_offset_annulus_by_hand() -> None:
    frame = Annulus(ANTERIOR, LATERAL, MEDIAL).frame()
    assert frame.width_mm == pytest.approx(30.0) and frame.depth_mm == pytest.approx(12.0)
    # the landmarks land where the schematic map draws them
    lat, med, ant = (frame.project(p) for p in (LATERAL, MEDIAL, ANTERIOR))
    assert (lat.t, lat.s, med.t, med.s) == pytest.approx((0.0, 0.0, 1.0, 0.0))
    assert (ant.t, ant.s, ant.height_mm) == pytest.approx((0.5 + 2 / 30, 1.0, 0.0))
    # O + 6·right - 3·up + 2·(right × up) = (10 - 1.8 - 1.6, -20 - 2.4 + 1.2, 35 + 6)
    p = frame.project((6.6, -21.2, 41.0))
    assert (p.t, p.s, p.height_mm) == pytest.approx((0.5 + 6 / 30, -3 / 12, 2.0))
    assert frame.point(p.t, p.s, p.height_mm) == pytest.approx((6.6, -21.2, 41.0))


def test_the_case_places_ties_through_their_volumes_annulus(tmp_path: Path) -> None:
    typed = load_case(_write(tmp_path, _tied_doc())).findings()
    placed = typed.devices[0].tie.placed if typed.devices[0].tie else None
    assert placed is not None and (placed.t, placed.s, placed.height_mm) == pytest.approx((0.7, -0.25, 2.0))
    jet_tie = typed.jets[0].tie
    assert jet_tie is not None and jet_tie.placed is not None and (jet_tie.placed.t, jet_tie.placed.s) == (0.5, 0.0)
    # without an aligned annulus for that volume the tie stays, unplaced (the map says so)
    bare = load_case(_write(tmp_path, _tied_doc(volumes=[]), "bare.mitraplan.json")).findings()
    assert bare.devices[0].tie is not None and bare.devices[0].tie.placed is None


def test_setting_an_annulus_keeps_the_other_volumes_and_keys() -> None:
    listed = [{"sop_instance_uid": "1.2", "probe": "x"}, {"sop_instance_uid": VOLUME, "annulus": ANNULUS}]
    other = Annulus((0.0, 10.0, 0.0), (-15.0, 0.0, 0.0), (15.0, 0.0, 0.0))
    out = with_annulus(listed, "1.2", other)
    assert annuli(out) == {"1.2": other, VOLUME: Annulus(ANTERIOR, LATERAL, MEDIAL, 2)}
    assert out[0]["probe"] == "x" and listed[0] == {"sop_instance_uid": "1.2", "probe": "x"}
    assert with_annulus(out, VOLUME, None) == [out[0]]  # an entry left with nothing but its UID goes


def test_an_edit_that_would_store_a_malformed_annulus_is_refused() -> None:
    from planning.case import Case
    from planning.commands import SetCaseField
    from planning.document import CaseDocument, DocumentError

    doc = CaseDocument(Case(), measure=lambda case: ([], []))
    bad = [{"sop_instance_uid": VOLUME, "annulus": {**ANNULUS, "posteromedial": list(LATERAL)}}]
    with pytest.raises(DocumentError, match=r"volumes\[0\]\.annulus: the two commissures are the same point"):
        SetCaseField.of(doc, ("volumes",), bad).apply(doc)
    assert "volumes" not in doc.case.extra  # the case can still be opened
