"""File → New Case over a folder of several patients or studies: ask which one the case is for.

A case is one patient and one study (``planning.study``); when the open folder holds more, the
window never guesses. ``StudyChooser`` lists each study with its Patient ID, name, date,
description and image count; nothing is selected until the user picks a row, and Cancel makes no
case. ``person_name`` and ``study_date`` word DICOM values for a reader (also used by refusals).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from imaging.catalog import StudyCatalog

COLUMNS = ("Patient name", "Patient ID", "Study date", "Description", "Images")


def person_name(value: str) -> str:
    """A DICOM person name as a reader writes it: "Testperson^Erika^Maria" → "Testperson, Erika Maria"."""
    family, _, rest = str(value).partition("^")
    given = " ".join(p for p in rest.split("^") if p).strip()
    if not family.strip():
        return given or "(no name)"
    return f"{family.strip()}, {given}" if given else family.strip()


def study_date(value: str) -> str:
    """A DICOM DA as an unambiguous date ("20250314" → "2025-03-14"); other text as it is."""
    text = str(value).strip()
    if len(text) == 8 and text.isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return text or "(no date)"


@dataclass(frozen=True)
class StudyChoice:
    """One study of the open folder, with its loops (what the case will list as its images)."""

    patient_id: str
    patient_name: str
    study_instance_uid: str
    date: str
    description: str
    loops: tuple[Any, ...] = field(default=())

    @property
    def first(self) -> Any:
        """The first loop: its header binds the case (``planning.study.bind_study``)."""
        return self.loops[0]

    def describe(self) -> str:
        return (f"{person_name(self.patient_name)} (ID {self.patient_id or '(none)'}), study of"
                f" {study_date(self.date)}{f' — {self.description}' if self.description else ''}")


def study_choices(catalog: StudyCatalog | None) -> list[StudyChoice]:
    """Every study of the catalog, in the browser's order, grouped by each loop's own Patient ID and
    Study Instance UID (not by the browser's tree, which files a reused Series UID under one study)."""
    if catalog is None:
        return []
    grouped: dict[tuple[str, str], list[Any]] = {}
    for loop in catalog.loops():
        grouped.setdefault((str(loop.patient_id), str(loop.study_instance_uid)), []).append(loop)
    return [StudyChoice(str(loops[0].patient_id), str(loops[0].patient_name), str(loops[0].study_instance_uid),
                        str(loops[0].study_date), str(loops[0].study_description), tuple(loops))
            for loops in grouped.values()]


class StudyChooser(QDialog):
    """Which patient and study is the new case for? OK is enabled once a row is picked."""

    def __init__(self, choices: Sequence[StudyChoice], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New case — which patient and study?")
        self.setObjectName("study-chooser")
        self.choices = list(choices)
        patients = len({c.patient_id for c in self.choices})
        intro = QLabel(f"The open folder holds {len(self.choices)} studies of {patients} patient"
                       f"{'s' * (patients != 1)}. A case is one patient and one study: pick the one this case"
                       " is for. Marks on another patient's or study's images will be refused.", self)
        intro.setWordWrap(True)
        self.table = QTableWidget(len(self.choices), len(COLUMNS), self)
        self.table.setObjectName("study-chooser-table")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        for row, choice in enumerate(self.choices):
            n = len(choice.loops)
            cells = (person_name(choice.patient_name), choice.patient_id or "(none)", study_date(choice.date),
                     choice.description or "(no description)", f"{n} image{'s' * (n != 1)}")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"Study Instance UID {choice.study_instance_uid}")
                self.table.setItem(row, col, item)
        header = self.table.horizontalHeader()
        for col in range(len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.clearSelection()
        self.table.setCurrentCell(-1, -1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok_button: QPushButton = self.buttons.addButton("Create case", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.table.itemSelectionChanged.connect(
            lambda: self.ok_button.setEnabled(bool(self.table.selectionModel().selectedRows())))
        self.table.cellDoubleClicked.connect(lambda _r, _c: self.accept())
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.resize(760, 160 + 30 * min(len(self.choices), 10))

    def chosen(self) -> StudyChoice | None:
        """The picked study (None: nothing picked)."""
        rows = self.table.selectionModel().selectedRows()
        return self.choices[rows[0].row()] if rows else None

    def row_rect(self, row: int) -> Any:
        """Where row ``row`` is drawn in the table's viewport (what a test clicks)."""
        return self.table.visualRect(self.table.model().index(row, 0))


def ask_study(parent: QWidget | None, choices: Sequence[StudyChoice]) -> StudyChoice | None:
    """Show the chooser modally; the picked study, or None when cancelled."""
    dialog = StudyChooser(choices, parent)
    picked = dialog.chosen() if dialog.exec() == QDialog.DialogCode.Accepted else None
    dialog.deleteLater()
    return picked
