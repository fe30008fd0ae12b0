"""Which prior loop goes beside a current loop (``gui.present.prior_study.paired_loop``), and what the
comparison says of its sync (``gui.viewer.sync.sync_description``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from gui.present.prior_study import paired_loop
from gui.viewer.sync import sync_description
from planning.case import Case


def _loop(uid: str, series: str = "TEE") -> Any:
    return SimpleNamespace(sop_instance_uid=uid, series_description=series)


def _case(*keys: tuple[str, str]) -> Case:
    return Case(extra={"key_images": [{"sop_instance_uid": uid, "frame_number": 1, "label": label}
                                      for uid, label in keys]})


def test_the_same_image_pairs_first_then_the_same_key_image_label_then_a_unique_series() -> None:
    prior_loops = [_loop("p1", "ME 4C"), _loop("p2", "ME commissural"), _loop("c9", "TEE")]
    current = _case(("c1", "Lateral jet, ME commissural colour"))
    prior = _case(("p1", "lateral jet, me commissural colour "))  # labels compared case- and space-blind
    assert paired_loop(current, _loop("c9"), prior, prior_loops).sop_instance_uid == "c9"
    assert paired_loop(current, _loop("c1", "ME commissural"), prior, prior_loops).sop_instance_uid == "p1"
    assert paired_loop(_case(), _loop("c2", "ME commissural"), prior, prior_loops).sop_instance_uid == "p2"


def test_no_pair_when_the_view_is_ambiguous_or_unknown() -> None:
    prior_loops = [_loop("p1", "TEE"), _loop("p2", "TEE")]
    assert paired_loop(_case(), _loop("c1", "TEE"), _case(), prior_loops) is None  # two loops of that series
    assert paired_loop(_case(), _loop("c1", ""), _case(), [_loop("p1", "")]) is None  # no description at all


def test_sync_description_names_where_each_cycle_comes_from() -> None:
    ecg = SimpleNamespace(r_wave_times_ms=(100.0, 900.0), heart_rate_bpm=75.0)
    rate = SimpleNamespace(r_wave_times_ms=(), heart_rate_bpm=72.0)
    bare = SimpleNamespace(r_wave_times_ms=(), heart_rate_bpm=None)
    assert sync_description(ecg, ecg).startswith("Synced by cardiac cycle (R waves)")
    assert sync_description(ecg, rate).startswith("Synced by cardiac cycle (R waves / heart rate)")
    assert sync_description(ecg, bare).startswith("Synced by frame number")


def test_loops_measured_the_same_way_pair_when_names_and_series_say_nothing() -> None:
    """The demo's prior: every loop of series "TEE", no key-image labels; the loop whose marks carry the
    current loop's labels (the same vena contracta) is the same view; a tie pairs nothing."""
    from measurements.marks import Mark, MarkType

    def mark(mid: str, uid: str, label: str) -> Mark:
        return Mark(mid, MarkType.DISTANCE, label, uid, 1, 0, ((1.0, 1.0), (2.0, 2.0)))

    prior_loops = [_loop("p1"), _loop("p2"), _loop("p3")]
    current = Case(marks=[mark("a", "c1", "Lateral para-clip jet vena contracta"), mark("b", "c1", "PISA radius")])
    prior = Case(marks=[mark("x", "p2", "lateral para-clip jet vena contracta "), mark("y", "p3", "P3 length")])
    assert paired_loop(current, _loop("c1"), prior, prior_loops).sop_instance_uid == "p2"
    tied = Case(marks=[mark("x", "p2", "PISA radius"), mark("y", "p3", "Lateral para-clip jet vena contracta")])
    assert paired_loop(current, _loop("c1"), tied, prior_loops) is None  # one shared label each: ambiguous
    assert paired_loop(current, _loop("c9"), prior, prior_loops) is None  # a loop without marks: no evidence
