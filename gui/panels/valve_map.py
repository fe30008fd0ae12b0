"""The clip map panel: place, move, edit and delete prior devices and residual jets on the valve.

The map is ``report.clipmap`` drawn in the dark style, so the screen and the PDF show the same
picture. A click reads its segment from the position on the coaptation line; every change is a
``planning.commands`` command on the case's undo stack (one click, one drag, one field = one undo
step), and the view redraws from the document.

An item tied to a point of a 3D volume (volume viewer, Tie) is drawn where the volume puts it and
is not moved on the map (untie it in the volume viewer first); its editor names the tie.

Keys on the map: D places a device, J a jet, S / Esc back to selecting; ←/→ select the previous
or next item (move the placement cursor while placing), Enter places, Shift+←/→ moves the
selected item, Delete removes it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any, TypeVar

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QKeyEvent, QKeySequence, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from gui.panels.binding import DocumentSubscription
from gui.panels.mark_picker import MarkPicker, result_text
from planning import model
from planning.assessment import MR_CLASSES
from planning.catalogue import (
    ATTACHMENTS,
    DEFAULT_DEVICE,
    DEVICE_KINDS,
    DEVICE_SEGMENTS,
    JET_LOCATIONS,
    ORIENTATIONS,
    POSITIONS,
    device_model,
    models_of,
)
from planning.commands import AddDevice, AddJet, Command, RemoveJet, ReplaceDevice, ReplaceJet, remove_device_cascade
from planning.document import CaseDocument, Change
from planning.findings import VC_QUANTITIES, mark_shown
from planning.placement import device_placement, jet_placement, segment_at
from planning.vocab import (
    Attachment,
    DeviceKind,
    DeviceModelName,
    DevicePosition,
    JetLocation,
    MRGrade,
    Orientation,
    SegmentPair,
)
from report.clipmap import (
    ASPECT,
    DARK_STYLE,
    MapGeometry,
    MapItem,
    draw_clip_map,
    draw_ghost,
    item_at,
    map_items,
)
from report.model import Device, Jet

E = TypeVar("E", bound=StrEnum)
SELECT, DEVICE, JET = "select", "device", "jet"
CAPTION = "Surgical view from the left atrium · schematic, not to scale"
PLACING = {DEVICE: "Click on the valve (or ←/→ and Enter) to place a device · Esc cancels",
           JET: "Click on the valve (or ←/→ and Enter) to place a residual jet · Esc cancels"}
EDIT_HINT = ("Press D (or “Device”) and click on the valve to place a prior device, J for a residual jet. "
             "Click an item to edit it; drag to move; Delete removes.")
NO_CASE_HINT = "No case open — File → New Case (Ctrl+N) or Open Case… to map the prior devices and residual jets."
_TOOL_KEYS = {Qt.Key.Key_S: SELECT, Qt.Key.Key_D: DEVICE, Qt.Key.Key_J: JET}
_OWN_KEYS = frozenset({Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space,
                       Qt.Key.Key_Delete, Qt.Key.Key_Backspace, Qt.Key.Key_Escape, *_TOOL_KEYS})
_DRAG_PIXELS = 4
_CAPTION_MARGIN = 6
_CAPTION_FLAGS = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom | Qt.TextFlag.TextWordWrap
_KEY_STEP = 1 / 30


def _fill(combo: QComboBox, options: Sequence[str], current: str) -> None:
    """Refill a combo with ``options`` and select ``current`` (added when it is not an option)."""
    combo.blockSignals(True)
    combo.clear()
    combo.addItems(list(options))
    if current and combo.findText(current) < 0:
        combo.addItem(current)
    combo.setCurrentIndex(max(combo.findText(current), 0))
    combo.blockSignals(False)


def _member(enum: type[E], text: str) -> E | None:
    """The vocabulary member a combo shows (None for the empty choice)."""
    return enum(text) if text else None


def _text(member: object) -> str:
    return "" if member is None else str(member)


def tie_text(item: model.Device | model.Jet) -> str:
    """How a device or jet is placed in 3D, for its editor: "—" when it is not tied."""
    tie = item.tie
    if tie is None:
        return "— (not tied; the volume viewer's Tie ties it to the en-face view)"
    x, y, z = tie.position_mm
    where = f"drawn where the volume puts it (on {segment_at(tie.placed.t)})" if tie.placed is not None else \
        "the volume's annulus is not aligned: drawn from the segment"
    return f"({x:.1f}, {y:.1f}, {z:.1f}) mm of volume …{tie.sop_instance_uid[-8:]}; {where}"


def device_summary(device: model.Device) -> str:
    """``"D1: MitraClip G4 XTW (arms 12 × 6 mm), A2-P2 lateral, stable"``."""
    entry = device_model(device.kind, device.model)
    size = f" ({entry.size_text})" if entry and entry.size_text else ""
    where = " ".join(str(v) for v in (device.segment, device.position) if v)
    return (f"{device.id.upper()}: {_text(device.kind)} {_text(device.model)}{size}, "
            f"{where or 'segment ?'}, {device.attachment or 'attachment ?'}")


def jet_summary(jet: model.Jet, vc_text: str = "") -> str:
    """``"J1: para-clip lateral (beside D2), A2-P2, moderate, VC 0.45 cm"``."""
    beside = ", ".join(d.upper() for d in jet.devices)
    parts = [f"{jet.id.upper()}: {_text(jet.location)}" + (f" (beside {beside})" if beside else ""),
             str(jet.segment or "segment ?"), str(jet.grade or "grade ?")]
    if vc_text:
        parts.append(f"VC {vc_text}")
    return ", ".join(parts)


class ClipMapView(QWidget):
    """The drawn map: hit-testing, placing, dragging and keys. It only reports what the user did;
    the panel turns that into commands and hands back the new devices and jets."""

    itemSelected = Signal(str)           # item id, "" when nothing is selected
    placeRequested = Signal(str, float)  # "device" | "jet", position 0..1 along the coaptation line
    moveRequested = Signal(str, float)   # item id, new position
    deleteRequested = Signal(str)        # item id
    toolChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clip-map")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumSize(300, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Clip map")
        self.devices: tuple[Device, ...] = ()
        self.jets: tuple[Jet, ...] = ()
        self.descriptions: dict[str, str] = {}
        self.selected = ""
        self.tool = SELECT
        self._press: tuple[QPointF, MapItem] | None = None
        self._ghost: tuple[str, float] | None = None
        self._cursor_t = 0.5

    # --- state from the panel ---------------------------------------------------------------------
    def set_items(self, devices: Sequence[Device], jets: Sequence[Jet], descriptions: Mapping[str, str]) -> None:
        self.devices, self.jets, self.descriptions = tuple(devices), tuple(jets), dict(descriptions)
        ids = {d.id for d in self.devices} | {j.id for j in self.jets}
        if self.selected not in ids:
            self.selected = ""
        self.setAccessibleDescription(f"{len(self.devices)} device(s), {len(self.jets)} jet(s)"
                                      + (f"; selected {self.descriptions.get(self.selected, '')}"
                                         if self.selected else ""))
        self.update()

    def set_selected(self, item_id: str) -> None:
        if item_id != self.selected:
            self.selected = item_id
            self.update()
            self.itemSelected.emit(item_id)

    def set_tool(self, tool: str) -> None:
        if tool != self.tool:
            self.tool = tool
            self._ghost = (tool, self._cursor_t) if tool != SELECT and self.hasFocus() else None
            self.setCursor(Qt.CursorShape.ArrowCursor if tool == SELECT else Qt.CursorShape.CrossCursor)
            self.update()
            self.toolChanged.emit(tool)

    # --- geometry (also what tests click on) ------------------------------------------------------
    def caption(self) -> str:
        return CAPTION if self.tool == SELECT else PLACING[self.tool]

    def caption_rect(self) -> QRect:
        """The band along the bottom edge that holds the caption, wrapped to the widget's width; as tall
        as the longest caption so the map does not jump when a tool changes it."""
        text = self.rect().adjusted(_CAPTION_MARGIN, 0, -_CAPTION_MARGIN, 0)
        height = max(self.fontMetrics().boundingRect(text, _CAPTION_FLAGS, caption).height()
                     for caption in (CAPTION, *PLACING.values()))
        return QRect(text.left(), self.height() - height - _CAPTION_MARGIN, text.width(), height)

    def map_rect(self) -> QRectF:
        """The widest rect of the map's aspect centred in the widget above the caption."""
        w, h = self.width(), max(self.caption_rect().top() - _CAPTION_MARGIN, 1)
        mw, mh = (w, w / ASPECT) if w / h < ASPECT else (h * ASPECT, h)
        return QRectF((w - mw) / 2, (h - mh) / 2, mw, mh)

    def map_geometry(self) -> MapGeometry:
        return MapGeometry(self.map_rect())

    def items(self) -> list[MapItem]:
        return map_items(self.map_geometry(), self.devices, self.jets)

    def item_rect(self, item_id: str) -> QRectF | None:
        return next((i.rect for i in self.items() if i.id == item_id), None)

    def point_at(self, t: float) -> QPoint:
        """The widget pixel of position ``t`` on the coaptation line."""
        return self.map_geometry().coapt(t).toPoint()

    # --- painting ---------------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(DARK_STYLE.paper))
        geometry = draw_clip_map(painter, self.map_rect(), self.devices, self.jets, DARK_STYLE, self.selected)
        if self._ghost is not None:
            draw_ghost(painter, geometry, self._ghost[0], self._ghost[1], DARK_STYLE)
        painter.setPen(QColor(DARK_STYLE.border))
        painter.drawText(self.caption_rect(), _CAPTION_FLAGS, self.caption())
        if self.hasFocus():
            painter.setPen(QColor(DARK_STYLE.selection))
            painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()

    # --- mouse ------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        pos = event.position()
        geometry = self.map_geometry()
        if self.tool != SELECT:
            if geometry.valve.contains(pos):
                tool = self.tool
                self.set_tool(SELECT)
                self.placeRequested.emit(tool, geometry.t_at(pos.x()))
            return None
        hit = item_at(geometry, self.devices, self.jets, pos)
        self.set_selected(hit.id if hit else "")
        self._press = (pos, hit) if hit else None
        return None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        geometry = self.map_geometry()
        if self._press is not None:
            start, item = self._press
            if self._ghost is not None or (pos - start).manhattanLength() >= _DRAG_PIXELS:
                self._ghost = (item.kind, geometry.t_at(pos.x()))
                self.update()
        elif self.tool != SELECT:
            self._ghost = (self.tool, geometry.t_at(pos.x()))
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        press, ghost = self._press, self._ghost
        self._press = None
        if press is not None and ghost is not None:
            self._ghost = None
            self.update()
            self.moveRequested.emit(press[1].id, ghost[1])

    def leaveEvent(self, _event: Any) -> None:
        if self._press is None and self.tool != SELECT:
            self._ghost = None
            self.update()

    def event(self, event: Any) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and event.key() in _OWN_KEYS and \
                not event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier:
            event.accept()  # the map's keys win over the window's (←/→ step frames elsewhere)
            return True
        if event.type() == QEvent.Type.ToolTip:
            hit = item_at(self.map_geometry(), self.devices, self.jets, QPointF(event.pos()))
            if hit is not None:
                QToolTip.showText(event.globalPos(), self.descriptions.get(hit.id, hit.id), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    # --- keys -------------------------------------------------------------------------------------
    def _action_for(self, event: QKeyEvent) -> QAction | None:
        """The map's own action with this key (its ShortcutOverride keeps the key from the window's)."""
        pressed = QKeySequence(event.keyCombination())
        return next((a for a in self.actions() if a.isEnabled() and any(
            k.matches(pressed) == QKeySequence.SequenceMatch.ExactMatch for k in a.shortcuts())), None)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        action = self._action_for(event)
        if action is not None:
            action.trigger()
            return
        key, shift = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        step = -1 if key == Qt.Key.Key_Left else 1 if key == Qt.Key.Key_Right else 0
        if key in _TOOL_KEYS and not shift:
            self.set_tool(_TOOL_KEYS[Qt.Key(key)])
        elif key == Qt.Key.Key_Escape:
            self.set_tool(SELECT) if self.tool != SELECT else self.set_selected("")
            self._ghost = None
            self.update()
        elif self.tool != SELECT and step:
            self._cursor_t = min(max(self._cursor_t + step * _KEY_STEP, 0.0), 1.0)
            self._ghost = (self.tool, self._cursor_t)
            self.update()
        elif self.tool != SELECT and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            tool = self.tool
            self._ghost = None
            self.set_tool(SELECT)
            self.placeRequested.emit(tool, self._cursor_t)
        elif step and shift and self.selected:
            item = next((i for i in self.items() if i.id == self.selected), None)
            if item is not None:
                self.moveRequested.emit(item.id, min(max(item.t + step * _KEY_STEP, 0.0), 1.0))
        elif step:
            self._select_neighbour(step)
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.selected:
            self.deleteRequested.emit(self.selected)
        else:
            super().keyPressEvent(event)

    def _select_neighbour(self, step: int) -> None:
        """Select the next item along the coaptation line (left to right), wrapping around."""
        ordered = [i.id for i in sorted(self.items(), key=lambda i: i.t)]
        if not ordered:
            return
        if self.selected not in ordered:
            self.set_selected(ordered[0 if step > 0 else -1])
        else:
            self.set_selected(ordered[(ordered.index(self.selected) + step) % len(ordered)])

    def focusInEvent(self, event: Any) -> None:
        self.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event: Any) -> None:
        self.update()
        super().focusOutEvent(event)


class DeviceEditor(QWidget):
    """The fields of one device; ``edited`` carries the new typed device after each user change."""

    edited = Signal(object)  # planning.model.Device
    showMark = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.device = model.Device("")
        self.title = QLabel(self)
        self.kind, self.model, self.segment, self.position, self.attachment, self.orientation = (
            QComboBox(self) for _ in range(6))
        self.size_label = QLabel(self)
        self.size_label.setWordWrap(True)
        self.rotation = QSpinBox(self)
        self.rotation.setRange(-90, 90)
        self.rotation.setSuffix(" °")
        self.rotation.setToolTip("Rotation from perpendicular to the line of coaptation (clockwise positive)")
        self.notes = QLineEdit(self)
        self.mark = MarkPicker(self, types=("point", "distance", "area"))
        self.mark.setToolTip("The image mark that shows this device (e.g. a point on the clip)")
        self.show_image = QPushButton("Show image &mark", self)
        self.tie = QLabel(self)
        self.tie.setWordWrap(True)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.title)
        for text, widget in (("Image mar&k", self.mark), ("", self.show_image), ("&System", self.kind), ("&Model", self.model),
                             ("Size", self.size_label),
                             ("S&egment", self.segment), ("&Position", self.position),
                             ("&Attachment", self.attachment), ("&Orientation", self.orientation),
                             ("&Rotation", self.rotation), ("&Notes", self.notes), ("3D", self.tie)):
            form.addRow(text, widget)
        self.kind.activated.connect(lambda _i: self._kind_changed())
        for key, combo, enum in (("model", self.model, DeviceModelName), ("segment", self.segment, SegmentPair),
                                 ("position", self.position, DevicePosition),
                                 ("attachment", self.attachment, Attachment),
                                 ("orientation", self.orientation, Orientation)):
            combo.activated.connect(lambda _i, k=key, c=combo, e=enum: self._emit(**{k: _member(e, c.currentText())}))
        self.rotation.editingFinished.connect(lambda: self._emit(rotation_deg=float(self.rotation.value())))
        self.notes.editingFinished.connect(lambda: self._emit(notes=self.notes.text()))
        self.mark.picked.connect(lambda mark_id: self._emit(image_mark=mark_id or ""))
        self.show_image.clicked.connect(lambda: self.showMark.emit(self.device.image_mark))

    def show_device(self, device: model.Device, marks: Sequence[Any] = (),
                    results_of: Callable[[str], Any] | None = None) -> None:
        self.device = d = device
        self.mark.set_marks(marks, results_of, d.image_mark)
        self.show_image.setEnabled(bool(d.image_mark))
        self.title.setText(f"<b>Device {d.id.upper()}</b>")
        _fill(self.kind, DEVICE_KINDS, _text(d.kind))
        _fill(self.model, models_of(_text(d.kind)), _text(d.model))
        _fill(self.segment, DEVICE_SEGMENTS, _text(d.segment))
        _fill(self.position, POSITIONS, _text(d.position))
        _fill(self.attachment, ATTACHMENTS, _text(d.attachment))
        _fill(self.orientation, ORIENTATIONS, _text(d.orientation))
        entry = device_model(d.kind, d.model)
        self.size_label.setText(entry.size_text + " — catalogue, verify IFU" if entry and entry.size_text else "—")
        self.rotation.blockSignals(True)
        self.rotation.setValue(int(d.rotation_deg or 0))
        self.rotation.setEnabled(d.orientation is Orientation.ROTATED)
        self.rotation.blockSignals(False)
        self.notes.setText(d.notes)
        self.tie.setText(tie_text(d))

    def _kind_changed(self) -> None:
        kind = _member(DeviceKind, self.kind.currentText())
        models = models_of(_text(kind))
        current = _text(self.device.model)
        self._emit(kind=kind, model=_member(DeviceModelName, current if current in models else
                                            (models[0] if models else "")))

    def _emit(self, **changes: Any) -> None:
        after = dataclasses.replace(self.device, **changes)
        if after.orientation is not Orientation.ROTATED:
            after = dataclasses.replace(after, rotation_deg=None)
        if after != self.device:
            self.edited.emit(after)


class JetEditor(QWidget):
    """The fields of one jet; ``edited`` carries the new typed jet, ``showMark`` asks for its VC mark."""

    edited = Signal(object)  # planning.model.Jet
    showMark = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jet = model.Jet("")
        self.title = QLabel(self)
        self.location, self.segment, self.grade = QComboBox(self), QComboBox(self), QComboBox(self)
        self.beside = QLabel(self)
        self.vc = MarkPicker(self)
        self.vc.setToolTip("The distance mark of this jet's vena contracta")
        self.show_vc = QPushButton("Show &VC mark", self)
        self.notes = QLineEdit(self)
        self.tie = QLabel(self)
        self.tie.setWordWrap(True)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.title)
        for text, widget in (("&Location", self.location), ("Beside", self.beside), ("S&egment", self.segment),
                             ("&Grade", self.grade), ("Vena &contracta", self.vc), ("", self.show_vc),
                             ("&Notes", self.notes), ("3D", self.tie)):
            form.addRow(text, widget)
        for key, combo, enum in (("location", self.location, JetLocation), ("segment", self.segment, SegmentPair),
                                 ("grade", self.grade, MRGrade)):
            combo.activated.connect(lambda _i, k=key, c=combo, e=enum: self._emit(**{k: _member(e, c.currentText())}))
        self.vc.picked.connect(lambda mark_id: self._emit(vena_contracta_mark=mark_id or ""))
        self.show_vc.clicked.connect(lambda: self.showMark.emit(self.jet.vena_contracta_mark))
        self.notes.editingFinished.connect(lambda: self._emit(notes=self.notes.text()))

    def show_jet(self, jet: model.Jet, marks: Sequence[Any], results_of: Callable[[str], Any] | None) -> None:
        self.jet = j = jet
        self.title.setText(f"<b>Jet {j.id.upper()}</b>")
        _fill(self.location, JET_LOCATIONS, _text(j.location))
        _fill(self.segment, DEVICE_SEGMENTS, _text(j.segment))
        _fill(self.grade, ("", *MR_CLASSES), _text(j.grade))
        self.beside.setText(", ".join(d.upper() for d in j.devices) or "—")
        self.vc.set_marks(marks, results_of, j.vena_contracta_mark)
        self.show_vc.setEnabled(bool(j.vena_contracta_mark))
        self.notes.setText(j.notes)
        self.tie.setText(tie_text(j))

    def _emit(self, **changes: Any) -> None:
        after = dataclasses.replace(self.jet, **changes)
        if after != self.jet:
            self.edited.emit(after)


class ValveMapPanel(QWidget):
    """The clip map dock: tool buttons, the map, and the editor of the selected device or jet."""

    markActivated = Signal(str)  # a jet's vena contracta mark id: the viewer shows it
    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc: CaseDocument | None = None
        self.push: Callable[[Command], bool] | None = None
        self._subscription = DocumentSubscription(self._on_change)
        self._last_model: tuple[DeviceKind | None, DeviceModelName | None] = (DEFAULT_DEVICE.kind,
                                                                              DEFAULT_DEVICE.model)
        self.view = ClipMapView(self)
        self.device_editor = DeviceEditor(self)
        self.jet_editor = JetEditor(self)
        self.hint = QLabel(NO_CASE_HINT, self)
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.editors = QStackedWidget(self)
        for widget in (self.hint, self.device_editor, self.jet_editor):
            self.editors.addWidget(widget)
        self.tool_actions: dict[str, QAction] = {}
        tools = QHBoxLayout()
        for key, text, tip, shortcut in (
                (SELECT, "Select", "Select and move items (S or Esc on the map)", "S"),
                (DEVICE, "Device", "Place a prior device: click on the valve (D on the map)", "D"),
                (JET, "Jet", "Place a residual jet: click on the valve (J on the map)", "J"),
                ("delete", "Delete", "Delete the selected item (Delete on the map)", "Delete")):
            # the keys are the map's own, scoped to it (the window has D and Delete too), so F1 lists them
            action = QAction(f"Clip map: {text.lower()}", self)
            action.setIconText(text)
            action.setToolTip(tip)
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setCheckable(key != "delete")
            self.view.addAction(action)
            button = QToolButton(self)
            button.setDefaultAction(action)
            tools.addWidget(button)
            self.tool_actions[key] = action
        tools.addStretch(1)
        for key in (SELECT, DEVICE, JET):
            self.tool_actions[key].triggered.connect(lambda _c=False, k=key: self._tool_from_button(k))
        self.tool_actions["delete"].triggered.connect(lambda: self.delete(self.view.selected))
        self.tool_actions[SELECT].setChecked(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(tools)
        self.message = QLabel(self)  # why the last gesture changed nothing
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        self.refused.connect(self._say)
        scroll = QScrollArea(self)  # a short dock keeps the map large and scrolls the editor
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.editors)
        layout.addWidget(self.view, 3)
        layout.addWidget(scroll, 2)
        self.view.toolChanged.connect(self._show_tool)
        self.view.itemSelected.connect(self._on_selected)
        self.view.placeRequested.connect(self.place)
        self.view.moveRequested.connect(self.move_item)
        self.view.deleteRequested.connect(self.delete)
        self.device_editor.edited.connect(self._replace_device)
        self.jet_editor.edited.connect(self._replace_jet)
        for editor in (self.jet_editor, self.device_editor):
            editor.showMark.connect(self._show_mark)
        self.setStyleSheet("QToolButton:checked { background: #2d5f8a; color: #ffffff; }")
        self.setEnabled(False)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _show_mark(self, mark_id: str) -> None:
        if mark_id:
            self.markActivated.emit(mark_id)

    # --- the document -----------------------------------------------------------------------------
    def set_document(self, doc: CaseDocument | None, push: Callable[[Command], bool] | None) -> None:
        """Show ``doc``; every edit goes to ``push`` (the case's undo stack)."""
        self.doc, self.push = doc, push
        self._subscription.bind(doc)
        self.setEnabled(doc is not None)
        self.hint.setText(EDIT_HINT if doc is not None else NO_CASE_HINT)
        self.view.set_selected("")
        self.refresh()

    def _on_change(self, change: Change) -> None:
        self._say("")
        if change.section in ("devices", "jets", "marks", "volumes"):
            self.refresh()

    def _findings(self) -> model.Findings:
        return self.doc.findings() if self.doc else model.Findings()

    def refresh(self) -> None:
        """Redraw the map and the editor from the document."""
        typed = self._findings()
        descriptions = {d.id: device_summary(d) for d in typed.devices}
        descriptions.update({j.id: jet_summary(j, self._vc_text(j)) for j in typed.jets})
        self.view.set_items([Device.of(d) for d in typed.devices], [Jet.of(j) for j in typed.jets], descriptions)
        self._show_editor(self.view.selected)

    def _vc_text(self, jet: model.Jet) -> str:
        """The jet's vena contracta as the rules use it, or why it is not used (unlabelled or held mark)."""
        if self.doc is None:
            return ""
        hit, why = mark_shown(self.doc.results(), self.doc.marks, jet.vena_contracta_mark, VC_QUANTITIES)
        return why or (result_text(hit) if hit else "")

    # --- selection --------------------------------------------------------------------------------
    def select(self, item_id: str) -> None:
        """Select a device or jet by id (from elsewhere, e.g. the measurements panel)."""
        self.view.set_selected(item_id)

    def _typed_item(self, item_id: str) -> model.Device | model.Jet | None:
        typed = self._findings()
        return typed.device(item_id) or next((j for j in typed.jets if j.id == item_id), None) if item_id else None

    def _on_selected(self, item_id: str) -> None:
        self._show_editor(item_id)
        item = self._typed_item(item_id)
        mark_id = item.vena_contracta_mark if isinstance(item, model.Jet) else item.image_mark if item else ""
        if mark_id:
            self.markActivated.emit(mark_id)

    def _show_editor(self, item_id: str) -> None:
        item = self._typed_item(item_id)
        marks = self.doc.marks if self.doc else ()
        results_of = self.doc.results_of if self.doc else None
        if isinstance(item, model.Device):
            self.device_editor.show_device(item, marks, results_of)
            self.editors.setCurrentWidget(self.device_editor)
        elif isinstance(item, model.Jet):
            self.jet_editor.show_jet(item, marks, results_of)
            self.editors.setCurrentWidget(self.jet_editor)
        else:
            self.editors.setCurrentWidget(self.hint)

    def _tool_from_button(self, tool: str) -> None:
        self.view.set_tool(tool)
        self._show_tool(tool)
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_tool(self, tool: str) -> None:
        for key in (SELECT, DEVICE, JET):
            self.tool_actions[key].setChecked(key == tool)

    # --- edits: each one command --------------------------------------------------------------------
    def _push(self, command: Command) -> bool:
        if self.push is None:
            return False
        return self.push(command)

    def place(self, kind: str, t: float) -> None:
        """Add a device or jet at position ``t`` on the coaptation line, and select it."""
        if self.doc is None:
            return
        item: model.Device | model.Jet
        if kind == DEVICE:
            segment, position = device_placement(t)
            item = model.Device(self.doc.new_id("devices"), self._last_model[0], self._last_model[1], segment,
                                position, Attachment.STABLE, Orientation.PERPENDICULAR)
            ok = self._push(AddDevice(item))
        else:
            segment, location, beside = jet_placement(t, self.view.devices)
            item = model.Jet(self.doc.new_id("jets"), location, segment, devices=beside)
            ok = self._push(AddJet(item))
        if ok:
            self.view.set_selected(item.id)
            self.view.setFocus()

    def move_item(self, item_id: str, t: float) -> None:
        """Re-read a dragged item's segment (and a jet's positional location) at its new place; an item
        the volume places is not moved (refused, saying so)."""
        item = self._typed_item(item_id)
        if item is not None and item.tie is not None and item.tie.placed is not None:
            self.refused.emit(f"{item.id.upper()} is placed from the 3D volume; untie it in the volume viewer"
                              " to move it on the map")
            self.view.update()
            return
        if isinstance(item, model.Device):
            segment, position = device_placement(t)
            self._replace_device(dataclasses.replace(item, segment=segment, position=position))
        elif isinstance(item, model.Jet):
            segment, location, beside = jet_placement(t, self.view.devices)
            if item.location is None or item.location.positional:
                self._replace_jet(dataclasses.replace(item, segment=segment, location=location, devices=beside))
            else:
                self._replace_jet(dataclasses.replace(item, segment=segment))

    def _replace_device(self, after: model.Device) -> None:
        if self.doc is not None and self._typed_item(after.id) != after:
            self._last_model = (after.kind, after.model)
            self._push(ReplaceDevice.of(self.doc, after))

    def _replace_jet(self, after: model.Jet) -> None:
        if self.doc is not None and self._typed_item(after.id) != after:
            self._push(ReplaceJet.of(self.doc, after))

    def delete(self, item_id: str) -> None:
        """Delete the item; a device also leaves the jets that named it (one undo step)."""
        item = self._typed_item(item_id) if self.doc is not None else None
        if isinstance(item, model.Device) and self.doc is not None:
            self._push(remove_device_cascade(self.doc, item_id))
        elif isinstance(item, model.Jet) and self.doc is not None:
            self._push(RemoveJet.of(self.doc, item))
