"""The quantity registry (measurements.concepts): complete, consistent with the band table and with PS3.16.

Code meanings are checked against pydicom's copy of the DICOM PS3.16 concept dictionaries (an
independent source), not against the registry itself.
"""

from __future__ import annotations

import ast
import inspect
from decimal import Decimal

import pytest
from pydicom.sr import _concepts_dict

from measurements import compute, concepts, thresholds
from measurements.concepts import PRIVATE_CODES, PRIVATE_SCHEME, QUANTITIES, UCUM, Coded
from measurements.results import UNITS

#: Grading keys that are not quantities: a distance graded with the leaflet table (purpose-specific).
GRADING_KEYS = {"posterior_leaflet_length"}


def _strings(node: ast.AST) -> set[str]:
    return {c.value for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str)}


def _compute_quantities() -> set[str]:
    """Every quantity name compute.py can put on a result, read from its source so a new one cannot slip
    past: literal quantity arguments of ``make_result``, the quantity tables it iterates (tuples; the
    values of purpose -> quantity dicts) and the defaults it looks those dicts up with."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(inspect.getsource(compute))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "make_result" and len(node.args) >= 3:
            found |= _strings(node.args[2]) if isinstance(node.args[2], ast.Constant) else set()
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                and "QUANTIT" in getattr(node.func.value, "id", "") and len(node.args) == 2:
            found |= _strings(node.args[1])
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any("QUANTIT" in getattr(t, "id", "") or getattr(t, "id", "") == "_AVERAGED" for t in targets):
                values = node.value.values if isinstance(node.value, ast.Dict) else [node.value]
                found |= {s for v in values for s in _strings(v)}
    return {q for q in found if q.isidentifier() and q.islower()}


def test_every_quantity_compute_produces_is_in_the_registry() -> None:
    produced = _compute_quantities()
    assert {"pasp", "vca_total", "rvol_volumetric", "rf_volumetric", "eroa_volumetric", "vmax", "vca",
            "vena_contracta", "distance", "area"} <= produced
    assert produced - set(QUANTITIES) == set()


@pytest.mark.parametrize("name", sorted(QUANTITIES))
def test_each_quantity_is_exported_to_sr_or_says_why_not(name: str) -> None:
    q = QUANTITIES[name]
    assert (q.sr is None) == bool(q.not_exported.strip()), f"{name}: needs an SR concept xor a reason"
    assert q.unit in UCUM, f"{name}: unit {q.unit!r} has no UCUM code"
    assert Decimal(q.precision).as_tuple().exponent <= 0 and Decimal(q.precision) > 0
    assert q.label and q.name == name


def test_registry_drives_units_precision_and_labels() -> None:
    assert {q.name: q.unit for q in QUANTITIES.values()} == UNITS
    assert {q.name: q.precision for q in QUANTITIES.values()} == thresholds.PRECISION
    assert {q.name: q.label for q in QUANTITIES.values()} == compute.QUANTITY_LABELS
    # the DESIGN.md contract units
    assert (UNITS["vmax"], UNITS["mean_gradient"], UNITS["rvol_pisa"], UNITS["heart_rate"]) == ("m/s", "mmHg", "mL",
                                                                                                "bpm")


def test_registry_schemes_match_the_band_table() -> None:
    for name, q in QUANTITIES.items():
        banded = {b.scheme for b in thresholds.BANDS if b.quantity == name}
        assert set(q.schemes) == banded, name
        assert len(set(q.schemes)) == len(q.schemes), name
    assert {b.quantity for b in thresholds.BANDS} <= set(QUANTITIES) | GRADING_KEYS


def test_volumetric_quantities_have_their_own_headline_scheme() -> None:
    for name in ("rvol_volumetric", "rf_volumetric", "eroa_volumetric", "vca_total"):
        assert QUANTITIES[name].schemes[0] == concepts.POST_TEER
    for name in ("rvol_pisa", "rf_pisa", "eroa_pisa"):
        assert QUANTITIES[name].schemes == (concepts.MR5,)


def _sr_codes() -> list[tuple[str, Coded]]:
    """Every code the SR writes for a quantity: the registry's, the mark-purpose concepts (with their
    topographical modifiers) and the PISA aliasing-velocity input."""
    concepts_by_name = [(q.name, q.sr) for q in QUANTITIES.values() if q.sr is not None]
    concepts_by_name += [(f"{name}@{purpose}", sr) for (name, purpose), sr in concepts.PURPOSE_SR.items()]
    concepts_by_name.append(("pisa aliasing", concepts.PISA_ALIASING))
    out: list[tuple[str, Coded]] = []
    for name, sr in concepts_by_name:
        out += [(name, c) for c in (sr.name, sr.method, sr.flow, sr.mode, sr.site, *sr.topographical) if c is not None]
    return out


def _pydicom_meanings() -> dict[tuple[str, str], set[str]]:
    index: dict[tuple[str, str], set[str]] = {}
    for scheme, by_keyword in _concepts_dict.concepts.items():
        for entry in by_keyword.values():
            for value, (meaning, _cids) in entry.items():
                index.setdefault((scheme, value), set()).add(meaning.lower())
    return index


def test_standard_codes_have_their_ps316_meaning() -> None:
    known = _pydicom_meanings()
    checked = 0
    for name, c in _sr_codes():
        assert c.scheme in ("LN", "SCT", "DCM", PRIVATE_SCHEME), (name, c)
        if (c.scheme, c.value) in known:
            assert c.meaning.lower() in known[(c.scheme, c.value)], (name, c, known[(c.scheme, c.value)])
            checked += 1
    assert checked >= 40  # nearly every code is in PS3.16; the rest are listed below
    unknown = {(c.scheme, c.value) for _, c in _sr_codes()} - set(known) - {(c.scheme, c.value) for c in PRIVATE_CODES}
    # not in pydicom's PS3.16 copy, checked by hand: LOINC 77914-0 (CID 12337, "Mitral valve effective
    # regurgitant orifice area (volumetric)") and SNOMED 250768007 ("Pulmonary artery systolic pressure")
    assert unknown <= {("LN", "77914-0"), ("SCT", "250768007")}


def test_private_codes_are_declared_and_fit_the_vr() -> None:
    used = {c for _, c in _sr_codes() if c.scheme == PRIVATE_SCHEME}
    assert used == set(PRIVATE_CODES)  # no private code is used without being listed
    for c in PRIVATE_CODES:
        assert len(c.value) <= 16 and len(c.meaning) <= 64  # SH / LO


@pytest.mark.parametrize(("name", "value", "scheme", "meaning", "ucum"), [
    ("pasp", "250768007", "SCT", "Pulmonary artery systolic pressure", "mm[Hg]"),
    ("vca_total", "42798000", "SCT", "Area", "cm2"),
    ("rvol_volumetric", "33878-0", "LN", "Volume flow", "ml"),
    ("rf_volumetric", "399301000", "SCT", "Regurgitant Fraction", "%"),
    ("eroa_volumetric", "77914-0", "LN", "Mitral valve effective regurgitant orifice area (volumetric)", "cm2"),
])
def test_the_quantities_the_pdf_prints_have_sr_codes(name: str, value: str, scheme: str, meaning: str,
                                                      ucum: str) -> None:
    q = QUANTITIES[name]
    assert q.sr is not None
    assert (q.sr.name.value, q.sr.name.scheme, q.sr.name.meaning, q.ucum.value) == (value, scheme, meaning, ucum)


def test_volumetric_and_pisa_rvol_are_told_apart_by_method() -> None:
    pisa, vol = QUANTITIES["rvol_pisa"].sr, QUANTITIES["rvol_volumetric"].sr
    assert pisa is not None and vol is not None and pisa.name == vol.name
    assert pisa.method is not None and pisa.method.value == "125216"  # PISA
    assert vol.method == concepts.VOLUMETRIC and vol.flow == concepts.REGURGITANT


def test_mr_quantities_are_the_mr_graded_ones() -> None:
    # not "vca": one jet's 3D VCA is not graded, the VCA bands grade the total (clinical-criteria §2.2, §2.3, §8.2)
    assert concepts.mr_quantities() == {"eroa_pisa", "rvol_pisa", "rf_pisa", "vena_contracta",
                                        "vena_contracta_biplane", "vca_total", "rvol_volumetric",
                                        "rf_volumetric", "eroa_volumetric"}


def test_unknown_quantity_names_the_registry() -> None:
    with pytest.raises(KeyError, match="unknown quantity 'tapse'"):
        concepts.quantity("tapse")


def test_the_report_schema_lists_exactly_the_registry_quantities_and_units() -> None:
    # the shipped JSON schema is a contract file; it must neither miss nor invent a quantity
    from report.json_export import schema

    item = schema()["properties"]["measurements"]["items"]["properties"]
    assert set(item["quantity"]["enum"]) == set(QUANTITIES)
    assert set(item["unit"]["enum"]) == {q.unit for q in QUANTITIES.values()}


@pytest.mark.parametrize(("purpose", "value", "scheme", "meaning"), [
    ("pisa_radius", "59102-4", "LN", "Flow Radius"),
    ("posterior_leaflet_length", "410668003", "SCT", "Length"),
    ("lvot_diameter", "81827009", "SCT", "Diameter"),
    ("annulus_diameter", "81827009", "SCT", "Diameter"),
    ("orifice", "42798000", "SCT", "Area"),
    ("mv_inflow", "103335007", "SCT", "Duration (attribute)"),
])
def test_mark_purposes_have_their_ps316_concept(purpose: str, value: str, scheme: str, meaning: str) -> None:
    sr = next(c for (_, p), c in concepts.PURPOSE_SR.items() if p == purpose)
    assert (sr.name.value, sr.name.scheme) == (value, scheme)
    assert meaning.lower() in _pydicom_meanings()[(scheme, value)]  # the code exists in PS3.16 with this meaning


def test_each_purpose_concept_is_told_apart_from_its_whole_site_quantities() -> None:
    # a per-orifice area must not read as the planimetered MVA, even to a receiver keying on concept + method
    mva = QUANTITIES["mva_planimetry"].sr
    orifice = concepts.PURPOSE_SR[("area", "orifice")]
    assert mva is not None and orifice.name != mva.name and orifice.method == mva.method
    assert {t.meaning for t in orifice.topographical} == {"Lateral", "Medial"} and mva.topographical == ()
    # a duration of a trace says which flow it lasted
    assert concepts.PURPOSE_SR[("duration", "mv_inflow")].flow == concepts.ANTEGRADE
    assert concepts.PURPOSE_SR[("duration", "mr_jet")].flow == concepts.REGURGITANT
    assert concepts.PISA_ALIASING.name.value == "59130-5" and concepts.PISA_ALIASING.method == concepts.PISA
