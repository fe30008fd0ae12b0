"""CT and haemodynamic context (docs/case-file.md "CT and haemodynamic context", docs/clinical-criteria.md
§8.5): typed and refused at the case-file boundary, and used by the decision support only where a
source gives a criterion (the predicted neo-LVOT area, cut-off 200 mm² = 2.0 cm²)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest

from planning.assessment import CRITERIA, NEO_LVOT_MM2, Status, assess
from planning.case import CaseError, load_case, save_case
from planning.model import ClinicalContext, CtContext, Haemodynamics
from planning.vocab import ContextSource, MacExtent, TRGrade
from tests.planning.inputs import w16

from .test_case import _doc, _write

CT = {"annulus_ap_mm": {"value": 39, "source": "CT"}, "annulus_alpm_mm": {"value": 45, "source": "CT"},
      "annulus_perimeter_mm": {"value": 137.5, "source": "CT"}, "annulus_area_mm2": {"value": 1380, "source": "CT"},
      "neo_lvot_mm2": {"value": 310, "source": "CT"}, "mac_extent": {"value": "<180 deg", "source": "CT"}}
HAEMO = {"la_mean_pressure_mmhg": {"value": 22, "source": "cath"}, "la_v_wave_mmhg": {"value": 41, "source": "cath"},
         "tr_grade": {"value": "moderate", "source": "TTE"}, "rvsp_mmhg": {"value": 48, "source": "imported SR"}}


def _elasta(result):
    return next(o for o in result.options if o.key == "elasta_tmvr")


def _no_space(**ct: object):
    """W16 with a space 1 mm too small (rule 5 asks for CT; ELASTA-Clip + TMVR "consider") and ``ct``."""
    return dataclasses.replace(w16(space_cm=0.79), ct=CtContext.from_json(ct))


# --- the case file --------------------------------------------------------------------------------

def test_context_values_are_typed_with_their_source_and_written_back(tmp_path: Path) -> None:
    path = _write(tmp_path, _doc(context={"ct": CT, "haemodynamics": HAEMO}))
    ctx = load_case(path).findings().context
    assert ctx.ct.number("neo_lvot_mm2") == 310.0 and ctx.ct.numbers["neo_lvot_mm2"].source is ContextSource.CT
    assert ctx.ct.mac_extent is not None and ctx.ct.mac_extent.value is MacExtent.UNDER_180
    assert ctx.haemodynamics.tr_grade is not None and ctx.haemodynamics.tr_grade.value is TRGrade.MODERATE
    assert ctx.haemodynamics.numbers["rvsp_mmhg"].source is ContextSource.IMPORTED_SR
    out = tmp_path / "copy.mitraplan.json"
    save_case(load_case(path), out)
    saved = json.loads(out.read_text(encoding="utf-8"))["context"]
    assert saved == {"ct": CT, "haemodynamics": HAEMO}


def test_nothing_is_pre_filled() -> None:
    ctx = ClinicalContext.from_json({})
    assert not ctx.ct.recorded and not ctx.haemodynamics.recorded
    assert ctx.to_json() == {}


@pytest.mark.parametrize(("group", "key", "entry", "message"), [
    ("ct", "neo_lvot_mm2", 310, r'context\.ct\.neo_lvot_mm2 must be an object \{"value": \.\.\., "source": \.\.\.\}'),
    ("ct", "neo_lvot_mm2", {"value": 310}, r"context\.ct\.neo_lvot_mm2\.source is required"),
    ("ct", "neo_lvot_mm2", {"value": 310, "source": "MRI"}, r"context\.ct\.neo_lvot_mm2\.source: 'MRI' is not one of"),
    ("ct", "neo_lvot_mm2", {"source": "CT"}, r"context\.ct\.neo_lvot_mm2\.value is required"),
    ("ct", "neo_lvot_mm2", {"value": "310", "source": "CT"}, r"context\.ct\.neo_lvot_mm2\.value must be a number"),
    ("ct", "neo_lvot_mm2", {"value": 2000.5, "source": "CT"}, r"neo_lvot_mm2\.value: 2000\.5 is outside 0-2000 mm²"),
    ("ct", "neo_lvot_mm2", {"value": -1, "source": "CT"}, r"neo_lvot_mm2\.value: -1 is outside 0-2000 mm²"),
    ("ct", "annulus_ap_mm", {"value": 3.9, "source": "CT"}, r"annulus_ap_mm\.value: 3\.9 is outside 15-80 mm"),
    ("ct", "mac_extent", {"value": "severe", "source": "CT"}, r"context\.ct\.mac_extent\.value: 'severe' is not one"),
    ("haemodynamics", "rvsp_mmhg", {"value": 151, "source": "TTE"}, r"rvsp_mmhg\.value: 151 is outside 5-150 mmHg"),
    ("haemodynamics", "la_v_wave_mmhg", {"value": 101, "source": "cath"}, r"la_v_wave_mmhg\.value: 101 is outside"),
    ("haemodynamics", "tr_grade", {"value": "4+", "source": "TTE"}, r"tr_grade\.value: '4\+' is not one of"),
])
def test_bad_context_values_are_refused_naming_file_and_field(tmp_path: Path, group: str, key: str, entry: object,
                                                              message: str) -> None:
    path = _write(tmp_path, _doc(context={group: {key: entry}}))
    with pytest.raises(CaseError, match=message) as caught:
        load_case(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused(tmp_path: Path, bad: float) -> None:
    path = _write(tmp_path, _doc(context={"haemodynamics": {"la_mean_pressure_mmhg": {"value": bad, "source": "cath"}}}))
    with pytest.raises(CaseError, match=r"la_mean_pressure_mmhg\.value must be a finite number") as caught:
        load_case(path)
    assert str(path) in str(caught.value)


def test_the_range_ends_are_accepted() -> None:
    ctx = ClinicalContext.from_json({"ct": {"neo_lvot_mm2": {"value": 0, "source": "CT"},
                                            "annulus_ap_mm": {"value": 80, "source": "CT"}},
                                     "haemodynamics": {"rvsp_mmhg": {"value": 5, "source": "TTE"}}})
    assert (ctx.ct.number("neo_lvot_mm2"), ctx.ct.number("annulus_ap_mm")) == (0.0, 80.0)
    assert ctx.haemodynamics.number("rvsp_mmhg") == 5.0


# --- decision support ---------------------------------------------------------------------------

def test_the_cut_off_is_the_upper_end_of_the_cited_range() -> None:
    assert NEO_LVOT_MM2 == 2.0 * 100  # 2.0 cm² in mm² (1 cm² = 100 mm²), not 1.7 cm²
    assert "1.7–2 cm²" in CRITERIA["neo_lvot"].text and "< 200 mm²" in CRITERIA["neo_lvot"].text


@pytest.mark.parametrize(("area", "at_risk"), [
    (199.0, True),    # < 200 mm²
    (200.0, False),   # 200 is not below 200
    (199.4, True),    # printed 199 mm²
    (199.5, False),   # printed 200 mm² (half-up): classified as printed
    (170.0, True),    # the lower end of the cited range is flagged too
    (310.0, False),   # the first-in-human clip excision report (> 300 mm²)
])
def test_neo_lvot_boundary_both_sides(area: float, at_risk: bool) -> None:
    option = _elasta(assess(_no_space(neo_lvot_mm2={"value": area, "source": "CT"})))
    neo = [f for f in (*option.favouring, *option.against) if f.criterion == "neo_lvot"]
    assert len(neo) == 1
    assert (neo[0] in option.against) is at_risk
    if at_risk:
        assert option.status is Status.DISFAVOURED
        assert option.summary.startswith("ELASTA-Clip + TMVR: findings argue against (predicted neo-LVOT < 200 mm²")
    else:
        assert option.status is Status.CONSIDER  # too little space for another device: consider
        assert "CT for annulus sizing and neo-LVOT needed" not in option.summary
    assert "Yoon 2019 [REC]" in neo[0].text and neo[0].sources == ("Y19",)


def test_without_ct_the_option_still_says_ct_needed() -> None:
    result = assess(_no_space())
    option = _elasta(result)
    assert result.ct_recommended is True
    assert option.summary.endswith(" — CT for annulus sizing and neo-LVOT needed")
    assert "TMVR anatomy on CT (annulus, neo-LVOT)" in option.missing
    assert option.shown == ()


def test_annulus_and_mac_are_shown_not_used() -> None:
    ct = {k: v for k, v in CT.items() if k != "neo_lvot_mm2"}
    with_ct, without = assess(_no_space(**ct)), assess(_no_space())
    option = _elasta(with_ct)
    assert [f.criterion for f in option.shown] == ["ct_annulus", "ct_mac"]
    assert "39.0 mm (CT)" in option.shown[0].text and "45.0 mm (CT)" in option.shown[0].text
    assert "shown, not used by the rules" in option.shown[0].text
    assert option.shown[1].text.startswith("MAC on CT: <180 deg of the annulus circumference")
    # no rule reads them: status, findings and missing inputs are those of the case without CT
    bare = _elasta(without)
    assert (option.status, option.favouring, option.against, option.missing) == \
        (bare.status, bare.favouring, bare.against, bare.missing)


def test_haemodynamics_change_no_option() -> None:
    base = w16(space_cm=0.79)
    with_haemo = dataclasses.replace(base, ct=CtContext())
    assert Haemodynamics.from_json(HAEMO).recorded
    # AssessmentInput has no haemodynamic input at all: the rules cannot use them
    assert not any("pressure" in f.name or "rvsp" in f.name or "tr_" in f.name
                   for f in dataclasses.fields(with_haemo))
    assert assess(with_haemo).as_json() == assess(base).as_json()


def test_the_case_file_neo_lvot_reaches_the_rules(tmp_path: Path) -> None:
    from planning import findings

    case = load_case(_write(tmp_path, _doc(context={"ct": {"neo_lvot_mm2": {"value": 150, "source": "CT"}}})))
    inp = findings.assessment_input(case, [])
    assert inp.ct.number("neo_lvot_mm2") == 150.0
    assert any(f.criterion == "neo_lvot" for f in _elasta(assess(inp)).against)
