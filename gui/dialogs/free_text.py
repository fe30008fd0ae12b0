"""Before an anonymised export: the identifiers found in free text, to edit in place or confirm.

``report.anonymise.free_text_hits`` names each field whose text repeats the patient's name, ID,
birth date, accession number or institution. ``FreeTextDialog`` lists them; a field the case stores
(a mark label, a flagged key image's label, a space label) can be edited in its row, and the edits
become one undoable step (``edit_command``). "Export with identifiers removed" confirms instead:
each identifier is replaced by ``[removed]`` in every output. Cancel exports nothing.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt
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

from planning.commands import Command, Compound, ReplaceMark, SetCaseField
from planning.document import CaseDocument
from report.anonymise import REDACTED, FreeTextHit
from report.model import Report

COLUMNS = ("Field", "Identifier", "Text")
_FIELD = re.compile(r"^(marks|key_images)\[([^\]]+)\]\.label$|^leaflets\.spaces\[(\d+)\]\.label$")


def _key_image_index(report: Report, key_id: str, doc: CaseDocument) -> int | None:
    """Index in the case's ``key_images`` list of report key image ``key_id`` (flagged frames only)."""
    flagged = doc.field(("key_images",))
    key = next((k for k in report.key_images if k.id == key_id), None)
    if key is None or not isinstance(flagged, list):
        return None
    for n, entry in enumerate(flagged):
        if isinstance(entry, Mapping) and entry.get("sop_instance_uid") == key.sop_instance_uid and \
                entry.get("frame_number") == key.frame_number:
            return n
    return None


def _list_edit(doc: CaseDocument, path: tuple[str, ...], index: int, text: str, label: str) -> Command | None:
    """Set ``label`` of entry ``index`` of the list at ``path`` (a copy of the list, one command)."""
    before = doc.field(path)
    if not isinstance(before, list) or not 0 <= index < len(before) or not isinstance(before[index], Mapping):
        return None
    after = [dict(e) if isinstance(e, Mapping) else e for e in before]
    after[index]["label"] = text
    return SetCaseField(path, before, after, label=label)


def edit_command(doc: CaseDocument, report: Report, field: str, text: str) -> Command | None:
    """The command that stores ``text`` in the case field a report ``field`` comes from; None when the
    field is derived (a measurement label follows its mark) or not stored in the case."""
    match = _FIELD.match(field)
    if match is None:
        return None
    section, item, space = match.groups()
    if section == "marks":
        mark = doc.mark(item)
        return None if mark is None else ReplaceMark(mark, dataclasses.replace(mark, label=text))
    if section == "key_images":
        index = _key_image_index(report, item, doc)
        return None if index is None else _list_edit(doc, ("key_images",), index, text, "key image label")
    return _list_edit(doc, ("leaflets", "spaces"), int(space), text, "space label")


class FreeTextDialog(QDialog):
    """The hits, editable where the case stores the text; ``choice`` is "edit", "confirm" or "" (cancel)."""

    def __init__(self, hits: Sequence[FreeTextHit], editable: Sequence[bool], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Identifiers in free text")
        self.hits = tuple(hits)
        self.choice = ""
        intro = QLabel("The anonymised export would still show these patient identifiers, typed into free text. "
                       "Edit a text in its row, or export with each identifier replaced by " + REDACTED + ".")
        intro.setWordWrap(True)
        self.table = QTableWidget(len(self.hits), len(COLUMNS))
        self.table.setObjectName("free-text-hits")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        for row, (hit, can_edit) in enumerate(zip(self.hits, editable, strict=True)):
            for column, value in enumerate((hit.field, hit.identifier, hit.text)):
                item = QTableWidgetItem(value)
                if column != 2 or not can_edit:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if column == 2 and not can_edit:
                    item.setToolTip("Derived from another field (edit that one), or confirm to remove the identifier")
                self.table.setItem(row, column, item)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = QPushButton("Apply edits")
        self.apply_button.setEnabled(False)
        self.confirm_button = QPushButton(f"Export with identifiers removed ({REDACTED})")
        buttons.addButton(self.apply_button, QDialogButtonBox.ButtonRole.ApplyRole)
        buttons.addButton(self.confirm_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.rejected.connect(self.reject)
        self.apply_button.clicked.connect(lambda: self._finish("edit"))
        self.confirm_button.clicked.connect(lambda: self._finish("confirm"))
        self.table.itemChanged.connect(lambda _item: self.apply_button.setEnabled(bool(self.edits())))
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(760, 320)

    def _finish(self, choice: str) -> None:
        self.choice = choice
        self.accept()

    def edits(self) -> dict[str, str]:
        """Field → new text, for each row whose text the user changed."""
        out: dict[str, str] = {}
        for row, hit in enumerate(self.hits):
            item = self.table.item(row, 2)
            if item is not None and item.text() != hit.text:
                out[hit.field] = item.text()
        return out


def edits_command(doc: CaseDocument, report: Report, edits: Mapping[str, str]) -> Command | None:
    """All edits of the dialog as one undo step ("Remove identifiers from free text"); None if none applies."""
    commands = [c for c in (edit_command(doc, report, f, t) for f, t in edits.items()) if c is not None]
    if not commands:
        return None
    return Compound(tuple(commands), label="Remove identifiers from free text")


def editable_rows(doc: CaseDocument | None, report: Report, hits: Sequence[FreeTextHit]) -> list[bool]:
    """Which hits can be edited in place (only with a document to edit)."""
    return [doc is not None and edit_command(doc, report, h.field, h.text) is not None for h in hits]

