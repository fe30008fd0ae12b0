"""Report → Preview / Export: the pages of the PDF on screen, export in the background, of the open case."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from gui.panels.report_preview import ReportPreview
from gui.session import Unsaved
from planning.case import Case, load_case
from planning.commands import SetNotes
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
    assert result.summary == tmp_path / "out" / "summary.pdf" and result.summary.stat().st_mode & 0o777 == 0o600
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


def test_report_menu_sits_before_help(qtbot, window) -> None:
    bar = [a.menu().objectName() for a in window.menuBar().actions()]
    assert bar[-2:] == ["menu-report", "menu-help"]
    report = window.findChild(QMenu, "menu-report")
    assert report is window.menus["report"]
    named = [a for a in report.actions() if not a.isSeparator()]
    assert named == [window.actions_by_name[k] for k in ("report_preview", "report_export", "add_prior",
                                                               "sign_off", "amend")]
    assert window.actions_by_name["report_preview"].shortcut().toString() == "Ctrl+R"


def _absolute_images(case: Case) -> Case:
    assert case.path is not None
    case.images = [{**i, "path": str((case.path.parent / i["path"]).resolve())} for i in case.images]
    return case


def test_preview_without_an_open_case_says_so(qtbot, window) -> None:
    warnings: list[str] = []
    window.notices.warning = warnings.append
    window.actions_by_name["report_preview"].trigger()
    assert warnings == ["No case is open: File → New Case or Open Case… first"]
    assert window.findChild(ReportPreview) is None


def test_preview_of_a_never_saved_case_asks_where_to_save_it_first(qtbot, window, case_path: Path,
                                                                   tmp_path: Path) -> None:
    case = _absolute_images(load_case(case_path))
    case.path = None
    window.session.set_case(case, dirty=True)
    window.session.ask_save_path = lambda: None  # the user cancels the save dialog: no report
    window.actions_by_name["report_preview"].trigger()
    assert window.findChild(ReportPreview) is None
    target = tmp_path / "elsewhere" / "new.mitraplan.json"
    target.parent.mkdir()
    window.session.ask_save_path = lambda: target
    window.actions_by_name["report_preview"].trigger()
    dialog = window.findChild(ReportPreview)
    assert dialog is not None and dialog.case_path == target and target.is_file()
    assert not window.session.is_dirty()
    qtbot.waitUntil(lambda: dialog.prepared is not None, timeout=60000)
    header = dialog.prepared.report.header
    assert header.case_file == "new.mitraplan.json"
    assert header.case_sha256 == hashlib.sha256(target.read_bytes()).hexdigest()
    p1 = next(m for m in dialog.prepared.report.measurements if m.source == ("m1",))
    assert p1.shown == "0.80"  # 16 px x 0.05 cm/px, measured from the saved case's images
    dialog.close()


def test_preview_reports_the_open_case_with_its_unsaved_edit(qtbot, window, case_path: Path) -> None:
    window.open_case(case_path)
    window.session.push(SetNotes("", "Edited in the window"))
    assert window.session.is_dirty()
    window.actions_by_name["report_preview"].trigger()  # saves first: the file then holds what is reported
    dialog = window.findChild(ReportPreview)
    assert dialog is not None and dialog.case_path == case_path
    assert load_case(case_path).notes == "Edited in the window" and not window.session.is_dirty()
    qtbot.waitUntil(lambda: dialog.prepared is not None, timeout=60000)
    assert dialog.prepared.report.notes == "Edited in the window"
    window.session.push(SetNotes("Edited in the window", "later"))  # the preview works on its own copy
    assert dialog.case.notes == "Edited in the window"
    dialog.close()
    window.session.ask_unsaved = lambda _name: Unsaved.DISCARD


def test_preview_dpi_follows_the_zoom_and_the_screen() -> None:
    from gui.panels.report_preview import preview_dpi

    assert preview_dpi(1.0, 1.0) == 150  # 96 dpi would blur the clip map's small labels: the floor
    assert preview_dpi(2.0, 1.0) == 192  # 96 × 2
    assert preview_dpi(1.5, 2.0) == 288  # 96 × 1.5 × 2 device pixels per logical pixel


def test_pages_are_rendered_with_a_pixel_for_each_screen_pixel(qtbot, case_path: Path, monkeypatch) -> None:
    """On a 2× screen at 150 % zoom, each A4 page (8.27 in) is shown 8.27 × 96 × 1.5 ≈ 1191 logical px
    wide, and its image holds at least 2 × that many pixels; zooming back out reuses the images."""
    dialog = ReportPreview(case_path)
    qtbot.addWidget(dialog)
    monkeypatch.setattr(dialog, "devicePixelRatioF", lambda: 2.0)
    dialog.show()
    with qtbot.waitSignal(dialog.pagesShown, timeout=60000):
        pass
    with qtbot.waitSignal(dialog.pagesShown, timeout=60000):
        dialog.zoom.setFocus()
        qtbot.keyClick(dialog.zoom, Qt.Key.Key_Down)  # 100 % -> 150 %: finer pages are rendered
    assert dialog.zoom.currentText() == "150%"
    a4_inch = 210 / 25.4
    logical_width = dialog.pages.itemAt(0).widget().pixmap().deviceIndependentSize().width()
    assert logical_width == pytest.approx(a4_inch * 96 * 1.5, abs=2)
    assert dialog.prepared.pages[0].width() >= 2.0 * logical_width - 1 and dialog.prepared.dpi == 288
    before = dialog.prepared
    qtbot.keyClick(dialog.zoom, Qt.Key.Key_Up)  # back to 100 %: the 288-dpi images suffice
    assert dialog.prepared is before
    shown = dialog.pages.itemAt(0).widget().pixmap().deviceIndependentSize().width()
    assert shown == pytest.approx(a4_inch * 96, abs=2)
