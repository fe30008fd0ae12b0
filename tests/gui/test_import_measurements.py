"""File → Import Measurements…: an SR's values land in the open case as imported results, shown in
the measurements panel in italics, one undo step, accepted or hidden from the panel.

The SR is the GE-style cart imitation of tests/report/vendor_sr.py (chosen values: 1.0 m/s from
100 cm/s, 12.5/3 mmHg, 110 ms, 0.21 cm²).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from gui.panels.measurements import GRADE_COLUMN, HELD_GRADE
from planning.imported import Status, imported_of
from tests.report.conftest import make_study
from tests.report.vendor_sr import ge_style_sr


@pytest.fixture
def cart_sr(tmp_path: Path) -> Path:
    study = make_study(tmp_path / "study")
    path = tmp_path / "cart-sr.dcm"
    ge_style_sr(study["datasets"][0]).save_as(path)
    return path


@pytest.fixture
def window(window: Any) -> Any:
    """The main window; closing it discards the imported (unsaved) case."""
    from gui.session import Unsaved

    window.session.ask_unsaved = lambda _name: Unsaved.DISCARD
    return window


def _rows(panel: Any) -> dict[str, int]:
    return {r.quantity: i for i, r in enumerate(panel.model.results)}


def test_import_menu_entry_exists(window: Any) -> None:
    action = window.actions_by_name["import_measurements"]
    assert action in window.menus["file"].actions() and action.text() == "Import &Measurements…"


def test_import_shows_imported_rows_and_undoes_in_one_step(qtbot: Any, window: Any, cart_sr: Path) -> None:
    window.session.new()
    summary = window.import_measurements.run(cart_sr)
    assert summary is not None and len(summary.added) == 4 and summary.collapsed == 8
    panel = window.annotation.panel
    rows = _rows(panel)
    assert set(rows) == {"vmax", "mean_gradient", "pht", "eroa_pisa"}
    row = rows["vmax"]
    model = panel.model
    assert model.data(model.index(row, 1)) == "1.00"  # 100 cm/s, at the reporting precision of m/s
    assert "imported from Synthetic Vendor" in model.data(model.index(row, 0))
    assert model.data(model.index(row, 0), Qt.ItemDataRole.FontRole).italic()
    assert "status: imported" in model.data(model.index(row, 0), Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(row, GRADE_COLUMN)) == HELD_GRADE  # not graded until accepted
    assert window.session.document.case.study["patient_id"] == "PID-778899"  # bound to the SR's study
    window.session.undo.stack.undo()
    assert panel.model.results == [] and "imported" not in window.session.document.case.extra
    assert "patient_id" not in window.session.document.case.study


def test_right_click_accepts_an_imported_value(qtbot: Any, window: Any, cart_sr: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    window.session.new()
    window.import_measurements.run(cart_sr)
    panel = window.annotation.panel
    row = _rows(panel)["mean_gradient"]
    chosen: list[str] = []

    def pick(menu: QMenu, _at: Any) -> None:  # in place of the menu's modal loop: choose "Accept"
        action = next(a for a in menu.actions() if a.text() == "Accept imported value")
        chosen.append(action.text())
        action.trigger()

    monkeypatch.setattr(panel, "exec_menu", pick)
    rect = panel.table.visualRect(panel.model.index(row, 0))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.RightButton, pos=rect.center())
    if not chosen:  # offscreen QTest clicks send no context-menu event on some platforms: send it as Qt would
        from PySide6.QtGui import QContextMenuEvent
        from PySide6.QtWidgets import QApplication

        viewport = panel.table.viewport()
        QApplication.sendEvent(viewport, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, rect.center(),
                                                           viewport.mapToGlobal(rect.center())))
    assert chosen == ["Accept imported value"]
    entry = next(e for e in imported_of(window.session.document.case) if e.quantity == "mean_gradient")
    assert entry.status is Status.ACCEPTED
    row = _rows(panel)["mean_gradient"]
    assert panel.model.data(panel.model.index(row, GRADE_COLUMN)) not in ("", HELD_GRADE)  # graded now
    assert panel.set_imported_status(row, Status.HIDDEN)
    assert "mean_gradient" not in _rows(panel)


def test_an_sr_of_another_patient_is_refused(qtbot: Any, window: Any, cart_sr: Path) -> None:
    window.session.new({"patient_id": "OTHER-9", "patient_name": "Other^P", "study_instance_uid": "1.2.3"})
    with qtbot.waitSignal(window.session.refused) as refused:
        assert window.import_measurements.run(cart_sr) is None
    assert "OTHER-9" in refused.args[0] and "PID-778899" in refused.args[0]
    assert "imported" not in window.session.document.case.extra
