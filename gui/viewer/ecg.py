"""The ECG strip under a loop and beat-by-beat stepping.

The strip is a small pyqtgraph plot on the loop's clock (ms from the first frame): the ECG lead
(``imaging.ecg.read_ecg``: the image's Waveform Sequence or a linked waveform object), the R waves
as red lines, and the current frame as a yellow line that follows playback and stepping. A loop
without an ECG shows no strip. Stepping by beat goes to the frame nearest the previous/next R wave.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QVBoxLayout, QWidget

from imaging.ecg import EcgTrace, r_waves_from_trace, read_ecg

STRIP_HEIGHT = 64
TRACE_COLOUR = "#66bb6a"
R_WAVE_COLOUR = "#ef5350"
CURSOR_COLOUR = "#ffc107"


def nearest_frame(frame_times_ms: Sequence[float], t_ms: float) -> int:
    """0-based frame whose start time is nearest ``t_ms`` (the earlier one on a tie)."""
    k = bisect.bisect_left(frame_times_ms, t_ms)
    if k <= 0:
        return 0
    if k >= len(frame_times_ms):
        return len(frame_times_ms) - 1
    return k if frame_times_ms[k] - t_ms < t_ms - frame_times_ms[k - 1] else k - 1


def beat_frames(frame_times_ms: Sequence[float], r_wave_times_ms: Sequence[float], duration_ms: float) -> list[int]:
    """0-based frames at the loop's R waves (nearest frame to each R wave inside the loop), in order."""
    inside = (t for t in r_wave_times_ms if frame_times_ms[0] <= t < duration_ms)
    return sorted({nearest_frame(frame_times_ms, t) for t in inside})


def beat_step(frames: Sequence[int], current: int, delta: int) -> int | None:
    """The R-wave frame ``delta`` (+1 next, -1 previous) beats from ``current``, wrapping; None without R waves."""
    if not frames:
        return None
    if delta > 0:
        later = [f for f in frames if f > current]
        return later[0] if later else frames[0]
    earlier = [f for f in frames if f < current]
    return earlier[-1] if earlier else frames[-1]


def _amplitude_text(span: float, units: str) -> str:
    """An amplitude with its unit, microvolts shown as millivolts (the unit ECGs are read in)."""
    if units == "uV":
        return f"{span / 1000.0:.2f} mV"
    return f"{span:.3g} {units}".strip()


def _pen(colour: str, width: float = 1.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(QColor(colour), width)
    pen.setCosmetic(True)
    pen.setStyle(style)
    return pen


class EcgStrip(QWidget):
    """A strip plot of the loop's ECG with R waves and the current frame marked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ecg-strip")
        #: the pyqtgraph plot, held rather than subclassed (pyqtgraph is untyped)
        self.plot_widget = pg.PlotWidget(self, background="#101214")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget)
        self.setFixedHeight(STRIP_HEIGHT)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.trace: EcgTrace | None = None
        #: R waves (ms) the strip marks: the loop timing's, else those detected in a linked waveform's ECG
        self.r_wave_times_ms: tuple[float, ...] = ()
        plot = self.plot_widget.getPlotItem()
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(x=False, y=False)
        plot.layout.setContentsMargins(2, 2, 2, 2)
        self.curve = plot.plot(pen=_pen(TRACE_COLOUR, 1.5))
        self.frame_line = pg.InfiniteLine(angle=90, movable=False, pen=_pen(CURSOR_COLOUR, 2.0))
        plot.addItem(self.frame_line, ignoreBounds=True)
        self.label = pg.TextItem("", color=TRACE_COLOUR, anchor=(0, 0), fill=pg.mkBrush(16, 18, 20, 200))
        plot.addItem(self.label, ignoreBounds=True)
        self._r_lines: list[Any] = []
        self.hide()

    def show_loop(self, loop: Any) -> None:
        """Show ``loop``'s ECG (hidden when the loop has none, or for no loop)."""
        self.trace = None if loop is None else read_ecg(loop.path)
        plot = self.plot_widget.getPlotItem()
        for line in self._r_lines:
            plot.removeItem(line)
        self._r_lines = []
        self.r_wave_times_ms = () if loop is None else tuple(loop.timing.r_wave_times_ms)
        if self.trace is None:
            self.curve.setData([], [])
            self.hide()
            return
        timing = loop.timing
        self.r_wave_times_ms = self.r_wave_times_ms or r_waves_from_trace(self.trace)
        self.curve.setData(self.trace.times_ms, self.trace.values)
        for t in self.r_wave_times_ms:
            line = pg.InfiniteLine(pos=float(t), angle=90, movable=False,
                                   pen=_pen(R_WAVE_COLOUR, 1.0, Qt.PenStyle.DashLine))
            plot.addItem(line, ignoreBounds=True)
            self._r_lines.append(line)
        low, high = float(np.min(self.trace.values)), float(np.max(self.trace.values))
        margin = 0.1 * (high - low or 1.0)
        plot.setXRange(0.0, float(timing.duration_ms), padding=0.0)
        plot.setYRange(low - margin, high + margin, padding=0.0)
        self.label.setText(f"ECG {self.trace.label} · {_amplitude_text(high - low, self.trace.units)} peak to peak")
        self.label.setPos(0.0, high + margin)
        self.show()

    def set_time(self, t_ms: float) -> None:
        """Move the current-frame line to loop time ``t_ms``."""
        self.frame_line.setValue(float(t_ms))
