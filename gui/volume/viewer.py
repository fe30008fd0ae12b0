"""The volume viewer: three orthogonal MPR planes and an en-face slab of one 3D/4D volume.

Rendering is the numpy reslice of ``imaging.mpr`` shown in pyqtgraph ``ImageItem``s, not OpenGL or
VTK: it draws the same in the offscreen platform of the tests, under Xvfb without a GPU and on
Windows remote desktops, and a 320² plane costs a few ms (``benchmarks/bench_mpr.py``).

Navigating (the default tool, N): drag the crossing point to move the crosshair, a plane's line
near the centre to move that plane, a line's outer part (beyond its round handles) to turn the
other planes about this view's normal. Keys in the focused view: ←/→/↑/↓ move the crosshair
(1 mm), Page Up/Down move this view's plane along its normal, Shift+←/→ turn about the view's
normal, Shift+↑/↓ tilt about its horizontal axis (2°), Space plays the volume at its frame time.
The wheel zooms while the view has the focus.

Measuring (D distance, A area, P point) places clicks on one view; an area closes with Enter, a
double-click or a click on its first vertex; Esc drops it. Each mark becomes a 3D mark of the open
case (``points3d`` in mm of the volume, the view's plane kept) through the case's undo stack.
Align to valve (V): click the anterior (aortic) annulus, then the anterolateral and the
posteromedial commissure on any planes: plane A and the en-face view go through the three
points, seen from the left atrium with the anterior leaflet up (as the clip map draws it). The
three points are the volume's annulus in the case (``volumes[].annulus``, one undo step): the clip
map's frame (``planning.enface``), and a viewer opening on that volume aligns to them again.

The en-face view shows the clip map's devices (squares) and jets (circles): filled where they are
tied to this volume, hollow and dashed at their schematic place through the saved annulus. Tie (T)
ties the item chosen in the Tie box (bottom row; it follows the clip map's selection) to the point
clicked next on the en-face view (one undo step; a
click on another view ties nothing, and the tool goes back to navigating after one tie); Untie
drops the item's tie.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from gui.volume.planes import EN_FACE, SLAB_MODES, PlaneImage, Planes, render_plane, render_slab
from gui.volume.view import PLANE_COLOURS, MapMarker, PlaneView
from imaging.errors import InputError
from imaging.volume import Volume
from measurements.compute import measure_mark_3d
from measurements.marks import Mark, MarkPlane, MarkType
from planning import model
from planning.commands import AddMark, Command, ReplaceDevice, ReplaceJet, SetCaseField
from planning.enface import Annulus, annuli, with_annulus
from planning.labels import labels_for_volume, purpose_for
from report.clipmap import ASPECT, SCHEMATIC, MapGeometry, map_items
from report.model import Device as MapDevice
from report.model import Jet as MapJet

STEP_MM = 1.0
TURN_DEG = 2.0
#: a press this close (screen pixels) to the crossing point or to a line grabs it
GRAB_PX = 7.0
#: the part of a line (fraction of the half view) nearer the centre moves its plane; beyond, it turns
MOVE_FRACTION = 0.45
#: a 3D mark is drawn on a view when all its points are this close (mm) to the view's plane
ON_PLANE_MM = 1.0
DEFAULT_FRAME_MS = 40.0
VIEW_TITLES = ("Plane A", "Plane B", "Plane C", "En face")
#: orientation words per view once plane A lies on the valve (surgical view, report/clipmap.py)
SURGICAL_WORDS = (
    {"top": "anterior (aortic valve)", "left": "anterolateral", "right": "posteromedial", "bottom": "posterior"},
    {"top": "left atrium", "left": "anterolateral", "right": "posteromedial", "bottom": "left ventricle"},
    {"top": "left atrium", "left": "anterior", "right": "posterior", "bottom": "left ventricle"},
)
TOOLS = {"navigate": ("Navigate", "N"), "distance": ("Distance", "D"), "area": ("Area", "A"),
         "point": ("Point", "P"), "annulus": ("Align to valve", "V"), "tie": ("Tie to en face", "T")}
_KINDS = {"distance": MarkType.DISTANCE, "area": MarkType.AREA, "point": MarkType.POINT}
ANNULUS_STEPS = ("anterior (aortic) annulus", "anterolateral commissure", "posteromedial commissure")


@dataclass
class _Drag:
    view: int
    kind: str  # "centre" | "move" | "turn" | "pan"
    plane: int = -1
    last: np.ndarray = field(default_factory=lambda: np.zeros(3))
    last_xy: tuple[float, float] = (0.0, 0.0)


class VolumeViewer(QWidget):
    """Three MPR planes and the en-face view of one volume; 3D marks go to ``session`` (a CaseSession)."""

    marksChanged = Signal()
    rendered = Signal()

    def __init__(self, volume: Volume, session: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.volume = volume
        self.session = session
        self.planes = Planes(volume.geometry)
        self.time_index = 0
        self.tool = "navigate"
        self.draft: list[np.ndarray] = []
        self.draft_view: int | None = None
        self.drag: _Drag | None = None
        self.slab_mm = 6.0
        self.slab_mode = SLAB_MODES[0]
        self.status_text = ""
        self.aligned = False
        self._drawn: dict[int, tuple[object, ...]] = {}  # per view: what its image shows (see _changed)
        self.timer = QTimer(self)
        self.timer.setInterval(round(volume.info.frame_time_ms or DEFAULT_FRAME_MS))
        self.timer.timeout.connect(self.next_time_point)
        self.views = [PlaneView(i, self, self) for i in range(4)]
        self._build()
        if session is not None:
            session.changed.connect(lambda *_: self._case_changed())
            session.documentChanged.connect(lambda *_: self._case_opened())
            session.refused.connect(self.show_status)
        self._apply_saved_annulus()
        self.refresh()

    # --- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.toolbar = QToolBar("Volume tools", self)
        group = QActionGroup(self)
        self.tool_actions: dict[str, QAction] = {}
        for name, (text, key) in TOOLS.items():
            action = QAction(f"{text} ({key})", self, checkable=True)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _=False, n=name: self.set_tool(n))
            group.addAction(action)
            self.toolbar.addAction(action)
            self.addAction(action)
            self.tool_actions[name] = action
        self.tool_actions["navigate"].setChecked(True)
        self.label_box = QComboBox(self)
        self.label_box.setEditable(True)
        self.label_box.setMinimumContentsLength(28)
        editor = self.label_box.lineEdit()
        if editor is not None:
            editor.setPlaceholderText("Choose what this measures…")
        self.toolbar.addWidget(self.label_box)
        reset = QPushButton("Reset planes", self)
        reset.clicked.connect(self.reset_planes)
        self.toolbar.addWidget(reset)
        self.item_box = QComboBox(self)
        self.item_box.setToolTip("The clip map's device or jet that Tie (T) ties to a point of the en-face view")
        self.item_box.currentIndexChanged.connect(lambda _i: self._update_untie())
        self.untie_button = QPushButton("Untie", self)
        self.untie_button.setToolTip("Drop the chosen item's tie to this volume (the clip map draws it from its segment)")
        self.untie_button.clicked.connect(self.untie)

        grid = QGridLayout()
        grid.setSpacing(4)
        self.titles: list[QLabel] = []
        for i, view in enumerate(self.views):
            title = QLabel(VIEW_TITLES[i], self)
            title.setStyleSheet(f"color: {PLANE_COLOURS[i]}; font-weight: bold;")
            self.titles.append(title)
            box = QVBoxLayout()
            box.setSpacing(1)
            box.addWidget(title)
            box.addWidget(view, 1)
            grid.addLayout(box, i // 2, i % 2)

        self.play_button = QPushButton("Play (Space)", self)
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self.set_playing)
        self.time_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.time_slider.setRange(1, self.volume.timepoints)
        self.time_slider.valueChanged.connect(lambda v: self.set_time_index(v - 1))
        self.time_label = QLabel(self)
        self.slab_box = QDoubleSpinBox(self)
        self.slab_box.setRange(0.0, 40.0)
        self.slab_box.setSingleStep(1.0)
        self.slab_box.setSuffix(" mm slab")
        self.slab_box.setValue(self.slab_mm)
        self.slab_box.valueChanged.connect(self._set_slab)
        self.slab_mode_box = QComboBox(self)
        self.slab_mode_box.addItems([f"{m} intensity" for m in SLAB_MODES])
        self.slab_mode_box.currentIndexChanged.connect(lambda i: self._set_slab_mode(SLAB_MODES[i]))
        transport = QHBoxLayout()
        for widget in (self.play_button, self.time_slider, self.time_label, self.slab_box, self.slab_mode_box):
            transport.addWidget(widget, 1 if widget is self.time_slider else 0)
        self.status = QLabel(self)
        self.status.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.toolbar)
        layout.addLayout(grid, 1)
        layout.addLayout(transport)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(QLabel("Tie (T):", self))
        bottom.addWidget(self.item_box)
        bottom.addWidget(self.untie_button)
        layout.addLayout(bottom)
        self._fill_labels()
        self._fill_items()
        self._update_time_label()
        self._update_en_face_title()

    def _fill_labels(self) -> None:
        kind = _KINDS.get(self.tool, MarkType.AREA)
        current = self.label_box.currentText()
        self.label_box.clear()
        self.label_box.addItems(["", *labels_for_volume(kind)])
        self.label_box.setCurrentText(current)

    # --- state changes -------------------------------------------------------------------------
    def set_tool(self, name: str) -> None:
        self.tool = name
        self.tool_actions[name].setChecked(True)
        self.cancel_draft()
        if name in _KINDS:
            self._fill_labels()
        self.show_status(f"Align to valve: click the {ANNULUS_STEPS[0]}" if name == "annulus" else
                         self._tie_prompt() if name == "tie" else "")

    def set_label(self, text: str) -> None:
        self.label_box.setCurrentText(text)

    def set_time_index(self, t: int) -> None:
        t = max(0, min(self.volume.timepoints - 1, t))
        if t == self.time_index:
            return
        self.time_index = t
        self.time_slider.blockSignals(True)
        self.time_slider.setValue(t + 1)
        self.time_slider.blockSignals(False)
        self._update_time_label()
        self.refresh()

    def next_time_point(self) -> None:
        self.set_time_index((self.time_index + 1) % self.volume.timepoints)

    def set_playing(self, on: bool) -> None:
        if on and self.volume.timepoints > 1:
            self.timer.start()
        else:
            self.timer.stop()
        self.play_button.blockSignals(True)
        self.play_button.setChecked(self.timer.isActive())
        self.play_button.blockSignals(False)

    def toggle_play(self) -> None:
        self.set_playing(not self.timer.isActive())

    def reset_planes(self) -> None:
        self.planes.reset()
        self._set_aligned(False)
        self.refresh()

    def align_to_annulus(self, anterior: Any, lateral: Any, medial: Any) -> None:
        self.planes.align_to_annulus(anterior, lateral, medial)
        self._set_aligned(True)
        for view in self.views:
            view.fit()
        self.refresh()

    def _set_aligned(self, on: bool, views: tuple[int, ...] = (0, 1, 2, EN_FACE)) -> None:
        """Name the anatomical directions on the views (plane A on the valve); ``on`` False drops them."""
        if 0 in views:
            self.aligned = on
        for i in views:
            self.views[i].set_side_labels(SURGICAL_WORDS[0 if i == EN_FACE else i] if on else {})
        self._update_en_face_title()

    def _update_en_face_title(self) -> None:
        seen = "from the left atrium, " if self.aligned else "plane A, "
        self.titles[EN_FACE].setText(f"En face: {seen}{self.slab_mm:g} mm {self.slab_mode} intensity slab")

    def show_plane(self, origin: Any, row_dir: Any, col_dir: Any) -> None:
        self.planes.show_plane(origin, row_dir, col_dir)
        self.refresh()

    def show_mark(self, mark: Mark) -> None:
        """Reopen a 3D mark: its time point, plane A on the plane it was drawn in."""
        if mark.plane is not None:
            self.planes.show_plane(mark.plane.origin, mark.plane.row_dir, mark.plane.col_dir)
        self.time_index = -1
        self.set_time_index(mark.frame_number - 1)

    def _set_slab(self, value: float) -> None:
        self.slab_mm = float(value)
        self._update_en_face_title()
        self._render_en_face(self.volume.timepoint(self.time_index))

    def _set_slab_mode(self, mode: str) -> None:
        self.slab_mode = mode
        self._update_en_face_title()
        self._render_en_face(self.volume.timepoint(self.time_index))

    def _update_time_label(self) -> None:
        ms = self.volume.info.frame_time_ms
        timing = f", {ms:g} ms per volume" if ms else ""
        self.time_label.setText(f"time point {self.time_index + 1}/{self.volume.timepoints}{timing}")

    def show_status(self, text: str) -> None:
        self.status_text = text
        self.status.setText(text)

    # --- rendering -----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reslice the views whose plane or time point changed, and redraw the overlays.

        A drag moves or turns the other planes only, so most drags reslice one or two planes.
        """
        voxels = self.volume.timepoint(self.time_index)
        for i in range(3):
            plane = self.planes.plane(i)
            if self._changed(i, plane):
                self.views[i].set_image(render_plane(voxels, self.volume.geometry, plane))
        for view in self.views:
            view.set_scale(self.planes.pixel_mm, self.planes.image_px)
        self._render_en_face(voxels)
        self.redraw_overlays()
        self.rendered.emit()

    def _changed(self, view: int, plane: PlaneImage, *extra: object) -> bool:
        """True (and remembered) when ``view`` has not been drawn with this plane, time point and ``extra``."""
        key = (self.time_index, *np.round(np.concatenate([plane.origin, plane.row_dir, plane.col_dir]), 9), *extra)
        if self._drawn.get(view) == key:
            return False
        self._drawn[view] = key
        return True

    def _render_en_face(self, voxels: np.ndarray) -> None:
        plane = self.planes.plane(EN_FACE)
        if self._changed(EN_FACE, plane, self.slab_mm, self.slab_mode):
            self.views[EN_FACE].set_image(render_slab(voxels, self.volume.geometry, plane, self.slab_mm,
                                                      self.slab_mode))

    def redraw_overlays(self) -> None:
        marks = self._marks_here()
        self.views[EN_FACE].set_map_items(self._map_markers())
        for view in self.views:
            view.set_lines(*self._crosshair(view.index))
            plane = self.planes.plane(view.index)
            view.set_marks([outline for m in marks if (outline := self._outline(m, plane)) is not None])
            points = [plane.to_image(p)[:2] for p in self.draft] if self.draft_view == view.index else []
            view.set_draft(points)

    def _crosshair(self, view: int) -> tuple[dict[int, tuple[tuple[float, float], tuple[float, float]]],
                                              list[tuple[float, float]]]:
        plane_index = 0 if view == EN_FACE else view
        cx, cy = self.planes.centre_in(view)
        reach = self.planes.image_px * 1.5
        half = self.planes.image_px / 2.0
        lines, handles = {}, []
        for other in range(3):
            if other == plane_index:
                continue
            dx, dy = self.planes.line_direction(view, other)
            lines[other] = ((cx - reach * dx, cy - reach * dy), (cx + reach * dx, cy + reach * dy))
            handles += [(cx + s * MOVE_FRACTION * half * dx, cy + s * MOVE_FRACTION * half * dy) for s in (-1, 1)]
        return lines, handles

    def _marks_here(self) -> list[Mark]:
        case = getattr(self.session, "case", None) if self.session is not None else None
        if case is None:
            return []
        uid = self.volume.info.sop_instance_uid
        return [m for m in case.marks if m.points3d is not None and m.sop_instance_uid == uid
                and m.frame_number == self.time_index + 1]

    @staticmethod
    def _outline(mark: Mark, plane: PlaneImage) -> tuple[list[tuple[float, float]], bool] | None:
        projected = [plane.to_image(p) for p in mark.points3d or ()]
        if not projected or any(abs(off) > ON_PLANE_MM for _, _, off in projected):
            return None
        return [(x, y) for x, y, _ in projected], mark.type is MarkType.AREA

    # --- input from the views ------------------------------------------------------------------
    def press(self, view: int, x: float, y: float, modifiers: Qt.KeyboardModifier) -> None:
        point = self.planes.plane(view).to_mm(x, y)
        if self.tool == "navigate":
            self.drag = self._grab(view, x, y, point)
        elif self.tool == "annulus":
            self._annulus_click(view, point)
        elif self.tool == "tie":
            self._tie_click(view, point)
        else:
            self._measure_click(view, x, y, point)

    def _grab(self, view: int, x: float, y: float, point: np.ndarray) -> _Drag:
        tolerance = GRAB_PX * self.views[view].screen_px()
        cx, cy = self.planes.centre_in(view)
        if math.hypot(x - cx, y - cy) <= tolerance:
            return _Drag(view, "centre", last=point)
        half = self.planes.image_px / 2.0
        own = 0 if view == EN_FACE else view
        for other in (p for p in range(3) if p != own):
            dx, dy = self.planes.line_direction(view, other)
            across = abs((x - cx) * dy - (y - cy) * dx)
            along = abs((x - cx) * dx + (y - cy) * dy)
            if across <= tolerance:
                kind = "move" if along <= MOVE_FRACTION * half else "turn"
                return _Drag(view, kind, other, last=point)
        return _Drag(view, "pan", last=point, last_xy=(x, y))

    def drag_to(self, view: int, x: float, y: float) -> None:
        drag = self.drag
        if drag is None or drag.view != view:
            return
        point = self.planes.plane(view).to_mm(x, y)
        if drag.kind == "pan":
            self.views[view].view_box.translateBy(x=drag.last_xy[0] - x, y=drag.last_xy[1] - y)
            return
        if drag.kind == "centre":
            self.planes.move(point - drag.last)
        elif drag.kind == "move":
            normal = self.planes.frame[drag.plane]
            self.planes.move(float((point - drag.last) @ normal) * normal)
        else:
            centre, normal = self.planes.centre, self.planes.plane(view).normal
            a, b = drag.last - centre, point - centre
            angle = math.degrees(math.atan2(float(np.cross(a, b) @ normal), float(a @ b)))
            self._turn(normal, angle)
        drag.last = point
        self.refresh()

    def _turn(self, axis: np.ndarray, degrees: float) -> None:
        """Rotate the planes; plane A leaving the valve plane drops the surgical-view words."""
        about_a = abs(float(self.planes.plane(0).normal @ axis)) > 1 - 1e-9
        self.planes.rotate(axis, degrees)
        if self.aligned:
            self._set_aligned(False, (1, 2) if about_a else (0, 1, 2, EN_FACE))

    def release(self, view: int) -> None:
        self.drag = None

    def double_click(self, view: int) -> None:
        if self.tool == "area" and self.draft_view == view:
            self.finish_draft()

    def key(self, view: int, event: QKeyEvent) -> bool:
        key, shift = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        plane = self.planes.plane(view)
        arrows = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
        if key in arrows:
            dx, dy = arrows[Qt.Key(key)]
            if not shift:
                self.planes.move(STEP_MM * (dx * plane.row_dir + dy * plane.col_dir))
            elif dx:
                self._turn(plane.normal, TURN_DEG * dx)
            else:
                self._turn(plane.row_dir, TURN_DEG * dy)
        elif key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            self.planes.move((STEP_MM if key == Qt.Key.Key_PageDown else -STEP_MM) * plane.normal)
        elif key == Qt.Key.Key_Space:
            self.toggle_play()
            return True
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.finish_draft()
            return True
        elif key == Qt.Key.Key_Escape:
            if self.draft:
                self.cancel_draft()
            else:
                self.set_tool("navigate")
            return True
        else:
            return False
        self.refresh()
        return True

    # --- measuring -----------------------------------------------------------------------------
    def _measure_click(self, view: int, x: float, y: float, point: np.ndarray) -> None:
        if self.draft_view != view:
            self.draft = []
            self.draft_view = view
        if self.tool == "area" and len(self.draft) >= 3:
            fx, fy, _ = self.planes.plane(view).to_image(self.draft[0])
            if math.hypot(x - fx, y - fy) <= GRAB_PX * self.views[view].screen_px():
                self.finish_draft()
                return
        self.draft.append(point)
        needed = {"distance": 2, "point": 1}.get(self.tool)
        if needed is not None and len(self.draft) >= needed:
            self.finish_draft()
        else:
            self.redraw_overlays()

    def cancel_draft(self) -> None:
        self.draft, self.draft_view = [], None
        self.redraw_overlays()

    def finish_draft(self) -> Mark | None:
        """Turn the clicks into a 3D mark of the open case (None, with the reason shown, when refused)."""
        kind, view, points = _KINDS.get(self.tool), self.draft_view, list(self.draft)
        self.cancel_draft()
        if kind is None or view is None or not points:
            return None
        plane = self.planes.plane(view)
        half = plane.size[0] / 2.0
        mark_plane = MarkPlane(_vec(plane.to_mm(half, half)), _vec(plane.row_dir), _vec(plane.col_dir))
        return self.add_mark(kind, [_vec(p) for p in points], mark_plane)

    def add_mark(self, kind: MarkType, points: list[tuple[float, float, float]], plane: MarkPlane) -> Mark | None:
        doc = getattr(self.session, "document", None)
        if doc is None:
            self.show_status("no case is open: File → New Case first (the mark was not kept)")
            return None
        label = self.label_box.currentText().strip()
        info = self.volume.info
        try:
            mark = Mark(doc.new_id("marks"), kind, label, info.sop_instance_uid, self.time_index + 1, None, (),
                        purpose=purpose_for(label), points3d=tuple(points), plane=plane)
            results = measure_mark_3d(mark)
        except InputError as exc:
            self.show_status(str(exc))
            return None
        doc.ensure_image(mark.sop_instance_uid, info.path)
        if not self.session.push(AddMark(mark)):
            return None
        shown = ", ".join(f"{r.label} {r.value:.2f} {r.unit.replace('2', '²')}" for r in results)
        self.show_status(f"{mark.id}: {shown or 'point placed'} (3D, time point {mark.frame_number})")
        self.marksChanged.emit()
        self.redraw_overlays()
        return mark

    def _annulus_click(self, view: int, point: np.ndarray) -> None:
        self.draft.append(point)
        self.draft_view = view
        if len(self.draft) < 3:
            self.show_status(f"Align to valve: click the {ANNULUS_STEPS[len(self.draft)]}")
            self.redraw_overlays()
            return
        anterior, lateral, medial = self.draft
        self.cancel_draft()
        self.set_tool("navigate")
        self.keep_annulus(anterior, lateral, medial)

    def keep_annulus(self, anterior: Any, lateral: Any, medial: Any) -> bool:
        """Align to three annulus points and keep them as this volume's annulus in the case (one undo step)."""
        annulus = Annulus(_vec(anterior), _vec(lateral), _vec(medial), self.time_index + 1)
        try:
            annulus.frame()
            self.align_to_annulus(anterior, lateral, medial)
        except ValueError:
            self.show_status("Align to valve: the three points must not lie on one line; click them again")
            return False
        self.show_status("Plane A and the en-face view now lie on the annulus (seen from the left atrium)"
                         + self._save_annulus(annulus))
        return True

    # --- the clip map on the en-face view (planning.enface) -------------------------------------
    def _doc(self) -> Any:
        return getattr(self.session, "document", None) if self.session is not None else None

    def saved_annulus(self) -> Annulus | None:
        """This volume's annulus as the open case keeps it (None: no case, or not aligned)."""
        doc = self._doc()
        if doc is None:
            return None
        try:
            return annuli(doc.case.extra.get("volumes")).get(self.volume.info.sop_instance_uid)
        except ValueError:
            return None

    def _save_annulus(self, annulus: Annulus) -> str:
        """Keep the three points as this volume's annulus in the case (one undo step); what to add to the status."""
        doc = self._doc()
        if doc is None:
            return "; no case is open, so the alignment is not kept"
        info = self.volume.info
        doc.ensure_image(info.sop_instance_uid, info.path)
        after = with_annulus(doc.case.extra.get("volumes"), info.sop_instance_uid, annulus)
        ok = self.session.push(SetCaseField.of(doc, ("volumes",), after, label="annulus of the 3D volume"))
        return "; the case keeps this annulus (the clip map's frame)" if ok else ""

    def _apply_saved_annulus(self) -> None:
        annulus = self.saved_annulus()
        if annulus is not None:
            self.planes.align_to_annulus(annulus.anterior, annulus.anterolateral, annulus.posteromedial)
            self._set_aligned(True)
            self.show_status("Aligned to the annulus the case keeps for this volume")

    def _case_opened(self) -> None:
        self._fill_items()
        self._apply_saved_annulus()
        self.refresh()

    def _case_changed(self) -> None:
        self._fill_items()
        self.redraw_overlays()

    def _findings(self) -> model.Findings | None:
        doc = self._doc()
        try:
            return None if doc is None else doc.findings()
        except ValueError:
            return None

    def _fill_items(self) -> None:
        """The case's devices and jets in the Tie combo, the current choice kept."""
        typed = self._findings()
        current = self.item_box.currentData()
        self.item_box.blockSignals(True)
        self.item_box.clear()
        self.item_box.addItem("(clip map item to tie)", "")
        uid = self.volume.info.sop_instance_uid
        items: list[model.Device | model.Jet] = [*typed.devices, *typed.jets] if typed else []
        for item in items:
            what = " ".join(str(v) for v in ((item.kind, item.model, item.segment) if isinstance(item, model.Device)
                                             else (item.location, item.segment)) if v)
            tied = " · tied here" if item.tie is not None and item.tie.sop_instance_uid == uid else \
                " · tied to another volume" if item.tie is not None else ""
            self.item_box.addItem(f"{item.id.upper()} {what}{tied}", item.id)
        index = self.item_box.findData(current) if current else -1
        self.item_box.setCurrentIndex(max(index, 0))
        self.item_box.blockSignals(False)
        self._update_untie()

    def select_item(self, item_id: str) -> None:
        """Choose a device or jet for Tie (e.g. the one selected on the clip map)."""
        index = self.item_box.findData(item_id)
        if index >= 0:
            self.item_box.setCurrentIndex(index)

    def _chosen(self) -> model.Device | model.Jet | None:
        typed, item_id = self._findings(), self.item_box.currentData()
        if typed is None or not item_id:
            return None
        return typed.device(item_id) or next((j for j in typed.jets if j.id == item_id), None)

    def _update_untie(self) -> None:
        item = self._chosen()
        self.untie_button.setEnabled(item is not None and item.tie is not None)

    def _tie_prompt(self) -> str:
        item = self._chosen()
        if item is None:
            return "Tie: choose the device or jet in the Tie box (bottom right) first"
        return f"Tie: click on the en-face view where {item.id.upper()} is"

    def _tie_click(self, view: int, point: np.ndarray) -> None:
        item = self._chosen()
        if item is None:
            self.show_status(self._tie_prompt() + " (nothing was tied)")
            return
        if view != EN_FACE:
            self.show_status(f"Tie: click on the en-face view, not {VIEW_TITLES[view]} (nothing was tied)")
            return
        self.set_tool("navigate")
        self.tie(item, point)

    def tie(self, item: model.Device | model.Jet, point: Any) -> bool:
        """Tie a device or jet to a mm point of this volume (one undo step)."""
        info = self.volume.info
        tie = model.Tie3D(_vec(np.asarray(point, float)), info.sop_instance_uid)
        self._doc().ensure_image(info.sop_instance_uid, info.path)
        if not self._replace(dataclasses.replace(item, tie=tie)):
            return False
        x, y, z = tie.position_mm
        self.show_status(f"{item.id.upper()} tied to ({x:.1f}, {y:.1f}, {z:.1f}) mm of this volume"
                         f" (time point {self.time_index + 1})")
        return True

    def untie(self) -> None:
        """Drop the chosen item's tie (one undo step)."""
        item = self._chosen()
        if item is not None and item.tie is not None and self._replace(dataclasses.replace(item, tie=None)):
            self.show_status(f"{item.id.upper()} is no longer tied to a volume; the clip map draws it from its segment")

    def _replace(self, after: model.Device | model.Jet) -> bool:
        doc = self._doc()
        command: Command = ReplaceDevice.of(doc, after) if isinstance(after, model.Device) else ReplaceJet.of(doc, after)
        return bool(self.session.push(command))

    def _map_markers(self) -> list[MapMarker]:
        """The clip map's items on the en-face view: those tied to this volume at their point, the
        others at their schematic place through the saved annulus (none without one)."""
        typed = self._findings()
        if typed is None:
            return []
        plane, uid = self.planes.plane(EN_FACE), self.volume.info.sop_instance_uid
        annulus = self.saved_annulus()
        frame = annulus.frame() if annulus is not None else None
        geometry = MapGeometry(QRectF(0.0, 0.0, 100.0 * ASPECT, 100.0))
        devices, jets = [MapDevice.of(d) for d in typed.devices], [MapJet.of(j) for j in typed.jets]
        ties = {d.id: d.tie for d in typed.devices} | {j.id: j.tie for j in typed.jets}
        out = []
        for item in map_items(geometry, devices, jets):
            tie = ties.get(item.id)
            if tie is not None and tie.sop_instance_uid == uid:
                x, y, off = plane.to_image(tie.position_mm)
                depth = f" ({off:+.0f} mm)" if abs(off) > self.slab_mm / 2 else ""
                out.append(MapMarker(x, y, item.id.upper() + depth, item.kind, True))
            elif frame is not None:
                t, s = geometry.ts_at(item.rect.center())
                x, y, _ = plane.to_image(frame.point(t, s))
                out.append(MapMarker(x, y, item.id.upper(), item.kind, False,
                                     "schematic" if item.placed == SCHEMATIC else "map"))
        return out


def _vec(v: np.ndarray) -> tuple[float, float, float]:
    return float(v[0]), float(v[1]), float(v[2])


class VolumeWindow(QWidget):
    """A top-level window holding one volume viewer; closing it closes the volume."""

    def __init__(self, volume: Volume, session: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(f"3D volume – {Path(volume.info.path).name}")
        self.viewer = VolumeViewer(volume, session, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.viewer)
        self.resize(1100, 900)

    def closeEvent(self, event: Any) -> None:
        self.viewer.set_playing(False)
        self.viewer.volume.close()
        super().closeEvent(event)


def open_volume_window(path: str | Path, session: Any = None, parent: QWidget | None = None,
                       cache: Any = None, on_error: Callable[[str], None] | None = None) -> VolumeWindow | None:
    """Open ``path`` in a new volume window (None, with ``on_error`` told why, when it cannot be read)."""
    try:
        volume = Volume.open(path, cache=cache)
    except InputError as exc:
        if on_error is not None:
            on_error(f"{path}: {exc}")
        return None
    window = VolumeWindow(volume, session, parent)
    window.show()
    return window
