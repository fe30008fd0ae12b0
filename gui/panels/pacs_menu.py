"""File → PACS… (Ctrl+Shift+P): the menu action, and the PACS dialog created on first use.

Kept apart from :mod:`gui.panels.pacs_dialog` so that starting the window imports no PACS code
(``pacs``, pynetdicom, dicomweb-client, requests: ≈0.2 s of a cold start): the dialog module is
imported when the action is first triggered (tests/gui/test_cold_start.py checks it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence

if TYPE_CHECKING:
    from gui.main_window import MainWindow
    from gui.panels.pacs_dialog import PacsDialog


class PacsMenu:
    """The window's one non-modal PACS dialog, kept between uses; a retrieved study is opened with
    ``window.open_paths``."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.dialog: PacsDialog | None = None
        self.action = QAction("&PACS…", window)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+P"))
        self.action.setStatusTip("Search a PACS, retrieve a study and open it")
        self.action.triggered.connect(lambda _checked=False: self.show_dialog())
        window.addAction(self.action)

    def show_dialog(self) -> PacsDialog:
        """Create the dialog on first use (importing the PACS code then), then show and raise it."""
        if self.dialog is None:
            from gui.panels.pacs_dialog import PacsDialog

            self.dialog = PacsDialog(self.window.tasks, parent=self.window)
            self.dialog.retrieved.connect(lambda folder: self.window.open_paths([folder]))
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog
