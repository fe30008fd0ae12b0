"""Key-image captions sit next to their own mark: pure placement geometry on hand-made layouts, then the demo's
key images as rendered. Distances here are measured independently of the placement code: each mark's outline is
sampled densely and the nearest sample to a caption box is taken."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from demo.case import write_demo_case
from demo.phantom import write_demo_study
from planning.case import load_case
from report.build import build_report
from report.export import frame_loader
from report.keyimages import (
    Box,
    CaptionPlace,
    CaptionShape,
    key_image_layout,
    key_image_marks,
    mark_captions,
    marks_on_view,
    mpr_view,
    place_captions,
    plane_caption,
)
from report.model import Mark

Point = tuple[float, float]
#: caption sizes (width, height) on one, two and three lines, like a long trace caption at 17 px type
WIDE = ((420.0, 24.0), (230.0, 46.0), (160.0, 68.0))
GAP = 5.0


def _samples(outline: tuple[Point, ...], closed: bool) -> np.ndarray:
    pts = list(outline) + ([outline[0]] if closed else [])
    t = np.linspace(0, 1, 200)[:, None]
    return np.vstack([np.asarray(a) + t * (np.asarray(b) - np.asarray(a)) for a, b in itertools.pairwise(pts)])


def _distance(samples: np.ndarray, box: Box) -> float:
    dx = np.maximum.reduce([box.left - samples[:, 0], np.zeros(len(samples)), samples[:, 0] - box.right])
    dy = np.maximum.reduce([box.top - samples[:, 1], np.zeros(len(samples)), samples[:, 1] - box.bottom])
    return float(np.min(np.hypot(dx, dy)))


def _inside(box: Box, size: tuple[float, float]) -> bool:
    return box.left >= 0 and box.top >= 0 and box.right <= size[0] and box.bottom <= size[1]


def _overlap(a: Box, b: Box) -> bool:
    return a.left < b.right and b.left < a.right and a.top < b.bottom and b.top < a.bottom


def _crosses(p: Point, q: Point, r: Point, s: Point) -> bool:
    def side(a: Point, b: Point, c: Point) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return side(p, q, r) * side(p, q, s) < 0 and side(r, s, p) * side(r, s, q) < 0


def _trace(x0: float, depth: float) -> CaptionShape:
    """A CW inflow beat hanging from the baseline (y 320): E peak, then an A wave, back to the baseline."""
    return CaptionShape(((x0, 320.0), (x0 + 15, depth), (x0 + 55, 420.0), (x0 + 60, 400.0), (x0 + 75, 430.0),
                         (x0 + 90, 320.0)), False, True, WIDE)


def _ellipse(cx: float, cy: float, a: float, b: float) -> CaptionShape:
    outline = tuple((cx + a * math.cos(t), cy + b * math.sin(t)) for t in np.linspace(0, 2 * math.pi, 48,
                                                                                      endpoint=False))
    return CaptionShape(outline, True, False, ((200.0, 18.0), (110.0, 36.0)))


def test_side_by_side_traces_each_caption_over_its_own_time_span_only() -> None:
    traces = [_trace(205.0, 465.0), _trace(415.0, 465.0)]
    places = place_captions(traces, (800.0, 600.0), GAP)
    spans = [(205.0, 295.0), (415.0, 505.0)]
    for i, place in enumerate(places):
        own, other = spans[i], spans[1 - i]
        assert place.box.left < own[1] and own[0] < place.box.right  # over its own beat
        assert not (place.box.left < other[1] and other[0] < place.box.right)  # not over the other beat
        assert _inside(place.box, (800.0, 600.0)) and place.leader is None  # adjacent: no leader needed
        for trace in traces:
            assert _distance(_samples(trace.outline, False), place.box) >= GAP - 1e-9  # covers no trace
    assert not _overlap(places[0].box, places[1].box)


def test_a_single_trace_caption_stays_on_one_line_beyond_its_peak() -> None:
    (place,) = place_captions([_trace(300.0, 465.0)], (800.0, 600.0), GAP)
    assert place.layout == 0 and place.box.top >= 465.0  # room below the peak: no need to wrap
    assert place.box.left + place.box.width / 2 == pytest.approx(345.0)  # centred on the beat's time span


def test_two_ellipses_captions_outside_both_outlines_and_nearest_their_own() -> None:
    ellipses = [_ellipse(250.0, 215.0, 95.0, 60.0), _ellipse(570.0, 215.0, 78.0, 50.0)]
    centres = [(250.0, 215.0, 95.0, 60.0), (570.0, 215.0, 78.0, 50.0)]
    places = place_captions(ellipses, (800.0, 432.0), GAP)
    for i, place in enumerate(places):
        b = place.box
        corners = [(b.left, b.top), (b.right, b.top), (b.left, b.bottom), (b.right, b.bottom),
                   ((b.left + b.right) / 2, (b.top + b.bottom) / 2)]
        for cx, cy, ax, ay in centres:  # no corner nor the centre inside an ellipse (its own equation)
            assert all(((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2 > 1 for x, y in corners)
        distances = [_distance(_samples(e.outline, True), b) for e in ellipses]
        assert min(distances) >= GAP - 1e-9  # crosses no outline
        assert distances[i] < distances[1 - i]
        assert _inside(b, (800.0, 432.0))
    assert not _overlap(places[0].box, places[1].box)


@pytest.mark.parametrize("outline", [((790.0, 4.0), (799.0, 12.0)), ((1.0, 590.0), (9.0, 599.0)),
                                     ((396.0, 1.0), (404.0, 2.0))])
def test_a_mark_at_the_image_edge_gets_its_caption_inside_the_image(outline: tuple[Point, ...]) -> None:
    mark = CaptionShape(outline, False, False, ((220.0, 20.0), (120.0, 40.0)))
    (place,) = place_captions([mark], (800.0, 600.0), GAP)
    assert _inside(place.box, (800.0, 600.0))
    assert _distance(_samples(outline, False), place.box) >= GAP - 1e-9


def test_a_caption_keeps_out_of_the_note_box() -> None:
    note = Box(0.0, 560.0, 800.0, 600.0)
    mark = CaptionShape(((300.0, 540.0), (360.0, 548.0)), False, False, ((200.0, 20.0),))
    (place,) = place_captions([mark], (800.0, 600.0), GAP, [note])
    assert not _overlap(place.box, note) and _inside(place.box, (800.0, 600.0))


def _crowd() -> list[CaptionPlace]:
    """Seven short marks in a tight row, each captioned wider than the row's spacing: most cannot be adjacent."""
    marks = [CaptionShape(((300.0 + 14 * i, 300.0), (306.0 + 14 * i, 306.0)), False, False, ((150.0, 20.0),))
             for i in range(7)]
    return place_captions(marks, (800.0, 600.0), GAP)


def test_leader_lines_only_for_far_captions_and_never_crossing() -> None:
    places = _crowd()
    leaders = [p.leader for p in places if p.leader is not None]
    assert leaders  # the layout is crowded enough to need them
    for i, a in enumerate(leaders):
        for b in leaders[i + 1:]:
            assert not _crosses(*a, *b)
    outlines = [_samples(((300.0 + 14 * i, 300.0), (306.0 + 14 * i, 306.0)), False) for i in range(7)]
    for i, p in enumerate(places):
        assert _inside(p.box, (800.0, 600.0))
        assert all(_distance(o, p.box) > 0 for o in outlines)  # crowded or not, a caption covers no mark
        assert all(not _overlap(p.box, q.box) for q in places[i + 1:])
        if p.leader is not None:  # a leader runs from the caption's edge to its own mark
            (x, y), (mx, _) = p.leader
            assert _distance(np.array([[x, y]]), p.box) < 1e-9
            assert 300.0 + 14 * i - 1e-9 <= mx <= 306.0 + 14 * i + 1e-9


# --- the demo's key images, as rendered -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_layouts(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, tuple[int, int], list[Mark],
                                                                            list[tuple[str, CaptionPlace]]]]:
    root: Path = tmp_path_factory.mktemp("captions")
    report, sources = build_report(load_case(write_demo_case(write_demo_study(root / "loops"), root)))
    captions, load = mark_captions(report), frame_loader(sources)
    out: list[Any] = []
    for key in report.key_images:
        marks = key_image_marks(report, key)
        if marks and all(m.points3d for m in marks):
            view = mpr_view(marks)
            shape = (view.size[1], view.size[0])
            marks = marks_on_view(marks, view)
            note = plane_caption(view, key.frame_number, report.valves.get(key.sop_instance_uid))
        else:
            ref = report.image(key.sop_instance_uid)
            assert ref is not None
            shape, note = load(ref, key.frame_number).shape[:2], ""
        out.append((key.id, shape, marks, key_image_layout(shape, marks, captions, note)))
    return out


def test_each_demo_caption_lies_nearest_its_own_mark(demo_layouts: list[Any]) -> None:
    multi = 0
    for key_id, (rows, columns), marks, layout in demo_layouts:
        samples = [_samples(m.points, m.type == "area") for m in marks]
        multi += len(marks) > 1
        for i, (_, place) in enumerate(layout):
            distances = [_distance(s, place.box) for s in samples]
            assert distances[i] == min(distances), (key_id, marks[i].id)
            assert all(d > 0 for d in distances), (key_id, marks[i].id)  # covers no mark
            assert _inside(place.box, (columns, rows)), (key_id, marks[i].id)
            assert all(not _overlap(place.box, other.box) for _, other in layout[i + 1:]), key_id
    assert multi >= 3  # inflow beats, VC + PISA, P1 + P3, both orifices


def test_demo_inflow_beat_captions_sit_over_their_own_beat(demo_layouts: list[Any]) -> None:
    (entry,) = [e for e in demo_layouts if {m.id for m in e[2]} == {"m_inflow1", "m_inflow2"}]
    _, _, marks, layout = entry
    spans = [(min(x for x, _ in m.points), max(x for x, _ in m.points)) for m in marks]
    for i, (text, place) in enumerate(layout):
        assert f"beat {marks[i].id[-1]}" in text
        own, other = spans[i], spans[1 - i]
        assert place.box.left < own[1] and own[0] < place.box.right
        assert not (place.box.left < other[1] and other[0] < place.box.right)
