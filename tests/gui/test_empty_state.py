"""With nothing open, every panel and the status bar say what to do next."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("demo.phantom", reason="needs the imaging core")

from tests.gui.conftest import wait_loaded


def test_status_bar_says_how_to_start_and_returns_to_it_on_close(qtbot: Any, window: Any, demo_study: Any) -> None:
    from gui.main_window import IDLE_STATUS

    assert window.readout_label.text() == IDLE_STATUS
    window.open_paths([demo_study.folder])
    wait_loaded(qtbot, window)
    assert window.readout_label.text().startswith("Calibrated")
    window.close_all()
    qtbot.waitUntil(lambda: window.readout_label.text() == IDLE_STATUS)


def test_empty_browser_draws_how_to_open_a_study(window: Any) -> None:
    from gui.panels.browser import EMPTY_HINT

    assert window.browser.topLevelItemCount() == 0
    assert "Open Folder" in EMPTY_HINT and "Ctrl+Shift+O" in EMPTY_HINT
    empty = window.browser.viewport().grab().toImage()
    lit = sum(empty.pixelColor(x, y).lightness() > 100 for x in range(0, empty.width(), 2) for y in range(0, 120, 2))
    assert lit > 20  # the hint text is on screen (a bare tree is one dark colour)


def test_pacs_dialog_without_nodes_says_how_to_add_one(qtbot: Any, tmp_path: Any) -> None:
    from gui.panels.pacs_dialog import NO_NODE_HINT, PacsDialog

    box = PacsDialog(nodes_path=tmp_path / "nodes.json", store_root=tmp_path / "store")
    qtbot.addWidget(box)
    assert box.node_box.placeholderText() == NO_NODE_HINT
    assert box.status.text().startswith(NO_NODE_HINT)
    assert not box.search_button.isEnabled()
