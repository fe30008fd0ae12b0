"""Report preview → Print…: the report's pages, one per printed page, to the printer the user picked.

The printer is a PDF file printer (what a user gets with "Print to File"); the print dialog itself is
replaced by that choice. Over the stand-in case of tests/report/test_cli_report.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtTest import QTest

from gui.panels.report_preview import ReportPreview
from tests.report.test_cli_report import write_case


def _pdf_pages(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", path.read_bytes()))


def test_print_sends_every_report_page(qtbot: Any, tmp_path: Path) -> None:
    dialog = ReportPreview(write_case(tmp_path)[0])
    qtbot.addWidget(dialog)
    assert not dialog.print_button.isEnabled()  # nothing to print before the report is built
    with qtbot.waitSignal(dialog.pagesShown, timeout=60000) as shown:
        pass
    out = tmp_path / "printed.pdf"

    def to_file(_parent: Any) -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        return printer

    dialog.ask_printer = to_file
    dialog.show()
    QTest.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    assert out.is_file() and _pdf_pages(out) == shown.args[0] >= 2
    assert f"{shown.args[0]} page(s) sent to the printer" in dialog.status.text()


def test_a_cancelled_print_dialog_prints_nothing(qtbot: Any, tmp_path: Path) -> None:
    dialog = ReportPreview(write_case(tmp_path)[0])
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.pagesShown, timeout=60000):
        pass
    dialog.ask_printer = lambda _parent: None
    assert dialog.print_report() == 0
