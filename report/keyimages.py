"""Key images: flagged frames with the user's marks burned in, as PNG (PDF) and DICOM Secondary Capture.

Marks are in DICOM image coordinates (SCOORD: ``(0, 0)`` is the top-left corner of the first
pixel). QPainter with antialiasing on a QImage uses the same convention, so points go in as they
are: no half-pixel shift here. Marks are yellow with a black outline and a boxed label, readable
on the dark ultrasound background and in grey print.

A key image of 3D marks is an MPR: the plane they were drawn in, resliced from their volume's time
point (imaging.mpr) over the marks' extent plus a margin, with the marks projected into it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import JPEGLSLossless
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QImage, QPainter, QPen, QPolygonF

from imaging.errors import InputError
from imaging.volume import is_volume_sop_class
from measurements.geometry3d import PLANARITY_TOLERANCE_MM, best_fit_plane
from report.model import Header, ImageRef, KeyImage, Mark, Measurement, Report
from report.plane_words import PlaneDescription, ValveFrame, describe_plane
from report.qt import ensure_app

KEY_IMAGE_SERIES_NUMBER = 9902
#: Key-image Secondary Captures are JPEG-LS lossless (1.2.840.10008.1.2.4.80): bit-exact, about 0.44× the
#: uncompressed RGB of a demo frame (RLE Lossless, pydicom's built-in encoder, reaches 0.65×), encoded by
#: pyjpegls (CharLS) and decoded by it or by GDCM, which PACS viewers and this app already use for JPEG-LS stills.
SC_TRANSFER_SYNTAX = JPEGLSLossless
#: QImage.save quality for PNG: Qt maps it to zlib level (100 - q) * 9 // 91. At 80 (level 1) an 800×600 key image
#: takes about a third of the default level's time and is no larger (benchmarks/bench_report.py).
PNG_QUALITY = 80

#: Reads frame ``frame_number`` (1-based) of an image as uint8 RGB (rows, columns, 3).
FrameLoader = Callable[[ImageRef, int], np.ndarray]


@dataclass(frozen=True, slots=True)
class MprView:
    """An MPR key image's plane: centre of pixel (0, 0), unit row and column directions (mm), size, mm/px."""

    origin: np.ndarray
    row_dir: np.ndarray
    col_dir: np.ndarray
    size: tuple[int, int]  # columns, rows
    pixel_mm: float


#: Reslices ``view`` from time point ``timepoint`` (1-based) of a volume as uint8 grey (rows, columns).
PlaneLoader = Callable[[ImageRef, int, MprView], np.ndarray]
#: margin (mm) around the marks in an MPR key image, and its longer side (pixels)
MPR_MARGIN_MM = 8.0
MPR_SIDE_PX = 400

_INK = QColor("#ffe600")
_OUTLINE = QColor("#000000")


def array_to_qimage(rgb: np.ndarray) -> QImage:
    """A deep-copied RGB888 QImage of a (rows, columns, 3) uint8 array (grey 2-D arrays are expanded)."""
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[:, :, None], 3, axis=2)
    data = np.ascontiguousarray(rgb[:, :, :3], dtype=np.uint8)
    rows, cols = data.shape[:2]
    return QImage(data.data, cols, rows, 3 * cols, QImage.Format.Format_RGB888).copy()


def qimage_to_array(image: QImage) -> np.ndarray:
    """(rows, columns, 3) uint8 RGB copy of ``image``."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    rows, cols, stride = rgb.height(), rgb.width(), rgb.bytesPerLine()
    buffer = np.frombuffer(rgb.constBits(), dtype=np.uint8, count=stride * rows).reshape(rows, stride)
    return buffer[:, : cols * 3].reshape(rows, cols, 3).copy()


#: The quantity a mark's caption prints first, when the mark gives it (a trace: its mean gradient).
_CAPTION_ORDER = ("mean_gradient", "vena_contracta", "vena_contracta_biplane", "distance", "area", "vmax")


def _caption_rank(m: Measurement) -> int:
    return _CAPTION_ORDER.index(m.quantity) if m.quantity in _CAPTION_ORDER else len(_CAPTION_ORDER)


def mark_captions(report: Report) -> dict[str, str]:
    """Mark id → "label value unit" of the mark's own headline measurement (a trace's mean gradient, else the
    first value from that mark alone, never one beat of it; else the first that uses it; else the mark's label)."""
    captions = {m.id: m.label for m in report.marks}
    for mark_id in captions:
        own = [m for m in report.measurements if m.source == (mark_id,) and m.beat is None]
        used = [m for m in report.measurements if mark_id in m.source]
        pick = min(own, key=_caption_rank) if own else (used[0] if used else None)
        if pick is not None:
            captions[mark_id] = f"{pick.label} {pick.text}"
    return captions


def _stroke(painter: QPainter, draw: Callable[[], object], width: float) -> None:
    """Draw twice: a black outline, then the yellow ink on top."""
    for colour, w in ((_OUTLINE, width * 2.2), (_INK, width)):
        pen = QPen(colour, w)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        draw()


def draw_mark(painter: QPainter, mark: Mark, width: float) -> None:
    """One mark's geometry (distance, area, trace or point) in image coordinates; its caption is placed later,
    clear of every mark (``place_captions``)."""
    pts = [QPointF(x, y) for x, y in mark.points]
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if mark.type == "point" or len(pts) == 1:
        p, r = pts[0], 3 * width
        _stroke(painter, lambda: (painter.drawLine(p - QPointF(r, 0), p + QPointF(r, 0)),
                                  painter.drawLine(p - QPointF(0, r), p + QPointF(0, r))), width)
    elif mark.type == "area":
        _stroke(painter, lambda: painter.drawPolygon(QPolygonF(pts)), width)
    else:
        _stroke(painter, lambda: painter.drawPolyline(QPolygonF(pts)), width)
        if mark.type == "distance":
            r = 2 * width
            _stroke(painter, lambda: [painter.drawEllipse(p, r / 2, r / 2) for p in (pts[0], pts[-1])], width)


# --- caption placement: pure geometry in image coordinates ------------------------------------------------------

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned rectangle in image coordinates (left < right, top < bottom)."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    def overlaps(self, other: Box) -> bool:
        return (self.left < other.right and other.left < self.right
                and self.top < other.bottom and other.top < self.bottom)


@dataclass(frozen=True)
class CaptionShape:
    """A mark as caption placement sees it: its drawn outline (a polyline, or a polygon when ``closed``),
    whether it is a Doppler trace (captioned over its own time span) and its caption's candidate box sizes
    (width, height), one per text layout, preferred first (one line, then wrapped narrower)."""

    outline: tuple[Point, ...]
    closed: bool
    trace: bool
    sizes: tuple[tuple[float, float], ...]

    @cached_property
    def box(self) -> Box:
        xs, ys = [p[0] for p in self.outline], [p[1] for p in self.outline]
        return Box(min(xs), min(ys), max(xs), max(ys))

    @cached_property
    def ends(self) -> tuple[np.ndarray, np.ndarray]:
        """Start and end points (segments × 2) of the outline's segments (a lone point: one empty segment)."""
        pts = np.asarray(self.outline + (self.outline[:1] if self.closed and len(self.outline) > 2 else ()), float)
        pts = pts if len(pts) > 1 else np.vstack([pts, pts])
        return pts[:-1], pts[1:]


@dataclass(frozen=True, slots=True)
class CaptionPlace:
    """Where a caption goes: its box, the text layout it fits in (index into ``CaptionShape.sizes``) and a
    leader line (caption edge → mark) when the box is not adjacent to its mark."""

    box: Box
    layout: int
    leader: tuple[Point, Point] | None


def _orient(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Twice the signed area of triangles o a b (points as (..., 2) arrays)."""
    return np.asarray((a[..., 0] - o[..., 0]) * (b[..., 1] - o[..., 1]) - (a[..., 1] - o[..., 1]) * (b[..., 0] - o[..., 0]))


def _crossing(p: Point, q: Point, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether segment pq meets each segment a[i] b[i] (touching counts; collinear ones count too: conservative)."""
    pq = np.asarray([p, q], float)
    return np.asarray((_orient(a, b, pq[0]) * _orient(a, b, pq[1]) <= 0)
                      & (_orient(pq[0], pq[1], a) * _orient(pq[0], pq[1], b) <= 0))


def segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    """Whether segments ab and cd meet (touching counts)."""
    return bool(_crossing(a, b, np.asarray([c], float), np.asarray([d], float))[0])


def _project(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Each point's nearest point on each segment a[j] b[j]: (points, segments, 2)."""
    d = b - a
    length2 = np.where((d ** 2).sum(-1) == 0, 1.0, (d ** 2).sum(-1))
    t = np.clip(((points[:, None, :] - a) * d).sum(-1) / length2, 0.0, 1.0)
    return np.asarray(a + t[..., None] * d)


def _segments_box_distance(a: np.ndarray, b: np.ndarray, box: Box) -> np.ndarray:
    """Distance from each segment a[i] b[i] to ``box`` (0 where they meet): clipped to the box when they meet
    (Liang-Barsky), else the nearest of endpoints to box and box corners to segment."""
    lo, hi, d = np.array([box.left, box.top]), np.array([box.right, box.bottom]), b - a
    still, within = d == 0, (a >= lo) & (a <= hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1, t2 = (lo - a) / d, (hi - a) / d
    enter = np.where(still, np.where(within, -np.inf, np.inf), np.minimum(t1, t2)).max(axis=1)
    leave = np.where(still, np.where(within, np.inf, -np.inf), np.maximum(t1, t2)).min(axis=1)
    meets = np.maximum(enter, 0.0) <= np.minimum(leave, 1.0)
    corners = np.array([[box.left, box.top], [box.right, box.top], [box.right, box.bottom], [box.left, box.bottom]])
    to_corner = np.linalg.norm(corners[:, None, :] - _project(corners, a, b), axis=-1).min(axis=0)
    to_box = [np.linalg.norm(np.maximum(np.maximum(lo - p, 0.0), p - hi), axis=-1) for p in (a, b)]
    return np.where(meets, 0.0, np.minimum(np.minimum(*to_box), to_corner))


def _inside(p: Point, polygon: np.ndarray) -> bool:
    """Even-odd rule."""
    (x0, y0), (x1, y1) = polygon.T, np.roll(polygon, -1, axis=0).T
    spans = (y0 > p[1]) != (y1 > p[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        x = x0 + (p[1] - y0) * (x1 - x0) / (y1 - y0)
    return bool(np.count_nonzero(spans & (p[0] < x)) % 2)


def _meets(p: Point, q: Point, box: Box) -> bool:
    """Whether segment pq meets ``box`` (Liang-Barsky clipping; one segment, so plain floats)."""
    enter, leave = 0.0, 1.0
    for start, delta, low, high in ((p[0], q[0] - p[0], box.left, box.right), (p[1], q[1] - p[1], box.top, box.bottom)):
        if delta == 0:
            if not low <= start <= high:
                return False
            continue
        t1, t2 = (low - start) / delta, (high - start) / delta
        enter, leave = max(enter, min(t1, t2)), min(leave, max(t1, t2))
    return enter <= leave


def _nearest_on(shape: CaptionShape, box: Box) -> tuple[Point, Point]:
    """The leader line: from the box's edge midpoint facing the mark to the outline's nearest point to it."""
    mark = shape.box
    if box.bottom <= mark.top or box.top >= mark.bottom:
        start = ((box.left + box.right) / 2, box.bottom if box.bottom <= mark.top else box.top)
    else:
        start = (box.right if box.right <= (mark.left + mark.right) / 2 else box.left, (box.top + box.bottom) / 2)
    near = _project(np.asarray([start], float), *shape.ends)[0]
    x, y = near[int(np.argmin(np.linalg.norm(near - start, axis=-1)))]
    return start, (float(x), float(y))


def _candidates(shape: CaptionShape, w: float, h: float, offset: float) -> list[Box]:
    """Boxes of size w × h ``offset`` away from the mark's bounding box. A trace: centred on its time span,
    beyond its peak, then beyond its baseline; any other mark: above, below, right, left, then the corners."""
    b = shape.box
    cx, cy = (b.left + b.right) / 2, (b.top + b.bottom) / 2
    above = Box(cx - w / 2, b.top - offset - h, cx + w / 2, b.top - offset)
    below = Box(cx - w / 2, b.bottom + offset, cx + w / 2, b.bottom + offset + h)
    if shape.trace:
        baseline = (shape.outline[0][1] + shape.outline[-1][1]) / 2
        peak_below = max(p[1] for p in shape.outline) - baseline >= baseline - min(p[1] for p in shape.outline)
        return [below, above] if peak_below else [above, below]
    right = Box(b.right + offset, cy - h / 2, b.right + offset + w, cy + h / 2)
    left = Box(b.left - offset - w, cy - h / 2, b.left - offset, cy + h / 2)
    corners = [Box(b.right + offset, b.top - offset - h, b.right + offset + w, b.top - offset),
               Box(b.left - offset - w, b.top - offset - h, b.left - offset, b.top - offset),
               Box(b.right + offset, b.bottom + offset, b.right + offset + w, b.bottom + offset + h),
               Box(b.left - offset - w, b.bottom + offset, b.left - offset, b.bottom + offset + h)]
    return [above, below, right, left, *corners]


def _clamped(box: Box, image: Box) -> Box:
    """``box`` shifted into ``image`` along x when it sticks out sideways (a mark near the left or right edge)."""
    dx = max(image.left - box.left, 0.0) - max(box.right - image.right, 0.0)
    return Box(box.left + dx, box.top, box.right + dx, box.bottom)


@dataclass(frozen=True, slots=True)
class _Scene:
    """Every distinct outline's segments in one array (``starts``: each outline's first segment), so one numpy
    pass measures a box against all marks. Marks drawn on the same spot (copies of a mark: one outline) are
    measured once: ``of[k]`` is mark k's outline; ``polygons``: the closed outlines (index, vertices)."""

    shapes: tuple[CaptionShape, ...]
    a: np.ndarray
    b: np.ndarray
    starts: np.ndarray
    of: np.ndarray
    polygons: tuple[tuple[int, np.ndarray], ...]

    @classmethod
    def of_shapes(cls, shapes: tuple[CaptionShape, ...]) -> _Scene:
        outlines: dict[tuple[tuple[Point, ...], bool], int] = {}
        of = np.asarray([outlines.setdefault((s.outline, s.closed), len(outlines)) for s in shapes], int)
        distinct = [shapes[int(np.argmax(of == u))] for u in range(len(outlines))]
        counts = [len(s.ends[0]) for s in distinct]
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int)
        polygons = tuple((u, s.ends[0]) for u, s in enumerate(distinct) if s.closed and len(s.outline) > 2)
        return cls(shapes, np.vstack([s.ends[0] for s in distinct]), np.vstack([s.ends[1] for s in distinct]),
                   starts, of, polygons)

    def distances(self, box: Box) -> np.ndarray:
        """Each mark's distance to ``box`` (0 when it touches it or holds the box's centre inside its outline)."""
        d = np.minimum.reduceat(_segments_box_distance(self.a, self.b, box), self.starts)
        centre = ((box.left + box.right) / 2, (box.top + box.bottom) / 2)
        for u, vertices in self.polygons:
            if d[u] > 0 and _inside(centre, vertices):
                d[u] = 0.0
        return np.asarray(d[self.of])

    def crossed(self, leader: tuple[Point, Point]) -> np.ndarray:
        """Whether ``leader`` meets each mark's outline."""
        return np.asarray(np.logical_or.reduceat(_crossing(*leader, self.a, self.b), self.starts)[self.of])


def _faults(box: Box, leader: tuple[Point, Point] | None, own: int, scene: _Scene,
            placed: Sequence[CaptionPlace], image: Box, keep_out: Sequence[Box], gap: float) -> Iterator[int]:
    """The placement rules the caption of mark ``own`` in ``box`` (with ``leader``) breaks, cheapest checks first
    (leaving the image or covering a caption or a mark weigh 10, any other rule 1), so that a caller can stop once
    a box is worse than the best so far."""
    yield 10 * (box.left < image.left or box.top < image.top or box.right > image.right or box.bottom > image.bottom)
    yield 10 * sum(box.overlaps(p.box) for p in placed)
    yield sum(box.overlaps(k) for k in keep_out)
    shape, others = scene.shapes[own], np.arange(len(scene.shapes)) != own
    if shape.trace:
        yield sum(o.trace and box.left < o.box.right and o.box.left < box.right
                  for j, o in enumerate(scene.shapes) if j != own)
    d = scene.distances(box)
    covers = d < gap / 2
    yield 10 * int(np.count_nonzero(covers)) + int(np.count_nonzero(others & ~covers & (d < max(gap, d[own] + gap))))
    yield sum(p.leader is not None and _meets(*p.leader, box) for p in placed)
    if leader is not None:
        yield sum(p.leader is not None and segments_cross(*leader, *p.leader) for p in placed)
        yield sum(_meets(*leader, p.box) for p in placed)
        yield int(np.count_nonzero(scene.crossed(leader)[others]))


def _score(faults: Iterator[int], limit: float) -> float:
    """The faults added up, stopping as soon as they reach ``limit`` (that box is no better than the best)."""
    total = 0
    for fault in faults:
        total += fault
        if total >= limit:
            break
    return total


#: how many steps (a caption's height each) a caption may move away from its mark, with a leader line
_RINGS = 8
#: boxes tried per key image at most: one with dozens of marks keeps its captions adjacent (ring 0)
_TRY_BUDGET = 600


def _tries(shape: CaptionShape, image: Box, gap: float, rings: int) -> Iterator[tuple[int, int, Box]]:
    """(ring, layout, box) to try for a caption, nearest first: adjacent ones (ring 0; one line, then wrapped),
    then farther out."""
    for ring in range(rings):
        for layout, (w, h) in enumerate(shape.sizes):
            for box in _candidates(shape, w, h, gap + ring * (h + gap)):
                yield ring, layout, _clamped(box, image)


def place_captions(shapes: Sequence[CaptionShape], size: tuple[float, float], gap: float,
                   keep_out: Sequence[Box] = ()) -> list[CaptionPlace]:
    """Each mark's caption box, placed in order, deterministically.

    A box is accepted when it lies inside the image (``size``: width, height) and outside ``keep_out``,
    overlaps no placed caption or leader, keeps ``gap`` clear of every mark's outline, is nearer its own mark
    than any other by ``gap`` or more, and, for a trace, overlaps no other trace's time span. Boxes adjacent to
    the mark (``gap`` from its bounding box) are tried first, one line before wrapped; then boxes farther out
    with a leader line that crosses no other leader, caption or outline (as far out as ``_TRY_BUDGET`` allows).
    When none is accepted the caption goes where it breaks fewest of these rules (nearest first).
    Cached: a cine places the same marks on every frame."""
    return list(_placed(tuple(shapes), (float(size[0]), float(size[1])), gap, tuple(keep_out))) if shapes else []


@lru_cache(maxsize=32)
def _placed(shapes: tuple[CaptionShape, ...], size: tuple[float, float], gap: float,
            keep_out: tuple[Box, ...]) -> tuple[CaptionPlace, ...]:
    image, scene = Box(0.0, 0.0, *size), _Scene.of_shapes(shapes)
    per_ring = sum(len(s.sizes) * len(_candidates(s, 1.0, 1.0, gap)) for s in shapes)
    rings = max(1, min(_RINGS, _TRY_BUDGET // per_ring))
    placed: list[CaptionPlace] = []
    for i, shape in enumerate(shapes):
        best: tuple[float, CaptionPlace] | None = None
        for ring, layout, box in _tries(shape, image, gap, rings):
            leader = _nearest_on(shape, box) if ring else None
            score = _score(_faults(box, leader, i, scene, placed, image, keep_out, gap), best[0] if best else math.inf)
            if best is None or score < best[0]:
                best = (score, CaptionPlace(box, layout, leader))
            if score == 0:
                break
        assert best is not None
        placed.append(best[1])
    return tuple(placed)


def render_key_image(frame: np.ndarray, marks: Sequence[Mark], captions: dict[str, str], scale: int = 1,
                     note: str = "", layout: Sequence[tuple[str, CaptionPlace]] | None = None) -> QImage:
    """The frame (RGB) with ``marks`` burned in, ``scale`` times larger (nearest-neighbour), each captioned next
    to itself (``key_image_layout``, or ``layout`` when the caller has it: it is the same at every scale);
    ``note`` (what the picture is, e.g. an MPR's plane) boxed along its bottom edge."""
    ensure_app()
    base = array_to_qimage(frame)
    if scale != 1:
        base = base.scaled(base.width() * scale, base.height() * scale, Qt.AspectRatioMode.IgnoreAspectRatio,
                           Qt.TransformationMode.FastTransformation)
    image = base.convertToFormat(QImage.Format.Format_RGB32)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.scale(scale, scale)
    rows, columns = frame.shape[:2]
    width = _line_width(columns)
    for mark in marks:
        draw_mark(painter, mark, width)
    if note:
        _draw_note(painter, note, _note_box(note, columns, rows, width), width)
    _draw_captions(painter, key_image_layout((rows, columns), marks, captions, note) if layout is None else layout,
                   width)
    painter.end()
    return image


def _line_width(columns: int) -> float:
    """A mark's line width (image pixels) on a picture ``columns`` wide; fonts and gaps scale with it."""
    return max(1.0, columns / 300)


def _caption_font(width: float) -> QFont:
    font = QFont("DejaVu Sans")
    font.setPixelSize(max(7, int(6.5 * width)))
    return font


def _note_font(width: float) -> QFont:
    font = QFont("DejaVu Sans")
    font.setPixelSize(max(7, int(5.5 * width)))
    return font


def key_image_layout(shape: tuple[int, ...], marks: Sequence[Mark], captions: dict[str, str],
                     note: str = "") -> list[tuple[str, CaptionPlace]]:
    """Each mark's caption text as laid out (wrapped or not) and where it goes on a picture of ``shape`` (rows,
    columns, ...), in image coordinates, clear of the ``note`` box."""
    ensure_app()
    rows, columns = shape[:2]
    width = _line_width(columns)
    metrics = QFontMetrics(_caption_font(width))
    layouts, shapes = [], []
    for mark in marks:
        text = captions.get(mark.id, mark.label) or "unlabelled mark"  # never an internal id (the heart team reads it)
        options = caption_layouts(text, metrics.horizontalAdvance)
        bounds = [metrics.boundingRect(0, 0, 100_000, 100_000, int(Qt.AlignmentFlag.AlignCenter), t) for t in options]
        layouts.append(options)
        shapes.append(caption_shape(mark, [(b.width() + 4 * width, b.height() + width) for b in bounds], width))
    keep_out = [_note_box(note, columns, rows, width)] if note else []
    places = place_captions(shapes, (columns, rows), 2 * width, keep_out)
    return [(options[p.layout], p) for options, p in zip(layouts, places, strict=True)]


def caption_layouts(text: str, advance: Callable[[str], float], most_lines: int = 3) -> list[str]:
    """``text`` on one line, then wrapped at spaces onto 2 … ``most_lines`` lines (each split the one whose widest
    line, measured by ``advance``, is narrowest): narrower boxes for crowded marks."""
    words = text.split()
    out = [text]
    for lines in range(2, min(most_lines, len(words)) + 1):
        splits = [(0, *cuts, len(words)) for cuts in itertools.combinations(range(1, len(words)), lines - 1)]
        best = min(splits, key=lambda s: max(advance(" ".join(words[a:b])) for a, b in itertools.pairwise(s)))
        out.append("\n".join(" ".join(words[a:b]) for a, b in itertools.pairwise(best)))
    return out


def caption_shape(mark: Mark, sizes: Sequence[tuple[float, float]], width: float) -> CaptionShape:
    """A mark as ``place_captions`` sees it; a point is the square its cross covers."""
    if mark.type == "point" or len(mark.points) == 1:
        (x, y), r = mark.points[0], 3 * width
        return CaptionShape(((x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)), True, False,
                            tuple(sizes))
    return CaptionShape(tuple(mark.points), mark.type == "area", mark.type == "doppler_trace", tuple(sizes))


def _draw_captions(painter: QPainter, placed: Sequence[tuple[str, CaptionPlace]], width: float) -> None:
    """The marks' captions, boxed, each next to its own mark (a short leader line when it could not be adjacent)."""
    painter.setFont(_caption_font(width))
    for _, place in placed:
        if place.leader is not None:
            _draw_leader(painter, QLineF(*place.leader[0], *place.leader[1]), width)
    for text, place in placed:
        b = place.box
        rect = QRectF(b.left, b.top, b.width, b.bottom - b.top)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(QColor(0, 0, 0, 200)))
        painter.drawRect(rect)
        painter.setPen(_INK)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


def _draw_leader(painter: QPainter, line: QLineF, width: float) -> None:
    _stroke(painter, lambda: painter.drawLine(line), width / 2)


_NOTE_FLAGS = Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap


def _note_box(note: str, columns: int, rows: int, width: float) -> Box:
    """The box ``note`` takes across the bottom of a picture, wrapped to its width."""
    text = QFontMetrics(_note_font(width)).boundingRect(QRectF(0, 0, columns - 4 * width, rows).toRect(),
                                                        int(_NOTE_FLAGS), note)
    return Box(0.0, rows - text.height() - 2 * width, float(columns), float(rows))


def _draw_note(painter: QPainter, note: str, box: Box, width: float) -> None:
    """``note`` in a dark ``box`` (``_note_box``) across the bottom of the image."""
    rect = QRectF(box.left, box.top, box.width, box.bottom - box.top)
    painter.setFont(_note_font(width))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(QColor(0, 0, 0, 200)))
    painter.drawRect(rect)
    painter.setPen(_INK)
    painter.drawText(rect.adjusted(2 * width, width, -2 * width, -width), _NOTE_FLAGS, note)


def key_image_marks(report: Report, key: KeyImage) -> list[Mark]:
    """The marks a key image shows: those listed, else every mark on that frame."""
    if key.mark_ids:
        return [m for m in (report.mark(i) for i in key.mark_ids) if m is not None]
    return [m for m in report.marks if m.sop_instance_uid == key.sop_instance_uid
            and m.frame_number == key.frame_number]


def _plane_axes(marks: Sequence[Mark]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A point and unit row and column directions of the plane the marks were drawn in: the first
    mark's recorded plane when every point lies on it (within PLANARITY_TOLERANCE_MM), else the
    points' best-fit plane (InputError when they span none)."""
    plane = marks[0].plane
    assert plane is not None
    origin = np.asarray(plane[0], float)
    row = np.asarray(plane[1], float) / np.linalg.norm(plane[1])
    col = np.asarray(plane[2], float) - (np.asarray(plane[2], float) @ row) * row
    col /= np.linalg.norm(col)
    points = np.asarray([p for m in marks for p in m.points3d], float)
    if np.max(np.abs((points - origin) @ np.cross(row, col))) <= PLANARITY_TOLERANCE_MM:
        return origin, row, col
    fitted = best_fit_plane(points)
    return fitted.centroid, fitted.u, fitted.v


def mpr_view(marks: Sequence[Mark]) -> MprView:
    """The plane the marks were drawn in (``_plane_axes``), framed on their points plus ``MPR_MARGIN_MM``."""
    origin, row, col = _plane_axes(marks)
    points = np.asarray([p for m in marks for p in m.points3d], float) - origin
    u, v = points @ row, points @ col
    low = np.array([u.min(), v.min()]) - MPR_MARGIN_MM
    extent = np.array([u.max(), v.max()]) + MPR_MARGIN_MM - low
    pixel_mm = float(extent.max()) / MPR_SIDE_PX
    size = (max(1, math.ceil(extent[0] / pixel_mm)), max(1, math.ceil(extent[1] / pixel_mm)))
    return MprView(origin + low[0] * row + low[1] * col, row, col, size, pixel_mm)


def marks_on_view(marks: Sequence[Mark], view: MprView) -> list[Mark]:
    """3D marks as 2D marks in the view's image coordinates (the centre of pixel (c, r) is (c + 0.5, r + 0.5))."""
    out = []
    for m in marks:
        d = np.asarray(m.points3d, float) - view.origin
        xy = np.column_stack([d @ view.row_dir, d @ view.col_dir]) / view.pixel_mm + 0.5
        out.append(replace(m, points=tuple((float(x), float(y)) for x, y in xy), points3d=()))
    return out


def view_plane(view: MprView, valve: ValveFrame | None = None) -> PlaneDescription:
    """The plane of an MPR view in words relative to the aligned annulus ``valve`` (report.plane_words)."""
    return describe_plane(view.origin, view.row_dir, view.col_dir, valve)


def plane_caption(view: MprView, timepoint: int, valve: ValveFrame | None = None) -> str:
    """The note of an MPR key image: the plane in words (relative to ``valve``, the volume's aligned annulus,
    when known), time point and field shown; then the numbers behind the words (``PlaneDescription.detail``)."""
    width, height = (s * view.pixel_mm for s in view.size)
    plane = view_plane(view, valve)
    return (f"{plane.words[:1].upper()}{plane.words[1:]}; time point {timepoint}, {width:.0f} × {height:.0f} mm"
            f" shown ({plane.detail})")


def key_image_planes(report: Report, valves: Mapping[str, ValveFrame] | None = None) -> dict[str, PlaneDescription]:
    """Key image id → its plane described (words and numbers, ``PlaneDescription.to_json`` for report.json),
    for the MPR key images of 3D marks; ``valves``: SOP Instance UID of a volume → its aligned annulus."""
    out = {}
    for key in report.key_images:
        marks = key_image_marks(report, key)
        if _is_mpr(marks):
            try:
                out[key.id] = view_plane(mpr_view(marks), (valves or {}).get(key.sop_instance_uid))
            except InputError:
                continue  # the points span no plane: the key image names that problem itself
    return out


def measurement_plane(report: Report, m: Measurement, valve: ValveFrame | None = None) -> PlaneDescription | None:
    """The plane a measurement on 3D marks was made in, described (words and numbers), for its row in the
    report; None when a mark of it is 2D, has no recorded plane, or its marks span no one plane."""
    on = [mk for mk in (report.mark(i) for i in m.source) if mk is not None]
    if len(on) != len(m.source) or not _is_mpr(on):
        return None
    try:
        return view_plane(mpr_view(on), valve)
    except InputError:
        return None


def _is_mpr(marks: Sequence[Mark]) -> bool:
    return bool(marks) and all(m.points3d and m.plane is not None for m in marks)


def _source(report: Report, key: KeyImage, ref: ImageRef, load_frame: FrameLoader,
            load_plane: PlaneLoader | None, valve: ValveFrame | None = None) -> tuple[np.ndarray, list[Mark], str]:
    """The picture of a key image, its marks in that picture's coordinates and a note saying what
    the picture is (an MPR's plane, for 3D marks, relative to ``valve`` when known; else none)."""
    marks = key_image_marks(report, key)
    if not _is_mpr(marks):
        return load_frame(ref, key.frame_number), [m for m in marks if m.points], ""
    if load_plane is None:
        raise InputError("its marks are 3D and no volume reader was given")
    view = mpr_view(marks)
    return (load_plane(ref, key.frame_number, view), marks_on_view(marks, view),
            plane_caption(view, key.frame_number, valve))


def render_all(report: Report, load_frame: FrameLoader, problems: list[str] | None = None,
               load_plane: PlaneLoader | None = None,
               valves: Mapping[str, ValveFrame] | None = None) -> dict[str, tuple[QImage, QImage]]:
    """Key image id → (native-size image for DICOM, enlarged image for PNG/PDF).

    With ``problems``, a frame that cannot be read (InputError) skips only its key image and is
    named there; without it the error propagates. A key image of 3D marks is an MPR read by ``load_plane``,
    its plane described relative to ``valves`` (volume SOP Instance UID → aligned annulus) when given.
    """
    captions = mark_captions(report)
    out = {}
    for key in report.key_images:
        ref = report.image(key.sop_instance_uid)
        if ref is None:
            continue
        try:
            frame, marks, note = _source(report, key, ref, load_frame, load_plane,
                                         (valves or {}).get(key.sop_instance_uid))
        except InputError as exc:
            if problems is None:
                raise
            problems.append(f"key image {key.id} not rendered: {exc}")
            continue
        scale = max(1, -(-800 // frame.shape[1]))
        layout = key_image_layout(frame.shape, marks, captions, note)
        out[key.id] = (render_key_image(frame, marks, captions, note=note, layout=layout),
                       render_key_image(frame, marks, captions, scale, note, layout))
    return out


def write_pngs(report: Report, rendered: dict[str, tuple[QImage, QImage]], folder: Path) -> Report:
    """Write ``key-<id>.png`` files (no metadata chunks) and return the report pointing at them."""
    folder.mkdir(parents=True, exist_ok=True)
    keys = []
    for key in report.key_images:
        if key.id not in rendered:
            keys.append(key)
            continue
        path = folder / f"key-{key.id}.png"
        if not rendered[key.id][1].save(str(path), None, PNG_QUALITY):  # PNG by the suffix
            raise OSError(f"{path}: cannot write the key image")
        keys.append(replace(key, png=str(path)))
    return replace(report, key_images=tuple(keys))


def secondary_capture(source: Dataset, image: QImage, key: KeyImage, series_instance_uid: str,
                      instance_number: int, software_version: str, header: Header | None = None,
                      masked: bool = False) -> Dataset:
    """A Secondary Capture of ``image`` referencing the source frame, in the study of ``header``
    (the case's bound study; the source's when None), type-2 attributes present even if empty;
    ``masked``: the pixels outside the ultrasound regions were blanked (``report.mask``)."""
    import highdicom as hd

    from report.dicom_study import stamp_study, study_reference
    from report.mask import burned_in_annotation

    pixels = qimage_to_array(image)
    ref_dataset = study_reference(source, header) if header is not None else source
    sc = hd.sc.SCImage.from_ref_dataset(
        ref_dataset=ref_dataset, pixel_array=pixels, photometric_interpretation="RGB", bits_allocated=8,
        coordinate_system="PATIENT", series_instance_uid=series_instance_uid, series_number=KEY_IMAGE_SERIES_NUMBER,
        sop_instance_uid=hd.UID(), instance_number=instance_number, manufacturer="MitraPlan",
        patient_orientation=("A", "F"), transfer_syntax_uid=SC_TRANSFER_SYNTAX)
    sc["PatientOrientation"].value = None  # Type 2: a screen capture of an ultrasound frame has no patient orientation
    sc.Laterality = source.get("Laterality")  # Type 2C (General Series); the heart is unpaired: empty
    sc.ImageType = ["DERIVED", "SECONDARY"]
    sc.SeriesDescription = "MitraPlan key images"
    volume = is_volume_sop_class(str(source.SOPClassUID))
    what = f"MPR of time point {key.frame_number}" if volume else f"Frame {key.frame_number}"
    sc.DerivationDescription = f"{what} with measurement marks burned in: {key.label}"[:1024]
    sc.BurnedInAnnotation = burned_in_annotation(source, masked)
    sc.ImageComments = key.label[:10240]
    sc.SoftwareVersions = software_version or "unknown"
    ref = Dataset()
    ref.ReferencedSOPClassUID = source.SOPClassUID
    ref.ReferencedSOPInstanceUID = source.SOPInstanceUID
    if int(source.get("NumberOfFrames", 1) or 1) > 1 and not volume:  # a volume's frame is a slice, not a time point
        ref.ReferencedFrameNumber = key.frame_number
    sc.SourceImageSequence = [ref]
    return stamp_study(sc, header) if header is not None else sc
