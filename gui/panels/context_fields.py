"""The CT and haemodynamic context fields of the residual anatomy panel (context for the non-TEER options).

Each value is entered with its unit shown and its source (docs/case-file.md "CT and haemodynamic
context"); every field starts empty. The source is chosen first: the value box stays disabled until it
is, so no value can sit in a field without being stored. A number that is not
one or lies outside its accepted range is refused on the spot with the reason, the field showing
the stored value again. Each stored change is one command on the case's undo stack (the panel pushes
it); the combo boxes take the wheel only when focused (``gui.wheel_guard``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from gui.theme import REFUSAL
from planning.assessment import CONTEXT_LABELS
from planning.model import CT_NUMBERS, HAEMO_NUMBERS, ClinicalContext, Sourced
from planning.vocab import ContextSource, MacExtent, TRGrade

JSON = dict[str, object]
NO_SOURCE = "choose its source first"
KEEPS_SOURCE = "A stored value keeps its source: clear the value to remove it."

#: (group, key, vocabulary) of the fields, in the report's order; a number field when the vocabulary is None.
FIELDS: tuple[tuple[str, str, Sequence[str] | None], ...] = (
    *(("ct", key, None) for key in ("annulus_ap_mm", "annulus_alpm_mm", "annulus_perimeter_mm", "annulus_area_mm2",
                                     "neo_lvot_mm2")),
    ("ct", "mac_extent", tuple(m.value for m in MacExtent)),
    ("haemodynamics", "la_mean_pressure_mmhg", None), ("haemodynamics", "la_v_wave_mmhg", None),
    ("haemodynamics", "tr_grade", tuple(m.value for m in TRGrade)), ("haemodynamics", "rvsp_mmhg", None),
)
_LIMITS = {**CT_NUMBERS, **HAEMO_NUMBERS}


def _combo(options: Sequence[str], parent: QWidget) -> QComboBox:
    combo = QComboBox(parent)
    combo.addItems(["", *options])
    return combo


def _number(text: str) -> float | None:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _shown(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def in_sentence(label: str) -> str:
    """``label`` inside a sentence: only its first letter lowered, and not even that when the first word is
    an acronym ("MAC extent", "RVSP"), so "neo-LVOT" and "TR" keep their capitals."""
    first = label.split(" ", 1)[0]
    return label if sum(c.isupper() for c in first) > 1 else label[:1].lower() + label[1:]

class ContextField(QWidget):
    """One context value: the number (or the vocabulary choice), its unit, its source, and why an entry
    was refused. ``edited`` carries the new ``{"value", "source"}`` object, or None to remove it."""

    edited = Signal(str, str, object)  # group, key, entry JSON or None

    def __init__(self, group: str, key: str, choices: Sequence[str] | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group, self.key = group, key
        self.stored: JSON | None = None
        label = CONTEXT_LABELS[key]
        self.value: QLineEdit | QComboBox
        if choices is None:
            unit, low, high = _LIMITS[key]
            self.value = QLineEdit(self)
            self.value.setToolTip(f"{label} in {unit} ({low:g}–{high:g} {unit} accepted)")
            self.value.editingFinished.connect(self._commit)
        else:
            unit = ""
            self.value = _combo(choices, self)
            self.value.setToolTip(label)
            self.value.activated.connect(lambda _i: self._commit())
        self.value.setAccessibleName(label)
        self.unit = QLabel(unit, self)
        self.source = _combo([s.value for s in ContextSource], self)
        self.source.setToolTip(f"Where the {in_sentence(label)} comes from")
        self.source.setAccessibleName(f"{label} source")
        self.source.activated.connect(lambda _i: self._source_chosen())
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(f"color: {REFUSAL}")
        self.hint.hide()
        self._enable_value()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.value, 2)
        row.addWidget(self.unit)
        row.addWidget(QLabel("from", self))
        row.addWidget(self.source, 1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(row)
        column.addWidget(self.hint)

    def show_entry(self, entry: Sourced | None) -> None:
        """Show the stored entry (empty fields when there is none) and clear any refusal; a source chosen
        for a value not yet typed stays while the stored entry is unchanged."""
        stored: JSON | None = None if entry is None else {
            "value": str(entry.value) if isinstance(entry.value, str) else float(entry.value),
            "source": entry.source.value}
        if stored == self.stored:
            return
        self.stored = stored
        value = "" if self.stored is None else _shown(self.stored["value"])
        self._show_value(value)
        _set_combo(self.source, "" if self.stored is None else str(self.stored["source"]))
        self._enable_value()
        self._say("")

    def _enable_value(self) -> None:
        """The value box takes input only once a source is chosen (it says so while it waits)."""
        sourced = bool(self.source.currentText())
        self.value.setEnabled(sourced)
        if isinstance(self.value, QLineEdit):
            self.value.setPlaceholderText("not recorded" if sourced else NO_SOURCE)

    def _source_chosen(self) -> None:
        """A new source re-stores the value with it; the blank source only empties a field with nothing
        stored (a stored value is removed by clearing the value, never by a stray source change)."""
        if not self.source.currentText():
            if self.stored is not None:
                _set_combo(self.source, str(self.stored["source"]))
                self._say(KEEPS_SOURCE)
                return
            self._show_value("")
        self._enable_value()
        self._commit()

    def _show_value(self, text: str) -> None:
        if isinstance(self.value, QLineEdit):
            self.value.setText(text)
        else:
            _set_combo(self.value, text)

    def _say(self, message: str) -> None:
        self.hint.setText(message)
        self.hint.setVisible(bool(message))

    def _typed(self) -> tuple[object | None, str]:
        """The value entered (None when empty) and why it is refused ("" when it is not)."""
        if isinstance(self.value, QComboBox):
            return self.value.currentText() or None, ""
        text = self.value.text().strip()
        if not text:
            return None, ""
        unit, low, high = _LIMITS[self.key]
        number = _number(text)
        if number is None:
            return None, f"{text!r} is not a number in {unit}."
        if not low <= number <= high:
            return None, f"{_shown(number)} {unit} is outside {low:g}–{high:g} {unit}: not stored."
        return (int(number) if number.is_integer() else number), ""

    def _commit(self) -> None:
        value, refused = self._typed()
        if refused:
            self._show_value("" if self.stored is None else _shown(self.stored["value"]))
            self._say(refused)
            return
        source = self.source.currentText()
        if value is not None and not source:
            return  # not reachable from the keyboard or mouse: the value box waits for its source
        self._say("")
        entry = None if value is None else {"value": value, "source": source}
        if entry != self.stored:
            self.edited.emit(self.group, self.key, entry)


def _set_combo(combo: QComboBox, value: str) -> None:
    combo.blockSignals(True)
    combo.setCurrentIndex(max(combo.findText(value), 0))
    combo.blockSignals(False)


class ContextBox(QGroupBox):
    """The group box of all context fields; ``edited`` as for :class:`ContextField`."""

    edited = Signal(str, str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("CT and haemodynamic context (non-TEER options)", parent)
        self.fields: dict[str, ContextField] = {}
        form = QFormLayout(self)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        note = QLabel("Values from CT, catheterisation or another echo, each with its source. Only the predicted "
                      "neo-LVOT area is used by the decision support; the others are shown in the report.", self)
        note.setWordWrap(True)
        form.addRow(note)
        for group, key, choices in FIELDS:
            field = ContextField(group, key, choices, self)
            field.edited.connect(self.edited)
            self.fields[key] = field
            form.addRow(CONTEXT_LABELS[key], field)

    def show_context(self, context: ClinicalContext) -> None:
        entries: Mapping[str, Sourced | None] = {**context.ct.numbers, "mac_extent": context.ct.mac_extent,
                                                 **context.haemodynamics.numbers,
                                                 "tr_grade": context.haemodynamics.tr_grade}
        for key, field in self.fields.items():
            field.show_entry(entries.get(key))
