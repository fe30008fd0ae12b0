"""Guideline thresholds as data (docs/clinical-criteria.md), and the rounding rule applied before classifying.

Each band is one row: quantity, scheme, class label, lower/upper bound with inclusivity copied from
the source's wording, and the source. Every cut-off is a named constant typed once here; band labels
and the decision-support texts (planning.assessment) are generated from these numbers. Values are
rounded to reporting precision (from the registry, measurements.concepts) with decimal round-half-up
on the shortest repr of the double *before* a band is looked up, so the class always matches the
number printed in the report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from measurements.concepts import (
    ACC,
    EAE,
    GERMAN,
    HR_VALIDITY,
    MG_VALID_HR_BPM,
    MR5,
    MVARC,
    POST_TEER,
    QUANTITIES,
)
from measurements.concepts import round_half_up as round_half_up  # re-exported: its users import it from here
from measurements.results import Grade

#: Scheme names and the HR band are defined in measurements.concepts and re-exported here for the band users.
__all__ = ["ACC", "EAE", "GERMAN", "HR_VALIDITY", "MG_VALID_HR_BPM", "MR5", "MVARC", "POST_TEER"]

#: Reporting precision per quantity (from the registry, measurements.concepts).
PRECISION: dict[str, str] = {q.name: q.precision for q in QUANTITIES.values()}

INF = math.inf

#: Where each band's source and wording is documented: an anchor of docs/clinical-criteria.md (the file the reports
#: cite; tests/measurements/test_citations.py checks every anchor the code names exists).
CRITERIA_DOC = "docs/clinical-criteria.md"
_S_MR5 = f"S1 Zoghbi 2017 / S5 MVARC; {CRITERIA_DOC}#23-five-class-residual-mr-scale-mvarc-ordinal"
_S_POST = f"S2 Zoghbi 2019 [REC]; {CRITERIA_DOC}#22-residual-mr-after-teer-ase-2019"
_S_MVARC = f"S5 Stone 2015 (MVARC); {CRITERIA_DOC}#26-post-teer-stenosis-risk-cut-offs"
_S_EAE = f"S3 Baumgartner 2009; {CRITERIA_DOC}#24-mitral-stenosis-severity-eaease-2009"
_S_ACC = f"S6 Otto 2020 [REC]; {CRITERIA_DOC}#25-mitral-stenosis-stages-accaha-2020"
_S_GER = f"S15 Boekstegers 2014 [REC]; {CRITERIA_DOC}#27-leaflet-and-anatomy-suitability-for-redo-teer"

# --- the cut-offs, each typed once (finding and criterion texts are generated from them) ---------
#: MVARC "no significant MS" (S5): mean gradient < 5 mmHg and planimetered MVA >= 1.5 cm².
MVARC_MG_MMHG = 5.0
MVARC_MVA_CM2 = 1.50
#: EAE/ASE 2009 (S3): MVA >1.5 mild / 1.0-1.5 moderate / <1.0 severe; MG <5 / 5-10 / >10; PASP <30 / 30-50 / >50.
EAE_MVA_CM2 = (1.0, 1.5)
EAE_MG_MMHG = (5.0, 10.0)
EAE_PASP_MMHG = (30.0, 50.0)
#: ACC/AHA 2020 (S6): MVA <=1.0 very severe / <=1.5 severe; PHT >=150 severe / >=220 very severe.
ACC_MVA_CM2 = (1.0, 1.5)
ACC_PHT_MS = (150.0, 220.0)
#: Residual MR, 5-class scale (S1 sub-ranges): mild < c0 <= moderate < c1 <= mod-to-severe < c2 <= severe.
MR5_CUTS: dict[str, tuple[float, float, float]] = {"eroa": (0.20, 0.30, 0.40), "rvol": (30, 45, 60),
                                                   "rf": (30, 40, 50)}
#: Single-jet VCW (S1/S2): < 0.30 mild, >= 0.70 severe; biplane mean: severe is "> 0.8" (W9c).
VCW_CM = (0.30, 0.70)
VCW_BIPLANE_SEVERE_CM = 0.80
#: 3D VCA, summed over jets (S2 [REC/INF], mirrors EROA).
VCA_CM2 = (0.20, 0.40)
#: Posterior leaflet free length for (redo) TEER (S15): < 0.7 cm unsuitable, >= 1.0 cm favourable.
LEAFLET_CM = (0.70, 1.00)


@dataclass(frozen=True)
class Band:
    """One class of one scheme: ``lower <(=) value <(=) upper`` on the rounded value."""

    quantity: str
    scheme: str
    label: str
    lower: float
    upper: float
    source: str
    lower_inclusive: bool = True
    upper_inclusive: bool = False

    def holds(self, value: float) -> bool:
        above = value >= self.lower if self.lower_inclusive else value > self.lower
        below = value <= self.upper if self.upper_inclusive else value < self.upper
        return above and below


def _half_open(quantity: str, scheme: str, source: str, cuts: list[float], labels: list[str]) -> list[Band]:
    """Bands [-inf, c0), [c0, c1), ..., [cn, inf): the "<a / a-b / >=b" pattern of the MR tables."""
    edges = [-INF, *cuts, INF]
    return [Band(quantity, scheme, label, lo, hi, source) for label, lo, hi in zip(labels, edges[:-1], edges[1:], strict=True)]


_MR5_LABELS = ["1+ mild", "2+ moderate", "3+ moderate-to-severe", "4+ severe"]
_MR5_VC = ["1+ mild", "2+/3+ moderate (VCW cannot separate 2+/3+)", "4+ severe"]
_MR5_VCA = ["1+ mild", "2+/3+ moderate (VCA cannot separate 2+/3+)", "4+ severe"]
_POST3 = ["mild", "moderate", "severe"]

def _n(value: float) -> str:
    """A cut-off as written in a label or a finding text (``5.0`` -> ``5``, ``1.50`` -> ``1.5``)."""
    return f"{value:g}"


def _mm(cm: float) -> str:
    return _n(round(cm * 10.0, 6))


def _three(quantity: str, scheme: str, source: str, cuts: tuple[float, float]) -> list[Band]:
    """EAE-style "<a / a-b / >b" bands: a belongs to the middle class, b too (both ends inclusive)."""
    a, b = cuts
    return [Band(quantity, scheme, "mild", -INF, a, source),
            Band(quantity, scheme, "moderate", a, b, source, upper_inclusive=True),
            Band(quantity, scheme, "severe", b, INF, source, lower_inclusive=False)]


def _mr_bands(stem: str, quantities: tuple[str, ...]) -> list[Band]:
    """5-class (S1 sub-ranges) and 3-class post-TEER (S2 mirrors S1: no 2+/3+ split) bands of one MR index."""
    c0, c1, c2 = MR5_CUTS[stem]
    return [b for q in quantities for b in (*_half_open(q, MR5, _S_MR5, [c0, c1, c2], _MR5_LABELS),
                                             *(_half_open(q, POST_TEER, _S_POST, [c0, c2], _POST3)
                                               if q.endswith("_volumetric") else []))]


def _ms_area_bands(quantity: str) -> list[Band]:
    """Valve area: EAE/ASE 2009 (>1.5 mild, 1.0-1.5 moderate, <1.0 severe) and ACC/AHA 2020 stages."""
    e1, e2 = EAE_MVA_CM2
    a1, a2 = ACC_MVA_CM2
    return [
        Band(quantity, EAE, "severe", -INF, e1, _S_EAE),
        Band(quantity, EAE, "moderate", e1, e2, _S_EAE, upper_inclusive=True),
        Band(quantity, EAE, "mild", e2, INF, _S_EAE, lower_inclusive=False),
        Band(quantity, ACC, "very severe", -INF, a1, _S_ACC, upper_inclusive=True),
        Band(quantity, ACC, "C/D severe", a1, a2, _S_ACC, lower_inclusive=False, upper_inclusive=True),
        Band(quantity, ACC, "B progressive", a2, INF, _S_ACC, lower_inclusive=False)]


def _hr_bands() -> list[Band]:
    lo, hi = MG_VALID_HR_BPM
    src = f"S3 Baumgartner 2009 [REC]; {CRITERIA_DOC}#28-heart-rate-validity-of-gradient-grading"
    return [Band("heart_rate", HR_VALIDITY, f"below {_n(lo)} /min", -INF, lo, src),
            Band("heart_rate", HR_VALIDITY, f"within {_n(lo)}-{_n(hi)} /min", lo, hi, src, upper_inclusive=True),
            Band("heart_rate", HR_VALIDITY, f"above {_n(hi)} /min", hi, INF, src, lower_inclusive=False)]


def _leaflet_bands() -> list[Band]:
    lo, hi = LEAFLET_CM
    q = "posterior_leaflet_length"
    return [Band(q, GERMAN, f"unsuitable (<{_mm(lo)} mm)", -INF, lo, _S_GER),
            Band(q, GERMAN, f"conditional ({_mm(lo)}-{_mm(hi)} mm)", lo, hi, _S_GER),
            Band(q, GERMAN, f"favourable (≥{_mm(hi)} mm)", hi, INF, _S_GER)]


def _vca_bands(quantity: str) -> list[Band]:
    return [*_half_open(quantity, MR5, _S_MR5 + " [INF default]", list(VCA_CM2), _MR5_VCA),
            *_half_open(quantity, POST_TEER, _S_POST + " [REC/INF]", list(VCA_CM2), _POST3)]


_MG, _MVA = _n(MVARC_MG_MMHG), _n(MVARC_MVA_CM2)
_PHT_B, _PHT_VS = ACC_PHT_MS

BANDS: tuple[Band, ...] = (
    # --- residual MR, 5-class scale and ASE 2019 post-TEER (volumetric: the preferred method after TEER)
    *_mr_bands("eroa", ("eroa_pisa", "eroa_volumetric")),
    *_mr_bands("rvol", ("rvol_pisa", "rvol_volumetric")),
    *_mr_bands("rf", ("rf_pisa", "rf_volumetric")),
    *_half_open("vena_contracta", MR5, _S_MR5, list(VCW_CM), _MR5_VC),
    *_half_open("vena_contracta", POST_TEER, _S_POST, list(VCW_CM), _POST3),
    *_vca_bands("vca_total"),  # the summed VCA only: one jet's ``vca`` is not graded (§2.2, §2.3, §8.2)
    # biplane mean VCW: severe is ">0.8" (S1), so 0.80 is not severe (W9c)
    Band("vena_contracta_biplane", MR5, "1+ mild", -INF, VCW_CM[0], _S_MR5),
    Band("vena_contracta_biplane", MR5, _MR5_VC[1], VCW_CM[0], VCW_BIPLANE_SEVERE_CM, _S_MR5, upper_inclusive=True),
    Band("vena_contracta_biplane", MR5, "4+ severe", VCW_BIPLANE_SEVERE_CM, INF, _S_MR5, lower_inclusive=False),
    # --- stenosis: MVARC: significant = MG >= 5.0 or MVA < 1.50 --------------------------------------
    Band("mean_gradient", MVARC, f"no significant MS (MG <{_MG} mmHg)", -INF, MVARC_MG_MMHG, _S_MVARC),
    Band("mean_gradient", MVARC, f"significant MS (MG ≥{_MG} mmHg)", MVARC_MG_MMHG, INF, _S_MVARC),
    Band("mva_planimetry", MVARC, f"significant MS (MVA <{_MVA} cm²)", -INF, MVARC_MVA_CM2, _S_MVARC),
    Band("mva_planimetry", MVARC, f"no significant MS (MVA ≥{_MVA} cm²)", MVARC_MVA_CM2, INF, _S_MVARC),
    # --- EAE/ASE 2009 areas and ACC/AHA 2020 stages; EAE mean gradient and PASP -----------------------
    *(b for q in ("mva_planimetry", "mva_pht", "mva_continuity", "mva_pisa") for b in _ms_area_bands(q)),
    *_three("mean_gradient", EAE, _S_EAE, EAE_MG_MMHG),
    *_three("pasp", EAE, _S_EAE, EAE_PASP_MMHG),
    Band("pht", ACC, "B progressive", -INF, _PHT_B, _S_ACC),
    Band("pht", ACC, "C/D severe", _PHT_B, _PHT_VS, _S_ACC),
    Band("pht", ACC, "very severe", _PHT_VS, INF, _S_ACC),
    # --- heart-rate validity of MG grading (60-80 inclusive, W12/W13) --------------------------------
    *_hr_bands(),
    # --- posterior leaflet free length for (redo) TEER: >=10 mm, 7-10 mm, <7 mm -----------------------
    *_leaflet_bands(),
)

#: Grading key -> the quantity whose reporting precision applies (keys that are not quantities).
_PRECISION_OF = {"posterior_leaflet_length": "distance"}


def shown(quantity: str, value: float) -> float:
    """The value as printed in the report (rounded to the quantity's reporting precision)."""
    quantum = PRECISION.get(_PRECISION_OF.get(quantity, quantity))
    if quantum is None or not math.isfinite(value):
        return value
    return float(round_half_up(value, quantum))


def schemes_of(key: str) -> tuple[str, ...]:
    """The schemes grading ``key``, headline scheme first: the registry's order for a quantity,
    the band table's order for a grading key that is not a quantity (posterior_leaflet_length)."""
    if key in QUANTITIES:
        return QUANTITIES[key].schemes
    return tuple(dict.fromkeys(b.scheme for b in BANDS if b.quantity == key))


def grade(quantity: str, value: float, scheme: str | None = None) -> tuple[Grade, ...]:
    """Every scheme's class for ``value`` (rounded first), headline scheme first; ``scheme`` restricts to one."""
    rounded = shown(quantity, value)
    wanted = [s for s in schemes_of(quantity) if scheme is None or s == scheme]
    return tuple(Grade(b.scheme, b.label, b.source) for s in wanted for b in BANDS
                 if b.quantity == quantity and b.scheme == s and b.holds(rounded))
