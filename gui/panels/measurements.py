"""The measurements panel: every result of the case with value, unit, grade, warnings and its marks.

``ResultsModel`` is a ``QAbstractTableModel`` over the document's recomputed results (it keeps no
number of its own: it re-reads ``doc.results()`` after every change) plus one row per mark or
calculation that could not be measured, with the reason. Selecting a row asks the window to show
the loop and frame of its first mark and highlight it (``markActivated``). Values imported from an
SR are in italics with their provenance; right-click accepts, hides or supersedes one.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QMenu, QTableView, QVBoxLayout, QWidget

from gui.import_measurements import set_status
from gui.session import CaseSession
from measurements import thresholds
from measurements.results import Result
from planning.imported import Status
from report.model import unit_display

COLUMNS = ("Measurement", "Value", "Unit", "Grade", "Warnings", "Marks")
_GRADE_COLOURS = {"normal": "#81c784", "mild": "#aed581", "moderate": "#ffb74d", "severe": "#ff7043"}
_Index = QModelIndex | QPersistentModelIndex


def grade_text(result: Result) -> str:
    """The first grade with its scheme, e.g. "moderate (EAE/ASE 2009)"."""
    if not result.grades:
        return ""
    first = result.grades[0]
    return f"{first.label} ({first.scheme})"


def number_text(result: Result) -> str:
    """The value as reported, without its unit (the unit has its own column)."""
    return thresholds.display(result.quantity, result.value).removesuffix(result.unit).strip()


def value_text(result: Result) -> str:
    """The value with its unit as a reader writes it, e.g. "0.10 cm²"."""
    return f"{number_text(result)} {unit_display(result.unit)}".strip()


def grade_colour(text: str) -> str | None:
    low = text.lower()
    for key in ("severe", "moderate", "mild", "normal"):
        if key in low:
            return _GRADE_COLOURS[key]
    return None


def imported_data(result: Result, role: int, col: int) -> Any:
    """Italic type and a provenance tooltip for a value imported from another system's SR."""
    if role == Qt.ItemDataRole.FontRole:
        font = QFont()
        font.setItalic(True)
        font.setBold(col == 1)
        return font
    assert result.imported is not None
    lines = [f"{result.label}: {value_text(result)}", f"status: {result.imported_status}",
             f"SR {result.imported.sop_instance_uid}", *(f"{g.label} — {g.scheme} ({g.source})" for g in result.grades),
             *(f"⚠ {w}" for w in result.warnings), "right-click: accept, hide or supersede"]
    return "\n".join(lines)


#: Right-click actions on an imported row: menu text -> the status it sets.
IMPORTED_ACTIONS = {"Accept imported value": Status.ACCEPTED, "Hide imported value": Status.HIDDEN,
                    "Superseded by MitraPlan's marks": Status.SUPERSEDED, "Back to imported (not accepted)":
                    Status.IMPORTED}


class ResultsModel(QAbstractTableModel):
    """Rows: results (then refusals) of the open case."""

    def __init__(self, session: CaseSession, parent: Any = None) -> None:
        super().__init__(parent)
        self.session = session
        self.results: list[Result] = []
        self.errors: list[tuple[str, str]] = []
        session.changed.connect(lambda _c: self.reload())
        session.documentChanged.connect(lambda _d: self.reload())
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        doc = self.session.document
        self.results = doc.results() if doc is not None else []
        self.errors = doc.errors() if doc is not None else []
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self.results) + len(self.errors)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
                   ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def source(self, row: int) -> tuple[str, ...]:
        """Mark (or calculation) ids of a row."""
        if row < len(self.results):
            return self.results[row].source
        return (self.errors[row - len(self.results)][0],)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if row >= len(self.results):
            item_id, message = self.errors[row - len(self.results)]
            if role == Qt.ItemDataRole.DisplayRole:
                return (item_id, "—", "", "not measured", message, item_id)[col]
            if role == Qt.ItemDataRole.ForegroundRole:
                return QColor("#ff8a80")
            if role == Qt.ItemDataRole.ToolTipRole:
                return message
            return None
        r = self.results[row]
        if r.imported is not None and role in (Qt.ItemDataRole.FontRole, Qt.ItemDataRole.ToolTipRole):
            return imported_data(r, role, col)
        grade = grade_text(r)
        if role == Qt.ItemDataRole.DisplayRole:
            return (r.label, number_text(r), unit_display(r.unit), grade,
                    " · ".join(r.warnings), ", ".join(r.source))[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"{r.label}: {value_text(r)}"]
            lines += [f"{g.label} — {g.scheme} ({g.source})" for g in r.grades]
            lines += [f"⚠ {w}" for w in r.warnings]
            if r.method:
                lines.append(f"method: {r.method}")
            return "\n".join(lines)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 3 and grade_colour(grade):
                return QColor(grade_colour(grade))
            if col == 4 and r.warnings:
                return QColor("#ffcc80")
        if role == Qt.ItemDataRole.FontRole and col == 1:
            font = QFont()
            font.setBold(True)
            return font
        return None


class MeasurementsPanel(QWidget):
    """The table; a row click emits ``markActivated(mark id)`` for its first mark."""

    markActivated = Signal(str)

    def __init__(self, session: CaseSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = ResultsModel(session, self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        for col in range(len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(3, 300)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._imported_menu)
        self.table.clicked.connect(self._activate)
        self.table.activated.connect(self._activate)
        self.summary = QLabel("", self)
        self.summary.setObjectName("measurementsSummary")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self.model.modelReset.connect(self._update_summary)
        self._update_summary()

    def _update_summary(self) -> None:
        doc = self.session.document
        if doc is None:
            self.summary.setText("No case open — File → New Case, or open a case file")
            return
        n, bad = len(self.model.results), len(self.model.errors)
        self.summary.setText(f"{n} result{'s' * (n != 1)} from {len(doc.marks)} marks"
                             + (f" · {bad} not measured" if bad else ""))

    def _activate(self, index: QModelIndex) -> None:
        doc = self.session.document
        for mark_id in self.model.source(index.row()):
            if doc is not None and doc.mark(mark_id) is not None:
                self.markActivated.emit(mark_id)
                return

    def imported_id(self, row: int) -> str | None:
        """The case's id of the imported value on ``row`` (None: not an imported row)."""
        if row >= len(self.model.results) or self.model.results[row].imported is None:
            return None
        return self.model.results[row].id.removeprefix("imported.")

    def set_imported_status(self, row: int, status: Status) -> bool:
        """Accept, hide, supersede or reset the imported value on ``row`` (one undo step)."""
        ident = self.imported_id(row)
        return ident is not None and set_status(self.session, ident, status)

    def _imported_menu(self, pos: QPoint) -> None:
        row = self.table.indexAt(pos).row()
        if row < 0 or self.imported_id(row) is None:
            return
        menu = QMenu(self)
        for text, status in IMPORTED_ACTIONS.items():
            action = menu.addAction(text)
            action.triggered.connect(lambda _checked=False, s=status: self.set_imported_status(row, s))
        self.exec_menu(menu, self.table.viewport().mapToGlobal(pos))

    def exec_menu(self, menu: QMenu, at: QPoint) -> None:
        """Run a context menu modally (a seam for tests, which pick an entry instead)."""
        menu.exec(at)

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)
        self._activate(self.model.index(row, 0))

    def select_source(self, mark_id: str) -> None:
        """Select (without jumping) the first row computed from ``mark_id``."""
        for row in range(self.model.rowCount()):
            if mark_id in self.model.source(row):
                self.table.selectRow(row)
                self.table.scrollTo(self.model.index(row, 0))
                return

    def selected_mark(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        doc = self.session.document
        if not rows or doc is None:
            return None
        return next((m for m in self.model.source(rows[0].row()) if doc.mark(m) is not None), None)

    def clear_selection(self) -> None:
        self.table.clearSelection()
