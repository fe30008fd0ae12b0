"""Haemodynamic context from an imported SR: an echo SR's RV peak systolic pressure maps to ``rvsp`` and,
once the clinician accepts it, fills ``context.haemodynamics.rvsp_mmhg`` (source "imported SR") unless a
value was entered; every context value has an SR code or the reason it has none."""

from __future__ import annotations

from pydicom.sr import _concepts_dict

from imaging.sr_read import SRCode, SRNum
from measurements.concepts import CONTEXT_CONCEPTS, QUANTITIES
from measurements.sr_import import SITE, Mapped, Unknown, map_num
from planning.case import Case
from planning.imported import Status, context_with_imports
from planning.model import CT_NUMBERS, HAEMO_NUMBERS, ClinicalContext
from report.context_section import context_rows

RVSP = SRCode("399023006", "SCT", "Right Ventricular Peak Systolic Pressure")
RV = SRCode("53085002", "SCT", "Right ventricle")
MMHG, KPA = SRCode("mm[Hg]", "UCUM", "mmHg"), SRCode("kPa", "UCUM", "kPa")
UID = "1.2.826.0.1.3680043.8.498.77"


def test_an_echo_srs_rvsp_maps_to_the_rvsp_quantity() -> None:
    hit = map_num(SRNum(RVSP, 45.0, MMHG, modifiers={SITE: RV}))
    assert isinstance(hit, Mapped) and (hit.quantity, hit.value, hit.unit) == ("rvsp", 45.0, "mmHg")
    # 6 kPa = 6000 / 133.322387415 mmHg = 45.00368... mmHg
    kpa = map_num(SRNum(RVSP, 6.0, KPA))
    assert isinstance(kpa, Mapped) and abs(kpa.value - 6000 / 133.322387415) < 1e-9


def test_an_rvsp_with_a_mitral_finding_site_is_not_taken() -> None:
    mitral = SRCode("91134007", "SCT", "Mitral Valve")
    assert isinstance(map_num(SRNum(RVSP, 45.0, MMHG, modifiers={SITE: mitral})), Unknown)


def _case(status: Status, value: float = 45.0, context: dict | None = None) -> Case:
    case = Case()
    case.extra["imported"] = [{"id": "imp1", "quantity": "rvsp", "value": value, "unit": "mmHg",
                               "provenance": {"sop_instance_uid": UID, "device": "Cart"}, "status": status.value}]
    if context is not None:
        case.extra["context"] = context
    return case


def test_only_an_accepted_import_fills_the_context() -> None:
    assert context_with_imports(_case(Status.IMPORTED)) == {}
    assert context_with_imports(_case(Status.HIDDEN)) == {}
    filled = context_with_imports(_case(Status.ACCEPTED))
    assert filled == {"haemodynamics": {"rvsp_mmhg": {"value": 45.0, "source": "imported SR", "sr": UID}}}
    (row,) = context_rows(filled)
    assert (row.key, row.shown, row.source) == ("rvsp_mmhg", "45 mmHg", "imported SR")


def test_an_entered_value_wins_and_the_case_is_not_changed() -> None:
    entered = {"haemodynamics": {"rvsp_mmhg": {"value": 38, "source": "TTE"}}, "surgical_risk": "high"}
    case = _case(Status.ACCEPTED, context=entered)
    assert context_with_imports(case) == entered
    assert case.extra["context"] == {"haemodynamics": {"rvsp_mmhg": {"value": 38, "source": "TTE"}},
                                     "surgical_risk": "high"}


def test_an_import_outside_the_accepted_range_fills_nothing() -> None:
    assert context_with_imports(_case(Status.ACCEPTED, value=151.0)) == {}
    assert ClinicalContext.from_json(context_with_imports(_case(Status.ACCEPTED, value=151.0))).to_json() == {}


def test_every_context_value_has_an_sr_code_or_says_why_not() -> None:
    keys = {*CT_NUMBERS, *HAEMO_NUMBERS, "mac_extent", "tr_grade"}
    assert set(CONTEXT_CONCEPTS) == keys
    for key, concept in CONTEXT_CONCEPTS.items():
        assert bool(concept.quantity) != bool(concept.not_exported.strip()), key
    coded = {k: QUANTITIES[c.quantity] for k, c in CONTEXT_CONCEPTS.items() if c.quantity}
    assert set(coded) == {"rvsp_mmhg"} and coded["rvsp_mmhg"].unit == HAEMO_NUMBERS["rvsp_mmhg"][0]
    # the code and its meaning as pydicom's copy of PS3.16 spells them (an independent source)
    sr = coded["rvsp_mmhg"].sr
    assert sr is not None
    meanings = {code: meaning for kw in _concepts_dict.concepts["SCT"].values() for code, (meaning, _c) in kw.items()}
    assert meanings[sr.name.value] == sr.name.meaning == "Right Ventricular Peak Systolic Pressure"
