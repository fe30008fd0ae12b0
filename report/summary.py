"""The one-page heart-team summary: the first page of report.pdf and its own export (summary.pdf).

What the people who did not read the study ask first, in large type: whose study and when (and the
prior it is compared with), the clip map, the clinician's total residual MR, the stenosis numbers
with their heart rate and beats, the residual anatomy one line per scallop, the options with their
key findings, and two or three key images with clinical captions. Every number is the report's one
selected value (``Report.selected``, chosen by ``planning.findings.selected``) printed by its one
formatter (``Measurement.text``); nothing is computed here. ``report.pdf`` lays it out and shrinks it
(:data:`FITS`) until it fits one page.
"""

from __future__ import annotations

from dataclasses import dataclass

from imaging.text import isolate
from measurements.compute import METHOD_3D_PLANIMETRY, af_caveat
from measurements.concepts import value_text
from measurements.plausibility import orifices_summed
from planning.assessment import Finding, OptionAssessment
from report.html_text import STATUS_MARK, beats_once, esc, fmt_date, fmt_name, mm, prior_text, signoff_text, unbroken
from report.model import KeyImage, Measurement, Report

#: The MVA methods the summary quotes when measured (planimetry is named even when it is not).
MVA_ROWS = (("mva_planimetry", "MVA, planimetry"), ("mva_pht", "MVA, PHT"),
            ("mva_continuity", "MVA, continuity"), ("mva_pisa", "MVA, PISA"))
#: What an EROA on the summary always says of its method (measurements.pisa.PISA_POST_TEER_WARNING, short).
PISA_CAVEAT = "PISA, limited validity after TEER"
#: Key images shown first: the residual jet, then the inflow gradient, then the leaflet to grasp (mark purposes).
KEY_IMAGE_ORDER = ("vena_contracta", "pisa_radius", "mv_inflow", "posterior_leaflet_length", "mr_jet")
#: Key images on the summary (the first of them by :data:`KEY_IMAGE_ORDER`).
KEY_IMAGES = 3
#: Key findings quoted per option (against first: they are what rules an option out).
FINDINGS_PER_OPTION = 2


@dataclass(frozen=True, slots=True)
class Fit:
    """One way to lay the summary out: base font (pt), and the share of the page's width of each key image
    (three across) and of the clip map."""

    points: float
    image_share: float
    map_share: float


#: Tried in turn until the summary fits one page (report.pdf): large type first.
FITS = (Fit(11.0, 0.26, 0.34), Fit(10.5, 0.26, 0.33), Fit(10.0, 0.26, 0.32), Fit(10.0, 0.21, 0.30),
        Fit(9.5, 0.21, 0.30), Fit(9.0, 0.19, 0.28), Fit(8.0, 0.17, 0.26))

#: Qt's style sheets take margins in CSS px (1/96 in), not pt.
_PX_PER_PT = 96 / 72


def summary_css(points: float) -> str:
    """The summary's style sheet for a base font of ``points`` (Qt's rich text takes sizes in pt, not em;
    headings are paragraphs: Qt sizes h1-h6 by its own scale, whatever the style sheet says)."""
    return f"""
body {{ color: #000; }}
p {{ margin-top: 0; margin-bottom: 0; }}
.title {{ font-size: {points * 1.5:.1f}pt; font-weight: bold; margin-bottom: {points * 0.3 * _PX_PER_PT:.0f}px; }}
.section {{ font-size: {points * 1.15:.1f}pt; font-weight: bold; background-color: #e3e3e3;
            margin-top: {points * 0.6 * _PX_PER_PT:.0f}px; margin-bottom: {points * 0.2 * _PX_PER_PT:.0f}px; }}
table.grid {{ border-collapse: collapse; }}
table.grid th {{ background-color: #d9d9d9; font-weight: bold; text-align: left; border: 1px solid #555; }}
table.grid td {{ border: 1px solid #888; vertical-align: top; }}
td.k {{ font-weight: bold; }}
.note {{ color: #333; font-size: {points * 0.8:.1f}pt; }}
.cap {{ font-size: {points * 0.9:.1f}pt; }}
.legend {{ font-size: {points * 0.85:.1f}pt; }}
.box {{ background-color: #eeeeee; }}
"""


def section(title: str) -> str:
    """A section heading of the summary (a paragraph: see :func:`summary_css`)."""
    return f'<p class="section">{esc(title)}</p>'


def summary_key_images(r: Report, available: frozenset[str], count: int) -> list[KeyImage]:
    """The ``count`` key images with a picture that show most of what the summary quotes (by their marks'
    purposes, :data:`KEY_IMAGE_ORDER`; ties in the case's order)."""
    def rank(key: KeyImage) -> int:
        purposes = [m.purpose for m in (r.mark(i) for i in key.mark_ids) if m is not None]
        return min((KEY_IMAGE_ORDER.index(p) for p in purposes if p in KEY_IMAGE_ORDER), default=len(KEY_IMAGE_ORDER))
    return sorted((k for k in r.key_images if k.id in available), key=rank)[:count]


def _identity_html(r: Report) -> str:
    """Patient and dates (the current study, the prior it is compared with, what changed since) and the
    sign-off status, one labelled line each."""
    h = r.header
    patient = " · ".join(p for p in (f"<b>{esc(isolate(fmt_name(h.patient_name))) or '—'}</b>",
                                     f"ID {esc(h.patient_id) or '—'}",
                                     f"born {esc(fmt_date(h.birth_date))}" if h.birth_date else "", esc(h.sex)) if p)
    rows = [("Patient", patient),
            ("Current study", f"<b>{esc(fmt_date(h.study_date)) or '—'}</b> · {esc(h.study_description) or 'TEE'}")]
    if r.comparison is not None:
        rows.append(("Prior study", f"<b>{esc(prior_text(r))}</b>{_changes_text(r)}"))
    rows.append(("Report", f"<b>{esc(signoff_text(r))}</b>"))
    body = "".join(f'<tr><td class="k" width="19%">{k}</td><td width="81%">{v}</td></tr>' for k, v in rows)
    banner = ('<p class="box"><b>ANONYMISED EXPORT</b>: patient identifiers removed.</p>' if h.anonymised else "")
    return ('<p class="title">Heart-team summary: residual MR after TEER</p>' + banner
            + f'<table class="grid" width="100%" cellpadding="2" cellspacing="0">{body}</table>')


def _changes_text(r: Report) -> str:
    """What changed meaningfully since the prior, by name (the numbers are on the detail pages)."""
    section = r.comparison or {}
    if section.get("error"):
        return f' <span class="note">(not compared: {esc(section["error"])})</span>'
    changed: dict[str, dict[str, str]] = {}  # direction -> quantity (a device or jet: its label) -> label
    for row in section.get("rows", []):
        if row.get("meaningful") and row.get("direction") not in ("unchanged", "not comparable"):
            key = str(row["label"] if row["quantity"] in ("device", "jet") else row["quantity"])
            changed.setdefault(str(row["direction"]), {}).setdefault(key, str(row["label"]))
    if not changed:
        return " · no meaningful change"
    return " · " + "; ".join(f"{esc(d)}: {esc(', '.join(labels.values()))}" for d, labels in changed.items())


def _devices_text(r: Report) -> str:
    """The devices under their clip-map labels (D1 ...), with where they sit and how they hold."""
    devices = [f"{esc(d.id.upper())} {esc(' '.join(p for p in (d.kind, d.model) if p))}"
               + (f", {esc(' '.join(p for p in (d.segment, d.position) if p))}" if d.segment or d.position else "")
               + (f", {esc(d.attachment)}" if d.attachment else "") for d in r.devices]
    return "<br>".join(devices) or "none recorded"


def _jet_text(r: Report) -> str:
    """Each residual jet under its clip-map label (J1 ...) with its vena contracta and EROA (the detail jets
    table's numbers; the EROA with its PISA-after-TEER caveat)."""
    out = []
    for j in r.jets:
        numbers = [f"VC {unbroken(value_text('vena_contracta', j.vena_contracta_cm))}"
                   if j.vena_contracta_cm is not None else "",
                   f"EROA {unbroken(value_text('eroa_pisa', j.eroa_cm2))} ({PISA_CAVEAT})"
                   if j.eroa_cm2 is not None else "",
                   esc(j.grade)]
        where = esc(" ".join(p for p in (j.location, j.segment) if p)) or "jet"
        out.append(f"{esc(j.id.upper())} {where}" + (": " + ", ".join(n for n in numbers if n) if any(numbers) else ""))
    return "<br>".join(out) or "none recorded"


def gradient_text(r: Report, mg: Measurement) -> str:
    """The mean gradient with its beats, heart rate, rhythm and AF caveat (clinical.md M7, §8.3): "6.6 mmHg
    (mean of 3 beats, SD 0.0; rhythm AF; HR 72 bpm; atrial fibrillation: …)"; the heart rate is the one
    the decision support quotes with it (``Report.selected``: ``planning.findings.selected(near=mg)``)."""
    hr = r.selected("heart_rate")
    beats = mg.averaged or ("1 beat" if mg.source else "")
    rhythm = r.context.get("rhythm")
    notes = [beats, f"rhythm {rhythm}" if rhythm else "", f"HR {hr.text}" if hr else "HR not recorded",
             af_caveat(mg.warnings) or ""]
    return f"<b>{unbroken(mg.text)}</b> ({esc('; '.join(n for n in notes if n))})"


def orifice_note(m: Measurement) -> str:
    """How many of the orifices the devices imply a planimetered MVA sums, when fewer ("" when complete)."""
    counted = orifices_summed(m.method)
    return "" if counted is None else f"{counted[0]} of {counted[1]} expected orifices summed: a lower bound"


def held_value(r: Report, quantity: str) -> Measurement | None:
    """A value of ``quantity`` a plausibility gate holds (shown, never used: docs/clinical-criteria.md §8.1),
    when no value of it is used; none from an unlabelled mark (those are never quoted)."""
    unlabelled = {m.id for m in r.marks if not m.label.strip()}
    return next((m for m in r.measurements if m.quantity == quantity and m.held and m.beat is None
                 and not unlabelled.intersection(m.source)), None)


def mva_text(r: Report, quantity: str) -> str:
    """The selected MVA of ``quantity`` with its orifice count when incomplete; else a held one as held
    ("0.82 cm² held (…; confirm to use), not used"); else "not measured"."""
    m = r.selected(quantity)
    if m is not None:
        note = orifice_note(m)
        return f"<b>{unbroken(m.text)}</b>" + (f" ({esc(note)})" if note else "")
    held = held_value(r, quantity)
    if held is None:
        return "not measured"
    counted = orifices_summed(held.method)
    why = (f"{counted[0]} of {counted[1]} expected orifices: fewer than the devices imply" if counted
           else "implausible for its mark, see the measurements")
    return f"{unbroken(held.text)} held ({esc(why)}; confirm to use), not used"


def _headline_rows(r: Report) -> list[tuple[str, str]]:
    """The devices, then the headline numbers, each once: total MR, jets, mean gradient (beats, HR),
    gradients, MVAs, verdict."""
    a = r.assessment
    mg, peak = r.selected("mean_gradient"), r.selected("peak_gradient")
    rows = [("Devices", _devices_text(r)),
            ("Total MR", f"<b>{esc(a.mr_grade or 'not graded')}</b>"
                         ' <span class="note">(clinician\'s grade)</span>'),
            ("Residual jets", _jet_text(r)),
            ("Mean gradient", "not measured" if mg is None else gradient_text(r, mg))]
    if peak is not None:
        rows.append(("Peak gradient", unbroken(peak.text)))
    for quantity, label in MVA_ROWS:
        m = r.selected(quantity) or held_value(r, quantity)
        if m is not None and m.method.startswith(METHOD_3D_PLANIMETRY):
            label = "MVA, 3D planimetry"  # the reference after TEER (docs/clinical-criteria.md §8.4)
        if m is not None or quantity == "mva_planimetry":
            rows.append((label, mva_text(r, quantity)))
    barrier = {True: "significant iatrogenic stenosis (MVARC)", False: "no significant stenosis (MVARC)",
               None: "not assessable"}[a.stenosis.barrier]
    rows.append(("Stenosis", f"<b>{esc(barrier)}</b>" if a.stenosis.barrier else esc(barrier)))
    return rows


def _map_and_numbers_html(r: Report, width_px: int, fit: Fit) -> str:
    map_px = int(width_px * fit.map_share)
    numbers = "".join(f'<tr><td class="k" width="31%">{k}</td><td width="69%">{v}</td></tr>'
                      for k, v in _headline_rows(r))
    return (f'<table width="100%" cellpadding="0" cellspacing="0"><tr>'
            f'<td width="{int(fit.map_share * 100)}%" valign="top"><img src="mitraplan:clipmap" width="{map_px}">'
            '<br><span class="legend">Clip map, surgical view (schematic): D = device, J = residual jet</span></td>'
            '<td width="2%"></td>'
            f'<td valign="top"><table class="grid" width="100%" cellpadding="2" cellspacing="0">{numbers}</table>'
            "</td></tr></table>")


def scallop_lines(r: Report) -> list[str]:
    """The residual anatomy, one line per scallop, then the leaflet verdict, spaces, MAC and injury in one line."""
    lines = []
    for s in r.leaflets.segments:
        parts = ["free length " + (mm(s.length_cm) if s.length_cm is not None else "not measured"),
                 "calcification " + (s.calcification or "not recorded")
                 + (" in the grasp zone" if s.calcification_in_grasp_zone else ""),
                 f"grasped by {s.grasped_by.upper()}" if s.grasped_by else "not grasped"]
        lines.append(f"<b>{esc(s.segment)}</b>: " + esc("; ".join(parts)) + (f"; {esc(s.notes)}" if s.notes else ""))
    lf, redo = r.leaflets, r.assessment.redo
    spaces = ", ".join(f"{s.label} {mm(s.distance_cm)}" for s in lf.spaces) or "not measured"
    lines.append(f"<b>Overall</b>: graspable posterior leaflet {esc(redo.leaflet)}; space beside devices "
                 f"{esc(spaces)}; MAC {esc(lf.mac or 'not recorded')}; tear or perforation "
                 + ("<b>YES</b>" if lf.tear_or_perforation else "no"))
    return lines


def key_findings(options: tuple[OptionAssessment, ...]) -> list[list[tuple[str, Finding]]]:
    """Up to :data:`FINDINGS_PER_OPTION` findings per option, against first, leaving out those already
    quoted for an earlier option (one shared gradient finding is not five lines); an option whose findings
    were all quoted shows its first."""
    quoted: set[str] = set()
    out = []
    for o in options:
        ranked = [("✘", f) for f in o.against] + [("✔", f) for f in o.favouring]
        fresh = [p for p in ranked if p[1].text not in quoted]
        picked = fresh[:FINDINGS_PER_OPTION] or ranked[:1]
        quoted.update(f.text for _, f in picked)
        out.append(picked)
    return out


def short_name(o: OptionAssessment) -> str:
    """The option's short name, as its summary line starts ("Redo TEER: …")."""
    return o.summary.split(":", 1)[0] if ":" in o.summary else o.name


def _options_html(r: Report, options_section: int) -> str:
    a = r.assessment
    rows = []
    for o, picked in zip(a.options, key_findings(a.options), strict=True):
        lines = [f"{mark} {esc(f.text)}" for mark, f in picked]
        if o.missing:
            lines.append(f'<span class="note">missing: {esc(", ".join(o.missing))}</span>')
        rows.append(f'<tr><td width="27%"><b>{esc(short_name(o))}</b><br>{STATUS_MARK[o.status]} '
                    f'{esc(o.status.value)}</td><td width="73%">{"<br>".join(lines) or "—"}</td></tr>')
    ct = " CT (annulus, neo-LVOT) prompted." if a.ct_recommended else ""
    return (section("Options and their key findings (decision support)")
            + '<table class="grid" width="100%" cellpadding="2" cellspacing="0">' + "".join(rows) + "</table>"
            + f'<p class="note">Decision support only: the heart team decides.{ct} All findings and sources:'
            f" section {options_section}.</p>")


def key_image_caption(key: KeyImage) -> str:
    """The caption a reader sees: what the frame shows, in the words of its label (never a mark id), the
    beats of one trace said once: "MV inflow CW, beat 1; MV inflow CW, beat 2" → "MV inflow CW, beats 1 and 2"."""
    return beats_once([p.strip() for p in key.label.split(";")])


def _key_images_html(r: Report, width_px: int, available: frozenset[str], fit: Fit) -> str:
    shown = summary_key_images(r, available, KEY_IMAGES)
    if not shown:
        return ""
    share = 100 // len(shown)
    image_px = int(width_px * fit.image_share * (1.0 if len(shown) >= KEY_IMAGES else 1.3))
    cells = "".join(f'<td width="{share}%" align="center" valign="top"><img src="mitraplan:key/{esc(k.id)}" '
                    f'width="{image_px}"><br><span class="cap">{esc(key_image_caption(k))}</span></td>'
                    for k in shown)
    return section("Key images") + f'<table width="100%" cellpadding="2" cellspacing="0"><tr>{cells}</tr></table>'


def summary_body(r: Report, width_px: int, key_images: frozenset[str] = frozenset(), fit: Fit = FITS[0],
                 options_section: int = 7) -> str:
    """The summary page's HTML body (``fit``: type, image and map widths); ``key_images``: ids of the key
    images that have a picture; ``options_section``: where the detail pages give each option's findings."""
    return (_identity_html(r) + section("Residual MR and stenosis") + _map_and_numbers_html(r, width_px, fit)
            + section("Residual anatomy") + f"<p>{'<br>'.join(scallop_lines(r))}</p>" + _options_html(r, options_section)
            + _key_images_html(r, width_px, key_images, fit))


def summary_html(r: Report, width_px: int, key_images: frozenset[str] = frozenset(), fit: Fit = FITS[0],
                 options_section: int = 7) -> str:
    """The summary page as the HTML subset QTextDocument renders, styled for ``fit.points``."""
    return (f"<html><head><style>{summary_css(fit.points)}</style></head><body>"
            + summary_body(r, width_px, key_images, fit, options_section) + "</body></html>")
