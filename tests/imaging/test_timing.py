"""Frame timing from the header: order of trust, FTV quirks, heart rate and R waves."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from imaging.timing import timing_from_dataset


def _ds(**attrs: object) -> Dataset:
    ds = Dataset()
    for keyword, value in attrs.items():
        setattr(ds, keyword, value)
    return ds


def test_frame_time_gives_even_start_times() -> None:
    timing = timing_from_dataset(_ds(FrameTime="40"), 5)
    assert timing.source == "FrameTime"
    assert timing.frame_times_ms == (0.0, 40.0, 80.0, 120.0, 160.0)
    assert timing.duration_ms == pytest.approx(200.0)  # 5 frames x 40 ms
    assert timing.fps == pytest.approx(25.0)  # 1000 / 40
    assert timing.warnings == ()


def test_frame_time_vector_wins_over_frame_time() -> None:
    timing = timing_from_dataset(_ds(FrameTime="40", FrameTimeVector=["0", "30", "50", "30"]), 4)
    assert timing.source == "FrameTimeVector"
    assert timing.frame_times_ms == (0.0, 30.0, 80.0, 110.0)
    assert timing.frame_duration_ms(1) == pytest.approx(50.0)
    assert timing.frame_duration_ms(3) == pytest.approx(110.0 / 3)  # last frame: mean step (30+50+30)/3


def test_frame_time_vector_with_nonzero_first_value_warns_and_counts_it_as_zero() -> None:
    timing = timing_from_dataset(_ds(FrameTimeVector=["33.333", "33.333", "50"]), 3)
    assert timing.frame_times_ms == pytest.approx((0.0, 33.333, 83.333))
    assert any("starts with 33.333" in w for w in timing.warnings)


def test_frame_time_vector_of_wrong_length_warns() -> None:
    timing = timing_from_dataset(_ds(FrameTimeVector=["0", "20", "20"]), 5)
    assert timing.frame_times_ms == pytest.approx((0.0, 20.0, 40.0, 60.0, 80.0))  # padded with the mean step
    assert any("3 values for 5 frames" in w for w in timing.warnings)


@pytest.mark.parametrize(("attrs", "source", "frame_ms"), [
    ({"CineRate": "25"}, "CineRate", 40.0),
    ({"RecommendedDisplayFrameRate": "50"}, "RecommendedDisplayFrameRate", 20.0),
    ({"CineRate": "25", "RecommendedDisplayFrameRate": "50"}, "CineRate", 40.0),
    ({"FrameTime": "0", "CineRate": "20"}, "CineRate", 50.0),
])
def test_rates_in_order_of_trust(attrs: dict[str, str], source: str, frame_ms: float) -> None:
    timing = timing_from_dataset(_ds(**attrs), 3)
    assert timing.source == source
    assert timing.frame_times_ms == pytest.approx((0.0, frame_ms, 2 * frame_ms))


def test_missing_timing_falls_back_to_30_fps_with_a_warning() -> None:
    timing = timing_from_dataset(_ds(), 4)
    assert timing.source == "default"
    assert timing.frame_times_ms == pytest.approx((0.0, 1000 / 30, 2000 / 30, 3000 / 30))
    assert timing.fps == pytest.approx(30.0)
    assert any("30 fps assumed" in w for w in timing.warnings)


def test_a_still_needs_no_timing_and_warns_nothing() -> None:
    timing = timing_from_dataset(_ds(), 1)
    assert timing.frame_times_ms == (0.0,)
    assert timing.warnings == ()


def test_heart_rate_zero_means_unknown() -> None:
    assert timing_from_dataset(_ds(HeartRate="0"), 2).heart_rate_bpm is None
    assert timing_from_dataset(_ds(HeartRate="72"), 2).heart_rate_bpm == 72.0


def test_r_waves_from_time_vector_or_frame_pointer() -> None:
    assert timing_from_dataset(_ds(RWaveTimeVector=[100.0, 933.0]), 2).r_wave_times_ms == (100.0, 933.0)
    # frames 2 and 4 (1-based) at 25 ms per frame start at 25 and 75 ms
    timing = timing_from_dataset(_ds(FrameTime="25", RWavePointer=[2, 4]), 5)
    assert timing.r_wave_times_ms == (25.0, 75.0)


def test_frame_at_clamps_and_does_not_wrap() -> None:
    timing = timing_from_dataset(_ds(FrameTime="40"), 3)
    assert [timing.frame_at(t) for t in (-5.0, 0.0, 39.9, 40.0, 119.0, 500.0)] == [0, 0, 0, 1, 2, 2]
