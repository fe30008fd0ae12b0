"""File → Export Cine…: the active viewport's loop (its loop range, if set) as MP4, GIF or animated PNG.

The dialog names the file, the frame range (the viewer's loop range, else the whole loop), whether
the open case's marks are burned in, and, to anonymise, the area kept: the banner outside it is
shown blanked on the current frame and the export waits until the user ticks that they checked it.
The encoding runs on the window's task runner (report.cine); the file is created 0600 and a failure
is a notice naming the file.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QAction, QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

if TYPE_CHECKING:  # report.cine and its encoders load when a cine is exported, not with the window
    from gui.main_window import MainWindow
    from gui.tasks import Progress
    from planning.case import Case
    from report.cine import CineResult
    from report.mask import Rect

PREVIEW_WIDTH = 360
FILE_FILTER = "MP4 video, H.264 (*.mp4);;Animated GIF (*.gif);;Animated PNG (*.png *.apng)"


@dataclass(frozen=True)
class CineChoice:
    """What the user asked for: file, 1-based inclusive range, marks, and the area kept (() = not blanked)."""

    out: Path
    first: int
    last: int
    burn_marks: bool
    every_frame: bool
    keep: tuple[Rect, ...]


class ExportCineDialog(QDialog):
    """File, range, marks and banner blanking of one loop's cine export."""

    def __init__(self, path: Path, n_frames: int, frame_range: tuple[int, int], frame: np.ndarray,
                 regions: Sequence[Rect], has_marks: bool, parent: QWidget | None = None,
                 folder: Path | None = None) -> None:
        """``folder``: where the file goes by default (the case's folder; else the user's home: a study's
        own folder may be a CD or a PACS cache)."""
        super().__init__(parent)
        self.setWindowTitle(f"Export Cine — {path.name}")
        self.frame, self.regions = frame, tuple(regions)
        rows, cols = frame.shape[:2]
        form = QFormLayout(self)
        self.out = QLineEdit(str((folder or Path.home()) / f"{path.stem}.mp4"), self)
        self.out.setObjectName("cine-out")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.out, 1)
        row.addWidget(browse)
        label = QLabel("&File:", self)
        label.setBuddy(self.out)
        form.addRow(label, row)
        self.first, self.last = self._spin(1, n_frames, frame_range[0]), self._spin(1, n_frames, frame_range[1])
        frames = QHBoxLayout()
        for text, spin in (("from", self.first), ("to", self.last)):
            frames.addWidget(QLabel(text, self))
            frames.addWidget(spin)
        frames.addWidget(QLabel(f"of 1–{n_frames}", self))
        form.addRow("Frames:", frames)
        self.marks = QCheckBox("Burn in the case's marks (each on the frame it was drawn on)", self)
        self.marks.setChecked(has_marks)
        self.marks.setEnabled(has_marks)
        self.every_frame = QCheckBox("Show each mark on every frame (not only the frame it was drawn on)", self)
        self.every_frame.setEnabled(has_marks)
        form.addRow(self.marks)
        form.addRow(self.every_frame)
        self.blank = QCheckBox("&Blank the banner (anonymise): keep only the image area", self)
        form.addRow(self.blank)
        x0, y0, x1, y1 = self.regions[0] if len(self.regions) == 1 else (0, 0, cols - 1, rows - 1)
        self.area = [self._spin(0, cols - 1, x0), self._spin(0, rows - 1, y0),
                     self._spin(0, cols - 1, x1), self._spin(0, rows - 1, y1)]
        area_row = QHBoxLayout()
        for text, spin in zip(("from left x", "top y", "to right x", "bottom y"), self.area, strict=True):
            spin.setSuffix(" px")
            area_row.addWidget(QLabel(text, self))
            area_row.addWidget(spin)
            spin.setEnabled(False)
            spin.valueChanged.connect(lambda _v: self._update())
        form.addRow("Image area kept (pixels):", area_row)
        self.area_text = QLabel(self)
        self.area_text.setWordWrap(True)
        self.preview = QLabel(self)
        self.preview.setObjectName("cine-area-preview")
        self.confirm = QCheckBox("I checked the preview: the patient's name and ID are in the blanked part", self)
        form.addRow(self.area_text)
        form.addRow(self.preview)
        form.addRow(self.confirm)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.export_button = self.buttons.addButton("&Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        for box in (self.blank, self.confirm, self.marks):
            box.toggled.connect(lambda _on: self._update())
        for box in (self.marks, self.every_frame, self.blank, self.confirm):  # as wide as its words, no wider
            box.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        for widget in (self.first, self.last):
            widget.valueChanged.connect(lambda _v: self._update())
        self.out.textChanged.connect(lambda _t: self._update())
        self._update()

    def _spin(self, low: int, high: int, value: int) -> QSpinBox:
        spin = QSpinBox(self)
        spin.setRange(low, high)
        spin.setValue(value)
        return spin

    def _browse(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self, "Export cine to", self.out.text(), FILE_FILTER)
        if chosen:
            self.out.setText(chosen)

    def keep(self) -> tuple[Rect, ...]:
        """The rectangles kept: the file's ultrasound regions, else the area typed; () when not blanking."""
        if not self.blank.isChecked():
            return ()
        if len(self.regions) > 1:
            return self.regions
        x0, y0, x1, y1 = (s.value() for s in self.area)
        return ((x0, y0, x1, y1),)

    def problem(self) -> str:
        """Why Export is disabled ("" when it is not)."""
        from report.cine import FORMATS

        if Path(self.out.text()).suffix.lower() not in FORMATS:
            return "The file must end .mp4, .gif or .png (animated PNG)"
        if self.first.value() > self.last.value():
            return "The first frame is after the last"
        keep = self.keep()
        if keep and any(x1 < x0 or y1 < y0 for x0, y0, x1, y1 in keep):
            return "The area kept is empty"
        if keep and not self.confirm.isChecked():
            return "Check the blanked area and tick the box to export"
        return ""

    def _update(self) -> None:
        from report.cine import describe_keep

        blanking = self.blank.isChecked()
        for spin in self.area:
            spin.setEnabled(blanking and len(self.regions) <= 1)
        self.every_frame.setEnabled(self.marks.isEnabled() and self.marks.isChecked())
        self.confirm.setEnabled(blanking)
        self.preview.setVisible(blanking)
        keep = self.keep()
        rows, cols = self.frame.shape[:2]
        valid = keep and all(x1 >= x0 and y1 >= y0 for x0, y0, x1, y1 in keep)
        self.area_text.setText(describe_keep(keep, rows, cols) if valid else "")
        self.area_text.setVisible(bool(valid))
        if valid:
            self.preview.setPixmap(_area_preview(self.frame, keep))
        problem = self.problem()
        self.export_button.setEnabled(not problem)
        self.export_button.setToolTip(problem)

    def choice(self) -> CineChoice:
        return CineChoice(Path(self.out.text()).expanduser(), self.first.value(), self.last.value(),
                          self.marks.isChecked(), self.every_frame.isChecked() and self.marks.isChecked(), self.keep())


def _area_preview(frame: np.ndarray, keep: Sequence[Rect]) -> QPixmap:
    """The frame as it will be written (blanked outside ``keep``), the kept area outlined in red."""
    from report.keyimages import array_to_qimage
    from report.mask import mask_outside

    image = array_to_qimage(mask_outside(frame, keep))
    painter = QPainter(image)
    painter.setPen(QPen(QColor("#ff3030"), max(1.0, frame.shape[1] / PREVIEW_WIDTH)))
    for x0, y0, x1, y1 in keep:
        painter.drawRect(QRectF(x0, y0, x1 - x0 + 1, y1 - y0 + 1))
    painter.end()
    return QPixmap.fromImage(image).scaledToWidth(PREVIEW_WIDTH, Qt.TransformationMode.SmoothTransformation)


def _has_marks(case: Case | None, uid: str) -> bool:
    return case is not None and any(m.sop_instance_uid == uid and m.points for m in case.marks)


def run_export(path: Path, choice: CineChoice, case: Case | None, progress: Progress,
               cancel: threading.Event) -> CineResult:
    """The export itself (on a worker thread): its own Loop of ``path``, the case's marks on it."""
    from imaging.loop import Loop
    from report.cine import export_cine, marks_of_case

    with Loop.open(path) as loop:
        uid = loop.info.sop_instance_uid
        marks, captions = marks_of_case(case, path, loop.info, uid) if case is not None and choice.burn_marks \
            else ([], {})
        choice.out.parent.mkdir(parents=True, exist_ok=True)
        return export_cine(loop, choice.out, choice.first, choice.last, marks=marks, captions=captions,
                           keep=choice.keep, every_frame=choice.every_frame, progress=progress, cancel=cancel)


class ExportCineActions:
    """File → Export Cine… of the window's active viewport."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.dialog: ExportCineDialog | None = None
        self.action = QAction("Export &Cine…", window)
        self.action.setStatusTip("Write the shown loop (or its loop range) as MP4, GIF or animated PNG,"
                                 " marks burned in")
        self.action.triggered.connect(lambda _checked=False: self.open_dialog())
        window.addAction(self.action)

    def open_dialog(self) -> ExportCineDialog | None:
        """The dialog for the active viewport's loop (window-modal, not blocking); None when no loop is shown."""
        viewport = self.window.grid.active
        if viewport.loop is None or viewport.info is None:
            self.window.notices.warning("Export cine: no loop is shown in the active viewport")
            return None
        info, (first, last) = viewport.info, viewport.loop_range
        document = self.window.session.document
        case = None if document is None else document.case
        frame = viewport.loop.frame(max(viewport.frame_index, 0))
        dialog = ExportCineDialog(Path(info.path), viewport.n_frames, (first + 1, last + 1), frame,
                                  [r.bounds for r in info.regions],
                                  _has_marks(case, str(info.sop_instance_uid)), self.window,
                                  folder=Path(case.path).parent if case is not None and case.path else None)
        dialog.accepted.connect(lambda: self.start(Path(info.path), dialog.choice(), copy.deepcopy(case)))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def start(self, path: Path, choice: CineChoice, case: Case | None) -> None:
        """Encode on the task runner; a notice says what was written, or names the file that was not."""
        notices = self.window.notices

        def done(result: Any) -> None:
            for warning in result.warnings:
                notices.warning(f"Cine {result.path.name}: {warning}")
            notices.info(f"Cine written to {result.path} ({result.frames} frames, {result.fps:.1f} fps"
                         + (", variable frame time" if result.variable_frame_time else "")
                         + (", banner blanked" if choice.keep else "") + ")")

        def failed(exc: BaseException) -> None:
            cause = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            notices.error(f"{choice.out}: cine not written: {cause}")

        self.window.tasks.start(f"Export cine {choice.out.name}",
                                lambda progress, cancel: run_export(path, choice, case, progress, cancel),
                                on_done=done, on_error=failed)
