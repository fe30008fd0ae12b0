"""The open case of the window: its document, undo history, file, autosave and unsaved-changes guard.

``CaseSession`` owns one ``CaseDocument`` and its ``CaseUndo`` at a time and relays the document's
plain-Python change events as a Qt signal (``changed``), so panels, the overlay and the clip map
redraw from the model. Saving is ``save_case`` (atomic); every 30 s and when the application loses
focus (``watch_focus``) a dirty case is written to its autosave side file; opening a case whose autosave is newer
offers to restore it; closing with unsaved changes asks Save / Discard / Cancel; a new case over a
folder of several patients or studies asks which one (``new_over``). Questions go through
``ask_restore``/``ask_unsaved``/``ask_study`` so tests answer them without dialogs. A refused edit
reaches ``refused`` worded for the reader (``refusal_text``: another patient's image names both).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from gui.dialogs.study_chooser import StudyChoice, ask_study, person_name, study_choices, study_date
from gui.undo import CaseUndo
from imaging.catalog import StudyCatalog
from imaging.errors import InputError
from planning.case import Case, autosave_path, load_case
from planning.commands import Command
from planning.document import CaseDocument, default_measure
from planning.study import StudyIdentity, StudyMismatch, belongs, bind_study, bound_identity, identity_of

AUTOSAVE_INTERVAL_MS = 30_000


class Unsaved(Enum):
    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


def _ask_restore_dialog(parent: QWidget | None, case_path: Path, side: Path) -> bool:
    answer = QMessageBox.question(
        parent, "Restore autosave?",
        f"{side.name} is newer than {case_path.name}: MitraPlan may have stopped before the case was"
        " saved.\n\nRestore the autosaved version? (It stays unsaved until you save it.)",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
    return answer == QMessageBox.StandardButton.Yes


def _ask_unsaved_dialog(parent: QWidget | None, name: str) -> Unsaved:
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(parent, "Unsaved changes", f"Save the changes to {name}?",
                                  buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
    return {buttons.Save: Unsaved.SAVE, buttons.Discard: Unsaved.DISCARD}.get(answer, Unsaved.CANCEL)


def who(identity: StudyIdentity) -> str:
    """A patient and study as a reader names them: "Testperson, Erika (ID PID-778899, study of 2025-03-14)"."""
    if identity.patient_id is None:
        return f"the study of {study_date(identity.study_date)}"
    return (f"{person_name(identity.patient_name)} (ID {identity.patient_id or '(none)'},"
            f" study of {study_date(identity.study_date)})")


def refusal_text(exc: InputError) -> str:
    """A refused edit for the notice bar; an image of another patient or study names both patients."""
    if not isinstance(exc, StudyMismatch) or exc.expected is None or exc.found is None:
        return str(exc)
    image = f"this image ({Path(exc.path).name})" if exc.path else "this image"
    expected, found = exc.expected, exc.found
    if expected.patient_id is not None and expected.patient_id == found.patient_id:
        what = (f"{image} is from another study of {person_name(found.patient_name)} (ID {found.patient_id}):"
                f" the study of {study_date(found.study_date)}, but this case is for the study of"
                f" {study_date(expected.study_date)}")
    else:
        what = f"{image} is of {who(found)}, but this case is for {who(expected)}"
    return (f"Refused: {what}. A case is one patient and one study; nothing was added. For the other"
            " patient or study, start another case (File → New Case).")


def other_patient_banner(case: Case | None, info: Any) -> str:
    """What a viewer showing ``info`` (a LoopInfo) says up front when the loop is not of the case's
    patient and study ("" when it is, or when the case is not bound yet)."""
    expected = bound_identity(case) if case is not None else None
    if expected is None or info is None:
        return ""
    found = identity_of(info)
    if belongs(expected, found):
        return ""
    return (f"⚠ Not this case's patient or study: {who(found)}. The case is for {who(expected)};"
            " marks and key images on this loop are refused.")


class CaseSession(QObject):
    """The one open case (or none) of a window."""

    documentChanged = Signal(object)   # the new CaseDocument, or None when closed
    changed = Signal(object)           # planning.document.Change
    cleanChanged = Signal(bool)
    refused = Signal(str)              # an edit or a file operation the session refused, as a message

    def __init__(self, parent: QWidget | None = None, catalog: Callable[[], Any] = lambda: None) -> None:
        """``catalog()`` is the open study (an ``imaging.catalog.StudyCatalog`` or None), where the
        case's images are looked up when it is recomputed."""
        super().__init__(parent)
        self._parent = parent
        self._catalog = catalog
        self.document: CaseDocument | None = None
        self.undo: CaseUndo | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.ask_restore: Callable[[Path, Path], bool] = lambda p, s: _ask_restore_dialog(self._parent, p, s)
        self.ask_unsaved: Callable[[str], Unsaved] = lambda name: _ask_unsaved_dialog(self._parent, name)
        self.ask_save_path: Callable[[], Path | None] = lambda: None
        self.ask_study: Callable[[list[StudyChoice]], StudyChoice | None] = lambda c: ask_study(self._parent, c)
        self.timer = QTimer(self)
        self.timer.setInterval(AUTOSAVE_INTERVAL_MS)
        self.timer.timeout.connect(self.autosave)
        self.timer.start()

    # --- state -------------------------------------------------------------------------------
    @property
    def case(self) -> Case | None:
        return None if self.document is None else self.document.case

    def is_dirty(self) -> bool:
        return self.undo is not None and not self.undo.is_clean()

    def display_name(self) -> str:
        if self.document is None:
            return ""
        path = self.document.path
        return path.name if path is not None else "Untitled case"

    # --- opening and closing -----------------------------------------------------------------
    def set_case(self, case: Case, dirty: bool = False) -> CaseDocument:
        """Make ``case`` the open case with a fresh, clean (or dirty) history."""
        self._detach()
        self.document = CaseDocument(case, measure=self._measure())
        self.undo = CaseUndo(self.document, self, describe=refusal_text)
        self.undo.refused.connect(self.refused)
        self.undo.stack.cleanChanged.connect(self.cleanChanged)
        if dirty:
            self.undo.stack.resetClean()
        self._unsubscribe = self.document.subscribe(self.changed.emit)
        self.documentChanged.emit(self.document)
        self.cleanChanged.emit(not dirty)
        return self.document

    def new(self, study: dict[str, Any] | None = None, images: list[dict[str, Any]] | None = None) -> CaseDocument:
        return self.set_case(Case(study=dict(study or {}), images=list(images or [])))

    def new_over(self, catalog: StudyCatalog | None) -> CaseDocument | None:
        """A new case over the open study: with several patients or studies, ``ask_study`` which one
        (None = cancelled, no case); the chosen study binds the case and its loops are its images."""
        choices = study_choices(catalog)
        choice = choices[0] if len(choices) == 1 else self.ask_study(choices) if choices else None
        if choices and choice is None:
            return None
        case = Case()
        if choice is not None:
            bind_study(case, choice.first)
            case.images = [{"sop_instance_uid": str(i.sop_instance_uid), "path": str(Path(i.path).resolve())}
                           for i in choice.loops]
        return self.set_case(case)

    def open(self, path: str | Path) -> CaseDocument:
        """Open a case file (lenient: bad marks are kept aside); offers its newer autosave."""
        path = Path(path).resolve()
        case = load_case(path, lenient=True)
        side = autosave_path(path)
        if side.is_file() and side.stat().st_mtime > path.stat().st_mtime and self.ask_restore(path, side):
            try:
                restored = load_case(side, lenient=True)
            except InputError as exc:
                self.refused.emit(f"autosave not restored: {exc}")
            else:
                restored.path = path
                return self.set_case(restored, dirty=True)
        return self.set_case(case)

    def close(self) -> bool:
        """Close the case, asking about unsaved changes; False when the user cancelled."""
        if not self.maybe_keep_changes():
            return False
        self._detach()
        self.documentChanged.emit(None)
        return True

    def maybe_keep_changes(self) -> bool:
        """Ask Save / Discard / Cancel when there are unsaved changes; False = cancel."""
        if not self.is_dirty():
            return True
        answer = self.ask_unsaved(self.display_name())
        if answer is Unsaved.CANCEL:
            return False
        if answer is Unsaved.SAVE:
            return self.save()
        self._remove_autosave()
        return True

    def _detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.undo is not None:
            self.undo.stack.cleanChanged.disconnect(self.cleanChanged)
            self.undo.deleteLater()
        self.document, self.undo, self._unsubscribe = None, None, None

    # --- editing -----------------------------------------------------------------------------
    def push(self, command: Command) -> bool:
        """Apply ``command`` as one undo step of the open case (False: no case, or refused)."""
        if self.undo is None:
            self.refused.emit("no case is open: File → New Case first")
            return False
        return self.undo.push(command)

    # --- saving ------------------------------------------------------------------------------
    def save(self, path: str | Path | None = None) -> bool:
        """Save atomically (asking for a file name when the case has none); True when saved."""
        if self.document is None:
            return False
        target = Path(path) if path is not None else self.document.path
        if target is None:
            target = self.ask_save_path()
            if target is None:
                return False
        try:
            self.document.save(target)
        except InputError as exc:
            self.refused.emit(str(exc))
            return False
        assert self.undo is not None
        self.undo.set_clean()
        self._remove_autosave()
        return True

    def autosave(self) -> Path | None:
        """Write the side file of a dirty case that has a file name (errors become a notice)."""
        if self.document is None or not self.is_dirty() or self.document.path is None:
            return None
        try:
            return self.document.autosave()
        except InputError as exc:
            self.refused.emit(f"autosave failed: {exc}")
            return None

    def _remove_autosave(self) -> None:
        if self.document is not None and self.document.path is not None:
            autosave_path(self.document.path).unlink(missing_ok=True)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Autosave when the watched window loses focus (``watch_focus``)."""
        if event.type() == QEvent.Type.WindowDeactivate:
            self.autosave()
        return False

    def watch_focus(self, window: QWidget) -> None:
        window.installEventFilter(self)

    def _measure(self) -> Any:
        """Recompute with the open study as the image lookup (it may arrive after the case)."""
        cached: dict[str, Any] = {}

        def measure_cached(case: Case) -> Any:
            catalog = self._catalog()
            if cached.get("catalog") is not catalog or "fn" not in cached:
                cached.update(catalog=catalog, fn=default_measure(catalog))
            return cached["fn"](case)
        return measure_cached

