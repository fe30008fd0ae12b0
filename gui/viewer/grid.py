"""Layouts of 1, 2 or 4 viewports, the active viewport, and synchronised playback.

With sync on and more than one loop shown, the active viewport leads: it alone runs a clock, and
every other visible viewport shows the frame :func:`gui.viewer.sync.follower_frame` maps to
(same index, or same cardiac phase). With sync off each viewport plays at its own timing.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QWidget

from gui.viewer.playback import Clock
from gui.viewer.sync import SyncMode, follower_frame
from gui.viewer.viewport import Viewport

#: layout size -> grid cells (row, column) of viewports 0..n-1
LAYOUTS: dict[int, tuple[tuple[int, int], ...]] = {
    1: ((0, 0),),
    2: ((0, 0), (0, 1)),
    4: ((0, 0), (0, 1), (1, 0), (1, 1)),
}


class ViewerGrid(QWidget):
    activeChanged = Signal(object)   # Viewport
    layoutChanged = Signal(int)      # 1, 2 or 4

    def __init__(self, clock: Clock = time.monotonic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(2)
        self.viewports = [Viewport(clock, self) for _ in range(4)]
        for viewport in self.viewports:
            viewport.activated.connect(lambda v=viewport: self.set_active(v))
            viewport.frameChanged.connect(lambda _n, v=viewport: self._follow(v))
        self.sync_mode = SyncMode.CYCLE
        self.layout_size = 0
        self.active = self.viewports[0]
        self.set_layout(1)
        self.set_active(self.viewports[0])

    # --- layout ------------------------------------------------------------------------------
    def set_layout(self, size: int) -> None:
        if size not in LAYOUTS or size == self.layout_size:
            return
        for viewport in self.viewports:
            self._grid.removeWidget(viewport)
        for index, viewport in enumerate(self.viewports):
            if index < size:
                self._grid.addWidget(viewport, *LAYOUTS[size][index])
                viewport.show()
            else:
                viewport.pause()
                viewport.hide()
        self.layout_size = size
        if self.active not in self.visible_viewports():
            self.set_active(self.viewports[0])
        self.layoutChanged.emit(size)

    def visible_viewports(self) -> list[Viewport]:
        return self.viewports[: self.layout_size]

    def empty_viewports(self) -> list[Viewport]:
        return [v for v in self.visible_viewports() if v.loop is None]

    def set_active(self, viewport: Viewport) -> None:
        for other in self.viewports:
            other.set_active(other is viewport)
        was_playing = self.is_synced() and self.playing() and viewport is not self.active
        self.active = viewport
        if was_playing:  # the newly active viewport leads from now on
            self.pause()
            self.play()
        self.activeChanged.emit(viewport)

    def activate_next(self, delta: int = 1) -> None:
        visible = self.visible_viewports()
        index = visible.index(self.active) if self.active in visible else 0
        self.set_active(visible[(index + delta) % len(visible)])

    # --- playback ----------------------------------------------------------------------------
    def loaded(self) -> list[Viewport]:
        return [v for v in self.visible_viewports() if v.loop is not None]

    def is_synced(self) -> bool:
        return self.sync_mode is not SyncMode.OFF and len(self.loaded()) > 1

    def leader(self) -> Viewport | None:
        loaded = self.loaded()
        if not loaded:
            return None
        return self.active if self.active in loaded else loaded[0]

    def playing(self) -> bool:
        return any(v.playing for v in self.loaded())

    def play(self) -> None:
        leader = self.leader()
        if leader is None:
            return
        if self.is_synced():
            for viewport in self.loaded():
                if viewport is not leader:
                    viewport.pause()
            leader.play()
        else:
            for viewport in self.loaded():
                viewport.play()

    def pause(self) -> None:
        for viewport in self.viewports:
            viewport.pause()

    def toggle_play(self) -> None:
        self.pause() if self.playing() else self.play()

    def set_sync_mode(self, mode: SyncMode) -> None:
        was_playing = self.playing()
        self.pause()
        self.sync_mode = SyncMode(mode)
        leader = self.leader()
        if leader is not None:
            self._follow(leader)
        if was_playing:
            self.play()

    def _follow(self, source: Viewport) -> None:
        """Move the followers when the leader's frame changes."""
        if not self.is_synced() or source is not self.leader():
            return
        for viewport in self.loaded():
            if viewport is not source:
                frame = follower_frame(self.sync_mode, source.frame_index, source.timing, viewport.timing)
                viewport.show_frame(frame)
                if source.playing:
                    viewport.prefetch_ahead(frame)
