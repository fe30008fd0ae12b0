"""Report → Preview and Export: the planning report of the open case, page by page as the PDF prints it.

The menu actions report the case open in the window. A case with unsaved changes (or never saved)
is saved first, asking for a file name when it has none: the report names its case file and that
file's SHA-256, so the file on disk must hold exactly what is reported. The report is then built from
a copy of the in-memory case (later edits do not race the worker thread), with the open study to
find images. The preview shows ``report.pdf.render_pages`` (the same layout code as the PDF), rendered
at the screen's device pixel ratio and the chosen zoom (never under 150 dpi), so small print stays sharp.
An anonymised export first checks the free text for the patient's identifiers
(``gui.dialogs.free_text``): edits go to the open case as one undo step, then the report is rebuilt
and exported; confirming exports with each identifier removed.
Building, rendering and exporting run as background tasks, so the window never freezes; failures
become notices (or the dialog's status line) naming the file.
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from gui.tasks import Task, TaskRunner
from imaging.catalog import StudyCatalog
from planning.case import Case

if TYPE_CHECKING:
    from gui.dialogs.free_text import FreeTextDialog
    from gui.main_window import MainWindow
    from gui.session import CaseSession
    from planning.commands import Command
    from planning.document import CaseDocument
    from report.anonymise import FreeTextHit

#: Stores a free-text edit in the open case (one undo step) and saves it; the saved case, or None if refused.
ApplyEdit = Callable[["Command"], "Case | None"]

#: Logical (device-independent) pixels per inch of a page shown at 100 %.
SCREEN_DPI = 96
#: Pages are never rendered coarser than this: small print (the clip map's labels) stays legible zoomed in.
PREVIEW_MIN_DPI = 150
#: The zoom steps of the preview (100 %: the page at its printed size on a 96-dpi screen).
ZOOMS = (1.0, 1.5, 2.0)
_RUNNER: TaskRunner | None = None


def shared_runner() -> TaskRunner:
    """A parentless runner for dialogs opened without the window's: it outlives every dialog, so a
    task still running when its dialog closes never signals through a deleted object."""
    global _RUNNER
    if _RUNNER is None:
        _RUNNER = TaskRunner()
    return _RUNNER


def preview_dpi(zoom: float, device_pixel_ratio: float) -> int:
    """The dots per inch at which a page shown at ``zoom`` is sharp: one image pixel for each device pixel
    (a 2× screen needs twice the pixels of a 1× one), and at least ``PREVIEW_MIN_DPI``."""
    return max(PREVIEW_MIN_DPI, math.ceil(SCREEN_DPI * zoom * device_pixel_ratio))


@dataclass
class Prepared:
    """A built report ready to preview and export; ``dpi``: the resolution its page images were rendered at."""

    report: Any
    sources: Any
    key_images: dict[str, QImage]
    pages: list[QImage]
    dpi: int = PREVIEW_MIN_DPI


def prepare(case: Case | Path, paper: str, catalog: StudyCatalog | None = None, anonymise: bool = False,
            mask: bool = True, dpi: int = PREVIEW_MIN_DPI) -> Prepared:
    """Recompute the case (a Case, or a case file to load), render key images and pages (runs on a
    worker thread); ``catalog`` is the open study, where images missing at their path are looked up.

    The pages are those of the PDF the export writes with the same paper and ``anonymise`` switch
    (``report.export.printed_model``): the same key images kept, the same header, the same notes.
    """
    from planning.case import load_case
    from report.build import build_report
    from report.export import plan_export, printed_model
    from report.pdf import PageSpec, render_pages

    if not isinstance(case, Case):
        case = load_case(case, lenient=True)
    report, sources = build_report(case, index=catalog)
    planned = plan_export(report, sources, anonymise=anonymise, mask=mask)
    big = {key: images[1] for key, images in planned.rendered.items()}
    return Prepared(report, sources, big, render_pages(printed_model(planned), PageSpec(paper), dpi, big), dpi)


class ReportPreview(QDialog):
    """The preview dialog of one case (a Case, or a case file): paper, anonymise switch, Export…, and the pages."""

    pagesShown = Signal(int)
    exported = Signal(object)  # report.export.ExportResult
    failed = Signal(str)

    def __init__(self, case: str | Path | Case, tasks: TaskRunner | None = None, parent: QWidget | None = None,
                 catalog: StudyCatalog | None = None, document: CaseDocument | None = None,
                 apply_edit: ApplyEdit | None = None) -> None:
        """``document``/``apply_edit``: the open case, where identifiers found in free text are edited."""
        super().__init__(parent)
        self.document, self.apply_edit = document, apply_edit
        self.free_text_dialog: FreeTextDialog | None = None
        self._pending_export: Path | None = None
        self.case: Case | Path = case if isinstance(case, Case) else Path(case)
        self.case_path = Path(case.path or "Untitled case") if isinstance(case, Case) else Path(case)
        self.catalog = catalog
        self.tasks = tasks or shared_runner()
        self._running: list[Task] = []
        self.prepared: Prepared | None = None
        self.setWindowTitle(f"Report preview — {self.case_path.name}")
        self.resize(900, 1000)
        self.paper = QComboBox()
        self.paper.addItems(["A4", "Letter"])
        self.anonymise = QCheckBox("Anonymise export")
        self.anonymise.setToolTip("Remove patient identifiers from every output (DICOM: PS3.15 basic profile)")
        self.mask_banner = QCheckBox("Mask banner")
        self.mask_banner.setChecked(True)
        self.mask_banner.setEnabled(False)
        self.mask_banner.setToolTip("Anonymised: blank key-image pixels outside the ultrasound regions, where the scanner "
                             "burns the patient's name and ID")
        self.anonymise.toggled.connect(self.mask_banner.setEnabled)
        self.zoom = QComboBox()
        self.zoom.addItems([f"{z:.0%}" for z in ZOOMS])
        self.zoom.setAccessibleName("Zoom")
        self.zoom.setToolTip("Page size on screen (100 %: as printed)")
        self.export_button = QPushButton("Export…")
        self.export_button.setEnabled(False)
        self.print_button = QPushButton("Print…")
        self.print_button.setEnabled(False)
        self.ask_printer: Callable[[QWidget | None], Any] | None = None  # None: QPrintDialog
        self.status = QLabel("Building the report…")
        self.problems = QLabel("")  # outputs not written (and why), or an export refused
        self.problems.setObjectName("export-problems")
        self.problems.setWordWrap(True)
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems.setStyleSheet("color: #ff8a80;")
        self.problems.hide()
        row = QHBoxLayout()
        for widget in (QLabel("Paper:"), self.paper, QLabel("Zoom:"), self.zoom, self.anonymise, self.mask_banner, self.export_button,
                       self.print_button):
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
        column.addWidget(self.problems)
        column.addWidget(scroll, 1)
        self.paper.currentTextChanged.connect(lambda _p: self.refresh())
        self.zoom.currentIndexChanged.connect(lambda _i: self._zoomed())
        self.anonymise.toggled.connect(lambda _on: self.refresh())  # the anonymised PDF has other pages
        self.mask_banner.toggled.connect(lambda _on: self.refresh() if self.anonymise.isChecked() else None)
        self.export_button.clicked.connect(self.choose_export_folder)
        self.print_button.clicked.connect(self.print_report)
        self.refresh()

    @property
    def page_count(self) -> int:
        return self.pages.count()

    def refresh(self) -> None:
        """Rebuild and re-render in the background (on open and when the paper changes)."""
        self.export_button.setEnabled(False)
        self.status.setText("Building the report…")
        case, paper, catalog, anonymise = self.case, self.paper.currentText(), self.catalog, self.anonymise.isChecked()
        mask, dpi = self.mask_banner.isChecked(), self.wanted_dpi()
        self._start(f"Report preview {self.case_path.name}",
                    lambda _p, _c: prepare(case, paper, catalog, anonymise, mask, dpi),
                    self._show)

    @property
    def zoom_factor(self) -> float:
        return ZOOMS[max(0, self.zoom.currentIndex())]

    def wanted_dpi(self) -> int:
        """The resolution the pages need at the chosen zoom on this screen."""
        return preview_dpi(self.zoom_factor, self.devicePixelRatioF())

    def _zoomed(self) -> None:
        """Show the pages at the new zoom: from the images at hand when they are fine enough, else rendered anew."""
        if self.prepared is not None and self.prepared.dpi >= self.wanted_dpi():
            self._lay_out_pages(self.prepared)
        else:
            self.refresh()

    def _start(self, name: str, fn: Callable[..., Any], on_done: Callable[[Any], None],
               on_error: Callable[[BaseException], None] | None = None) -> None:
        self._running = [t for t in self._running if t in self.tasks.running]
        self._running.append(self.tasks.start(name, fn, on_done=on_done, on_error=on_error or self._fail))

    def closeEvent(self, event: Any) -> None:
        """Closing cancels this dialog's tasks: their results are dropped, never shown."""
        for task in self._running:
            task.cancel.set()
        super().closeEvent(event)

    def _show(self, prepared: Prepared) -> None:
        self.prepared = prepared
        self._lay_out_pages(prepared)
        self.export_button.setEnabled(True)
        self.print_button.setEnabled(True)
        self.status.setText(f"{len(prepared.pages)} page(s), {self.paper.currentText()}")
        self.pagesShown.emit(len(prepared.pages))
        if self._pending_export is not None:  # rebuilt after free-text edits: check again and export
            folder, self._pending_export = self._pending_export, None
            self.export_to(folder)

    def _lay_out_pages(self, prepared: Prepared) -> None:
        """One label a page, the page ``zoom`` × its printed size in logical pixels, drawn from the finer
        image (its device pixel ratio set so that each image pixel lands on one screen pixel)."""
        while self.pages.count():
            item = self.pages.takeAt(0)
            page = item.widget() if item is not None else None
            if page is not None:
                page.deleteLater()
        for n, image in enumerate(prepared.pages):
            shown_width = SCREEN_DPI * self.zoom_factor * image.width() / prepared.dpi
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(image.width() / shown_width)
            label = QLabel()
            label.setPixmap(pixmap)
            label.setAccessibleName(f"Report page {n + 1}")
            label.setStyleSheet("border: 1px solid #888; background: white;")
            self.pages.addWidget(label)

    def _fail(self, exc: BaseException) -> None:
        message = f"{self.case_path}: report not built: {exc}"
        self.status.setText(message)
        self.failed.emit(message)

    def print_report(self) -> int:
        """Print the built report's pages (gui/dialogs/print_report.py); how many pages were printed."""
        from gui.dialogs.print_report import choose_and_print

        if self.prepared is None:
            return 0
        prepared, paper = self.prepared, self.paper.currentText()
        try:
            printed = choose_and_print(self, prepared.report, prepared.key_images, paper, self.ask_printer) \
                if self.ask_printer else choose_and_print(self, prepared.report, prepared.key_images, paper)
        except OSError as exc:
            self.failed.emit(f"{self.case_path}: report not printed: {exc}")
            return 0
        if printed:
            self.status.setText(f"{printed} page(s) sent to the printer")
        return printed

    def choose_export_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export the report into", str(self.case_path.parent))
        if folder:
            self.export_to(Path(folder))

    def export_to(self, folder: Path, confirm_free_text: bool = False) -> None:
        """Write every output into ``folder`` in the background; ``exported`` fires when done. Anonymised,
        identifiers in free text are shown first (``FreeTextDialog``) unless ``confirm_free_text``."""
        if self.prepared is None:
            return
        from report.export import anonymised_free_text_hits, export_report

        prepared, anonymise, paper = self.prepared, self.anonymise.isChecked(), self.paper.currentText()
        mask = self.mask_banner.isChecked()
        if anonymise and not confirm_free_text:
            hits = anonymised_free_text_hits(prepared.report)
            if hits:
                self._ask_free_text(folder, hits)
                return
        self.export_button.setEnabled(False)
        self.status.setText(f"Exporting into {folder}…")
        self.problems.hide()

        def work(_progress: Callable[..., None], _cancel: threading.Event) -> Any:
            return export_report(prepared.report, prepared.sources, folder, anonymise=anonymise, paper=paper,
                                 confirm_free_text=confirm_free_text, mask=mask)

        self._start(f"Export report to {folder.name}", work, self._exported, self._export_failed)

    def _ask_free_text(self, folder: Path, hits: tuple[FreeTextHit, ...]) -> None:
        """Show the identifiers found in free text (window-modal, not blocking); nothing is written yet."""
        from gui.dialogs.free_text import FreeTextDialog, editable_rows

        assert self.prepared is not None
        editable = editable_rows(self.document if self.apply_edit else None, self.prepared.report, hits)
        dialog = FreeTextDialog(hits, editable, self)
        self.free_text_dialog = dialog
        self.status.setText(f"{len(hits)} identifier(s) in free text: edit or confirm before the anonymised export")
        dialog.finished.connect(lambda _result: self._free_text_done(dialog, folder))
        dialog.open()

    def _free_text_done(self, dialog: FreeTextDialog, folder: Path) -> None:
        """Confirmed: export with the identifiers removed. Edited: store the edits (one undo step), rebuild,
        check again and export. Cancelled: nothing is written."""
        from gui.dialogs.free_text import edits_command

        self.free_text_dialog = None
        if dialog.choice == "confirm":
            self.export_to(folder, confirm_free_text=True)
            return
        if dialog.choice == "edit" and self.prepared is not None and self.document is not None and self.apply_edit:
            command = edits_command(self.document, self.prepared.report, dialog.edits())
            case = self.apply_edit(command) if command is not None else None
            if case is not None:
                for task in self._running:  # a build of the case before the edit must not export
                    task.cancel.set()
                self.case, self._pending_export = case, folder
                self.refresh()
                return
            self.status.setText("Free-text edits not applied: nothing was exported")
            return
        self.status.setText("Anonymised export cancelled: nothing was written")

    def _exported(self, result: Any) -> None:
        """Say what was written and, in red, each output that was not and why (the others were written)."""
        self.export_button.setEnabled(True)
        failures = list(result.failures)
        self.status.setText(f"Exported {len(result.paths)} file(s) to {result.folder}"
                            + (f"; {len(failures)} output(s) NOT written" if failures else ""))
        self.problems.setText("\n".join(f"✗ {f}" for f in failures))
        self.problems.setVisible(bool(failures))
        self.exported.emit(result)

    def _export_failed(self, exc: BaseException) -> None:
        """An export refused before writing anything (images of another patient or study) or failed."""
        from planning.study import StudyMismatch

        self.export_button.setEnabled(True)
        if isinstance(exc, StudyMismatch):
            message = f"{self.case_path.name}: export refused, nothing was written: {exc}"
        else:
            message = f"{self.case_path.name}: export failed: {exc}"
        self.status.setText("Export refused" if isinstance(exc, StudyMismatch) else "Export failed")
        self.problems.setText(message)
        self.problems.show()
        self.failed.emit(message)


class ReportActions:
    """Report → Preview… (Ctrl+R) and Export… (Ctrl+Shift+R) of the window's open case."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.preview = QAction("&Preview Report…", window)
        self.preview.setShortcut(QKeySequence("Ctrl+R"))
        self.preview.setStatusTip("Build the planning report of the open case and show its pages")
        self.preview.triggered.connect(lambda _checked=False: preview_open_case(window))
        self.export = QAction("&Export Report…", window)
        self.export.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.export.setStatusTip("Write report.pdf, summary.pdf, report.json, the DICOM SR and key images of the open case")
        self.export.triggered.connect(lambda _checked=False: preview_open_case(window, export=True))
        for action in (self.preview, self.export):
            window.addAction(action)

    @property
    def actions(self) -> dict[str, QAction]:
        """The actions by name, for the window's menus and shortcut list."""
        return {"report_preview": self.preview, "report_export": self.export}


def report_export(notices: Any, result: Any) -> None:
    """A notice of what an export wrote, and an error for each output it could not write."""
    for failure in result.failures:
        notices.error(f"Report export into {result.folder}: {failure}")
    written = len(result.paths)
    notices.info(f"Report written to {result.folder} ({written} file{'s' * (written != 1)})"
                 + (f"; {len(result.failures)} output(s) not written, see above" if result.failures else ""))


def preview_open_case(window: MainWindow, export: bool = False) -> ReportPreview | None:
    """The preview of the window's open case, saved first when it has unsaved changes (None: no case
    is open, or the save was cancelled or failed); with ``export`` the folder chooser follows the pages."""
    session, notices = window.session, window.notices
    if session.document is None:
        notices.warning("No case is open: File → New Case or Open Case… first")
        return None
    if (session.document.path is None or session.is_dirty()) and not session.save():
        return None  # cancelled, or the failure was already reported through session.refused
    dialog = ReportPreview(copy.deepcopy(session.document.case), window.tasks, window, catalog=window.catalog,
                           document=session.document, apply_edit=lambda command: apply_and_save(session, command))
    dialog.failed.connect(notices.error)
    dialog.exported.connect(lambda r: report_export(notices, r))
    if export:  # once: a later re-render (another paper size) does not ask again
        def ask_once(_pages: int) -> None:
            dialog.pagesShown.disconnect(ask_once)
            dialog.choose_export_folder()
        dialog.pagesShown.connect(ask_once)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def apply_and_save(session: CaseSession, command: Command) -> Case | None:
    """Push ``command`` on the open case's undo stack and save (the report names the saved file and its
    checksum); a copy of the saved case, or None when the edit or the save was refused."""
    if session.undo is None or session.document is None or not session.undo.push(command) or not session.save():
        return None
    return copy.deepcopy(session.document.case)
