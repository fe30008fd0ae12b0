"""Guideline thresholds as data (clinical.md §2), and the rounding rule applied before classifying.

Each band is one row: quantity, scheme, class label, lower/upper bound with inclusivity copied from
the source's wording, and the source. Values are rounded to reporting precision with decimal
round-half-up on the shortest repr of the double (clinical.md §0) *before* a band is looked up, so
the class always matches the number printed in the report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from measurements.results import UNITS, Grade

#: Reporting precision per quantity (clinical.md §0).
PRECISION: dict[str, str] = {
    "vmax": "0.01", "velocity": "0.01", "mean_velocity": "0.01", "peak_gradient": "0.1",
    "mean_gradient": "0.1", "vti": "0.1", "pht": "1", "deceleration_time": "1", "duration": "1",
    "time_interval": "1", "mva_pht": "0.01", "mva_planimetry": "0.01", "mva_continuity": "0.01",
    "mva_pisa": "0.01", "eroa_pisa": "0.01", "vca": "0.01", "area": "0.01", "lvot_area": "0.01",
    "distance": "0.01", "vena_contracta": "0.01", "vena_contracta_biplane": "0.01",
    "rvol_pisa": "1", "sv_lvot": "1", "rf_pisa": "1", "heart_rate": "1", "rvol_volumetric": "1",
    "rf_volumetric": "1", "eroa_volumetric": "0.01", "vca_total": "0.01",
    "pisa_flow": "0.1", "pasp": "1",
}

INF = math.inf

# Scheme names: every grade carries one (clinical.md §0: schemes disagree at their boundaries).
MR5 = "ASE-2017-native/MVARC 5-class"
POST_TEER = "ASE-2019-post-TEER"
MVARC = "MVARC"
EAE = "EAE/ASE-2009-MS"
ACC = "ACC/AHA-2020-MS"
GERMAN = "German consensus 2014 (TEER anatomy)"
HR_VALIDITY = "EAE/ASE-2009 MG validity (HR 60-80)"

_S_MR5 = "S1 Zoghbi 2017 / S5 MVARC; clinical.md §2.3"
_S_POST = "S2 Zoghbi 2019 [REC]; clinical.md §2.2"
_S_MVARC = "S5 Stone 2015 (MVARC); clinical.md §2.6"
_S_EAE = "S3 Baumgartner 2009; clinical.md §2.4"
_S_ACC = "S6 Otto 2020 [REC]; clinical.md §2.5"
_S_GER = "S15 Boekstegers 2014 [REC]; clinical.md §2.7"


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

BANDS: tuple[Band, ...] = (
    # --- residual MR, 5-class scale (clinical.md §2.3) and ASE 2019 post-TEER (§2.2) -------------
    *_half_open("eroa_pisa", MR5, _S_MR5, [0.20, 0.30, 0.40], _MR5_LABELS),
    *_half_open("rvol_pisa", MR5, _S_MR5, [30, 45, 60], _MR5_LABELS),
    *_half_open("rf_pisa", MR5, _S_MR5, [30, 40, 50], _MR5_LABELS),
    *_half_open("vena_contracta", MR5, _S_MR5, [0.30, 0.70], _MR5_VC),
    *_half_open("vena_contracta", POST_TEER, _S_POST, [0.30, 0.70], _POST3),
    *_half_open("vca", MR5, _S_MR5 + " [INF default]", [0.20, 0.40], _MR5_VCA),
    *_half_open("vca", POST_TEER, _S_POST + " [REC/INF]", [0.20, 0.40], _POST3),
    *_half_open("vca_total", POST_TEER, _S_POST + " [REC/INF]", [0.20, 0.40], _POST3),
    *_half_open("vca_total", MR5, _S_MR5 + " [INF default]", [0.20, 0.40], _MR5_VCA),
    # volumetric (LV stroke volume minus LVOT stroke volume): the preferred method after TEER (S2)
    *_half_open("rvol_volumetric", POST_TEER, _S_POST, [30, 60], _POST3),
    *_half_open("rf_volumetric", POST_TEER, _S_POST, [30, 50], _POST3),
    *_half_open("eroa_volumetric", POST_TEER, _S_POST, [0.20, 0.40], _POST3),
    *_half_open("rvol_volumetric", MR5, _S_MR5, [30, 45, 60], _MR5_LABELS),
    *_half_open("rf_volumetric", MR5, _S_MR5, [30, 40, 50], _MR5_LABELS),
    *_half_open("eroa_volumetric", MR5, _S_MR5, [0.20, 0.30, 0.40], _MR5_LABELS),
    # biplane mean VCW: severe is ">0.8" (S1), so 0.80 is not severe (W9c)
    Band("vena_contracta_biplane", MR5, "1+ mild", -INF, 0.30, _S_MR5),
    Band("vena_contracta_biplane", MR5, "2+/3+ moderate (VCW cannot separate 2+/3+)", 0.30, 0.80, _S_MR5,
         upper_inclusive=True),
    Band("vena_contracta_biplane", MR5, "4+ severe", 0.80, INF, _S_MR5, lower_inclusive=False),
    # --- stenosis: MVARC (§2.6): significant = MG >= 5.0 or MVA < 1.50 -------------------------
    Band("mean_gradient", MVARC, "no significant MS (MG <5 mmHg)", -INF, 5.0, _S_MVARC),
    Band("mean_gradient", MVARC, "significant MS (MG ≥5 mmHg)", 5.0, INF, _S_MVARC),
    Band("mva_planimetry", MVARC, "significant MS (MVA <1.5 cm²)", -INF, 1.50, _S_MVARC),
    Band("mva_planimetry", MVARC, "no significant MS (MVA ≥1.5 cm²)", 1.50, INF, _S_MVARC),
    # --- EAE/ASE 2009 (§2.4): MVA >1.5 mild, 1.0-1.5 moderate, <1.0 severe; MG <5, 5-10, >10 ----
    *(b for q in ("mva_planimetry", "mva_pht", "mva_continuity", "mva_pisa") for b in (
        Band(q, EAE, "severe", -INF, 1.0, _S_EAE),
        Band(q, EAE, "moderate", 1.0, 1.5, _S_EAE, upper_inclusive=True),
        Band(q, EAE, "mild", 1.5, INF, _S_EAE, lower_inclusive=False),
        # --- ACC/AHA 2020 stages (§2.5): >1.5 B, <=1.5 C/D severe, <=1.0 very severe ----------
        Band(q, ACC, "very severe", -INF, 1.0, _S_ACC, upper_inclusive=True),
        Band(q, ACC, "C/D severe", 1.0, 1.5, _S_ACC, lower_inclusive=False, upper_inclusive=True),
        Band(q, ACC, "B progressive", 1.5, INF, _S_ACC, lower_inclusive=False),
    )),
    Band("mean_gradient", EAE, "mild", -INF, 5.0, _S_EAE),
    Band("mean_gradient", EAE, "moderate", 5.0, 10.0, _S_EAE, upper_inclusive=True),
    Band("mean_gradient", EAE, "severe", 10.0, INF, _S_EAE, lower_inclusive=False),
    Band("pasp", EAE, "mild", -INF, 30, _S_EAE),
    Band("pasp", EAE, "moderate", 30, 50, _S_EAE, upper_inclusive=True),
    Band("pasp", EAE, "severe", 50, INF, _S_EAE, lower_inclusive=False),
    Band("pht", ACC, "B progressive", -INF, 150, _S_ACC),
    Band("pht", ACC, "C/D severe", 150, 220, _S_ACC),
    Band("pht", ACC, "very severe", 220, INF, _S_ACC),
    # --- heart-rate validity of MG grading (§2.4 footnote, W12/W13: 60-80 inclusive) -------------
    Band("heart_rate", HR_VALIDITY, "below 60 /min", -INF, 60, _S_EAE + " [REC]"),
    Band("heart_rate", HR_VALIDITY, "within 60-80 /min", 60, 80, _S_EAE + " [REC]", upper_inclusive=True),
    Band("heart_rate", HR_VALIDITY, "above 80 /min", 80, INF, _S_EAE + " [REC]", lower_inclusive=False),
    # --- posterior leaflet free length for (redo) TEER (§2.7): >=10 mm, 7-10 mm, <7 mm -----------
    Band("posterior_leaflet_length", GERMAN, "unsuitable (<7 mm)", -INF, 0.70, _S_GER),
    Band("posterior_leaflet_length", GERMAN, "conditional (7-10 mm)", 0.70, 1.00, _S_GER),
    Band("posterior_leaflet_length", GERMAN, "favourable (≥10 mm)", 1.00, INF, _S_GER),
)

#: Grading key -> the quantity whose reporting precision applies (keys that are not quantities).
_PRECISION_OF = {"posterior_leaflet_length": "distance"}


def round_half_up(value: float, quantum: str) -> Decimal:
    """Decimal round-half-away-from-zero of the shortest repr of ``value`` (clinical.md §0, W15)."""
    return Decimal(repr(float(value))).quantize(Decimal(quantum), rounding=ROUND_HALF_UP)


def shown(quantity: str, value: float) -> float:
    """The value as printed in the report (rounded to the quantity's reporting precision)."""
    quantum = PRECISION.get(_PRECISION_OF.get(quantity, quantity))
    if quantum is None or not math.isfinite(value):
        return value
    return float(round_half_up(value, quantum))


def display(quantity: str, value: float) -> str:
    """The value as printed, with its unit: e.g. ``display("mean_gradient", 6.5213) == "6.5 mmHg"``."""
    quantum = PRECISION.get(_PRECISION_OF.get(quantity, quantity))
    text = str(round_half_up(value, quantum)) if quantum and math.isfinite(value) else f"{value:g}"
    return f"{text} {UNITS.get(quantity, '')}".strip()


def grade(quantity: str, value: float, scheme: str | None = None) -> tuple[Grade, ...]:
    """Every scheme's class for ``value`` (rounded first); ``scheme`` restricts to one scheme."""
    rounded = shown(quantity, value)
    return tuple(Grade(b.scheme, b.label, b.source) for b in BANDS
                 if b.quantity == quantity and (scheme is None or b.scheme == scheme) and b.holds(rounded))

