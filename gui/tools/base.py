"""The common shape of a drawing tool: points collected in image coordinates, a draft, a commit."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, Qt

from gui.viewer.overlay import MarkOverlay
from gui.viewer.viewport import Viewport
from measurements.marks import MarkType

#: A click this close (screen pixels) to the first vertex closes a polygon.
CLOSE_PX = 8.0


class Tool:
    """Base tool: holds the points being drawn; Esc (``cancel``) drops them, Enter (``finish``) commits.

    A tool never chooses a label: the mark gets the one the user picked in the label box, or none.
    """

    kind: MarkType = MarkType.POINT
    closed = False

    def __init__(self, overlay: MarkOverlay) -> None:
        self.overlay = overlay
        self.points: list[tuple[float, float]] = []

    def mouse_click(self, viewport: Viewport, event: Any, pos: QPointF) -> bool:
        return False

    def mouse_drag(self, viewport: Viewport, event: Any, pos: QPointF) -> bool:
        return False

    def mouse_move(self, viewport: Viewport, pos: QPointF) -> None:
        if self.points:
            self.overlay.show_draft(self.kind, (*self.points, (pos.x(), pos.y())), self.closed)

    def cancel(self) -> None:
        self.points = []
        self.overlay.clear_draft()

    def finish(self) -> None:
        """Commit what is drawn (polygons and point traces end here, or on a double-click)."""
        points, self.points = list(self.points), []
        self.overlay.clear_draft()
        if points:
            self.overlay.commit(self.kind, points)

    @staticmethod
    def left(event: Any) -> bool:
        return event.button() == Qt.MouseButton.LeftButton

    def drag_line(self, viewport: Viewport, event: Any, pos: QPointF) -> tuple[tuple[float, float], tuple[float, float]]:
        """The line a left drag draws, from where the button went down to ``pos`` (image coordinates)."""
        event.accept()
        if event.isStart() or not self.points:
            start = viewport.image_item.mapFromScene(event.buttonDownScenePos())
            self.points = [(start.x(), start.y())]
        return self.points[0], (pos.x(), pos.y())


def screen_distance(viewport: Viewport, a: tuple[float, float], b: tuple[float, float]) -> float:
    pa, pb = viewport.image_to_widget(*a), viewport.image_to_widget(*b)
    return ((pa.x() - pb.x()) ** 2 + (pa.y() - pb.y()) ** 2) ** 0.5
