"""View → Compare with Prior…: the current loop and the prior study's loop of the same view side by side.

Both play synchronised by cardiac cycle (``gui.viewer.sync``: the current loop leads at its own frame
rate; the prior's shows the frame at the same phase of the R-R interval, at its own frame timing), and
under them the comparison rows (``planning.compare``: the current numbers against the prior's). The
prior is read, measured and indexed off the GUI thread (``prior_study.load_prior_study`` in a task).
Nothing here edits a case: both viewports refuse marks (``ReadOnlyTool``); marks are made in the
main window, on the current study.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.notices import Notices
from gui.present.loops import ReadOnlyTool, open_loop, read_only_cache
from gui.present.prior_study import PriorStudy, load_prior_study, paired_loop
from gui.tasks import TaskRunner
from gui.viewer.grid import ViewerGrid
from gui.viewer.playback import Clock
from gui.viewer.sync import SyncMode, sync_description
from gui.viewer.viewport import Viewport, loop_name
from imaging.loop import LoopInfo
from planning.compare import Side
from planning.document import CaseDocument
from planning.model import Prior
from report.compare_section import comparison_cells

PRIOR_READ_ONLY = "The prior study is read-only here: marks are made on the current study, in the main window"
CURRENT_READ_ONLY = "The comparison is for viewing: marks are made in the main window"
COMPARE_COLUMNS = ("Quantity", "Prior", "Current", "Change", "Direction")


def iso_date(dicom_date: object) -> str:
    """``20260504`` → ``2026-05-04``; anything else as given."""
    d = str(dicom_date or "").strip()
    return f"{d[:4]}-{d[4:6]}-{d[6:8]}" if len(d) == 8 and d.isdigit() else d


class ComparisonWindow(QWidget):
    """The current loop (left, leading) and the prior's loop of the same view (right), synced by cycle."""

    def __init__(self, doc: CaseDocument, entry: Prior, current: LoopInfo | None, notices: Notices,
                 clock: Clock, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("comparison")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.doc, self.entry, self.current_info, self.notices = doc, entry, current, notices
        self.tasks = TaskRunner(self)
        self.cache = read_only_cache()
        self.prior: PriorStudy | None = None
        self.grid = ViewerGrid(clock, self)
        self.grid.set_layout(2)
        self.grid.set_sync_mode(SyncMode.CYCLE)
        self.current_view, self.prior_view = self.grid.viewports[0], self.grid.viewports[1]
        self.current_view.tool = ReadOnlyTool(notices.info, CURRENT_READ_ONLY, quiet_clicks=True)
        self.prior_view.tool = ReadOnlyTool(notices.warning, PRIOR_READ_ONLY)
        study_date = iso_date(doc.case.study.get("study_date"))
        self.current_title = QLabel(f"Current study{', ' + study_date if study_date else ''}", self)
        self.prior_title = QLabel(f"Prior: {entry.role}, {entry.date}" if entry.date else f"Prior: {entry.role}", self)
        for label in (self.current_title, self.prior_title):
            label.setStyleSheet("font-size: 16pt; font-weight: bold; padding: 4px;")
        self.prior_loops = QComboBox(self)
        self.prior_loops.setToolTip("The prior study's loop shown on the right (the same view is chosen first)")
        self.prior_loops.currentIndexChanged.connect(self._choose_prior_loop)
        self.play_button = QPushButton("Play / Pause (Space)", self)
        self.play_button.clicked.connect(lambda _c=False: self.toggle_play())
        self.sync_label = QLabel("", self)
        self.status = QLabel("Reading the prior study…", self)
        self.table = QTableWidget(0, len(COMPARE_COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(COMPARE_COLUMNS))
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self._build_layout()
        self._build_keys()
        for viewport in (self.current_view, self.prior_view):
            viewport.loopChanged.connect(lambda _l: self._show_sync())
        self.setWindowTitle(f"Compare with prior — {entry.role} {entry.date}".strip())
        self.resize(1500, 950)

    def _build_layout(self) -> None:
        titles = QHBoxLayout()
        titles.addWidget(self.current_title, 1)
        titles.addWidget(self.prior_title, 1)
        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.sync_label, 1)
        controls.addWidget(QLabel("Prior loop:", self))
        controls.addWidget(self.prior_loops, 1)
        column = QVBoxLayout(self)
        column.addLayout(titles)
        column.addWidget(self.grid, 3)
        column.addLayout(controls)
        column.addWidget(self.status)
        column.addWidget(self.table, 1)

    def _build_keys(self) -> None:
        for key, slot in (("Space", self.toggle_play), ("Left", lambda: self._step(-1)),
                          ("Right", lambda: self._step(1)), ("Esc", self.close)):
            action = QAction(key, self)
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(lambda _c=False, s=slot: s())
            self.addAction(action)

    # --- loading -----------------------------------------------------------------------------
    def start(self) -> None:
        """Open the current loop and read the prior study, both in the background."""
        if self.current_info is not None:
            open_loop(self.tasks, self.current_view, self.current_info.path, self.cache, self.notices.error,
                      then=self._lead_current)
        doc = self.doc
        current = Side(doc.findings(), list(doc.results()), list(doc.marks))
        case, entry = doc.case, self.entry
        self.tasks.start(f"Reading prior {entry.case}", lambda _p, cancel: load_prior_study(case, entry, current, cancel),
                         on_done=self._prior_ready, on_error=self._prior_failed)

    def _prior_failed(self, exc: BaseException) -> None:
        self.status.setText(f"Prior not shown: {exc}")
        self.notices.error(f"Compare with prior: {exc}")

    def _prior_ready(self, prior: PriorStudy) -> None:
        self.prior = prior
        for warning in prior.warnings:
            self.notices.warning(warning)
        self._fill_table(prior)
        pair = None if self.current_info is None else paired_loop(self.doc.case, self.current_info, prior.case,
                                                                  prior.loops)
        self.prior_loops.blockSignals(True)
        self.prior_loops.clear()
        for info in prior.loops:
            self.prior_loops.addItem(loop_name(info))
        self.prior_loops.blockSignals(False)
        if not prior.loops:
            self.status.setText(f"{prior.entry.case}: the prior case lists no image that could be found")
            return
        chosen = prior.loops.index(pair) if pair is not None else 0
        self.status.setText(f"{prior.title} ({prior.entry.case}) · "
                            + ("the same view" if pair is not None else "no loop of the same view: choose one"))
        self.prior_loops.setCurrentIndex(chosen)
        self._choose_prior_loop(chosen)

    def _choose_prior_loop(self, index: int) -> None:
        if self.prior is None or not 0 <= index < len(self.prior.loops):
            return
        info = self.prior.loops[index]
        open_loop(self.tasks, self.prior_view, info.path, self.cache, self.notices.error, then=self._lead_current)

    def _lead_current(self, _viewport: Viewport) -> None:
        self.grid.set_active(self.current_view)
        leader = self.grid.leader()
        if leader is not None:
            leader.show_frame(leader.frame_index)  # the follower takes the leader's phase at once

    def _fill_table(self, prior: PriorStudy) -> None:
        self.table.setRowCount(len(prior.rows))
        for r, row in enumerate(prior.rows):
            for c, text in enumerate(comparison_cells(row.as_json())):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

    def _show_sync(self) -> None:
        self.sync_label.setText(sync_description(self.current_view.timing, self.prior_view.timing)
                                if self.current_view.loop is not None and self.prior_view.loop is not None else "")

    # --- playback ----------------------------------------------------------------------------
    def toggle_play(self) -> None:
        self.grid.set_active(self.current_view)
        self.grid.toggle_play()

    def _step(self, delta: int) -> None:
        self.grid.pause()
        self.current_view.step(delta)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.tasks.cancel_all()
        self.grid.pause()
        for viewport in self.grid.viewports:
            viewport.set_loop(None)
        super().closeEvent(event)


def open_comparison(doc: CaseDocument, entry: Prior, current: LoopInfo | None, notices: Notices, clock: Clock,
                    parent: QWidget | None = None) -> ComparisonWindow:
    """Create, show and start a comparison window."""
    window = ComparisonWindow(doc, entry, current, notices, clock, parent)
    window.show()
    window.start()
    return window
