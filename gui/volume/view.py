"""One plane of the volume viewer: a pyqtgraph ImageItem in a locked-aspect ViewBox, with overlays.

The view draws; the viewer (``gui.volume.viewer``) decides. Mouse presses, drags, releases,
double-clicks and keys arrive here as Qt events on the widget and are handed to the viewer in
image coordinates (DICOM/pyqtgraph: ``(0, 0)`` the corner of the top-left pixel). The wheel zooms
about the pointer only while the view has the keyboard focus (a click or Tab gives it); otherwise
the wheel goes to the parents, so scrolling past the viewer never zooms it (as gui/wheel_guard.py
does for combo and spin boxes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QLabel, QWidget

from gui.viewer.declutter import LINE_PX, stacked
from gui.wheel_guard import pass_to_parents

#: plane colours (lines of that plane in the other views, and the view's own frame)
PLANE_COLOURS = ("#ff5a5a", "#58d26b", "#5aa0ff", "#e0c050")
MARK_COLOUR = "#ffd84a"
DRAFT_COLOUR = "#ffffff"
#: each wheel step (120 eighths of a degree) zooms by this factor
WHEEL_ZOOM = 1.15
#: clip-map items on the en-face view, the clip map's screen colours (report/clipmap.py DARK_STYLE)
ITEM_COLOURS = {"device": "#c9d3de", "jet": "#f0a840"}
ITEM_SIZE = 18
ITEM_OUTLINE = "#0b0d10"


@dataclass(frozen=True, slots=True)
class MapMarker:
    """A clip-map item drawn on the en-face view: image coordinates, its label, ``"device"`` or
    ``"jet"``, whether the volume places it (``tied``) or only the map does, and then how the map
    places it (``placed``: "schematic" or "map", said once in the view's legend, not on every label)."""

    x: float
    y: float
    text: str
    kind: str
    tied: bool
    placed: str = ""


class ViewHandler(Protocol):
    """What the viewer does with a view's input (image coordinates)."""

    def press(self, view: int, x: float, y: float, modifiers: Qt.KeyboardModifier) -> None: ...

    def drag_to(self, view: int, x: float, y: float) -> None: ...

    def release(self, view: int) -> None: ...

    def double_click(self, view: int) -> None: ...

    def key(self, view: int, event: QKeyEvent) -> bool: ...


class PlaneView(pg.GraphicsView):  # type: ignore[misc]  # pyqtgraph is untyped
    """A view of one plane (or the en-face slab) with crosshair lines, marks and a draft."""

    def __init__(self, index: int, handler: ViewHandler, parent: QWidget | None = None) -> None:
        self.side_labels: dict[str, QLabel] = {}  # before the base class's first resize
        self.map_legend: QLabel | None = None
        super().__init__(parent, background="#101010")
        self.index = index
        self.handler = handler
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(220, 220)
        self.view_box = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.view_box.setMouseEnabled(False, False)
        self.setCentralItem(self.view_box)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setLevels((0.0, 255.0))
        self.view_box.addItem(self.image_item)
        self.lines: dict[int, pg.PlotCurveItem] = {}
        self.handles = pg.ScatterPlotItem(size=9, pen=pg.mkPen("#000000"), brush=pg.mkBrush("#d0d0d0"))
        self.view_box.addItem(self.handles)
        self.mark_items: list[pg.PlotCurveItem] = []
        self.draft = pg.PlotDataItem(pen=pg.mkPen(DRAFT_COLOUR, width=1.5, style=Qt.PenStyle.DashLine),
                                     symbol="o", symbolSize=5, symbolBrush=DRAFT_COLOUR, symbolPen=None)
        self.draft.setZValue(20)
        self.view_box.addItem(self.draft)
        self.map_halos = pg.ScatterPlotItem(pxMode=True)  # a dark ring under each hollow item's dashes
        self.map_halos.setZValue(17)
        self.view_box.addItem(self.map_halos)
        self.map_spots = pg.ScatterPlotItem(pxMode=True)
        self.map_spots.setZValue(18)
        self.view_box.addItem(self.map_spots)
        self.map_legend = legend = QLabel(self)
        legend.setStyleSheet("color: #f0f0f0; background: rgba(0, 0, 0, 160); padding: 1px 3px;")
        legend.hide()
        self.map_texts: list[pg.TextItem] = []
        self.markers: list[MapMarker] = []
        self._drawn_markers: tuple[list[MapMarker], float] | None = None
        self.scale_bar = pg.PlotCurveItem(pen=pg.mkPen("#e0e0e0", width=2))
        self.scale_text = pg.TextItem("10 mm", color="#e0e0e0", anchor=(0, 1))
        for item in (self.scale_bar, self.scale_text):
            item.setZValue(5)
            self.view_box.addItem(item)
        for side in ("top", "left", "right", "bottom"):
            label = QLabel(self)
            label.setStyleSheet("color: #f0f0f0; background: rgba(0, 0, 0, 120); padding: 1px 3px;")
            label.hide()
            self.side_labels[side] = label
        self._fitted = False
        self._dragging = False

    # --- drawing -----------------------------------------------------------------------------
    def set_image(self, image: np.ndarray) -> None:
        self.image_item.setImage(image, autoLevels=False, levels=(0.0, 255.0))
        if not self._fitted:
            self.fit()

    def set_scale(self, pixel_mm: float, size_px: int, length_mm: float = 10.0) -> None:
        """A bar ``length_mm`` long near the image's bottom-left corner (it zooms with the image)."""
        x0, y = 0.04 * size_px, 0.95 * size_px
        self.scale_bar.setData([x0, x0 + length_mm / pixel_mm], [y, y])
        self.scale_text.setText(f"{length_mm:g} mm")
        self.scale_text.setPos(x0, y - 1)

    def set_side_labels(self, labels: dict[str, str]) -> None:
        """Orientation words at the view's edges (top, left, right, bottom); an empty dict hides them."""
        for side, label in self.side_labels.items():
            label.setText(labels.get(side, ""))
            label.adjustSize()
            label.setVisible(bool(labels.get(side)))
        self._place_side_labels()

    def _place_side_labels(self) -> None:
        """The orientation words at the edges and the map legend in the top-left corner, under the top word."""
        w, h = self.width(), self.height()
        for side, label in self.side_labels.items():
            lw, lh = label.width(), label.height()
            x = {"left": 2, "right": w - lw - 2}.get(side, (w - lw) // 2)
            y = {"top": 2, "bottom": h - lh - 2}.get(side, (h - lh) // 2)
            label.move(x, y)
        top = self.side_labels.get("top")
        if self.map_legend is not None and top is not None:
            self.map_legend.move(2, 2 + (top.height() + 2 if top.isVisible() else 0))

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._place_side_labels()

    def fit(self) -> None:
        """Show the whole plane image."""
        rect = self.image_item.boundingRect()
        if rect.width() > 0:
            self.view_box.setRange(rect=rect, padding=0.0)
            self._fitted = True

    def set_lines(self, lines: dict[int, tuple[tuple[float, float], tuple[float, float]]],
                  handles: Sequence[tuple[float, float]]) -> None:
        """Crosshair lines of the other planes, plane index -> (start, end) in image coordinates."""
        for plane, ((x0, y0), (x1, y1)) in lines.items():
            item = self.lines.get(plane)
            if item is None:
                item = self.lines[plane] = pg.PlotCurveItem(pen=pg.mkPen(PLANE_COLOURS[plane], width=1.5))
                item.setZValue(10)
                self.view_box.addItem(item)
            item.setData([x0, x1], [y0, y1])
        self.handles.setData(pos=list(handles))
        self.handles.setZValue(11)

    def set_marks(self, outlines: Sequence[tuple[Sequence[tuple[float, float]], bool]]) -> None:
        """The 3D marks lying in this plane: (image points, closed) each."""
        while len(self.mark_items) < len(outlines):
            item = pg.PlotCurveItem(pen=pg.mkPen(MARK_COLOUR, width=1.5))
            item.setZValue(15)
            self.view_box.addItem(item)
            self.mark_items.append(item)
        for item, (points, closed) in zip(self.mark_items, outlines, strict=False):
            pts = list(points) + ([points[0]] if closed and len(points) > 2 else [])
            if len(pts) == 1:  # a point mark: a small cross
                (x, y), = pts
                item.setData([x - 3, x + 3, x, x, x], [y, y, y, y - 3, y + 3], connect="pairs")
            else:
                item.setData([p[0] for p in pts], [p[1] for p in pts])
            item.show()
        for item in self.mark_items[len(outlines):]:
            item.hide()

    def set_map_items(self, markers: Sequence[MapMarker]) -> None:
        """The clip map's devices (squares) and jets (circles): filled where the volume puts them,
        hollow and dashed where only the schematic map does (through the aligned annulus)."""
        key = (list(markers), self.screen_px())
        if key == self._drawn_markers:
            return  # a drag redraws the overlays often; the items rarely move
        self._drawn_markers = key
        self.markers = list(markers)
        spots, halos = [], []
        for m in markers:
            colour, symbol = ITEM_COLOURS[m.kind], "s" if m.kind == "device" else "o"
            pen = pg.mkPen(ITEM_OUTLINE, width=2) if m.tied else pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine)
            spots.append({"pos": (m.x, m.y), "symbol": symbol, "size": ITEM_SIZE,
                          "pen": pen, "brush": pg.mkBrush(colour if m.tied else colour + "00")})
            if not m.tied:
                halos.append({"pos": (m.x, m.y), "symbol": symbol, "size": ITEM_SIZE,
                              "pen": pg.mkPen(ITEM_OUTLINE, width=5), "brush": pg.mkBrush(0, 0, 0, 0)})
        self.map_spots.setData(spots=spots)
        self.map_halos.setData(spots=halos)
        self._show_legend(markers)
        while len(self.map_texts) < len(markers):
            text = pg.TextItem(anchor=(0, 1), fill=pg.mkBrush(0, 0, 0, 160))
            text.setZValue(19)
            self.view_box.addItem(text)
            self.map_texts.append(text)
        texts = self.map_texts[:len(markers)]
        for text, m in zip(texts, markers, strict=True):
            text.setText(m.text, color=ITEM_COLOURS[m.kind])
        px = self.screen_px()
        wanted = [(m.x + ITEM_SIZE / 2 * px, m.y - ITEM_SIZE / 2 * px) for m in markers]
        line = max((t.boundingRect().height() for t in texts), default=LINE_PX)  # screen px (text ignores zoom)
        ys = stacked([(x / px, y / px, 1) for x, y in wanted], line)  # labels of nearby items stack, never cover
        for text, (x, _y), sy in zip(texts, wanted, ys, strict=True):
            text.setPos(x, sy * px)
            text.show()
        for text in self.map_texts[len(markers):]:
            text.hide()

    def _show_legend(self, markers: Sequence[MapMarker]) -> None:
        """One line saying how the hollow items are placed ("dashed: schematic place"), not a note per label."""
        notes = sorted({m.placed for m in markers if not m.tied and m.placed})
        if self.map_legend is not None:
            self.map_legend.setText(f"dashed: {' / '.join(notes)} place, not tied to this volume" if notes else "")
            self.map_legend.adjustSize()
            self.map_legend.setVisible(bool(notes))
        self._place_side_labels()

    def set_draft(self, points: Sequence[tuple[float, float]]) -> None:
        self.draft.setData([p[0] for p in points], [p[1] for p in points])

    def screen_px(self) -> float:
        """Image pixels per screen pixel (the view keeps the aspect locked, so one number)."""
        size = self.view_box.viewPixelSize()
        return float(size[0]) or 1.0

    # --- input -------------------------------------------------------------------------------
    def image_pos(self, widget_pos: QPointF) -> tuple[float, float]:
        p = self.image_item.mapFromScene(self.mapToScene(widget_pos.toPoint()))
        return float(p.x()), float(p.y())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        self._dragging = True
        x, y = self.image_pos(event.position())
        self.handler.press(self.index, x, y, event.modifiers())
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._dragging and event.buttons() & Qt.MouseButton.LeftButton:
            x, y = self.image_pos(event.position())
            self.handler.drag_to(self.index, x, y)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._dragging and event.button() == Qt.MouseButton.LeftButton:
            self._dragging = False
            self.handler.release(self.index)
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.handler.double_click(self.index)
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if not self.hasFocus():
            event.setAccepted(pass_to_parents(self, event))
            return
        steps = event.angleDelta().y() / 120.0
        if steps:
            centre = self.view_box.mapSceneToView(self.mapToScene(event.position().toPoint()))
            factor = WHEEL_ZOOM ** -steps
            self.view_box.scaleBy((factor, factor), center=centre)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.handler.key(self.index, event):
            event.accept()
        else:
            super().keyPressEvent(event)
