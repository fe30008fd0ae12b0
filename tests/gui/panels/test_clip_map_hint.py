"""The clip map's hint asks for a case until one is open, then says how to place items."""

from __future__ import annotations

from typing import Any


def test_clip_map_hint_follows_the_case(qtbot: Any, document: Any, undo: Any) -> None:
    from gui.panels.valve_map import EDIT_HINT, NO_CASE_HINT, ValveMapPanel

    panel = ValveMapPanel()
    qtbot.addWidget(panel)
    assert panel.hint.text() == NO_CASE_HINT
    panel.set_document(document, undo.push)
    assert panel.hint.text() == EDIT_HINT
    panel.set_document(None, None)
    assert panel.hint.text() == NO_CASE_HINT


def test_clip_map_caption_wraps_above_the_bottom_edge(qtbot: Any) -> None:
    from gui.panels.valve_map import ValveMapPanel

    panel = ValveMapPanel()
    qtbot.addWidget(panel)
    panel.view.resize(280, 300)  # a narrow dock: the caption needs more than one line
    caption, line = panel.view.caption_rect(), panel.view.fontMetrics().height()
    assert caption.height() >= 2 * line
    assert caption.bottom() < panel.view.height()
    assert panel.view.map_rect().bottom() <= caption.top()   # the map never draws under the caption
