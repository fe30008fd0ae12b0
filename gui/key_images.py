"""Flag key image (K): the frames the user flags become the report's key images.

A checkable action (``action``, placed in the Measure menu by the window) toggles the flag of the active viewport's frame through one
undoable ``ToggleKeyImage``; a gold badge on each viewport whose frame is flagged and gold triangles
on the frame slider show the flags. Everything redraws from the case document on every change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel

from gui.viewer.transport import KEY_FRAME_COLOUR
from gui.viewer.viewport import Viewport
from planning.commands import ToggleKeyImage, flagged_frames

if TYPE_CHECKING:
    from gui.main_window import MainWindow

BADGE_TEXT = "★ Key image"


class KeyImageFlags(QObject):
    """The Flag key image action, the viewport badges and the slider flags of one window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.action = QAction("Flag &Key Image", window)
        self.action.setShortcut(QKeySequence("K"))
        self.action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.action.setCheckable(True)
        self.action.setStatusTip("Flag or unflag the shown frame as a key image of the report")
        self.action.setToolTip("Flag key image (K)")
        self.action.triggered.connect(lambda _checked=False: self.toggle())
        window.addAction(self.action)
        self.badges: dict[int, QLabel] = {}  # id(viewport) -> its badge, made as the grid builds it
        window.grid.for_each_viewport(self._add_badge)
        window.grid.activeChanged.connect(lambda _v: self.refresh())
        self.session.changed.connect(lambda _c: self.refresh())
        self.session.documentChanged.connect(lambda _d: self.refresh())
        self.refresh()

    def _add_badge(self, viewport: Viewport) -> None:
        self.badges[id(viewport)] = self._badge(viewport)
        viewport.frameChanged.connect(lambda _n: self.refresh())
        viewport.loopChanged.connect(lambda _l: self.refresh())
        viewport.installEventFilter(self)

    @staticmethod
    def _badge(viewport: Viewport) -> QLabel:
        badge = QLabel(BADGE_TEXT, viewport)
        badge.setObjectName("key-image-badge")
        badge.setStyleSheet(f"color: black; background: {KEY_FRAME_COLOUR.name()}; padding: 1px 5px;"
                            " border-radius: 3px; font-weight: bold;")
        badge.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        badge.hide()
        return badge

    def flagged(self, viewport: Viewport) -> list[int]:
        """Flagged frames (1-based) of the loop in ``viewport``."""
        document, info = self.session.document, viewport.info
        if document is None or info is None:
            return []
        return flagged_frames(document, str(info.sop_instance_uid))

    def is_flagged(self, viewport: Viewport) -> bool:
        return viewport.info is not None and viewport.frame_number in self.flagged(viewport)

    def toggle(self) -> bool:
        """Flip the flag of the active viewport's frame (one undo step); False when nothing changed."""
        viewport = self.window.grid.active
        if viewport.info is None:
            self.window.notices.warning("Flag key image: no loop is shown in the active viewport")
            self.refresh()
            return False
        document = self.session.document
        if document is None:
            self.window.notices.warning("Flag key image: no case is open: File → New Case first")
            self.refresh()
            return False
        uid = str(viewport.info.sop_instance_uid)
        document.ensure_image(uid, viewport.info.path)
        pushed = self.session.push(ToggleKeyImage.of(document, uid, viewport.frame_number))
        self.refresh()
        return pushed

    def refresh(self) -> None:
        """Badges, slider flags and the action's check mark from the document."""
        for viewport in self.window.grid.built:
            badge = self.badges[id(viewport)]
            on = self.is_flagged(viewport)
            if on:
                badge.adjustSize()
                badge.move(viewport.width() - badge.width() - 6, 4)
            badge.setVisible(on)
        active = self.window.grid.active
        self.window.transport.slider.set_key_frames(self.flagged(active))
        self.action.setChecked(self.is_flagged(active))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Keep the badges in the top-right corner when a viewport is resized."""
        if event.type() == QEvent.Type.Resize:
            self.refresh()
        return False
