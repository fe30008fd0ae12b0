"""The clip map and residual anatomy docks of the main window, tied to its case session.

``CaseDocks`` creates both panels and their docks (right side, tabbed), shows the window's open
case in them (``documentChanged``; their edits go through ``session.push``) and shows a mark a
panel asks for in the viewer (``window.show_mark``). Its ``show_actions`` (Ctrl+Shift+M,
Ctrl+Shift+A) always show, raise and focus their dock, even when it is a hidden tab: a shortcut
that hid a panel the reader asked for would be a surprise. View → Panels still toggles each dock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QWidget

from gui.panels.findings import FindingsPanel
from gui.panels.valve_map import ValveMapPanel
from planning.document import CaseDocument

if TYPE_CHECKING:
    from gui.main_window import MainWindow


def raise_dock(dock: QDockWidget, focus: QWidget) -> None:
    """Show ``dock`` (also when it is hidden, floating or a tab behind another) and focus ``focus``."""
    dock.show()
    dock.raise_()
    focus.setFocus(Qt.FocusReason.ShortcutFocusReason)


class CaseDocks:
    """The window's "Clip map" and "Residual anatomy" docks and their show actions."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.valve_map = ValveMapPanel(window)
        self.findings = FindingsPanel(window)
        self.valve_map_dock = window.add_panel(self.valve_map, "Clip map", "clip-map",
                                               Qt.DockWidgetArea.RightDockWidgetArea)
        self.findings_dock = window.add_panel(self.findings, "Residual anatomy", "findings",
                                              Qt.DockWidgetArea.RightDockWidgetArea)
        window.tabifyDockWidget(self.valve_map_dock, self.findings_dock)
        self.valve_map_dock.raise_()
        self.show_actions = {
            "show_clip_map": self._show_action(self.valve_map_dock, self.valve_map.view, "Ctrl+Shift+M"),
            "show_findings": self._show_action(self.findings_dock, self.findings, "Ctrl+Shift+A"),
        }
        self.valve_map.markActivated.connect(window.show_mark)
        self.findings.markActivated.connect(window.show_mark)
        window.session.documentChanged.connect(self.attach)
        self.attach(window.session.document)

    def _show_action(self, dock: QDockWidget, focus: QWidget, shortcut: str) -> QAction:
        title = dock.windowTitle()
        action = QAction(f"Show {title}", self.window)
        action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"Show and focus the {title.lower()} ({shortcut})")
        action.setStatusTip(f"Show and focus the {title.lower()}")
        action.triggered.connect(lambda _checked=False: raise_dock(dock, focus))
        self.window.addAction(action)
        return action

    def attach(self, doc: CaseDocument | None) -> None:
        """Show ``doc`` (or nothing) in both panels; their edits go to the window's session."""
        push = self.window.session.push if doc is not None else None
        self.valve_map.set_document(doc, push)
        self.findings.set_document(doc, push)
