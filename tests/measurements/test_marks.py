"""Mark validation and the case-file JSON of a mark."""

from __future__ import annotations

import pytest

from measurements.marks import Mark, MarkError, MarkType, mark_from_json, mark_to_json


def _json(**over: object) -> dict:
    d = {"id": "m1", "type": "distance", "label": "P2 residual leaflet length", "sop_instance_uid": "1.2.3",
         "frame_number": 12, "region": 0, "points": [[10.5, 20.5], [30.5, 40.5]]}
    d.update(over)
    return d


def test_round_trip_keeps_keys_purpose_and_unknown_keys() -> None:
    d = _json(purpose="posterior_leaflet_length", operator="dr x")
    mark = mark_from_json(d)
    assert mark.type is MarkType.DISTANCE and mark.points == ((10.5, 20.5), (30.5, 40.5))
    assert mark.extra == {"operator": "dr x"}
    assert mark_to_json(mark) == d
    assert list(mark_to_json(mark_from_json(_json())))[:6] == ["id", "type", "label", "sop_instance_uid",
                                                               "frame_number", "region"]


def test_marks_are_frozen_and_hashable() -> None:
    mark = mark_from_json(_json())
    with pytest.raises(AttributeError):
        mark.label = "x"  # type: ignore[misc]
    assert hash(mark) == hash(mark_from_json(_json(note="ignored in equality")))


@pytest.mark.parametrize(("over", "message"), [
    ({"frame_number": 0}, "frame_number is 1-based"),
    ({"region": -1}, "region is a 0-based index"),
    ({"type": "angle"}, "unknown type"),
    ({"points": [[1, 2]]}, "exactly 2 points"),
    ({"type": "area", "points": [[1, 2], [3, 4]]}, "at least 3 points"),
    ({"type": "point", "points": [[1, 2], [3, 4]]}, "exactly 1 point"),
    ({"type": "doppler_trace", "points": [[1, 2]]}, "at least 2 points"),
    ({"type": "doppler_trace", "points": [[1, 2], [1, 3]]}, "x strictly increasing"),
    ({"points": [[1, "a"], [2, 3]]}, "non-numeric"),
    ({"points": [[1, float("nan")], [2, 3]]}, "not finite"),
    ({"sop_instance_uid": ""}, "sop_instance_uid"),
])
def test_bad_marks_are_refused_with_the_mark_named(over: dict, message: str) -> None:
    with pytest.raises(MarkError, match=message) as info:
        mark_from_json(_json(**over))
    assert "'m1'" in str(info.value)


def test_missing_keys_are_named() -> None:
    d = _json()
    del d["points"], d["region"]
    with pytest.raises(MarkError, match="mark 'm1': missing region, points"):
        mark_from_json(d)


def test_direct_construction_validates_too() -> None:
    with pytest.raises(MarkError, match="frame_number is 1-based"):
        Mark("m2", MarkType.POINT, "clip tip", "1.2.3", 0, 0, ((1.0, 2.0),))
