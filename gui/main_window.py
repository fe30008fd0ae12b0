"""The main window: menus with every action, toolbar, viewers, study browser dock, status bar.

Window state, layout and recent studies persist in ``QSettings``. Studies open from files,
folders, a DICOMDIR or drag-and-drop; indexing, loop opening and thumbnails run as background
tasks with progress and a Cancel button. Every failure is a non-modal notice naming the file.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QProgressBar,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.annotate import APP_TITLE, Annotation
from gui.dialogs.export_cine import ExportCineActions
from gui.dialogs.priors import PriorActions
from gui.dialogs.signoff import SignOffActions
from gui.icons import media_icon
from gui.import_measurements import ImportMeasurements
from gui.key_images import KeyImageFlags
from gui.notices import NoticeArea, Notices, report_errors
from gui.panels.browser import StudyBrowser
from gui.panels.case_docks import CaseDocks
from gui.panels.keys import install_field_keys
from gui.panels.pacs_menu import PacsMenu  # the dialog and pacs/ are imported on first use
from gui.panels.report_preview import ReportActions
from gui.panels.shortcuts import ShortcutsDialog, all_sections
from gui.present.actions import PresentActions
from gui.session import CaseSession
from gui.tasks import TaskRunner
from gui.tools import TOOLS
from gui.viewer.grid import ViewerGrid
from gui.viewer.overlay import MOUSE_GESTURES
from gui.viewer.playback import SPEEDS, Clock
from gui.viewer.readout import calibration_summary, readout
from gui.viewer.sync import SyncMode
from gui.viewer.transport import TransportBar
from gui.viewer.viewport import ZOOM_STEP, Viewport
from gui.viewer.viewport import loop_name as loop_label
from gui.volume.menu import VolumeMenu
from gui.wheel_guard import WheelGuard, install_wheel_guard
from imaging.cache import FrameCache, default_cache
from imaging.catalog import StudyCatalog, catalog_paths
from imaging.loop import Loop
from planning.case import Case, resolve_image

log = logging.getLogger(__name__)

MAX_RECENT = 10
CASE_SUFFIX = ".mitraplan.json"
BROWSER_WIDTH = 440
#: Thumbnail loops decode into their own small cache, so closing them never evicts viewer frames.
THUMBNAIL_CACHE_BYTES = 16 << 20
B_C_STEP = 10
#: What the status bar says while no loop is shown, so it always tells the reader what to do next.
IDLE_STATUS = "Ready · no loop shown — open a study (Ctrl+O files, Ctrl+Shift+O folder) or double-click a loop"


def _without_duplicates(paths: Sequence[Path]) -> list[Path]:
    """Paths in order, each once, leaving out files inside a folder that is also listed."""
    resolved = [p.resolve() for p in paths]
    folders = [p for p in resolved if p.is_dir()]
    kept: list[Path] = []
    for path in resolved:
        inside = any(f != path and f in path.parents for f in folders)
        if path not in kept and not inside:
            kept.append(path)
    return kept


def _progress_callback(report: Callable[[int, int, str], None]) -> Callable[..., None]:
    """Adapt the indexer's ``progress(done, total[, path])`` to the task's ``(done, total, text)``."""
    def callback(done: int, total: int, *rest: Any) -> None:
        report(int(done), int(total), str(rest[0]) if rest else "")
    return callback


class MainWindow(QMainWindow):
    studyOpened = Signal(object)   # imaging.catalog.StudyCatalog
    caseOpened = Signal(object)    # planning.case.Case
    loopShown = Signal(object)     # Viewport that received a new loop

    def __init__(self, settings: QSettings | None = None, clock: Clock = time.monotonic,
                 notices: Notices | None = None) -> None:
        super().__init__()
        self.setWindowTitle(APP_TITLE)
        self.setObjectName("MainWindow")
        self.settings = settings if settings is not None else QSettings("MitraPlan", "MitraPlan")
        self.notices = notices or Notices(self)
        self.tasks = TaskRunner(self)
        self.clock = clock
        self.cache = default_cache()
        self.catalog: StudyCatalog | None = None
        self.session = CaseSession(self, catalog=lambda: self.catalog)  # the open case, its undo and files
        self._pending: dict[int, int] = {}
        self._request_counter = 0
        self.actions_by_name: dict[str, QAction] = {}
        self.menus: dict[str, QMenu] = {}
        self._docks: list[QDockWidget] = []

        self.grid = ViewerGrid(clock, self)
        self._build_actions()
        self.field_keys = install_field_keys(self)  # focused fields keep their keys from the shortcuts
        self.wheel_guard: WheelGuard = install_wheel_guard(self)  # a wheel scrolls; it never edits a field
        self.transport = TransportBar(self.actions_by_name, self)
        self.notice_area = NoticeArea(self.notices, self)
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.notice_area)
        column.addWidget(self.grid, 1)
        column.addWidget(self.transport)
        self.setCentralWidget(central)

        thumb_cache = FrameCache(THUMBNAIL_CACHE_BYTES)
        self.browser = StudyBrowser(self.tasks, lambda info: Loop.open(info.path, cache=thumb_cache), self)
        self.browser_dock = self.add_panel(self.browser, "Study browser", "browser",
                                           Qt.DockWidgetArea.LeftDockWidgetArea)
        self._compose()
        self._build_menus()
        self._build_toolbar()
        self.annotation.build_toolbar()
        self._build_status_bar()
        self._connect()
        self.setAcceptDrops(True)
        self._restore_settings()

    def _compose(self) -> None:
        """Create the window's controllers, each with its type, and register their actions by name."""
        self.case_docks: CaseDocks = CaseDocks(self)
        self.annotation: Annotation = Annotation(self)
        self.key_images: KeyImageFlags = KeyImageFlags(self)
        self.report: ReportActions = ReportActions(self)
        self.pacs: PacsMenu = PacsMenu(self)
        self.volumes: VolumeMenu = VolumeMenu(self)  # File → Open 3D Volume (gui/volume)
        self.actions_by_name.update(self.case_docks.show_actions)
        self.actions_by_name.update(self.report.actions)
        self.signoff: SignOffActions = SignOffActions(self)
        self.actions_by_name.update(self.signoff.actions)
        self.priors: PriorActions = PriorActions(self)
        self.actions_by_name.update(self.priors.actions)
        self.present: PresentActions = PresentActions(self, self.clock)  # View → Compare with Prior…, Presentation
        self.actions_by_name.update(self.present.actions)
        self.actions_by_name.update(pacs=self.pacs.action, flag_key_image=self.key_images.action)
        self.actions_by_name["open_case"].setShortcut(QKeySequence("Ctrl+Shift+C"))  # Ctrl+O opens image files
        self.import_measurements: ImportMeasurements = ImportMeasurements(self)
        self.actions_by_name["import_measurements"] = self.import_measurements.action
        self.cine: ExportCineActions = ExportCineActions(self)  # File → Export Cine… (gui/dialogs/export_cine)
        self.actions_by_name["export_cine"] = self.cine.action
        panel = self.annotation.panel
        self.actions_by_name.update(confirm_value=panel.confirm_action, unconfirm_value=panel.unconfirm_action)
        self.grid.for_each_viewport(self._pick_rows_of)

    def _pick_rows_of(self, viewport: Viewport) -> None:
        """A mark picked in ``viewport`` is picked in the measurements table."""
        self.annotation.overlay(viewport).selectionChanged.connect(self._select_row_of)

    def _select_row_of(self, mark_id: str | None) -> None:
        if mark_id:
            self.annotation.panel.select_source(mark_id)

    # --- actions -----------------------------------------------------------------------------
    def _action(self, key: str, text: str, slot: Callable[..., Any], shortcut: str | Sequence[str] = (),
                icon: QStyle.StandardPixmap | str | None = None, checkable: bool = False, tip: str = "") -> QAction:
        action = QAction(text, self)
        shortcuts = [shortcut] if isinstance(shortcut, str) else list(shortcut)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        if isinstance(icon, str):
            action.setIcon(media_icon(icon))
        elif icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        action.setCheckable(checkable)
        action.setToolTip(f"{tip or text.replace('&', '')}" + (f" ({shortcuts[0]})" if shortcuts else ""))
        action.setStatusTip(tip or text.replace("&", "").rstrip("…"))
        action.triggered.connect(slot)
        self.addAction(action)
        self.actions_by_name[key] = action
        return action

    def _build_actions(self) -> None:
        sp = QStyle.StandardPixmap
        a, g = self._action, self.grid
        a("open_files", "&Open Files…", self.choose_files, "Ctrl+O",
          sp.SP_DialogOpenButton, tip="Open DICOM files")
        a("open_folder", "Open &Folder…", self.choose_folder, "Ctrl+Shift+O", sp.SP_DirOpenIcon,
          tip="Open every DICOM file under a folder")
        a("open_dicomdir", "Open &DICOMDIR…", self.choose_dicomdir, "Ctrl+D", tip="Open a DICOMDIR (CD/DVD)")
        a("open_demo", "Open De&mo Study", self.open_demo, tip="Write and open the built-in synthetic TEE study")
        a("close_study", "&Close Study", self.close_all, "Ctrl+W")
        a("save_view", "Save View as &PNG…", self.choose_screenshot, "Ctrl+Alt+S")
        a("quit", "&Quit", self.close, "Ctrl+Q")
        a("layout_1", "Layout &1×1", lambda: self.set_layout(1), "1", checkable=True)
        a("layout_2", "Layout 1×&2", lambda: self.set_layout(2), "2", checkable=True)
        a("layout_4", "Layout &2×2", lambda: self.set_layout(4), "4", checkable=True)
        layouts = QActionGroup(self)
        for key in ("layout_1", "layout_2", "layout_4"):
            layouts.addAction(self.actions_by_name[key])
        a("next_viewport", "Next &Viewport", lambda: g.activate_next(1), "Tab")
        a("fit", "&Fit to Window", lambda: g.active.fit(), "F")
        a("one_to_one", "Actual &Pixels (1:1)", lambda: g.active.one_to_one(), "0")
        a("zoom_in", "Zoom &In", lambda: g.active.zoom(ZOOM_STEP), ["+", "="])
        a("zoom_out", "Zoom &Out", lambda: g.active.zoom(1 / ZOOM_STEP), "-")
        a("outlines", "Region &Outlines", self.set_region_outlines, "R", checkable=True,
          tip="Show the calibrated ultrasound regions")
        a("brighter", "Brighter", lambda: self._nudge_display(B_C_STEP, 0), "B")
        a("darker", "Darker", lambda: self._nudge_display(-B_C_STEP, 0), "Shift+B")
        a("more_contrast", "More Contrast", lambda: self._nudge_display(0, B_C_STEP), "C")
        a("less_contrast", "Less Contrast", lambda: self._nudge_display(0, -B_C_STEP), "Shift+C")
        a("reset_display", "Reset Brightness/Contrast", lambda: self._set_display(0, 0), "Ctrl+0")
        a("full_screen", "Full &Screen", self._toggle_full_screen, "F11", checkable=True)
        a("play", "&Play/Pause", self.toggle_play, "Space", "play")
        a("step_back", "Step &Back", lambda: self._step(-1), "Left", "step_back")
        a("step_forward", "Step &Forward", lambda: self._step(1), "Right", "step_forward")
        a("prev_beat", "Previous Bea&t", lambda: self._beat(-1), "Ctrl+Left", tip="Go to the previous R wave")
        a("next_beat", "Next B&eat", lambda: self._beat(1), "Ctrl+Right", tip="Go to the next R wave")
        a("first", "F&irst Frame", lambda: self._each_leader(Viewport.first), "Home", "first")
        a("last", "&Last Frame", lambda: self._each_leader(Viewport.last), "End", "last")
        a("prev_loop", "Pre&vious Loop", lambda: self.open_neighbour(-1), "Up", "up")
        a("next_loop", "&Next Loop", lambda: self.open_neighbour(1), "Down", "down")
        a("slower", "Slower", lambda: self._change_speed(-1), "[")
        a("faster", "Faster", lambda: self._change_speed(1), "]")
        a("range_start", "Loop Range &Start Here", self._range_start, "I", tip="Play from this frame")
        a("range_end", "Loop Range &End Here", self._range_end, "O", tip="Play up to this frame")
        a("range_clear", "&Clear Loop Range", lambda: g.active.clear_loop_range(), "Shift+I",
          tip="Play the whole loop")
        syncs = QActionGroup(self)
        for mode, text in ((SyncMode.OFF, "Sync &Off"), (SyncMode.FRAME, "Sync by &Frame"),
                           (SyncMode.CYCLE, "Sync by Cardiac &Cycle")):
            action = a(f"sync_{mode.value}", text, lambda _c=False, m=mode: self.set_sync_mode(m), checkable=True)
            syncs.addAction(action)
        a("shortcuts", "&Keyboard Shortcuts", self.show_shortcuts, "F1")
        a("about", "&About MitraPlan", self.show_about)
        self.actions_by_name["range_start"].setText("Loop Range &Start Here")
        self.actions_by_name["range_start"].setIconText("[ ")
        self.actions_by_name["range_end"].setIconText(" ]")
        self.actions_by_name["range_clear"].setIconText("↔")

    def _menu(self, name: str, title: str, keys: Sequence[str | None], parent: QMenu | None = None) -> QMenu:
        """A menu (object name ``menu-<name>``, kept in ``menus[name]``) of the actions named by
        ``keys`` in order; None is a separator."""
        menu = QMenu(title, self)
        menu.setObjectName(f"menu-{name}")
        for key in keys:
            menu.addSeparator() if key is None else menu.addAction(self.actions_by_name[key])
        if parent is not None:
            parent.addMenu(menu)
        else:
            self.menuBar().addMenu(menu)
        self.menus[name] = menu
        return menu

    def _build_menus(self) -> None:
        """Every menu, from the actions by name (the controllers created theirs in ``_compose``)."""
        m = self._menu
        file_menu = m("file", "&File", ["new_case", "open_case", "save_case", "save_case_as", None,
                                        "open_files", "open_folder", "open_dicomdir", "pacs", None,
                                        "import_measurements"])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.setObjectName("menu-recent")
        self.menus["recent"] = self.recent_menu
        file_menu.addMenu(self.volumes.menu)
        for key in ("open_demo", None, "close_study", "save_view", "export_cine", None, "quit"):
            file_menu.addSeparator() if key is None else file_menu.addAction(self.actions_by_name[key])
        m("edit", "&Edit", ["undo", "redo", None, "delete_mark"])
        view = m("view", "&View", ["layout_1", "layout_2", "layout_4", "next_viewport", None, "fit", "one_to_one",
                                   "zoom_in", "zoom_out", None, "outlines", None, "brighter", "darker",
                                   "more_contrast", "less_contrast", "reset_display", None, "full_screen",
                                   None, "compare_prior", "presentation"])
        self.panels_menu = m("panels", "&Panels", [], parent=view)
        for dock in self._docks:
            self.panels_menu.addAction(dock.toggleViewAction())
        self.panels_menu.addSeparator()
        for key in self.case_docks.show_actions:
            self.panels_menu.addAction(self.actions_by_name[key])
        m("measure", "&Measure", ["tool_select", *(f"tool_{name}" for name in TOOLS), None, "finish_tool",
                                  "cancel_tool", None, "calculations", None, "confirm_value", "unconfirm_value", None,
                                  "flag_key_image"])
        m("playback", "&Playback", ["play", "step_back", "step_forward", "prev_beat", "next_beat", "first", "last", None,
                                    "prev_loop", "next_loop", None, "slower", "faster", None, "range_start", "range_end",
                                    "range_clear", None, "sync_off", "sync_frame", "sync_cycle"])
        m("report", "&Report", ["report_preview", "report_export", None, "add_prior", None, "sign_off", "amend"])
        m("help", "&Help", ["shortcuts", "about"])

    def _build_toolbar(self) -> None:
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("toolbar-main")
        toolbar.setMovable(False)
        for key in ("open_files", "open_folder", None, "layout_1", "layout_2", "layout_4", None,
                    "fit", "one_to_one", "outlines", None, "prev_loop", "next_loop"):
            toolbar.addSeparator() if key is None else toolbar.addAction(self.actions_by_name[key])
        for key, text in (("layout_1", "1×1"), ("layout_2", "1×2"), ("layout_4", "2×2"),
                          ("fit", "Fit"), ("one_to_one", "1:1"), ("outlines", "Regions")):
            self.actions_by_name[key].setIconText(text)
        toolbar.addSeparator()
        self.brightness_slider = self._display_slider(toolbar, "Brightness")
        self.contrast_slider = self._display_slider(toolbar, "Contrast")

    def _display_slider(self, toolbar: Any, name: str) -> QSlider:
        toolbar.addWidget(QLabel(f" {name} ", self))
        slider = QSlider(Qt.Orientation.Horizontal, self)
        slider.setRange(-100, 100)
        slider.setFixedWidth(110)
        slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        slider.setToolTip(f"{name} (display only; the pixel data are not changed)")
        slider.valueChanged.connect(lambda _v: self._set_display(self.brightness_slider.value(),
                                                                 self.contrast_slider.value()))
        toolbar.addWidget(slider)
        return slider

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.readout_label = QLabel(IDLE_STATUS, self)
        self.readout_label.setObjectName("readout")
        self.readout_label.setMinimumWidth(420)
        status.addWidget(self.readout_label, 1)
        self.progress_label = QLabel("", self)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setFixedWidth(160)
        self.progress_bar.setTextVisible(False)
        self.cancel_button = QToolButton(self)
        self.cancel_button.setText("Cancel")
        self.cancel_button.clicked.connect(self.tasks.cancel_all)
        for widget in (self.progress_label, self.progress_bar, self.cancel_button):
            status.addPermanentWidget(widget)
            widget.hide()

    def _connect(self) -> None:
        grid = self.grid
        grid.for_each_viewport(self._connect_viewport)
        grid.activeChanged.connect(lambda _v: self._sync_controls())
        grid.layoutChanged.connect(self._on_layout_changed)
        self.transport.frameRequested.connect(self._seek)
        self.transport.speedRequested.connect(self.set_speed)
        self.transport.syncRequested.connect(self.set_sync_mode)
        self.browser.loopActivated.connect(lambda info: self.open_loop(info))
        self.browser.volumeActivated.connect(lambda info: self.volumes.open(info.path))
        self.tasks.changed.connect(self._on_tasks_changed)
        self.tasks.progress.connect(self._on_task_progress)

    def _connect_viewport(self, viewport: Viewport) -> None:
        """Wire a viewport (built with the window, or when a layout first needs it) to the window."""
        viewport.frameChanged.connect(lambda _n: self._on_frame(viewport))
        viewport.loopChanged.connect(lambda _l: self._on_loop_changed(viewport))
        viewport.playingChanged.connect(lambda _p: self._update_play_action())
        viewport.cursorMoved.connect(lambda x, y: self._on_cursor(viewport, x, y))
        viewport.cursorLeft.connect(lambda: self.readout_label.setText(calibration_summary(viewport.regions)))
        viewport.failed.connect(self.notices.error)

    def add_panel(self, widget: QWidget, title: str, name: str,
                  area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea) -> QDockWidget:
        """Dock ``widget`` (left: browser; right and bottom: the case panels); View → Panels toggles it."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{name}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self._docks.append(dock)
        return dock

    # --- opening -----------------------------------------------------------------------------
    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open DICOM files or a case", self._last_dir(),
                                                "DICOM or case (*.dcm *.DCM *.mitraplan.json *);;All files (*)")
        if paths:
            self.open_paths(paths)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a study folder", self._last_dir())
        if folder:
            self.open_paths([folder])

    def choose_dicomdir(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a DICOMDIR", self._last_dir(), "DICOMDIR (DICOMDIR*)")
        if path:
            self.open_paths([path])

    def _last_dir(self) -> str:
        recent = self.recent_studies()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def open_paths(self, paths: Iterable[str | Path]) -> None:
        """Index ``paths`` (files, folders, DICOMDIR, case files) in the background, then show the study.

        A case file (``*.mitraplan.json``) becomes the open case; its images are opened with it.
        """
        given = [Path(p) for p in paths]
        existing = [p for p in given if p.exists()]
        for missing in (p for p in given if not p.exists()):
            self.notices.error(f"{missing}: no such file or folder")
        images: list[Path] = []
        for path in existing:
            if path.name.endswith(CASE_SUFFIX):
                images += self.open_case(path)
            else:
                images.append(path)
        images = _without_duplicates(images)
        if not images:
            return
        self.browser.cancel_thumbnails()
        label = images[0].name + (f" and {len(images) - 1} more" if len(images) > 1 else "")

        def work(progress: Any, cancel: Any) -> Any:
            return catalog_paths(images, progress=_progress_callback(progress), cancel=cancel)

        self.tasks.start(f"Indexing {label}", work, on_done=self.show_catalog,
                         on_error=lambda exc: self.notices.error(f"Could not open {label}: {exc}"))
        for path in existing:
            self._remember(path)

    def open_case(self, path: Path) -> list[Path]:
        """Load a case file as the open case; return its image files (a notice for each one missing)."""
        found: list[Path] = []
        with report_errors(self.notices, str(path)):  # a case that does not load is a notice, nothing opens
            if self.session.maybe_keep_changes():
                found = self._case_images(path, self.session.open(path).case)
        return found

    def _case_images(self, path: Path, case: Case) -> list[Path]:
        """The image files of the case just opened from ``path`` (load problems and missing images are notices)."""
        for where, message in case.load_errors:  # a reference or limit message already names file and item
            named = case.path is not None and message.startswith(f"{case.path}: ")
            self.notices.warning(message if named else f"{path}: {where}: {message}")
        self.caseOpened.emit(case)
        found = []
        for entry in case.images:
            uid = str(entry.get("sop_instance_uid", ""))
            image = resolve_image(case, uid)
            if image is None:
                self.notices.warning(f"{path}: image {uid} ({entry.get('path', 'no path')}) not found")
            else:
                found.append(image)
        return found

    def show_catalog(self, catalog: StudyCatalog) -> None:
        """Show a study catalog: the browser at once, then the first loops in the visible viewports."""
        for path, message in catalog.warnings:
            self.notices.warning(f"{path}: {message}")
        volumes = list(catalog.volumes())
        self.volumes.offer(volumes)
        loops = list(catalog.loops())
        if not loops and not volumes:
            self.notices.error("No loops found in what was opened")
            return
        if loops:
            self.volumes.announce(volumes)
        else:  # a study of volumes only: the first opens in the viewer, the browser lists them all
            self.volumes.open(volumes[0].path)
        self.close_study()
        self.catalog = catalog
        self.browser.show_catalog(catalog)
        for viewport, info in zip(self.grid.visible_viewports(), loops, strict=False):
            self.open_loop(info, viewport)
        self.studyOpened.emit(catalog)

    def _open_loop_blocking(self, info: Any) -> Any:
        return Loop.open(info.path, cache=self.cache)

    def open_loop(self, info: Any, viewport: Viewport | None = None) -> None:
        """Open the loop of ``info`` (a LoopInfo) in ``viewport`` (default: the active one)."""
        viewport = viewport or self.grid.active
        if viewport.info is not None and viewport.info.sop_instance_uid == info.sop_instance_uid:
            return
        self._request_counter += 1
        token = self._pending[id(viewport)] = self._request_counter

        def shown(loop: Any) -> None:
            if self._pending.get(id(viewport)) != token:
                loop.close()
                return
            with report_errors(self.notices, str(info.path)):
                viewport.set_loop(loop)
                viewport.set_region_outlines(self.actions_by_name["outlines"].isChecked())
                self.loopShown.emit(viewport)

        self.tasks.start(f"Opening {loop_label(info)}", lambda _p, _c: self._open_loop_blocking(info),
                         on_done=shown, on_error=lambda exc: self.notices.error(f"{exc}"))

    def open_neighbour(self, delta: int) -> None:
        """Previous/next loop of the study in the active viewport."""
        info = self.grid.active.info
        target = self.browser.neighbour(None if info is None else str(info.sop_instance_uid), delta)
        if target is not None:
            self.open_loop(target)

    @property
    def case(self) -> Any:
        """The open case (planning.case.Case), if any."""
        return self.session.case

    def show_mark(self, mark_id: str) -> None:
        """Show a mark's loop and frame in the active viewport and highlight it."""
        if mark_id:
            self.annotation.jump_to_mark(mark_id)

    def close_all(self) -> None:
        """File → Close: the study and the case (asking about unsaved changes)."""
        if self.session.close():
            self.close_study()

    def close_study(self) -> None:
        self.browser.cancel_thumbnails()
        self._pending.clear()
        for viewport in self.grid.built:
            viewport.set_loop(None)
        self.browser.clear()
        self.catalog = None

    def open_demo(self) -> None:
        """Write the synthetic demo study to a temporary folder and open it."""
        from demo.phantom import write_demo_study

        folder = Path(tempfile.mkdtemp(prefix="mitraplan-demo-"))
        self.tasks.start("Writing the demo study", lambda _p, _c: write_demo_study(folder),
                         on_done=lambda demo: self.open_paths([demo.folder]),
                         on_error=lambda exc: self.notices.error(f"Demo study: {exc}"))

    # --- recent studies ----------------------------------------------------------------------
    def recent_studies(self) -> list[str]:
        value = self.settings.value("recent", [])
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def _remember(self, path: Path) -> None:
        path_text = str(path.resolve())
        recent = [path_text, *(p for p in self.recent_studies() if p != path_text)][:MAX_RECENT]
        self.settings.setValue("recent", recent)
        self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_studies()
        for path in recent:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open_paths([p]))
        self.recent_menu.setEnabled(bool(recent))

    # --- playback and view -------------------------------------------------------------------
    def toggle_play(self) -> None:
        self.grid.toggle_play()

    def _step(self, delta: int) -> None:
        self.grid.pause()
        self._each_leader(lambda v: v.step(delta))

    def _beat(self, delta: int) -> None:
        self.grid.pause()
        self._each_leader(lambda v: v.step_beat(delta))

    def _each_leader(self, fn: Callable[[Viewport], Any]) -> None:
        """Apply to the leading viewport when synchronised (followers follow), else the active one."""
        viewport = self.grid.leader() if self.grid.is_synced() else self.grid.active
        if viewport is not None:
            fn(viewport)

    def _seek(self, frame_number: int) -> None:
        self.grid.pause()
        self._each_leader(lambda v: v.show_frame(frame_number - 1))

    def set_speed(self, speed: float) -> None:
        for viewport in self.grid.built:
            viewport.set_speed(speed)
        self._sync_controls()

    def _change_speed(self, delta: int) -> None:
        current = self.grid.active.speed
        position = SPEEDS.index(current) if current in SPEEDS else SPEEDS.index(1.0)
        self.set_speed(SPEEDS[min(max(position + delta, 0), len(SPEEDS) - 1)])

    def _range_start(self) -> None:
        viewport = self.grid.active
        viewport.set_loop_range(viewport.frame_index, viewport.loop_range[1])
        self._sync_controls()

    def _range_end(self) -> None:
        viewport = self.grid.active
        viewport.set_loop_range(viewport.loop_range[0], viewport.frame_index)
        self._sync_controls()

    def set_layout(self, size: int) -> None:
        """1, 2 or 4 viewports; empty ones get the loops that follow in the study."""
        self.grid.set_layout(size)
        shown = {str(v.info.sop_instance_uid) for v in self.grid.built if v.info is not None}
        spare = [i for i in self.browser.loop_infos() if str(i.sop_instance_uid) not in shown]
        for viewport, info in zip(self.grid.empty_viewports(), spare, strict=False):
            self.open_loop(info, viewport)

    def _on_layout_changed(self, size: int) -> None:
        self.actions_by_name[f"layout_{size}"].setChecked(True)

    def set_sync_mode(self, mode: SyncMode) -> None:
        mode = SyncMode(mode)
        self.grid.set_sync_mode(mode)
        self.actions_by_name[f"sync_{mode.value}"].setChecked(True)
        self.transport.show_sync(mode)

    def set_region_outlines(self, visible: bool) -> None:
        for viewport in self.grid.built:
            viewport.set_region_outlines(bool(visible))

    def _set_display(self, brightness: int, contrast: int) -> None:
        self.grid.active.set_brightness_contrast(brightness, contrast)
        self._show_display_sliders()

    def _nudge_display(self, d_brightness: int, d_contrast: int) -> None:
        viewport = self.grid.active
        self._set_display(max(-100, min(100, viewport.brightness + d_brightness)),
                          max(-100, min(100, viewport.contrast + d_contrast)))

    def _show_display_sliders(self) -> None:
        viewport = self.grid.active
        for slider, value in ((self.brightness_slider, viewport.brightness),
                              (self.contrast_slider, viewport.contrast)):
            slider.blockSignals(True)
            slider.setValue(value)
            slider.blockSignals(False)

    def _toggle_full_screen(self, on: bool) -> None:
        self.showFullScreen() if on else self.showNormal()

    # --- reflecting state --------------------------------------------------------------------
    def _on_frame(self, viewport: Viewport) -> None:
        if viewport is self.grid.active:
            self._sync_transport()

    def _on_loop_changed(self, viewport: Viewport) -> None:
        if viewport is self.grid.active:
            self._sync_controls()

    def _sync_controls(self) -> None:
        self._sync_transport()
        self._show_display_sliders()
        self._update_play_action()
        info = self.grid.active.info
        self.annotation.update_title()
        if info is not None:
            self.browser.select(str(info.sop_instance_uid))
        self.readout_label.setText(calibration_summary(self.grid.active.regions) if info is not None else IDLE_STATUS)

    def _sync_transport(self) -> None:
        viewport = self.grid.active
        if viewport.loop is None:
            self.transport.show_state(0, 0, None)
            return
        timing = viewport.timing
        r_frames = [k + 1 for k in viewport.beat_frames()]
        first, last = viewport.loop_range
        self.transport.show_state(viewport.frame_number, viewport.n_frames,
                                  float(timing.frame_times_ms[viewport.frame_index]) / 1000.0,
                                  r_frames, (first + 1, last + 1), viewport.speed)

    def _update_play_action(self) -> None:
        self.actions_by_name["play"].setIcon(media_icon("pause" if self.grid.playing() else "play"))

    def _on_cursor(self, viewport: Viewport, x: float, y: float) -> None:
        self.readout_label.setText(readout(viewport.regions, x, y))

    def _on_tasks_changed(self) -> None:
        running = self.tasks.running
        for widget in (self.progress_label, self.progress_bar, self.cancel_button):
            widget.setVisible(bool(running))
        if running:
            self.progress_label.setText(running[-1].name + ("…" if len(running) == 1 else f" (+{len(running) - 1})"))
            self.progress_bar.setRange(0, 0)

    def _on_task_progress(self, name: str, done: int, total: int, _text: str) -> None:
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(done)
            self.progress_label.setText(f"{name}: {done}/{total}")

    # --- help --------------------------------------------------------------------------------
    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(all_sections(self, self.menus, MOUSE_GESTURES), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_about(self) -> None:
        self.notices.info("MitraPlan — TEE review and redo-TEER planning. Measurements use the DICOM"
                          " ultrasound-region calibration; every number carries its unit.")

    # --- drag and drop -----------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and all(u.isLocalFile() for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)

    # --- settings ----------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 900)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        else:
            self.resizeDocks([self.browser_dock], [BROWSER_WIDTH], Qt.Orientation.Horizontal)
        layout = int(str(self.settings.value("view/layout", 1) or 1))
        self.grid.set_layout(layout if layout in (1, 2, 4) else 1)
        self.actions_by_name[f"layout_{self.grid.layout_size}"].setChecked(True)
        outlines = str(self.settings.value("view/outlines", "false")).lower() == "true"
        self.actions_by_name["outlines"].setChecked(outlines)
        sync = str(self.settings.value("view/sync", SyncMode.CYCLE.value))
        self.set_sync_mode(SyncMode(sync) if sync in {m.value for m in SyncMode} else SyncMode.CYCLE)
        self._rebuild_recent_menu()

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("view/layout", self.grid.layout_size)
        self.settings.setValue("view/outlines", self.actions_by_name["outlines"].isChecked())
        self.settings.setValue("view/sync", self.grid.sync_mode.value)
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.annotation.session.close():  # asks Save / Discard / Cancel when there are changes
            event.ignore()
            return
        self.save_settings()
        self.tasks.cancel_all()
        self.grid.pause()
        for viewport in self.grid.built:
            viewport.set_loop(None)
        super().closeEvent(event)

    # --- screenshots -------------------------------------------------------------------------
    def choose_screenshot(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save view as PNG", str(Path.home() / "mitraplan.png"),
                                              "PNG image (*.png)")
        if path:
            with report_errors(self.notices, path):
                self.save_screenshot(path)

    def save_screenshot(self, path: str | Path) -> None:
        """Render the whole window into a PNG, readable by the user only (it shows patient names)."""
        from private_files import private_file

        if not self.grab().save(str(private_file(Path(path))), "PNG"):
            raise OSError(f"{path}: could not write the PNG")
