"""Annotation in the main window: case file actions, Edit (undo/redo), the Measure menu and toolbar
(tools with hotkeys, label picker, guided calculations), a mark overlay per viewport and the
measurements panel. Created by ``MainWindow`` (which places its actions in the menus by name); every
edit goes through ``window.session.push``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QComboBox, QFileDialog, QLabel, QToolBar

from gui.panels.measurements import MeasurementsPanel
from gui.tools import TOOLS
from gui.tools.base import Tool
from gui.viewer.overlay import MarkOverlay
from gui.viewer.viewport import Viewport, loop_name
from measurements.marks import MarkType
from planning.case import CASE_SUFFIX, autosave_path
from planning.commands import RemoveMark, ReplaceMark
from planning.labels import labels_for, labels_for_regions, purpose_for

if TYPE_CHECKING:
    from gui.main_window import MainWindow
    from imaging.catalog import StudyCatalog
    from measurements.marks import Mark

CASE_FILTER = f"MitraPlan case (*{CASE_SUFFIX})"
#: Characters the toolbar's label box shows without clipping (the longest clinical labels).
LABEL_CHARS = 38
#: What the empty label box shows: a new mark has no label (no meaning, never graded) until one is chosen.
LABEL_PLACEHOLDER = "Choose what this measures…"
APP_TITLE = "MitraPlan — TEE review"


def window_title(case: str, dirty: bool, loop: str) -> str:
    """"case • (unsaved) — loop — MitraPlan — TEE review", leaving out the parts that are not there."""
    parts = [f"{case} • (unsaved)" if case and dirty else case, loop]
    return " — ".join([*(p for p in parts if p), APP_TITLE])


def _no_loop_text(catalog: StudyCatalog | None, mark: Mark) -> str:
    """Why a 2D mark cannot be shown on a loop: its image is not in the open study, or it names a 3D
    volume (a 2D mark lies on a loop's frame; only an MPR mark may reference a volume)."""
    if catalog is not None and catalog.find_volume(mark.sop_instance_uid) is not None:
        return (f"mark {mark.id!r} is a 2D mark but its image {mark.sop_instance_uid} is a 3D volume, not a loop:"
                " it is not shown (a 2D mark lies on a loop's frame; correct its sop_instance_uid in the case file)")
    return f"the image of mark {mark.id!r} is not in the open study"


class Annotation:
    """The annotation controls of one window (``window.annotation``)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.session = window.session
        self.overlays: dict[int, MarkOverlay] = {}  # id(viewport) -> its overlay, made as the grid builds it
        self.tool_name: str | None = None
        self.session.refused.connect(window.notices.warning)
        self.session.cleanChanged.connect(lambda _c: self.update_title())
        self.session.documentChanged.connect(lambda _d: self._on_document())
        self.session.ask_save_path = self._choose_save_path
        self.session.watch_focus(window)
        window.grid.for_each_viewport(self._add_overlay)
        self._build_actions()
        self.panel = MeasurementsPanel(self.session, window, window.tasks)  # the prior is measured in a task
        self.panel.markActivated.connect(self.jump_to_mark)
        self.dock = window.add_panel(self.panel, "Measurements", "measurements",
                                     Qt.DockWidgetArea.BottomDockWidgetArea)
        window.resizeDocks([self.dock], [230], Qt.Orientation.Vertical)
        self._on_document()
        window.actions_by_name["finish_tool"].setEnabled(False)

    # --- actions -----------------------------------------------------------------------------
    def _action(self, key: str, text: str, slot: Any, shortcut: str | QKeySequence.StandardKey | None = None,
                checkable: bool = False) -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setCheckable(checkable)
        action.setStatusTip(text.replace("&", "").rstrip("…"))
        action.triggered.connect(slot)
        self.window.addAction(action)
        self.window.actions_by_name[key] = action
        return action

    def _build_actions(self) -> None:
        a = self._action
        a("new_case", "&New Case", self.new_case, "Ctrl+N")
        a("open_case", "Open &Case…", self.choose_case)
        a("save_case", "&Save Case", self.save, "Ctrl+S")
        a("save_case_as", "Save Case &As…", self.save_as, "Ctrl+Shift+S")
        a("undo", "&Undo", self.undo, "Ctrl+Z")
        a("redo", "&Redo", self.redo, "Ctrl+Shift+Z")
        a("cancel_tool", "Cancel / Select", self.cancel, "Esc")
        a("finish_tool", "Finish Drawing", self.finish, "Return")
        a("delete_mark", "&Delete Selected Mark", self.delete_selected, "Delete")
        a("calculations", "Guided &Calculations…", self.show_calculations, "Ctrl+K")
        group = QActionGroup(self.window)
        select = a("tool_select", "&Select / Edit", lambda: self.set_tool(None), checkable=True)
        group.addAction(select)
        select.setChecked(True)
        for name, (_cls, text, key) in TOOLS.items():
            action = a(f"tool_{name}", text, lambda _c=False, n=name: self.set_tool(n), key, checkable=True)
            group.addAction(action)
        self.label_box = QComboBox(self.window)
        self.label_box.setEditable(True)
        self.label_box.setMinimumContentsLength(LABEL_CHARS)  # "Lateral para-clip jet vena contracta" fits
        self.label_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.label_box.setToolTip("Label of the next mark (pick from the clinical list or type)")
        self.label_box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.label_box.currentTextChanged.connect(self._set_label)
        self.label_box.activated.connect(lambda _i: self.relabel_selected())
        line = self.label_box.lineEdit()
        assert line is not None  # an editable combo box has its line edit
        line.returnPressed.connect(self.relabel_selected)
        self._fill_labels(MarkType.DISTANCE)

    def build_toolbar(self) -> QToolBar:
        """The Measure toolbar (tools, label box, calculations) on a row of its own."""
        w = self.window
        w.addToolBarBreak()
        toolbar = w.addToolBar("Measure")
        toolbar.setObjectName("toolbar-measure")
        toolbar.setMovable(False)
        short = {"tool_select": "Select", "tool_distance": "Distance", "tool_area": "Area",
                 "tool_freehand": "Freehand", "tool_trace": "Trace", "tool_auto_trace": "Auto trace",
                 "tool_point": "Point"}
        for key, text in short.items():
            w.actions_by_name[key].setIconText(text)
            toolbar.addAction(w.actions_by_name[key])
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Label ", w))
        toolbar.addWidget(self.label_box)
        toolbar.addSeparator()
        w.actions_by_name["calculations"].setIconText("Calculations")
        toolbar.addAction(w.actions_by_name["calculations"])
        return toolbar

    # --- case files --------------------------------------------------------------------------
    def new_case(self) -> None:
        """A new case over the open study; several patients or studies: the user picks one
        (``CaseSession.new_over``)."""
        if self.session.maybe_keep_changes():
            self.session.new_over(self.window.catalog)

    def offer_crash_recovery(self) -> Path | None:
        """At start: the most recent case whose autosave is newer than it (MitraPlan stopped before it
        was saved) is offered back; yes opens it with the autosaved edits, unsaved."""
        for entry in self.window.recent_studies():
            path = Path(entry)
            side = autosave_path(path)
            if not (path.name.endswith(CASE_SUFFIX) and path.is_file() and side.is_file()):
                continue
            if side.stat().st_mtime <= path.stat().st_mtime or not self.session.ask_restore(path, side):
                return None
            ask, self.session.ask_restore = self.session.ask_restore, lambda _p, _s: True
            try:
                self.window.open_paths([path])  # opens the case at once (its images index in the background)
            finally:
                self.session.ask_restore = ask
            return path
        return None

    def choose_case(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a case", self.window._last_dir(), CASE_FILTER)
        if path:
            self.window.open_paths([path])

    def _choose_save_path(self) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Save case", str(Path.home() / f"case{CASE_SUFFIX}"),
                                              CASE_FILTER)
        if not path:
            return None
        return Path(path if path.endswith(CASE_SUFFIX) else path + CASE_SUFFIX)

    def save(self) -> bool:
        if self.session.document is None:
            self.window.notices.warning("No case is open: File → New Case first")
            return False
        saved = self.session.save()
        if saved:
            self.window.notices.info(f"Case saved to {self.session.document.path}")
        return saved

    def save_as(self) -> bool:
        path = self._choose_save_path()
        return bool(path) and self.session.save(path)

    def _on_document(self) -> None:
        self.update_title()
        for key in ("save_case", "save_case_as", "undo", "redo", "delete_mark", "calculations"):
            self.window.actions_by_name[key].setEnabled(self.session.document is not None)
        undo = self.session.undo
        if undo is not None:
            undo.stack.indexChanged.connect(lambda _i: self._update_undo_texts())
        self._update_undo_texts()

    def _update_undo_texts(self) -> None:
        stack = self.session.undo.stack if self.session.undo is not None else None
        for key, can, text in (("undo", stack and stack.canUndo(), stack and stack.undoText()),
                               ("redo", stack and stack.canRedo(), stack and stack.redoText())):
            action = self.window.actions_by_name[key]
            action.setEnabled(bool(can))
            action.setText(f"&{key.title()} {text}" if text else f"&{key.title()}")

    def update_title(self) -> None:
        """The one writer of the window title: the case (and whether it is saved) and the active loop."""
        info = self.window.grid.active.info
        self.window.setWindowTitle(window_title(self.session.display_name(), self.session.is_dirty(),
                                                "" if info is None else loop_name(info)))

    # --- editing -----------------------------------------------------------------------------
    def undo(self) -> None:
        if self.session.undo is not None:
            self.cancel_drawing()
            self.session.undo.stack.undo()

    def redo(self) -> None:
        if self.session.undo is not None:
            self.cancel_drawing()
            self.session.undo.stack.redo()

    def _add_overlay(self, viewport: Viewport) -> None:
        """The marks overlay of a newly built viewport, with the tool every viewport has."""
        overlay = self.overlays[id(viewport)] = MarkOverlay(viewport, self.session)
        overlay.selectionChanged.connect(self._show_selected_label)
        overlay.draftChanged.connect(lambda on: self.window.actions_by_name["finish_tool"].setEnabled(on))
        self._apply_tool(viewport)

    def _apply_tool(self, viewport: Viewport) -> None:
        overlay = self.overlays[id(viewport)]
        viewport.tool = None if self.tool_name is None else TOOLS[self.tool_name][0](overlay)
        overlay.set_interactive(self.tool_name is None)

    def overlay(self, viewport: Viewport | None = None) -> MarkOverlay:
        return self.overlays[id(viewport or self.window.grid.active)]

    def set_tool(self, name: str | None) -> None:
        """Make ``name`` the drawing tool of every viewport (None: select and edit marks)."""
        self.cancel_drawing()
        self.tool_name = name
        for viewport in self.window.grid.built:
            self._apply_tool(viewport)
        self.window.actions_by_name[f"tool_{name or 'select'}"].setChecked(True)
        if name is not None:
            self._fill_labels(TOOLS[name][0].kind)

    def _fill_labels(self, kind: MarkType) -> None:
        self.label_box.blockSignals(True)
        self.label_box.clear()
        self.label_box.addItems(labels_for_regions(self.window.grid.active.regions, kind))
        self.label_box.setCurrentIndex(-1)  # empty: the next mark is unlabelled until the user picks a label
        line = self.label_box.lineEdit()
        if line is not None:  # an editable combo box has its line edit
            line.setPlaceholderText(LABEL_PLACEHOLDER)
        self.label_box.blockSignals(False)
        self._set_label(self.label_box.currentText())

    def _set_label(self, text: str) -> None:
        for overlay in self.overlays.values():
            overlay.label = text.strip()

    def _show_selected_label(self, mark_id: str | None) -> None:
        """In select mode the label box shows (and edits) the label of the selected mark."""
        doc = self.session.document
        mark = doc.mark(mark_id) if doc is not None and mark_id else None
        if mark is None or self.tool_name is not None:
            return
        self.label_box.blockSignals(True)
        self.label_box.clear()
        region = next((r for r in self.overlay().viewport.regions if r.index == mark.region), None)
        self.label_box.addItems(labels_for(region, mark.type))
        self.label_box.setCurrentText(mark.label)
        self.label_box.blockSignals(False)

    def relabel_selected(self) -> None:
        """Give the selected mark the label in the box (and the purpose that label implies)."""
        doc = self.session.document
        mark_id = self.overlay().selected
        mark = doc.mark(mark_id) if doc is not None and mark_id and self.tool_name is None else None
        label = self.label_box.currentText().strip()
        if mark is None or not label or label == mark.label:
            return
        purpose = purpose_for(label) or (mark.purpose if purpose_for(mark.label) is None else None)
        self.session.push(ReplaceMark(mark, dataclasses.replace(mark, label=label, purpose=purpose)))

    def cancel_drawing(self) -> bool:
        """Drop any half-drawn mark; True when there was one."""
        dropped = False
        for viewport in self.window.grid.built:
            tool = viewport.tool
            if isinstance(tool, Tool) and tool.points:
                tool.cancel()
                dropped = True
        return dropped

    def cancel(self) -> None:
        """Esc: undo a handle drag in progress, or drop the drawing in progress; else leave the tool;
        else clear the selection."""
        if any(overlay.cancel_drag() for overlay in self.overlays.values()) or self.cancel_drawing():
            return
        if self.tool_name is not None:
            self.set_tool(None)
            return
        self.overlay().select(None)
        self.panel.clear_selection()

    def finish(self) -> None:
        tool = self.window.grid.active.tool
        if isinstance(tool, Tool):
            tool.finish()

    def delete_selected(self) -> None:
        doc = self.session.document
        mark_id = self.overlay().selected or self.panel.selected_mark()
        mark = doc.mark(mark_id) if doc is not None and mark_id else None
        if doc is None or mark is None:
            self.window.notices.info("Select a mark first (click it, or pick its row in Measurements)")
            return
        self.session.push(RemoveMark.of(doc, mark))

    def show_calculations(self) -> Any:
        from gui.panels.calculations import CalculationDialog

        if self.session.document is None:
            self.window.notices.warning("No case is open: File → New Case first")
            return None
        dialog = CalculationDialog(self.session, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    # --- navigation --------------------------------------------------------------------------
    def jump_to_mark(self, mark_id: str) -> None:
        """Show the loop and frame of a mark in the active viewport and highlight it."""
        doc = self.session.document
        mark = doc.mark(mark_id) if doc is not None else None
        if mark is None:
            return
        w = self.window
        if mark.is_3d:  # a mark on an MPR plane: the volume viewer reopens it on its plane
            w.volumes.show_mark(mark)
            return
        viewport = w.grid.active
        if viewport.info is not None and str(viewport.info.sop_instance_uid) == mark.sop_instance_uid:
            self._show_mark(viewport, mark_id, mark.frame_number)
            return
        info = w.catalog.find_loop(mark.sop_instance_uid) if w.catalog is not None else None
        if info is None:
            w.notices.warning(_no_loop_text(w.catalog, mark))
            return

        def shown(v: Viewport) -> None:
            if v is viewport:
                w.loopShown.disconnect(shown)
                self._show_mark(v, mark_id, mark.frame_number)
        w.loopShown.connect(shown)
        w.open_loop(info, viewport)

    def _show_mark(self, viewport: Viewport, mark_id: str, frame_number: int) -> None:
        viewport.pause()
        viewport.show_frame(frame_number - 1)
        overlay = self.overlays[id(viewport)]
        overlay.refresh()
        overlay.select(mark_id)
