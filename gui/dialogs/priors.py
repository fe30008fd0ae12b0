"""Report → Add Prior Study…: name an earlier case of the same patient (docs/case-file.md, priors).

The prior's case file is read and refused when it is another patient's (the notice names both);
otherwise it is added to the case's ``priors`` with its role and date, one undo step, and the
measurements panel shows each value against it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLineEdit,
    QWidget,
)

from imaging.errors import InputError
from planning.case import Case
from planning.commands import SetCaseField
from planning.compare import load_prior
from planning.model import Prior
from planning.vocab import PriorRole

if TYPE_CHECKING:
    from gui.main_window import MainWindow


def _iso(dicom_date: str) -> str:
    """``20260504`` → ``2026-05-04`` ("" when it is not a DICOM date)."""
    d = dicom_date.strip()
    return f"{d[:4]}-{d[4:6]}-{d[6:8]}" if len(d) == 8 and d.isdigit() else ""


class PriorDialog(QDialog):
    """The prior's role and date (prefilled from its study date)."""

    def __init__(self, path: Path, date: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add Prior Study")
        form = QFormLayout(self)
        self.role = QComboBox(self)
        self.role.addItems([r.value for r in PriorRole])
        self.date = QLineEdit(date, self)
        self.date.setPlaceholderText("YYYY-MM-DD")
        form.addRow("Case:", QLineEdit(str(path), self, readOnly=True))
        form.addRow("&Role:", self.role)
        form.addRow("&Date:", self.date)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


def prior_choice(prior: Prior) -> str:
    """A prior as the chooser lists it: ``index-procedure-final, 2026-05-04 — index.mitraplan.json``."""
    head = ", ".join(p for p in (str(prior.role), prior.date) if p)
    return f"{head} — {prior.case}"


def ask_which_prior(parent: QWidget | None, priors: tuple[Prior, ...]) -> Prior | None:
    """View → Compare with Prior…: which of the case's priors (each with its role and date); None: cancelled."""
    if len(priors) == 1:
        return priors[0]
    items = [prior_choice(p) for p in priors]
    text, ok = QInputDialog.getItem(parent, "Compare with prior", "Prior study of this patient:", items, len(items) - 1,
                                    False)
    return priors[items.index(text)] if ok and text in items else None


def _ask_prior(parent: QWidget | None, prior: Case) -> tuple[str, str] | None:
    path = prior.path or Path("prior")
    dialog = PriorDialog(path, _iso(str(prior.study.get("study_date", ""))), parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.role.currentText(), dialog.date.text().strip()


class PriorActions:
    """The Add Prior Study… action of the window's open case."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.ask_path: Callable[[], Path | None] = self._ask_path
        self.ask_details: Callable[[Case], tuple[str, str] | None] = lambda prior: _ask_prior(window, prior)
        self.add = QAction("Add &Prior Study…", window)
        self.add.setStatusTip("Name an earlier case of this patient: values are shown against it")
        self.add.triggered.connect(lambda _checked=False: self.add_prior())
        window.addAction(self.add)

    @property
    def actions(self) -> dict[str, QAction]:
        return {"add_prior": self.add}

    def _ask_path(self) -> Path | None:
        name, _ = QFileDialog.getOpenFileName(self.window, "Prior case of this patient", "",
                                              "MitraPlan cases (*.mitraplan.json)")
        return Path(name) if name else None

    def add_prior(self) -> bool:
        """Ask for the prior case, refuse another patient's, add it with role and date; True when added."""
        session, notices = self.window.session, self.window.notices
        doc = session.document
        if doc is None:
            notices.warning("Add prior study: no case is open")
            return False
        path = self.ask_path()
        if path is None:
            return False
        try:
            prior = load_prior(doc.case, path)
        except InputError as exc:
            notices.error(f"Add prior study: {exc}")
            return False
        details = self.ask_details(prior)
        if details is None:
            return False
        role, date = details
        where = Path(path).resolve()
        if doc.path is not None:
            where = Path(os.path.relpath(where, Path(doc.path).parent))
        try:
            entry = Prior.from_json({"case": where.as_posix(), "role": role, "date": date}, "prior").to_json()
        except ValueError as exc:
            notices.error(f"Add prior study: {exc}")
            return False
        existing = [p.to_json() for p in doc.findings().priors]
        return session.push(SetCaseField.of(doc, ("priors",), [*existing, entry], label="prior studies"))
