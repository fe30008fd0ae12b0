"""Doppler traces: click the envelope left to right (double-click or Enter ends it), or drag a span
and let ``measurements.envelope.auto_envelope`` find the envelope there; either way the trace is
then a mark with a handle per vertex."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF

from gui.tools.base import Tool
from gui.viewer.viewport import Viewport
from imaging.errors import InputError
from imaging.regions import region_for_points
from measurements.envelope import auto_envelope
from measurements.marks import MarkType

#: The automatic envelope (one point per column) is thinned to vertices within this distance (image
#: pixels) of it, so the trace stays editable by hand.
SIMPLIFY_PX = 0.75


def simplify(points: list[tuple[float, float]], tolerance: float = SIMPLIFY_PX) -> list[tuple[float, float]]:
    """Ramer-Douglas-Peucker: the fewest vertices whose polyline stays within ``tolerance`` of ``points``."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        i0, i1 = stack.pop()
        (x0, y0), (x1, y1) = points[i0], points[i1]
        length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 or 1e-12
        worst, where = 0.0, -1
        for i in range(i0 + 1, i1):
            x, y = points[i]
            d = abs((x1 - x0) * (y0 - y) - (x0 - x) * (y1 - y0)) / length
            if d > worst:
                worst, where = d, i
        if worst > tolerance:
            keep[where] = True
            stack += [(i0, where), (where, i1)]
    return [p for p, k in zip(points, keep, strict=False) if k]


class TraceTool(Tool):
    kind = MarkType.DOPPLER_TRACE

    def mouse_click(self, viewport: Viewport, event: Any, pos: QPointF) -> bool:
        if not self.left(event):
            return False
        event.accept()
        if event.double():
            self.finish()
            return True
        here = (pos.x(), pos.y())
        if self.points and here[0] <= self.points[-1][0]:
            self.overlay.session.refused.emit("a Doppler trace runs left to right: click to the right of the"
                                              " last point (double-click or Enter ends it)")
            return True
        self.points.append(here)
        self.overlay.show_draft(self.kind, tuple(self.points))
        return True


class AutoTraceTool(Tool):
    kind = MarkType.DOPPLER_TRACE

    def mouse_drag(self, viewport: Viewport, event: Any, pos: QPointF) -> bool:
        if not self.left(event):
            return False
        event.accept()
        if event.isStart() or not self.points:
            start = viewport.image_item.mapFromScene(event.buttonDownScenePos())
            self.points = [(start.x(), start.y())]
        x0, y0 = self.points[0]
        span = ((x0, y0), (pos.x(), y0))
        self.overlay.show_draft(MarkType.DISTANCE, span)
        if event.isFinish():
            self.points = []
            self.overlay.clear_draft()
            self.trace_span(viewport, x0, pos.x(), y0)
        return True

    def mouse_move(self, viewport: Viewport, pos: QPointF) -> None:
        """Only the drag draws."""

    def trace_span(self, viewport: Viewport, x0: float, x1: float, y: float) -> None:
        """Find the envelope between x0 and x1 in the spectral region under the drag and commit it."""
        image = viewport.current_image()
        if image is None:  # no frame on screen yet: nothing to trace
            return
        try:
            region = region_for_points(viewport.regions, [(x0, y), (x1, y)], "trace span")
            envelope = auto_envelope(image, region, min(x0, x1), max(x0, x1))
        except InputError as exc:
            self.overlay.session.refused.emit(str(exc))
            return
        self.overlay.commit(self.kind, simplify(list(envelope)))
