"""Anonymised export from the window: identifiers typed into free text are shown before anything is
written, edited in place (one undo step) or confirmed (removed from every output)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLineEdit

from gui.panels.report_preview import ReportPreview
from gui.session import Unsaved
from report.anonymise import REDACTED
from tests.report.conftest import PATIENT
from tests.report.test_anonymise_holds import case_with_id_in_label


def _open_preview(qtbot, window, case_path: Path) -> ReportPreview:
    window.open_case(case_path)
    window.actions_by_name["report_preview"].trigger()
    dialog = window.findChild(ReportPreview)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.prepared is not None and dialog.export_button.isEnabled(), timeout=60000)
    qtbot.mouseClick(dialog.anonymise, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.anonymise.height() // 2))
    assert dialog.anonymise.isChecked() and dialog.mask_banner.isChecked()  # masking is on by default
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled(), timeout=60000)  # the anonymised pages are built
    return dialog


def _type_into_cell(qtbot, table, row: int, text: str) -> None:
    """Double-click the Text cell of ``row``, replace its text with the keyboard, press Enter."""
    rect = table.visualItemRect(table.item(row, 2))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    def editors() -> list[QLineEdit]:
        return [e for e in table.findChildren(QLineEdit) if e.isVisible()]
    qtbot.waitUntil(lambda: len(editors()) == 1)
    editor = editors()[0]
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not editors())


@pytest.fixture
def case_path(tmp_path: Path) -> Path:
    return case_with_id_in_label(tmp_path)[0]


def test_hits_are_edited_in_place_as_one_undo_step_then_exported(qtbot, window, case_path: Path,
                                                                 tmp_path: Path) -> None:
    preview = _open_preview(qtbot, window, case_path)
    out = tmp_path / "out"
    preview.export_to(out)
    hits = preview.free_text_dialog
    assert hits is not None and not out.exists()  # nothing written before the user decides
    qtbot.waitExposed(hits)
    rows = {hits.table.item(r, 0).text(): r for r in range(hits.table.rowCount())}
    assert {"marks[m1].label", "key_images[k1].label"} <= set(rows)
    _type_into_cell(qtbot, hits.table, rows["marks[m1].label"], "P1 free length")
    _type_into_cell(qtbot, hits.table, rows["key_images[k1].label"], "Leaflet")
    assert hits.edits() == {"marks[m1].label": "P1 free length", "key_images[k1].label": "Leaflet"}
    with qtbot.waitSignal(preview.exported, timeout=60000) as done:
        qtbot.mouseClick(hits.apply_button, Qt.MouseButton.LeftButton)
    result = done.args[0]
    document = result.json.read_text(encoding="utf-8")
    assert PATIENT["id"] not in document and "Erika" not in document.title() and REDACTED not in document
    assert json.loads(document)["marks"][0]["label"] == "P1 free length"
    session = window.session
    assert session.document.mark("m1").label == "P1 free length" and not session.is_dirty()  # saved
    assert session.undo.stack.undoText() == "Remove identifiers from free text"
    session.undo.stack.undo()  # one step puts both texts back
    assert session.document.mark("m1").label == f"{PATIENT['id']} P1 free length"
    assert session.document.field(("key_images",))[0]["label"] == "erika leaflet"
    preview.close()
    window.session.ask_unsaved = lambda _name: Unsaved.DISCARD


def test_confirming_exports_with_each_identifier_removed(qtbot, window, case_path: Path, tmp_path: Path) -> None:
    preview = _open_preview(qtbot, window, case_path)
    preview.export_to(tmp_path / "out")
    hits = preview.free_text_dialog
    assert hits is not None
    with qtbot.waitSignal(preview.exported, timeout=60000) as done:
        qtbot.mouseClick(hits.confirm_button, Qt.MouseButton.LeftButton)
    document = done.args[0].json.read_text(encoding="utf-8")
    assert PATIENT["id"] not in document and f"{REDACTED} P1 free length" in document
    assert window.session.document.mark("m1").label.startswith(PATIENT["id"])  # the case is not changed
    preview.close()
