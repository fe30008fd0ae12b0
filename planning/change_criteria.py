"""What counts as a meaningful change between a prior study and the current one, per quantity.

No guideline this project relies on publishes change thresholds for TEE after TEER (docs/
clinical-criteria.md §3.1), so every numeric threshold below is a design recommendation [INF],
chosen at about the size of the repeat-measurement variability of the method, and says so in its
``source``; only the ordinal rule for the MR grade rests on the MVARC 0-4+ scale (Stone et al.,
JACC 2015;66:308-321).
A change smaller than its threshold is reported as "unchanged", never hidden: the row keeps the
numbers. Thresholds compare the values as printed (docs/clinical-criteria.md §0.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Polarity(StrEnum):
    """Which way a quantity gets worse for the patient after TEER."""

    HIGHER_IS_WORSE = "higher is worse"  # gradient, MR size
    LOWER_IS_WORSE = "lower is worse"  # valve area
    NEUTRAL = "neutral"  # heart rate: context, neither better nor worse


@dataclass(frozen=True, slots=True)
class ChangeCriterion:
    """The smallest change of a quantity that counts as meaningful, which way is worse, and why."""

    quantity: str
    threshold: float  # in the quantity's unit (MR grade: classes)
    polarity: Polarity
    source: str


_INF = "[INF] design recommendation (no published change threshold): about the repeat-measurement variability"

CRITERIA: dict[str, ChangeCriterion] = {c.quantity: c for c in (
    ChangeCriterion("mean_gradient", 1.0, Polarity.HIGHER_IS_WORSE, f"{_INF} of Doppler mean gradient"),
    ChangeCriterion("peak_gradient", 2.0, Polarity.HIGHER_IS_WORSE, f"{_INF} of Doppler peak gradient"),
    ChangeCriterion("mva_planimetry", 0.2, Polarity.LOWER_IS_WORSE, f"{_INF} of planimetry"),
    ChangeCriterion("mva_pht", 0.2, Polarity.LOWER_IS_WORSE, f"{_INF} of MVA by PHT"),
    ChangeCriterion("mva_continuity", 0.2, Polarity.LOWER_IS_WORSE, f"{_INF} of continuity MVA"),
    ChangeCriterion("mva_pisa", 0.2, Polarity.LOWER_IS_WORSE, f"{_INF} of PISA MVA"),
    ChangeCriterion("vena_contracta", 0.1, Polarity.HIGHER_IS_WORSE, f"{_INF} of vena contracta width"),
    ChangeCriterion("vena_contracta_biplane", 0.1, Polarity.HIGHER_IS_WORSE,
                    f"{_INF} of vena contracta width"),
    ChangeCriterion("vca_total", 0.1, Polarity.HIGHER_IS_WORSE, f"{_INF} of 3D vena contracta area"),
    ChangeCriterion("eroa_pisa", 0.05, Polarity.HIGHER_IS_WORSE, f"{_INF} of PISA EROA"),
    ChangeCriterion("rvol_pisa", 10.0, Polarity.HIGHER_IS_WORSE, f"{_INF} of PISA regurgitant volume"),
    ChangeCriterion("heart_rate", 10.0, Polarity.NEUTRAL, f"{_INF} (gradients depend on heart rate)"),
    ChangeCriterion("jet_count", 1.0, Polarity.HIGHER_IS_WORSE, "[INF] any new or vanished residual jet"),
    ChangeCriterion("total_mr_grade", 1.0, Polarity.HIGHER_IS_WORSE,
                    "MVARC 0-4+ ordinal MR scale (Stone et al. 2015): one class is the smallest step"),
    ChangeCriterion("device_count", 1.0, Polarity.NEUTRAL, "[INF] any device added or removed"),
)}


def criterion(quantity: str) -> ChangeCriterion | None:
    """The change criterion of ``quantity`` (None: compared, but no criterion of meaning)."""
    return CRITERIA.get(quantity)
