"""Report → Preview / Export: the pages of the PDF on screen, export in the background."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMainWindow

from gui.panels.report_preview import ReportPreview, install_report_menu
from tests.report.test_cli_report import write_case


@pytest.fixture
def case_path(tmp_path: Path) -> Path:
    return write_case(tmp_path)[0]


def test_preview_shows_the_pdf_pages_and_exports(qtbot, case_path: Path, tmp_path: Path) -> None:
    dialog = ReportPreview(case_path)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.pagesShown, timeout=60000) as shown:
        pass
    assert shown.args[0] == dialog.page_count >= 2
    assert dialog.export_button.isEnabled()
    dialog.anonymise.setChecked(True)
    with qtbot.waitSignal(dialog.exported, timeout=60000) as done:
        dialog.export_to(tmp_path / "out")
    result = done.args[0]
    assert result.pdf == tmp_path / "out" / "report.pdf" and result.pdf.is_file()
    assert b"Testperson" not in result.json.read_bytes()  # the switch reached the export
    assert "Exported" in dialog.status.text()


def test_preview_of_a_bad_case_says_why(qtbot, tmp_path: Path) -> None:
    bad = tmp_path / "bad.mitraplan.json"
    bad.write_text("[]", encoding="utf-8")
    dialog = ReportPreview(bad)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.failed, timeout=30000) as failed:
        pass
    assert "bad.mitraplan.json" in failed.args[0] and "not a MitraPlan case file" in failed.args[0]
    assert not dialog.export_button.isEnabled()


def test_report_menu_sits_before_help_and_opens_the_chosen_case(qtbot, case_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.menuBar().addMenu("&Help")
    install_report_menu(window)
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles == ["&Report", "&Help"]
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(case_path), ""))
    preview = next(a for a in window.actions() if a.text().startswith("&Preview"))
    preview.trigger()
    dialog = window.findChild(ReportPreview)
    assert dialog is not None and dialog.case_path == case_path
    qtbot.waitUntil(lambda: dialog.page_count > 0, timeout=60000)
    dialog.close()
