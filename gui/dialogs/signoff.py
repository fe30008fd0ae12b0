"""Report → Sign Off… and Amend Signed Case…: the reporting workflow's end (docs/case-file.md).

Sign-off records the reader, the operator, the impression and the recommendation in the case (names remembered per user, ``gui.settings``),
saves it, and signs the saved version; the case is then read-only (``CaseDocument`` refuses every
edit, and the refusal appears as a notice). Amend starts a new, editable version naming the signed one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from gui.settings import load_settings, save_settings
from imaging.errors import InputError
from planning.commands import SetCaseField
from planning.signoff import intact

if TYPE_CHECKING:
    from gui.main_window import MainWindow


class SignOffDialog(QDialog):
    """Who read and who operated (prefilled from the user's settings), the impression and the
    recommendation (as the case has them), and the confirmation."""

    def __init__(self, case_name: str, reader: str, operator: str, parent: QWidget | None = None,
                 impression: str = "", recommendation: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign Off Report")
        self.setObjectName("signoff-dialog")
        layout = QVBoxLayout(self)
        text = QLabel(f"Sign off {case_name}. The saved version is signed and frozen: the case becomes"
                      " read-only, and a later change needs an amendment (a new version naming this one).", self)
        text.setWordWrap(True)
        layout.addWidget(text)
        form = QFormLayout()
        self.reader = QLineEdit(reader, self)
        self.reader.setObjectName("signoff-reader")
        self.operator = QLineEdit(operator, self)
        self.operator.setObjectName("signoff-operator")
        self.impression = QPlainTextEdit(impression, self)
        self.impression.setObjectName("signoff-impression")
        self.recommendation = QPlainTextEdit(recommendation, self)
        self.recommendation.setObjectName("signoff-recommendation")
        for box in (self.impression, self.recommendation):
            box.setTabChangesFocus(True)
            box.setFixedHeight(80)
        form.addRow("&Reader (signs):", self.reader)
        form.addRow("&Operator:", self.operator)
        form.addRow("&Impression:", self.impression)
        form.addRow("Re&commendation:", self.recommendation)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.confirm = self.buttons.addButton("&Sign Off", QDialogButtonBox.ButtonRole.AcceptRole)
        self.confirm.setObjectName("signoff-confirm")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.reader.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        self.confirm.setEnabled(bool(self.reader.text().strip()))

    def entered(self) -> dict[str, str]:
        """What the dialog holds, by ``report`` key (names stripped)."""
        return {"reader": self.reader.text().strip(), "operator": self.operator.text().strip(),
                "impression": self.impression.toPlainText().strip(),
                "recommendation": self.recommendation.toPlainText().strip()}


class SignOffActions:
    """The two actions and what they do to the window's open case."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.dialog: SignOffDialog | None = None
        self.ask_amend: Callable[[], bool] = self._ask_amend
        self.sign = QAction("&Sign Off…", window)
        self.sign.setStatusTip("Sign the saved case: the report's version is frozen and the case becomes read-only")
        self.sign.triggered.connect(lambda _checked=False: self.start_sign_off())
        self.amend = QAction("&Amend Signed Case…", window)
        self.amend.setStatusTip("Start a new, editable version of the signed case that names the signed one")
        self.amend.triggered.connect(lambda _checked=False: self.start_amend())
        for action in (self.sign, self.amend):
            window.addAction(action)
        window.session.documentChanged.connect(lambda _doc: self._check_intact())
        window.session.documentChanged.connect(lambda _doc: self.update())
        window.session.changed.connect(lambda _change: self.update())
        self.update()

    @property
    def actions(self) -> dict[str, QAction]:
        return {"sign_off": self.sign, "amend": self.amend}

    def update(self) -> None:
        """Sign Off for an open unsigned case, Amend for a signed one."""
        doc = self.window.session.document
        signed = doc is not None and doc.signoff is not None
        self.sign.setEnabled(doc is not None and not signed)
        self.amend.setEnabled(signed)

    def _check_intact(self) -> None:
        """Warn when an opened signed case is no longer the version its sign-off names (edited outside MitraPlan)."""
        doc = self.window.session.document
        signoff = doc.signoff if doc is not None else None
        if doc is not None and signoff is not None and not intact(doc.case):
            self.window.notices.warning(
                f"{doc.path}: signed off by {signoff.by} at {signoff.at}, but its content has changed since"
                " (it no longer matches the signed checksum): treat it as unsigned until it is amended and signed")

    # --- sign-off ------------------------------------------------------------------------------
    def start_sign_off(self) -> SignOffDialog | None:
        """Open the sign-off dialog (non-blocking) for the open case."""
        doc = self.window.session.document
        if doc is None:
            self.window.notices.warning("Sign off: no case is open")
            return None
        remembered = load_settings()
        report = doc.findings().report
        self.dialog = SignOffDialog(self.window.session.display_name(), report.reader or remembered.reader,
                                    report.operator or remembered.operator, self.window, report.impression,
                                    report.recommendation)
        self.dialog.accepted.connect(lambda: self._signed(self.dialog))
        self.dialog.open()
        return self.dialog

    def _record(self, entered: dict[str, str]) -> bool:
        """Put what the dialog holds into the case's ``report`` (one undo step each) and save it."""
        session = self.window.session
        doc = session.document
        assert doc is not None
        report = doc.findings().report
        for key, value in entered.items():
            if getattr(report, key) != value and not session.push(
                    SetCaseField.of(doc, ("report", key), value, label=f"report {key}")):
                return False
        return session.save() if session.is_dirty() or doc.path is None else True

    def _signed(self, dialog: SignOffDialog | None) -> None:
        if dialog is None:
            return
        entered = dialog.entered()
        reader, operator = entered["reader"], entered["operator"]
        session, notices = self.window.session, self.window.notices
        if not self._record(entered):
            notices.error("Sign off: the case could not be saved; it was not signed")
            return
        _remember(reader, operator, notices)
        doc = session.document
        assert doc is not None and session.undo is not None
        try:
            doc.sign_off(reader)
        except InputError as exc:
            notices.error(f"Sign off: {exc}")
            return
        session.undo.stack.clear()  # nothing of a signed case can be undone
        session.undo.set_clean()
        notices.info(f"Signed off by {reader}: the case is read-only (Report → Amend Signed Case… to change it)")
        self.update()

    # --- amendment -----------------------------------------------------------------------------
    def _ask_amend(self) -> bool:
        answer = QMessageBox.question(
            self.window, "Amend Signed Case",
            "Start an amendment? The signed version is kept beside the case; the new version names it and"
            " can be edited and signed again.")
        return answer == QMessageBox.StandardButton.Yes

    def start_amend(self) -> bool:
        """Amend the signed open case after asking; True when the new version was started."""
        session, notices = self.window.session, self.window.notices
        doc = session.document
        if doc is None or doc.signoff is None or not self.ask_amend():
            return False
        signoff = doc.signoff
        try:
            doc.amend()
        except (InputError, OSError) as exc:
            notices.error(f"Amend: {exc}")
            return False
        assert session.undo is not None
        session.undo.set_clean()
        notices.info(f"Amendment started: this version names the one signed by {signoff.by} at {signoff.at}")
        self.update()
        return True


def _remember(reader: str, operator: str, notices: Any) -> None:
    """Keep the names for next time (a settings file that cannot be written is a warning, not a failure)."""
    try:
        save_settings(dataclasses.replace(load_settings(), reader=reader, operator=operator))
    except OSError as exc:
        notices.warning(f"Could not remember the reader's name: {exc}")
