"""The clip map: a surgical (en-face, left-atrial) view of the mitral valve with devices and jets.

Anterior leaflet on top (aortic valve at 12 o'clock), A1/P1 on the left (anterolateral commissure),
A3/P3 on the right (posteromedial). Devices sit on the line of coaptation at their scallop; jets
are hatched so the drawing reads in grey print.

One geometry (``MapGeometry``) and one drawing serve the PDF and the screen (``gui.panels.valve_map``
draws with ``DARK_STYLE`` and hit-tests with the same shapes), so both always show the same map.
Where each item sits on the coaptation line is ``planning.placement`` (the GUI places new items
with the same functions); this module only draws. An item tied to a point of a 3D volume is drawn
where the volume puts it (``planning.enface``: its (t, s) through the volume's aligned annulus),
marked with a ring-and-dot at that point; one tied to a volume whose annulus is not aligned stays at
its schematic place with a "?" badge, and the legend says why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPainterPath, QPen

from planning.assessment import mr_rank
from planning.catalogue import device_model
from planning.placement import device_positions, jet_position
from planning.vocab import Attachment
from report.model import Device, Jet
from report.qt import ensure_app

_SCALLOP_X = {1: 1 / 6, 2: 3 / 6, 3: 5 / 6}
#: Width / height of the map that the drawing is designed for (the screen keeps this aspect).
ASPECT = 3 / 2
#: How far a device bar moves onto the leaflet it still holds after a single-leaflet attachment
#: (a fraction of its height; + = down, the posterior leaflet).
_SLDA_SHIFT = {Attachment.SLDA_ANTERIOR: 0.35, Attachment.SLDA_POSTERIOR: -0.35}
_WARNING_ATTACHMENTS = frozenset({Attachment.SLDA_ANTERIOR, Attachment.SLDA_POSTERIOR, Attachment.LLI,
                                  Attachment.DETACHED})


def _attachment(device: Device) -> Attachment | None:
    return next((a for a in Attachment if a.value == device.attachment), None)


@dataclass(frozen=True, slots=True)
class ClipMapStyle:
    """Colours of the map: ``PRINT_STYLE`` for the PDF (grey print), ``DARK_STYLE`` for the screen."""

    paper: str = "#ffffff"
    valve: str = "#f2f2f2"
    line: str = "#000000"
    border: str = "#777777"
    text: str = "#000000"
    device: str = "#303030"
    device_text: str = "#ffffff"
    jet: str = "#404040"
    jet_fill: str = "#ffffff"
    warning: str = "#b00020"
    selection: str = "#1f77b4"


PRINT_STYLE = ClipMapStyle()
DARK_STYLE = ClipMapStyle(paper="#16181c", valve="#2a2e35", line="#c9cdd2", border="#7b818a", text="#e3e6e9",
                          device="#c9d3de", device_text="#0b0d10", jet="#f0a840", jet_fill="#1e2126",
                          warning="#ff6b6b", selection="#3d9be9")


class MapGeometry:
    """Where the valve, its coaptation line, devices and jets sit in a rect: one source for the
    drawing and for hit-testing."""

    def __init__(self, rect: QRectF) -> None:
        self.rect = QRectF(rect)
        w, h = rect.width(), rect.height()
        self.valve = QRectF(rect.left() + 0.08 * w, rect.top() + 0.12 * h, 0.84 * w, 0.70 * h)
        self.cy = self.valve.center().y() + 0.08 * self.valve.height()

    def coapt(self, t: float) -> QPointF:
        """The point ``t`` (0..1, AL → PM) of the line of coaptation, a shallow "smile"."""
        v = self.valve
        return QPointF(v.left() + 0.06 * v.width() + t * 0.88 * v.width(),
                       self.cy + 0.10 * v.height() * (1 - (2 * t - 1) ** 2))

    def at(self, t: float, s: float) -> QPointF:
        """The point (t, s) of the annulus frame (``planning.enface``): t along the commissural line as
        ``coapt``, s = 0 at the commissures' level and 1 at the anterior (aortic) annulus, the valve's top."""
        v = self.valve
        return QPointF(v.left() + 0.06 * v.width() + t * 0.88 * v.width(), self.cy - s * (self.cy - v.top()))

    def ts_at(self, point: QPointF) -> tuple[float, float]:
        """The inverse of ``at``: (t, s) of a point of the map (not clamped)."""
        v = self.valve
        return ((point.x() - v.left() - 0.06 * v.width()) / (0.88 * v.width()),
                (self.cy - point.y()) / (self.cy - v.top()))

    def t_at(self, x: float) -> float:
        """The inverse of ``coapt`` in x: 0..1 along the line (clamped)."""
        v = self.valve
        return min(max((x - v.left() - 0.06 * v.width()) / (0.88 * v.width()), 0.0), 1.0)

    def device_rect(self, device: Device, t: float, centre: QPointF | None = None) -> QRectF:
        """The device's bar: wider for wide arms/paddles, longer for long arms; shifted onto the leaflet
        it still holds after a single-leaflet attachment (a schematic one only: ``centre``, where a
        volume puts it, is the device itself)."""
        w, h = self.rect.width(), self.rect.height()
        catalogue = device_model(device.kind, device.model)
        width_mm = catalogue.arm_width_mm if catalogue and catalogue.arm_width_mm else 4.0
        length_mm = catalogue.arm_length_mm if catalogue and catalogue.arm_length_mm else 9.0
        dw, dh = w * (0.045 + 0.0025 * min(width_mm, 10.0)), h * (0.16 if length_mm < 10 else 0.19)
        p = self.coapt(t) if centre is None else centre
        attachment = _attachment(device)
        shift = _SLDA_SHIFT.get(attachment, 0.0) * dh if attachment is not None and centre is None else 0.0
        return QRectF(p.x() - dw / 2, p.y() - dh / 2 + shift, dw, dh)

    def jet_rect(self, jet: Jet, t: float, centre: QPointF | None = None) -> QRectF:
        """The jet's ellipse: larger for a higher recorded grade; at ``centre`` when a volume places it."""
        rank = mr_rank(jet.grade)
        r = 0.032 * self.rect.width() * (1.0 if rank is None else 0.8 + 0.12 * rank)
        p = self.coapt(t) if centre is None else centre
        return QRectF(p.x() - r, p.y() - 0.75 * r, 2 * r, 1.5 * r)


#: how an item is placed: from its segment (schematic), by its volume, or tied to a volume without an annulus
SCHEMATIC, FROM_VOLUME, NOT_ALIGNED = "schematic", "volume", "not aligned"


@dataclass(frozen=True, slots=True)
class MapItem:
    """A device or jet as drawn: its id, ``"device"`` or ``"jet"``, where it sits, its shape and how it
    was placed (``SCHEMATIC``, ``FROM_VOLUME``, ``NOT_ALIGNED``)."""

    id: str
    kind: str
    t: float
    rect: QRectF
    placed: str = SCHEMATIC


def _placed(item: Device | Jet) -> str:
    return SCHEMATIC if not item.tied_3d else FROM_VOLUME if item.map_ts is not None else NOT_ALIGNED


def map_items(geometry: MapGeometry, devices: Sequence[Device], jets: Sequence[Jet]) -> list[MapItem]:
    """Every item in drawing order (jets over devices, so a jet between two devices stays visible); a
    device the volume places counts at its projected t for the schematic jets beside it."""
    positions = device_positions(devices)
    positions.update({d.id: d.map_ts[0] for d in devices if d.map_ts is not None})

    def centre(item: Device | Jet) -> QPointF | None:
        return None if item.map_ts is None else geometry.at(*item.map_ts)

    items = [MapItem(d.id, "device", positions[d.id], geometry.device_rect(d, positions[d.id], centre(d)), _placed(d))
             for d in devices]
    items += [MapItem(j.id, "jet", t, geometry.jet_rect(j, t, centre(j)), _placed(j))
              for j in jets for t in (j.map_ts[0] if j.map_ts else jet_position(j, devices, positions),)]
    return items


def item_at(geometry: MapGeometry, devices: Sequence[Device], jets: Sequence[Jet], point: QPointF,
            slop: float = 3.0) -> MapItem | None:
    """The topmost item under ``point`` (with ``slop`` pixels of tolerance), else None."""
    for item in reversed(map_items(geometry, devices, jets)):
        if item.rect.adjusted(-slop, -slop, slop, slop).contains(point):
            return item
    return None


def _draw_valve(painter: QPainter, g: MapGeometry, style: ClipMapStyle) -> None:
    w, h = g.rect.width(), g.rect.height()
    valve = g.valve
    painter.setPen(QPen(QColor(style.line), max(1.0, w / 300)))
    painter.setBrush(QBrush(QColor(style.valve)))
    painter.drawEllipse(valve)
    path = QPainterPath(g.coapt(0))
    for i in range(1, 41):
        path.lineTo(g.coapt(i / 40))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(path)
    painter.setPen(QPen(QColor(style.border), max(1.0, w / 500), Qt.PenStyle.DashLine))
    for t in (1 / 3, 2 / 3):  # scallop borders
        p = g.coapt(t)
        painter.drawLine(QPointF(p.x(), valve.top() + 0.05 * valve.height()), QPointF(p.x(), p.y()))
        painter.drawLine(QPointF(p.x(), p.y()), QPointF(p.x(), valve.bottom() - 0.05 * valve.height()))
    # the aortic valve at 12 o'clock, three cusps, just outside the anterior annulus
    ao = QRectF(valve.center().x() - 0.07 * w, g.rect.top() + 0.005 * h, 0.14 * w, 0.11 * h)
    painter.setPen(QPen(QColor(style.border), max(1.0, w / 500)))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawEllipse(ao)
    c = ao.center()
    for angle in (90, 210, 330):
        end = QPointF(c.x() + 0.5 * ao.width() * math.cos(math.radians(angle)), c.y() - 0.5 * ao.height() * math.sin(math.radians(angle)))
        painter.drawLine(c, end)

    font = QFont("DejaVu Sans")
    font.setPixelSize(max(8, int(h / 17)))
    painter.setFont(font)
    painter.setPen(QColor(style.text))
    for n in (1, 2, 3):
        p = g.coapt(_SCALLOP_X[n])
        painter.drawText(QRectF(p.x() - w / 12, valve.top() + 0.10 * valve.height(), w / 6, h / 14),
                         Qt.AlignmentFlag.AlignCenter, f"A{n}")
        painter.drawText(QRectF(p.x() - w / 12, valve.bottom() - 0.20 * valve.height(), w / 6, h / 14),
                         Qt.AlignmentFlag.AlignCenter, f"P{n}")
    small = _small_font(h)
    painter.setFont(small)
    painter.drawText(QRectF(g.rect.left(), ao.top(), ao.left() - g.rect.left() - 0.01 * w, ao.height()),
                     Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, "Aortic valve (anterior)")
    painter.drawText(QRectF(g.rect.left(), valve.bottom() + 0.01 * h, 0.3 * w, 0.1 * h),
                     Qt.AlignmentFlag.AlignLeft, "AL commissure")
    painter.drawText(QRectF(g.rect.right() - 0.3 * w, valve.bottom() + 0.01 * h, 0.3 * w, 0.1 * h),
                     Qt.AlignmentFlag.AlignRight, "PM commissure")


def _small_font(h: float) -> QFont:
    font = QFont("DejaVu Sans")
    font.setPixelSize(max(7, int(h / 21)))
    return font


def _draw_jet(painter: QPainter, g: MapGeometry, item: MapItem, style: ClipMapStyle) -> None:
    w, h = g.rect.width(), g.rect.height()
    rect = item.rect
    painter.setPen(QPen(QColor(style.jet), max(1.0, w / 350), Qt.PenStyle.DashLine))
    painter.setBrush(QBrush(QColor(style.jet_fill)))
    painter.drawEllipse(rect)
    painter.setBrush(QBrush(QColor(style.jet), Qt.BrushStyle.BDiagPattern))
    painter.drawEllipse(rect)
    painter.setPen(QColor(style.text))
    painter.setFont(_small_font(h))
    painter.drawText(QRectF(rect.center().x() - rect.width(), rect.bottom(), 2 * rect.width(), h / 14),
                     Qt.AlignmentFlag.AlignCenter, item.id.upper())


def _draw_device(painter: QPainter, g: MapGeometry, device: Device, item: MapItem, style: ClipMapStyle) -> None:
    w, h = g.rect.width(), g.rect.height()
    rect = item.rect
    attachment = _attachment(device)
    detached = attachment is Attachment.DETACHED
    warn = attachment in _WARNING_ATTACHMENTS
    painter.save()
    painter.translate(rect.center())
    painter.rotate(device.rotation_deg)
    local = QRectF(-rect.width() / 2, -rect.height() / 2, rect.width(), rect.height())
    pen = QPen(QColor(style.warning if warn else style.line), max(1.0, w / (200 if warn else 400)))
    if detached:
        pen.setStyle(Qt.PenStyle.DashLine)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush if detached else QBrush(QColor(style.device)))
    painter.drawRoundedRect(local, rect.width() / 4, rect.width() / 4)
    painter.setPen(QColor(style.text if detached else style.device_text))
    painter.setFont(_small_font(h))
    # a device the volume places keeps its centre for the ring-and-dot: its id goes to the upper part
    label = local.adjusted(0, 0, 0, -0.55 * local.height()) if item.placed == FROM_VOLUME else local
    painter.drawText(label, Qt.AlignmentFlag.AlignCenter, device.id.upper())
    painter.restore()


def _draw_placement(painter: QPainter, g: MapGeometry, item: MapItem, style: ClipMapStyle) -> None:
    """A ring and dot on the point a volume puts the item; a "?" badge on a tied item drawn schematically."""
    w = g.rect.width()
    c = item.rect.center()
    painter.save()
    if item.placed == FROM_VOLUME:
        r = 0.011 * w
        # in the colours that stand out on what lies under it (a device's bar, a jet's fill)
        mark, under = (style.device_text, style.device) if item.kind == "device" else (style.line, style.jet_fill)
        painter.setPen(QPen(QColor(under), max(1.0, w / 300)))
        painter.setBrush(QBrush(QColor(mark)))
        painter.drawEllipse(c, r / 2.2, r / 2.2)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(mark), max(1.0, w / 400)))
        painter.drawEllipse(c, r, r)
    elif item.placed == NOT_ALIGNED:
        r = 0.014 * w
        corner = item.rect.topRight()
        painter.setPen(QPen(QColor(style.warning), max(1.0, w / 500)))
        painter.setBrush(QBrush(QColor(style.paper)))
        painter.drawEllipse(corner, r, r)
        painter.setPen(QColor(style.warning))
        painter.setFont(_small_font(g.rect.height()))
        painter.drawText(QRectF(corner.x() - r, corner.y() - r, 2 * r, 2 * r), Qt.AlignmentFlag.AlignCenter, "?")
    painter.restore()


def placement_legend(items: Sequence[MapItem]) -> str:
    """What the markers mean, for the items that are tied to a volume ("" when none is)."""
    placed = [i.id.upper() for i in items if i.placed == FROM_VOLUME]
    unplaced = [i.id.upper() for i in items if i.placed == NOT_ALIGNED]
    lines = []
    if placed:
        lines.append(f"◉ {', '.join(placed)}: placed by the 3D volume")
    if unplaced:
        lines.append(f"? {', '.join(unplaced)}: 3D annulus not aligned, drawn by segment")
    return "\n".join(lines)


def _draw_legend(painter: QPainter, g: MapGeometry, text: str, style: ClipMapStyle) -> None:
    """The placement legend under the valve, between the commissure labels."""
    w, h = g.rect.width(), g.rect.height()
    font = QFont("DejaVu Sans")
    font.setPixelSize(max(7, int(h / 30)))
    painter.setPen(QColor(style.text))
    painter.setFont(font)
    top = g.valve.bottom() + 0.065 * h
    painter.drawText(QRectF(g.rect.left() + 0.22 * w, top, 0.56 * w, g.rect.bottom() - top),
                     Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap, text)


def _draw_selection(painter: QPainter, g: MapGeometry, item: MapItem, style: ClipMapStyle) -> None:
    pad = 0.012 * g.rect.width()
    pen = QPen(QColor(style.selection), max(2.0, g.rect.width() / 250))
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    rect = item.rect.adjusted(-pad, -pad, pad, pad)
    if item.kind == "jet":
        painter.drawEllipse(rect)
    else:
        painter.drawRoundedRect(rect, pad, pad)


def draw_ghost(painter: QPainter, g: MapGeometry, kind: str, t: float, style: ClipMapStyle) -> None:
    """A hollow marker where an item would go (placing or dragging on the screen)."""
    rect = g.device_rect(Device("", ""), t) if kind == "device" else g.jet_rect(Jet("", ""), t)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(style.selection), max(1.5, g.rect.width() / 300), Qt.PenStyle.DotLine))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawEllipse(rect) if kind == "jet" else painter.drawRoundedRect(rect, 4, 4)
    painter.restore()


def draw_clip_map(painter: QPainter, rect: QRectF, devices: Sequence[Device], jets: Sequence[Jet],
                  style: ClipMapStyle = PRINT_STYLE, selected: str | None = None) -> MapGeometry:
    """Draw the valve, devices and jets into ``rect`` (any paint device); ``selected`` (an item id) is
    outlined. Returns the geometry used, for hit-testing."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    g = MapGeometry(rect)
    _draw_valve(painter, g, style)
    by_id = {d.id: d for d in devices}
    items = map_items(g, devices, jets)
    for item in items:
        if item.kind == "jet":
            _draw_jet(painter, g, item, style)
        else:
            _draw_device(painter, g, by_id[item.id], item, style)
        _draw_placement(painter, g, item, style)
        if item.id == selected:
            _draw_selection(painter, g, item, style)
    legend = placement_legend(items)
    if legend:
        _draw_legend(painter, g, legend, style)
    painter.restore()
    return g


def clip_map_image(devices: Sequence[Device], jets: Sequence[Jet], width: int = 1200,
                   height: int = 800, style: ClipMapStyle = PRINT_STYLE) -> QImage:
    """The clip map as an image (for the PDF and the preview)."""
    ensure_app()
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(style.paper))
    painter = QPainter(image)
    draw_clip_map(painter, QRectF(0, 0, width, height), devices, jets, style)
    painter.end()
    return image
