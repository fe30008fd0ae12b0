"""Residual anatomy as the report reads it: lengths and gaps from marks, grasping devices from the map."""

from __future__ import annotations

from measurements.results import Result
from planning.case import Case
from planning.findings import devices_at, segments
from planning.model import Device
from planning.vocab import SegmentPair


def test_devices_at_a_scallop() -> None:
    """A device grasps the two scallops of its segment pair (enum members, not words in a text)."""
    devices = [Device("d1", segment=SegmentPair.A2_P2), Device("d2", segment=SegmentPair.A2_P3),
               Device("d3", segment=SegmentPair.A2_P1), Device("d4")]
    assert devices_at(devices, "P2") == ["d1"]
    assert devices_at(devices, "A2") == ["d1", "d2", "d3"]
    assert devices_at(devices, "P3") == ["d2"]
    assert devices_at(devices, "A3") == []


def test_segment_view_reads_every_recorded_field() -> None:
    case = Case(devices=[{"id": "d1", "segment": "A2-P2"}],
                leaflets={"segments": {
                    "P2": {"length_mark": "m1", "coaptation_gap_mark": "m2", "calcification": "moderate",
                           "calcification_in_grasp_zone": True, "mobility": "restricted IIIb", "injury": "cleft"},
                    "P3": {"calcification": "none", "grasped_by": "none (free)"}}})
    results = [Result("m1", "P2 length", "distance", 0.96, "cm", ("m1",)),
               Result("m2", "P2 gap", "distance", 0.3, "cm", ("m2",))]
    p2, p3 = segments(case, results)
    assert (p2.segment, p2.length_cm, p2.coaptation_gap_cm, p2.grasped_by) == ("P2", 0.96, 0.3, "d1")
    assert (p2.calcification, p2.calcification_in_grasp_zone, p2.mobility, p2.injury) == \
        ("moderate", True, "restricted IIIb", "cleft")
    assert (p3.grasped_by, p3.length_cm, p3.coaptation_gap_cm) == ("none (free)", None, None)

