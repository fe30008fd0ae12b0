"""Print the report: the pages exactly as in the PDF (``report.pdf.render_pages``) on a printer the
user picks in ``QPrintDialog``, one report page per printed page, scaled to fit and never distorted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget

#: Rendering resolution of printed pages (preview pages are 96 dpi; text and key images need more).
PRINT_DPI = 300


def print_pages(pages: list[QImage], printer: QPrinter) -> int:
    """Paint each page on its own printed page; returns how many were printed."""
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError(f"cannot print to {printer.printerName() or printer.outputFileName() or 'the printer'}")
    try:
        for n, page in enumerate(pages):
            if n:
                printer.newPage()
            area = painter.viewport()
            size = page.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.drawImage(QRect(area.x(), area.y(), size.width(), size.height()), page)
    finally:
        painter.end()
    return len(pages)


def print_report(report: Any, key_images: dict[str, QImage], paper: str, printer: QPrinter) -> int:
    """Render the report's pages at ``PRINT_DPI`` on ``paper`` and print them."""
    from report.pdf import PageSpec, render_pages

    return print_pages(render_pages(report, PageSpec(paper), PRINT_DPI, key_images), printer)


def _ask_printer(parent: QWidget | None) -> QPrinter | None:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("Print Report")
    return printer if dialog.exec() == QDialog.DialogCode.Accepted else None


def choose_and_print(parent: QWidget | None, report: Any, key_images: dict[str, QImage], paper: str,
                     ask_printer: Callable[[QWidget | None], QPrinter | None] = _ask_printer) -> int:
    """Ask for a printer and print; 0 when the user cancelled."""
    printer = ask_printer(parent)
    if printer is None:
        return 0
    return print_report(report, key_images, paper, printer)
