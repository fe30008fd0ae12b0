"""Area: polygon (click vertices; double-click, Enter or a click on the first vertex closes it)
and freehand (drag the outline)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF

from gui.tools.base import CLOSE_PX, Tool, screen_distance
from gui.viewer.viewport import Viewport
from measurements.marks import MarkType

#: Freehand keeps a vertex only when it is this far (image pixels) from the previous one.
FREEHAND_STEP_PX = 1.5


class PolygonTool(Tool):
    kind = MarkType.AREA
    closed = True

    def mouse_click(self, viewport: Viewport, event: Any, pos: QPointF) -> bool:
        if not self.left(event):
            return False
        event.accept()
        here = (pos.x(), pos.y())
        if event.double():
            self.finish()  # the first click of the double-click already added the vertex
            return True
        if len(self.points) >= 3 and screen_distance(viewport, here, self.points[0]) <= CLOSE_PX:
            self.finish()
            return True
        self.points.append(here)
        self.overlay.show_draft(self.kind, tuple(self.points), self.closed)
        return True


class FreehandTool(Tool):
    kind = MarkType.AREA
    closed = True

    def mouse_drag(self, viewport: Viewport, event: Any, pos: QPointF) -> bool:
        if not self.left(event):
            return False
        event.accept()
        if event.isStart():
            start = viewport.image_item.mapFromScene(event.buttonDownScenePos())
            self.points = [(start.x(), start.y())]
        here = (pos.x(), pos.y())
        last = self.points[-1] if self.points else None
        if last is None or ((here[0] - last[0]) ** 2 + (here[1] - last[1]) ** 2) ** 0.5 >= FREEHAND_STEP_PX:
            self.points.append(here)
        self.overlay.show_draft(self.kind, tuple(self.points), self.closed)
        if event.isFinish():
            self.finish()
        return True

    def mouse_move(self, viewport: Viewport, pos: QPointF) -> None:
        """Only the drag draws."""
