"""The marks of the visible loop and frame, drawn as thin pyqtgraph items in image coordinates.

One ``MarkOverlay`` per viewport (STYLE.md "Keeping pyqtgraph items thin views"): it reconciles
items with the document for the frame shown, redraws from the model after every change (undo
included, under ``QSignalBlocker`` so a redraw never pushes a command), and turns one handle drag
into one ``ReplaceMark`` when the drag finishes. While a handle moves, or while a tool draws, the
readout beside the mark comes from the same ``measurements.compute`` functions as the table. A mark
that leaves its region, or an image without calibration, shows the refusal in red on the image.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QLabel

from gui.session import CaseSession, other_patient_banner
from gui.viewer.declutter import stacked
from gui.viewer.viewport import Viewport, loop_name
from imaging.errors import InputError
from imaging.regions import UltrasoundRegion, region_for_points
from measurements import concepts, plausibility
from measurements.calibration import calibration_for, check_may_calibrate
from measurements.compute import measure_mark
from measurements.marks import Mark, MarkError, MarkType
from measurements.results import Result
from planning.commands import AddMark, ReplaceMark
from planning.document import Change, ChangeKind
from planning.labels import fits, purpose_for
from planning.limits import display_points

log = logging.getLogger(__name__)

MARK_COLOUR = "#ffd54f"
SELECTED_COLOUR = "#4dd0e1"
DRAFT_COLOUR = "#aed581"
REFUSED_COLOUR = "#ff5252"
#: A mark whose value a plausibility gate flagged (docs/clinical-criteria.md §8.1).
GATED_COLOUR = "#ffcc80"
HELD_NOTE = "⚠ implausible? held, not graded — Confirm value in Measurements"
CONFIRMED_NOTE = "⚠ flagged, confirmed by you"
LABEL_COLOUR = "#f5f5f5"

Points = tuple[tuple[float, float], ...]
#: Widest text (screen pixels) beside a mark or a drawing: longer readouts and refusals wrap.
TEXT_WIDTH_PX = 320
#: The calibration lines of user-calibrated images, drawn dashed in this colour.
CALIBRATION_COLOUR = "#ff9800"


#: The tool that draws each kind of mark, as the Measure menu names it (messages name it, not an id).
_TOOL_NAMES = {MarkType.DISTANCE: "Distance", MarkType.AREA: "Area", MarkType.DOPPLER_TRACE: "Doppler trace",
               MarkType.POINT: "Point"}


def _pen(colour: str, width: float = 1.5, dash: bool = False) -> QPen:
    pen = QPen(QColor(colour), width)
    pen.setCosmetic(True)
    if dash:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


#: What the readout beside a multi-number mark shows, in this order (at most three lines).
_READOUT = (("vmax", "Vmax"), ("mean_gradient", "MG"), ("peak_gradient", "PG"), ("vti", "VTI"),
            ("time_interval", "Δt"), ("heart_rate", "HR"))


def format_results(results: Sequence[Result], limit: int = 3) -> str:
    """A short readout, one number a line: "2.34 cm" or "Vmax 1.80 m/s\nMG 6.6 mmHg\nVTI 42.1 cm"."""
    if len(results) == 1:
        return concepts.value_text(results[0].quantity, results[0].value)
    by_quantity = {r.quantity: r for r in results}
    parts = [f"{name} {concepts.value_text(q, by_quantity[q].value)}" for q, name in _READOUT if q in by_quantity]
    if "mean_gradient" in by_quantity:  # an inflow trace: the peak gradient adds little beside Vmax
        parts = [p for p in parts if not p.startswith("PG ")]
    return "\n".join(parts[:limit])


#: An outline or trace with more vertices than this is drawn as a view-only curve: pyqtgraph builds
#: a handle and an edge item per vertex (150 vertices took 0.9 s to appear), so a long imported or
#: hand-drawn trace would freeze the viewer each time it is shown. Re-tracing edits such a mark.
EDITABLE_VERTICES = 120
VIEW_ONLY_NOTE = "{n} points: view only (too many to edit by handles; re-trace to change it)"


class LongMarkCurve(pg.PlotCurveItem):
    """A mark with more than ``EDITABLE_VERTICES`` points, drawn simplified (``display_points``,
    within 0.25 px) and never edited: a click selects it, a drag moves nothing."""

    def __init__(self, mark: Mark, pen: QPen, on_click: Any) -> None:
        shown = display_points([*mark.points, mark.points[0]] if mark.type is MarkType.AREA else mark.points)
        super().__init__([p[0] for p in shown], [p[1] for p in shown], pen=pen, clickable=True)
        self.setClickable(True, width=8)
        self.mark_points = mark.points
        self.sigClicked.connect(lambda _item, _ev: on_click())

    def getHandles(self) -> list[Any]:
        """No handles: the mark is not edited on screen."""
        return []


def item_points(item: Any) -> Points:
    """Image-coordinate vertices of a mark item (handles mapped to the view box)."""
    if isinstance(item, LongMarkCurve):
        return item.mark_points
    if isinstance(item, pg.TargetItem):
        p = item.pos()
        return ((float(p.x()), float(p.y())),)
    out = []
    for handle in item.getHandles():
        p = item.mapToParent(handle.pos())
        out.append((float(p.x()), float(p.y())))
    return tuple(out)


class PointItem(pg.TargetItem):
    """A point mark: a draggable cross that also reports a click (to select it)."""

    def __init__(self, *args: Any, on_click: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_click = on_click

    def mouseClickEvent(self, ev: Any) -> None:
        if ev.button() == Qt.MouseButton.LeftButton and self._on_click is not None:
            ev.accept()
            self._on_click()
            return
        super().mouseClickEvent(ev)


#: The one gesture that inserts a vertex on an edge of a polygon or trace in Select mode.
INSERT_VERTEX_MODIFIER = Qt.KeyboardModifier.ControlModifier
#: Mouse gestures of the viewer, for Help → Keyboard Shortcuts (gesture, what it does).
MOUSE_GESTURES = (("Ctrl+click on an edge", "Insert a vertex in the selected outline or trace (one undo step)"),)


class MarkPolyLine(pg.PolyLineROI):
    """An outline or trace mark. pyqtgraph inserts a vertex on every click on an edge, so one stray
    click in Select mode would change the geometry; here a plain click on an edge only selects the
    mark, and Ctrl+click inserts the vertex (pyqtgraph then finishes the change once: one undo step)."""

    _bulk = False

    def setPoints(self, points: Any, closed: Any = None) -> None:
        """All vertices at once, the ROI's state settled once at the end: pyqtgraph settles it after
        each added handle, over every handle, so a 600-point trace took 11 s to appear (quadratic)."""
        self._bulk = True
        try:
            super().setPoints(points, closed)
        finally:
            self._bulk = False
        self.stateChanged(finish=False)

    def stateChanged(self, finish: bool = True) -> None:
        if not self._bulk:
            super().stateChanged(finish)

    def segmentClicked(self, segment: Any, ev: Any = None, pos: Any = None) -> None:
        if ev is not None and not ev.modifiers() & INSERT_VERTEX_MODIFIER:
            ev.accept()
            self.sigClicked.emit(self, ev)
            return
        super().segmentClicked(segment, ev, pos)


class MarkOverlay(QObject):
    """Draws the marks on the viewport's current frame; hosts the drawing tool of that viewport."""

    selectionChanged = Signal(object)  # mark id or None
    draftChanged = Signal(bool)        # a mark is being drawn (True) or not

    def __init__(self, viewport: Viewport, session: CaseSession) -> None:
        super().__init__(viewport)
        self.viewport, self.session = viewport, session
        self.items: dict[str, Any] = {}
        self.labels: dict[str, pg.TextItem] = {}
        self._label_at: dict[str, tuple[float, float]] = {}  # where each label wants to be (image coords)
        self.selected: str | None = None
        self.interactive = True
        self.label = ""  # label given to the next new mark ("" = the tool's default)
        self._draft: Any = None
        self._calibration_items: list[Any] = []
        self._draft_text = pg.TextItem("", color=LABEL_COLOUR, anchor=(0, 1), fill=pg.mkBrush(0, 0, 0, 170))
        self._draft_text.setZValue(30)
        self._draft_text.hide()
        viewport.add_overlay_item(self._draft_text)
        self.banner = QLabel(viewport)  # says up front that marks on this loop will be refused
        self.banner.setObjectName("other-patient-banner")
        self.banner.setWordWrap(True)
        self.banner.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.banner.setStyleSheet(f"background: rgba(90, 60, 0, 220); color: {GATED_COLOUR}; padding: 3px;")
        self.banner.hide()
        viewport.installEventFilter(self)
        viewport.view_box.sigRangeChanged.connect(lambda *_a: self._declutter())
        viewport.frameChanged.connect(lambda _n: self.refresh())
        viewport.loopChanged.connect(lambda _l: self.refresh())
        session.changed.connect(self._on_change)
        session.documentChanged.connect(lambda _d: self.refresh())

    # --- what is shown -----------------------------------------------------------------------
    def visible_marks(self) -> list[Mark]:
        doc, info = self.session.document, self.viewport.info
        if doc is None or info is None:
            return []
        return doc.marks_on(str(info.sop_instance_uid), self.viewport.frame_number)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.viewport and event.type() == QEvent.Type.Resize:
            self._place_banner()
        return False

    def _update_banner(self) -> None:
        text = other_patient_banner(self.session.case, self.viewport.info)
        self.banner.setText(text)
        self.banner.setVisible(bool(text))
        self._place_banner()

    def _place_banner(self) -> None:
        """Under the viewport's title, as wide as the viewport allows."""
        if not self.banner.text():
            return
        width = max(80, self.viewport.width() - 12)
        top = self.viewport.title_label.geometry().bottom() + 4
        self.banner.setGeometry(6, top, width, self.banner.heightForWidth(width))
        self.banner.raise_()

    def refresh(self) -> None:
        """Reconcile items with the marks of the frame shown (create, update, remove)."""
        self._update_banner()
        wanted = {m.id: m for m in self.visible_marks()}
        for mark_id in [i for i in self.items if i not in wanted]:
            self._remove_item(mark_id)
        for mark in wanted.values():
            if mark.id not in self.items or item_points(self.items[mark.id]) != mark.points:
                self._remove_item(mark.id)
                self._add_item(mark)
            self._update_label(mark)
        if self.selected not in wanted:
            self.selected = None
        self._show_calibrations()
        self._restyle()
        self._declutter()

    def _show_calibrations(self) -> None:
        """The user calibration lines of the image shown (dashed, with their length), on every frame."""
        for item in self._calibration_items:
            self.viewport.view_box.removeItem(item)
        self._calibration_items = []
        doc, info = self.session.document, self.viewport.info
        if doc is None or info is None:
            return
        for cal in doc.case.calibrations():
            if cal.sop_instance_uid != str(info.sop_instance_uid):
                continue
            for line, cm in ((cal.points, cal.distance_cm), (cal.points_2, cal.distance_2_cm)):
                if line is None:
                    continue
                curve = pg.PlotCurveItem([p[0] for p in line], [p[1] for p in line],
                                         pen=_pen(CALIBRATION_COLOUR, 1.5, dash=True))
                text = pg.TextItem(f"user calibration: {cm:g} cm", color=CALIBRATION_COLOUR, anchor=(0, 0),
                                   fill=pg.mkBrush(10, 12, 16, 170))
                text.setPos(*max(line))
                for item in (curve, text):
                    item.setZValue(19)
                    self.viewport.add_overlay_item(item)
                    self._calibration_items.append(item)

    def _on_change(self, change: Change) -> None:
        if change.kind in (ChangeKind.MARK_ADDED, ChangeKind.MARK_REPLACED, ChangeKind.MARK_REMOVED) or \
                change.path[:1] == ("calibrations",):
            self.refresh()

    # --- items -------------------------------------------------------------------------------
    def _add_item(self, mark: Mark) -> None:
        pen = _pen(MARK_COLOUR)
        if mark.type is MarkType.POINT:
            item: Any = PointItem(pos=mark.points[0], size=11, symbol="+", pen=pen, movable=True,
                                  on_click=lambda mid=mark.id: self.select(mid))
            item.sigPositionChanged.connect(lambda _i, mid=mark.id: self._moving(mid))
            item.sigPositionChangeFinished.connect(lambda _i, mid=mark.id: self._finished(mid))
        elif len(mark.points) > EDITABLE_VERTICES:
            item = LongMarkCurve(mark, pen, on_click=lambda mid=mark.id: self.select(mid))
        else:
            if mark.type is MarkType.DISTANCE:
                item = pg.LineSegmentROI(positions=list(mark.points), pen=pen, movable=True)
            else:
                item = MarkPolyLine(list(mark.points), closed=mark.type is MarkType.AREA, pen=pen, movable=True)
            item.handlePen = _pen(MARK_COLOUR, 1.0)
            for handle in item.getHandles():
                handle.pen = _pen(MARK_COLOUR, 1.0)
                handle.currentPen = handle.pen
                handle.update()
            item.sigRegionChanged.connect(lambda _i, mid=mark.id: self._moving(mid))
            item.sigRegionChangeFinished.connect(lambda _i, mid=mark.id: self._finished(mid))
            item.sigClicked.connect(lambda _i, _ev, mid=mark.id: self.select(mid))
            item.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        item.setZValue(20)
        self.items[mark.id] = item
        self.viewport.add_overlay_item(item)
        label = pg.TextItem("", color=LABEL_COLOUR, anchor=(0, 1), fill=pg.mkBrush(10, 12, 16, 170))
        label.setZValue(21)
        self.labels[mark.id] = label
        self.viewport.add_overlay_item(label)
        self._set_interactive(item, self.interactive)

    def _remove_item(self, mark_id: str) -> None:
        self._label_at.pop(mark_id, None)
        for store in (self.items, self.labels):
            item = store.pop(mark_id, None)
            if item is not None:
                self.viewport.view_box.removeItem(item)

    def _update_label(self, mark: Mark, points: Points | None = None) -> None:
        """Text beside the mark: label and its numbers, or the reason it cannot be measured."""
        label = self.labels.get(mark.id)
        if label is None:
            return
        doc = self.session.document
        if points is None and doc is not None:
            results, error = doc.results_of(mark.id), doc.error_of(mark.id)
        else:
            results, error = self._measure(dataclasses.replace(mark, points=points or mark.points))
        text = error if error else format_results(results)
        if len(mark.points) > EDITABLE_VERTICES:
            text = f"{text}\n{VIEW_ONLY_NOTE.format(n=len(mark.points))}"
        flagged = points is None and any(w.startswith(plausibility.PREFIX) for r in results for w in r.warnings)
        if flagged:
            text = f"{text}\n{CONFIRMED_NOTE if mark.confirmed else HELD_NOTE}"
        label.setText(f"{mark.label or mark.id}\n{text}" if text else (mark.label or mark.id))
        label.textItem.setTextWidth(TEXT_WIDTH_PX if error else -1)
        label.setColor(QColor(REFUSED_COLOUR if error else GATED_COLOUR if flagged else LABEL_COLOUR))
        shown = points or mark.points
        if mark.type is MarkType.DOPPLER_TRACE:  # below the trace, centred: traces sit side by side
            xs = [p[0] for p in shown]
            label.setAnchor((0.5, 0))
            self._label_at[mark.id] = ((min(xs) + max(xs)) / 2, max(p[1] for p in shown) + 4)
        else:
            x, y = max(shown, key=lambda p: (p[0], -p[1]))
            self._label_at[mark.id] = (x + 4, y - 4)
        label.setPos(*self._label_at[mark.id])

    def _declutter(self) -> None:
        """Move labels that would sit on top of an earlier one down, a text block at a time (on screen)."""
        px_w, px_h = self.viewport.view_box.viewPixelSize()
        if not px_w or not px_h:
            return
        shown = [(self.labels[m], self._label_at[m]) for m in sorted(self._label_at) if m in self.labels]
        ys = stacked([(x / px_w, y / px_h, label.textItem.toPlainText().count("\n") + 1)
                      for label, (x, y) in shown])
        for (label, (x, _y)), sy in zip(shown, ys, strict=True):
            label.setPos(x, sy * px_h)

    def _measure(self, mark: Mark, what: str | None = None) -> tuple[list[Result], str | None]:
        try:
            region, calibration = self._placement(mark.points, what or f"mark {mark.id!r}")
            placed = dataclasses.replace(mark, region=region.index, calibration=calibration)
            return measure_mark(placed, region), None
        except InputError as exc:
            return [], str(exc)

    def _placement(self, points: Points, what: str) -> tuple[UltrasoundRegion, str | None]:
        """(region, user calibration id or None) for points on the image shown: the scanner's region
        holding them; on an image without one, its latest user calibration (``Calibrate…``)."""
        region: UltrasoundRegion | None = None
        try:
            region = region_for_points(self.viewport.regions, points, what)
        except InputError as exc:
            refusal = exc
        if region is not None and region.is_calibrated:
            return region, None
        doc, info = self.session.document, self.viewport.info
        cal = calibration_for(doc.case.calibrations(), str(info.sop_instance_uid)) \
            if doc is not None and info is not None else None
        if cal is None:
            if region is not None:
                return region, None  # an uncalibrated region: measuring it says why it cannot
            if "no ultrasound region calibration" in str(refusal):
                raise InputError(f"{refusal}; Measure → Calibrate… sets a scale from a line of known length"
                                 ) from None
            raise refusal
        check_may_calibrate(self.viewport.regions, points, what)
        return cal.as_region(), cal.id

    # --- editing by handles ------------------------------------------------------------------
    def _moving(self, mark_id: str) -> None:
        doc = self.session.document
        mark = doc.mark(mark_id) if doc is not None else None
        if mark is not None and mark_id in self.items:
            self._update_label(mark, item_points(self.items[mark_id]))

    def _finished(self, mark_id: str) -> None:
        """One drag = one undo step: ReplaceMark with the item's points (or put the item back)."""
        doc = self.session.document
        before = doc.mark(mark_id) if doc is not None else None
        if before is None or mark_id not in self.items:
            return
        points = item_points(self.items[mark_id])
        if points == before.points:
            return
        try:
            region, calibration = self._placement(points, f"mark {mark_id!r}")
            after = dataclasses.replace(before, points=points, region=region.index, calibration=calibration)
        except InputError as exc:
            self.session.refused.emit(f"{exc}; the mark was put back")
            self._reset(before)
            return
        if not self.session.push(ReplaceMark(before, after)):
            self._reset(before)

    def _reset(self, mark: Mark) -> None:
        item = self.items.get(mark.id)
        if item is not None:
            with QSignalBlocker(item):
                self._remove_item(mark.id)
                self._add_item(mark)
        self._update_label(mark)
        self._restyle()

    def cancel_drag(self) -> bool:
        """Esc during a handle drag: put the mark back as the document has it; nothing is pushed."""
        doc = self.session.document
        for mark_id, item in list(self.items.items()):
            handles = [] if isinstance(item, pg.TargetItem) else item.getHandles()
            moving = getattr(item, "isMoving", False) or getattr(item, "moving", False) or any(
                h.isMoving for h in handles)
            mark = doc.mark(mark_id) if doc is not None else None
            if moving and mark is not None:
                for h in handles:
                    h.isMoving = False
                item.isMoving = False
                if isinstance(item, pg.TargetItem):
                    item.moving = False
                self._reset(mark)
                return True
        return False

    # --- selection ---------------------------------------------------------------------------
    def select(self, mark_id: str | None) -> None:
        self.selected = mark_id if mark_id in self.items else None
        self._restyle()
        self.selectionChanged.emit(self.selected)

    def _restyle(self) -> None:
        for mark_id, item in self.items.items():
            colour = SELECTED_COLOUR if mark_id == self.selected else MARK_COLOUR
            width = 2.5 if mark_id == self.selected else 1.5
            item.setPen(_pen(colour, width))

    def set_interactive(self, on: bool) -> None:
        """Handles take the mouse only when no drawing tool is active (a tool gets every click)."""
        self.interactive = on
        for item in self.items.values():
            self._set_interactive(item, on)

    @staticmethod
    def _set_interactive(item: Any, on: bool) -> None:
        buttons = Qt.MouseButton.LeftButton if on else Qt.MouseButton.NoButton
        item.setAcceptedMouseButtons(buttons)
        if not isinstance(item, pg.TargetItem):
            for handle in item.getHandles():
                handle.setAcceptedMouseButtons(buttons)
            for segment in getattr(item, "segments", ()):  # the edges of an outline take clicks too
                segment.setAcceptedMouseButtons(buttons)

    # --- drafts (tools call these) -----------------------------------------------------------
    def show_draft(self, kind: MarkType, points: Points, closed: bool = False, cursor: QPointF | None = None
                   ) -> None:
        """Draw the mark being made with its live calibrated readout (or the refusal)."""
        self.clear_draft()
        if not points:
            return
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        if closed and len(points) > 2:
            xs, ys = xs + xs[:1], ys + ys[:1]
        if kind is MarkType.POINT:
            self._draft = pg.ScatterPlotItem(xs, ys, symbol="+", size=11, pen=_pen(DRAFT_COLOUR))
        else:
            self._draft = pg.PlotCurveItem(xs, ys, pen=_pen(DRAFT_COLOUR, 1.5, dash=kind is MarkType.AREA))
        self._draft.setZValue(25)
        self.viewport.add_overlay_item(self._draft)
        text, refused = self.draft_readout(kind, points)
        self._show_draft_text(text, refused, points[-1])
        self.draftChanged.emit(True)

    def show_line_draft(self, points: Points, text: str) -> None:
        """A line being drawn by a tool that is not a mark (``Calibrate…``), with ``text`` beside it."""
        self.clear_draft()
        self._draft = pg.PlotCurveItem([p[0] for p in points], [p[1] for p in points],
                                       pen=_pen(CALIBRATION_COLOUR, 1.5, dash=True))
        self._draft.setZValue(25)
        self.viewport.add_overlay_item(self._draft)
        self._show_draft_text(text, False, points[-1])
        self.draftChanged.emit(True)

    def _show_draft_text(self, text: str, refused: bool, at: tuple[float, float]) -> None:
        """The readout beside the drawing, wrapped and kept inside the view (right of the point, or
        left of it in the right half of the view)."""
        item = self._draft_text
        item.setText(text)
        item.setColor(QColor(REFUSED_COLOUR if refused else LABEL_COLOUR))
        item.textItem.setTextWidth(TEXT_WIDTH_PX if refused else -1)
        (x0, x1), _ = self.viewport.view_box.viewRange()
        x, y = at
        right_half = x > (x0 + x1) / 2
        item.setAnchor((1, 1) if right_half else (0, 1))
        item.setPos(x - 6 if right_half else x + 6, y - 6)
        item.setVisible(bool(text))

    def draft_readout(self, kind: MarkType, points: Points) -> tuple[str, bool]:
        """(text, refused) of a mark being drawn: its calibrated numbers or why there are none."""
        info = self.viewport.info
        if info is None:
            return "", False
        try:
            mark = Mark("draft", kind, self.label, str(info.sop_instance_uid), max(self.viewport.frame_number, 1), 0,
                        points, purpose=purpose_for(self.label))
        except MarkError:
            return "", False  # not enough points yet
        what = f"{_TOOL_NAMES.get(kind, kind.value)} on {loop_name(info)}"  # what the user sees, not an id
        results, error = self._measure(mark, what)
        error = error.replace("mark 'draft'", what) if error else error
        return (error, True) if error else (format_results(results), False)

    def clear_draft(self) -> None:
        if self._draft is not None:
            self.viewport.view_box.removeItem(self._draft)
            self._draft = None
        self._draft_text.hide()
        self.draftChanged.emit(False)

    def commit(self, kind: MarkType, points: Sequence[tuple[float, float]]) -> Mark | None:
        """Turn a finished drawing into a mark (AddMark); refused (None + notice) off-region or invalid.

        The mark gets the label chosen in the label box if it fits the region, else none (unlabelled)."""
        self.clear_draft()
        doc, info = self.session.document, self.viewport.info
        if info is None:
            return None
        if doc is None:
            self.session.refused.emit("no case is open: File → New Case first")
            return None
        try:
            what = f"{_TOOL_NAMES.get(kind, kind.value)} on {loop_name(info)}"
            region, calibration = self._placement(tuple(points), what)
            label = self.label if fits(self.label, region) else ""
            mark = Mark(doc.new_id("marks"), kind, label, str(info.sop_instance_uid), self.viewport.frame_number,
                        region.index, tuple(points), purpose=purpose_for(label), calibration=calibration)
        except InputError as exc:
            self.session.refused.emit(str(exc))
            return None
        doc.ensure_image(mark.sop_instance_uid, info.path)
        if not self.session.push(AddMark(mark)):
            return None
        self.select(mark.id)
        return mark
