"""File → Import Measurements…: add an SR's measurements to the open case as imported results.

The SR is read and mapped off the case (``planning.imported.import_sr`` on a copy), then the
changed ``imported`` / ``imported_unknown`` lists (and the study binding of an unbound case) are
applied as one undoable step. An SR of another patient or study is refused with a message naming
both, as the command line does. ``set_status`` accepts, hides or supersedes one imported value,
also undoably; the measurements panel offers it on an imported row.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog

from imaging.errors import InputError
from imaging.sr_read import read_sr
from planning.commands import Compound, SetCaseField
from planning.imported import IMPORTED_KEY, UNKNOWN_KEY, ImportSummary, Status, import_sr, imported_of

if TYPE_CHECKING:
    from gui.main_window import MainWindow
    from gui.session import CaseSession

SR_FILTER = "DICOM SR (*.dcm *.DCM *.sr *);;All files (*)"


def summary_text(summary: ImportSummary, path: Path) -> str:
    """One line for the status bar: what was added, collapsed and left out."""
    if summary.already:
        return f"{path.name}: this SR is already imported into the case; nothing added"
    text = f"Imported {len(summary.added)} measurement(s) from {path.name}"
    if summary.collapsed:
        text += f" ({summary.collapsed} repeated value(s) collapsed into the selected ones)"
    if summary.duplicates:
        text += f"; {summary.duplicates_text()}"
    if summary.unknown:
        text += f"; not imported: {'; '.join(u.describe() for u in summary.unknown)}"
    return text


def import_file(session: CaseSession, path: Path) -> ImportSummary | None:
    """Import ``path`` into the open case as one undo step; None (with a refusal message) when
    there is no case, the file is not an SR or it belongs to another patient or study."""
    doc = session.document
    if doc is None:
        session.refused.emit("no case is open: File → New Case first, then import the measurements")
        return None
    work = copy.deepcopy(doc.case)
    try:
        summary = import_sr(work, read_sr(path))
    except InputError as exc:
        session.refused.emit(str(exc))
        return None
    if summary.already:
        return summary
    keys = [IMPORTED_KEY, *([UNKNOWN_KEY] if UNKNOWN_KEY in work.extra else [])]
    commands = [SetCaseField.of(doc, (key,), work.extra[key], key.replace("_", " ")) for key in keys]
    if work.study != doc.case.study:
        commands.insert(0, SetCaseField.of(doc, ("study",), work.study, "study"))
    session.push(Compound(tuple(commands), f"Import measurements from {path.name}"))
    return summary


def set_status(session: CaseSession, imported_id: str, status: Status) -> bool:
    """Accept, hide, supersede or reset one imported value (one undo step); False when not found."""
    doc = session.document
    if doc is None:
        return False
    entries = imported_of(doc.case)
    if not any(e.id == imported_id for e in entries):
        return False
    after = [(e.to_json() | {"status": status.value}) if e.id == imported_id else e.to_json() for e in entries]
    return session.push(SetCaseField.of(doc, (IMPORTED_KEY,), after, f"{status.value} imported {imported_id}"))


class ImportMeasurements(QObject):
    """The File → Import Measurements… action of one window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.action = QAction("Import &Measurements…", window)
        self.action.setStatusTip("Add the measurements of an SR (an ultrasound cart's or MitraPlan's) to the case"
                                 " as imported results")
        self.action.triggered.connect(lambda _checked=False: self.choose())
        window.addAction(self.action)

    def choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Import measurements from an SR", self.window._last_dir(),
                                              SR_FILTER)
        if path:
            self.run(Path(path))

    def run(self, path: Path) -> ImportSummary | None:
        summary = import_file(self.window.session, path)
        if summary is not None:
            self.window.statusBar().showMessage(summary_text(summary, path), 15000)
        return summary
