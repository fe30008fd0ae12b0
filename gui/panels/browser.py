"""Study browser: patient / study / series / loop tree with a thumbnail per loop.

The tree is built at once from the study catalog (header data only); thumbnails are decoded on a
background task and filled in as they arrive, so a 60-loop study shows immediately. Double-click
or Enter on a loop emits ``loopActivated(LoopInfo)``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPaintEvent, QPalette, QPixmap
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from gui.tasks import TaskRunner
from gui.viewer.viewport import loop_name as loop_label
from imaging.catalog import StudyCatalog
from imaging.text import display_name

THUMB_WIDTH = 88
THUMB_HEIGHT = 66
INFO_ROLE = Qt.ItemDataRole.UserRole + 1


def thumbnail_image(frame: np.ndarray, width: int = THUMB_WIDTH) -> QImage:
    """Small copy of a uint8 frame (RGB or mono) as a QImage, by plain subsampling (fast, no Qt)."""
    step = max(1, int(np.ceil(frame.shape[1] / width)))
    small = np.ascontiguousarray(frame[::step, ::step])
    h, w = small.shape[:2]
    if small.ndim == 2:
        image = QImage(small.data, w, h, small.strides[0], QImage.Format.Format_Grayscale8)
    else:
        image = QImage(small.data, w, h, small.strides[0], QImage.Format.Format_RGB888)
    return image.copy()  # own the pixels: the numpy buffer dies with this frame


def loop_details(info: Any) -> str:
    """Modality details: size, colour encoding, frame rate, calibrated regions."""
    kinds = sorted({r.spatial_format_name for r in info.regions if r.is_calibrated})
    regions = ", ".join(kinds) if kinds else "uncalibrated"
    rate = f"{info.timing.fps:.0f} fps" if info.n_frames > 1 else "still"
    return f"{info.modality} {info.columns}×{info.rows} · {rate} · {regions}"


def _date(value: str) -> str:
    return f"{value[:4]}-{value[4:6]}-{value[6:8]}" if len(value or "") == 8 else (value or "no date")


#: Drawn in the empty tree: where studies come from.
EMPTY_HINT = ("No study open.\n\nFile → Open Folder… (Ctrl+Shift+O), Open Files… (Ctrl+O) or Open DICOMDIR… "
              "(Ctrl+D), or drop DICOM files on the window.\n\nFile → Open Demo Study shows a synthetic example.")


class StudyBrowser(QTreeWidget):
    """The tree; ``show_catalog(catalog)`` fills it and starts the thumbnails."""

    loopActivated = Signal(object)    # LoopInfo
    thumbnailsDone = Signal()
    _thumbnail = Signal(str, QImage)  # sop uid, image (from the thumbnail task)

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
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            self.header().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.header().setStretchLastSection(False)
        self.itemActivated.connect(self._on_activated)
        self._thumbnail.connect(self._set_thumbnail)
        self._placeholder = self._placeholder_icon()

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
        self.expandAll()
        self.start_thumbnails(catalog.loops())

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
        item.setToolTip(0, f"{info.path}\n{loop_details(info)}")
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    # --- thumbnails --------------------------------------------------------------------------
    def start_thumbnails(self, loops: Iterable[Any]) -> None:
        loops = list(loops)

        def work(progress: Any, cancel: threading.Event) -> int:
            for done, info in enumerate(loops, 1):
                if cancel.is_set():
                    break
                try:
                    loop = self._open_loop(info)
                    try:
                        frame = loop.frame(0)
                    finally:
                        loop.close()
                except Exception:  # noqa: BLE001 - the loop itself reports its error when opened
                    continue
                self._thumbnail.emit(str(info.sop_instance_uid), thumbnail_image(frame))
                progress(done, len(loops), "thumbnails")
            return len(loops)

        self._thumb_task = self._tasks.start("Thumbnails", work, on_done=lambda _n: self.thumbnailsDone.emit())

    def cancel_thumbnails(self) -> None:
        if self._thumb_task is not None:
            self._thumb_task.cancel.set()
            self._thumb_task = None

    def _set_thumbnail(self, sop_uid: str, image: QImage) -> None:
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
        if info is not None:
            self.loopActivated.emit(info)
