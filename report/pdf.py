"""The planning report as PDF (A4 or Letter), laid out with QTextDocument and drawn page by page.

Page 1 is the one-page heart-team summary (``report.summary``, shrunk until it fits); the detail
pages follow, their sections listed once in :data:`DETAIL_SECTIONS`. ``summary.pdf`` is page 1 alone.
Every string that comes from DICOM or the user goes through :func:`esc` (``<b>X</b>`` prints
literally). The page header and footer (software version, case checksum, page x/y, anonymised
notice) are drawn on every page. Drawings use black, greys and hatching so a grey print reads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QMarginsF, QPoint, QPointF, QRectF, QSize, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QImage,
    QPageLayout,
    QPageSize,
    QPaintDevice,
    QPainter,
    QPdfWriter,
    QTextDocument,
)

from imaging.text import isolate
from measurements.concepts import QUANTITIES
from measurements.concepts import value_text as quantity_text
from planning.assessment import CRITERIA, SOURCES
from report.clipmap import clip_map_image
from report.compare_section import comparison_cells
from report.context_section import CONTEXT_NOTE, CONTEXT_TITLE, context_rows, context_table
from report.html_text import (
    STATUS_MARK,
    averaging,
    beats_once,
    esc,
    fmt_date,
    fmt_name,
    labelled,
    map_label,
    mm,
    printed,
    prior_text,
    signoff_text,
    table,
    unbroken,
    value_html,
)
from report.keyimages import measurement_plane
from report.model import CONTEXT_LABELS, Device, Jet, Measurement, Report
from report.qt import ensure_app
from report.summary import FITS, Fit, gradient_text, held_value, key_image_caption, mva_text, summary_body, summary_css

log = logging.getLogger(__name__)
PAGE_SIZES = {"A4": QPageSize.PageSizeId.A4, "Letter": QPageSize.PageSizeId.Letter}
DPI = 300
FOOTER_INCH = 0.25  # the footer band under the body of every page


def report_font(points: float) -> QFont:
    """DejaVu Sans without ligatures, so "fi" stays two letters when the PDF is read back as text."""
    font = QFont("DejaVu Sans")
    font.setPointSizeF(points)
    for tag in ("liga", "clig"):
        font.setFeature(QFont.Tag(tag), 0)
    return font


@dataclass(frozen=True, slots=True)
class PageSpec:
    """Paper and margins (mm) for one rendering."""

    paper: str = "A4"
    margin_mm: float = 15.0


_CSS = """
body { color: #000; }
h1 { font-size: 15pt; margin-bottom: 2pt; }
h2 { font-size: 11.5pt; margin-top: 10pt; margin-bottom: 3pt; border-bottom: 1px solid #000; }
h3 { font-size: 10pt; margin-top: 6pt; margin-bottom: 2pt; }
table.grid { border-collapse: collapse; }
table.grid th { background-color: #d9d9d9; font-weight: bold; text-align: left; border: 1px solid #555; }
table.grid td { border: 1px solid #888; vertical-align: top; }
table.kv td { vertical-align: top; }
td.k { font-weight: bold; color: #222; }
.note { color: #333; font-size: 8pt; }
.warn { font-style: italic; }
.box { background-color: #eeeeee; }
.status { font-weight: bold; }
"""


def _operator(r: Report) -> str:
    """The operator as the reader entered it (reporting), else as the clinical context names it."""
    return str((r.reporting or {}).get("operator") or "") or r.header.operator


def _header_html(r: Report, _page: Page) -> str:
    h = r.header
    rows = [
        ("Patient", esc(isolate(fmt_name(h.patient_name))) or "—", "Patient ID", esc(h.patient_id) or "—"),
        ("Birth date", esc(fmt_date(h.birth_date)) or "—", "Sex", esc(h.sex) or "—"),
        ("Study date", esc(fmt_date(h.study_date)) or "—", "Accession", esc(h.accession_number) or "—"),
        ("Operator", esc(_operator(r)) or "—", "Institution", esc(h.institution) or "—"),
        ("Study", esc(h.study_description) or "TEE", "Study UID", esc(h.study_instance_uid) or "—"),
    ]
    if r.comparison is not None:
        rows.append(("Prior study", esc(prior_text(r)), "Report", esc(signoff_text(r))))
    body = "".join(f'<tr><td class="k" width="14%">{a}</td><td width="36%">{b}</td>'
                   f'<td class="k" width="14%">{c}</td><td width="36%">{d}</td></tr>' for a, b, c, d in rows)
    parts = ["<h1>Redo-intervention planning report: details</h1>",
             '<p class="note">Residual / recurrent mitral regurgitation after transcatheter edge-to-edge repair '
             f"(TEE review). Created {esc(h.created)} with {esc(h.software)} {esc(h.software_version)}.</p>"]
    if h.anonymised:
        parts.append('<p class="box"><b>ANONYMISED EXPORT</b> — patient identifiers removed from every output '
                     "(DICOM: PS3.15 Basic Application Level Confidentiality Profile).</p>")
    parts.append(f'<table class="kv" width="100%" cellpadding="2">{body}</table>')
    if h.indication:
        parts.append(f"<p><b>Indication:</b> {esc(h.indication)}</p>")
    context = [f"{esc(label)}: <b>{esc(_context_value(r.context[key]))}</b>" for key, label in CONTEXT_LABELS.items()
               if r.context.get(key) not in (None, "")]
    if context:
        parts.append("<p><b>Clinical context:</b> " + " · ".join(context) + "</p>")
    return "".join(parts)


def top_level(r: Report) -> list[Measurement]:
    """The measurements not averaged into another one."""
    inner = {part.id for m in r.measurements if m.beats is not None for part in r.members(m)}
    return [m for m in r.measurements if m.id not in inner]


def grouped(r: Report) -> list[tuple[Measurement, int]]:
    """Every measurement once, each average followed by what it averages (depth 1, 2, ...) in trace order,
    placed where its first beat was measured; a row of the same traces that is not averaged follows the
    traces' averages: one trace's (a beat's duration) in trace order, then those over several (the heart rate)."""
    order = {m.id: n for n, m in enumerate(r.measurements)}
    marks = {k.id: n for n, k in enumerate(r.marks)}

    def in_trace_order(m: Measurement) -> tuple[int, int, int]:
        return min((marks.get(i, len(marks)) for i in m.source), default=len(marks)), m.beat or 0, order[m.id]

    def tree(m: Measurement, depth: int) -> list[tuple[Measurement, int]]:
        return [(m, depth), *(row for part in sorted(r.members(m), key=in_trace_order)
                              for row in tree(part, depth + 1))]

    trees = [tree(m, 0) for m in top_level(r)]
    start = {t[0][0].id: min(order[m.id] for m, _ in t) for t in trees}
    averages = [t[0][0] for t in trees if t[0][0].beats is not None]

    def place(t: list[tuple[Measurement, int]]) -> tuple[int, int, int, tuple[int, int, int]]:
        root = t[0][0]  # one trace's rows (by trace), then those over several traces
        homes = [start[a.id] for a in averages if root.beats is None and set(root.source) <= set(a.source)]
        return ((max(homes), 1, len(root.source), in_trace_order(root)) if homes
                else (start[root.id], 0, 0, in_trace_order(root)))

    return [row for t in sorted(trees, key=place) for row in t]


#: What a pressure half-time fit gives: a user's fit on a trace replaces the trace's own.
_FIT_QUANTITIES = ("pht", "deceleration_time", "mva_pht")


def row_label(r: Report, m: Measurement) -> str:
    """A measurement's label as printed: a user's PHT fit on a trace is named by its trace's label, as the
    trace's own rows are ("MV inflow CW, beat 1: pressure half-time (your fit)"); every other as labelled."""
    trace = r.mark(m.source[0]) if len(m.source) == 1 else None
    if (trace is None or trace.type != "doppler_trace" or not trace.label or m.quantity not in _FIT_QUANTITIES
            or m.id.startswith(f"{trace.id}.")):
        return m.label
    return f"{trace.label}: {QUANTITIES[m.quantity].label} (your fit)"


def marks_text(r: Report, m: Measurement) -> str:
    """The marks a measurement was made on, by their labels (never their ids, which stay in report.json)."""
    return beats_once([mark.label or "unlabelled mark" for mark in (r.mark(i) for i in m.source) if mark is not None])


def _context_value(value: object) -> str:
    return {True: "yes", False: "no"}.get(value, str(value)) if isinstance(value, bool) else str(value)


def placed_from(item: Device | Jet) -> str:
    """How the clip map places a device or jet: "placed from 3D (en-face)" when its volume puts it there
    (``planning.enface``), "tied to 3D, volume not aligned: schematic place" when that volume has no
    aligned annulus, "" when it is placed schematically from its segment."""
    if not item.tied_3d:
        return ""
    return "placed from 3D (en-face)" if item.map_ts is not None else "tied to 3D, volume not aligned: schematic place"


def _with_placement(cell: str, item: Device | Jet) -> str:
    """A table cell (escaped HTML) with ``placed_from`` under it, as a note."""
    placed = placed_from(item)
    return cell + (f'<br><span class="note">{esc(placed)}</span>' if placed else "")


def _devices_html(r: Report, page: Page) -> str:
    rows = [[esc(map_label(d.id)), esc(d.kind), esc(d.model),
             _with_placement(esc(" ".join(p for p in (d.segment, d.position) if p)), d),
             esc(d.attachment), esc(d.notes)] for d in r.devices]
    devices = table(["Device", "System", "Model", "Position", "Attachment", "Notes"], rows,
                    [9, 16, 13, 15, 17, 30]) if rows else "<p>No prior device recorded.</p>"
    return (devices + f'<p align="center"><img src="mitraplan:clipmap" width="{int(page.width_px * 0.55)}"></p>'
            '<p class="note" align="center">Surgical (left-atrial) view: dark bars = devices, hatched = residual '
            "jets, AL = anterolateral, PM = posteromedial commissure. Schematic, not to scale.</p>")


def _jets_html(r: Report, _page: Page) -> str:
    rows = [[esc(map_label(j.id)), _with_placement(esc(j.location), j), esc(j.segment),
             "—" if j.vena_contracta_cm is None else quantity_text("vena_contracta", j.vena_contracta_cm),
             "—" if j.eroa_cm2 is None else quantity_text("eroa_pisa", j.eroa_cm2),
             esc(j.grade) or "—", esc(j.notes)] for j in r.jets]
    jets = table(["Jet", "Location", "Segment", "Vena contracta", "EROA (PISA)", "Grade (clinician)", "Notes"],
                 rows, [7, 22, 11, 13, 13, 14, 20]) if rows else "<p>No residual jet recorded.</p>"
    a = r.assessment
    grade = esc(a.mr_grade) if a.mr_grade else "not graded"
    return (f"{jets}"
            f"<p><b>Residual MR grade:</b> {grade} <span class=\"note\">({esc(labelled(r, a.mr_grade_basis))}; "
            "per-parameter grades in the measurements table)</span></p>")


def _leaflets_html(r: Report, _page: Page) -> str:
    lf = r.leaflets
    rows = [[esc(s.segment), "—" if s.length_cm is None else mm(s.length_cm),
             (esc(s.calcification) or "—") + (", in grasp zone" if s.calcification_in_grasp_zone else ""),
             esc(labelled(r, s.grasped_by)) or "free", esc(s.notes)] for s in lf.segments]
    parts = []
    parts.append(table(["Segment", "Free length", "Calcification", "Grasped by", "Notes"], rows,
                        [12, 15, 18, 15, 40]) if rows else "<p>No segment measured.</p>")
    if lf.spaces:
        parts.append(table(["Space beside devices", "Kind", "Distance"],
                            [[esc(labelled(r, s.label)), esc(s.kind) or "—", mm(s.distance_cm)] for s in lf.spaces],
                            [60, 20, 20]))
    parts.append(f"<p><b>Mitral annular calcification (MAC):</b> {esc(lf.mac) or 'not recorded'}</p>")
    parts.append(f"<p><b>Leaflet tear or perforation:</b> {'YES' if lf.tear_or_perforation else 'no'}"
                 + (f" — {esc(lf.notes)}" if lf.notes else "") + "</p>")
    redo = r.assessment.redo
    space = {True: "sufficient", False: "insufficient", None: "not measured"}[redo.space_ok]
    parts.append(f"<p><b>Graspable posterior leaflet:</b> {esc(redo.leaflet)}; <b>space beside devices:</b> "
                 f"{space}.</p>")
    return "".join(parts)


def _stenosis_html(r: Report, _page: Page) -> str:
    quantities = ("mean_gradient", "peak_gradient", "heart_rate", "mva_planimetry", "mva_pht", "mva_continuity")
    rows = []
    for q in quantities:
        m = r.selected(q) or (held_value(r, q) if q == "mva_planimetry" else None)
        if m is None:
            continue
        grades = "; ".join(f"{esc(g.label)} ({esc(g.scheme)})" for g in m.grades) or "—"
        # the value as page 1 prints it: the gradient with beats, rhythm and HR; an MVA with its orifice count
        shown = gradient_text(r, m) if q == "mean_gradient" else mva_text(r, q) if q == "mva_planimetry" \
            else value_html(r, m)
        rows.append([esc(row_label(r, m)), shown, grades if not m.held else "— (held, not graded)"])
    s = r.assessment.stenosis
    verdict = {True: "criteria for significant iatrogenic stenosis MET", False:
               "no significant iatrogenic stenosis by MVARC criteria", None: "not assessable (no gradient or area)"}
    parts = [table(["Parameter", "Value", "Grade"], rows, [38, 30, 32]) if rows else "<p>No gradient or area.</p>",
             f"<p><b>Current stenosis:</b> {esc(s.statement) or verdict[s.barrier]}.</p>"]
    items = "".join(f"<li>{esc(_finding_text(r, f.text))} <span class=\"note\">[{esc(', '.join(f.sources))}; "
                    f"{esc(f.evidence.value)}]</span>{_quoted_from(r, f.measurements)}</li>" for f in s.findings)
    if items:
        parts.append(f"<ul>{items}</ul>")
    if s.projected_mva_cm2 is not None:
        loss = CRITERIA["mva_loss_per_device"].threshold or 0.0
        parts.append(f'<p class="note">Projection: one more device occluding {loss:.0%} of the planimetered area '
                     f"would leave about {esc(quantity_text('mva_planimetry', s.projected_mva_cm2))} (app heuristic).</p>")
    for w in s.warnings:
        parts.append(f'<p class="warn">⚠ {esc(_finding_text(r, w))}</p>')
    return "".join(parts)


def _measurement_row(r: Report, m: Measurement, depth: int) -> list[str]:
    """One row of the measurements table; a beat (or a trace) averaged into the row above is indented under it."""
    grades = "<br>".join(f"{esc(printed(g.label))} <span class=\"note\">({esc(g.scheme)})</span>" for g in m.grades)
    warns = "<br>".join(f"⚠ {esc(_finding_text(r, w))}" for w in m.warnings)
    shown = esc(row_label(r, m))
    label = shown if not depth else f'{"&nbsp;" * 4 * depth}└ <span class="note">{shown}</span>'
    value = f"<b>{unbroken(m.text)}</b>" if not depth else unbroken(m.text)
    notes = averaging(r, m)
    if notes:
        value += f'<br><span class="note">{esc(notes)}</span>'
    method = "beat average" if m.beats is not None else esc(printed(m.method)) or "—"
    plane = plane_words(r, m)
    if plane:
        method += f'<br><span class="note">{esc(plane)}</span>'
    return [label, value, method, grades or "—", warns, f'<span class="note">{esc(marks_text(r, m))}</span>']


def plane_words(r: Report, m: Measurement) -> str:
    """The MPR plane a measurement on 3D marks was made in, in words relative to its volume's aligned
    annulus (``Report.valves``; "no annulus alignment" without one); "" for a measurement on 2D marks."""
    first = r.mark(m.source[0]) if m.source else None
    if first is None:
        return ""
    plane = measurement_plane(r, m, r.valves.get(first.sop_instance_uid))
    return "" if plane is None else plane.words


def _measurements_html(r: Report, _page: Page) -> str:
    rows = [_measurement_row(r, m, depth) for m, depth in grouped(r)]
    parts = []
    parts.append(table(["Measurement", "Value", "Method", "Grade", "Warnings", "Marks"], rows,
                        [21, 15, 14, 15, 21, 14]) if rows else "<p>No measurement.</p>")
    for e in r.errors:
        parts.append(f'<p class="warn">Not computed: {esc(_finding_text(r, e))}</p>')
    return "".join(parts)


def _key_images_html(r: Report, page: Page) -> str:
    """The key images that have a picture, two per row, captioned by what they show (never a mark id)."""
    shown = [k for k in r.key_images if k.id in page.key_images]
    if not shown:
        return ""
    cells = []
    for k in shown:
        cells.append(f'<td width="50%" align="center"><img src="mitraplan:key/{esc(k.id)}" '
                     f'width="{int(page.width_px * 0.42)}"><br>'
                     f'<span class="note">{esc(key_image_caption(k))}, frame {k.frame_number}</span></td>')
    rows = "".join("<tr>" + "".join(cells[i:i + 2]) + "</tr>" for i in range(0, len(cells), 2))
    return f'<table width="100%" cellpadding="4">{rows}</table>'


def _quoted_from(r: Report, ids: tuple[str, ...]) -> str:
    """Which measurement rows a finding's values are (section 5 lists them), e.g. "values: Heart rate"."""
    labels = [row_label(r, m) for m in (r.by_id(i) for i in ids) if m is not None]
    return f'<br><span class="note">values: {esc("; ".join(labels))}</span>' if labels else ""


def _finding_text(r: Report, text: str) -> str:
    """A decision-support or warning text as printed: devices and jets by their clip-map labels, no
    developer reference."""
    return labelled(r, printed(text))


def _options_html(r: Report, _page: Page) -> str:
    a = r.assessment
    parts = [f'<p class="box"><b>{esc(a.disclaimer)}</b></p>']
    if a.ct_recommended:
        parts.append("<p>CT of the mitral annulus and predicted neo-LVOT is prompted (space, injury or stenosis "
                     "argues against a further device).</p>")
    used: set[str] = set()
    for o in a.options:
        used.update(o.sources)
        parts.append(f'<h3>{esc(o.name)}</h3><p><span class="status">{STATUS_MARK[o.status]} {esc(_finding_text(r, o.summary))}'
                     f"</span><br><span class=\"note\">Evidence for this option: {esc(o.evidence.value)} "
                     f"[{esc(', '.join(o.sources))}]</span></p>")
        rows = []
        for label, findings in (("For", o.favouring), ("Against", o.against), ("Shown", o.shown)):
            for f in findings:
                used.update(f.sources)
                rows.append([label, esc(_finding_text(r, f.text)) + _quoted_from(r, f.measurements),
                             f"{esc(f.evidence.value)} [{esc(', '.join(f.sources))}]"])
        if rows:
            parts.append(table(["", "Finding", "Evidence"], rows, [10, 65, 25]) + "<p></p>")
    refs = "".join(f"<li>{esc(s)}: {esc(SOURCES[s])}</li>" for s in sorted(used, key=lambda x: int(x[1:]))
                   if s in SOURCES)
    parts.append(f'<h3>Sources</h3><ul class="note">{refs}</ul>')
    return "".join(parts)


def _context_html(r: Report, _page: Page) -> str:
    """The CT and haemodynamic values entered with the case (``report.context_section``), each with its
    source and what the rules do with it; nothing when none was entered."""
    headers, rows, widths = context_table(context_rows(r.context))
    if not rows:
        return ""
    return (f'<p class="note">{esc(printed(CONTEXT_NOTE))}</p>'
            + table(headers, [[esc(_finding_text(r, c)) for c in row] for row in rows], widths))


def _notes_html(r: Report, _page: Page) -> str:
    return f"<p><b>Notes:</b> {esc(r.notes)}</p>" if r.notes else ""  # one block: never a lone heading


def _comparison_html(r: Report, _page: Page) -> str:
    """The case against its prior (``report.compare_section``): Prior / Current / Change per quantity."""
    section = r.comparison
    if section is None:
        return ""
    intro = f"<p><b>Prior study:</b> {esc(prior_text(r))}.</p>"
    if section.get("error"):
        return intro + f'<p class="warn">Not compared: {esc(section["error"])}</p>'
    rows = []
    for row in section["rows"]:
        cells = [esc(labelled(r, c)) for c in comparison_cells(row)]
        if row.get("meaningful") and row.get("direction") not in ("unchanged", "not comparable"):
            cells[-1] = f"<b>{cells[-1]}</b>"  # a meaningful change stands out
        rows.append(cells)
    return intro + (table(["Quantity", "Prior", "Current", "Change", "Direction"], rows, [34, 18, 18, 14, 16])
                    if rows else "<p>Nothing measured in both studies.</p>") + \
        '<p class="note">Change = current − prior, as printed; "unchanged" = below the change criterion of the ' \
        "quantity.</p>"


def _reporting_html(r: Report, _page: Page) -> str:
    """Reader, operator, impression, recommendation and the sign-off status (``report.reporting``)."""
    section = r.reporting
    if section is None:
        return f"<p>{esc(signoff_text(r))}.</p>" if r.header.anonymised else "<p>Not signed.</p>"
    amends = section.get("amends")
    rows = [("Reader", esc(section.get("reader")) or "—"), ("Operator", esc(_operator(r)) or "—"),
            ("Impression", esc(section.get("impression")) or "—"),
            ("Recommendation", esc(section.get("recommendation")) or "—"),
            ("Sign-off", f"<b>{esc(signoff_text(r))}</b>")]
    if amends:
        at = str(amends.get("signed_at", "")).replace("T", " ", 1)
        rows.append(("Amends", f"the version signed by {esc(amends.get('signed_by'))} at {esc(at)}"
                               f" (case sha256 {esc(str(amends.get('case_checksum', ''))[:16])}…)"))
    body = "".join(f'<tr><td class="k" width="22%">{k}</td><td width="78%">{v}</td></tr>' for k, v in rows)
    return f'<table class="grid" width="100%" cellpadding="3" cellspacing="0">{body}</table>'


@dataclass(frozen=True, slots=True)
class Page:
    """What a section may need of the page: its width (CSS px) and the key images that have a picture."""

    width_px: int
    key_images: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Section:
    """A detail-page section: numbered when titled, left out (and not numbered) when its body is empty;
    ``new_page``: it starts a page (never a lone heading)."""

    title: str
    body: Callable[[Report, Page], str]
    new_page: bool = False


#: The detail pages, in order: a new section is one line here (untitled entries are not numbered).
DETAIL_SECTIONS: tuple[Section, ...] = (
    Section("", _header_html),
    Section("Prior devices and clip map", _devices_html),
    Section("Residual mitral regurgitation", _jets_html),
    Section("Residual leaflet anatomy", _leaflets_html),
    Section("Stenosis assessment", _stenosis_html),
    Section("Measurements", _measurements_html),
    Section("Key images", _key_images_html),
    Section("", _notes_html),
    Section("Decision support", _options_html, new_page=True),
    Section(CONTEXT_TITLE, _context_html),
    Section("Comparison with the prior study", _comparison_html),
    Section("Reporting and sign-off", _reporting_html),
)


def rendered(report: Report, page: Page) -> list[tuple[int, Section, str]]:
    """The sections the detail pages print for ``report``, each with its printed number (0 for an untitled
    one) and body: the titled sections with a body are numbered 1, 2, ... in turn."""
    out, number = [], 0
    for section in DETAIL_SECTIONS:
        body = section.body(report, page)
        if body:
            number += bool(section.title)
            out.append((number if section.title else 0, section, body))
    return out


def section_number(title: str, report: Report | None = None, key_images: frozenset[str] = frozenset()) -> int:
    """The number the detail pages of ``report`` (with pictures for ``key_images``) print before the section
    ``title``; without a report, its number when every section prints. ValueError: not a section, or
    not printed for ``report``."""
    if report is None:
        return [s.title for s in DETAIL_SECTIONS if s.title].index(title) + 1
    numbers = {s.title: n for n, s, _ in rendered(report, Page(0, key_images)) if s.title}
    if title not in numbers:
        raise ValueError(f"section {title!r} is not printed for this report")
    return numbers[title]


def detail_body(report: Report, page: Page) -> str:
    """The detail pages' HTML body: each printed section of :data:`DETAIL_SECTIONS` under its numbered heading."""
    parts = []
    for number, section, body in rendered(report, page):
        if section.title:
            style = ' style="page-break-before: always"' if section.new_page else ""
            parts.append(f"<h2{style}>{number}. {esc(section.title)}</h2>")
        parts.append(body)
    return "".join(parts)


def detail_html(report: Report, page_width_px: int, key_images: frozenset[str] = frozenset()) -> str:
    """The detail pages as the HTML subset QTextDocument renders."""
    return (f"<html><head><style>{_CSS}</style></head><body>" + detail_body(report, Page(page_width_px, key_images))
            + "</body></html>")


def report_html(report: Report, page_width_px: int, key_images: frozenset[str] = frozenset()) -> str:
    """The whole report's text as one HTML document, summary page first (what the PDF prints, for
    readers and tests; the PDF lays the summary out on its own page, :func:`write_pdf`)."""
    summary = summary_body(report, page_width_px, key_images, FITS[0],
                           section_number("Decision support", report, key_images))
    return (f"<html><head><style>{_CSS}</style></head><body>" + summary
            + detail_body(report, Page(page_width_px, key_images)) + "</body></html>")


def key_image_pictures(report: Report, key_images: dict[str, QImage] | None = None) -> dict[str, QImage]:
    """The picture of each key image: the one given, else its PNG on disk; key images without one are left out."""
    out = {}
    for k in report.key_images:
        image = (key_images or {}).get(k.id)
        if image is None and k.png and Path(k.png).is_file():
            image = QImage(k.png)
        if image is not None and not image.isNull():
            out[k.id] = image
    return out


def _document(report: Report, points: float, pictures: dict[str, QImage], html: str) -> QTextDocument:
    """A QTextDocument of ``html`` with the clip map and key images attached as resources."""
    ensure_app()
    doc = QTextDocument()
    doc.setDefaultFont(report_font(points))
    doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl("mitraplan:clipmap"),
                    clip_map_image(report.devices, report.jets))
    for key_id, image in pictures.items():
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(f"mitraplan:key/{key_id}"), image)
    doc.setHtml(html)
    return doc


def build_document(report: Report, width_px: float, key_images: dict[str, QImage] | None = None) -> QTextDocument:
    """A QTextDocument of the detail pages laid out ``width_px`` wide (resources attached)."""
    pictures = key_image_pictures(report, key_images)
    return _document(report, 9, pictures, detail_html(report, int(width_px), frozenset(pictures)))


def build_summary(report: Report, width_px: float, key_images: dict[str, QImage] | None = None,
                  fit: Fit = FITS[0], decision_section: int | None = None) -> QTextDocument:
    """A QTextDocument of the summary page laid out ``width_px`` wide in the type and image count of ``fit``;
    ``decision_section``: the number of the detail pages' Decision support section when the caller has it
    (finding it renders every section's body)."""
    pictures = key_image_pictures(report, key_images)
    if decision_section is None:
        decision_section = section_number("Decision support", report, frozenset(pictures))
    html = (f"<html><head><style>{summary_css(fit.points)}</style></head><body>"
            + summary_body(report, int(width_px), frozenset(pictures), fit, decision_section)
            + "</body></html>")
    return _document(report, fit.points, pictures, html)


#: Qt scales HTML image sizes by the paint device's DPI over this reference DPI.
_CSS_DPI = 96


def _footer_text(report: Report, page: int, pages: int) -> str:
    h = report.header
    checksum = f"case sha256 {h.case_sha256[:16]}…" if h.case_sha256 else "case not saved"
    anon = " · ANONYMISED" if h.anonymised else ""
    return (f"{h.software} {h.software_version} · {checksum}{anon} · decision support, the heart team decides"
            f" · page {page} of {pages}")


def _page_layout(spec: PageSpec) -> QPageLayout:
    if spec.paper not in PAGE_SIZES:
        raise ValueError(f"paper must be one of {', '.join(PAGE_SIZES)}, not {spec.paper!r}")
    m = spec.margin_mm
    return QPageLayout(QPageSize(PAGE_SIZES[spec.paper]), QPageLayout.Orientation.Portrait, QMarginsF(m, m, m, m),
                       QPageLayout.Unit.Millimeter)


@dataclass(frozen=True, slots=True)
class _Pages:
    """The report laid out for one paint device: the summary page, the detail pages (None for the
    summary alone) and the page geometry in device pixels."""

    summary: QTextDocument
    detail: QTextDocument | None
    width: float
    body_h: float
    footer_h: float

    @property
    def count(self) -> int:
        return 1 + (self.detail.pageCount() if self.detail is not None else 0)


def _paged(doc: QTextDocument, device: QPaintDevice, width: float, body_h: float) -> QTextDocument:
    doc.documentLayout().setPaintDevice(device)
    doc.setPageSize(QSizeF(width, body_h))
    return doc


def fitted_summary(report: Report, device: QPaintDevice, width: float, body_h: float, css_width: float,
                   key_images: dict[str, QImage] | None) -> tuple[QTextDocument, Fit | None]:
    """The summary in the largest type of :data:`FITS` that fits one page, and that fit; (the smallest,
    None) when none does: then only its first page is printed, and the loss is logged."""
    decision_section = section_number("Decision support", report, frozenset(key_image_pictures(report, key_images)))
    for fit in FITS:
        doc = _paged(build_summary(report, css_width, key_images, fit, decision_section), device, width, body_h)
        if doc.pageCount() == 1:
            return doc, fit
    log.warning("the summary does not fit one page even in %s pt type: its end is cut", FITS[-1].points)
    return doc, None


def summary_fit(report: Report, spec: PageSpec = PageSpec(), key_images: dict[str, QImage] | None = None
                ) -> Fit | None:
    """The type and image count the summary page is printed in on ``spec`` (None: it does not fit one page)."""
    ensure_app()
    layout = _page_layout(spec)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)  # never painted on: it gives the layout the PDF's metrics
    writer.setResolution(DPI)
    writer.setPageLayout(layout)
    paint = layout.paintRectPixels(DPI)
    doc, fit = fitted_summary(report, writer, paint.width(), paint.height() - DPI * FOOTER_INCH,
                              paint.width() * _CSS_DPI / DPI, key_images)
    del doc
    del writer
    buffer.close()
    return fit


def _lay_out(report: Report, device: QPaintDevice, layout: QPageLayout, dpi: int,
             key_images: dict[str, QImage] | None, summary_only: bool = False) -> _Pages:
    paint = layout.paintRectPixels(dpi)
    footer_h = dpi * FOOTER_INCH
    width, body_h, css_width = paint.width(), paint.height() - footer_h, paint.width() * _CSS_DPI / dpi
    summary, _ = fitted_summary(report, device, width, body_h, css_width, key_images)
    detail = None if summary_only else _paged(build_document(report, css_width, key_images), device, width, body_h)
    return _Pages(summary, detail, width, body_h, footer_h)


def _paint_page(painter: QPainter, pages: _Pages, report: Report, page: int) -> None:
    """Page ``page`` (0-based: the summary, then the detail pages), then the footer, with the origin at
    the printable area."""
    width, body_h, footer_h = pages.width, pages.body_h, pages.footer_h
    doc, at = (pages.summary, 0) if page == 0 or pages.detail is None else (pages.detail, page - 1)
    painter.save()
    painter.translate(0, -at * body_h)
    ctx = QAbstractTextDocumentLayout.PaintContext()
    ctx.clip = QRectF(0, at * body_h, width, body_h)
    painter.setClipRect(ctx.clip)
    doc.documentLayout().draw(painter, ctx)
    painter.restore()
    painter.setFont(report_font(7))
    painter.setPen(QColor("#000000"))
    y = body_h + footer_h * 0.2
    painter.drawLine(QPointF(0, y), QPointF(width, y))
    painter.drawText(QRectF(0, body_h + footer_h * 0.25, width, footer_h * 0.75),
                     Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                     _footer_text(report, page + 1, pages.count))


def write_pdf(report: Report, path: Path, spec: PageSpec = PageSpec(),
              key_images: dict[str, QImage] | None = None, summary_only: bool = False) -> Path:
    """Render ``report`` to ``path`` on ``spec.paper`` (A4 or Letter): the summary page, then the detail
    pages (``summary_only``: the summary page alone, summary.pdf); returns ``path``."""
    ensure_app()
    layout = _page_layout(spec)
    writer = QPdfWriter(str(path))
    writer.setResolution(DPI)
    writer.setTitle("MitraPlan heart-team summary" if summary_only else "MitraPlan redo-intervention planning report")
    writer.setCreator(f"{report.header.software} {report.header.software_version}")
    writer.setPageLayout(layout)
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"{path}: cannot open the PDF for writing")
    try:
        pages = _lay_out(report, writer, layout, DPI, key_images, summary_only)
        for page in range(pages.count):
            if page:
                writer.newPage()
            _paint_page(painter, pages, report, page)
    finally:
        painter.end()
    return path


def write_summary_pdf(report: Report, path: Path, spec: PageSpec = PageSpec(),
                      key_images: dict[str, QImage] | None = None) -> Path:
    """The one-page heart-team summary alone (summary.pdf): page 1 of :func:`write_pdf`."""
    return write_pdf(report, path, spec, key_images, summary_only=True)


def render_pages(report: Report, spec: PageSpec = PageSpec(), dpi: int = 96,
                 key_images: dict[str, QImage] | None = None) -> list[QImage]:
    """The pages exactly as in the PDF, as images at ``dpi`` (for the on-screen preview).

    The document is laid out as :func:`write_pdf` lays it out (a PDF paint device at :data:`DPI`), then
    each page is painted scaled to ``dpi``: laid out for the screen instead, font metrics and image
    sizes round differently and the preview could break pages elsewhere (and count one page more or less).
    """
    ensure_app()
    layout = _page_layout(spec)
    full, paint = layout.fullRectPixels(dpi), layout.paintRectPixels(DPI)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)  # never painted on: it only gives the layout the PDF's metrics
    writer.setResolution(DPI)
    writer.setPageLayout(layout)
    pages = _lay_out(report, writer, layout, DPI, key_images)
    try:
        return [_page_image(pages, report, page, full.size(), paint.topLeft(), dpi) for page in range(pages.count)]
    finally:  # the document (laid out on the writer) goes first, then the writer, then its buffer
        del pages
        del writer
        buffer.close()


def _page_image(pages: _Pages, report: Report, page: int, size: QSize, origin: QPointF | QPoint, dpi: int) -> QImage:
    """Page ``page`` painted at ``dpi`` from a layout made at :data:`DPI` (white paper, the footer included)."""
    image = QImage(size, QImage.Format.Format_RGB32)
    dots_per_metre = round(dpi / 0.0254)
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.scale(dpi / DPI, dpi / DPI)
    painter.translate(origin)
    _paint_page(painter, pages, report, page)
    painter.end()
    return image
