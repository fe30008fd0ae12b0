"""Qt's undo stack over our plain-Python commands (STYLE.md "Undo/redo: our commands, Qt's stack").

``QtCommand`` is the one adapter: ``redo()`` applies, ``undo()`` reverts. ``CaseUndo`` owns the
``QUndoStack`` of one case document; every model change from the GUI goes through ``push``. A
command that fails to apply is reported on the notice bar and dropped from the stack, so the
history never holds an edit the document refused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from imaging.errors import InputError
from planning.commands import Command
from planning.document import CaseDocument

log = logging.getLogger(__name__)


class QtCommand(QUndoCommand):
    """A planning command on the Qt stack; ``failed`` holds the error of a refused first apply."""

    def __init__(self, doc: CaseDocument, command: Command) -> None:
        super().__init__(command.text)
        self.doc, self.command = doc, command
        self.failed: InputError | None = None

    def redo(self) -> None:
        try:
            self.command.apply(self.doc)
        except InputError as exc:
            self.failed = exc
            self.setObsolete(True)

    def undo(self) -> None:
        self.command.revert(self.doc)


class CaseUndo(QObject):
    """The undo history of one case document; ``refused`` carries the message of a refused edit."""

    refused = Signal(str)

    def __init__(self, doc: CaseDocument, parent: QObject | None = None,
                 describe: Callable[[InputError], str] = str) -> None:
        """``describe`` words a refusal for the screen (default: the error's own message)."""
        super().__init__(parent)
        self.doc = doc
        self._describe = describe
        self.stack = QUndoStack(self)

    def push(self, command: Command) -> bool:
        """Apply ``command`` as one undo step; False (and ``refused``) when the document refused it."""
        qt = QtCommand(self.doc, command)
        self.stack.push(qt)
        if qt.failed is not None:
            log.info("edit refused: %s", qt.failed)
            self.refused.emit(self._describe(qt.failed))
            return False
        return True

    def set_clean(self) -> None:
        """Mark the current state as saved (the window's unsaved-changes marker clears)."""
        self.stack.setClean()

    def is_clean(self) -> bool:
        return self.stack.isClean()
