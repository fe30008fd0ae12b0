"""One cine viewport: a bare pyqtgraph ``ImageItem`` in a ``ViewBox``, with playback and overlays.

Public API for later tools and panels:

- ``loop`` (the open ``imaging.loop.Loop`` or None), ``info``, ``regions``, ``timing``;
- ``frame_number`` (1-based, as in DICOM) and ``frame_index`` (0-based);
- ``view_box``: add marks as pyqtgraph items in image coordinates (``add_overlay_item``);
- ``tool``: an object with ``mouse_click``/``mouse_drag``/``mouse_move`` methods (see
  :class:`ViewportTool`) that receives mouse events in image coordinates before pan/zoom does;
- signals ``frameChanged(int)`` (1-based), ``loopChanged(object)``, ``cursorMoved(float, float)``.

The per-frame path is lean: the decoded uint8 frame goes to ``ImageItem.setImage(frame,
autoLevels=False)`` with levels unset (brightness/contrast set levels only when changed), frames
come from the loop's futures (decoded on its thread pool, prefetched ahead while playing), and
the clock skips frames rather than slowing down. Scaled (fit view, zoom) frames are drawn from
Qt's 32-bit format, converted once per frame (:class:`FrameItem`).
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from concurrent.futures import Future
from typing import Any, Protocol

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QFrame, QGraphicsLineItem, QGraphicsRectItem, QLabel, QVBoxLayout, QWidget

from gui.viewer.ecg import EcgStrip, beat_frames, beat_step
from gui.viewer.playback import CineClock, Clock
from gui.viewer.readout import region_name
from imaging.regions import SpatialFormat, UltrasoundRegion
from imaging.text import display_name

log = logging.getLogger(__name__)

#: Frames requested ahead of the one shown while playing.
PREFETCH_AHEAD = 3
ZOOM_STEP = 1.25
EMPTY_HINT = ("No loop\n\nDouble-click a loop in the study browser, open a study with File → Open\n"
              "(Ctrl+O files, Ctrl+Shift+O folder), or drop DICOM files on the window")

_REGION_COLOURS: dict[int, str] = {  # by DICOM Region Spatial Format (an int in the header)
    SpatialFormat.TWO_D: "#4fc3f7",
    SpatialFormat.M_MODE: "#ba68c8",
    SpatialFormat.SPECTRAL: "#ffb74d",
    SpatialFormat.WAVEFORM: "#81c784",
}


class ViewportTool(Protocol):
    """A measurement tool: receives mouse events in image coordinates; True = consumed."""

    def mouse_click(self, viewport: Viewport, event: Any, pos: QPointF) -> bool: ...

    def mouse_drag(self, viewport: Viewport, event: Any, pos: QPointF) -> bool: ...

    def mouse_move(self, viewport: Viewport, pos: QPointF) -> None: ...


def loop_name(info: Any) -> str:
    """Short name of a loop: its file name, or the end of its SOP Instance UID."""
    path = getattr(info, "path", None)
    return getattr(path, "name", None) or str(info.sop_instance_uid)[-12:]


def display_levels(brightness: int, contrast: int) -> tuple[float, float] | None:
    """Display levels for brightness/contrast in -100..100; None (no rescale) at 0/0.

    Contrast is a gain of 2**(contrast/50) (x0.25..x4) about mid-grey; brightness shifts the
    window by up to half the range. The pixel data are never changed.
    """
    if brightness == 0 and contrast == 0:
        return None
    gain = 2.0 ** (contrast / 50.0)
    centre = 127.5 - brightness * 1.275
    half = 127.5 / gain
    return centre - half, centre + half


#: Formats Qt's raster engine scales without converting the whole image on every paint.
_SCALED_FAST_FORMATS = (QImage.Format.Format_RGB32, QImage.Format.Format_ARGB32_Premultiplied)


class FrameItem(pg.ImageItem):
    """An ``ImageItem`` whose scaled paints come from a ``Format_RGB32`` copy made once per frame.

    Qt draws a scaled RGB888 or grey image by converting all of it on every paint (1.3 ms per
    800x600 frame enlarged to 1200x900); from RGB32 it takes its fast scaling path, and the one
    conversion costs less than that from a half-size fit view up. At 1:1 (a plain translation) the
    frame is drawn as pyqtgraph made it, which is fastest there. The pixels are never changed.
    """

    def __init__(self) -> None:
        super().__init__(axisOrder="row-major")
        self._scaled: QImage | None = None
        self._scaled_from = 0  # cacheKey of the QImage it was converted from

    def paint(self, painter: QPainter, *args: Any) -> None:
        if self.image is None:
            return
        if self._renderRequired:  # pyqtgraph's own ImageItem.paint does the same
            self.render()
            if self._unrenderable:
                return
        image = self.qimage
        transform = painter.transform()
        if (transform.isScaling() or transform.isRotating()) and image.format() not in _SCALED_FAST_FORMATS:
            if self._scaled is None or self._scaled_from != image.cacheKey():
                self._scaled, self._scaled_from = image.convertToFormat(QImage.Format.Format_RGB32), image.cacheKey()
            image = self._scaled
        rows, columns = self.image.shape[:2]
        painter.drawImage(QRectF(0, 0, columns, rows), image)


class _CineViewBox(pg.ViewBox):
    """ViewBox that offers mouse events to the viewport's active tool before panning."""

    def __init__(self, viewport: Viewport) -> None:
        super().__init__(invertY=True, lockAspect=True, enableMenu=False)
        self._viewport = viewport

    def _tool_takes(self, method: str, ev: Any) -> bool:
        tool = self._viewport.tool
        handler = getattr(tool, method, None)
        if handler is None:
            return False
        pos = self._viewport.image_item.mapFromScene(ev.scenePos())
        return bool(handler(self._viewport, ev, pos))

    def mouseClickEvent(self, ev: Any) -> None:
        if not self._tool_takes("mouse_click", ev):
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev: Any, axis: Any = None) -> None:
        if not self._tool_takes("mouse_drag", ev):
            super().mouseDragEvent(ev, axis)


class Viewport(QFrame):
    """Shows one loop; plays it at its own timing; reports the cursor in image coordinates."""

    frameChanged = Signal(int)          # 1-based frame number now current
    frameDisplayed = Signal(int)        # 1-based frame number whose pixels are on screen
    loopChanged = Signal(object)        # the Loop now shown, or None
    playingChanged = Signal(bool)
    cursorMoved = Signal(float, float)  # image coordinates under the mouse
    cursorLeft = Signal()
    activated = Signal()                # the user clicked into this viewport
    failed = Signal(str)                # a message naming the file
    _frameReady = Signal(int, int, object)  # generation, index, future (from decoder threads)

    def __init__(self, clock: Clock = time.monotonic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("viewport")
        self.setProperty("active", False)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # a click takes the keys (Space, arrows) from the browser
        self._clock = clock
        self.loop: Any = None
        self._cine: CineClock | None = None
        self._index = 0
        self._generation = 0
        self._playing = False
        self.displayed_index: int | None = None
        self.dropped_frames = 0
        self.shown_frames = 0
        self.tool: ViewportTool | None = None
        self._fit_mode = True
        self._levels: tuple[float, float] | None = None
        self.brightness = 0
        self.contrast = 0
        self._outline_items: list[Any] = []
        self._outlines_visible = False

        self.graphics = pg.GraphicsView(self)
        self.graphics.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.view_box = _CineViewBox(self)
        self.view_box.setDefaultPadding(0.0)
        self.graphics.setCentralItem(self.view_box)
        self.image_item = FrameItem()
        self.view_box.addItem(self.image_item)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.addWidget(self.graphics)
        self.ecg_strip = EcgStrip(self)  # the loop's ECG under the image, shown when it has one
        layout.addWidget(self.ecg_strip)

        self.title_label = self._overlay_label(Qt.AlignmentFlag.AlignLeft)
        self.title_label.setWordWrap(True)  # a narrow 2x2 viewport wraps the title instead of cutting it
        self.frame_label = self._overlay_label(Qt.AlignmentFlag.AlignLeft)
        self.empty_label = QLabel(EMPTY_HINT, self)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet("color: #6b7078;")

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self.tick)
        self._frameReady.connect(self._present)
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.graphics.viewport().installEventFilter(self)
        self.graphics.viewport().setMouseTracking(True)

    # --- construction helpers ----------------------------------------------------------------
    def _overlay_label(self, align: Qt.AlignmentFlag) -> QLabel:
        label = QLabel(self)
        label.setProperty("class", "overlay")
        label.setAlignment(align)
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        return label

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._place_labels()
        self.empty_label.setGeometry(0, 0, self.width(), self.height())
        if self._fit_mode and self.loop is not None:
            QTimer.singleShot(0, self._refit)

    def _place_labels(self) -> None:
        """Overlay labels sized to their text: top-left title (wrapped to the viewport), bottom-left frame counter."""
        self.frame_label.adjustSize()
        strip = self.ecg_strip.height() if self.ecg_strip.isVisibleTo(self) else 0  # the label sits above the ECG
        self.frame_label.move(6, self.height() - strip - self.frame_label.height() - 4)
        title = self.title_label
        metrics = title.fontMetrics()
        natural = max((metrics.horizontalAdvance(line) for line in title.text().split("\n")), default=0)
        margins = title.contentsMargins()
        width = max(40, min(natural + margins.left() + margins.right() + 4, self.width() - 12))
        title.setGeometry(6, 4, width, title.heightForWidth(width) if title.text() else 0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self.activated.emit()
        elif kind == QEvent.Type.Leave:
            self.cursorLeft.emit()
        elif kind == QEvent.Type.Wheel:
            self._fit_mode = False
        return False

    # --- the loop --------------------------------------------------------------------------
    @property
    def info(self) -> Any:
        return None if self.loop is None else self.loop.info

    @property
    def regions(self) -> tuple[UltrasoundRegion, ...]:
        return () if self.loop is None else tuple(self.loop.regions)

    @property
    def timing(self) -> Any:
        return None if self.loop is None else self.loop.timing

    @property
    def n_frames(self) -> int:
        return 0 if self.loop is None else int(self.loop.n_frames)

    @property
    def frame_index(self) -> int:
        """Current frame, 0-based."""
        return self._index

    @property
    def frame_number(self) -> int:
        """Current frame, 1-based (DICOM numbering); 0 when no loop is shown."""
        return self._index + 1 if self.loop is not None else 0

    @property
    def loop_range(self) -> tuple[int, int]:
        """Frames played (0-based, inclusive)."""
        if self._cine is None:
            return 0, 0
        return self._cine.first, self._cine.last

    def set_loop(self, loop: Any, frame: int = 0) -> None:
        """Show ``loop`` (closing the one shown before) at 0-based ``frame``."""
        self.pause()
        previous, self.loop = self.loop, loop
        if previous is not None and previous is not loop:
            previous.close()
        self._generation += 1
        self.displayed_index = None
        self.dropped_frames = self.shown_frames = 0
        self._cine = None if loop is None else CineClock(loop.timing, self._clock)
        self._index = -1
        self.empty_label.setVisible(loop is None)
        self._build_outlines()
        self.ecg_strip.show_loop(loop)
        self._place_labels()
        if loop is None:
            self.image_item.clear()
            self.title_label.clear()
            self.frame_label.clear()
            self.loopChanged.emit(None)
            return
        self.title_label.setText(self._title_text())
        self._place_labels()
        self._fit_mode = True
        self.show_frame(frame)
        self.loopChanged.emit(loop)

    def _title_text(self) -> str:
        info = self.info
        name = display_name(getattr(info, "patient_name", ""))
        lines = [" · ".join(p for p in (name, str(getattr(info, "series_description", "") or "")) if p)]
        timing = self.timing
        hr = getattr(timing, "heart_rate_bpm", None)
        details = [loop_name(info), f"{info.columns}×{info.rows}"]
        details += [f"{self.n_frames} frames", f"{timing.fps:.0f} fps"] if self.n_frames > 1 else ["still"]
        if hr:
            details.append(f"HR {hr:.0f} bpm")
        lines.append(" · ".join(details))
        return "\n".join(lines)

    # --- frames ------------------------------------------------------------------------------
    def show_frame(self, index: int) -> None:
        """Make 0-based frame ``index`` current and display it as soon as it is decoded."""
        if self.loop is None:
            return
        index = min(max(int(index), 0), self.n_frames - 1)
        if index != self._index:
            self._index = index
            self._update_frame_label()
            self.ecg_strip.set_time(float(self.timing.frame_times_ms[index]))
            self.frameChanged.emit(index + 1)
        self._fetch(index)

    def _fetch(self, index: int) -> None:
        generation = self._generation
        try:
            future = self.loop.request(index)
        except Exception as exc:  # noqa: BLE001 - the loop failed mid-way: notice, keep going
            self._fail(exc)
            return
        if future.done():
            self._present(generation, index, future)
        else:
            future.add_done_callback(lambda f, g=generation, k=index: self._emit_ready(g, k, f))

    def _emit_ready(self, generation: int, index: int, future: Future) -> None:
        with contextlib.suppress(RuntimeError):  # the viewport was deleted while the frame decoded
            self._frameReady.emit(generation, index, future)

    def _present(self, generation: int, index: int, future: Future) -> None:
        if generation != self._generation or index != self._index or future.cancelled():
            return  # a frame asked for and then given up (another frame, loop or a closed window): nothing to show
        exc = future.exception()
        if exc is not None:
            self._fail(exc)
            return
        self.image_item.setImage(future.result(), autoLevels=False)
        first_image = self.displayed_index is None
        self.displayed_index = index
        if first_image:
            self.fit()
        self.frameDisplayed.emit(index + 1)

    def current_image(self) -> np.ndarray | None:
        """Pixels on screen (as decoded, before display levels)."""
        return self.image_item.image

    def _fail(self, exc: BaseException) -> None:
        self.pause()
        path = getattr(self.info, "path", "")
        message = str(exc)
        if str(path) and str(path) not in message:
            message = f"{path}: {message}"
        self.failed.emit(f"frame {self._index + 1} could not be shown — {message}")

    def _update_frame_label(self) -> None:
        timing = self.timing
        t_s = float(timing.frame_times_ms[self._index]) / 1000.0
        speed = f" · ×{self._cine.speed:g}" if self._cine and self._cine.speed != 1 else ""
        first, last = self.loop_range
        loop = f" · range {first + 1}–{last + 1}" if (first, last) != (0, self.n_frames - 1) else ""
        text = f"Frame {self._index + 1}/{self.n_frames} · {t_s:.3f} s{speed}{loop}"
        if len(text) != len(self.frame_label.text()):
            self.frame_label.setText(text)
            self._place_labels()
        else:
            self.frame_label.setText(text)

    # --- navigation --------------------------------------------------------------------------
    def step(self, delta: int) -> None:
        """Pause and move ``delta`` frames, wrapping inside the loop range."""
        if self.loop is None:
            return
        self.pause()
        first, last = self.loop_range
        span = last - first + 1
        index = self._index if first <= self._index <= last else first
        self.show_frame(first + (index - first + delta) % span)

    def step_beat(self, delta: int) -> None:
        """Pause and go to the frame at the next (``delta`` > 0) or previous R wave, wrapping."""
        if self.loop is None:
            return
        self.pause()
        target = beat_step(self.beat_frames(), self._index, delta)
        if target is not None:
            self.show_frame(target)

    def beat_frames(self) -> list[int]:
        """0-based frames at the loop's R waves (the timing's, else those of a linked ECG waveform)."""
        if self.loop is None:
            return []
        timing = self.timing
        return beat_frames(timing.frame_times_ms, self.ecg_strip.r_wave_times_ms, timing.duration_ms)

    def first(self) -> None:
        self.pause()
        self.show_frame(self.loop_range[0])

    def last(self) -> None:
        self.pause()
        self.show_frame(self.loop_range[1])

    def set_loop_range(self, first: int, last: int) -> None:
        """Play and step only frames ``first..last`` (0-based, inclusive)."""
        if self._cine is not None:
            self._cine.set_range(first, last)
            self._update_frame_label()

    def clear_loop_range(self) -> None:
        self.set_loop_range(0, self.n_frames - 1)

    # --- playback ----------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def speed(self) -> float:
        return 1.0 if self._cine is None else self._cine.speed

    def set_speed(self, speed: float) -> None:
        if self._cine is not None:
            self._cine.set_speed(speed)
            if self._playing:
                self._schedule()
            self._update_frame_label()

    def play(self) -> None:
        if self._cine is None or self._playing or self.n_frames < 2:
            return
        self._cine.start(self._index)
        self._playing = True
        self.playingChanged.emit(True)
        self.tick()

    def pause(self) -> None:
        if not self._playing:
            return
        self._playing = False
        self._timer.stop()
        if self._cine is not None:
            self._cine.stop()
        self.playingChanged.emit(False)

    def toggle_play(self) -> None:
        self.pause() if self._playing else self.play()

    def tick(self) -> None:
        """Show the frame due now (skipping any the display missed) and schedule the next one."""
        if not self._playing or self._cine is None:
            return
        due = self._cine.frame_now()
        if due != self._index:
            self.dropped_frames += self._cine.frames_skipped(self._index, due)
            self.shown_frames += 1
            self.show_frame(due)
            self.prefetch_ahead(due)
        self._schedule()

    def _schedule(self) -> None:
        if self._playing and self._cine is not None:
            self._timer.start(max(1, math.ceil(self._cine.ms_until_next_frame())))

    def prefetch_ahead(self, index: int) -> None:
        """Queue decoding of the frames that follow ``index`` in the loop range."""
        first, last = self.loop_range
        span = last - first + 1
        ahead = [first + (index - first + i) % span for i in range(1, min(PREFETCH_AHEAD, span - 1) + 1)]
        try:
            self.loop.prefetch(ahead)
        except Exception as exc:  # noqa: BLE001
            self._fail(exc)

    # --- view --------------------------------------------------------------------------------
    def fit(self) -> None:
        """Whole image in view; stays fitted on resize until the user zooms."""
        self._fit_mode = True
        if self.loop is not None:
            self.view_box.setRange(QRectF(0, 0, self.info.columns, self.info.rows), padding=0.0)

    def _refit(self) -> None:
        """Fit again after a resize, unless the user zoomed in the meantime."""
        if self._fit_mode:
            self.fit()

    def one_to_one(self) -> None:
        """One image pixel per screen pixel, on whole-pixel offsets (crisp, and Qt's fastest blit)."""
        (x0, x1), (y0, y1) = self.view_box.viewRange()
        self.set_scale(1.0, (math.floor((x0 + x1) / 2), math.floor((y0 + y1) / 2)))

    def set_scale(self, screen_px_per_image_px: float, centre: tuple[float, float] | None = None) -> None:
        """Zoom so one image pixel spans ``screen_px_per_image_px`` screen pixels around ``centre``."""
        self._fit_mode = False
        (x0, x1), (y0, y1) = self.view_box.viewRange()
        cx, cy = centre if centre is not None else ((x0 + x1) / 2, (y0 + y1) / 2)
        rect = self.view_box.boundingRect()  # pyqtgraph pads the central item by half a pixel
        width = math.floor(rect.width()) / screen_px_per_image_px
        height = math.floor(rect.height()) / screen_px_per_image_px
        left, top = cx - width / 2, cy - height / 2
        if screen_px_per_image_px == 1.0:
            left, top = math.floor(left), math.floor(top)
        self.view_box.setRange(xRange=(left, left + width), yRange=(top, top + height), padding=0.0)

    def zoom(self, factor: float) -> None:
        """Zoom by ``factor`` (>1 enlarges) about the view centre."""
        self._fit_mode = False
        self.view_box.scaleBy((1.0 / factor, 1.0 / factor))

    def image_to_widget(self, x: float, y: float) -> QPointF:
        """Position inside ``graphics.viewport()`` of image coordinate ``(x, y)`` (for tests and tools)."""
        scene = self.image_item.mapToScene(QPointF(x, y))
        return QPointF(self.graphics.mapFromScene(scene))

    def set_brightness_contrast(self, brightness: int, contrast: int) -> None:
        """Display-only brightness/contrast (-100..100 each); 0/0 shows the pixels as stored."""
        self.brightness, self.contrast = int(brightness), int(contrast)
        self._levels = display_levels(self.brightness, self.contrast)
        self.image_item.setLevels(self._levels)

    def set_active(self, active: bool) -> None:
        self.setProperty("active", active)
        self.style().unpolish(self)
        self.style().polish(self)

    # --- region outlines ---------------------------------------------------------------------
    def set_region_outlines(self, visible: bool) -> None:
        self._outlines_visible = visible
        for item in self._outline_items:
            item.setVisible(visible)

    def _build_outlines(self) -> None:
        for item in self._outline_items:
            self.view_box.removeItem(item)
        self._outline_items = []
        for region in self.regions:
            if region.spatial_format == SpatialFormat.NONE:
                continue  # a blank whole-screen region: nothing to outline
            colour = QColor(_REGION_COLOURS.get(region.spatial_format, "#9e9e9e"))
            x0, y0, x1, y1 = region.bounds
            rect = QGraphicsRectItem(QRectF(x0, y0, x1 - x0 + 1, y1 - y0 + 1))
            pen = QPen(colour, 1.5)
            pen.setCosmetic(True)
            pen.setStyle(Qt.PenStyle.DashLine)
            rect.setPen(pen)
            label = pg.TextItem(region_name(region, len(self.regions)), color=colour, anchor=(0, 0))
            label.setPos(x0 + 2, y0 + 2)
            items: list[Any] = [rect, label]
            if region.is_spectral and y0 <= region.baseline_y <= y1 + 1:
                baseline = QGraphicsLineItem(x0, region.baseline_y, x1 + 1, region.baseline_y)
                baseline_pen = QPen(colour, 1.0)
                baseline_pen.setCosmetic(True)
                baseline.setPen(baseline_pen)
                items.append(baseline)
            for item in items:
                item.setVisible(self._outlines_visible)
                self.view_box.addItem(item, ignoreBounds=True)
                self._outline_items.append(item)

    # --- overlays and the cursor -------------------------------------------------------------
    def add_overlay_item(self, item: Any) -> None:
        """Add a pyqtgraph item drawn in image coordinates above the image."""
        self.view_box.addItem(item, ignoreBounds=True)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        if self.loop is None:
            return
        pos = self.image_item.mapFromScene(scene_pos)
        x, y = pos.x(), pos.y()
        if 0 <= x < self.info.columns and 0 <= y < self.info.rows:
            self.cursorMoved.emit(x, y)
            handler = getattr(self.tool, "mouse_move", None)
            if handler is not None:
                handler(self, pos)
        else:
            self.cursorLeft.emit()
