"""Text helpers shared by the report's HTML pages (the one-page summary and the detail pages).

Every string that comes from DICOM or the user goes through :func:`esc`; every measured value is
printed by ``measurements.concepts.value_text`` (``Measurement.text``), so one value is one number.
"""

from __future__ import annotations

import html
import re

from measurements.concepts import round_half_up
from planning.assessment import Status
from report.model import Measurement, Report

STATUS_MARK = {Status.FAVOURED: "✔✔", Status.POSSIBLE: "✔", Status.CONSIDER: "?",
               Status.DISFAVOURED: "✘", Status.NOT_ASSESSABLE: "–"}

#: What each prior role is called where a reader sees it (docs/case-file.md, priors).
ROLE_TEXT = {"index-procedure-final": "index TEER, final result", "pre-procedure": "pre-procedure TEE",
             "follow-up": "follow-up TEE"}


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


#: A developer reference in a method or note text, e.g. " (docs/clinical-criteria.md M7)": not for print.
_DOC_REF = re.compile(r"\s*\((?:see )?docs/[^()]*\)")
#: The source ids (S1 ...) a developer reference cites, kept when it is printed.
_SOURCE_ID = re.compile(r"\bS\d+\b")
#: A device or jet id as the case stores it (d1, j2): printed as the clip map labels it.
_ITEM_ID = re.compile(r"\b[dj]\d+\b")
_BEAT = re.compile(r"^(?P<what>.+), beat (?P<n>\d+)$")


def map_label(item_id: str) -> str:
    """A device or jet as the clip map and the summary label it: ``d1`` → ``D1``, ``j1`` → ``J1``."""
    return item_id.upper()


def labelled(r: Report, text: str) -> str:
    """``text`` with each device and jet id of ``r`` (whole words, as the decision-support texts and
    grasp entries quote them) written as its :func:`map_label`."""
    ids = {d.id for d in r.devices} | {j.id for j in r.jets}
    return _ITEM_ID.sub(lambda hit: map_label(hit[0]) if hit[0] in ids else hit[0], text)


def printed(text: str) -> str:
    """``text`` without developer references: "(docs/clinical-criteria.md M7)" is left out, one citing
    sources keeps them ("(docs/… S5, S16)" → "(S5, S16)")."""
    def cited(hit: re.Match[str]) -> str:
        sources = _SOURCE_ID.findall(hit[0])
        return f" ({', '.join(sources)})" if sources else ""
    return _DOC_REF.sub(cited, text)


def beats_once(parts: list[str]) -> str:
    """Labels joined by "; ", the beats of one trace said once: ["MV inflow CW, beat 1", "MV inflow CW,
    beat 2"] → "MV inflow CW, beats 1 and 2"."""
    beats: dict[str, list[str]] = {}
    for part in parts:
        hit = _BEAT.match(part)
        what, n = (hit["what"], hit["n"]) if hit else (part, "")
        beats.setdefault(what, []).append(n)

    def said(what: str, ns: list[str]) -> str:
        numbered = [n for n in ns if n]
        if not numbered:
            return what
        return f"{what}, beat {numbered[0]}" if len(numbered) == 1 else \
            f"{what}, beats {', '.join(numbered[:-1])} and {numbered[-1]}"
    return "; ".join(said(what, ns) for what, ns in beats.items())


def averaging(r: Report, m: Measurement) -> str:
    """How an average was made: "mean of 3 beats, SD 0.1 mmHg; HR 72 bpm" ("" for a value that is not an average)."""
    hr = r.heart_rate_of(m) if m.beats is not None else None
    return "; ".join(n for n in (m.averaged, f"HR {hr.text}" if hr else "") if n)


def unbroken(text: str) -> str:
    """Escaped, with the space between number and unit kept on one line."""
    return esc(text).replace(" ", "&nbsp;")


def value_html(r: Report, m: Measurement) -> str:
    """The printed value with how it was averaged: "6.6 mmHg (mean of 3 beats, SD 0.1 mmHg; HR 72 bpm)"."""
    notes = averaging(r, m)
    return unbroken(m.text) + (f" ({esc(notes)})" if notes else "")


def mm(cm: float) -> str:
    """A length in cm printed in mm at 0.1 mm (the cm value's reporting precision, 0.01 cm)."""
    return f"{round_half_up(cm * 10, '0.1')} mm"


def table(headers: list[str], rows: list[list[str]], widths: list[int] | None = None) -> str:
    """A ruled table (``grid``) with a header row; cells are HTML already."""
    head = "".join(f'<th width="{widths[i]}%">{h}</th>' if widths else f"<th>{h}</th>"
                   for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="grid" width="100%" cellpadding="3" cellspacing="0"><tr>{head}</tr>{body}</table>'


def prior_text(r: Report) -> str:
    """The prior study the report compares with, e.g. "index TEER, final result, 2026-05-04" ("" without one)."""
    if r.comparison is None:
        return ""
    prior = r.comparison["prior"]
    role = ROLE_TEXT.get(str(prior.get("role", "")), str(prior.get("role", "")) or "prior study")
    date = fmt_date(str(prior.get("date", "") or ""))
    return f"{role}, {date}" if date else role


def signoff_text(r: Report) -> str:
    """"signed by X at 2026-12-03 15:30:00+00:00" (ISO 8601, a space for the T) or "not signed"; an anonymised
    export leaves the reporting section out and says so."""
    if r.reporting is None and r.header.anonymised:
        return "reader and sign-off left out of the anonymised export"
    signed = (r.reporting or {}).get("signoff")
    if signed:
        return f"signed by {signed.get('by', '')} at {str(signed.get('at', '')).replace('T', ' ', 1)}"
    return "not signed"
