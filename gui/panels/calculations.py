"""Guided calculations: PISA, continuity and multi-orifice MVA from the marks that feed them.

The dialog lists the marks each input needs (distance, trace, areas), shows the numbers the
calculation gives *now* (``CaseDocument.preview_calculation``, the same ``measure_all`` as the
table) and recomputes them whenever a mark moves; Apply adds or replaces the calculation as one
undo step. The aliasing velocity is typed (read it off the colour scale of the colour loop).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
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


#: Aliasing velocity offered for a new PISA when none was entered for its loop yet (a common colour scale).
DEFAULT_ALIASING_M_S = 0.40


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
        self.aliasing: QDoubleSpinBox | None = None  # only in the PISA form (built by ``_load``)
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

    def _aliasing_box(self, value: float) -> QDoubleSpinBox:
        box = QDoubleSpinBox(self)
        box.setRange(0.05, 2.0)
        box.setDecimals(3)
        box.setSingleStep(0.005)
        box.setSuffix(" m/s")
        box.setValue(value)
        box.setToolTip("Aliasing (Nyquist) velocity of the colour scale, after any baseline shift")
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
        self.aliasing = None
        doc = self.session.document
        marks = list(doc.marks) if doc is not None else []
        existing = self.existing or {}
        self.label_edit.setText(str(existing.get("label", "")))
        for key, text, kind, purpose in KINDS[self.kind][1]:
            fitting = sorted((m for m in marks if m.type is kind), key=lambda m: m.purpose != purpose)
            if key == "area_marks":
                widget: Any = QListWidget(self)
                chosen = set(existing.get(key) or [m.id for m in fitting if m.purpose == purpose])
                for m in fitting:
                    item = QListWidgetItem(mark_text(m))
                    item.setData(Qt.ItemDataRole.UserRole, m.id)
                    item.setCheckState(Qt.CheckState.Checked if m.id in chosen else Qt.CheckState.Unchecked)
                    widget.addItem(item)
                widget.itemChanged.connect(lambda _i: self.update_preview())
            else:
                widget = QComboBox(self)
                for m in fitting:
                    widget.addItem(mark_text(m), m.id)
                if key in existing:
                    widget.setCurrentIndex(max(widget.findData(existing[key]), 0))
                widget.currentIndexChanged.connect(lambda _i: self.update_preview())
            self.inputs[key] = widget
            self.form.addRow(text, widget)
        if self.kind == "pisa":
            known = existing.get("aliasing_velocity_m_s") or self._entered_aliasing()
            self.aliasing = self._aliasing_box(float(known or DEFAULT_ALIASING_M_S))
            self.form.addRow("Aliasing velocity (colour scale)", self.aliasing)
            self.aliasing.valueChanged.connect(lambda _v: self.update_preview())
        self.update_preview()

    def _entered_aliasing(self) -> float | None:
        """The aliasing velocity already entered for the chosen radius mark's loop (one colour scale, one
        aliasing velocity): a new PISA on marks a calculation already uses computes the same flow."""
        doc, radius = self.session.document, self.inputs.get("radius_mark")
        if doc is None or not isinstance(radius, QComboBox):
            return None
        chosen = doc.case.mark(str(radius.currentData()))
        for calc in doc.items("calculations"):
            other = doc.case.mark(str(calc.get("radius_mark")))
            va = calc.get("aliasing_velocity_m_s")
            if chosen is not None and other is not None and other.sop_instance_uid == chosen.sop_instance_uid \
                    and isinstance(va, int | float):
                return float(va)
        return None

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
        if self.aliasing is not None:
            calc["aliasing_velocity_m_s"] = round(self.aliasing.value(), 4)
        return calc

    def update_preview(self) -> None:
        doc = self.session.document
        if doc is None:
            self.result_label.setText("No case open")
            return
        calc = self.calculation()
        missing = [k for k, v in calc.items() if v in (None, [])]
        if missing:
            self.result_label.setText(f"<span style='color:#ffb74d'>Needs: {', '.join(missing)}"
                                " — draw the mark first (Measure menu)</span>")
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
                        f" <span style='color:#9e9e9e'>(marks {', '.join(r.source)})</span>")
        self.result_label.setText("<br>".join(rows))

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
