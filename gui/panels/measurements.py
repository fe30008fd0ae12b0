"""The measurements panel: every result of the case with value, unit, grade, warnings and its marks.

``ResultsModel`` is a ``QAbstractTableModel`` over the document's recomputed results (it keeps no
number of its own: it re-reads ``doc.results()`` after every change) plus one row per mark or
calculation that could not be measured, with the reason. Selecting a row asks the window to show
the loop and frame of its first mark and highlight it (``markActivated``). Values imported from an
SR are in italics with their provenance; right-click accepts, hides or supersedes one.

A trace over several beats shows its average row ("mean of n beats, SD x", with the heart rate)
and, indented under it when "Show each beat" is ticked (off by default), one row per beat; an average
over several traces of one beat each leads their rows the same way. A value a
plausibility gate holds shows its warning, no grade and "held" until the user checks the image and
confirms it (Confirm value / Unconfirm, one undo step each: ``ReplaceMark`` with the mark's ``confirmed`` flipped); the warning stays after.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.import_measurements import set_status
from gui.present.prior_study import measured_prior
from gui.session import CaseSession
from gui.tasks import TaskRunner
from measurements import concepts, plausibility
from measurements.concepts import quantity as quantity_of
from measurements.marks import Mark
from measurements.results import Result
from measurements.thresholds import round_half_up
from planning.commands import AddCalculation, Command, ReplaceCalculation, ReplaceMark
from planning.compare import Side, latest_prior, numeric_row
from planning.findings import selected
from planning.imported import Status
from report.model import unit_display

COLUMNS = ("Measurement", "Value", "Unit", "Beats", "Grade", "Warnings", "Marks", "Prior", "Change")
GRADE_COLUMN, WARNINGS_COLUMN = 4, 5
#: Shown only when the case names a prior study (docs/case-file.md, priors): its value and the change.
PRIOR_COLUMN, CHANGE_COLUMN = 7, 8
#: What the grade column says of a value a plausibility gate holds.
HELD_GRADE = "held until confirmed (not graded or used)"
BEAT_INDENT = "      "
_GRADE_COLOURS = {"normal": "#81c784", "mild": "#aed581", "moderate": "#ffb74d", "severe": "#ff7043"}
_Index = QModelIndex | QPersistentModelIndex


def grade_text(result: Result) -> str:
    """The first grade with its scheme, e.g. "moderate (EAE/ASE 2009)"."""
    if not result.grades:
        return ""
    first = result.grades[0]
    return f"{first.label} ({first.scheme})"


def number_text(result: Result) -> str:
    """The value as reported, without its unit (the unit has its own column): ``concepts.number_text``."""
    return concepts.number_text(result.quantity, result.value)


def value_text(result: Result) -> str:
    """The value with its unit as the report prints it, e.g. "0.10 cm²": ``concepts.value_text``."""
    return concepts.value_text(result.quantity, result.value, result.unit)


def _amount(quantity: str, value: float, unit: str) -> str:
    return concepts.value_text(quantity, value, unit)


def _is_beat_of(child: Result, parent: Result) -> bool:
    return (child.beat is not None and parent.beats is not None and child.source == parent.source
            and child.quantity == parent.quantity)


def _is_mark_of(child: Result, parent: Result) -> bool:
    """``child`` is one mark's (one beat's) value of an average over several marks ("mean of 2 beats"
    over two inflow traces)."""
    return (parent.beats is not None and len(parent.source) > 1 and child.beats is None and child.beat is None
            and child.quantity == parent.quantity and len(child.source) == 1 and child.source[0] in parent.source)


def _members(parent: Result, results: Sequence[Result]) -> list[Result]:
    """The beats an average is the mean of: a trace's beats in beat order, or the marks it averages."""
    beats = sorted((b for b in results if _is_beat_of(b, parent)), key=lambda b: b.beat or 0)
    return beats + [r for r in results if _is_mark_of(r, parent)]


def grouped(results: Sequence[Result]) -> list[tuple[Result, bool]]:
    """(result, is a beat row) in display order: each average (of a multi-beat trace, or over several
    marks) where its first beat was measured, followed by its beats; everything else in the order measured."""
    averages = [r for r in results if r.beats is not None]
    out: list[tuple[Result, bool]] = []
    shown: set[str] = set()
    for r in results:
        parent = r if r.beats is not None else next(
            (a for a in averages if _is_beat_of(r, a) or _is_mark_of(r, a)), None)
        if parent is None:
            out.append((r, False))
        elif parent.id not in shown:
            shown.add(parent.id)
            out += [(parent, False), *((b, True) for b in _members(parent, results))]
    return out


def _heart_rate(results: Sequence[Result], of: Result) -> Result | None:
    """The heart rate of the same trace and beat (the average heart rate for an average row)."""
    return next((r for r in results if r.quantity == "heart_rate" and r.source == of.source
                 and r.beat == of.beat and (r.beats is not None) == (of.beats is not None)), None)


def beats_text(result: Result, results: Sequence[Result]) -> str:
    """"mean of 3 beats, SD 0.54 mmHg · HR 71 bpm" for an average, "HR 67 bpm" for a beat row (its
    label says which beat; the last beat of a trace has no heart rate without an ECG)."""
    if result.beats is None and result.beat is None:
        return ""
    parts = []
    if result.beat is None:
        sd = "" if result.sd is None else f", SD {_amount(result.quantity, result.sd, result.unit)}"
        parts.append(f"mean of {result.beats} beat{'s' * (result.beats != 1)}{sd}")
    hr = _heart_rate(results, result) if result.quantity != "heart_rate" else None
    if hr is not None:
        parts.append(f"HR {_amount('heart_rate', hr.value, hr.unit)}")
    return " · ".join(parts)


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
    """Rows: results (averages with their beats under them, then refusals) of the open case."""

    def __init__(self, session: CaseSession, parent: Any = None, tasks: TaskRunner | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.results: list[Result] = []
        self.beat_rows: list[bool] = []
        self.errors: list[tuple[str, str]] = []
        self.prior = PriorValues(session, tasks if tasks is not None else TaskRunner(self), self.reload)
        session.changed.connect(lambda _c: self.reload())
        session.documentChanged.connect(lambda _d: self.reload())
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self.prior.refresh()
        doc = self.session.document
        rows = grouped(doc.results()) if doc is not None else []
        self.results = [r for r, _ in rows]
        self.beat_rows = [beat for _, beat in rows]
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
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole \
                and section in (PRIOR_COLUMN, CHANGE_COLUMN):
            return self.prior.description
        return None

    def source(self, row: int) -> tuple[str, ...]:
        """Mark (or calculation) ids of a row."""
        if row < len(self.results):
            return self.results[row].source
        return (self.errors[row - len(self.results)][0],)

    def result(self, row: int) -> Result | None:
        return self.results[row] if 0 <= row < len(self.results) else None

    def _label(self, row: int) -> str:
        r = self.results[row]
        if not self.beat_rows[row]:
            return r.label
        return f"{BEAT_INDENT}beat {r.beat}" if r.beat is not None else f"{BEAT_INDENT}{r.label}"

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if row >= len(self.results):
            item_id, message = self.errors[row - len(self.results)]
            if role == Qt.ItemDataRole.DisplayRole:
                return (item_id, "—", "", "", "not measured", message, item_id, "", "")[col]
            if role == Qt.ItemDataRole.ForegroundRole:
                return QColor("#ff8a80")
            if role == Qt.ItemDataRole.ToolTipRole:
                return message
            return None
        r = self.results[row]
        if r.imported is not None and role in (Qt.ItemDataRole.FontRole, Qt.ItemDataRole.ToolTipRole):
            return imported_data(r, role, col)
        held = plausibility.is_held(r)
        grade = HELD_GRADE if held else grade_text(r)
        if role == Qt.ItemDataRole.DisplayRole:
            if col in (PRIOR_COLUMN, CHANGE_COLUMN):
                return self.prior.text(r, col == CHANGE_COLUMN)
            return (self._label(row), number_text(r), unit_display(r.unit), beats_text(r, self.results), grade,
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
            if col == GRADE_COLUMN and held:
                return QColor("#ffcc80")
            if col == GRADE_COLUMN and grade_colour(grade):
                return QColor(grade_colour(grade))
            if col == WARNINGS_COLUMN and r.warnings:
                return QColor("#ffcc80")
            if self.beat_rows[row]:
                return QColor("#b0bec5")
        if role == Qt.ItemDataRole.FontRole and col == 1 and not self.beat_rows[row]:
            font = QFont()
            font.setBold(True)
            return font
        return None


class PriorValues:
    """The case's latest prior study, measured once per opened case off the GUI thread (a task: its case
    file is read and every mark measured), and each selected value's change against it
    (``planning.compare``: printed values, change criteria). ``on_ready`` runs when its numbers arrive."""

    def __init__(self, session: CaseSession, tasks: TaskRunner, on_ready: Callable[[], None]) -> None:
        self.session = session
        self.tasks = tasks
        self.on_ready = on_ready
        self.side: Side | None = None
        self.description = ""
        self.measuring = False
        self._document: Any = None
        self._priors: tuple[Any, ...] = ()
        self._request = 0

    @property
    def shown(self) -> bool:
        return self.side is not None or bool(self.description)

    def refresh(self) -> None:
        """Measure the prior again when another case was opened or its priors changed (a prior's file is
        not watched for changes); until its numbers arrive the columns say it is being measured."""
        doc = self.session.document
        priors = doc.findings().priors if doc is not None else ()
        if doc is self._document and priors == self._priors:
            return
        self._document, self._priors, self.side, self.description = doc, priors, None, ""
        self._request += 1
        self.measuring = False
        prior = latest_prior(priors)
        if doc is None or prior is None:
            return
        where, request, case = f"{prior.role} {prior.date}".strip(), self._request, doc.case
        self.description, self.measuring = f"prior: {where} ({prior.case}): measuring…", True
        self.tasks.start(f"Measuring prior {prior.case}", lambda _p, _c: measured_prior(case, prior).side,
                         on_done=lambda side: self._arrived(request, side, f"prior: {where} ({prior.case})"),
                         on_error=lambda exc: self._arrived(request, None, f"prior {where} not shown: {exc}"))

    def _arrived(self, request: int, side: Side | None, description: str) -> None:
        if request != self._request:  # another case or another prior since: this answer is stale
            return
        self.side, self.description, self.measuring = side, description, False
        self.on_ready()

    def text(self, result: Result, change: bool) -> str:
        """The prior value (or the change, with its direction) of a selected value; "" otherwise."""
        doc = self.session.document
        if self.side is None or doc is None or result.beat is not None:
            return ""
        current = selected(doc.results(), result.quantity, doc.marks)
        if current is None or current.id != result.id:
            return ""
        before = selected(self.side.results, result.quantity, self.side.marks)
        if before is None:
            return "" if change else "—"
        row = numeric_row(result.quantity, result.label, before.value, result.value)
        precision = quantity_of(result.quantity).precision
        if not change:
            return str(round_half_up(before.value, precision))
        if row.change is None or isinstance(row.change, str):
            return ""
        sign = "+" if row.change > 0 else ""
        return f"{sign}{round_half_up(float(row.change), precision)} ({row.direction})"


def gated(results: Sequence[Result]) -> list[str]:
    """The plausibility warnings of a mark's results, each once."""
    return list(dict.fromkeys(w for r in results for w in r.warnings if w.startswith(plausibility.PREFIX)))


class MeasurementsPanel(QWidget):
    """The table; a row click emits ``markActivated(mark id)`` for its first mark. Confirm value /
    Unconfirm act on the selected row's mark when a plausibility gate flagged it."""

    markActivated = Signal(str)

    def __init__(self, session: CaseSession, parent: QWidget | None = None, tasks: TaskRunner | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = ResultsModel(session, self, tasks)
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
        header.setSectionResizeMode(GRADE_COLUMN, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(GRADE_COLUMN, 300)
        header.setSectionResizeMode(WARNINGS_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._imported_menu)
        self.table.clicked.connect(self._activate)
        self.table.activated.connect(self._activate)
        self.summary = QLabel("", self)
        self.summary.setObjectName("measurementsSummary")
        self.confirm_action = QAction("Confirm value", self)
        self.confirm_action.setStatusTip("The flagged value is right: grade it and use it (the warning stays)")
        self.confirm_action.triggered.connect(lambda _c=False: self.set_confirmed(True))
        self.unconfirm_action = QAction("Unconfirm", self)
        self.unconfirm_action.setStatusTip("Hold the flagged value again: no grade, not used")
        self.unconfirm_action.triggered.connect(lambda _c=False: self.set_confirmed(False))
        self.confirm_button, self.unconfirm_button = QToolButton(self), QToolButton(self)
        for button, action in ((self.confirm_button, self.confirm_action),
                               (self.unconfirm_button, self.unconfirm_action)):
            button.setDefaultAction(action)
        self.gate_note = QLabel("", self)
        self.gate_note.setObjectName("plausibilityNote")
        self.gate_note.setWordWrap(True)
        self.gate_note.setStyleSheet("color: #ffcc80;")
        self.show_beats = QCheckBox("Show each beat", self)
        self.show_beats.setToolTip("Show the per-beat rows under each multi-beat average")
        self.show_beats.setChecked(False)  # averages first: a 30-beat trace would bury the other rows
        self.show_beats.toggled.connect(lambda _on: self._show_beat_rows())
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.show_beats)
        top.addWidget(self.confirm_button)
        top.addWidget(self.unconfirm_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.gate_note)
        layout.addWidget(self.table, 1)
        self.model.modelReset.connect(self._update_summary)
        self.model.modelReset.connect(self._show_beat_rows)
        self.model.modelReset.connect(self._show_prior_columns)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_gate())
        self._update_summary()
        self._show_beat_rows()
        self._show_prior_columns()

    def _update_summary(self) -> None:
        doc = self.session.document
        self._update_gate()
        if doc is None:
            self.summary.setText("No case open — File → New Case, or open a case file")
            return
        n, bad = len(self.model.results), len(self.model.errors)
        marks = len(doc.marks)
        self.summary.setText(f"{n} result{'s' * (n != 1)} from {marks} mark{'s' * (marks != 1)}"
                             + (f" · {bad} not measured" if bad else ""))

    def _show_prior_columns(self) -> None:
        for col in (PRIOR_COLUMN, CHANGE_COLUMN):
            self.table.setColumnHidden(col, not self.model.prior.shown)

    def _show_beat_rows(self) -> None:
        shown = self.show_beats.isChecked()
        for row, is_beat in enumerate(self.model.beat_rows):
            self.table.setRowHidden(row, is_beat and not shown)

    def gated_mark(self) -> Mark | None:
        """The selected row's mark when a plausibility gate flagged it (held or confirmed)."""
        doc = self.session.document
        mark_id = self.selected_mark()
        mark = doc.mark(mark_id) if doc is not None and mark_id else None
        return mark if mark is not None and doc is not None and gated(doc.results_of(mark.id)) else None

    def gated_sum(self) -> tuple[Result, dict[str, Any] | None] | None:
        """The selected row when it is a flagged sum of orifices, with its case "planimetry"
        calculation (None: the automatic sum, which has none yet)."""
        rows = self.table.selectionModel().selectedRows()
        result = self.model.result(rows[0].row()) if rows else None
        doc = self.session.document
        if doc is None or result is None or result.quantity != "mva_planimetry" or result.imported is not None \
                or not gated([result]):
            return None
        return result, doc.item("calculations", result.id.split(".")[0])

    def _gate(self) -> tuple[str, bool, list[str]] | None:
        """(what, confirmed, warnings) of the selected flagged sum or mark."""
        doc = self.session.document
        flagged_sum = self.gated_sum()
        if flagged_sum is not None:
            result, calc = flagged_sum
            return result.label, calc is not None and calc.get("confirmed") is True, gated([result])
        mark = self.gated_mark()
        if mark is None or doc is None:
            return None
        return mark.label or mark.id, mark.confirmed, gated(doc.results_of(mark.id))

    def _update_gate(self) -> None:
        gate = self._gate()
        self.confirm_action.setEnabled(gate is not None and not gate[1])
        self.unconfirm_action.setEnabled(gate is not None and gate[1])
        if gate is None:
            self.gate_note.hide()
            return
        what, confirmed, warnings = gate
        state = ("Confirmed by you: graded and used; the warning stays." if confirmed else
                 "Held: not graded or used. Check the image; if the value is right, Confirm value.")
        reasons = [w.removeprefix(plausibility.PREFIX).removesuffix(plausibility.HELD)
                   .removesuffix(plausibility.CONFIRMED) for w in warnings]
        self.gate_note.setText(f"⚠ {what}: " + "; ".join(reasons) + f". {state}")
        self.gate_note.show()

    def _confirm_command(self, confirmed: bool) -> tuple[Command, str] | None:
        """The undoable edit that confirms (or unconfirms) the selection, and the mark id to reselect."""
        doc = self.session.document
        flagged_sum = self.gated_sum()
        if flagged_sum is not None and doc is not None:
            result, calc = flagged_sum
            if calc is None:  # the automatic sum: confirming makes it the case's own calculation
                added = {"id": doc.new_id("calculations"), "type": "planimetry", "area_marks": list(result.source),
                         "confirmed": True}
                return (AddCalculation(added), result.source[0]) if confirmed else None
            if (calc.get("confirmed") is True) == confirmed:
                return None
            after = {**calc, "confirmed": True} if confirmed else {k: v for k, v in calc.items() if k != "confirmed"}
            return ReplaceCalculation(calc, after), result.source[0]
        mark = self.gated_mark()
        if mark is None or mark.confirmed == confirmed:
            return None
        return ReplaceMark(mark, dataclasses.replace(mark, confirmed=confirmed)), mark.id

    def set_confirmed(self, confirmed: bool) -> bool:
        """Confirm (or unconfirm) the selected flagged mark or sum of orifices: one undo step; the row
        stays selected."""
        rows = self.table.selectionModel().selectedRows()
        selected = self.model.result(rows[0].row()) if rows else None
        edit = self._confirm_command(confirmed)
        if edit is None:
            return False
        done = self.session.push(edit[0])
        again = next((row for row, r in enumerate(self.model.results)
                      if selected is not None and r.quantity == selected.quantity and r.source == selected.source), None)
        if again is not None:
            self.table.selectRow(again)
        else:
            self.select_source(edit[1])
        return done

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
        """Select (without jumping) the first row computed from ``mark_id``; a selected row already
        computed from it stays selected (picking a sum of orifices must not jump to its first area)."""
        rows = self.table.selectionModel().selectedRows()
        if rows and mark_id in self.model.source(rows[0].row()):
            return
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
