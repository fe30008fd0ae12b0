"""Layouts of 1, 2 or 4 viewports, the active viewport, and synchronised playback.

With sync on and more than one loop shown, the active viewport leads: it alone runs a clock, and
every other visible viewport shows the frame :func:`gui.viewer.sync.follower_frame` maps to
(same index, or same cardiac phase). With sync off each viewport plays at its own timing.

Viewports are built when a layout first needs them (1×1 builds one, with its ECG strip; 2×2 the
other three): a cold start pays for the one on screen. Whoever sets viewports up registers with
:meth:`ViewerGrid.for_each_viewport` and sees each one once, before it is shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable

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
        self._clock = clock
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(2)
        self.built: list[Viewport] = []  # the viewports built so far, in grid order
        self._setups: list[Callable[[Viewport], None]] = [self._connect_viewport]
        self.sync_mode = SyncMode.CYCLE
        self.layout_size = 0
        self.active = self._build_up_to(1)[0]
        self.set_layout(1)
        self.set_active(self.built[0])

    # --- viewports ---------------------------------------------------------------------------
    @property
    def viewports(self) -> list[Viewport]:
        """All four viewports (asking builds those no layout has needed yet; ``built`` does not)."""
        return self._build_up_to(len(LAYOUTS[4]))

    def for_each_viewport(self, setup: Callable[[Viewport], None]) -> None:
        """Call ``setup`` on every viewport: each one built so far now, and each later one when it is built."""
        self._setups.append(setup)
        for viewport in self.built:
            setup(viewport)

    def _build_up_to(self, count: int) -> list[Viewport]:
        """The first ``count`` viewports, building (hidden) and setting up the missing ones."""
        while len(self.built) < count:
            viewport = Viewport(self._clock, self)
            viewport.hide()
            viewport.set_active(False)
            self.built.append(viewport)
            for setup in self._setups:
                setup(viewport)
        return self.built[:count]

    def _connect_viewport(self, viewport: Viewport) -> None:
        viewport.activated.connect(lambda: self.set_active(viewport))
        viewport.frameChanged.connect(lambda _n: self._follow(viewport))

    # --- layout ------------------------------------------------------------------------------
    def set_layout(self, size: int) -> None:
        if size not in LAYOUTS or size == self.layout_size:
            return
        self._build_up_to(size)
        for viewport in self.built:
            self._grid.removeWidget(viewport)
        for index, viewport in enumerate(self.built):
            if index < size:
                self._grid.addWidget(viewport, *LAYOUTS[size][index])
                viewport.show()
            else:
                viewport.pause()
                viewport.hide()
        self.layout_size = size
        if self.active not in self.visible_viewports():
            self.set_active(self.built[0])
        self.layoutChanged.emit(size)

    def visible_viewports(self) -> list[Viewport]:
        return self.built[: self.layout_size]

    def empty_viewports(self) -> list[Viewport]:
        return [v for v in self.visible_viewports() if v.loop is None]

    def set_active(self, viewport: Viewport) -> None:
        for other in self.built:
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
        for viewport in self.built:
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
