"""Caliper (drag from one end to the other) and point marker (one click)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF

from gui.tools.base import Tool
from gui.viewer.viewport import Viewport
from measurements.marks import MarkType


class DistanceTool(Tool):
    kind = MarkType.DISTANCE

    def mouse_drag(self, viewport: Viewport, event: Any, pos: QPointF) -> bool:
        if not self.left(event):
            return False
        first, here = self.drag_line(viewport, event, pos)
        self.overlay.show_draft(self.kind, (first, here))
        if event.isFinish():
            self.points = [first, here]
            self.finish()
        return True

    def mouse_move(self, viewport: Viewport, pos: QPointF) -> None:
        """The drag draws the caliper; hovering shows nothing."""


class PointTool(Tool):
    kind = MarkType.POINT

    def mouse_click(self, viewport: Viewport, event: Any, pos: QPointF) -> bool:
        if not self.left(event):
            return False
        event.accept()
        self.points = [(pos.x(), pos.y())]
        self.finish()
        return True
