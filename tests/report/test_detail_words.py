"""The detail pages in the words a reader knows: devices and jets as the clip map labels them, marks by
their labels, no developer reference, sections numbered as printed, beat rows in trace order (a hand-built
model: the rows and labels are the ones entered below)."""

from __future__ import annotations

import re
from dataclasses import replace

from report.html_text import beats_once, labelled, map_label, printed
from report.model import Mark, Measurement, Report
from report.pdf import DETAIL_SECTIONS, detail_html, grouped, row_label, section_number

from .conftest import sample_report
from .demo_outputs import html_rows


def test_map_label_and_ids_in_texts(study) -> None:
    report = sample_report(study)
    assert (map_label("d1"), map_label("j1")) == ("D1", "J1")
    assert labelled(report, "Target jet j1 at A2-P2 (beside d2)") == "Target jet J1 at A2-P2 (beside D2)"
    assert labelled(report, "jet j7 and d10, dd1") == "jet j7 and d10, dd1"  # not this report's devices or jets


def test_printed_drops_developer_references_but_keeps_sources() -> None:
    assert printed("mean of 4v², exact per-segment integral (docs/clinical-criteria.md M7)") == \
        "mean of 4v², exact per-segment integral"
    assert printed("cut-off 5 mmHg (docs/clinical-criteria.md §8.5, S5, S16).") == "cut-off 5 mmHg (S5, S16)."
    assert printed("220 / PHT") == "220 / PHT"


def test_beats_once() -> None:
    assert beats_once(["MV inflow CW, beat 1", "MV inflow CW, beat 2", "MR jet CW"]) == \
        "MV inflow CW, beats 1 and 2; MR jet CW"
    assert beats_once(["A, beat 3"]) == "A, beat 3" and beats_once([]) == ""


def _two_traces(report: Report) -> Report:
    """Two single-beat inflow traces m8 (beat 1) and m9 (beat 2), their PHT average listing beat 2 first,
    beat 1's PHT a user's fit (calculation c_pht), each beat's duration, listed between the averages."""
    uid = report.marks[0].sop_instance_uid
    marks = (Mark("m8", "doppler_trace", "MV inflow CW, beat 1", uid, 1, 0, ((0.0, 0.0),)),
             Mark("m9", "doppler_trace", "MV inflow CW, beat 2", uid, 1, 0, ((0.0, 0.0),)))
    rows = (Measurement("m8.duration", "MV inflow CW, beat 1: duration", "duration", 350.0, "ms", ("m8",)),
            Measurement("m9.pht", "MV inflow CW, beat 2: pressure half-time", "pht", 150.0, "ms", ("m9",)),
            Measurement("m9.duration", "MV inflow CW, beat 2: duration", "duration", 350.0, "ms", ("m9",)),
            Measurement("c_pht.pht", "MV inflow beat 1: pressure half-time", "pht", 150.0, "ms", ("m8",)),
            Measurement("avg.pht", "MV inflow: pressure half-time, mean of 2 beats", "pht", 150.0, "ms",
                        ("m8", "m9"), beats=2, sd=0.0),
            Measurement("avg.vti", "MV inflow: VTI, mean of 2 beats", "vti", 42.1, "cm", ("m8", "m9"), beats=2, sd=0.0))
    return replace(report, marks=(*report.marks, *marks), measurements=(*report.measurements, *rows))


def test_beat_rows_in_trace_order_and_a_fit_named_by_its_trace(study) -> None:
    report = _two_traces(sample_report(study))
    shown = [(row_label(report, m), depth) for m, depth in grouped(report) if "MV inflow" in m.label]
    assert shown == [("MV inflow: pressure half-time, mean of 2 beats", 0),
                     ("MV inflow CW, beat 1: pressure half-time (your fit)", 1),
                     ("MV inflow CW, beat 2: pressure half-time", 1),
                     ("MV inflow: VTI, mean of 2 beats", 0),
                     ("MV inflow CW, beat 1: duration", 0), ("MV inflow CW, beat 2: duration", 0)]
    rows = {c[0]: c for s, c in html_rows(detail_html(report, 700)) if s.endswith("Measurements")}
    average = rows["MV inflow: pressure half-time, mean of 2 beats"]
    assert average[1] == "150 ms mean of 2 beats, SD 0 ms"  # the SD with its unit
    assert average[-1] == "MV inflow CW, beats 1 and 2"  # marks by their labels, never m8, m9
    assert rows["MV inflow CW, beat 1: duration"][-1] == "MV inflow CW, beat 1"


def test_devices_and_jets_by_their_map_labels(study) -> None:
    rows = html_rows(detail_html(sample_report(study), 700))
    assert [c[0] for s, c in rows if s.endswith("Prior devices and clip map")][1:] == ["D1", "D2"]
    assert [c[0] for s, c in rows if s.endswith("Residual mitral regurgitation")][1:] == ["J1"]


def test_sections_numbered_as_printed(study) -> None:
    report = sample_report(study)  # no key image picture, no CT context, no prior
    headings = re.findall(r"<h2[^>]*>(\d+)\. ([^<]+)</h2>", detail_html(report, 700))
    titles = [title for _, title in headings]
    assert "Key images" not in titles and "Comparison with the prior study" not in titles
    assert [int(n) for n, _ in headings] == list(range(1, len(headings) + 1))  # no number skipped
    assert titles[-2:] == ["Decision support", "Reporting and sign-off"]
    assert [section_number(title, report) for title in titles] == [int(n) for n, _ in headings]
    assert section_number("Decision support", report) == 6  # after 5 sections: Key images left out
    titled = [t.title for t in DETAIL_SECTIONS if t.title]
    assert section_number("Decision support") == titled.index("Decision support") + 1  # every section printed
