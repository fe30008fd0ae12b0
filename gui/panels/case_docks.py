"""The clip map and residual anatomy docks of the main window, tied to its case session.

``CaseDocks`` creates both docks (right side, tabbed) and builds each panel the first time its dock
is shown (a tab behind another is not shown, and the window's first frame does not wait for it).
A built panel shows the window's open case (``documentChanged``; its edits go through
``session.push``) and shows a mark it asks for in the viewer (``window.show_mark``). Its
``show_actions`` (Ctrl+Shift+M, Ctrl+Shift+A) always show, raise and focus their dock, even when it
is a hidden tab: a shortcut that hid a panel the reader asked for would be a surprise. View → Panels
still toggles each dock. The public ``valve_map``, ``findings`` and their docks are the built ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QWidget

from planning.document import CaseDocument

if TYPE_CHECKING:
    from gui.main_window import MainWindow
    from gui.panels.findings import FindingsPanel
    from gui.panels.valve_map import ValveMapPanel

Panel = TypeVar("Panel", "ValveMapPanel", "FindingsPanel")


def raise_dock(dock: QDockWidget, focus: QWidget) -> None:
    """Show ``dock`` (also when it is hidden, floating or a tab behind another) and focus ``focus``."""
    dock.show()
    dock.raise_()
    focus.setFocus(Qt.FocusReason.ShortcutFocusReason)


class CaseDocks:
    """The window's "Clip map" and "Residual anatomy" docks and their show actions."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self._valve_map: ValveMapPanel | None = None
        self._findings: FindingsPanel | None = None
        self._valve_map_dock = self._lazy_dock("Clip map", "clip-map", self._build_valve_map)
        self._findings_dock = self._lazy_dock("Residual anatomy", "findings", self._build_findings)
        window.tabifyDockWidget(self._valve_map_dock, self._findings_dock)
        self._valve_map_dock.raise_()
        self.show_actions = {
            "show_clip_map": self._show_action(self._valve_map_dock, lambda: self.valve_map.view, "Ctrl+Shift+M"),
            "show_findings": self._show_action(self._findings_dock, lambda: self.findings, "Ctrl+Shift+A"),
        }
        window.session.documentChanged.connect(self.attach)

    # --- the panels, built on first show ---------------------------------------------------------
    @property
    def valve_map(self) -> ValveMapPanel:
        return self._valve_map or self._build_valve_map()

    @property
    def findings(self) -> FindingsPanel:
        return self._findings or self._build_findings()

    @property
    def valve_map_dock(self) -> QDockWidget:
        """The clip map's dock, holding its (built) panel."""
        self._build_valve_map()
        return self._valve_map_dock

    @property
    def findings_dock(self) -> QDockWidget:
        """The residual anatomy's dock, holding its (built) panel."""
        self._build_findings()
        return self._findings_dock

    def _lazy_dock(self, title: str, name: str, build: Callable[[], QWidget]) -> QDockWidget:
        """A dock holding a placeholder until it is first shown; then ``build`` puts the panel in."""
        dock = self.window.add_panel(QWidget(), title, name, Qt.DockWidgetArea.RightDockWidgetArea)
        dock.visibilityChanged.connect(lambda visible: build() if visible else None)
        return dock

    def _build_valve_map(self) -> ValveMapPanel:
        if self._valve_map is None:
            from gui.panels.valve_map import ValveMapPanel

            self._valve_map = self._install(ValveMapPanel(self.window), self._valve_map_dock)
        return self._valve_map

    def _build_findings(self) -> FindingsPanel:
        if self._findings is None:
            from gui.panels.findings import FindingsPanel

            self._findings = self._install(FindingsPanel(self.window), self._findings_dock)
        return self._findings

    def _install(self, panel: Panel, dock: QDockWidget) -> Panel:
        """Put a new panel in its dock, showing the open case, its marks shown in the viewer."""
        placeholder = dock.widget()
        dock.setWidget(panel)
        placeholder.deleteLater()
        panel.markActivated.connect(self.window.show_mark)
        doc = self.window.session.document
        panel.set_document(doc, self.window.session.push if doc is not None else None)
        return panel

    # --- actions and the case ------------------------------------------------------------------
    def _show_action(self, dock: QDockWidget, focus: Callable[[], QWidget], shortcut: str) -> QAction:
        title = dock.windowTitle()
        action = QAction(f"Show {title}", self.window)
        action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"Show and focus the {title.lower()} ({shortcut})")
        action.setStatusTip(f"Show and focus the {title.lower()}")
        action.triggered.connect(lambda _checked=False: raise_dock(dock, focus()))
        self.window.addAction(action)
        return action

    def attach(self, doc: CaseDocument | None) -> None:
        """Show ``doc`` (or nothing) in the built panels; their edits go to the window's session."""
        push = self.window.session.push if doc is not None else None
        for panel in (self._valve_map, self._findings):
            if panel is not None:
                panel.set_document(doc, push)
