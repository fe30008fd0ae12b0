"""A frame request given up before it was decoded (the compare window closed while stepping, another
loop opened) shows nothing: it used to raise CancelledError into an "Unexpected error" notice."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any


def test_a_cancelled_frame_request_is_dropped_quietly(qtbot: Any) -> None:
    from gui.viewer.viewport import Viewport

    viewport = Viewport()
    qtbot.addWidget(viewport)
    failures: list[BaseException] = []
    viewport._fail = failures.append  # type: ignore[method-assign]  # what would have raised the notice
    future: Future[Any] = Future()
    assert future.cancel()
    viewport._present(viewport._generation, viewport._index, future)  # the current frame's request
    assert failures == [] and viewport.displayed_index is None
