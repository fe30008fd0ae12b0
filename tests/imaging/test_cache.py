"""The frame cache: LRU by bytes, budget changes, read-only frames."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.cache import FrameCache


def _frame(nbytes: int) -> np.ndarray:
    return np.zeros(nbytes, np.uint8)


def test_least_recently_used_frame_is_evicted_over_budget() -> None:
    cache = FrameCache(budget_bytes=300)
    for k in range(3):
        cache.put(("a", k), _frame(100))
    assert cache.get(("a", 0)) is not None  # 0 becomes the most recent
    cache.put(("a", 3), _frame(100))
    assert ("a", 1) not in cache and ("a", 0) in cache and ("a", 3) in cache
    assert cache.used_bytes == 300


def test_shrinking_the_budget_evicts_at_once_and_oversize_frames_are_not_kept() -> None:
    cache = FrameCache(budget_bytes=1000)
    for k in range(5):
        cache.put(("a", k), _frame(200))
    cache.set_budget(450)
    assert len(cache) == 2 and cache.used_bytes == 400
    big = cache.put(("a", 9), _frame(500))
    assert big.nbytes == 500 and ("a", 9) not in cache


def test_cached_frames_are_read_only_and_discard_drops_one_owner() -> None:
    cache = FrameCache()
    frame = cache.put(("a", 0), _frame(10))
    cache.put(("b", 0), _frame(10))
    with pytest.raises(ValueError, match="read-only"):
        frame[0] = 1
    cache.discard("a")
    assert ("a", 0) not in cache and ("b", 0) in cache
