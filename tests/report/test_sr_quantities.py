"""The demo report's SR carries every quantity the PDF prints, coded as the quantity registry says.

The demo phantom has no LVOT, TR or 3D view, so the volumetric, PASP and total-VCA results are added
to the demo case's own results with hand numbers (W11 of the worked cases; PASP and total VCA by hand
below) and the report is built from all of them, as ``mitraplan report`` would after those marks.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pydicom
import pytest

from demo.case import write_demo_case
from demo.phantom import write_demo_study
from measurements.compute import make_result
from measurements.concepts import PRIVATE_SCHEME, QUANTITIES, purpose_concept
from planning.case import load_case, measure_case
from report.build import build_report
from report.model import Measurement
from report.sr import build_sr, evidence_for

from .test_sr_tid5200 import FINDING_SITE, FLOW, METHOD, Num, echo_nums

# W11: SV_total = 180 - 100 = 80 mL, SV_LVOT = π·1.0²·20 = 62.831853 mL → RVol 17.168147 mL (17),
# RF = 17.168147 / 80 = 21.46 % (21), EROA = 17.168147 / 150 cm = 0.1144543 cm² (0.11)
RVOL = 80.0 - 62.83185307179586
# PASP = 4·V_TR² + RAP = 4·2.8² + 8 = 39.36 mmHg (39, EAE moderate 30-50); total VCA 0.14 + 0.09 = 0.23 cm²
EXTRA = [
    ("c_vol.rvol_volumetric", "rvol_volumetric", RVOL),
    ("c_vol.rf_volumetric", "rf_volumetric", 100.0 * RVOL / 80.0),
    ("c_vol.eroa_volumetric", "eroa_volumetric", RVOL / 150.0),
    ("c_pasp.pasp", "pasp", 4 * 2.8**2 + 8),
    ("c_vca.vca_total", "vca_total", 0.14 + 0.09),
]


@pytest.fixture(scope="module")
def demo_sr(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("demo_sr")
    case = load_case(write_demo_case(write_demo_study(root / "loops"), root))
    results, errors = measure_case(case)
    extra = [make_result(rid, rid, q, v, ()) for rid, q, v in EXTRA]
    report, sources = build_report(case, results=[*results, *extra], errors=errors)
    sr = build_sr(report, evidence_for(report, sources.headers))
    path = root / "sr.dcm"
    sr.save_as(path)
    return report, pydicom.dcmread(path), echo_nums(pydicom.dcmread(path))


def _one(nums: list[Num], code: str, method: tuple[str, str] | None) -> Num:
    (m,) = [n for n in nums if n.name[0] == code and n.mods.get(METHOD) == method]
    return m


@pytest.mark.parametrize(("rid", "code", "scheme", "ucum", "method", "flow", "shown"), [
    ("c_vol.rvol_volumetric", "33878-0", "LN", "ml", ("VOLUMETRIC", PRIVATE_SCHEME), "397417004", 17),
    ("c_vol.rf_volumetric", "399301000", "SCT", "%", ("VOLUMETRIC", PRIVATE_SCHEME), "397417004", 21),
    ("c_vol.eroa_volumetric", "77914-0", "LN", "cm2", None, None, 0.11),
    ("c_pasp.pasp", "250768007", "SCT", "mm[Hg]", ("125218", "DCM"), None, 39),
    ("c_vca.vca_total", "42798000", "SCT", "cm2", ("SUM-JETS", PRIVATE_SCHEME), "397417004", 0.23),
])
def test_pdf_quantities_are_in_the_sr_with_their_codes(demo_sr, rid: str, code: str, scheme: str, ucum: str,
                                                       method: tuple[str, str] | None, flow: str | None,
                                                       shown: float) -> None:
    report, _, nums = demo_sr
    m = _one(nums, code, method)
    assert m.name == (code, scheme)
    assert m.unit == (ucum, "UCUM")
    assert (m.mods.get(FLOW) or (None,))[0] == flow
    assert m.value == shown  # written at reporting precision
    printed = next(x for x in report.measurements if x.id == rid)
    assert float(printed.shown) == shown  # the number the PDF prints is the one coded in the SR


def test_pasp_is_sited_at_the_pulmonary_artery(demo_sr) -> None:
    _, _, nums = demo_sr
    assert _one(nums, "250768007", ("125218", "DCM")).mods[FINDING_SITE] == ("81040000", "SCT")


def test_every_report_measurement_is_in_the_sr_or_the_registry_says_why_not(demo_sr) -> None:
    report, read, nums = demo_sr
    written = Counter(n.name[0] for n in nums if FINDING_SITE in n.mods)

    def concept(m: Measurement) -> str:  # a generic distance/area/duration: by its mark's purpose
        mark = report.mark(m.source[0]) if len(m.source) == 1 else None
        by_purpose = purpose_concept(m.quantity, mark.purpose) if mark is not None else None
        return (by_purpose or QUANTITIES[m.quantity].sr).name.value

    wanted = Counter(concept(m) for m in report.measurements if QUANTITIES[m.quantity].sr is not None)
    wanted["59130-5"] += 1  # the PISA aliasing velocity, the calculation's input
    assert written == wanted
    for m in report.measurements:
        if QUANTITIES[m.quantity].sr is None:
            assert QUANTITIES[m.quantity].not_exported
    assert read.CodingSchemeIdentificationSequence[-1].CodingSchemeDesignator == PRIVATE_SCHEME


def test_demo_sr_is_dicom_clean(demo_sr, tmp_path: Path) -> None:
    from .test_outputs import dciodvfy_errors

    _, read, _ = demo_sr
    path = tmp_path / "sr.dcm"
    read.save_as(path)
    assert dciodvfy_errors(path) == []
