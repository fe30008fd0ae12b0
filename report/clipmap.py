"""The clip map: a surgical (en-face, left-atrial) view of the mitral valve with devices and jets.

Anterior leaflet on top (aortic valve at 12 o'clock), A1/P1 on the left (anterolateral commissure),
A3/P3 on the right (posteromedial). Devices sit on the line of coaptation at their scallop; jets
are hatched so the drawing reads in grey print.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPainterPath, QPen

from report.model import Device, Jet
from report.qt import ensure_app

_SCALLOP_X = {1: 1 / 6, 2: 3 / 6, 3: 5 / 6}


def segment_position(segment: str, location: str = "") -> float:
    """0..1 along the coaptation line (0 = anterolateral commissure) for ``A2-P2``, ``P3`` ...

    "lateral"/"medial" in the location shift the point towards the matching commissure.
    """
    numbers = [int(n) for n in re.findall(r"[AP]([123])", segment.upper())] or [2]
    x = sum(_SCALLOP_X[n] for n in numbers) / len(numbers)
    text = f"{segment} {location}".lower()
    if "lateral" in text and "posteromedial" not in text:
        x -= 1 / 10
    elif "medial" in text:
        x += 1 / 10
    if "commiss" in text:
        x = 0.03 if x < 0.5 else 0.97
    return min(max(x, 0.02), 0.98)


def draw_clip_map(painter: QPainter, rect: QRectF, devices: tuple[Device, ...], jets: tuple[Jet, ...]) -> None:
    """Draw the valve, devices and jets into ``rect`` (any paint device)."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    w, h = rect.width(), rect.height()
    valve = QRectF(rect.left() + 0.08 * w, rect.top() + 0.12 * h, 0.84 * w, 0.70 * h)
    cy = valve.center().y() + 0.08 * valve.height()

    def coapt(t: float) -> QPointF:  # the line of coaptation, a shallow "smile"
        x = valve.left() + 0.06 * valve.width() + t * 0.88 * valve.width()
        return QPointF(x, cy + 0.10 * valve.height() * (1 - (2 * t - 1) ** 2))

    line = QPen(QColor("#000000"), max(1.0, w / 300))
    painter.setPen(line)
    painter.setBrush(QBrush(QColor("#f2f2f2")))
    painter.drawEllipse(valve)
    path = QPainterPath(coapt(0))
    for i in range(1, 41):
        path.lineTo(coapt(i / 40))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(path)
    dashed = QPen(QColor("#777777"), max(1.0, w / 500), Qt.PenStyle.DashLine)
    painter.setPen(dashed)
    for t in (1 / 3, 2 / 3):  # scallop borders
        p = coapt(t)
        painter.drawLine(QPointF(p.x(), valve.top() + 0.05 * valve.height()), QPointF(p.x(), p.y()))
        painter.drawLine(QPointF(p.x(), p.y()), QPointF(p.x(), valve.bottom() - 0.05 * valve.height()))

    font = QFont("DejaVu Sans")
    font.setPixelSize(max(8, int(h / 22)))
    painter.setFont(font)
    painter.setPen(QColor("#000000"))
    for n in (1, 2, 3):
        p = coapt(_SCALLOP_X[n])
        painter.drawText(QRectF(p.x() - 30, valve.top() + 0.12 * valve.height(), 60, h / 14),
                         Qt.AlignmentFlag.AlignCenter, f"A{n}")
        painter.drawText(QRectF(p.x() - 30, valve.bottom() - 0.26 * valve.height(), 60, h / 14),
                         Qt.AlignmentFlag.AlignCenter, f"P{n}")
    small = QFont(font)
    small.setPixelSize(max(7, int(h / 28)))
    painter.setFont(small)
    painter.drawText(QRectF(rect.left(), rect.top(), w, 0.1 * h), Qt.AlignmentFlag.AlignCenter,
                     "Aortic valve (anterior)")
    painter.drawText(QRectF(rect.left(), valve.bottom() + 0.01 * h, 0.3 * w, 0.1 * h),
                     Qt.AlignmentFlag.AlignLeft, "AL commissure")
    painter.drawText(QRectF(rect.right() - 0.3 * w, valve.bottom() + 0.01 * h, 0.3 * w, 0.1 * h),
                     Qt.AlignmentFlag.AlignRight, "PM commissure")

    jet_brush = QBrush(QColor("#555555"), Qt.BrushStyle.BDiagPattern)
    for k, jet in enumerate(jets):
        p = coapt(segment_position(jet.segment, jet.location))
        r = 0.045 * w
        painter.setPen(QPen(QColor("#000000"), max(1.0, w / 400), Qt.PenStyle.DotLine))
        painter.setBrush(jet_brush)
        centre = QPointF(p.x(), p.y() + (0.06 if k % 2 else -0.06) * h)
        painter.drawEllipse(centre, r, r * 0.7)
        painter.setPen(QColor("#000000"))
        painter.drawText(QRectF(centre.x() - r, centre.y() + 0.7 * r, 2 * r, h / 14),
                         Qt.AlignmentFlag.AlignCenter, jet.id.upper())

    used: dict[int, int] = {}
    for dev in devices:
        t = segment_position(dev.segment)
        slot = round(t * 100)
        shift = used.get(slot, 0)
        used[slot] = shift + 1
        p = coapt(min(t + 0.07 * shift, 0.98))
        dw, dh = 0.05 * w, 0.16 * h
        painter.setPen(QPen(QColor("#000000"), max(1.0, w / 400)))
        painter.setBrush(QBrush(QColor("#303030")))
        painter.drawRoundedRect(QRectF(p.x() - dw / 2, p.y() - dh / 2, dw, dh), dw / 4, dw / 4)
        painter.setPen(QColor("#ffffff"))
        painter.setFont(small)
        painter.drawText(QRectF(p.x() - dw / 2, p.y() - dh / 2, dw, dh), Qt.AlignmentFlag.AlignCenter,
                         dev.id.upper())
    painter.restore()


def clip_map_image(devices: tuple[Device, ...], jets: tuple[Jet, ...], width: int = 1200,
                   height: int = 800) -> QImage:
    """The clip map as an image (for the PDF and the preview)."""
    ensure_app()
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    draw_clip_map(painter, QRectF(0, 0, width, height), devices, jets)
    painter.end()
    return image
