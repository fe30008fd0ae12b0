"""Decision-support inputs built from numbers: each value becomes a result as ``measure_all`` makes it
(``compute.make_result``: registry unit, graded by its schemes), so the rules see what a case gives them."""

from __future__ import annotations

from typing import Any

from measurements.compute import make_result
from measurements.results import Result
from planning.assessment import AssessmentInput, JetInput

#: Result ids used for each input (what ``Finding.measurements`` must name).
IDS = {"mg": "m_inflow.mean_gradient", "hr": "m_inflow.heart_rate", "mva": "mva.mva_planimetry",
       "pht_mva": "m_inflow.mva_pht", "continuity_mva": "cont.mva_continuity", "leaflet": "m_p1.distance",
       "space": "m_space.distance"}


def measured(quantity: str, value: float, rid: str) -> Result:
    """A result of ``quantity`` from the mark (or calculation) named by the id's first part."""
    return make_result(rid, rid, quantity, value, (rid.split(".")[0],))


def orifice(cm: float, mark: str = "m_orifice") -> Result:
    """A jet's maximal orifice dimension (a distance mark, cm)."""
    return measured("distance", cm, f"{mark}.distance")


def case_input(*, mg: float | None = None, hr: float | None = None, mva: float | None = None,
               pht_mva: float | None = None, continuity_mva: float | None = None, leaflet_cm: float | None = None,
               space_cm: float | None = None, **rest: Any) -> AssessmentInput:
    """An ``AssessmentInput`` with the given measured values (cm for lengths, as the marks measure them)."""
    r = {k: None if v is None else measured(q, v, IDS[k]) for k, q, v in (
        ("mg", "mean_gradient", mg), ("hr", "heart_rate", hr), ("mva", "mva_planimetry", mva),
        ("pht_mva", "mva_pht", pht_mva), ("continuity_mva", "mva_continuity", continuity_mva),
        ("leaflet", "distance", leaflet_cm), ("space", "distance", space_cm))}
    areas = {k: v for k, v in (("planimetry", r["mva"]), ("pht", r["pht_mva"]), ("continuity", r["continuity_mva"]))
             if v is not None}
    return AssessmentInput(mean_gradient=r["mg"], heart_rate=r["hr"], mva=areas, posterior_length=r["leaflet"],
                           space=r["space"], **rest)


#: W16: D1 lateral edge to commissure 9.0 mm, NTW 6 mm + 2 mm margin = 8 ≤ 9 → space ok; P1 8 mm → conditional;
#: MG 3.2 mmHg at HR 72, planimetered MVA 2.40 cm² → no stenosis barrier.
W16: dict[str, Any] = dict(mg=3.2, hr=72, mva=2.40, leaflet_cm=0.80, space_cm=0.90, device_width_mm=6.0,
                           mr_grade="moderate", jets=(JetInput("j1", "para-clip lateral", "A1-P1", "moderate", 0.45),))


def w16(**changes: Any) -> AssessmentInput:
    """W16 with some inputs changed (``None`` removes a measurement)."""
    return case_input(**{**W16, **changes})


#: §2.7 favourable site (clinical.md §2.7 rows "Location of target pathology" and "MVA"): the target jet at central
#: A2-P2 and a planimetered MVA > 4.0 cm² (4.10 × 0.75 = 3.075 → 3.08 cm² after one more device, ≥ 1.5). Without it
#: a commissural target (W16's A1-P1) or an MVA < 3.0 cm² (W16's 2.40) leaves redo TEER at most "possible".
FAVOURABLE_SITE: dict[str, Any] = dict(mva=4.10, jets=(JetInput("j1", "para-clip lateral", "A2-P2", "moderate", 0.45),))
