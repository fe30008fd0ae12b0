"""Docks the clip map and the residual anatomy panel in the main window and ties them to its case.

The panels follow the window's case session (``window.session``: ``documentChanged`` and
``push``), and a mark a panel asks for is shown in the viewer by ``window.show_mark``. View → Panels
toggles each dock (Ctrl+Shift+M, Ctrl+Shift+A); showing one focuses it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from gui.panels.findings import FindingsPanel
from gui.panels.valve_map import ValveMapPanel


def _focus_when_shown(dock: QDockWidget, widget: QWidget, shortcut: str) -> None:
    toggle = dock.toggleViewAction()
    toggle.setShortcut(QKeySequence(shortcut))
    toggle.setToolTip(f"Show or hide the {dock.windowTitle().lower()} ({shortcut})")

    def shown(visible: bool) -> None:
        if visible:
            dock.raise_()
            target = getattr(widget, "view", widget)
            target.setFocus(Qt.FocusReason.ShortcutFocusReason)
    toggle.triggered.connect(shown)


def attach_document(window: Any, doc: Any) -> None:
    """Show ``doc`` (or nothing) in both panels; their edits go to the window's session."""
    session = getattr(window, "session", None)
    push = session.push if session is not None and doc is not None else None
    window.valve_map.set_document(doc, push)
    window.findings_panel.set_document(doc, push)


def show_mark(window: Any, mark_id: str) -> None:
    """Show a mark in the viewer (its loop and frame, highlighted) via ``window.show_mark``."""
    handler = getattr(window, "show_mark", None)
    if callable(handler) and mark_id:
        handler(mark_id)


def install_case_panels(window: QMainWindow) -> None:
    """Add the "Clip map" and "Residual anatomy" docks (right side, tabbed) to ``window``."""
    valve = ValveMapPanel(window)
    findings = FindingsPanel(window)
    window.valve_map, window.findings_panel = valve, findings  # type: ignore[attr-defined]
    add_panel = window.add_panel  # type: ignore[attr-defined]
    valve_dock = add_panel(valve, "Clip map", "clip-map", Qt.DockWidgetArea.RightDockWidgetArea)
    findings_dock = add_panel(findings, "Residual anatomy", "findings", Qt.DockWidgetArea.RightDockWidgetArea)
    window.tabifyDockWidget(valve_dock, findings_dock)
    valve_dock.raise_()
    window.valve_map_dock, window.findings_dock = valve_dock, findings_dock  # type: ignore[attr-defined]
    _focus_when_shown(valve_dock, valve, "Ctrl+Shift+M")
    _focus_when_shown(findings_dock, findings, "Ctrl+Shift+A")
    valve.markActivated.connect(lambda mark_id: show_mark(window, mark_id))
    findings.markActivated.connect(lambda mark_id: show_mark(window, mark_id))
    session = getattr(window, "session", None)
    if session is not None:
        session.documentChanged.connect(lambda doc: attach_document(window, doc))
        attach_document(window, session.document)
