"""View → Presentation (F5): the case for the heart team, full screen, in large type, one slide at a time.

The slides: each key loop playing (the loops flagged as key images, else the loops the marks are on),
side by side with the prior study's loop of the same view when there is one, synced by cardiac cycle;
the summary (headline numbers, total MR, decision-support options); the clip map. Right, Page Down
and Space go to the next slide, Left and Page Up to the previous one, Home and End to the first and
last, Esc leaves.

Nothing can be edited by accident: while the window is open an application event filter swallows
every mouse press, drag, wheel and context menu aimed at it, and takes every key (shortcut overrides
included) for the navigation, so no tool, shortcut or field of the main window ever sees them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent, QPixmap, QShowEvent, QWindow
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from gui.notices import Notices
from gui.present.compare_window import iso_date
from gui.present.loops import ReadOnlyTool, open_loop, read_only_cache
from gui.present.prior_study import PriorStudy, load_prior_study, paired_loop
from gui.present.summary import Summary, summary
from gui.tasks import TaskRunner
from gui.viewer.grid import ViewerGrid
from gui.viewer.playback import Clock
from gui.viewer.sync import SyncMode
from gui.viewer.viewport import Viewport
from imaging.catalog import StudyCatalog
from imaging.loop import LoopInfo
from planning import model
from planning.case import Case, resolve_image
from planning.compare import Side, describe_device, latest_prior
from planning.document import CaseDocument
from report.clipmap import DARK_STYLE, clip_map_image
from report.model import Device, Jet

#: At most this many loop slides (the heart team looks at two or three).
MAX_LOOP_SLIDES = 6
TITLE_PX, TEXT_PX, SMALL_PX = 44, 30, 22
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


class LoopSlide(QWidget):
    """One key loop (left, leading) and, once the prior is read, the prior's loop of the same view (right)."""

    def __init__(self, key: KeyLoop, current_title: str, clock: Clock, parent: QWidget | None = None) -> None:
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

    def pair(self, prior: PriorStudy, info: LoopInfo) -> None:
        """Show the prior's loop beside the current one (the current leads)."""
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
    """A title and lines of large text (the summary)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = _label(title, "title")
        self.body = QLabel(self)
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        column = QVBoxLayout(self)
        column.addWidget(self.title)
        column.addWidget(self.body, 1)

    def show_summary(self, content: Summary, prior: str = "") -> None:
        """The headline numbers as a table (with a prior column when there is one), the total MR, the options."""
        e = html.escape
        cell = "style='padding: 4px 28px 4px 0'"
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
        self.body.setText(f"{numbers}<p style='font-size: {TITLE_PX - 8}px'><b>{e(content.total_mr)}</b></p>"
                          f"<p style='font-size: {SMALL_PX + 4}px; color: #aab0b8'>Decision support (findings"
                          f" against published criteria; the heart team decides):</p>"
                          f"<ul style='font-size: {TEXT_PX}px'>{options}</ul>")


class ImageSlide(QWidget):
    """A title and an image scaled to the slide (the clip map)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = _label(title, "title")
        self.image = QLabel(self)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.legend = _label("")
        column = QVBoxLayout(self)
        column.addWidget(self.title)
        column.addWidget(self.image, 1)
        column.addWidget(self.legend)

    def show_pixmap(self, pixmap: QPixmap, legend: Sequence[str] = ()) -> None:
        self.image.setPixmap(pixmap)
        self.legend.setText("\n".join(legend))


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
        self.loop_slides = [LoopSlide(k, current_title, clock, self) for k in key_loops(case, index)]
        self.summary_slide = TextSlide("Summary" + (f" — study of {date}" if date else ""), self)
        self.clip_slide = ImageSlide("Clip map (surgical view)", self)
        self.stack = QStackedWidget(self)
        for slide in self.slides:
            self.stack.addWidget(slide)
        self.footer = _label("", "small", wrap=False)
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
        self.footer.setText(f"{index + 1} / {len(self.slides)}    → or Space: next · ←: previous · Esc: leave")

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

