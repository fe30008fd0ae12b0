"""The frame cache: scan-resistant eviction (hand-worked sequences), budget changes, read-only frames."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.cache import FrameCache


def _frame(nbytes: int) -> np.ndarray:
    return np.zeros(nbytes, np.uint8)


def _play(cache: FrameCache, keys: list[tuple[str, int]]) -> list[bool]:
    """Show each frame as a viewport does (get, put on a miss); True for each hit."""
    hits = []
    for key in keys:
        hit = cache.get(key) is not None
        if not hit:
            cache.put(key, _frame(100))
        hits.append(hit)
    return hits


def _interleaved(owners: str, frames: int) -> list[tuple[str, int]]:
    """2x2 playback: frame k of every loop, then frame k + 1 of every loop."""
    return [(o, k) for k in range(frames) for o in owners]


def test_loops_in_play_that_fit_hit_every_frame_on_the_second_pass() -> None:
    cache = FrameCache(budget_bytes=800)  # 8 frames: two 4-frame loops fit
    assert not any(_play(cache, _interleaved("ab", 4)))
    assert all(_play(cache, _interleaved("ab", 4)))


def test_a_loop_longer_than_the_budget_keeps_its_first_frames_and_hits_them_every_pass() -> None:
    cache = FrameCache(budget_bytes=300)  # 3 frames of a 4-frame loop; plain LRU would hit none
    _play(cache, [("a", k) for k in range(4)])  # 0, 1, 2 kept; 3 does not fit and is not kept
    assert _play(cache, [("a", k) for k in range(4)]) == [True, True, True, False]
    assert _play(cache, [("a", k) for k in range(4)]) == [True, True, True, False]


def test_a_loop_at_its_share_cycles_only_its_probation_frames() -> None:
    cache = FrameCache(budget_bytes=1200, probation_frames=2)  # 12 frames; probation min(2, 12 // 4) = 2
    loop = [("a", k) for k in range(16)]
    _play(cache, loop)  # 0-11 kept; 12 and 13 each take the oldest kept (0, 1); 14, 15 replace 12, 13
    assert [k for k in range(16) if ("a", k) in cache] == [*range(2, 12), 14, 15]
    # second pass: 0, 1 replace 14, 15; 2-11 hit; 12-15 replace each other in the probation set
    assert _play(cache, loop) == [False] * 2 + [True] * 10 + [False] * 4


def test_frames_decoded_ahead_are_still_cached_when_shown() -> None:
    cache = FrameCache(budget_bytes=1200, probation_frames=2)
    _play(cache, [("a", k) for k in range(12)])  # at its share
    cache.put(("a", 12), _frame(100))  # the viewer prefetches the next two frames...
    cache.put(("a", 13), _frame(100))
    assert _play(cache, [("a", 12), ("a", 13)]) == [True, True]  # ...and they are hits when shown


def test_loops_in_play_that_do_not_fit_each_keep_their_share() -> None:
    cache = FrameCache(budget_bytes=400)  # share 200 each: a0 b0 a1 b1 fill it, a2 b2 a3 b3 are not kept
    _play(cache, _interleaved("ab", 4))
    assert _play(cache, _interleaved("ab", 4)) == [True] * 4 + [False] * 4
    assert cache.owner_bytes("a") == cache.owner_bytes("b") == 200


def test_a_new_loop_takes_frames_from_a_loop_over_its_share_then_from_a_loop_out_of_play() -> None:
    cache = FrameCache(budget_bytes=300, play_window=2)
    _play(cache, [("a", 0), ("a", 1), ("a", 2)])  # operations 1-6 (get + put each); a last used at 6
    # b0 (ops 7, 8): a in play (8 - 6 = 2), share 150: a holds 300 > 150, its oldest frame a0 goes
    assert _play(cache, [("b", 0)]) == [False] and ("a", 0) not in cache and ("b", 0) in cache
    # b1 (ops 9, 10): a is out of play (10 - 6 = 4 > 2): its oldest frame a1 goes for b1
    assert _play(cache, [("b", 1)]) == [False] and ("a", 1) not in cache and ("b", 1) in cache
    assert _play(cache, [("b", 2)]) == [False] and len(cache) == 3 and cache.owner_bytes("a") == 0
    assert all(_play(cache, [("b", 0), ("b", 1), ("b", 2)]))


def test_a_scan_through_another_loop_leaves_the_shown_loop_its_share() -> None:
    cache = FrameCache(budget_bytes=400)
    _play(cache, [("shown", k) for k in range(4)])
    _play(cache, [("scan", k) for k in range(10)])  # opened and run through once, while "shown" is in play
    assert cache.owner_bytes("shown") == 200 and cache.owner_bytes("scan") == 200
    assert _play(cache, [("shown", 2), ("shown", 3)]) == [True, True]


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
