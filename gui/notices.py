"""Non-modal notices: errors and warnings shown in the window, never a blocking dialog.

Every failure the user should know about (a file that cannot be read, a loop that fails mid-way,
an unexpected exception) becomes one line naming the file and the problem; the window stays usable.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from imaging.errors import InputError

log = logging.getLogger(__name__)

#: Seconds a notice stays before it fades out on its own.
NOTICE_SECONDS = 15
MAX_VISIBLE = 4


class Notices(QObject):
    """The window's notice board: post from anywhere on the GUI thread; the area shows them."""

    posted = Signal(str, str)  # level ("error" | "warning" | "info"), message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.history: list[tuple[str, str]] = []

    def error(self, message: str) -> None:
        self._post("error", message)

    def warning(self, message: str) -> None:
        self._post("warning", message)

    def info(self, message: str) -> None:
        self._post("info", message)

    def _post(self, level: str, message: str) -> None:
        log.log(logging.ERROR if level == "error" else logging.INFO, "%s", message)
        self.history.append((level, message))
        self.posted.emit(level, message)


def _names_it(exc: Exception, what: str) -> bool:
    """True when ``exc`` is bad input whose message already starts with the file ``what`` names."""
    path = exc.path if isinstance(exc, InputError) else None
    return path is not None and (path == what or Path(path).resolve() == Path(what).resolve())


@contextmanager
def report_errors(notices: Notices, what: str) -> Iterator[None]:
    """Turn any exception inside the block into an error notice ``"<what>: <message>"`` (the message
    alone when it already names that file, so a bad case file is not named twice)."""
    try:
        yield
    except Exception as exc:
        log.debug("%s failed", what, exc_info=True)
        notices.error(str(exc) if _names_it(exc, what) else f"{what}: {exc}")


class _NoticeRow(QWidget):
    def __init__(self, level: str, message: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.level = level
        self.setObjectName(f"notice-{level}")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 3, 4, 3)
        self.label = QLabel(message, self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.deleteLater)
        row.addWidget(self.label, 1)
        row.addWidget(close)
        QTimer.singleShot(NOTICE_SECONDS * 1000, self.deleteLater)


class NoticeArea(QWidget):
    """A strip of dismissible notice rows above the viewers (newest at the bottom)."""

    def __init__(self, notices: Notices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(1)
        notices.posted.connect(self.show_notice)

    def show_notice(self, level: str, message: str) -> None:
        """Add a row; the same notice already shown (a study opened, then its case) moves to the bottom
        with a fresh timeout instead of showing twice."""
        for row in self._rows():
            if (row.level, row.label.text()) == (level, message):
                self._layout.removeWidget(row)
                row.deleteLater()
        while self._layout.count() >= MAX_VISIBLE:
            old = self._layout.takeAt(0).widget()
            if old is not None:
                old.deleteLater()
        self._layout.addWidget(_NoticeRow(level, message, self))

    def _rows(self) -> list[_NoticeRow]:
        rows = (self._layout.itemAt(i).widget() for i in range(self._layout.count()))
        return [row for row in rows if isinstance(row, _NoticeRow)]

    def messages(self) -> list[str]:
        """Texts currently shown (for tests and the screenshot check)."""
        return [row.label.text() for row in self._rows()]
