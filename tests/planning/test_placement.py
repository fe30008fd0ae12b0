"""Placement on the coaptation line reads the vocabulary, not words: positions by hand from the layout
(scallop centres at 1/6, 3/6, 5/6; lateral/medial device shift 1/15; para-clip jet offset 0.095)."""

from __future__ import annotations

import pytest

from planning.model import Device, Jet
from planning.placement import device_positions, jet_position, nominal_position, segment_position
from planning.vocab import DevicePosition, JetLocation, SegmentPair


def test_segment_pairs_sit_between_their_scallops() -> None:
    assert segment_position("A2-P2") == pytest.approx(3 / 6)
    assert segment_position("A2-P3") == pytest.approx((3 / 6 + 5 / 6) / 2)
    assert segment_position(None) == pytest.approx(0.5)  # not recorded: the middle
    assert segment_position("A2/P2") == pytest.approx(0.5)  # not a vocabulary value: not read


def test_commissural_jets_sit_at_their_own_commissure() -> None:
    """Each commissural location names its side (the substring test put a commissural AL jet recorded
    on A2-P2 at the PM end, because its segment was not < 0.5)."""
    assert segment_position("A2-P2", "commissural AL") == pytest.approx(0.03)
    assert segment_position("A2-P2", "commissural PM") == pytest.approx(0.97)
    assert segment_position("A2-P2", "para-clip lateral") == pytest.approx(0.5 - 0.1)


def test_device_position_shifts_from_the_scallop_centre() -> None:
    lateral = Device("d1", segment=SegmentPair.A2_P2, position=DevicePosition.LATERAL)
    medial = Device("d2", segment=SegmentPair.A2_P2, position=DevicePosition.MEDIAL)
    assert nominal_position(lateral) == pytest.approx(0.5 - 1 / 15)
    positions = device_positions([medial, lateral])
    assert positions["d1"] < positions["d2"]  # lateral first, pushed apart by the 0.14 device gap
    assert positions["d2"] - positions["d1"] == pytest.approx(0.14)


def test_a_para_clip_medial_jet_sits_beside_its_device() -> None:
    device = Device("d1", segment=SegmentPair.A2_P2)
    positions = device_positions([device])
    jet = Jet("j1", JetLocation.PARA_MEDIAL, SegmentPair.A2_P2, devices=("d1",))
    assert jet_position(jet, [device], positions) == pytest.approx(0.5 + 0.095)
