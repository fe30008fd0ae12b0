"""Loops shown read-only (the comparison and presentation windows): opened off the GUI thread, no tools.

``ReadOnlyTool`` sits in a viewport's tool slot: it takes every click and drag (so nothing is drawn
and the image is not panned) and says once per gesture why nothing happens. ``open_loop`` opens a
file with a ``TaskRunner`` and shows it in a viewport. Comparison rows are printed by the report's
``report.compare_section.comparison_cells``, so the windows and the PDF say the same.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF

from gui.tasks import TaskRunner
from gui.viewer.viewport import Viewport
from imaging.cache import FrameCache
from imaging.loop import Loop

#: Decoded frames of the read-only windows, apart from the main viewers' cache (closing them evicts nothing there).
READ_ONLY_CACHE_BYTES = 96 << 20


class ReadOnlyTool:
    """A viewport tool that refuses every mark: it consumes clicks and drags and reports ``message``."""

    def __init__(self, report: Callable[[str], None], message: str, quiet_clicks: bool = False) -> None:
        self.report = report
        self.message = message
        self.quiet_clicks = quiet_clicks  # a click only focuses the view: say nothing (a drag still reports)
        self.refusals = 0

    def _refuse(self) -> bool:
        self.refusals += 1
        if self.message:
            self.report(self.message)
        return True

    def mouse_click(self, viewport: Viewport, event: Any, pos: QPointF) -> bool:
        if self.quiet_clicks:
            return True
        return self._refuse()

    def mouse_drag(self, viewport: Viewport, event: Any, pos: QPointF) -> bool:
        if event.isStart():
            return self._refuse()
        return True

    def mouse_move(self, viewport: Viewport, pos: QPointF) -> None:
        return None


def read_only_cache() -> FrameCache:
    return FrameCache(READ_ONLY_CACHE_BYTES)


#: The latest open request of each viewport (by id): an older loop that arrives later is closed, not shown.
_latest: dict[int, int] = {}


def open_loop(tasks: TaskRunner, viewport: Viewport, path: Path, cache: FrameCache,
              on_error: Callable[[str], None], then: Callable[[Viewport], None] = lambda _v: None) -> None:
    """Open ``path`` in the background and show it in ``viewport`` (an error names the file); of several
    requests for one viewport the last one wins."""
    request = _latest[id(viewport)] = _latest.get(id(viewport), 0) + 1

    def shown(loop: Any) -> None:
        if _latest.get(id(viewport)) != request:
            loop.close()
            return
        viewport.set_loop(loop)
        then(viewport)

    tasks.start(f"Opening {path.name}", lambda _p, _c: Loop.open(path, cache=cache), on_done=shown,
                on_error=lambda exc: on_error(f"{path}: {exc}"))
