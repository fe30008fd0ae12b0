"""The demo case (demo.case over demo.phantom), optionally changed, and readers of its outputs.

Readers: the HTML the PDF renders as (section → table rows of cell texts, plain text), and every NUM of a
DICOM SR with the codes under it.
"""

from __future__ import annotations

from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pydicom

from demo.case import build_demo_case
from demo.phantom import write_demo_study
from imaging.loop import read_info
from planning.case import Case, save_case


def scaled_trace(case: Case, mark_id: str, factor: float) -> None:
    """Scale the velocities of a Doppler trace mark by ``factor`` (its times unchanged), in place."""
    mark = case.mark(mark_id)
    assert mark is not None
    path = next(Path(i["path"]) for i in case.images if i["sop_instance_uid"] == mark.sop_instance_uid)
    path = path if path.is_absolute() else Path(case.path or ".").parent / path
    region = read_info(path).regions[mark.region]
    points = []
    for x, y in mark.points:
        t, v = region.to_physical(x, y)
        points.append(region.to_image(t, v * factor))
    case.marks[case.marks.index(mark)] = replace(mark, points=tuple(points))


def write_demo(root: Path, *, beat2_scale: float = 1.0, pisa_radius_px: float | None = None,
               aliasing_m_s: float | None = None) -> Path:
    """Write the demo study and case under ``root``; ``beat2_scale`` scales the second inflow beat's
    velocities, ``pisa_radius_px`` makes the PISA radius that many pixels long (straight down from the
    jet neck), ``aliasing_m_s`` sets the PISA calculation's aliasing velocity. Returns the case path."""
    study = write_demo_study(root / "loops")
    path = root / "demo.mitraplan.json"
    case = build_demo_case(study, path)
    if beat2_scale != 1.0:
        scaled_trace(case, "m_inflow2", beat2_scale)
    if pisa_radius_px is not None:
        mark = case.mark("m_pisa_r")
        assert mark is not None
        (x, y), _ = mark.points
        case.marks[case.marks.index(mark)] = replace(mark, points=((x, y), (x, y + pisa_radius_px)))
    if aliasing_m_s is not None:
        case.calculations = [{**c, "aliasing_velocity_m_s": aliasing_m_s} if c["type"] == "pisa" else c
                             for c in case.calculations]
    save_case(case, path)
    return path


class _Tables(HTMLParser):
    """Collects (section heading, [row cell texts]) from report HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.section = ""
        self.rows: list[tuple[str, list[str]]] = []
        self._text: list[str] | None = None
        self._cells: list[str] | None = None
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2" or (tag == "p" and ("class", "section") in attrs):  # the summary's headings are paragraphs
            self._in_h2, self.section = True, ""
        elif tag == "tr":
            self._cells = []
        elif tag in ("td", "th"):
            self._text = []
        elif tag == "br" and self._text is not None:
            self._text.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h2", "p"):
            self._in_h2 = False
        elif tag in ("td", "th") and self._text is not None and self._cells is not None:
            self._cells.append(" ".join("".join(self._text).split()))
            self._text = None
        elif tag == "tr" and self._cells is not None:
            self.rows.append((self.section, self._cells))
            self._cells = None

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.section += data
        if self._text is not None:
            self._text.append(data)


def html_rows(html: str) -> list[tuple[str, list[str]]]:
    """Every table row of the report HTML with the heading of its section ("Residual MR and stenosis", "5. Measurements")."""
    parser = _Tables()
    parser.feed(html)
    return parser.rows


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(" ")  # cells, rows and line breaks never run into each other


def html_text(html: str) -> str:
    """The report HTML as plain text (cells kept apart), whitespace collapsed; the style sheet left out."""
    parser = _Text()
    parser.feed(html.split("</style>", 1)[-1])
    return " ".join("".join(parser.parts).split())


def sr_nums(path: Path) -> list[tuple[str, float, list[str]]]:
    """Every NUM of an SR: (concept code, value, codes of the coded items under it: method, flow direction,
    derivation, selection status...)."""
    out: list[tuple[str, float, list[str]]] = []

    def walk(items: Any) -> None:
        for item in items:
            if item.ValueType == "NUM" and "MeasuredValueSequence" in item:
                codes = [str(c.ConceptCodeSequence[0].CodeValue) for c in item.get("ContentSequence", [])
                         if c.ValueType == "CODE"]
                out.append((str(item.ConceptNameCodeSequence[0].CodeValue),
                            float(item.MeasuredValueSequence[0].NumericValue), codes))
            if "ContentSequence" in item:
                walk(item.ContentSequence)

    walk(pydicom.dcmread(path).ContentSequence)
    return out
