"""The transport bar under the viewers: play/pause, step, first/last, speed, loop range, frame slider.

It drives the active viewport (and, through the grid, the synchronised ones). The frame slider
shows the R waves as ticks when the loop has them, the loop range as a band, and the frames
flagged as key images as gold triangles above the groove.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPolygon
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QStyle, QStyleOptionSlider, QToolButton, QWidget

from gui.viewer.playback import SPEEDS
from gui.viewer.sync import SyncMode

#: Colour of the key-image flags (slider triangles, viewport badge).
KEY_FRAME_COLOUR = QColor("#ffc107")


class FrameSlider(QSlider):
    """Horizontal frame slider (1-based values) with R-wave ticks and the loop range drawn on it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setMinimum(1)
        self.setMaximum(1)
        self.setMinimumHeight(26)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.r_wave_frames: tuple[int, ...] = ()
        self.range_frames: tuple[int, int] | None = None
        self.key_frames: tuple[int, ...] = ()

    def set_marks(self, r_wave_frames: Sequence[int], range_frames: tuple[int, int] | None) -> None:
        """R-wave frames and the loop range, both 1-based."""
        self.r_wave_frames = tuple(r_wave_frames)
        self.range_frames = range_frames
        self.update()

    def set_key_frames(self, frames: Sequence[int]) -> None:
        """Frames (1-based) flagged as key images of the report."""
        self.key_frames = tuple(frames)
        self.update()

    def _x_of(self, value: int) -> int:
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        groove = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                             QStyle.SubControl.SC_SliderGroove, self)
        handle = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                             QStyle.SubControl.SC_SliderHandle, self)
        span = groove.width() - handle.width()
        return groove.x() + handle.width() // 2 + QStyle.sliderPositionFromValue(
            self.minimum(), self.maximum(), value, span)

    def paintEvent(self, event: Any) -> None:
        painter = QPainter(self)
        mid = self.height() // 2
        if self.range_frames is not None:
            a, b = (self._x_of(v) for v in self.range_frames)
            painter.fillRect(QRect(a, mid - 5, max(b - a, 2), 10), QColor(61, 155, 233, 70))
        pen = QPen(QColor("#ef5350"), 2)
        painter.setPen(pen)
        for frame in self.r_wave_frames:
            x = self._x_of(frame)
            painter.drawLine(x, mid - 10, x, mid - 5)
            painter.drawLine(x, mid + 5, x, mid + 10)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(KEY_FRAME_COLOUR)
        for frame in self.key_frames:
            x = self._x_of(frame)
            painter.drawPolygon(QPolygon([QPoint(x - 5, 0), QPoint(x + 5, 0), QPoint(x, 7)]))
        painter.end()
        super().paintEvent(event)


class TransportBar(QWidget):
    """Buttons and slider; emits intents, the main window wires them to the grid."""

    frameRequested = Signal(int)        # 1-based
    speedRequested = Signal(float)
    syncRequested = Signal(object)      # SyncMode

    def __init__(self, actions: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transport")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        for key in ("first", "step_back", "play", "step_forward", "last"):
            button = QToolButton(self)
            button.setDefaultAction(actions[key])
            button.setAutoRaise(True)
            row.addWidget(button)
        self.slider = FrameSlider(self)
        self.slider.valueChanged.connect(self._on_slider)
        row.addWidget(self.slider, 1)
        self.position_label = QLabel("—", self)
        self.position_label.setMinimumWidth(150)
        self.position_label.setObjectName("readout")
        row.addWidget(self.position_label)
        for key in ("range_start", "range_end", "range_clear"):
            button = QToolButton(self)
            button.setDefaultAction(actions[key])
            button.setAutoRaise(True)
            row.addWidget(button)
        self.speed_box = QComboBox(self)
        self.speed_box.setToolTip("Playback speed")
        for speed in SPEEDS:
            self.speed_box.addItem(f"×{speed:g}", speed)
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.currentIndexChanged.connect(
            lambda i: self.speedRequested.emit(float(self.speed_box.itemData(i))))
        row.addWidget(self.speed_box)
        self.sync_box = QComboBox(self)
        self.sync_box.setToolTip("Synchronise the loops of a multi-viewport layout")
        for label, mode in (("Sync off", SyncMode.OFF), ("Sync frames", SyncMode.FRAME),
                            ("Sync cycles", SyncMode.CYCLE)):
            self.sync_box.addItem(label, mode)
        self.sync_box.currentIndexChanged.connect(
            lambda i: self.syncRequested.emit(self.sync_box.itemData(i)))
        row.addWidget(self.sync_box)
        self._updating = False

    def _on_slider(self, value: int) -> None:
        if not self._updating:
            self.frameRequested.emit(value)

    def show_state(self, frame_number: int, n_frames: int, time_s: float | None,
                   r_wave_frames: Sequence[int] = (), range_frames: tuple[int, int] | None = None,
                   speed: float = 1.0) -> None:
        """Reflect the active viewport without emitting requests back."""
        self._updating = True
        try:
            self.slider.setMaximum(max(n_frames, 1))
            self.slider.setValue(max(frame_number, 1))
            full = range_frames is None or range_frames == (1, n_frames)
            self.slider.set_marks(r_wave_frames, None if full else range_frames)
            if n_frames:
                self.position_label.setText(f"{frame_number:>3}/{n_frames}  {time_s:7.3f} s")
            else:
                self.position_label.setText("—")
            index = self.speed_box.findData(speed)
            if index >= 0:
                self.speed_box.setCurrentIndex(index)
        finally:
            self._updating = False

    def show_sync(self, mode: SyncMode) -> None:
        self.sync_box.blockSignals(True)
        self.sync_box.setCurrentIndex(self.sync_box.findData(mode))
        self.sync_box.blockSignals(False)
