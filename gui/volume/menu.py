"""File → Open 3D Volume: the open study's volumes, each opening in a volume viewer window.

Created by ``MainWindow`` (``window.volumes``). Volumes are never played as loops; the catalog lists
them apart (``StudyCatalog.volumes()``), and this menu lists those. A study of volumes only opens
its first volume at once. Marks placed in a viewer go to the window's open case.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu

from imaging.volume import VolumeInfo
from measurements.marks import Mark
from planning.case import resolve_image

if TYPE_CHECKING:
    from gui.main_window import MainWindow
    from gui.volume.viewer import VolumeWindow  # imported when a volume is first opened: not at start


def volume_label(info: VolumeInfo) -> str:
    """Menu text of a volume: file name, columns x rows x slices and the time points."""
    columns, rows, slices = info.dimensions
    times = f", {info.timepoints} time points" if info.timepoints > 1 else ""
    return f"{info.path.name} ({columns}×{rows}×{slices}{times})"


class VolumeMenu:
    """The Open 3D Volume submenu and the viewer windows it opened."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.menu = QMenu("Open 3D &Volume", window)
        self.menu.setObjectName("menu-volumes")
        self.open_file_action = QAction("Volume &File…", window)
        self.open_file_action.triggered.connect(self.choose_file)
        self.actions = {"open_volume_file": self.open_file_action}
        self.windows: list[VolumeWindow] = []
        self.offer([])

    def offer(self, volumes: Sequence[VolumeInfo]) -> None:
        """List ``volumes`` (the open study's) in the menu; a study of volumes only opens its first."""
        self.menu.clear()
        for info in volumes:
            action = self.menu.addAction(volume_label(info))
            action.triggered.connect(lambda _=False, p=info.path: self.open(p))
        if not volumes:
            self.menu.addAction("(no 3D volume in the open study)").setEnabled(False)
        self.menu.addSeparator()
        self.menu.addAction(self.open_file_action)

    def announce(self, volumes: Sequence[VolumeInfo]) -> None:
        for info in volumes:
            self.window.notices.info(f"{info.path.name} is a 3D volume: double-click it in the study browser "
                                     "(or File → Open 3D Volume) to view it")

    def open(self, path: str | Path) -> VolumeWindow | None:
        """A viewer window on ``path`` (its marks go to the window's case); errors become notices."""
        from gui.volume.viewer import open_volume_window

        viewer = open_volume_window(path, self.window.session, self.window, cache=self.window.cache,
                                    on_error=self.window.notices.error)
        if viewer is not None:
            self.windows = [w for w in self.windows if w.isVisible()] + [viewer]
            self._follow_clip_map(viewer)
        return viewer

    def _follow_clip_map(self, window: VolumeWindow) -> None:
        """The viewer's Tie item follows the item selected on the clip map."""
        docks = getattr(self.window, "case_docks", None)
        if docks is None:
            return
        view = docks.valve_map.view
        window.viewer.select_item(view.selected)
        view.itemSelected.connect(window.viewer.select_item)

    def show_mark(self, mark: Mark) -> VolumeWindow | None:
        """Reopen a 3D mark on the plane it was drawn in: in the viewer already showing its volume,
        else in a new viewer on the volume found in the open study or the case (a notice if none)."""
        uid = mark.sop_instance_uid
        viewer = next((w for w in self.windows if w.isVisible() and w.viewer.volume.info.sop_instance_uid == uid), None)
        if viewer is None:
            path = self._volume_path(uid)
            if path is None:
                self.window.notices.warning(f"the volume of mark {mark.id!r} is not in the open study or the case")
                return None
            viewer = self.open(path)
        if viewer is not None:
            viewer.viewer.show_mark(mark)
            viewer.raise_()
        return viewer

    def _volume_path(self, uid: str) -> Path | None:
        catalog = self.window.catalog
        found = next((v.path for v in catalog.volumes() if v.sop_instance_uid == uid), None) if catalog else None
        case = self.window.session.case
        return found if found is not None or case is None else resolve_image(case, uid)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a 3D volume", "", "DICOM (*.dcm *);;All files (*)")
        if path:
            self.open(path)

    def close_all(self, *_: Any) -> None:
        for viewer in self.windows:
            viewer.close()
        self.windows = []
