"""Guided calculations: PISA, continuity and multi-orifice MVA from the marks that feed them.

The dialog lists the marks each input needs (distance, trace, areas) without choosing any for a new
calculation (a mark is an input only once the user picks it; Apply waits for every one), shows the numbers the
calculation gives *now* (``CaseDocument.preview_calculation``, the same ``measure_all`` as the
table) and recomputes them whenever a mark moves; Apply adds or replaces the calculation as one
undo step. The colour-flow inputs of a PISA are typed, never assumed: the aliasing velocity Va (read
off the colour bar, after any baseline shift; the calculation refuses until it is given), the
baseline shift (recorded beside the result) and the funnel angle α (wall-constrained convergence,
×α/180; blank = hemispheric). What was entered is shown with the result and exported in its method.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.panels.measurements import value_text
from gui.session import CaseSession
from measurements.marks import Mark, MarkType
from planning.commands import AddCalculation, ReplaceCalculation

#: type -> (title, [(key, text, mark type, preferred purpose)]); "area_marks" is a list of areas.
KINDS: dict[str, tuple[str, list[tuple[str, str, MarkType, str | None]]]] = {
    "pisa": ("PISA (EROA, regurgitant volume)", [
        ("radius_mark", "PISA radius", MarkType.DISTANCE, "pisa_radius"),
        ("mr_trace_mark", "MR jet CW trace", MarkType.DOPPLER_TRACE, "mr_jet")]),
    "continuity": ("Continuity MVA", [
        ("lvot_diameter_mark", "LVOT diameter", MarkType.DISTANCE, "lvot_diameter"),
        ("lvot_trace_mark", "LVOT PW trace", MarkType.DOPPLER_TRACE, "lvot"),
        ("mv_trace_mark", "MV inflow CW trace", MarkType.DOPPLER_TRACE, "mv_inflow")]),
    "planimetry": ("Multi-orifice MVA (sum of orifice areas)", [
        ("area_marks", "Orifice areas", MarkType.AREA, "orifice")]),
}


#: The typed colour-flow inputs of a PISA: case-file key -> (row text, unit, required, tooltip).
PISA_NUMBERS: dict[str, tuple[str, str, bool, str]] = {
    "aliasing_velocity_m_s": ("Aliasing velocity Va", "m/s", True,
                              "Aliasing (Nyquist) velocity on the colour bar, after any baseline shift"),
    "baseline_shift_m_s": ("Colour baseline shift", "m/s", False,
                           "How far the colour baseline was shifted toward the jet (recorded with the result)"),
    "angle_deg": ("Funnel angle α (optional)", "°", False,
                  "Angle of a wall-constrained flow convergence: flow × α/180; blank = a full hemisphere"),
}


#: The first entry of a mark box: no mark is an input until the user picks it (purpose-matched marks are
#: listed first, never pre-selected).
CHOOSE = "(choose a mark)"
NONE_DRAWN = "(no mark of this type: draw it first)"


def typed_number(text: str) -> float | None:
    """A typed number (a decimal comma is accepted), or None when the box is blank or not a number."""
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return None


def mark_text(mark: Mark) -> str:
    return f"{mark.label or mark.type.value} ({mark.id}, frame {mark.frame_number})"


class CalculationDialog(QDialog):
    """Create or edit one guided calculation of the open case."""

    def __init__(self, session: CaseSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Guided calculations")
        self.session = session
        self.choice = QComboBox(self)
        self.label_edit = QLineEdit(self)
        self.form = QFormLayout()
        self.inputs: dict[str, Any] = {}
        self.numbers: dict[str, QLineEdit] = {}  # typed numbers of the PISA form (built by ``_load``)
        self.result_label = QLabel("", self)
        self.result_label.setTextFormat(Qt.TextFormat.RichText)
        self.result_label.setWordWrap(True)
        self.result_label.setMinimumHeight(90)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.Close,
                                   self)
        self.apply_button = buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.clicked.connect(self.apply)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        top = QFormLayout()
        top.addRow("Calculation", self.choice)
        top.addRow("Label", self.label_edit)
        layout.addLayout(top)
        layout.addLayout(self.form)
        layout.addWidget(self.result_label)
        layout.addStretch(1)  # spare height below the results, not between the form's rows
        layout.addWidget(buttons)
        self.resize(520, 380)
        self._fill_choices()
        self.choice.currentIndexChanged.connect(lambda _i: self._load())
        session.changed.connect(self._on_change)
        self._load()

    @property
    def aliasing(self) -> QLineEdit | None:
        """The aliasing velocity box of the PISA form (None in the other forms)."""
        return self.numbers.get("aliasing_velocity_m_s")

    def _number_box(self, key: str, value: Any) -> QLineEdit:
        """An empty box unless the calculation being edited holds a value: nothing is pre-filled."""
        text, unit, required, tip = PISA_NUMBERS[key]
        box = QLineEdit(self)
        box.setObjectName(f"pisa-{key}")
        box.setValidator(QDoubleValidator(box))
        box.setPlaceholderText(f"{unit}, required" if required else f"{unit}, optional")
        box.setToolTip(tip)
        box.setText("" if value is None else f"{value:g}")
        box.textChanged.connect(lambda _t: self.update_preview())
        self.form.addRow(f"{text} ({unit})", box)
        return box

    # --- choosing ----------------------------------------------------------------------------
    def _fill_choices(self) -> None:
        doc = self.session.document
        self.choice.blockSignals(True)
        self.choice.clear()
        for kind, (title, _) in KINDS.items():
            self.choice.addItem(f"New: {title}", f"new:{kind}")
        for calc in doc.items("calculations") if doc is not None else []:
            if calc.get("type") in KINDS:
                self.choice.addItem(f"{calc.get('label') or KINDS[calc['type']][0]} ({calc['id']})", f"edit:{calc['id']}")
        self.choice.blockSignals(False)

    def select_calculation(self, calc_id: str) -> None:
        index = self.choice.findData(f"edit:{calc_id}")
        if index >= 0:
            self.choice.setCurrentIndex(index)

    def select_new(self, kind: str) -> None:
        self.choice.setCurrentIndex(self.choice.findData(f"new:{kind}"))

    @property
    def existing(self) -> dict[str, Any] | None:
        mode, value = str(self.choice.currentData()).split(":", 1)
        doc = self.session.document
        return doc.item("calculations", value) if mode == "edit" and doc is not None else None

    @property
    def kind(self) -> str:
        mode, value = str(self.choice.currentData()).split(":", 1)
        return value if mode == "new" else str((self.existing or {}).get("type"))

    def _load(self) -> None:
        """Build the inputs of the chosen calculation, filled from it when it exists."""
        while self.form.rowCount():
            self.form.removeRow(0)
        self.inputs = {}
        self.numbers = {}
        doc = self.session.document
        marks = list(doc.marks) if doc is not None else []
        existing = self.existing or {}
        self.label_edit.setText(str(existing.get("label", "")))
        for key, text, kind, purpose in KINDS[self.kind][1]:
            fitting = sorted((m for m in marks if m.type is kind), key=lambda m: m.purpose != purpose)
            if key == "area_marks":
                widget: Any = QListWidget(self)
                chosen = set(existing.get(key) or [])  # a new sum starts with no area ticked
                for m in fitting:
                    item = QListWidgetItem(mark_text(m))
                    item.setData(Qt.ItemDataRole.UserRole, m.id)
                    item.setCheckState(Qt.CheckState.Checked if m.id in chosen else Qt.CheckState.Unchecked)
                    widget.addItem(item)
                widget.itemChanged.connect(lambda _i: self.update_preview())
            else:
                widget = QComboBox(self)
                widget.addItem(CHOOSE if fitting else NONE_DRAWN, None)  # a new calculation starts on no mark
                for m in fitting:
                    widget.addItem(mark_text(m), m.id)
                if key in existing:
                    widget.setCurrentIndex(max(widget.findData(existing[key]), 0))
                widget.currentIndexChanged.connect(lambda _i: self.update_preview())
            self.inputs[key] = widget
            self.form.addRow(text, widget)
        if self.kind == "pisa":
            self.numbers = {key: self._number_box(key, existing.get(key)) for key in PISA_NUMBERS}
        self.update_preview()

    # --- the calculation ---------------------------------------------------------------------
    def calculation(self) -> dict[str, Any]:
        """The case-file object the inputs describe (keeping unknown keys of an edited one)."""
        doc = self.session.document
        existing = self.existing
        calc: dict[str, Any] = dict(existing) if existing else {"id": doc.new_id("calculations") if doc else "c1",
                                                                   "type": self.kind}
        label = self.label_edit.text().strip()
        if label:
            calc["label"] = label
        else:
            calc.pop("label", None)
        for key, widget in self.inputs.items():
            if isinstance(widget, QListWidget):
                calc[key] = [widget.item(i).data(Qt.ItemDataRole.UserRole) for i in range(widget.count())
                             if widget.item(i).checkState() == Qt.CheckState.Checked]
            else:
                calc[key] = widget.currentData()
        for key, box in self.numbers.items():
            value = typed_number(box.text())
            if value is not None:
                calc[key] = round(value, 4)
            elif PISA_NUMBERS[key][2]:
                calc[key] = None  # required and not given: the preview says so, Apply stays off
            else:
                calc.pop(key, None)
        return calc

    def update_preview(self) -> None:
        doc = self.session.document
        if doc is None:
            self.result_label.setText("No case open")
            return
        calc = self.calculation()
        missing = [k for k, v in calc.items() if v in (None, [])]
        if missing:
            typed = [PISA_NUMBERS[k][0] for k in missing if k in PISA_NUMBERS]
            marks = [k for k in missing if k not in PISA_NUMBERS]
            needs = ([f"{', '.join(self._input_text(k) for k in marks)} — choose the mark (or draw it first, "
                      "Measure menu)"] if marks else []) + \
                    ([f"{', '.join(typed)} — type it from the colour bar"] if typed else [])
            self.result_label.setText(f"<span style='color:#ffb74d'>Needs: {'; '.join(needs)}</span>")
            self.apply_button.setEnabled(False)
            return
        results, error = doc.preview_calculation(calc)
        self.apply_button.setEnabled(error is None and bool(results))
        if error:
            self.result_label.setText(f"<span style='color:#ff8a80'>{error}</span>")
            return
        rows = []
        for r in results:
            grade = f" — {r.grades[0].label}" if r.grades else ""
            rows.append(f"<b>{r.label}</b>: {value_text(r)}{grade}"
                        f" <span style='color:#9e9e9e'>({f'{r.method}; ' if r.method else ''}marks"
                        f" {', '.join(r.source)})</span>")
        self.result_label.setText("<br>".join(rows))

    def _input_text(self, key: str) -> str:
        """The row text of a mark input ("PISA radius"), for the "Needs" line."""
        return next((text for k, text, _kind, _p in KINDS[self.kind][1] if k == key), key)

    def _on_change(self, _change: Any) -> None:
        self.update_preview()

    def apply(self) -> None:
        calc = self.calculation()
        existing = self.existing
        command = ReplaceCalculation(existing, calc) if existing else AddCalculation(calc)
        if self.session.push(command):
            self._fill_choices()
            self.select_calculation(calc["id"])

    def closeEvent(self, event: Any) -> None:
        self.session.changed.disconnect(self._on_change)
        super().closeEvent(event)
