"""Decoded-frame cache under a memory budget in bytes, shared by all loops, and scan-resistant.

Frames are keyed by ``(owner, frame_index)`` where ``owner`` identifies one opened loop. Cached
arrays are made read-only, so a caller can never change a frame another view is showing.

Plain LRU gets no hit at all on a loop played in a cycle once the loops in play exceed the budget
(each frame is evicted just before it is shown again). So, when a new frame does not fit:

1. frames of loops *out of play* (not used in the last ``play_window`` cache operations: a loop in
   a hidden viewport, one no longer looked at) go first, least recently used first;
2. then frames of loops in play holding more than their fair share (budget / loops in play);
3. otherwise the loop makes room from its own frames, but only within a small *probation* set
   (``probation_frames``, at most a quarter of its share): frames taken in while it was at its share
   replace each other, least recently used first, and the rest of its frames stay. So a loop longer
   than its share keeps most of its frames and hits them on every pass, while the few frames decoded
   ahead of the one shown (prefetch) are still there when shown. With no probation room the new
   frame is not kept.

A loop played again therefore hits every frame when the loops in play fit, and, when they do not,
each shown loop keeps its share of frames whatever the others (or a scan through a new loop) do.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Literal

import numpy as np

DEFAULT_BUDGET_BYTES = 1 << 30
#: Cache operations after its last one that a loop still counts as in play (≈2 s of 2×2 cine at 30 fps).
DEFAULT_PLAY_WINDOW = 256
#: Frames a loop at its share may cycle through (more than the viewer prefetches ahead).
DEFAULT_PROBATION_FRAMES = 8

Key = tuple[Hashable, int]


class FrameCache:
    """Thread-safe frame cache whose total ``nbytes`` stays within ``budget_bytes`` (policy: module doc)."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES, play_window: int = DEFAULT_PLAY_WINDOW,
                 probation_frames: int = DEFAULT_PROBATION_FRAMES) -> None:
        self._budget = int(budget_bytes)
        self._window = int(play_window)
        self._probation_frames = int(probation_frames)
        self._items: OrderedDict[Key, np.ndarray] = OrderedDict()
        self._probation: set[Key] = set()
        self._bytes = 0
        self._owner_bytes: dict[Hashable, int] = {}
        self._last_use: dict[Hashable, int] = {}
        self._clock = 0
        self._lock = threading.Lock()

    @property
    def budget_bytes(self) -> int:
        return self._budget

    @property
    def used_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Key) -> bool:
        return key in self._items

    def owner_bytes(self, owner: Hashable) -> int:
        """Bytes held for one loop."""
        return self._owner_bytes.get(owner, 0)

    def get(self, key: Key) -> np.ndarray | None:
        """The cached frame (marked most recently used), or None; either way its loop is in play."""
        with self._lock:
            self._touch(key[0])
            frame = self._items.get(key)
            if frame is not None:
                self._items.move_to_end(key)
            return frame

    def put(self, key: Key, frame: np.ndarray) -> np.ndarray:
        """Store ``frame`` read-only if room can be made for it by the policy; return it either way.

        A frame larger than the whole budget is returned but not kept.
        """
        frame.flags.writeable = False
        owner = key[0]
        with self._lock:
            self._touch(owner)
            if key in self._items:
                self._evict(key)
            room = self._make_room(owner, frame.nbytes) if frame.nbytes <= self._budget else None
            if room is not None:
                self._items[key] = frame
                self._account(owner, frame.nbytes)
                if room == "probation":
                    self._probation.add(key)
        return frame

    def discard(self, owner: Hashable) -> None:
        """Drop every frame of one loop (called when the loop is closed)."""
        with self._lock:
            for key in [k for k in self._items if k[0] == owner]:
                self._evict(key)
            self._last_use.pop(owner, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._probation.clear()
            self._bytes = 0
            self._owner_bytes.clear()
            self._last_use.clear()

    def set_budget(self, budget_bytes: int) -> None:
        """Change the budget; evicts (least recently used first) at once when it shrinks."""
        with self._lock:
            self._budget = int(budget_bytes)
            while self._bytes > self._budget and self._items:
                self._evict(next(iter(self._items)))

    # -- internals (lock held) --
    def _touch(self, owner: Hashable) -> None:
        self._clock += 1
        self._last_use[owner] = self._clock

    def _account(self, owner: Hashable, delta: int) -> None:
        self._bytes += delta
        held = self._owner_bytes.get(owner, 0) + delta
        if held:
            self._owner_bytes[owner] = held
        else:
            self._owner_bytes.pop(owner, None)

    def _evict(self, key: Key) -> None:
        self._account(key[0], -self._items.pop(key).nbytes)
        self._probation.discard(key)

    def _in_play(self, owner: Hashable) -> bool:
        return self._clock - self._last_use.get(owner, -self._window - 1) <= self._window

    def _make_room(self, owner: Hashable, nbytes: int) -> Literal["kept", "probation"] | None:
        """Evict by the policy until ``nbytes`` more fit: "kept", "probation" (room made from the
        loop's own frames: the new frame joins its probation set), or None (the frame is not kept)."""
        room: Literal["kept", "probation"] = "kept"
        while self._bytes + nbytes > self._budget:
            victim = self._victim(owner, nbytes)
            if victim is None:
                victim, room = self._own_victim(owner, nbytes), "probation"
            if victim is None:
                return None
            self._evict(victim)
        return room

    def _playing(self, owner: Hashable) -> int:
        """Loops in play, ``owner`` included."""
        return 1 + sum(1 for o in self._owner_bytes if o != owner and self._in_play(o))

    def _victim(self, owner: Hashable, nbytes: int) -> Key | None:
        """The least recently used frame of another loop out of play, else of one over its fair share."""
        others = [o for o in self._owner_bytes if o != owner]
        idle = {o for o in others if not self._in_play(o)}
        if not idle:
            share = self._budget / self._playing(owner)
            if self._owner_bytes.get(owner, 0) + nbytes > share:
                return None  # this loop is at its share: only its own frames can make room
            idle = {o for o in others if self._owner_bytes[o] > share}
        return next((k for k in self._items if k[0] in idle), None)

    def _own_victim(self, owner: Hashable, nbytes: int) -> Key | None:
        """The loop's own frame to give up: its least recently used one outside probation while the
        probation set is below its size, else its least recently used probation frame."""
        share_frames = int(self._budget / self._playing(owner) // max(nbytes, 1))
        allowed = min(self._probation_frames, share_frames // 4)
        own = [k for k in self._items if k[0] == owner]
        probation = [k for k in own if k in self._probation]
        if allowed == 0:
            return None
        if len(probation) < allowed:
            return next((k for k in own if k not in self._probation), probation[0] if probation else None)
        return probation[0]


_default_cache = FrameCache()


def default_cache() -> FrameCache:
    """The process-wide cache used by loops opened without an explicit cache."""
    return _default_cache


def set_budget(budget_bytes: int) -> None:
    """Set the memory budget of the default cache (default 1 GiB)."""
    _default_cache.set_budget(budget_bytes)
