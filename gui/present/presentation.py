"""View → Presentation (F5): the case for the heart team, full screen, in large type, one slide at a time.

The slides: each key loop playing (the loops flagged as key images, else the loops the marks are on),
side by side with the prior study's loop of the same view when there is one, synced by cardiac cycle,
each case's marks drawn on their frames in large type (``marks.FrameMarks``) and listed with their
numbers under the loops; the summary (headline numbers, total MR, decision-support options), its type
scaled down to fit the slide and, below a floor, scrolled; the clip map with its legend. Right, Page
Down and Space go to the next slide, Left and Page Up to the previous one, Home and End to the first
and last, Esc leaves; on a loop M pauses on the next marked frame and P (or Enter) plays or pauses;
on the summary Down and Up scroll.

Nothing can be edited by accident: while the window is open an application event filter swallows
every mouse press, drag, wheel and context menu aimed at it, and takes every key (shortcut overrides
included) for the navigation, so no tool, shortcut or field of the main window ever sees them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QPixmap, QResizeEvent, QShowEvent, QWindow
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gui.notices import Notices
from gui.present.compare_window import iso_date
from gui.present.loops import ReadOnlyTool, open_loop, read_only_cache
from gui.present.marks import FrameMarks, readout
from gui.present.prior_study import PriorStudy, load_prior_study, paired_loop
from gui.present.summary import Summary, summary
from gui.tasks import TaskRunner
from gui.viewer.grid import ViewerGrid
from gui.viewer.playback import Clock
from gui.viewer.sync import SyncMode
from gui.viewer.viewport import Viewport
from imaging.catalog import StudyCatalog
from imaging.loop import LoopInfo
from measurements.marks import Mark
from measurements.results import Result
from planning import model
from planning.case import Case, resolve_image
from planning.compare import Side, describe_device, latest_prior
from planning.document import CaseDocument
from report.clipmap import DARK_STYLE, clip_map_image
from report.model import Device, Jet

#: At most this many loop slides (the heart team looks at two or three).
MAX_LOOP_SLIDES = 6
TITLE_PX, TEXT_PX, SMALL_PX = 44, 30, 22
#: The summary's type shrinks to fit the slide down to this fraction (30 px text → 20 px), then scrolls.
MIN_SCALE = 0.66
#: A longer clip-map legend is set in the small type (4 devices and 3 jets are 7 lines).
LARGE_LEGEND_LINES = 4
#: The label and numbers beside a mark on a loop (the caption's scale: the main viewer's is 13 px).
MARK_PX = 26
#: The change's direction, coloured as the measurements panel colours grades.
DIRECTION_COLOURS = {"worse": "#ff8a65", "better": "#81c784"}
NEXT_KEYS = frozenset({Qt.Key.Key_Right, Qt.Key.Key_PageDown, Qt.Key.Key_Space})
PREVIOUS_KEYS = frozenset({Qt.Key.Key_Left, Qt.Key.Key_PageUp})
#: Events the window never passes on: every mouse gesture (hover moves too: a tool previews on them).
SWALLOWED = frozenset({QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick,
                       QEvent.Type.MouseMove, QEvent.Type.Wheel, QEvent.Type.ContextMenu,
                       QEvent.Type.TabletPress, QEvent.Type.TouchBegin, QEvent.Type.DragEnter, QEvent.Type.Drop})
STYLE = (f"QWidget#presentation {{ background: #0b0d10; }} QLabel {{ color: #e8eaed; font-size: {TEXT_PX}px; }}"
         f" QLabel[role='title'] {{ font-size: {TITLE_PX}px; font-weight: bold; }}"
         f" QLabel[role='small'] {{ font-size: {SMALL_PX}px; color: #aab0b8; }}"
         f" QLabel[class='overlay'] {{ font-size: {SMALL_PX}px; }}")


@dataclass(frozen=True, slots=True)
class KeyLoop:
    """A loop to show: its image, file and clinical caption."""

    sop_instance_uid: str
    path: Path
    caption: str


def _label(text: str, role: str = "", wrap: bool = True) -> QLabel:
    label = QLabel(text)
    if role:
        label.setProperty("role", role)
    label.setWordWrap(wrap)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def key_loops(case: Case, index: StudyCatalog | None = None) -> list[KeyLoop]:
    """The flagged key images' loops (captioned by their labels), else the loops the marks are on
    (captioned by the marks' labels), each once, in the case's order; loops whose file is missing are left out."""
    flagged = case.extra.get("key_images")
    entries = [e for e in (flagged if isinstance(flagged, list) else ()) if isinstance(e, dict)]
    captions: dict[str, list[str]] = {}
    if entries:
        for e in entries:
            captions.setdefault(str(e.get("sop_instance_uid", "")), []).append(str(e.get("label") or "").strip())
    else:
        for mark in case.marks:
            captions.setdefault(mark.sop_instance_uid, []).append(mark.label.strip())
    out = []
    for uid, labels in captions.items():
        path = resolve_image(case, uid, index)
        if path is not None:
            named = list(dict.fromkeys(t for t in labels if t))
            caption = "; ".join(named[:2]) + (f" (+{len(named) - 2} more)" if len(named) > 2 else "")
            out.append(KeyLoop(uid, path, caption or path.name))
    return out[:MAX_LOOP_SLIDES]


def _result_text(results: Sequence[Result], mark: Mark, error: str | None = None) -> tuple[str, bool]:
    """(numbers of ``mark`` or why it has none, refused) from the results computed from it alone."""
    own = [r for r in results if r.source == (mark.id,)]
    return readout(own, error), bool(error)


class LoopSlide(QWidget):
    """One key loop (left, leading) and, once the prior is read, the prior's loop of the same view (right),
    each with its case's marks drawn on their frames and listed under the loops (readable while it plays)."""

    def __init__(self, key: KeyLoop, current_title: str, clock: Clock, doc: CaseDocument,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.grid = ViewerGrid(clock, self)
        self.grid.set_sync_mode(SyncMode.CYCLE)
        for viewport in self.grid.viewports:
            viewport.tool = ReadOnlyTool(lambda _m: None, "")
            viewport.view_box.setMouseEnabled(False, False)
            viewport.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.current_view, self.prior_view = self.grid.viewports[0], self.grid.viewports[1]
        self.paired: LoopInfo | None = None
        self.prior_case: PriorStudy | None = None
        self.current_marks = FrameMarks(self.current_view, lambda: doc.marks,
                                        lambda m: _result_text(doc.results(), m, doc.error_of(m.id)), MARK_PX)
        self.prior_marks = FrameMarks(self.prior_view, self._prior_marks, self._prior_text, MARK_PX)
        self.marks_list = _label("", "small")
        self.current_view.loopChanged.connect(lambda _l: self._list_marks())
        self.caption = _label(key.caption, "title")
        self.current_title = _label(current_title)
        self.prior_title = _label("")
        titles = QHBoxLayout()
        titles.addWidget(self.current_title, 1)
        titles.addWidget(self.prior_title, 1)
        self.prior_title.hide()
        column = QVBoxLayout(self)
        column.addWidget(self.caption)
        column.addLayout(titles)
        column.addWidget(self.grid, 1)
        column.addWidget(self.marks_list)

    def _prior_marks(self) -> Sequence[Mark]:
        return self.prior_case.case.marks if self.prior_case is not None else ()

    def _prior_text(self, mark: Mark) -> tuple[str, bool]:
        prior = self.prior_case
        return _result_text(prior.side.results, mark, prior.error_of(mark.id)) if prior is not None else ("", False)

    def _list_marks(self) -> None:
        """Each mark of the current loop with its numbers on one line (a mark shows on its frame only)."""
        lines = []
        for mark in self.current_marks.on_loop():
            text, _refused = self.current_marks.text(mark)
            lines.append(f"{mark.label or mark.id}: {' · '.join(text.splitlines())} (frame {mark.frame_number})")
        self.marks_list.setText("\n".join(lines))

    def show_marked_frame(self) -> None:
        """Pause on the next frame that carries marks (M), the prior at the same phase."""
        frame = self.current_marks.next_frame()
        if frame is None:
            return
        self.grid.pause()
        self.grid.set_active(self.current_view)
        self.current_view.show_frame(frame)

    def toggle_play(self) -> None:
        self.grid.set_active(self.current_view)
        self.grid.toggle_play()

    def pair(self, prior: PriorStudy, info: LoopInfo) -> None:
        """Show the prior's loop beside the current one (the current leads)."""
        self.prior_case = prior
        self.grid.set_layout(2)
        self.prior_title.setText(prior.title)
        self.prior_title.show()
        self.paired = info

    def playing(self) -> bool:
        return self.grid.playing()

    def start(self) -> None:
        self.grid.set_active(self.current_view)
        self.grid.play()

    def stop(self) -> None:
        self.grid.pause()


class TextSlide(QWidget):
    """A title and the summary in large type, scaled down to fit the slide (to ``MIN_SCALE``); what
    still does not fit scrolls with Down and Up (``scroll_by``): nothing is cut off at the bottom."""

    fitted = Signal()  # the type was set for the slide's size (whether it scrolls may have changed)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = _label(title, "title")
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.area = QScrollArea(self)
        self.area.setFrameShape(QFrame.Shape.NoFrame)
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.area.setWidget(self.body)
        self.area.viewport().setAutoFillBackground(False)
        self.body.setAutoFillBackground(False)
        self.area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.area.viewport().installEventFilter(self)
        self.scale = 1.0
        self.content: tuple[Summary, str] | None = None
        column = QVBoxLayout(self)
        column.addWidget(self.title)
        column.addWidget(self.area, 1)

    def show_summary(self, content: Summary, prior: str = "") -> None:
        """The headline numbers as a table (with a prior column when there is one), the total MR, the options."""
        self.content = content, prior
        self.fit()

    def _html(self, scale: float) -> str:
        assert self.content is not None
        content, prior = self.content
        e = html.escape
        text, title, small = (round(px * scale) for px in (TEXT_PX, TITLE_PX - 8, SMALL_PX + 4))
        cell = f"style='padding: {round(4 * scale)}px {round(28 * scale)}px {round(4 * scale)}px 0'"
        head = ["", "Now", "Beats, HR"] + ([prior, "Change"] if prior else [])
        rows = [f"<tr>{''.join(f'<th align=left {cell}>{e(h)}</th>' for h in head)}</tr>"]
        for h in content.numbers:
            cells = [e(h.label), f"<b>{e(h.value)}</b>", e(h.detail)]
            if prior:
                colour = DIRECTION_COLOURS.get(h.direction, "#e8eaed")
                cells += [e(h.prior), f"<span style='color: {colour}'>{e(h.change)} {e(h.direction)}</span>"]
            rows.append(f"<tr>{''.join(f'<td {cell}>{c}</td>' for c in cells)}</tr>")
        numbers = f"<table>{''.join(rows)}</table>" if content.numbers else "<p>No measurement selected</p>"
        options = "".join(f"<li>{e(line)}</li>" for line in content.options)
        return (f"<div style='font-size: {text}px'>{numbers}<p style='font-size: {title}px'><b>{e(content.total_mr)}"
                f"</b></p><p style='font-size: {small}px; color: #aab0b8'>Decision support (findings against"
                f" published criteria; the heart team decides):</p><ul>{options}</ul></div>")

    def fit(self) -> None:
        """The largest type (down to ``MIN_SCALE``) at which the whole summary fits the slide's viewport."""
        if self.content is None:
            return
        width, height = self.area.viewport().width(), self.area.viewport().height()
        scale = 1.0
        while True:
            self.body.setText(self._html(scale))
            needed = self.body.heightForWidth(width)
            if needed <= height or scale <= MIN_SCALE:
                break
            scale = max(MIN_SCALE, round(scale - 0.05, 2))
        self.scale = scale
        self.body.resize(width, max(needed, height))
        self.fitted.emit()

    def scrollable(self) -> bool:
        return self.area.verticalScrollBar().maximum() > 0

    def scroll_by(self, direction: int) -> None:
        """Down (+1) or Up (-1) by most of a screen."""
        bar = self.area.verticalScrollBar()
        bar.setValue(bar.value() + direction * max(1, int(self.area.viewport().height() * 0.8)))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.area.viewport() and event.type() == QEvent.Type.Resize:
            self.fit()  # the viewport's own size: the slide's is known before its children are laid out
        return False


class ImageSlide(QWidget):
    """A title, an image scaled to the room the legend leaves (the clip map) and the legend under it."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = _label(title, "title")
        self.image = QLabel(self)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.pixmap = QPixmap()
        self.legend = _label("")
        column = QVBoxLayout(self)
        column.addWidget(self.title)
        column.addWidget(self.image, 1)
        column.addWidget(self.legend)

    def show_pixmap(self, pixmap: QPixmap, legend: Sequence[str] = ()) -> None:
        self.pixmap = pixmap
        self.legend.setProperty("role", "small" if len(legend) > LARGE_LEGEND_LINES else "")
        self.legend.style().polish(self.legend)
        self.legend.setText("\n".join(legend))
        self._scale()

    def _scale(self) -> None:
        size = self.image.size()
        if not self.pixmap.isNull() and size.width() > 0 and size.height() > 0:
            self.image.setPixmap(self.pixmap.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                                                    Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._scale()


def map_legend(devices: Sequence[model.Device], jets: Sequence[model.Jet]) -> list[str]:
    """What each label on the clip map is: ``D1: MitraClip G4 XTW at A2-P2, medial, stable``."""
    lines = [f"{d.id.upper()}: {describe_device(d)}" for d in devices]
    for jet in jets:
        what = ", ".join(str(v) for v in (jet.location, jet.segment, jet.grade) if v is not None) or "not described"
        lines.append(f"{jet.id.upper()}: residual jet, {what}")
    return lines


class PresentationWindow(QWidget):
    """The slides of the open case; keyboard navigation only; nothing in it edits the case."""

    def __init__(self, doc: CaseDocument, notices: Notices, clock: Clock, index: StudyCatalog | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("presentation")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(STYLE)
        self.setWindowTitle("MitraPlan — presentation")
        self.doc, self.notices = doc, notices
        self.tasks = TaskRunner(self)
        self.cache = read_only_cache()
        self.prior: PriorStudy | None = None
        case = doc.case
        date = iso_date(case.study.get("study_date"))
        current_title = f"Current study{', ' + date if date else ''}"
        self.loop_slides = [LoopSlide(k, current_title, clock, doc, self) for k in key_loops(case, index)]
        self.summary_slide = TextSlide("Summary" + (f" — study of {date}" if date else ""), self)
        self.clip_slide = ImageSlide("Clip map (surgical view)", self)
        self.stack = QStackedWidget(self)
        for slide in self.slides:
            self.stack.addWidget(slide)
        self.footer = _label("", "small", wrap=False)
        self.summary_slide.fitted.connect(self._show_footer)
        column = QVBoxLayout(self)
        column.setContentsMargins(40, 24, 40, 16)
        column.addWidget(self.stack, 1)
        column.addWidget(self.footer)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._show_summary()
        self.go(0)

    @property
    def slides(self) -> list[QWidget]:
        return [*self.loop_slides, self.summary_slide, self.clip_slide]

    @property
    def index(self) -> int:
        return self.stack.currentIndex()

    # --- content -----------------------------------------------------------------------------
    def start(self) -> None:
        """Open the key loops and read the latest prior study, in the background."""
        for slide in self.loop_slides:
            self._open(slide, slide.current_view, slide.key.path)
        doc = self.doc
        entry = latest_prior(doc.findings().priors)
        if entry is not None:
            current = Side(doc.findings(), list(doc.results()), list(doc.marks))
            case = doc.case
            self.tasks.start(f"Reading prior {entry.case}", lambda _p, c: load_prior_study(case, entry, current, c),
                             on_done=self._prior_ready,
                             on_error=lambda exc: self.notices.warning(f"Presentation: prior not shown: {exc}"))

    def _open(self, slide: LoopSlide, viewport: Viewport, path: Path) -> None:
        open_loop(self.tasks, viewport, path, self.cache, self.notices.error, then=lambda _v: self._loop_shown(slide))

    def _loop_shown(self, slide: LoopSlide) -> None:
        self._pair(slide)
        if self.stack.currentWidget() is slide:
            slide.start()

    def _prior_ready(self, prior: PriorStudy) -> None:
        self.prior = prior
        self._show_summary()
        for slide in self.loop_slides:
            self._pair(slide)

    def _pair(self, slide: LoopSlide) -> None:
        """Once both the prior and the slide's loop are read: open the prior's loop of the same view beside it."""
        info, prior = slide.current_view.info, self.prior
        if prior is None or info is None or slide.paired is not None:
            return
        pair = paired_loop(self.doc.case, info, prior.case, prior.loops)
        if pair is not None:
            slide.pair(prior, pair)
            self._open(slide, slide.prior_view, pair.path)

    def _show_summary(self) -> None:
        case = self.doc.case
        self.summary_slide.show_summary(summary(case, self.doc.results(), self.prior.rows if self.prior else ()),
                                        f"Prior {self.prior.entry.date}".strip() if self.prior else "")
        findings = case.findings()
        image = clip_map_image([Device.of(d) for d in findings.devices], [Jet.of(j) for j in findings.jets],
                               1400, 720, DARK_STYLE)
        self.clip_slide.show_pixmap(QPixmap.fromImage(image), map_legend(findings.devices, findings.jets))
        self._show_footer()

    # --- navigation --------------------------------------------------------------------------
    def go(self, index: int) -> None:
        """Show slide ``index`` (clamped); its loops play, the others stop."""
        index = min(max(index, 0), len(self.slides) - 1)
        for slide in self.loop_slides:
            slide.stop()
        self.stack.setCurrentIndex(index)
        current = self.stack.currentWidget()
        if isinstance(current, LoopSlide):
            current.start()
        self._show_footer()

    def _show_footer(self) -> None:
        current = self.stack.currentWidget()
        extra = " · M: marked frame · P: play/pause" if isinstance(current, LoopSlide) else \
            " · ↓ ↑: scroll" if isinstance(current, TextSlide) and current.scrollable() else ""
        self.footer.setText(f"{self.index + 1} / {len(self.slides)}    → or Space: next · ←: previous{extra} · Esc: leave")

    def key(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in NEXT_KEYS:
            self.go(self.index + 1)
        elif key in PREVIOUS_KEYS:
            self.go(self.index - 1)
        elif key == Qt.Key.Key_Home:
            self.go(0)
        elif key == Qt.Key.Key_End:
            self.go(len(self.slides) - 1)
        elif key == Qt.Key.Key_Escape:
            self.close()
        elif key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.stack.currentWidget() is self.summary_slide:
            self.summary_slide.scroll_by(1 if key == Qt.Key.Key_Down else -1)
        elif isinstance(current := self.stack.currentWidget(), LoopSlide):
            if key == Qt.Key.Key_M:
                current.show_marked_frame()
            elif key in (Qt.Key.Key_P, Qt.Key.Key_Return, Qt.Key.Key_Enter):
                current.toggle_play()

    # --- the no-edit guard -------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        super().showEvent(event)

    def _mine(self, watched: QObject) -> bool:
        """A widget of this window, or its native window (which sees input before the widgets)."""
        if isinstance(watched, QWidget):
            return watched.window() is self
        return isinstance(watched, QWindow) and watched is self.windowHandle()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in SWALLOWED and kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride,
                                                  QEvent.Type.KeyRelease):
            return False
        if not self._mine(watched):
            return False
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # the key is ours: no shortcut of any window fires
        elif kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            self.key(event)
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.tasks.cancel_all()
        for slide in self.loop_slides:
            slide.stop()
            for viewport in slide.grid.viewports:
                viewport.set_loop(None)
        super().closeEvent(event)


def open_presentation(doc: CaseDocument, notices: Notices, clock: Clock, index: StudyCatalog | None = None,
                      full_screen: bool = True, parent: QWidget | None = None) -> PresentationWindow:
    """Create and show the presentation (full screen unless told otherwise) and start loading it."""
    window = PresentationWindow(doc, notices, clock, index, parent)
    window.showFullScreen() if full_screen else window.show()
    window.activateWindow()
    window.setFocus()
    window.start()
    return window

