"""Transport icons drawn in the theme's light grey (the style's media icons are too dark on dark)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPixmap, QPolygonF

SIZE = 32
COLOUR = "#d5d8dc"


def _triangle(left: float, right: float, pointing_right: bool = True) -> QPolygonF:
    tip, base = (right, left) if pointing_right else (left, right)
    return QPolygonF([QPointF(base, 7), QPointF(base, 25), QPointF(tip, 16)])


def _chevron(up: bool) -> QPainterPath:
    path = QPainterPath()
    y0, y1 = (21, 11) if up else (11, 21)
    path.moveTo(8, y0)
    path.lineTo(16, y1)
    path.lineTo(24, y0)
    return path


def media_icon(kind: str, colour: str = COLOUR) -> QIcon:
    """``play``, ``pause``, ``step_back``, ``step_forward``, ``first``, ``last``, ``up``, ``down``."""
    pixmap = QPixmap(SIZE, SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    if kind == "play":
        painter.drawPolygon(_triangle(9, 25))
    elif kind == "pause":
        painter.drawRect(QRectF(9, 7, 5, 18))
        painter.drawRect(QRectF(18, 7, 5, 18))
    elif kind == "step_forward":
        painter.drawPolygon(_triangle(8, 20))
        painter.drawRect(QRectF(21, 7, 3, 18))
    elif kind == "step_back":
        painter.drawPolygon(_triangle(12, 24, pointing_right=False))
        painter.drawRect(QRectF(8, 7, 3, 18))
    elif kind == "last":
        painter.drawPolygon(_triangle(4, 14))
        painter.drawPolygon(_triangle(13, 23))
        painter.drawRect(QRectF(24, 7, 3, 18))
    elif kind == "first":
        painter.drawPolygon(_triangle(9, 19, pointing_right=False))
        painter.drawPolygon(_triangle(18, 28, pointing_right=False))
        painter.drawRect(QRectF(5, 7, 3, 18))
    elif kind in ("up", "down"):
        pen = painter.pen()
        pen.setStyle(Qt.PenStyle.SolidLine)
        pen.setColor(QColor(colour))
        pen.setWidthF(3.0)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(_chevron(kind == "up"))
    else:
        raise ValueError(f"unknown icon kind {kind!r}")
    painter.end()
    return QIcon(pixmap)
