"""The planning report as PDF (A4 or Letter), laid out with QTextDocument and drawn page by page.

Every string that comes from DICOM or the user goes through :func:`esc` (``<b>X</b>`` prints
literally). The page header and footer (software version, case checksum, page x/y, anonymised
notice) are drawn on every page. Drawings use black, greys and hatching so a grey print reads.
"""

from __future__ import annotations

import html
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
from measurements.concepts import round_half_up
from measurements.concepts import value_text as quantity_text
from planning.assessment import CRITERIA, SOURCES, Status
from report.clipmap import clip_map_image
from report.model import CONTEXT_LABELS, Measurement, Report
from report.qt import ensure_app

PAGE_SIZES = {"A4": QPageSize.PageSizeId.A4, "Letter": QPageSize.PageSizeId.Letter}
DPI = 300
_STATUS_MARK = {Status.FAVOURED: "✔✔", Status.POSSIBLE: "✔", Status.CONSIDER: "?",
                Status.DISFAVOURED: "✘", Status.NOT_ASSESSABLE: "–"}


def report_font(points: float) -> QFont:
    """DejaVu Sans without ligatures, so "fi" stays two letters when the PDF is read back as text."""
    font = QFont("DejaVu Sans")
    font.setPointSizeF(points)
    for tag in ("liga", "clig"):
        font.setFeature(QFont.Tag(tag), 0)
    return font


def esc(value: object) -> str:
    """HTML-escape any user or DICOM text (quotes too)."""
    return html.escape("" if value is None else str(value), quote=True)


def fmt_date(yyyymmdd: str) -> str:
    """``20240131`` → ``2024-01-31``; anything else unchanged."""
    d = yyyymmdd.strip()
    return f"{d[:4]}-{d[4:6]}-{d[6:8]}" if len(d) == 8 and d.isdigit() else d


def fmt_name(dicom_name: str) -> str:
    """``Doe^Jane`` → ``Doe, Jane`` (components as entered)."""
    parts = [p for p in dicom_name.split("^") if p]
    return ", ".join(parts[:2]) + (" " + " ".join(parts[2:]) if len(parts) > 2 else "")


def averaging(r: Report, m: Measurement) -> str:
    """How an average was made: "mean of 3 beats, SD 0.1; HR 72 bpm" ("" for a value that is not an average)."""
    hr = r.heart_rate_of(m) if m.beats is not None else None
    return "; ".join(n for n in (m.averaged, f"HR {hr.text}" if hr else "") if n)


def value_html(r: Report, m: Measurement) -> str:
    """The printed value with how it was averaged: "6.6 mmHg (mean of 3 beats, SD 0.1; HR 72 bpm)"."""
    notes = averaging(r, m)
    return _unbroken(m.text) + (f" ({esc(notes)})" if notes else "")


def _unbroken(text: str) -> str:
    """Escaped, with the space between number and unit kept on one line."""
    return esc(text).replace(" ", "&nbsp;")


def _mm(cm: float) -> str:
    """A length in cm printed in mm at 0.1 mm (the cm value's reporting precision, 0.01 cm)."""
    return f"{round_half_up(cm * 10, '0.1')} mm"


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


def _table(headers: list[str], rows: list[list[str]], widths: list[int] | None = None) -> str:
    head = "".join(f'<th width="{widths[i]}%">{h}</th>' if widths else f"<th>{h}</th>"
                   for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="grid" width="100%" cellpadding="3" cellspacing="0"><tr>{head}</tr>{body}</table>'


def _header_html(r: Report) -> str:
    h = r.header
    rows = [
        ("Patient", esc(isolate(fmt_name(h.patient_name))) or "—", "Patient ID", esc(h.patient_id) or "—"),
        ("Birth date", esc(fmt_date(h.birth_date)) or "—", "Sex", esc(h.sex) or "—"),
        ("Study date", esc(fmt_date(h.study_date)) or "—", "Accession", esc(h.accession_number) or "—"),
        ("Operator", esc(h.operator) or "—", "Institution", esc(h.institution) or "—"),
        ("Study", esc(h.study_description) or "TEE", "Study UID", esc(h.study_instance_uid) or "—"),
    ]
    body = "".join(f'<tr><td class="k" width="14%">{a}</td><td width="36%">{b}</td>'
                   f'<td class="k" width="14%">{c}</td><td width="36%">{d}</td></tr>' for a, b, c, d in rows)
    parts = ["<h1>Redo-intervention planning report</h1>",
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


def _summary_html(r: Report) -> str:
    """The numbers and statuses a heart team looks at first."""
    a = r.assessment
    mg, hr, mva = r.selected("mean_gradient"), r.selected("heart_rate"), r.selected("mva_planimetry")
    notes = "; ".join(n for n in (mg.averaged if mg else "", f"HR {hr.text}" if hr else "") if n)
    gradient = "not measured" if mg is None else _unbroken(mg.text) + (f" ({esc(notes)})" if notes else "")
    barrier = {True: "significant iatrogenic stenosis (MVARC)", False: "no significant stenosis (MVARC)",
               None: "not assessable"}[a.stenosis.barrier]
    space = {True: "sufficient", False: "insufficient", None: "not measured"}[a.redo.space_ok]
    rows = [("Residual MR", f"{esc(a.mr_grade or 'not graded')} <span class=\"note\">({esc(a.mr_grade_basis)})</span>"),
            ("Mean gradient", gradient),
            ("MVA, planimetry", _unbroken(mva.text) if mva else "not measured"),
            ("Stenosis", esc(barrier)),
            ("Redo-TEER anatomy", f"posterior leaflet {esc(a.redo.leaflet)}; space beside devices {space}"
             + ("; leaflet injury" if a.redo.injury_barrier else "")),
            ("Devices / jets", f"{len(r.devices)} device(s), {len(r.jets)} residual jet(s)")]
    body = "".join(f'<tr><td class="k" width="25%">{k}</td><td width="75%">{v}</td></tr>' for k, v in rows)
    options = "".join(f"<tr><td>{esc(o.name)}</td><td><b>{_STATUS_MARK[o.status]} {esc(o.status.value)}</b></td>"
                      f"<td>{esc(o.evidence.value)}</td></tr>" for o in a.options)
    return ('<h2>Summary</h2><table class="grid" width="100%" cellpadding="3" cellspacing="0">' + body + "</table>"
            '<p></p><table class="grid" width="100%" cellpadding="3" cellspacing="0"><tr><th width="58%">Option</th>'
            '<th width="24%">Findings</th><th width="18%">Evidence</th></tr>' + options + "</table>"
            f'<p class="note">{esc(a.disclaimer)} Details in section 7.</p>')


def top_level(r: Report) -> list[Measurement]:
    """The measurements not averaged into another one."""
    inner = {part.id for m in r.measurements if m.beats is not None for part in r.members(m)}
    return [m for m in r.measurements if m.id not in inner]


def grouped(r: Report) -> list[tuple[Measurement, int]]:
    """Every measurement once, each average followed by what it averages (depth 1, 2, ...), placed where
    its first beat was measured."""
    order = {m.id: n for n, m in enumerate(r.measurements)}

    def tree(m: Measurement, depth: int) -> list[tuple[Measurement, int]]:
        return [(m, depth), *(row for part in r.members(m) for row in tree(part, depth + 1))]

    trees = [tree(m, 0) for m in top_level(r)]
    return [row for t in sorted(trees, key=lambda t: min(order[m.id] for m, _ in t)) for row in t]


def _context_value(value: object) -> str:
    return {True: "yes", False: "no"}.get(value, str(value)) if isinstance(value, bool) else str(value)


def _devices_html(r: Report, map_width: int) -> str:
    rows = [[esc(d.id), esc(d.kind), esc(d.model), esc(" ".join(p for p in (d.segment, d.position) if p)),
             esc(d.attachment), esc(d.notes)] for d in r.devices]
    table = _table(["Device", "System", "Model", "Position", "Attachment", "Notes"], rows,
                   [9, 16, 13, 15, 17, 30]) if rows else "<p>No prior device recorded.</p>"
    return ("<h2>1. Prior devices and clip map</h2>" + table
            + f'<p align="center"><img src="mitraplan:clipmap" width="{map_width}"></p>'
            '<p class="note" align="center">Surgical (left-atrial) view: dark bars = devices, hatched = residual '
            "jets, AL = anterolateral, PM = posteromedial commissure. Schematic, not to scale.</p>")


def _jets_html(r: Report) -> str:
    rows = [[esc(j.id), esc(j.location), esc(j.segment),
             "—" if j.vena_contracta_cm is None else quantity_text("vena_contracta", j.vena_contracta_cm),
             "—" if j.eroa_cm2 is None else quantity_text("eroa_pisa", j.eroa_cm2),
             esc(j.grade) or "—", esc(j.notes)] for j in r.jets]
    table = _table(["Jet", "Location", "Segment", "Vena contracta", "EROA (PISA)", "Grade (clinician)", "Notes"],
                   rows, [7, 22, 11, 13, 13, 14, 20]) if rows else "<p>No residual jet recorded.</p>"
    a = r.assessment
    grade = esc(a.mr_grade) if a.mr_grade else "not graded"
    return (f"<h2>2. Residual mitral regurgitation</h2>{table}"
            f"<p><b>Residual MR grade:</b> {grade} <span class=\"note\">({esc(a.mr_grade_basis)}; "
            "per-parameter grades in the measurements table)</span></p>")


def _leaflets_html(r: Report) -> str:
    lf = r.leaflets
    rows = [[esc(s.segment), "—" if s.length_cm is None else _mm(s.length_cm),
             (esc(s.calcification) or "—") + (", in grasp zone" if s.calcification_in_grasp_zone else ""),
             esc(s.grasped_by) or "free", esc(s.notes)] for s in lf.segments]
    parts = ["<h2>3. Residual leaflet anatomy</h2>"]
    parts.append(_table(["Segment", "Free length", "Calcification", "Grasped by", "Notes"], rows,
                        [12, 15, 18, 15, 40]) if rows else "<p>No segment measured.</p>")
    if lf.spaces:
        parts.append(_table(["Space beside devices", "Kind", "Distance"],
                            [[esc(s.label), esc(s.kind) or "—", _mm(s.distance_cm)] for s in lf.spaces],
                            [60, 20, 20]))
    parts.append(f"<p><b>Mitral annular calcification (MAC):</b> {esc(lf.mac) or 'not recorded'}</p>")
    parts.append(f"<p><b>Leaflet tear or perforation:</b> {'YES' if lf.tear_or_perforation else 'no'}"
                 + (f" — {esc(lf.notes)}" if lf.notes else "") + "</p>")
    redo = r.assessment.redo
    space = {True: "sufficient", False: "insufficient", None: "not measured"}[redo.space_ok]
    parts.append(f"<p><b>Graspable posterior leaflet:</b> {esc(redo.leaflet)}; <b>space beside devices:</b> "
                 f"{space}.</p>")
    return "".join(parts)


def _stenosis_html(r: Report) -> str:
    quantities = ("mean_gradient", "peak_gradient", "heart_rate", "mva_planimetry", "mva_pht", "mva_continuity")
    rows = []
    for m in (r.selected(q) for q in quantities):
        if m is not None:
            grades = "; ".join(f"{esc(g.label)} ({esc(g.scheme)})" for g in m.grades) or "—"
            rows.append([esc(m.label), value_html(r, m), grades])
    s = r.assessment.stenosis
    verdict = {True: "criteria for significant iatrogenic stenosis MET", False:
               "no significant iatrogenic stenosis by MVARC criteria", None: "not assessable (no gradient or area)"}
    parts = ["<h2>4. Stenosis assessment</h2>",
             _table(["Parameter", "Value", "Grade"], rows, [45, 20, 35]) if rows else "<p>No gradient or area.</p>",
             f"<p><b>Current stenosis:</b> {esc(s.statement) or verdict[s.barrier]}.</p>"]
    items = "".join(f"<li>{esc(f.text)} <span class=\"note\">[{esc(', '.join(f.sources))}; "
                    f"{esc(f.evidence.value)}]</span>{_quoted_from(r, f.measurements)}</li>" for f in s.findings)
    if items:
        parts.append(f"<ul>{items}</ul>")
    if s.projected_mva_cm2 is not None:
        loss = CRITERIA["mva_loss_per_device"].threshold or 0.0
        parts.append(f'<p class="note">Projection: one more device occluding {loss:.0%} of the planimetered area '
                     f"would leave about {esc(quantity_text('mva_planimetry', s.projected_mva_cm2))} (app heuristic).</p>")
    for w in s.warnings:
        parts.append(f'<p class="warn">⚠ {esc(w)}</p>')
    return "".join(parts)


def _measurement_row(r: Report, m: Measurement, depth: int) -> list[str]:
    """One row of the measurements table; a beat (or a trace) averaged into the row above is indented under it."""
    grades = "<br>".join(f"{esc(g.label)} <span class=\"note\">({esc(g.scheme)})</span>" for g in m.grades)
    warns = "<br>".join(f"⚠ {esc(w)}" for w in m.warnings)
    label = esc(m.label) if not depth else f'{"&nbsp;" * 4 * depth}└ <span class="note">{esc(m.label)}</span>'
    value = f"<b>{_unbroken(m.text)}</b>" if not depth else _unbroken(m.text)
    notes = averaging(r, m)
    if notes:
        value += f'<br><span class="note">{esc(notes)}</span>'
    method = "beat average" if m.beats is not None else esc(m.method) or esc(m.quantity)
    return [label, value, method, grades or "—", warns, f'<span class="note">{esc(", ".join(m.source))}</span>']


def _measurements_html(r: Report) -> str:
    rows = [_measurement_row(r, m, depth) for m, depth in grouped(r)]
    parts = ["<h2>5. Measurements</h2>"]
    parts.append(_table(["Measurement", "Value", "Method", "Grade", "Warnings", "Marks"], rows,
                        [22, 16, 13, 15, 22, 12]) if rows else "<p>No measurement.</p>")
    for e in r.errors:
        parts.append(f'<p class="warn">Not computed: {esc(e)}</p>')
    return "".join(parts)


def _key_images_html(r: Report, image_width: int, available: frozenset[str]) -> str:
    """The key images that have a picture (``available`` ids), two per row, captioned."""
    shown = [k for k in r.key_images if k.id in available]
    if not shown:
        return ""
    cells = []
    for k in shown:
        marks = ", ".join(k.mark_ids)
        cells.append(f'<td width="50%" align="center"><img src="mitraplan:key/{esc(k.id)}" width="{image_width}"><br>'
                     f'<span class="note">{esc(k.label)} — frame {k.frame_number}'
                     + (f"; marks {esc(marks)}" if marks else "") + "</span></td>")
    rows = "".join("<tr>" + "".join(cells[i:i + 2]) + "</tr>" for i in range(0, len(cells), 2))
    return f'<h2>6. Key images</h2><table width="100%" cellpadding="4">{rows}</table>'


def _quoted_from(r: Report, ids: tuple[str, ...]) -> str:
    """Which measurement rows a finding's values are (section 5 lists them), e.g. "values: Heart rate"."""
    labels = [m.label for m in (r.by_id(i) for i in ids) if m is not None]
    return f'<br><span class="note">values: {esc("; ".join(labels))}</span>' if labels else ""


def _options_html(r: Report) -> str:
    a = r.assessment
    parts = ['<h2 style="page-break-before: always">7. Decision support</h2>',  # on its own page: never a lone heading
             f'<p class="box"><b>{esc(a.disclaimer)}</b></p>']
    if a.ct_recommended:
        parts.append("<p>CT of the mitral annulus and predicted neo-LVOT is prompted (space, injury or stenosis "
                     "argues against a further device).</p>")
    used: set[str] = set()
    for o in a.options:
        used.update(o.sources)
        parts.append(f'<h3>{esc(o.name)}</h3><p><span class="status">{_STATUS_MARK[o.status]} {esc(o.summary)}'
                     f"</span><br><span class=\"note\">Evidence for this option: {esc(o.evidence.value)} "
                     f"[{esc(', '.join(o.sources))}]</span></p>")
        rows = []
        for label, findings in (("For", o.favouring), ("Against", o.against)):
            for f in findings:
                used.update(f.sources)
                rows.append([label, esc(f.text) + _quoted_from(r, f.measurements),
                             f"{esc(f.evidence.value)} [{esc(', '.join(f.sources))}]"])
        if rows:
            parts.append(_table(["", "Finding", "Evidence"], rows, [10, 65, 25]) + "<p></p>")
    refs = "".join(f"<li>{esc(s)}: {esc(SOURCES[s])}</li>" for s in sorted(used, key=lambda x: int(x[1:]))
                   if s in SOURCES)
    parts.append(f'<h3>Sources</h3><ul class="note">{refs}</ul>')
    return "".join(parts)


def report_html(report: Report, page_width_px: int, key_images: frozenset[str] = frozenset()) -> str:
    """The report body as the HTML subset QTextDocument renders; ``key_images``: ids of the key images
    that have a picture to show."""
    notes = f"<p><b>Notes:</b> {esc(report.notes)}</p>" if report.notes else ""  # one block: never a lone heading
    return (f"<html><head><style>{_CSS}</style></head><body>"
            + _header_html(report) + _summary_html(report) + _devices_html(report, int(page_width_px * 0.55))
            + _jets_html(report) + _leaflets_html(report) + _stenosis_html(report) + _measurements_html(report)
            + _key_images_html(report, int(page_width_px * 0.42), key_images) + notes + _options_html(report)
            + "</body></html>")


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


def build_document(report: Report, width_px: float, key_images: dict[str, QImage] | None = None) -> QTextDocument:
    """A QTextDocument of the report laid out ``width_px`` wide (resources attached)."""
    ensure_app()
    doc = QTextDocument()
    doc.setDefaultFont(report_font(9))
    doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl("mitraplan:clipmap"),
                    clip_map_image(report.devices, report.jets))
    pictures = key_image_pictures(report, key_images)
    for key_id, image in pictures.items():
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(f"mitraplan:key/{key_id}"), image)
    doc.setHtml(report_html(report, int(width_px), frozenset(pictures)))
    return doc


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
    """The report laid out for one paint device: the document and the page geometry in device pixels."""

    doc: QTextDocument
    width: float
    body_h: float
    footer_h: float

    @property
    def count(self) -> int:
        return self.doc.pageCount()


def _lay_out(report: Report, device: QPaintDevice, layout: QPageLayout, dpi: int,
             key_images: dict[str, QImage] | None) -> _Pages:
    paint = layout.paintRectPixels(dpi)
    footer_h = dpi * 0.25
    doc = build_document(report, paint.width() * _CSS_DPI / dpi, key_images)
    doc.documentLayout().setPaintDevice(device)
    doc.setPageSize(QSizeF(paint.width(), paint.height() - footer_h))
    return _Pages(doc, paint.width(), paint.height() - footer_h, footer_h)


def _paint_page(painter: QPainter, pages: _Pages, report: Report, page: int) -> None:
    """Page ``page`` (0-based) of the body, then the footer, with the origin at the printable area."""
    width, body_h, footer_h = pages.width, pages.body_h, pages.footer_h
    painter.save()
    painter.translate(0, -page * body_h)
    ctx = QAbstractTextDocumentLayout.PaintContext()
    ctx.clip = QRectF(0, page * body_h, width, body_h)
    painter.setClipRect(ctx.clip)
    pages.doc.documentLayout().draw(painter, ctx)
    painter.restore()
    painter.setFont(report_font(7))
    painter.setPen(QColor("#000000"))
    y = body_h + footer_h * 0.2
    painter.drawLine(QPointF(0, y), QPointF(width, y))
    painter.drawText(QRectF(0, body_h + footer_h * 0.25, width, footer_h * 0.75),
                     Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                     _footer_text(report, page + 1, pages.count))


def write_pdf(report: Report, path: Path, spec: PageSpec = PageSpec(),
              key_images: dict[str, QImage] | None = None) -> Path:
    """Render ``report`` to ``path`` on ``spec.paper`` (A4 or Letter); returns ``path``."""
    ensure_app()
    layout = _page_layout(spec)
    writer = QPdfWriter(str(path))
    writer.setResolution(DPI)
    writer.setTitle("MitraPlan redo-intervention planning report")
    writer.setCreator(f"{report.header.software} {report.header.software_version}")
    writer.setPageLayout(layout)
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"{path}: cannot open the PDF for writing")
    try:
        pages = _lay_out(report, writer, layout, DPI, key_images)
        for page in range(pages.count):
            if page:
                writer.newPage()
            _paint_page(painter, pages, report, page)
    finally:
        painter.end()
    return path


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
