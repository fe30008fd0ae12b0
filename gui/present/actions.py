"""The View menu's Compare with Prior… and Presentation (F5) actions of the main window."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtGui import QAction, QKeySequence

from gui.dialogs.priors import ask_which_prior
from gui.present.compare_window import ComparisonWindow, open_comparison
from gui.present.presentation import PresentationWindow, open_presentation
from gui.viewer.playback import Clock
from planning.model import Prior

if TYPE_CHECKING:
    from gui.main_window import MainWindow


class PresentActions:
    """Opens the comparison with a prior study and the presentation of the window's open case."""

    def __init__(self, window: MainWindow, clock: Clock) -> None:
        self.window, self.clock = window, clock
        self.ask_prior: Callable[[tuple[Prior, ...]], Prior | None] = lambda priors: ask_which_prior(window, priors)
        self.full_screen = True
        self.comparison: ComparisonWindow | None = None
        self.presentation: PresentationWindow | None = None
        self.compare = QAction("Compare with &Prior…", window)
        self.compare.setStatusTip("The current loop beside the prior study's loop of the same view, synced by cardiac cycle")
        self.compare.triggered.connect(lambda _c=False: self.open_comparison())
        self.present = QAction("P&resentation", window)
        self.present.setShortcut(QKeySequence("F5"))
        self.present.setStatusTip("Full screen for the heart team: key loops, summary, clip map (Esc leaves)")
        self.present.triggered.connect(lambda _c=False: self.open_presentation())
        for action in (self.compare, self.present):
            window.addAction(action)

    @property
    def actions(self) -> dict[str, QAction]:
        return {"compare_prior": self.compare, "presentation": self.present}

    def open_comparison(self) -> ComparisonWindow | None:
        """Ask which prior (each listed with role and date) and open it beside the active loop."""
        window = self.window
        doc = window.session.document
        priors = doc.findings().priors if doc is not None else ()
        if doc is None or not priors:
            window.notices.warning("Compare with prior: the case names no prior study (Report → Add Prior Study…)")
            return None
        entry = self.ask_prior(priors)
        if entry is None:
            return None
        info = window.grid.active.info or next(iter(window.browser.loop_infos()), None)
        self.comparison = open_comparison(doc, entry, info, window.notices, self.clock, window)
        return self.comparison

    def presentation_open(self) -> bool:
        """True while the presentation window is shown (it is deleted when it closes)."""
        show = self.presentation
        return show is not None and shiboken6.isValid(show) and show.isVisible()

    def open_presentation(self) -> PresentationWindow | None:
        window = self.window
        doc = window.session.document
        if doc is None:
            window.notices.warning("Presentation: no case is open")
            return None
        window.grid.pause()
        self.presentation = open_presentation(doc, window.notices, self.clock, window.catalog, self.full_screen, window)
        return self.presentation
