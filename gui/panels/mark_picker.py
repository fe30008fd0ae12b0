"""Picking a distance mark of the case for a finding (vena contracta, leaflet length, a space).

The combo lists the case's distance marks with their measured value; a finding keeps only the mark
id, and the number shown is always the one recomputed from the mark.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QWidget

from measurements.concepts import value_text
from measurements.marks import Mark
from measurements.results import Result

NONE_TEXT = "(none)"
ResultsOf = Callable[[str], Sequence[Result]]


def result_text(result: Result | None) -> str:
    """``"0.45 cm"`` at the quantity's reporting precision, ``"—"`` when there is no number."""
    if result is None:
        return "—"
    return value_text(result.quantity, result.value, result.unit)


def mark_result(results_of: ResultsOf | None, mark_id: str | None) -> Result | None:
    """The (first) number measured from exactly this mark, else None."""
    if not mark_id or results_of is None:
        return None
    return next(iter(results_of(mark_id)), None)


class MarkPicker(QComboBox):
    """A combo of "(none)" + the case's distance marks ("label — 0.45 cm"); ``picked(mark id or "")``
    fires only on a user choice, never when the list is refreshed."""

    picked = Signal(str)

    def __init__(self, parent: QWidget | None = None, types: Sequence[str] = ("distance",),
                 text: Callable[[Result | None], str] | None = None) -> None:
        """``text`` writes a mark's number (default ``result_text``; the anatomy panel shows mm as the report)."""
        super().__init__(parent)
        self._types = tuple(types)
        self._text = text or result_text
        self.setMinimumContentsLength(12)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.activated.connect(lambda _i: self.picked.emit(self.mark_id()))

    def set_marks(self, marks: Sequence[Mark], results_of: ResultsOf | None, current: str | None) -> None:
        """Refill with ``marks`` (of the picker's types) and select ``current`` (kept even if missing)."""
        self.blockSignals(True)
        self.clear()
        self.addItem(NONE_TEXT, "")
        for mark in marks:
            if mark.type.value in self._types:
                value = self._text(mark_result(results_of, mark.id))
                self.addItem(f"{mark.label or mark.id} — {value}", mark.id)
                self.setItemData(self.count() - 1, f"mark {mark.id}, frame {mark.frame_number}",
                                 Qt.ItemDataRole.ToolTipRole)
        if current and self.findData(current) < 0:
            self.addItem(f"missing mark {current}", current)
        self.setCurrentIndex(max(self.findData(current or ""), 0))
        self.blockSignals(False)

    def mark_id(self) -> str:
        return str(self.currentData() or "")
