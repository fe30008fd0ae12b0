"""The residual anatomy panel: per scallop and commissure, the global leaflet findings, and the
mitral stenosis numbers.

Per scallop A1–A3, P1–P3 and each commissure (docs/clinical-criteria.md §2.7): residual leaflet length (a
distance mark, its value recomputed), calcification and whether it is in the grasp zone, mobility,
tear / perforation / cleft and the coaptation gap (a distance mark). Globally: tear or perforation,
MAC, and the measured spaces beside the devices. Stenosis (§3.6): the rhythm is entered; mean
gradient, each MVA and the heart rate are shown from the document's results with units, grades and
caveats, never typed. The CT and haemodynamic context for the non-TEER options (``context.ct``,
``context.haemodynamics``) is entered in ``gui.panels.context_fields``. Every edit is one command on
the case's undo stack.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.panels.binding import DocumentSubscription
from gui.panels.context_fields import ContextBox
from gui.panels.mark_picker import MarkPicker, result_text
from measurements.results import Result
from planning.assessment import CONTEXT_LABELS
from planning.case import Case
from planning.catalogue import CALCIFICATION, COMMISSURES, LEAFLET_INJURY, MAC, MOBILITY, RHYTHMS, SCALLOPS, SPACES
from planning.commands import Command, SetCaseField, SetLeafletField
from planning.document import MISSING, CaseDocument, Change
from planning.findings import GAP_QUANTITIES, LENGTH_QUANTITIES, devices_at, mark_shown, selected
from planning.model import ClinicalContext, SegmentFinding, Space
from planning.vocab import Calcification, LeafletInjury, Mobility, Scallop, SpaceKind
from report.html_text import mm

E = TypeVar("E", bound=StrEnum)


def _member(enum: type[E], text: str) -> E | None:
    """The vocabulary member a combo shows (None for the empty choice)."""
    return enum(text) if text else None


def _text(member: object) -> str:
    return "" if member is None else str(member)

SEGMENT_ROWS: tuple[str, ...] = (*SCALLOPS, *COMMISSURES)
_SHORT = {"AL commissure": "AL comm.", "PM commissure": "PM comm."}
_SPACE_FIELDS = {"lateral": "&Lateral free space", "medial": "M&edial free space", "inter-device": "&Inter-device gap"}
_SUMMARY_COLUMNS = ("Segment", "Length", "Calcification", "Mobility", "Injury", "Gap", "Devices")
#: The stenosis numbers shown (docs/clinical-criteria.md §2.6), in reading order.
STENOSIS_QUANTITIES: tuple[tuple[str, str], ...] = (
    ("mean_gradient", "Mean gradient"), ("peak_gradient", "Peak gradient"), ("heart_rate", "Heart rate"),
    ("mva_planimetry", "MVA planimetry"), ("mva_pht", "MVA pressure half-time"),
    ("mva_continuity", "MVA continuity"), ("pht", "Pressure half-time"))


def _combo(options: Sequence[str], parent: QWidget) -> QComboBox:
    combo = QComboBox(parent)
    combo.addItems(["", *options])
    return combo


def _set_combo(combo: QComboBox, value: str) -> None:
    combo.blockSignals(True)
    if value and combo.findText(value) < 0:
        combo.addItem(value)
    combo.setCurrentIndex(max(combo.findText(value), 0))
    combo.blockSignals(False)


def length_text(result: Result | None) -> str:
    """A leaflet length, gap or space in mm as the report prints it (``report.html_text.mm``), "—" without one."""
    if result is None or result.unit != "cm":
        return result_text(result)
    return mm(result.value)


def stenosis_rows(case: Case, results: Sequence[Result]) -> list[tuple[str, Result]]:
    """(name, result) of each stenosis number the report and the decision support quote, in
    ``STENOSIS_QUANTITIES`` order: one selected value per quantity (``planning.findings.selected``), the
    heart rate the one of the selected gradient's trace."""
    gradient = selected(results, "mean_gradient", case.marks)
    picked = ((name, selected(results, q, case.marks, near=gradient if q == "heart_rate" else None))
              for q, name in STENOSIS_QUANTITIES)
    return [(name, r) for name, r in picked if r is not None]


class SegmentEditor(QWidget):
    """The fields of one scallop's residual anatomy; ``edited`` carries the new typed entry."""

    edited = Signal(str, object)  # segment, planning.model.SegmentFinding
    showMark = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.segment = ""
        self.entry = SegmentFinding()
        self.title = QLabel(self)
        self.length = MarkPicker(self, text=length_text)
        self.length.setToolTip("Residual (free) leaflet length: the distance mark hinge → tip or device, diastole")
        self.calcification = _combo(CALCIFICATION, self)
        self.grasp_zone = QCheckBox("in the grasp &zone", self)
        self.mobility = _combo(MOBILITY, self)
        self.injury = _combo(LEAFLET_INJURY, self)
        self.injury.setToolTip("Tear, perforation or cleft of this segment")
        self.gap = MarkPicker(self, text=length_text)
        self.gap.setToolTip("Coaptation gap at this segment: a distance mark")
        self.notes = QLineEdit(self)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.title)
        for text, widget in (("Residual &length", self.length), ("&Calcification", self.calcification),
                             ("", self.grasp_zone), ("&Mobility", self.mobility),
                             ("&Injury", self.injury), ("Coaptation &gap", self.gap),
                             ("&Notes", self.notes)):
            form.addRow(text, widget)
        self.length.picked.connect(lambda m: self._emit(length_mark=m or ""))
        self.gap.picked.connect(lambda m: self._emit(coaptation_gap_mark=m or ""))
        for key, combo, enum in (("calcification", self.calcification, Calcification),
                                 ("mobility", self.mobility, Mobility), ("injury", self.injury, LeafletInjury)):
            combo.activated.connect(lambda _i, k=key, c=combo, e=enum: self._emit(**{k: _member(e, c.currentText())}))
        self.grasp_zone.clicked.connect(lambda on: self._emit(calcification_in_grasp_zone=bool(on)))
        self.notes.editingFinished.connect(lambda: self._emit(notes=self.notes.text()))

    def show_segment(self, segment: str, entry: SegmentFinding, marks: Sequence[Any],
                     results_of: Callable[[str], Sequence[Result]] | None) -> None:
        self.segment, self.entry = segment, entry
        e = entry
        self.title.setText(f"<b>{segment}</b>")
        self.length.set_marks(marks, results_of, e.length_mark)
        self.gap.set_marks(marks, results_of, e.coaptation_gap_mark)
        _set_combo(self.calcification, _text(e.calcification))
        _set_combo(self.mobility, _text(e.mobility))
        _set_combo(self.injury, _text(e.injury))
        self.grasp_zone.setChecked(e.calcification_in_grasp_zone)
        self.notes.setText(e.notes)

    def _emit(self, **changes: Any) -> None:
        after = dataclasses.replace(self.entry, **changes)
        if after != self.entry:
            self.edited.emit(self.segment, after)


class FindingsPanel(QWidget):
    """Residual anatomy, global leaflet findings and stenosis numbers of the open case."""

    markActivated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc: CaseDocument | None = None
        self.push: Callable[[Command], bool] | None = None
        self._subscription = DocumentSubscription(self._on_change)

        self.table = QTableWidget(len(SEGMENT_ROWS), len(_SUMMARY_COLUMNS), self)
        self.table.setObjectName("residual-anatomy")
        self.table.setHorizontalHeaderLabels(list(_SUMMARY_COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setAccessibleName("Residual anatomy per segment")
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setFixedHeight(self.table.verticalHeader().length() + self.table.horizontalHeader().sizeHint().height()
                                  + 2 * self.table.frameWidth())
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.segment_editor = SegmentEditor(self)

        self.tear = QCheckBox("Leaflet &tear or perforation anywhere", self)
        self.mac = _combo(MAC, self)
        self.spaces = {kind: MarkPicker(self, text=length_text) for kind, _label in SPACES}
        self.leaflet_notes = QLineEdit(self)
        global_box = QGroupBox("Leaflets (global)", self)
        global_form = QFormLayout(global_box)
        global_form.addRow(self.tear)
        global_form.addRow("M&AC", self.mac)
        for kind, label in SPACES:
            self.spaces[kind].setToolTip(f"{label}: a distance mark")
            global_form.addRow(_SPACE_FIELDS[kind], self.spaces[kind])
        global_form.addRow("Leaflet notes", self.leaflet_notes)

        self.rhythm = _combo(RHYTHMS, self)
        self.stenosis = QTableWidget(0, 3, self)
        self.stenosis.setObjectName("stenosis")
        self.stenosis.setHorizontalHeaderLabels(["Measurement", "Value", "Grade"])
        self.stenosis.verticalHeader().hide()
        self.stenosis.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.stenosis.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.stenosis.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.stenosis.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.stenosis.setWordWrap(False)
        self.stenosis.setAccessibleName("Mitral stenosis measurements")
        stenosis_box = QGroupBox("Mitral stenosis", self)
        stenosis_form = QFormLayout(stenosis_box)
        stenosis_form.addRow("&Rhythm", self.rhythm)
        stenosis_form.addRow(self.stenosis)
        note = QLabel("Numbers come from the traced and measured marks; double-click a row to show its mark.", self)
        note.setWordWrap(True)
        stenosis_form.addRow(note)

        self.context_box = ContextBox(self)

        anatomy_box = QGroupBox("Residual leaflet anatomy", self)
        anatomy = QVBoxLayout(anatomy_box)
        anatomy.addWidget(self.table)
        anatomy.addWidget(self.segment_editor)
        content = QWidget(self)
        column = QVBoxLayout(content)
        for box in (anatomy_box, global_box, stenosis_box, self.context_box):
            column.addWidget(box)
        column.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self.table.currentCellChanged.connect(lambda row, *_: self._show_segment(row))
        self.segment_editor.edited.connect(self._set_segment)
        self.tear.clicked.connect(lambda on: self._set_leaflet("tear_or_perforation", bool(on)))
        self.mac.activated.connect(lambda _i: self._set_leaflet("mac", self.mac.currentText() or MISSING))
        self.leaflet_notes.editingFinished.connect(
            lambda: self._set_leaflet("notes", self.leaflet_notes.text() or MISSING))
        for kind, label in SPACES:
            self.spaces[kind].picked.connect(lambda mark_id, k=kind, lb=label: self._set_space(k, lb, mark_id))
        self.rhythm.activated.connect(lambda _i: self._set_rhythm(self.rhythm.currentText()))
        self.stenosis.cellDoubleClicked.connect(self._activate_stenosis_row)
        self.context_box.edited.connect(self._set_context)
        self.table.setCurrentCell(SEGMENT_ROWS.index("P2"), 0)
        self.setEnabled(False)

    # --- the document -----------------------------------------------------------------------------
    def set_document(self, doc: CaseDocument | None, push: Callable[[Command], bool] | None) -> None:
        self.doc, self.push = doc, push
        self._subscription.bind(doc)
        self.setEnabled(doc is not None)
        self.refresh()

    def _on_change(self, change: Change) -> None:
        if change.section in ("marks", "devices", "leaflets", "study", "calculations", "context"):
            self.refresh()

    def _segments(self) -> Mapping[Scallop, SegmentFinding]:
        return self.doc.findings().leaflets.segments if self.doc else {}

    def _segment(self, name: str) -> SegmentFinding:
        return self._segments().get(Scallop(name)) or SegmentFinding()

    def _mark_text(self, mark_id: str | None, quantities: Sequence[str]) -> str:
        """A finding's length (mm) as the rules use it, or why it is not used (unlabelled or held mark)."""
        if self.doc is None or not mark_id:
            return ""
        hit, why = mark_shown(self.doc.results(), self.doc.marks, mark_id, quantities)
        return why or length_text(hit)

    def refresh(self) -> None:
        """Every field and number from the document."""
        doc = self.doc
        results_of = doc.results_of if doc else None
        devices = doc.findings().devices if doc else ()
        for row, name in enumerate(SEGMENT_ROWS):
            entry = self._segment(name)
            calc = _text(entry.calcification)
            if calc and entry.calcification_in_grasp_zone:
                calc += " (grasp zone)"
            cells = (_SHORT.get(name, name), self._mark_text(entry.length_mark, LENGTH_QUANTITIES),
                     calc, _text(entry.mobility), _text(entry.injury),
                     self._mark_text(entry.coaptation_gap_mark, GAP_QUANTITIES),
                     ", ".join(d.upper() for d in devices_at(devices, name)))
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self._show_segment(self.table.currentRow())
        leaflets = doc.case.leaflets if doc else {}
        self.tear.setChecked(bool(leaflets.get("tear_or_perforation")))
        _set_combo(self.mac, str(leaflets.get("mac") or ""))
        self.leaflet_notes.setText(str(leaflets.get("notes") or ""))
        marks = doc.marks if doc else ()
        for kind, picker in self.spaces.items():
            picker.set_marks(marks, results_of, self._space(kind).distance_mark)
        _set_combo(self.rhythm, str(doc.case.study.get("rhythm") or "") if doc else "")
        self._fill_stenosis()
        self.context_box.show_context(doc.findings().context if doc else ClinicalContext())

    def _show_segment(self, row: int) -> None:
        if not 0 <= row < len(SEGMENT_ROWS):
            return
        name = SEGMENT_ROWS[row]
        self.segment_editor.show_segment(name, self._segment(name), self.doc.marks if self.doc else (),
                                         self.doc.results_of if self.doc else None)

    def _fill_stenosis(self) -> None:
        rows = stenosis_rows(self.doc.case, self.doc.results()) if self.doc else []
        self.stenosis.setRowCount(len(rows))
        for row, (name, result) in enumerate(rows):
            grade = result.grades[0].label if result.grades else ""
            cells = (name, result_text(result), grade)  # the quantity's name: a long label elides its last word
            tip = "\n".join([result.label, f"from marks {', '.join(result.source)}"]
                            + [f"{g.scheme}: {g.label} [{g.source}]" for g in result.grades] + list(result.warnings))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(("⚠ " if col == 1 and result.warnings else "") + text)
                item.setToolTip(tip)
                item.setData(Qt.ItemDataRole.UserRole, result.source[0] if result.source else "")
                self.stenosis.setItem(row, col, item)

    def _activate_stenosis_row(self, row: int, _col: int) -> None:
        item = self.stenosis.item(row, 0)
        mark_id = item.data(Qt.ItemDataRole.UserRole) if item else ""
        if mark_id:
            self.markActivated.emit(str(mark_id))

    # --- edits: each one command --------------------------------------------------------------------
    def _push(self, command: Command) -> None:
        if self.push is not None:
            self.push(command)

    def _set_segment(self, segment: str, after: SegmentFinding) -> None:
        if self.doc is not None:
            self._push(SetCaseField.of(self.doc, ("leaflets", "segments", segment), after.to_json() or MISSING,
                                       label=f"{segment} residual anatomy"))

    def _set_leaflet(self, name: str, value: Any) -> None:
        if self.doc is None:
            return
        before = self.doc.field(("leaflets", name))
        if before != value:
            self._push(SetLeafletField(name, before, value))

    def _space(self, kind: str) -> Space:
        spaces = self.doc.findings().leaflets.spaces if self.doc else ()
        return next((s for s in spaces if s.kind == kind), Space())

    def _set_space(self, kind: str, label: str, mark_id: str) -> None:
        """Keep one ``leaflets.spaces`` entry per kind (other entries as they are)."""
        if self.doc is None:
            return
        spaces = [s for s in self.doc.findings().leaflets.spaces if s.kind != kind]
        if mark_id:
            spaces.append(Space(SpaceKind(kind), label, mark_id))
        self._set_leaflet("spaces", [s.to_json() for s in spaces] or MISSING)

    def _set_rhythm(self, rhythm: str) -> None:
        if self.doc is not None and self.doc.case.study.get("rhythm", "") != rhythm:
            self._push(SetCaseField.of(self.doc, ("study", "rhythm"), rhythm or MISSING, label="rhythm"))

    def _set_context(self, group: str, key: str, entry: dict[str, object] | None) -> None:
        if self.doc is not None:
            self._push(SetCaseField.of(self.doc, ("context", group, key), MISSING if entry is None else entry,
                                       label=CONTEXT_LABELS[key]))
