"""The report's "Context for the non-TEER options" (report.context_section) and its report.json rows."""

from __future__ import annotations

import dataclasses

import jsonschema
import pytest

from planning.assessment import AssessmentInput, assess
from planning.model import CT_NUMBERS, HAEMO_NUMBERS, ClinicalContext, CtContext
from report.context_section import CONTEXT_TITLE, NOT_USED, context_rows, context_table
from report.json_export import report_to_json, validate

CONTEXT = {
    "surgical_risk": "high", "rhythm": "sinus",
    "ct": {"annulus_ap_mm": {"value": 39, "source": "CT"}, "annulus_alpm_mm": {"value": 45.25, "source": "CT"},
           "neo_lvot_mm2": {"value": 185.6, "source": "CT"}, "mac_extent": {"value": ">270 deg", "source": "CT"}},
    "haemodynamics": {"rvsp_mmhg": {"value": 52.5, "source": "TTE"}, "tr_grade": {"value": "severe", "source": "TTE"},
                      "la_v_wave_mmhg": {"value": 41, "source": "cath"}},
}


def test_rows_in_reading_order_with_units_sources_and_use() -> None:
    rows = context_rows(CONTEXT)
    assert [r.key for r in rows] == ["annulus_ap_mm", "annulus_alpm_mm", "neo_lvot_mm2", "mac_extent",
                                     "la_v_wave_mmhg", "tr_grade", "rvsp_mmhg"]
    by = {r.key: r for r in rows}
    # printed at 0.1 mm, 1 mm², 1 mmHg, decimal half-up: 45.25 → 45.3, 185.6 → 186, 52.5 → 53
    assert [by[k].shown for k in ("annulus_ap_mm", "annulus_alpm_mm", "neo_lvot_mm2", "rvsp_mmhg")] == \
        ["39.0 mm", "45.3 mm", "186 mm²", "53 mmHg"]
    assert (by["neo_lvot_mm2"].value, by["neo_lvot_mm2"].unit, by["neo_lvot_mm2"].source) == (185.6, "mm²", "CT")
    assert by["neo_lvot_mm2"].use.startswith("used: below 200 mm², argues against ELASTA-Clip / clip excision + TMVR")
    assert "Yoon 2019, REC" in by["neo_lvot_mm2"].use
    assert all(by[k].use == NOT_USED for k in by if k != "neo_lvot_mm2")
    assert (by["tr_grade"].shown, by["tr_grade"].source, by["la_v_wave_mmhg"].source) == ("severe", "TTE", "cath")


def test_an_acceptable_neo_lvot_counts_for_tmvr() -> None:
    (row,) = context_rows({"ct": {"neo_lvot_mm2": {"value": 200, "source": "CT"}}})
    assert row.use.startswith("used: at or above 200 mm², counts for")


def test_nothing_entered_gives_no_rows() -> None:
    assert context_rows({}) == [] and context_rows(ClinicalContext()) == []


def test_every_context_key_has_a_row() -> None:
    full = {"ct": {k: {"value": lo, "source": "CT"} for k, (_u, lo, _hi) in CT_NUMBERS.items()}
            | {"mac_extent": {"value": "none", "source": "CT"}},
            "haemodynamics": {k: {"value": hi, "source": "cath"} for k, (_u, _lo, hi) in HAEMO_NUMBERS.items()}
            | {"tr_grade": {"value": "mild", "source": "TTE"}}}
    rows = context_rows(full)
    assert len(rows) == len(CT_NUMBERS) + len(HAEMO_NUMBERS) + 2
    headers, cells, widths = context_table(rows)
    assert len(headers) == len(widths) == len(cells[0]) and sum(widths) == 100
    assert CONTEXT_TITLE == "Context for the non-TEER options"


def test_report_json_carries_the_rows_and_the_shown_findings(report) -> None:
    ct = CtContext.from_json(CONTEXT["ct"])
    with_ct = dataclasses.replace(report, context={**report.context, **CONTEXT},
                                  assessment=assess(AssessmentInput(ct=ct, surgical_risk="high")))
    document = report_to_json(with_ct)
    validate(document)
    rows = document["context_non_teer"]
    assert [r["key"] for r in rows] == [r.key for r in context_rows(CONTEXT)]
    assert rows[2] == {"group": "CT", "key": "neo_lvot_mm2", "label": "Predicted neo-LVOT area", "value": 185.6,
                       "unit": "mm²", "shown": "186 mm²", "source": "CT", "use": context_rows(CONTEXT)[2].use}
    assert "ct" not in document["context"] and "haemodynamics" not in document["context"]
    elasta = next(o for o in document["assessment"]["options"] if o["key"] == "elasta_tmvr")
    assert [f["criterion"] for f in elasta["shown"]] == ["ct_annulus", "ct_mac"]
    assert any(f["criterion"] == "neo_lvot" for f in elasta["against"])


def test_report_json_without_context_has_no_section(report) -> None:
    document = report_to_json(report)
    validate(document)
    assert "context_non_teer" not in document


def test_schema_refuses_a_row_without_source(report) -> None:
    document = report_to_json(dataclasses.replace(report, context=CONTEXT))
    del document["context_non_teer"][0]["source"]
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_the_pdf_prints_the_context_section_and_the_shown_findings(report) -> None:
    from report.pdf import detail_html, section_number
    from tests.report.demo_outputs import html_rows

    ct = CtContext.from_json(CONTEXT["ct"])
    with_ct = dataclasses.replace(report, context={**report.context, **CONTEXT},
                                  assessment=assess(AssessmentInput(ct=ct, surgical_risk="high")))
    number = section_number(CONTEXT_TITLE, with_ct)
    rows = [cells for section, cells in html_rows(detail_html(with_ct, 700)) if section.startswith(f"{number}. ")]
    assert rows[0] == ["Value", "Measured", "Source", "Use in decision support"]
    assert ["Predicted neo-LVOT area", "186 mm²", "CT", context_rows(CONTEXT)[2].use] in rows
    options = [cells for section, cells in html_rows(detail_html(with_ct, 700))
               if section.startswith(f"{section_number('Decision support', with_ct)}. ")]
    assert sum(cells[0] == "Shown" for cells in options) == 2  # CT annulus and MAC, shown and not used
    assert not any(CONTEXT_TITLE in s for s, _ in html_rows(detail_html(report, 700)))  # none entered
