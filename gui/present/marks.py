"""The marks of a case on the loops of the presentation, drawn read-only and large enough to read projected.

``FrameMarks`` draws, on each frame a viewport shows, the marks made on that frame (as the main
viewer does), each with its label and numbers (``overlay.format_results``) in the caption's type.
Its items take no mouse button, so nothing on them can be dragged or clicked (the presentation's
event filter swallows every gesture before they could anyway); they redraw from the marks given,
never from an item, and write nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPen

from gui.viewer.overlay import LABEL_COLOUR, MARK_COLOUR, REFUSED_COLOUR, format_results
from gui.viewer.viewport import Viewport
from measurements.marks import Mark, MarkType
from measurements.results import Result

#: Lines three times the main viewer's width: the projector shrinks the picture.
LINE_WIDTH = 3.5
POINT_SIZE = 24
#: A refusal (why a mark has no numbers) wraps at this width (screen pixels).
REFUSAL_WIDTH_PX = 560


def readout(results: Sequence[Result], error: str | None) -> str:
    """The numbers beside a mark, or why it has none."""
    return error if error else format_results(results)


class FrameMarks:
    """Draws ``marks()`` of the image and frame ``viewport`` shows; ``text(mark)`` is the readout under its label."""

    def __init__(self, viewport: Viewport, marks: Callable[[], Sequence[Mark]],
                 text: Callable[[Mark], tuple[str, bool]], font_px: int) -> None:
        self.viewport, self.marks, self.text = viewport, marks, text
        self.font = QFont()
        self.font.setPixelSize(font_px)
        self.font.setBold(True)
        self.items: list[pg.GraphicsObject] = []
        self.labels: list[pg.TextItem] = []
        self.wanted: list[tuple[float, float]] = []  # where each label goes before decluttering (image coordinates)
        viewport.frameChanged.connect(lambda _n: self.refresh())
        viewport.loopChanged.connect(lambda _l: self.refresh())
        viewport.view_box.sigRangeChanged.connect(lambda *_a: self._declutter())

    def on_loop(self) -> list[Mark]:
        """The marks drawn on the image shown (any frame), in frame order; 3D marks (on a plane of a
        volume, no image points) are not drawn on a loop."""
        info = self.viewport.info
        uid = str(info.sop_instance_uid) if info is not None else None
        return sorted((m for m in self.marks() if m.sop_instance_uid == uid and m.points), key=lambda m: m.frame_number)

    def shown(self) -> list[Mark]:
        frame = self.viewport.frame_number
        return [m for m in self.on_loop() if m.frame_number == frame]

    def refresh(self) -> None:
        for item in [*self.items, *self.labels]:
            self.viewport.view_box.removeItem(item)
        self.items, self.labels, self.wanted = [], [], []
        for mark in self.shown():
            self._draw(mark)
        self._declutter()

    def _declutter(self) -> None:
        """Keep each label inside the view and move one that would cover an earlier one below it
        (in screen pixels: labels do not scale with the image)."""
        px_w, px_h = self.viewport.view_box.viewPixelSize()
        if not px_w or not px_h:
            return
        (x0, x1), _ = self.viewport.view_box.viewRange()
        placed: list[tuple[float, float, float, float]] = []  # left, top, right, bottom on screen
        for label, (wx, wy) in sorted(zip(self.labels, self.wanted, strict=True), key=lambda pair: pair[1][1]):
            rect = label.boundingRect()
            width, height = rect.width(), rect.height()
            ax, ay = label.anchor.x(), label.anchor.y()
            x, y = wx / px_w, wy / px_h
            left, top = x - ax * width, y - ay * height
            left = max(x0 / px_w, min(left, x1 / px_w - width))
            for pl, pt, pr, pb in placed:
                if left < pr and pl < left + width and top < pb and pt < top + height:
                    top = pb + 4
            placed.append((left, top, left + width, top + height))
            label.setPos((left + ax * width) * px_w, (top + ay * height) * px_h)

    def _draw(self, mark: Mark) -> None:
        pen = QPen(QColor(MARK_COLOUR), LINE_WIDTH)
        pen.setCosmetic(True)
        xs, ys = [p[0] for p in mark.points], [p[1] for p in mark.points]
        item: pg.GraphicsObject
        if mark.type is MarkType.POINT:
            item = pg.ScatterPlotItem(xs, ys, symbol="+", size=POINT_SIZE, pen=pen, brush=None)
        else:
            if mark.type is MarkType.AREA:
                xs, ys = [*xs, xs[0]], [*ys, ys[0]]
            item = pg.PlotCurveItem(xs, ys, pen=pen)
        text, refused = self.text(mark)
        label = pg.TextItem(f"{mark.label or mark.id}\n{text}".strip(), color=REFUSED_COLOUR if refused else LABEL_COLOUR,
                            fill=pg.mkBrush(10, 12, 16, 200))
        label.textItem.setFont(self.font)
        label.textItem.setTextWidth(REFUSAL_WIDTH_PX if refused else -1)
        if mark.type is MarkType.DOPPLER_TRACE:  # below the trace, centred
            label.setAnchor((0.5, 0))
            label.setPos((min(xs) + max(xs)) / 2, max(ys) + 4)
        else:  # beside its right end; left of its left end in the right half of the view (kept on screen)
            (x0, x1), _ = self.viewport.view_box.viewRange()
            right_half = max(xs) > (x0 + x1) / 2
            x, y = min(mark.points) if right_half else max(mark.points, key=lambda p: (p[0], -p[1]))
            label.setAnchor((1, 1) if right_half else (0, 1))
            label.setPos(x - 4 if right_half else x + 4, y - 4)
        for z, each in ((20, item), (21, label)):
            each.setZValue(z)
            each.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self.viewport.add_overlay_item(each)
        self.items.append(item)
        self.labels.append(label)
        self.wanted.append((label.pos().x(), label.pos().y()))

    def next_frame(self) -> int | None:
        """The 0-based index of the next marked frame after the one shown (wrapping), or None."""
        frames = sorted({m.frame_number for m in self.on_loop() if m.frame_number >= 1})
        if not frames:
            return None
        current = self.viewport.frame_number
        return next((f for f in frames if f > current), frames[0]) - 1
