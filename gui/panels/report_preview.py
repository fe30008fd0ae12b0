"""Report → Preview and Export: the planning report of a case, page by page as the PDF prints it.

The preview shows ``report.pdf.render_pages`` (the same layout code as the PDF). Building the
report, rendering and exporting run as background tasks, so the window never freezes; failures
become notices (or the dialog's status line) naming the file.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from gui.tasks import Task, TaskRunner

CASE_FILTER = "MitraPlan case (*.mitraplan.json);;JSON (*.json)"
PREVIEW_DPI = 96
_RUNNER: TaskRunner | None = None


def shared_runner() -> TaskRunner:
    """A parentless runner for dialogs opened without the window's: it outlives every dialog, so a
    task still running when its dialog closes never signals through a deleted object."""
    global _RUNNER
    if _RUNNER is None:
        _RUNNER = TaskRunner()
    return _RUNNER


@dataclass
class Prepared:
    """A built report ready to preview and export."""

    report: Any
    sources: Any
    key_images: dict[str, QImage]
    pages: list[QImage]


def prepare(case_path: Path, paper: str) -> Prepared:
    """Load the case, recompute it, render key images and pages (runs on a worker thread)."""
    from planning.case import load_case
    from report.build import build_report
    from report.export import frame_loader
    from report.keyimages import render_all
    from report.pdf import PageSpec, render_pages

    report, sources = build_report(load_case(case_path, lenient=True))
    rendered = render_all(report, frame_loader(sources))
    big = {key: images[1] for key, images in rendered.items()}
    return Prepared(report, sources, big, render_pages(report, PageSpec(paper), PREVIEW_DPI, big))


class ReportPreview(QDialog):
    """The preview dialog of one case: paper, anonymise switch, Export…, and the pages."""

    pagesShown = Signal(int)
    exported = Signal(object)  # report.export.ExportResult
    failed = Signal(str)

    def __init__(self, case_path: str | Path, tasks: TaskRunner | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.case_path = Path(case_path)
        self.tasks = tasks or shared_runner()
        self._running: list[Task] = []
        self.prepared: Prepared | None = None
        self.setWindowTitle(f"Report preview — {self.case_path.name}")
        self.resize(900, 1000)
        self.paper = QComboBox()
        self.paper.addItems(["A4", "Letter"])
        self.anonymise = QCheckBox("Anonymise export")
        self.anonymise.setToolTip("Remove patient identifiers from every output (DICOM: PS3.15 basic profile)")
        self.export_button = QPushButton("Export…")
        self.export_button.setEnabled(False)
        self.status = QLabel("Building the report…")
        row = QHBoxLayout()
        for widget in (QLabel("Paper:"), self.paper, self.anonymise, self.export_button):
            row.addWidget(widget)
        row.addWidget(self.status, 1)
        self.pages = QVBoxLayout()
        self.pages.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        holder = QWidget()
        holder.setLayout(self.pages)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(holder)
        column = QVBoxLayout(self)
        column.addLayout(row)
        column.addWidget(scroll, 1)
        self.paper.currentTextChanged.connect(lambda _p: self.refresh())
        self.export_button.clicked.connect(self.choose_export_folder)
        self.refresh()

    @property
    def page_count(self) -> int:
        return self.pages.count()

    def refresh(self) -> None:
        """Rebuild and re-render in the background (on open and when the paper changes)."""
        self.export_button.setEnabled(False)
        self.status.setText("Building the report…")
        path, paper = self.case_path, self.paper.currentText()
        self._start(f"Report preview {path.name}", lambda _p, _c: prepare(path, paper), self._show)

    def _start(self, name: str, fn: Callable[..., Any], on_done: Callable[[Any], None]) -> None:
        self._running = [t for t in self._running if t in self.tasks.running]
        self._running.append(self.tasks.start(name, fn, on_done=on_done, on_error=self._fail))

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        """Closing cancels this dialog's tasks: their results are dropped, never shown."""
        for task in self._running:
            task.cancel.set()
        super().closeEvent(event)

    def _show(self, prepared: Prepared) -> None:
        self.prepared = prepared
        while self.pages.count():
            item = self.pages.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for n, image in enumerate(prepared.pages):
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(image))
            label.setAccessibleName(f"Report page {n + 1}")
            label.setStyleSheet("border: 1px solid #888; background: white;")
            self.pages.addWidget(label)
        self.export_button.setEnabled(True)
        self.status.setText(f"{len(prepared.pages)} page(s), {self.paper.currentText()}")
        self.pagesShown.emit(len(prepared.pages))

    def _fail(self, exc: BaseException) -> None:
        message = f"{self.case_path}: report not built: {exc}"
        self.status.setText(message)
        self.failed.emit(message)

    def choose_export_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export the report into", str(self.case_path.parent))
        if folder:
            self.export_to(Path(folder))

    def export_to(self, folder: Path) -> None:
        """Write every output into ``folder`` in the background; ``exported`` fires when done."""
        if self.prepared is None:
            return
        from report.export import export_report

        prepared, anonymise, paper = self.prepared, self.anonymise.isChecked(), self.paper.currentText()
        self.export_button.setEnabled(False)
        self.status.setText(f"Exporting into {folder}…")

        def work(_progress: Callable[..., None], _cancel: threading.Event) -> Any:
            return export_report(prepared.report, prepared.sources, folder, anonymise=anonymise, paper=paper)

        self._start(f"Export report to {folder.name}", work, self._exported)

    def _exported(self, result: Any) -> None:
        self.export_button.setEnabled(True)
        self.status.setText(f"Exported {len(result.paths)} file(s) to {result.pdf.parent}")
        self.exported.emit(result)


def install_report_menu(window: QMainWindow) -> None:
    """Add the Report menu (Preview…, Export…) to ``window``, before Help when there is one."""
    bar = window.menuBar()
    menu = bar.addMenu("&Report")
    help_action = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
    if help_action is not None:
        bar.insertMenu(help_action, menu)
    preview = QAction("&Preview Report of a Case…", window)
    preview.setShortcut(QKeySequence("Ctrl+R"))
    preview.setStatusTip("Build the planning report of a case file and show its pages")
    preview.triggered.connect(lambda: _preview_chosen_case(window))
    export = QAction("&Export Report of a Case…", window)
    export.setShortcut(QKeySequence("Ctrl+Shift+R"))
    export.setStatusTip("Write report.pdf, report.json, the DICOM SR and key images of a case")
    export.triggered.connect(lambda: _preview_chosen_case(window, export=True))
    menu.addAction(preview)
    menu.addAction(export)
    window.addAction(preview)
    window.addAction(export)


def _preview_chosen_case(window: QMainWindow, export: bool = False) -> ReportPreview | None:
    path, _ = QFileDialog.getOpenFileName(window, "Case file", "", CASE_FILTER)
    if not path:
        return None
    dialog = ReportPreview(path, getattr(window, "tasks", None), window)
    notices = getattr(window, "notices", None)
    if notices is not None:
        dialog.failed.connect(notices.error)
        dialog.exported.connect(lambda r: notices.info(f"Report written to {r.pdf.parent}"))
    if export:
        dialog.pagesShown.connect(lambda _n: dialog.choose_export_folder())
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
