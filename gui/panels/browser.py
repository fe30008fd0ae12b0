"""Study browser: patient / study / series / loop and volume tree with a thumbnail per loop.

The tree is built at once from the study catalog (header data only); thumbnails are decoded on a
background task and filled in as they arrive, so a 2,000-file folder shows at once. Each thumbnail
starts where the index found the Pixel Data (no second header parse) and decodes frame 1 at a
reduced size; they reach the GUI thread in batches, at most ``THUMBNAIL_BATCH_S`` apart.
Double-click or Enter on a loop emits ``loopActivated(LoopInfo)``, on a 3D volume
``volumeActivated(VolumeInfo)``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPaintEvent, QPalette, QPixmap
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from gui.tasks import TaskRunner
from gui.viewer.viewport import loop_name as loop_label
from imaging.catalog import StudyCatalog
from imaging.decode import reduced_first_frame
from imaging.text import display_name
from imaging.volume import VolumeInfo

THUMB_WIDTH = 88
THUMB_HEIGHT = 66
INFO_ROLE = Qt.ItemDataRole.UserRole + 1
VOLUME_ROLE = Qt.ItemDataRole.UserRole + 2
#: Least time between two batches of thumbnails sent to the GUI thread (8 per second).
THUMBNAIL_BATCH_S = 0.125


def thumbnail_image(frame: np.ndarray, width: int = THUMB_WIDTH, height: int = THUMB_HEIGHT) -> QImage:
    """A uint8 frame (RGB or mono) as a QImage fitting ``width`` x ``height``: subsampled to no less
    than that (cheap on a full-size frame), then smoothly scaled by Qt."""
    step = max(1, min(frame.shape[1] // width, frame.shape[0] // height))
    small = np.ascontiguousarray(frame[::step, ::step])
    h, w = small.shape[:2]
    kind = QImage.Format.Format_Grayscale8 if small.ndim == 2 else QImage.Format.Format_RGB888
    image = QImage(small.data, w, h, small.strides[0], kind)
    # scaled() makes a new image that owns its pixels (the numpy buffer dies with this frame)
    return image.scaled(width, height, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)


def make_thumbnail(info: Any, catalog: StudyCatalog, open_loop: Callable[[Any], Any]) -> QImage:
    """The thumbnail of one loop: a reduced decode where the index found its Pixel Data, else
    frame 1 of the loop opened with ``open_loop`` (errors from there propagate)."""
    layout = catalog.layouts.get(str(info.sop_instance_uid))
    small = None
    if layout is not None:
        try:
            small = reduced_first_frame(layout, THUMB_WIDTH, THUMB_HEIGHT)
        except (OSError, ValueError):  # moved, changed or damaged since indexed: the full decoder says why
            small = None
    if small is None:
        loop = open_loop(info)
        try:
            small = loop.frame(0)
        finally:
            loop.close()
    return thumbnail_image(small)


def volume_details(info: VolumeInfo) -> str:
    """What a 3D volume is: its voxel grid and time points."""
    columns, rows, slices = info.dimensions
    return f"3D volume, {columns}×{rows}×{slices}, {time_points(info)}"


def time_points(info: VolumeInfo) -> str:
    """The volume's time points in words ("4 time points"): a volume has no frames to count."""
    return f"{info.timepoints} time point" + ("s" if info.timepoints != 1 else "")


def volume_duration(info: VolumeInfo) -> str:
    """The cycle the time points cover (each lasts the frame time, as a loop's frames do); "still" for
    one time point, "no timing" when the file gives no frame time."""
    if info.timepoints < 2:
        return "still"
    if not info.frame_time_ms:
        return "no timing"
    return f"{info.timepoints * info.frame_time_ms / 1000:.2f} s"


def loop_details(info: Any) -> str:
    """Modality details: size, colour encoding, frame rate, calibrated regions."""
    kinds = sorted({r.spatial_format_name for r in info.regions if r.is_calibrated})
    regions = ", ".join(kinds) if kinds else "uncalibrated"
    rate = f"{info.timing.fps:.0f} fps" if info.n_frames > 1 else "still"
    return f"{info.modality} {info.columns}×{info.rows} · {rate} · {regions}"


def _date(value: str) -> str:
    return f"{value[:4]}-{value[4:6]}-{value[6:8]}" if len(value or "") == 8 else (value or "no date")


def _tool_tips(item: QTreeWidgetItem, text: str) -> None:
    """The row's full text on every column, for a dock too narrow to show it."""
    for column in range(3):
        item.setToolTip(column, text)


#: Drawn in the empty tree: where studies come from.
EMPTY_HINT = ("No study open.\n\nFile → Open Folder… (Ctrl+Shift+O), Open Files… (Ctrl+O) or Open DICOMDIR… "
              "(Ctrl+D), or drop DICOM files on the window.\n\nFile → Open Demo Study shows a synthetic example.")


class StudyBrowser(QTreeWidget):
    """The tree; ``show_catalog(catalog)`` fills it and starts the thumbnails."""

    loopActivated = Signal(object)    # LoopInfo
    volumeActivated = Signal(object)  # VolumeInfo
    thumbnailsDone = Signal()
    _thumbnails = Signal(object)      # [(sop uid, QImage)] from the thumbnail task

    def __init__(self, tasks: TaskRunner, open_loop: Callable[[Any], Any],
                 parent: QWidget | None = None) -> None:
        """``open_loop(info)`` opens a loop for thumbnailing (with its own small frame cache)."""
        super().__init__(parent)
        self._tasks = tasks
        self._open_loop = open_loop
        self._items: dict[str, QTreeWidgetItem] = {}
        self._thumb_task: Any = None
        self.setColumnCount(3)
        self.setHeaderLabels(["Loop", "Frames", "Duration"])
        self.setIconSize(QSize(THUMB_WIDTH, THUMB_HEIGHT))
        self.setUniformRowHeights(False)
        self.setAlternatingRowColors(True)
        self.setRootIsDecorated(True)
        self.setIndentation(12)
        self.setWordWrap(True)  # a row's details wrap under its name in a narrow dock: none is cut off
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):  # as wide as their text ("4 time points")
            self.header().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.header().setStretchLastSection(False)
        self.itemActivated.connect(self._on_activated)
        self._thumbnails.connect(self._set_thumbnails)
        self._placeholder = self._placeholder_icon()
        self._volume_icon = self._cube_icon()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.topLevelItemCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
            painter.drawText(self.viewport().rect().adjusted(16, 16, -16, -16),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                             EMPTY_HINT)
            painter.end()

    @staticmethod
    def _placeholder_icon() -> QIcon:
        pixmap = QPixmap(THUMB_WIDTH, THUMB_HEIGHT)
        pixmap.fill(QColor("#101215"))
        return QIcon(pixmap)

    @staticmethod
    def _cube_icon() -> QIcon:
        """A wire cube on the placeholder: this row is a 3D volume, not a loop."""
        pixmap = QPixmap(THUMB_WIDTH, THUMB_HEIGHT)
        pixmap.fill(QColor("#101215"))
        painter = QPainter(pixmap)
        painter.setPen(QColor("#4fc3f7"))
        x, y, side, depth = 28, 22, 28, 10
        painter.drawRect(x, y, side, side)
        painter.drawRect(x + depth, y - depth, side, side)
        for dx, dy in ((0, 0), (side, 0), (0, side), (side, side)):
            painter.drawLine(x + dx, y + dy, x + depth + dx, y - depth + dy)
        painter.end()
        return QIcon(pixmap)

    # --- filling -----------------------------------------------------------------------------
    def show_catalog(self, catalog: StudyCatalog) -> None:
        """Replace the tree with ``catalog`` (the open study)."""
        self.cancel_thumbnails()
        self.clear()
        self._items = {}
        for patient in catalog.patients:
            name = display_name(patient.name) or "(no name)"
            patient_item = self._group(self, f"{name}   ID {patient.patient_id or '—'}")
            for study in patient.studies:
                title = " · ".join(p for p in (_date(str(study.date or "")), str(study.description or "")) if p)
                study_item = self._group(patient_item, f"Study {title}")
                for series in study.series:
                    description = str(series.description or "") or "(no description)"
                    series_item = self._group(study_item, f"{series.modality} series {series.number or ''} · {description}")
                    for info in series.loops:
                        self._items[str(info.sop_instance_uid)] = self._loop_item(series_item, info)
                    for volume in series.volumes:
                        self._volume_item(series_item, volume)
        self.expandAll()
        self.start_thumbnails(catalog.loops(), catalog)

    @staticmethod
    def _group(parent: Any, text: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent, [text])
        item.setFirstColumnSpanned(True)
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        return item

    def _loop_item(self, parent: QTreeWidgetItem, info: Any) -> QTreeWidgetItem:
        timing = info.timing
        title = " · ".join(p for p in (loop_label(info), str(info.series_description or "")) if p)
        duration = f"{timing.duration_ms / 1000:.2f} s" if info.n_frames > 1 else "still"
        item = QTreeWidgetItem(parent, [f"{title}\n{loop_details(info)}", str(info.n_frames), duration])
        item.setData(0, INFO_ROLE, info)
        item.setIcon(0, self._placeholder)
        _tool_tips(item, f"{title}\n{loop_details(info)}\n{info.path}")
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    def _volume_item(self, parent: QTreeWidgetItem, info: VolumeInfo) -> QTreeWidgetItem:
        """A volume's row: it opens in the volume viewer, never as a loop."""
        details = volume_details(info)
        item = QTreeWidgetItem(parent, [f"{info.path.name}\n{details}", time_points(info), volume_duration(info)])
        item.setData(0, VOLUME_ROLE, info)
        item.setIcon(0, self._volume_icon)
        _tool_tips(item, f"{info.path.name}\n{details}, {volume_duration(info)}\n{info.path}"
                         " (double-click: volume viewer)")
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    # --- thumbnails --------------------------------------------------------------------------
    def start_thumbnails(self, loops: Iterable[Any], catalog: StudyCatalog | None = None) -> None:
        loops = list(loops)
        index = catalog if catalog is not None else StudyCatalog()

        def work(progress: Any, cancel: threading.Event) -> int:
            batch: list[tuple[str, QImage]] = []
            sent = time.monotonic()
            for done, info in enumerate(loops, 1):
                if cancel.is_set():
                    break
                with contextlib.suppress(Exception):  # the loop itself reports its error when opened
                    batch.append((str(info.sop_instance_uid), make_thumbnail(info, index, self._open_loop)))
                if time.monotonic() - sent >= THUMBNAIL_BATCH_S or done == len(loops):
                    self._thumbnails.emit(batch)
                    progress(done, len(loops), "thumbnails")
                    batch, sent = [], time.monotonic()
            return len(loops)

        self._thumb_task = self._tasks.start("Thumbnails", work, on_done=lambda _n: self.thumbnailsDone.emit())

    def cancel_thumbnails(self) -> None:
        if self._thumb_task is not None:
            self._thumb_task.cancel.set()
            self._thumb_task = None

    def _set_thumbnails(self, batch: list[tuple[str, QImage]]) -> None:
        for sop_uid, image in batch:
            item = self._items.get(sop_uid)
            if item is not None:
                item.setIcon(0, QIcon(QPixmap.fromImage(image)))

    def has_thumbnail(self, sop_uid: str) -> bool:
        item = self._items.get(sop_uid)
        return item is not None and item.icon(0).cacheKey() != self._placeholder.cacheKey()

    # --- navigation --------------------------------------------------------------------------
    def loop_infos(self) -> list[Any]:
        """Every loop in tree order."""
        return [item.data(0, INFO_ROLE) for item in self._items.values()]

    def neighbour(self, sop_uid: str | None, delta: int) -> Any | None:
        """The loop ``delta`` places after ``sop_uid`` in tree order (wrapping), or the first."""
        infos = self.loop_infos()
        if not infos:
            return None
        uids = [str(i.sop_instance_uid) for i in infos]
        if sop_uid not in uids:
            return infos[0]
        return infos[(uids.index(sop_uid) + delta) % len(infos)]

    def select(self, sop_uid: str) -> None:
        item = self._items.get(sop_uid)
        if item is not None:
            self.setCurrentItem(item)

    def _on_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        info = item.data(0, INFO_ROLE)
        volume = item.data(0, VOLUME_ROLE)
        if info is not None:
            self.loopActivated.emit(info)
        elif volume is not None:
            self.volumeActivated.emit(volume)
