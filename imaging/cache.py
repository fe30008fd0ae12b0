"""Decoded-frame cache: least-recently-used under a memory budget in bytes, shared by all loops.

Frames are keyed by ``(owner, frame_index)`` where ``owner`` identifies one opened loop. Cached
arrays are made read-only, so a caller can never change a frame another view is showing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

import numpy as np

DEFAULT_BUDGET_BYTES = 1 << 30

Key = tuple[Hashable, int]


class FrameCache:
    """Thread-safe LRU of decoded frames whose total ``nbytes`` stays within ``budget_bytes``."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self._budget = int(budget_bytes)
        self._items: OrderedDict[Key, np.ndarray] = OrderedDict()
        self._bytes = 0
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

    def get(self, key: Key) -> np.ndarray | None:
        """The cached frame (marked most recently used), or None."""
        with self._lock:
            frame = self._items.get(key)
            if frame is not None:
                self._items.move_to_end(key)
            return frame

    def put(self, key: Key, frame: np.ndarray) -> np.ndarray:
        """Store ``frame`` read-only and evict the least recently used frames over budget.

        A frame larger than the whole budget is returned but not kept.
        """
        frame.flags.writeable = False
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            if frame.nbytes <= self._budget:
                self._items[key] = frame
                self._bytes += frame.nbytes
                self._evict()
        return frame

    def discard(self, owner: Hashable) -> None:
        """Drop every frame of one loop (called when the loop is closed)."""
        with self._lock:
            for key in [k for k in self._items if k[0] == owner]:
                self._bytes -= self._items.pop(key).nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def set_budget(self, budget_bytes: int) -> None:
        """Change the budget; evicts at once when it shrinks."""
        with self._lock:
            self._budget = int(budget_bytes)
            self._evict()

    def _evict(self) -> None:
        while self._bytes > self._budget and self._items:
            _, frame = self._items.popitem(last=False)
            self._bytes -= frame.nbytes


_default_cache = FrameCache()


def default_cache() -> FrameCache:
    """The process-wide cache used by loops opened without an explicit cache."""
    return _default_cache


def set_budget(budget_bytes: int) -> None:
    """Set the memory budget of the default cache (default 1 GiB)."""
    _default_cache.set_budget(budget_bytes)
