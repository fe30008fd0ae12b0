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


_DEVICE_GAP = 0.11  # along the coaptation line, between devices on one scallop
_JET_OFFSET = 0.075  # a para-device jet sits this far beside its device


def device_positions(devices: tuple[Device, ...]) -> dict[str, float]:
    """Device id → 0..1 along the coaptation line; devices sharing a scallop sit side by side, centred."""
    slots: dict[float, list[str]] = {}
    side = {"lateral": 0, "medial": 2}  # lateral (anterolateral) is drawn on the left
    for dev in sorted(devices, key=lambda d: side.get(d.position.lower(), 1)):
        slots.setdefault(segment_position(dev.segment), []).append(dev.id)
    out: dict[str, float] = {}
    for t, ids in slots.items():
        for i, dev_id in enumerate(ids):
            out[dev_id] = min(max(t + _DEVICE_GAP * (i - (len(ids) - 1) / 2), 0.02), 0.98)
    return out


def jet_position(jet: Jet, devices: tuple[Device, ...], positions: dict[str, float]) -> float:
    """Where a jet starts: between the devices it names (inter-device), beside its device (para-device),
    else at its scallop."""
    text = jet.location.lower()
    named = [positions[d.id] for d in devices if re.search(rf"\b{re.escape(d.id.lower())}\b", text)]
    at_segment = sorted(positions[d.id] for d in devices if d.segment and segment_position(d.segment) ==
                        segment_position(jet.segment))
    if "inter" in text:
        pair = named[:2] if len(named) >= 2 else at_segment[:2]
        if len(pair) == 2:
            return sum(pair) / 2
    if "para" in text and (named or at_segment):
        anchor = (named or at_segment)[0]
        if "medial" in text:
            return min(max((named or at_segment)[-1] + _JET_OFFSET, 0.02), 0.98)
        return min(max(anchor - _JET_OFFSET, 0.02), 0.98)
    return segment_position(jet.segment, jet.location)


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
    font.setPixelSize(max(8, int(h / 17)))
    painter.setFont(font)
    painter.setPen(QColor("#000000"))
    for n in (1, 2, 3):
        p = coapt(_SCALLOP_X[n])
        painter.drawText(QRectF(p.x() - w / 12, valve.top() + 0.10 * valve.height(), w / 6, h / 14),
                         Qt.AlignmentFlag.AlignCenter, f"A{n}")
        painter.drawText(QRectF(p.x() - w / 12, valve.bottom() - 0.20 * valve.height(), w / 6, h / 14),
                         Qt.AlignmentFlag.AlignCenter, f"P{n}")
    small = QFont(font)
    small.setPixelSize(max(7, int(h / 21)))
    painter.setFont(small)
    painter.drawText(QRectF(rect.left(), rect.top(), w, 0.1 * h), Qt.AlignmentFlag.AlignCenter,
                     "Aortic valve (anterior)")
    painter.drawText(QRectF(rect.left(), valve.bottom() + 0.01 * h, 0.3 * w, 0.1 * h),
                     Qt.AlignmentFlag.AlignLeft, "AL commissure")
    painter.drawText(QRectF(rect.right() - 0.3 * w, valve.bottom() + 0.01 * h, 0.3 * w, 0.1 * h),
                     Qt.AlignmentFlag.AlignRight, "PM commissure")

    positions = device_positions(devices)
    dw, dh = 0.05 * w, 0.16 * h
    jet_brush = QBrush(QColor("#404040"), Qt.BrushStyle.BDiagPattern)
    for jet in jets:
        p = coapt(jet_position(jet, devices, positions))
        r = 0.032 * w
        painter.setPen(QPen(QColor("#000000"), max(1.0, w / 350), Qt.PenStyle.DashLine))
        painter.setBrush(QBrush(QColor("#ffffff")))
        painter.drawEllipse(p, r, r * 0.75)
        painter.setBrush(jet_brush)
        painter.drawEllipse(p, r, r * 0.75)
        painter.setPen(QColor("#000000"))
        painter.setFont(small)
        painter.drawText(QRectF(p.x() - 2 * r, p.y() + 0.8 * r, 4 * r, h / 14), Qt.AlignmentFlag.AlignCenter,
                         jet.id.upper())

    for dev in devices:
        p = coapt(positions[dev.id])
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
