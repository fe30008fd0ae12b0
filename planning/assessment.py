"""Decision support for redo intervention after mitral TEER (docs/clinical-criteria.md §2.6, §2.7, §4, W16).

The rules are data: every cut-off sits in :data:`CRITERIA` with its source ids (docs/clinical-criteria.md
"Sources") and
evidence level, and each option lists the findings that favour or argue against it. The output
supports the heart team's decision; it never states one. Statuses describe what the findings
favour ("favoured by findings", "possible", "findings argue against", "consider"), never what to do.

Every measured number is a selected result (``planning.findings.selected``), classified as the report
prints it (the registry's precision, decimal half-up, §0.4), quoted by :func:`quoted` and named in
``Finding.measurements``. An option with nothing for or against it is "not assessable" and names the
missing inputs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum, StrEnum

from measurements.compute import af_caveat
from measurements.concepts import ACC, EAE, MVARC, quantity, value_text
from measurements.plausibility import orifices_summed
from measurements.results import Result
from measurements.thresholds import LEAFLET_CM, MG_VALID_HR_BPM, MVARC_MG_MMHG, MVARC_MVA_CM2, round_half_up
from planning.model import CT_NUMBERS, CtContext
from planning.vocab import (
    Calcification,
    Etiology,
    JetClass,
    JetLocation,
    LeafletInjury,
    MacExtent,
    Mobility,
    MRGrade,
    SegmentPair,
    SurgicalRisk,
    TmvrAnatomy,
)

# --- vocabulary --------------------------------------------------------------------------------


class Evidence(str, Enum):
    """Strength of the evidence behind a criterion or an option (docs/clinical-criteria.md §4)."""

    GUIDELINE = "guideline"
    #: expert consensus: trial endpoint definitions (MVARC, S5), position papers (S15), trial eligibility (S14)
    CONSENSUS = "consensus"
    REGISTRY = "registry"
    CASE_SERIES = "case series"
    CASE_REPORTS = "case reports"
    HEURISTIC = "app heuristic"


class Status(str, Enum):
    """What the findings say about an option; worded so that it never reads as a decision.

    ``NOT_ASSESSABLE``: no finding for or against, or the option's core inputs are missing; the option
    then names them (``OptionAssessment.missing``)."""

    FAVOURED = "favoured by findings"
    POSSIBLE = "possible"
    CONSIDER = "consider"
    DISFAVOURED = "findings argue against"
    NOT_ASSESSABLE = "not assessable"


#: Residual MR classes, MVARC ordinal 0..4+ (docs/clinical-criteria.md §2.3), as the case file spells them.
MR_CLASSES: tuple[str, ...] = tuple(g.value for g in MRGrade)


def mr_rank(grade: MRGrade | str | None) -> int | None:
    """Ordinal 0..4 of a residual-MR grade (``"moderate"`` → 2), ``None`` when not graded or not a grade."""
    if not grade:
        return None
    try:
        return MRGrade(grade).rank
    except ValueError:
        return None


def _coerce(obj: object, name: str, enum: type[StrEnum]) -> None:
    """Turn a plain-string field of a frozen input into its enum member (ValueError when it is none)."""
    value = getattr(obj, name)
    if isinstance(value, str) and not isinstance(value, enum):
        object.__setattr__(obj, name, enum(value) if value else None)


@dataclass(frozen=True, slots=True)
class Criterion:
    """One row of the rule table: a named cut-off with its source and evidence level."""

    id: str
    text: str
    threshold: float | None
    unit: str
    sources: tuple[str, ...]
    evidence: Evidence


def _n(value: float) -> str:
    """A cut-off as the texts print it (``5.0`` → ``5``, ``1.50`` → ``1.5``)."""
    return f"{value:g}"


#: Cut-offs that criterion texts name besides their own (each number is typed once, in measurements.thresholds
#: or in its own criterion row).
_HR_RANGE = f"{_n(MG_VALID_HR_BPM[0])}–{_n(MG_VALID_HR_BPM[1])}"
_TEXT_CUTS = {"hr": _HR_RANGE, "mg": _n(MVARC_MG_MMHG)}


def _c(id_: str, text: str, threshold: float | None, unit: str, sources: str, evidence: Evidence) -> Criterion:
    """A criterion whose text is generated from its threshold (``{t}``) and the shared cut-offs."""
    t = "" if threshold is None else _n(threshold)
    return Criterion(id_, text.format(t=t, **_TEXT_CUTS), threshold, unit, tuple(sources.split()), evidence)


#: Predicted neo-LVOT area (mm², CT) below which TMVR risks LVOT obstruction. The source range is about
#: 1.7–2.0 cm² (Yoon et al. 2019 [REC], docs/clinical-criteria.md §8.5); the upper end is used on purpose,
#: so that any area inside the cited range is flagged (the conservative choice for a harm criterion).
NEO_LVOT_RANGE_CM2 = (1.7, 2.0)
NEO_LVOT_MM2 = round(NEO_LVOT_RANGE_CM2[1] * 100.0, 6)
_NEO_RANGE = f"{_n(NEO_LVOT_RANGE_CM2[0])}–{_n(NEO_LVOT_RANGE_CM2[1])}"
_LEAFLET_MIN_MM, _LEAFLET_PREFERRED_MM = (round(cm * 10.0, 6) for cm in LEAFLET_CM)
_MR_TOLERABLE_RANK = 2
#: §2.7 MVA row (S15 [REC], S14 [SRC], written for the native valve before a first TEER): < 3.0 cm² unsuitable,
#: 3.0–4.0 conditional (both ends, as §2.6 words it "3–4 cm² conditional"), > 4.0 favourable.
_TEER_MVA_CM2 = (3.0, 4.0)
_MG_UNIT, _MVA_UNIT = quantity("mean_gradient").unit, quantity("mva_planimetry").unit

#: The rule table (docs/clinical-criteria.md §2.6, §2.7, §4). Thresholds marked [INF] there are app heuristics.
CRITERIA: dict[str, Criterion] = {c.id: c for c in (
    _c("mg_significant", "mean gradient ≥ {t} mmHg is significant iatrogenic MS (MVARC success needs < {t})",
       MVARC_MG_MMHG, _MG_UNIT, "S5 S16", Evidence.CONSENSUS),
    _c("mva_significant", "planimetered MVA < {t} cm² is significant iatrogenic MS (MVARC success needs ≥ {t})",
       MVARC_MVA_CM2, _MVA_UNIT, "S5", Evidence.CONSENSUS),
    _c("mg_redo_stop", "mean gradient ≥ {t} mmHg at HR {hr}: another device would likely push it to ≥ {mg} mmHg",
       4.0, _MG_UNIT, "S5 S15", Evidence.HEURISTIC),
    _c("mg_dmr_amber", "mean gradient > {t} mmHg predicts events in degenerative MR",
       4.4, _MG_UNIT, "S16", Evidence.REGISTRY),
    _c("hr_low", "gradients are graded at heart rate {hr} /min", MG_VALID_HR_BPM[0], "/min", "S3", Evidence.GUIDELINE),
    _c("hr_high", "gradients are graded at heart rate {hr} /min", MG_VALID_HR_BPM[1], "/min", "S3",
       Evidence.GUIDELINE),
    _c("leaflet_min", "free posterior leaflet length ≥ {t} mm to grasp", _LEAFLET_MIN_MM, "mm", "S15",
       Evidence.HEURISTIC),
    _c("leaflet_preferred", "free posterior leaflet length ≥ {t} mm is favourable", _LEAFLET_PREFERRED_MM, "mm",
       "S15", Evidence.CONSENSUS),
    _c("space_margin", "space beside existing devices ≥ new device width + {t} mm margin", 2.0, "mm", "S15",
       Evidence.HEURISTIC),
    _c("mva_after_device", "total MVA must stay ≥ {t} cm² after the new device occludes part of an orifice",
       MVARC_MVA_CM2, _MVA_UNIT, "S5 S15", Evidence.HEURISTIC),
    _c("mva_loss_per_device", "assumed fraction of the planimetered MVA one more device occludes",
       0.25, "fraction", "S15", Evidence.HEURISTIC),
    _c("slda_redo", "SLDA with an intact detached leaflet resolved with additional clips in 75%",
       None, "", "S8", Evidence.CASE_SERIES),
    _c("injury", "tear, perforation or loss of leaflet insertion at the target argues against grasping there",
       None, "", "S8 S9 S7", Evidence.CASE_SERIES),
    _c("calcification", "severe calcification in the grasping zone is unsuitable for TEER", None, "", "S14 S15",
       Evidence.CONSENSUS),
    _c("calcification_conditional", "calcification outside the grasping zone, milder calcification in it, or "
       "annular calcification (MAC) is conditional for TEER", None, "", "S14 S15", Evidence.CONSENSUS),
    _c("mac_severe", "severe mitral annular calcification (MAC) argues against TEER (milder MAC is conditional)",
       None, "", "S14 S15", Evidence.CONSENSUS),
    _c("plug_location", "discrete leak between devices, beside a device at a commissure, or a perforation",
       None, "", "S10", Evidence.CASE_SERIES),
    _c("mr_tolerable", f"residual MR ≤ {MR_CLASSES[_MR_TOLERABLE_RANK]} ({{t}}+) with clinical stability",
       float(_MR_TOLERABLE_RANK), "grade", "S5", Evidence.HEURISTIC),
    _c("surgical_risk", "high or prohibitive surgical risk", None, "", "S11", Evidence.REGISTRY),
    _c("calcification_none", "no calcification in the grasping zone is favourable for TEER", None, "", "S14 S15",
       Evidence.CONSENSUS),
    _c("cleft", "a perforation or cleft in the grasping zone is unsuitable for TEER", None, "", "S14 S15",
       Evidence.CONSENSUS),
    _c("target_central", "target pathology at central A2/P2 is favourable for TEER", None, "", "S14 S15",
       Evidence.CONSENSUS),
    _c("target_commissural", "target pathology at A1/P1 or A3/P3 (commissural) is conditional for TEER", None, "",
       "S14 S15", Evidence.CONSENSUS),
    _c("restricted_iiia", "restricted leaflet motion (Carpentier IIIa) is conditional for TEER", None, "", "S15",
       Evidence.CONSENSUS),
    _c("mva_teer_unsuitable", "MVA < {t} cm² is unsuitable TEER anatomy", _TEER_MVA_CM2[0], _MVA_UNIT, "S15 S14",
       Evidence.CONSENSUS),
    _c("mva_teer_conditional", f"MVA {_n(_TEER_MVA_CM2[0])}–{_n(_TEER_MVA_CM2[1])} cm² is conditional TEER anatomy "
       "(with good mobile tissue)", None, _MVA_UNIT, "S15 S14", Evidence.CONSENSUS),
    _c("mva_teer_favourable", "MVA > {t} cm² is favourable TEER anatomy (pre-index baseline)", _TEER_MVA_CM2[1],
       _MVA_UNIT, "S15 S14", Evidence.CONSENSUS),
    _c("tmvr_anatomy", "TMVR anatomy (annulus size, predicted neo-LVOT on CT) suitable or unsuitable", None, "", "S12",
       Evidence.CASE_REPORTS),
    _c("neo_lvot", f"predicted neo-LVOT area on CT < {{t}} mm² (the upper end of the cited {_NEO_RANGE} cm²) risks "
       "LVOT obstruction after TMVR", NEO_LVOT_MM2, "mm²", "Y19", Evidence.REGISTRY),
    _c("ct_annulus", "CT annulus dimensions size the TMVR valve (no sourced device range here: shown, not used)",
       None, "mm", "S12", Evidence.CASE_REPORTS),
    _c("ct_mac", "extent of annular calcification on CT (no sourced cut-off here: shown, not used)", None, "",
       "S12", Evidence.CASE_REPORTS),
    _c("concomitant", "concomitant surgical indication (TV, CABG, AV)", None, "", "S11", Evidence.REGISTRY),
    _c("stenosis_untreated", "significant iatrogenic stenosis is not relieved without intervention", None, "", "S5",
       Evidence.HEURISTIC),
)}

#: Short citations of the source ids (docs/clinical-criteria.md §0), printed under the decision-support section.
SOURCES: dict[str, str] = {
    "S3": "Baumgartner H et al. EAE/ASE valve stenosis recommendations. JASE 2009;22:1-23",
    "S5": "Stone GW et al. MVARC endpoint definitions. JACC 2015;66:278-307, 308-321",
    "S7": "Hausleiter J et al. Mitral valve TEER. EuroIntervention 2023;18:957-976",
    "S8": "Asch FM et al. EXPAND leaflet adverse events. EuroIntervention 2021",
    "S9": "Hahn RT. TEER leaflet adverse events. EuroIntervention 2021;17(11)",
    "S10": "Niikura H et al. Transcatheter therapy for residual MR after MitraClip. EuroIntervention 2019",
    "S11": "Kaneko T et al. CUTTING-EDGE registry, surgery after TEER. JACC CI 2021;14:2010-2021",
    "S12": "Lisko JC et al. ELASTA-Clip. JACC CI 2020; Elison D et al. clip excision + TMVR (case report)",
    "S13": "Redo-TEER series (n=16). Eur Heart J 2023;44(Suppl 2):ehad655.2254",
    "S14": "Feldman T et al. EVEREST II eligibility. NEJM 2011",
    "S15": "Boekstegers P et al. German consensus on MitraClip anatomy. Clin Res Cardiol 2014;103:85-96",
    "S16": "Post-TEER gradient outcome studies (JAHA 2019, JAHA 2024, Dykun 2021)",
    "Y19": "Yoon SH et al. Predictors of LVOT obstruction after TMVR (neo-LVOT area). JACC 2019 [REC]",
}

#: Options, their evidence and sources (docs/clinical-criteria.md §4 table).
OPTIONS: dict[str, tuple[str, Evidence, tuple[str, ...]]] = {
    "redo_teer": ("Redo TEER (additional device)", Evidence.CASE_SERIES, ("S13", "S8")),
    "plug": ("Vascular plug / occluder for a para- or inter-device leak", Evidence.CASE_SERIES, ("S10",)),
    "elasta_tmvr": ("ELASTA-Clip + TMVR (electrosurgical clip detachment, valve-in-clip replacement)",
                    Evidence.CASE_REPORTS, ("S12",)),
    "surgery": ("Surgery (mitral valve replacement, rarely repair)", Evidence.REGISTRY, ("S11",)),
    "medical": ("Medical therapy / no reintervention", Evidence.HEURISTIC, ("S5",)),
}

DEFAULT_DEVICE_WIDTH_MM = 6.0  # MitraClip NTW/XTW, PASCAL Ace (docs/clinical-criteria.md §2.7 [REC])

# --- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JetInput:
    """A residual jet as the rules see it (plain strings are read as their vocabulary members);
    ``orifice`` is the result of its maximal orifice dimension mark (a distance in cm)."""

    id: str
    location: JetLocation | None = None
    segment: SegmentPair | None = None
    grade: MRGrade | None = None
    vena_contracta_cm: float | None = None
    orifice: Result | None = None

    def __post_init__(self) -> None:
        for name, enum in (("location", JetLocation), ("segment", SegmentPair), ("grade", MRGrade)):
            _coerce(self, name, enum)

    @property
    def location_class(self) -> JetClass:
        """What the location means for the rules (``planning.vocab.JetLocation.jet_class``)."""
        return self.location.jet_class if self.location is not None else JetClass.OTHER

    @property
    def near_commissure(self) -> bool:
        """Commissural location or a commissural scallop (A1/P1, A3/P3) in its segment."""
        at_edge = self.segment is not None and any(n in (1, 3) for n in self.segment.numbers)
        return (self.location is not None and self.location.commissural) or at_edge

    @property
    def plug_site(self) -> bool:
        """Rule 4 location: between devices, a perforation, or beside a device next to a commissure."""
        cls = self.location_class
        return cls in (JetClass.INTER_DEVICE, JetClass.PERFORATION) or (
            cls is JetClass.PARA_DEVICE and self.near_commissure)


@dataclass(frozen=True, slots=True)
class AssessmentInput:
    """Everything the rules read: the selected result of each measured quantity
    (``planning.findings.selected``: a beat average where there are beats, never a per-beat or a held
    result) and vocabulary members (plain strings are read as their members)."""

    mean_gradient: Result | None = None  # transmitral inflow (never an MR jet's)
    heart_rate: Result | None = None  # the one that goes with the mean gradient
    mva: Mapping[str, Result] = field(default_factory=dict)  # "planimetry" | "pht" | "continuity"
    etiology: Etiology | None = None
    mr_grade: MRGrade | None = None  # the clinician's integrated total residual MR grade
    total_mr_basis: str = ""  # what the total rests on (methods, views), as the clinician wrote it
    jets: Sequence[JetInput] = ()
    posterior_length: Result | None = None  # free posterior leaflet length at the target scallop (distance, cm)
    space: Result | None = None  # device edge → commissure or between devices, at the target (distance, cm)
    space_note: str = ""  # which space that is, relative to the target jet (planning.findings.target_space)
    scallop_injuries: Mapping[str, LeafletInjury] = field(default_factory=dict)  # scallop → tear/perforation/cleft
    scallop_mobility: Mapping[str, Mobility] = field(default_factory=dict)  # scallop → recorded leaflet motion
    device_width_mm: float = DEFAULT_DEVICE_WIDTH_MM
    slda: bool = False
    tear_or_perforation: bool = False
    loss_of_insertion: bool = False
    grasp_zone_calcification: Calcification | None = None  # worst in the grasping zone
    outside_grasp_zone_calcification: Calcification | None = None  # worst of the scallops calcified outside it
    mac: Calcification | None = None  # mitral annular calcification
    surgical_risk: SurgicalRisk | None = None
    tmvr_anatomy: TmvrAnatomy | None = None  # unknown = needs CT
    concomitant_surgical_indication: bool = False
    other_gradients: Sequence[Result] = ()  # the inflow mean gradients not selected (beats, other loops)
    ct: CtContext = field(default_factory=CtContext)  # context.ct: annulus, predicted neo-LVOT, MAC extent
    #: quantity → the value a plausibility gate holds where no usable one was selected; never read by a
    #: rule (docs/clinical-criteria.md §8.1), only named by the texts ("held; confirm to use")
    held: Mapping[str, Result] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "scallop_injuries", {k: LeafletInjury(v) for k, v in self.scallop_injuries.items()
                                                      if v and v != LeafletInjury.NONE})
        object.__setattr__(self, "scallop_mobility", {k: Mobility(v) for k, v in self.scallop_mobility.items() if v})
        for name, enum in (("etiology", Etiology), ("mr_grade", MRGrade), ("grasp_zone_calcification", Calcification),
                           ("outside_grasp_zone_calcification", Calcification), ("mac", Calcification),
                           ("surgical_risk", SurgicalRisk), ("tmvr_anatomy", TmvrAnatomy)):
            _coerce(self, name, enum)


def target_jet(jets: Sequence[JetInput]) -> JetInput | None:
    """The jet a redo device would treat: the worst-graded jet with a recorded segment, else the
    worst-graded jet (ties: the first recorded) [INF]; None without jets."""
    ranked = sorted(jets, key=lambda j: -(j.grade.rank if j.grade is not None else 0))
    return next((j for j in ranked if j.segment is not None), ranked[0] if ranked else None)


# --- outputs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """A criterion applied to this case: the statement with its value, and its source.

    ``measurements`` are the ids of the results (``measurements.results.Result.id``) whose values the
    text quotes, each printed by :func:`quoted`, exactly as the report's measurement table prints it."""

    criterion: str
    text: str
    sources: tuple[str, ...]
    evidence: Evidence
    measurements: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"criterion": self.criterion, "text": self.text, "sources": list(self.sources),
                "evidence": self.evidence.value, "measurements": list(self.measurements)}


@dataclass(frozen=True, slots=True)
class OptionAssessment:
    """One option with the findings for and against it, the inputs its rules lack, and its evidence."""

    key: str
    name: str
    status: Status
    summary: str
    favouring: tuple[Finding, ...]
    against: tuple[Finding, ...]
    evidence: Evidence
    sources: tuple[str, ...]
    missing: tuple[str, ...] = ()
    shown: tuple[Finding, ...] = ()  # key findings shown with the option but used by no rule

    def as_json(self) -> dict[str, object]:
        return {"key": self.key, "name": self.name, "status": self.status.value, "summary": self.summary,
                "favouring": [f.as_json() for f in self.favouring],
                "against": [f.as_json() for f in self.against], "missing": list(self.missing),
                "evidence": self.evidence.value, "sources": list(self.sources),
                **({"shown": [f.as_json() for f in self.shown]} if self.shown else {})}


@dataclass(frozen=True, slots=True)
class StenosisRisk:
    """Current stenosis against the post-TEER cut-offs, and what one more device would likely do.

    ``statement`` is the one-line verdict, built from the same selected results and cut-offs as the
    findings (it never contradicts their grades). ``significant`` are the findings meeting the MVARC
    criteria, ``risks`` the stop-rule and prognostic findings, ``reassuring`` those showing that one
    more device would likely keep the stenosis under the cut-offs."""

    barrier: bool | None
    findings: tuple[Finding, ...]
    warnings: tuple[str, ...]
    projected_mva_cm2: float | None
    statement: str = ""
    significant: tuple[Finding, ...] = ()
    risks: tuple[Finding, ...] = ()
    reassuring: tuple[Finding, ...] = ()
    missing: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"barrier": self.barrier, "statement": self.statement, "findings": [f.as_json() for f in self.findings],
                "warnings": list(self.warnings), "projected_mva_cm2": self.projected_mva_cm2,
                "missing": list(self.missing)}


@dataclass(frozen=True, slots=True)
class RedoFeasibility:
    """Redo-TEER anatomy: leaflet to grasp, space beside devices, attachment and injury."""

    space_ok: bool | None
    leaflet: str  # "favourable" | "conditional" | "unsuitable" | "not measured"
    injury_barrier: bool
    findings: tuple[Finding, ...]

    def as_json(self) -> dict[str, object]:
        return {"space_ok": self.space_ok, "leaflet": self.leaflet, "injury_barrier": self.injury_barrier,
                "findings": [f.as_json() for f in self.findings]}


@dataclass(frozen=True, slots=True)
class Assessment:
    """The decision-support section of the report."""

    mr_grade: str | None
    mr_grade_basis: str
    stenosis: StenosisRisk
    redo: RedoFeasibility
    plug_candidate: bool
    ct_recommended: bool
    options: tuple[OptionAssessment, ...]
    disclaimer: str = ("Decision support only: the findings below are matched against published criteria; "
                       "the heart team decides.")

    def as_json(self) -> dict[str, object]:
        return {"mr_grade": self.mr_grade, "mr_grade_basis": self.mr_grade_basis,
                "stenosis": self.stenosis.as_json(), "redo_teer": self.redo.as_json(),
                "plug_candidate": self.plug_candidate, "ct_recommended": self.ct_recommended,
                "options": [o.as_json() for o in self.options], "disclaimer": self.disclaimer}


# --- helpers -----------------------------------------------------------------------------------


def shown(value: float, places: int) -> float:
    """``value`` as printed: decimal half-up on its shortest repr (docs/clinical-criteria.md §0.4, W15)."""
    return float(round_half_up(value, f"1e-{places}"))


def fmt(value: float, places: int) -> str:
    """The printed text of ``value`` at ``places`` decimals (half-up)."""
    return f"{shown(value, places):.{places}f}"


def printed(result: Result) -> Decimal:
    """A result's value rounded to its quantity's reporting precision (the registry), decimal half-up:
    the number the report prints and the rules classify."""
    return round_half_up(result.value, quantity(result.quantity).precision)


def quoted(result: Result) -> str:
    """A result's value with its unit exactly as the report's measurement table prints it
    (``6.5 mmHg``, ``2.40 cm²``, ``0.80 cm``): the one formatting of a measured value in finding texts."""
    return value_text(result.quantity, result.value, result.unit)


def quoted_mva(result: Result) -> str:
    """A result as quoted (:func:`quoted`); a planimetered MVA with how many orifices of those the devices imply it sums when it
    sums fewer: "0.50 cm² (1 of 3 expected orifices summed: a lower bound)" (docs/clinical-criteria.md §8.1)."""
    counted = orifices_summed(result.method)
    return quoted(result) + ("" if counted is None else
                             f" ({counted[0]} of {counted[1]} expected orifices summed: a lower bound)")


def _af_text(result: Result) -> str:
    """The AF caveat of a mean gradient, as its finding quotes it ("" without one, clinical.md §8.3)."""
    caveat = af_caveat(result.warnings)
    return "" if caveat is None else f"; {caveat}"


def _mm(result: Result) -> float:
    """A distance result (cm) in mm, from its printed value (0.01 cm = 0.1 mm, so no second rounding)."""
    return float(printed(result) * 10)


def _finding(criterion_id: str, text: str, *quoting: Result) -> Finding:
    c = CRITERIA[criterion_id]
    return Finding(criterion_id, text, c.sources, c.evidence, tuple(r.id for r in quoting))


def _threshold(criterion_id: str) -> float:
    value = CRITERIA[criterion_id].threshold
    assert value is not None, criterion_id
    return value


def _cut(criterion_id: str) -> str:
    """A criterion's threshold as finding texts print it."""
    return _n(_threshold(criterion_id))


#: Names of the inputs a rule needs, as "not assessable (missing: …)" lists them.
MISSING_MG = "mean gradient (mitral inflow)"
MISSING_MG_HR = f"mean gradient at heart rate {_HR_RANGE} /min"
MISSING_MVA = "planimetered MVA"
MISSING_SPACE = "space beside the devices at the target"
MISSING_LEAFLET = "posterior leaflet length at the target scallop"
MISSING_MR = "total residual MR grade"
MISSING_JETS = "residual jet location"
MISSING_RISK = "surgical risk"
MISSING_TMVR = "TMVR anatomy on CT (annulus, neo-LVOT)"


def _missing_orifice(jet: JetInput) -> str:
    return f"maximal orifice dimension of jet {jet.id}"


# --- CT and haemodynamic context ----------------------------------------------------------------

#: Printed precision of the context numbers (docs/clinical-criteria.md §8.5) [INF]: CT lengths 0.1 mm,
#: CT areas 1 mm², pressures 1 mmHg; values are classified as printed (§0.4).
CONTEXT_QUANTUM = {"mm": "0.1", "mm²": "1", "mmHg": "1"}

#: Labels of the context entries as the report and the panel print them.
CONTEXT_LABELS: dict[str, str] = {
    "annulus_ap_mm": "Annulus anteroposterior (septal-lateral) diameter",
    "annulus_alpm_mm": "Annulus anterolateral-posteromedial (intercommissural) diameter",
    "annulus_perimeter_mm": "Annulus perimeter",
    "annulus_area_mm2": "Annulus area",
    "neo_lvot_mm2": "Predicted neo-LVOT area",
    "mac_extent": "MAC extent (circumference)",
    "la_mean_pressure_mmhg": "LA mean pressure",
    "la_v_wave_mmhg": "LA v-wave",
    "tr_grade": "TR grade",
    "rvsp_mmhg": "RVSP",
}


def context_number(value: float, unit: str) -> Decimal:
    """A context number as printed (the unit's quantum, decimal half-up): the number the rules compare."""
    return round_half_up(value, CONTEXT_QUANTUM[unit])


def context_text(value: float, unit: str) -> str:
    """A context number with its unit as every output prints it (``310 mm²``, ``39.5 mm``)."""
    return f"{context_number(value, unit)} {unit}"


def neo_lvot_finding(ct: CtContext) -> tuple[bool | None, Finding | None]:
    """(at risk of LVOT obstruction?, finding) from the predicted neo-LVOT area on CT: below
    ``NEO_LVOT_MM2`` (as printed, 1 mm²) it argues against TMVR, at or above it counts for TMVR anatomy
    ("acceptable predicted neo-LVOT", clinical-criteria §4); (None, None) when not recorded."""
    entry = ct.numbers.get("neo_lvot_mm2")
    if entry is None:
        return None, None
    area = context_number(float(entry.value), "mm²")
    text = f"Predicted neo-LVOT area {area} mm² ({entry.source})"
    if area < Decimal(repr(NEO_LVOT_MM2)):
        return True, _finding("neo_lvot", f"{text} < {_cut('neo_lvot')} mm²: risk of LVOT obstruction after TMVR "
                              "(Yoon 2019 [REC])")
    return False, _finding("neo_lvot", f"{text} ≥ {_cut('neo_lvot')} mm²: acceptable for TMVR (Yoon 2019 [REC])")


def ct_key_findings(ct: CtContext) -> tuple[Finding, ...]:
    """The CT annulus dimensions and MAC extent, shown with ELASTA-Clip + TMVR; no rule uses them
    (no source here gives a device range or a MAC cut-off)."""
    parts = [f"{CONTEXT_LABELS[k].removeprefix('Annulus ')} {context_text(float(e.value), CT_NUMBERS[k][0])} ({e.source})"
             for k, e in ct.numbers.items() if k.startswith("annulus_")]
    out = [_finding("ct_annulus", "CT annulus: " + "; ".join(parts) + " (shown, not used by the rules)")] if parts else []
    if ct.mac_extent is not None:
        extent = ct.mac_extent.value
        where = "" if extent is MacExtent.NONE else " of the annulus circumference"
        out.append(_finding("ct_mac", f"MAC on CT: {extent}{where} ({ct.mac_extent.source}; shown, not used by the "
                            "rules)"))
    return tuple(out)


# --- the rules ---------------------------------------------------------------------------------


def residual_mr_grade(inp: AssessmentInput) -> tuple[str | None, str]:
    """The clinician's integrated total residual MR grade with its basis. Per-jet grades are never
    combined into a total (VCW and PISA describe one jet, docs/clinical-criteria.md "Per jet vs total"); without
    a total the basis says it is missing and lists the per-jet grades as per-jet."""
    if inp.mr_grade is not None:
        return inp.mr_grade.value, "clinician's integrated total" + (f": {inp.total_mr_basis}"
                                                                     if inp.total_mr_basis else "")
    per_jet = [f"{j.id.upper()} {j.grade}" for j in inp.jets if j.grade is not None]
    listed = f"; per-jet grades, not a total: {', '.join(per_jet)}" if per_jet else ""
    return None, f"{TOTAL_MR_MISSING}{listed}"


#: The basis of the residual MR grade when the clinician has not graded the integrated total.
TOTAL_MR_MISSING = "total residual MR missing: the clinician's integrated grade is not recorded"


def _hr_in_range(hr: Result | None) -> bool:
    return hr is not None and _threshold("hr_low") <= float(printed(hr)) <= _threshold("hr_high")


def _heart_rate_warnings(hr: Result | None) -> list[str]:
    if hr is None:
        return ["Heart rate not recorded with the mean gradient."]
    if not _hr_in_range(hr):
        return [f"Heart rate {quoted(hr)} is outside {_HR_RANGE} /min: the gradient is rate-dependent; "
                "repeat at a lower rate if possible."]
    return []


def _scheme_notes(result: Result) -> list[str]:
    """Where another stenosis scheme grades the selected result more severely than MVARC's "no
    significant MS" (e.g. MVA 1.50 cm²: EAE moderate, ACC/AHA severe), say so: the schemes differ."""
    others = [f"{g.label} ({g.scheme})" for g in result.grades
              if (g.scheme, g.label) not in ((EAE, "mild"), (ACC, "B progressive")) and g.scheme in (EAE, ACC)]
    if not others:
        return []
    return [f"{quantity(result.quantity).label.capitalize()} {quoted(result)} is no significant MS by MVARC but "
            f"{', '.join(others)}: the schemes differ at this value; MVARC is the post-TEER criterion."]


def _mvarc_class(result: Result) -> str | None:
    return next((g.label for g in result.grades if g.scheme == MVARC), None)


def _discordant(selected: Result, others: Sequence[Result]) -> list[str]:
    """Inflow mean gradients in the measurement table whose MVARC class differs from the selected one's
    (a beat above the cut-off, an average below it): named, so the table and the verdict never seem to
    disagree."""
    mine = _mvarc_class(selected)
    odd = [f"{r.label} {quoted(r)} ({label})" for r in others
           for label in [_mvarc_class(r)] if label is not None and label != mine]
    if not odd:
        return []
    return [f"Graded differently from the mean gradient the rules use ({quoted(selected)}, {selected.label}): "
            + "; ".join(odd) + "."]


def _projection(mva: Result) -> float:
    """MVA left after one more device occludes the assumed fraction of the printed planimetered MVA."""
    return shown(float(printed(mva)) * (1.0 - _threshold("mva_loss_per_device")), 2)


def held_input(name: str, result: Result) -> str:
    """A rule input measured but held by a plausibility gate, as the texts name it in place of "not
    measured": "planimetered MVA held (1.00 cm², 1 of 3 expected orifices summed; confirm to use)"."""
    counted = orifices_summed(result.method)
    summed = "" if counted is None else f", {counted[0]} of {counted[1]} expected orifices summed"
    return f"{name} held ({quoted(result)}{summed}; confirm to use)"


def _stenosis_statement(significant: list[tuple[str, Result]], clear: list[tuple[str, Result]],
                        missing: list[str], held: list[str]) -> str:
    """The verdict line, from the same results and cut-offs as the findings; ``missing`` the inputs not
    measured, ``held`` those measured but held (:func:`held_input`)."""
    if significant:
        return "Significant iatrogenic MS (MVARC): " + "; ".join(f"{what} {quoted_mva(r)}" for what, r in significant)
    lacking = "; ".join([*([f"missing: {', '.join(missing)}"] if missing else []), *held])
    if not clear:
        return f"Stenosis not assessable ({lacking})"
    text = "No significant iatrogenic MS (MVARC): " + "; ".join(f"{what} {quoted_mva(r)}" for what, r in clear)
    return text + (f" ({', '.join(missing)} not measured)" if missing else "") + "".join(f"; {h}" for h in held)


@dataclass(slots=True)
class _Tally:
    """The stenosis findings as they are collected, each list one direction (see ``StenosisRisk``)."""

    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    significant: list[Finding] = field(default_factory=list)
    risks: list[Finding] = field(default_factory=list)
    reassuring: list[Finding] = field(default_factory=list)
    sig_parts: list[tuple[str, Result]] = field(default_factory=list)
    clear_parts: list[tuple[str, Result]] = field(default_factory=list)

    def mvarc(self, finding: Finding, what: str, result: Result, significant: bool) -> None:
        """An MVARC finding, counted as significant or clear by its own value."""
        self.findings.append(finding)
        if significant:
            self.significant.append(finding)
        (self.sig_parts if significant else self.clear_parts).append((what, result))

    def risk(self, finding: Finding) -> None:
        """A stop-rule risk: a finding against another device, and a warning."""
        self.risks.append(finding)
        self.warnings.append(finding.text + ".")


def _gradient_rules(inp: AssessmentInput, mg_r: Result, tally: _Tally) -> None:
    """MVARC MG ≥ 5, the degenerative-MR flag MG > 4.4, and the stop rule MG ≥ 4 (< 4 at HR 60–80 is low)."""
    hr_r = inp.heart_rate
    mg = float(printed(mg_r))
    hr_text = f" at HR {quoted(hr_r)}" if hr_r is not None else " (heart rate not recorded)"
    is_sig = mg >= _threshold("mg_significant")
    tally.mvarc(_finding("mg_significant", f"Mean gradient {quoted(mg_r)}{hr_text} is "
                         f"{'≥' if is_sig else '<'} {_cut('mg_significant')} mmHg (MVARC{_af_text(mg_r)})",
                         *((mg_r,) if hr_r is None else (mg_r, hr_r))), "mean gradient", mg_r, is_sig)
    tally.warnings.extend(_heart_rate_warnings(hr_r))
    tally.warnings.extend(_discordant(mg_r, inp.other_gradients))
    if inp.etiology is not None and inp.etiology.degenerative and mg > _threshold("mg_dmr_amber"):
        tally.risks.append(_finding("mg_dmr_amber", f"Mean gradient {quoted(mg_r)} > {_cut('mg_dmr_amber')} mmHg"
                                    " in degenerative MR", mg_r))
    if is_sig:
        return
    if mg >= _threshold("mg_redo_stop"):
        tally.risk(_finding("mg_redo_stop", f"Mean gradient {quoted(mg_r)} is ≥ {_cut('mg_redo_stop')} mmHg: "
                            f"another device would likely push it to ≥ {_cut('mg_significant')} mmHg", mg_r))
    elif hr_r is not None and _hr_in_range(hr_r):
        tally.reassuring.append(_finding("mg_redo_stop", f"Mean gradient {quoted(mg_r)} at HR {quoted(hr_r)} "
                                         f"is < {_cut('mg_redo_stop')} mmHg (low)", mg_r, hr_r))


def _area_rules(mva_r: Result, tally: _Tally) -> float:
    """MVARC MVA < 1.5 and the stop rule's projected MVA; returns the projection (cm²)."""
    low = float(printed(mva_r)) < _threshold("mva_significant")
    tally.mvarc(_finding("mva_significant", f"Planimetered MVA {quoted_mva(mva_r)} is "
                         f"{'<' if low else '≥'} {_cut('mva_significant')} cm² (MVARC)", mva_r),
                "planimetered MVA", mva_r, low)
    projected = _projection(mva_r)
    if low:
        return projected
    tally.warnings.extend(_scheme_notes(mva_r))
    loss = f"{_threshold('mva_loss_per_device'):.0%}"
    if projected < _threshold("mva_after_device"):
        tally.risk(_finding("mva_after_device", f"Planimetered MVA {quoted_mva(mva_r)} would fall to about "
                            f"{projected:.2f} cm² (< {_cut('mva_after_device')} cm²) if one more device occludes "
                            f"{loss} of it", mva_r))
    else:
        tally.reassuring.append(_finding("mva_after_device", f"Planimetered MVA {quoted_mva(mva_r)} would stay about "
                                         f"{projected:.2f} cm² (≥ {_cut('mva_after_device')} cm²) after one more "
                                         f"device occludes {loss} of it", mva_r))
    return projected


def stenosis_risk(inp: AssessmentInput) -> StenosisRisk:
    """Rule 1 and the redo stop rule (§2.6): current MS by the MVARC cut-offs, and the projection of
    one more device; every number is the selected result, classified as printed."""
    tally = _Tally()
    mg_r, mva_r = inp.mean_gradient, inp.mva.get("planimetry")
    absent = [(name, inp.held.get(q)) for name, q, r in ((MISSING_MG, "mean_gradient", mg_r),
                                                          (MISSING_MVA, "mva_planimetry", mva_r)) if r is None]
    not_measured = [name for name, h in absent if h is None]
    held = [held_input(name, h) for name, h in absent if h is not None]
    if mg_r is not None:
        _gradient_rules(inp, mg_r, tally)
    projected = None if mva_r is None else _area_rules(mva_r, tally)
    for method, label in (("pht", "pressure half-time"), ("continuity", "continuity equation")):
        r = inp.mva.get(method)
        if r is not None and float(printed(r)) < _threshold("mva_significant"):
            tally.warnings.append(f"MVA by {label} {quoted(r)} is < {_cut('mva_significant')} cm²; this method is"
                                  " not validated after TEER and is supportive only.")
    barrier = None if mg_r is None and mva_r is None else bool(tally.significant)
    return StenosisRisk(barrier, tuple(tally.findings + tally.risks + tally.reassuring), tuple(tally.warnings),
                        projected, _stenosis_statement(tally.sig_parts, tally.clear_parts, not_measured, held),
                        tuple(tally.significant), tuple(tally.risks), tuple(tally.reassuring),
                        tuple(n if h is None else held_input(n, h) for n, h in absent))


def leaflet_class(length_mm: float | None) -> str:
    """Posterior free leaflet length (mm, as printed): favourable, conditional or unsuitable (§2.7)."""
    if length_mm is None:
        return "not measured"
    mm = shown(length_mm, 1)
    if mm >= _threshold("leaflet_preferred"):
        return "favourable"
    return "conditional" if mm >= _threshold("leaflet_min") else "unsuitable"


def redo_feasibility(inp: AssessmentInput) -> RedoFeasibility:
    """Rules 2 and 3: injury barrier, space beside devices, graspable leaflet (W16)."""
    findings: list[Finding] = []
    space_ok: bool | None = None
    if inp.space is not None:
        need = inp.device_width_mm + _threshold("space_margin")
        space = _mm(inp.space)
        space_ok = space >= need
        where = f" ({inp.space_note})" if inp.space_note else ""
        findings.append(_finding("space_margin", f"Space beside existing devices{where} {quoted(inp.space)} ({space:.1f} mm) "
                                 f"{'≥' if space_ok else '<'} {inp.device_width_mm:g} mm device"
                                 f" + {_cut('space_margin')} mm margin = {need:g} mm", inp.space))
    leaflet = leaflet_class(None if inp.posterior_length is None else _mm(inp.posterior_length))
    if inp.posterior_length is not None:
        lo, hi = _cut("leaflet_min"), _cut("leaflet_preferred")
        bound = {"favourable": f"≥ {hi} mm (favourable)", "conditional": f"≥ {lo} and < {hi} mm (conditional)",
                 "unsuitable": f"< {lo} mm (unsuitable)"}[leaflet]
        criterion = "leaflet_preferred" if leaflet == "favourable" else "leaflet_min"
        findings.append(_finding(criterion, f"Free posterior leaflet length {quoted(inp.posterior_length)} "
                                 f"({_mm(inp.posterior_length):.1f} mm) {bound}", inp.posterior_length))
    injury, injury_findings = _injury_findings(inp)
    findings.extend(injury_findings)
    if inp.slda:
        findings.append(_finding("slda_redo", "Single-leaflet device attachment present"))
    findings.extend(_calcification_findings(inp))
    findings.extend(_location_findings(inp))
    findings.extend(_mobility_findings(inp))
    findings.extend(_teer_area_findings(inp))
    return RedoFeasibility(space_ok, leaflet, injury, tuple(findings))


def _injury_findings(inp: AssessmentInput) -> tuple[bool, list[Finding]]:
    """Rule 2 and the §2.7 perforation/cleft row at the target: a tear or perforation at a scallop of the
    target jet's segment (every recorded scallop when no target segment is recorded), the valve-level
    tear/perforation flag or a device with loss of leaflet insertion is the injury barrier; a cleft there
    is unsuitable for TEER (the target scallop is where a new device grasps) [INF: the target]."""
    target = target_jet(inp.jets)
    scallops = target.segment.scallops if target is not None and target.segment is not None else ()
    where = (f"target jet {target.id} at {target.segment}" if target is not None and scallops
             else "no target segment recorded: every injured scallop counts")
    at = {s: i for s, i in inp.scallop_injuries.items() if not scallops or s in scallops}
    holes = [f"{i} at {s}" for s, i in at.items() if i is not LeafletInjury.CLEFT]
    parts = [*holes, *(["tear/perforation"] if inp.tear_or_perforation else []),
             *(["loss of leaflet insertion"] if inp.loss_of_insertion else [])]
    out = [_finding("injury", f"Leaflet injury at the target: {' and '.join(parts)}"
                    + (f" ({where})" if holes else ""))] if parts else []
    clefts = [s for s, i in at.items() if i is LeafletInjury.CLEFT]
    if clefts:
        out.append(_finding("cleft", f"Cleft at {', '.join(clefts)} in the grasping zone ({where}): unsuitable for "
                            "TEER"))
    return bool(parts), out


def _location_findings(inp: AssessmentInput) -> list[Finding]:
    """§2.7 location of the target pathology: central A2/P2 is favourable, a commissural scallop (A1/P1,
    A3/P3) or a commissural jet conditional; nothing when the target jet has no segment or location."""
    target = target_jet(inp.jets)
    if target is None or (target.segment is None and not target.near_commissure):
        return []
    at = f"Target jet {target.id} at {target.segment or target.location}"
    if target.near_commissure:
        return [_finding("target_commissural", f"{at}: commissural (conditional)")]
    return [_finding("target_central", f"{at}: central A2/P2 (favourable)")]  # only A2-P2 has no scallop 1 or 3


def _mobility_findings(inp: AssessmentInput) -> list[Finding]:
    """§2.7 rheumatic restriction row: restricted motion IIIa at a scallop of the target segment is
    conditional (a caution). Not applied without a target segment; rheumatic thickening and Barlow
    disease are not recorded."""
    target = target_jet(inp.jets)
    if target is None or target.segment is None:
        return []
    restricted = [s for s in target.segment.scallops if inp.scallop_mobility.get(s) is Mobility.RESTRICTED_IIIA]
    if not restricted:
        return []
    return [_finding("restricted_iiia", f"Restricted motion IIIa at {', '.join(restricted)} (target jet {target.id} "
                     f"at {target.segment}): conditional")]


def _teer_area_findings(inp: AssessmentInput) -> list[Finding]:
    """§2.7 MVA row on the selected planimetered MVA (as printed): < 3.0 cm² unsuitable, 3.0–4.0
    conditional, > 4.0 favourable (S15 [REC], written for the native valve). An MVA already below the
    MVARC cut-off is the stenosis barrier (rule 1) and is not repeated here."""
    mva = inp.mva.get("planimetry")
    if mva is None:
        return []
    value = float(printed(mva))
    low, high = _threshold("mva_teer_unsuitable"), _threshold("mva_teer_favourable")
    if value < _threshold("mva_significant"):
        return []
    if value > high:
        return [_finding("mva_teer_favourable", f"Planimetered MVA {quoted_mva(mva)} > {_cut('mva_teer_favourable')} cm² "
                         "(favourable TEER anatomy)", mva)]
    if value < low:
        return [_finding("mva_teer_unsuitable", f"Planimetered MVA {quoted_mva(mva)} < {_cut('mva_teer_unsuitable')} cm² "
                         "(unsuitable TEER anatomy by the native-valve cut-off)", mva)]
    return [_finding("mva_teer_conditional", f"Planimetered MVA {quoted_mva(mva)} within {_cut('mva_teer_unsuitable')}–"
                     f"{_cut('mva_teer_favourable')} cm² (conditional TEER anatomy, with good mobile tissue)", mva)]


def _calcification_findings(inp: AssessmentInput) -> list[Finding]:
    """§2.7 calcification: severe in the grasping zone is unsuitable; milder in it, any outside it, or
    milder MAC is conditional (a caution, not a barrier); severe MAC argues against (§4 lists it with
    the findings against redo TEER); none recorded in the grasping zone is favourable (§4)."""
    grasp, outside, mac = inp.grasp_zone_calcification, inp.outside_grasp_zone_calcification, inp.mac
    if grasp is Calcification.SEVERE:
        return [_finding("calcification", "Severe calcification in the grasping zone")]
    if mac is Calcification.SEVERE:
        return [_finding("mac_severe", "Severe mitral annular calcification (MAC)")]
    cautions = [f"{grasp} calcification in the grasping zone" if grasp in (Calcification.MILD, Calcification.MODERATE)
                else "",
                f"{outside} calcification outside the grasping zone" if outside not in (None, Calcification.NONE) else "",
                f"{mac} annular calcification (MAC)" if mac not in (None, Calcification.NONE) else ""]
    text = "; ".join(c for c in cautions if c)
    out = [_finding("calcification_conditional", text[:1].upper() + text[1:] + " (conditional)")] if text else []
    if grasp is Calcification.NONE:
        out.append(_finding("calcification_none", "No calcification in the grasping zone"))
    return out


def plug_candidate(inp: AssessmentInput, stenosis_barrier: bool | None) -> tuple[bool, list[Finding]]:
    """Rule 4: a discrete, measurable leak between devices, beside one at a commissure, or a perforation."""
    hits = []
    for jet in inp.jets:
        if jet.plug_site and jet.orifice is not None:
            hits.append(_finding("plug_location", f"Jet {jet.id} ({jet.location or jet.location_class}, "
                                 f"{jet.segment or 'segment ?'}) is a discrete {jet.location_class} leak, orifice "
                                 f"{quoted(jet.orifice)} ({_mm(jet.orifice):.1f} mm)", jet.orifice))
    return bool(hits) and not stenosis_barrier, hits


def _option(key: str, status: Status, detail: str, favouring: Iterable[Finding], against: Iterable[Finding],
            missing: Sequence[str] = (), suffix: str = "") -> OptionAssessment:
    """An option; its summary is "<short name>: <status>[ (<detail>[; missing: …])][<suffix>]": "not
    assessable (missing: …)" when nothing argues for or against it, and an option that findings favour
    or leave possible names the inputs it still lacks."""
    name, evidence, sources = OPTIONS[key]
    if status is Status.NOT_ASSESSABLE:
        detail = f"missing: {', '.join(missing)}"
    elif missing and status is not Status.DISFAVOURED:
        detail = "; ".join(w for w in (detail, f"missing: {', '.join(missing)}") if w)
    summary = f"{_SHORT[key]}: {status.value}" + (f" ({detail})" if detail else "") + suffix
    return OptionAssessment(key, name, status, summary, tuple(favouring), tuple(against), evidence, sources,
                            tuple(missing))


_SHORT = {"redo_teer": "Redo TEER", "plug": "Plug/occluder", "elasta_tmvr": "ELASTA-Clip + TMVR",
          "surgery": "Surgery", "medical": "Medical therapy"}
_TEER_BLOCKERS = ("injury", "cleft", "calcification", "mac_severe")
#: Findings for redo TEER among the anatomy findings; the §2.7 conditional and unsuitable-area rows are cautions
#: (redo TEER at most "possible"): W16 (MVA 2.40 cm², "possible") shows the native-valve area cut-off does not bar it.
_REDO_FOR = ("slda_redo", "calcification_none", "target_central", "mva_teer_favourable")
_REDO_CAUTIONS = ("calcification_conditional", "target_commissural", "restricted_iiia", "mva_teer_conditional",
                  "mva_teer_unsuitable")


def _redo_option(inp: AssessmentInput, sten: StenosisRisk, redo: RedoFeasibility) -> OptionAssessment:
    """Redo TEER (§4 row 1, rules 1–3). For: space, graspable leaflet, SLDA, no calcification in the
    grasping zone, a low gradient and an MVA that stays ≥ 1.5 cm² after one more device. Against:
    significant MS, the stop-rule risks, injury, short leaflet, too little space, calcification."""
    favour: list[Finding] = list(sten.reassuring)
    against: list[Finding] = [*sten.significant, *sten.risks]
    for f in redo.findings:
        good = (f.criterion == "space_margin" and redo.space_ok) or f.criterion in _REDO_FOR \
            or (f.criterion in ("leaflet_min", "leaflet_preferred") and redo.leaflet != "unsuitable")
        (favour if good else against).append(f)
    blockers = [f for f in against if f.criterion in _TEER_BLOCKERS or f.criterion == "space_margin"
                or (f.criterion == "leaflet_min" and redo.leaflet == "unsuitable")]
    cautions = "; ".join(f.text for f in against if f.criterion in _REDO_CAUTIONS)
    risk = "stenosis risk" if sten.risks else ""
    missing = [n for n, absent in ((MISSING_SPACE, redo.space_ok is None), (MISSING_LEAFLET, redo.leaflet ==
               "not measured"), *((m, True) for m in sten.missing)) if absent]
    if (inp.mean_gradient is not None and not sten.significant and not any(
            f.criterion == "mg_redo_stop" for f in (*sten.risks, *sten.reassuring))):
        missing.append(MISSING_MG_HR)  # low MG, but not at HR 60–80: not yet evidence either way
    if sten.barrier:
        return _option("redo_teer", Status.DISFAVOURED, "would worsen stenosis", favour, against, missing)
    if blockers:
        return _option("redo_teer", Status.DISFAVOURED, "; ".join(f.text for f in blockers), favour, against, missing)
    if redo.space_ok is None or redo.leaflet == "not measured":
        return _option("redo_teer", Status.NOT_ASSESSABLE, "", favour, against, missing)
    if redo.leaflet == "conditional":
        mm = _mm(inp.posterior_length) if inp.posterior_length is not None else 0.0
        why = "; ".join(w for w in (f"conditional: posterior leaflet {mm:g} mm", risk) if w)
        return _option("redo_teer", Status.POSSIBLE, why, favour, against, missing)
    if risk or cautions or missing:
        why = "; ".join(w for w in ("space and leaflet favourable", risk, cautions) if w)
        return _option("redo_teer", Status.POSSIBLE, why, favour, against, missing)
    return _option("redo_teer", Status.FAVOURED, "space and leaflet favourable", favour, against)


def _plug_option(inp: AssessmentInput, sten: StenosisRisk, redo: RedoFeasibility,
                 candidate: bool, hits: list[Finding]) -> OptionAssessment:
    """Plug / occluder (§4 row 2, rule 4). For: a discrete measured leak at a plug site. Against:
    significant MS (an elevated gradient), no discrete leak among the located jets."""
    against = list(sten.significant)
    located = [j for j in inp.jets if j.location is not None]
    unmeasured = [_missing_orifice(j) for j in inp.jets if j.plug_site and j.orifice is None]
    missing = [*([] if located else [MISSING_JETS]), *unmeasured, *sten.missing]
    if located and not hits and not unmeasured:
        against.append(_finding("plug_location", "No discrete inter-device, commissural para-device or "
                                "perforation leak among the located jets"))
    if sten.barrier:
        return _option("plug", Status.DISFAVOURED, "would worsen stenosis", hits, against, missing)
    if candidate:
        status = Status.FAVOURED if (redo.injury_barrier or redo.space_ok is False) and not sten.missing \
            else Status.POSSIBLE
        return _option("plug", status, "discrete leak suited to a plug", hits, against, missing)
    if any(f.criterion == "plug_location" for f in against):
        return _option("plug", Status.DISFAVOURED, "no discrete measurable leak", hits, against, missing)
    return _option("plug", Status.NOT_ASSESSABLE, "", hits, against, missing)


def _surgical_high(inp: AssessmentInput) -> bool:
    return inp.surgical_risk is not None and inp.surgical_risk.high


def _elasta_option(inp: AssessmentInput, sten: StenosisRisk, redo: RedoFeasibility, ct: bool,
                   candidate: bool) -> OptionAssessment:
    """ELASTA-Clip + TMVR (§4 row 3). For: significant MS (combined MR + MS), MR not treatable by TEER
    or a plug (injury, too little space, short leaflet), high surgical risk, TMVR anatomy suitable.
    Against: an adequate surgical candidate, TMVR anatomy unsuitable. A stenosis below the cut-offs is
    evidence for neither."""
    favour: list[Finding] = list(sten.significant)
    against: list[Finding] = []
    if redo.injury_barrier:
        favour.extend(f for f in redo.findings if f.criterion == "injury")
    if redo.space_ok is False:
        favour.extend(f for f in redo.findings if f.criterion == "space_margin")
    if redo.leaflet == "unsuitable":
        favour.extend(f for f in redo.findings if f.criterion == "leaflet_min")
    if _surgical_high(inp):
        favour.append(_finding("surgical_risk", f"Surgical risk {inp.surgical_risk}"))
    elif inp.surgical_risk:
        against.append(_finding("surgical_risk", f"Surgical risk {inp.surgical_risk}: an adequate surgical candidate"))
    if inp.tmvr_anatomy is TmvrAnatomy.SUITABLE:
        favour.append(_finding("tmvr_anatomy", "TMVR anatomy recorded as suitable (annulus / neo-LVOT)"))
    neo_risk, neo = neo_lvot_finding(inp.ct)
    if neo is not None:
        (against if neo_risk else favour).append(neo)
    settled = bool(sten.barrier) or redo.injury_barrier  # MR + MS, or MR not treatable by TEER: the rest adds nothing
    missing = [n for n, absent in (
        (MISSING_RISK, inp.surgical_risk is None),
        (MISSING_TMVR, inp.tmvr_anatomy in (None, TmvrAnatomy.UNKNOWN) and neo is None),
        *((m, not sten.barrier) for m in sten.missing),
        (MISSING_SPACE, redo.space_ok is None and not settled),
        (MISSING_LEAFLET, redo.leaflet == "not measured" and not settled)) if absent]
    if inp.tmvr_anatomy is TmvrAnatomy.UNSUITABLE:
        against.append(_finding("tmvr_anatomy", "TMVR anatomy recorded as unsuitable (annulus / neo-LVOT)"))
        return _option("elasta_tmvr", Status.DISFAVOURED, "TMVR anatomy unsuitable", favour, against, missing)
    if neo_risk:
        return _option("elasta_tmvr", Status.DISFAVOURED, f"predicted neo-LVOT < {_cut('neo_lvot')} mm²", favour,
                       against, missing)
    ct_text = " — CT for annulus sizing and neo-LVOT needed" if ct and neo is None else ""
    if sten.barrier or (redo.injury_barrier and not candidate) or (redo.space_ok is False and not candidate):
        return _option("elasta_tmvr", Status.CONSIDER, "", favour, against, missing, ct_text)
    if favour:
        return _option("elasta_tmvr", Status.POSSIBLE, "if less invasive options fail", favour, against, missing,
                       ct_text)
    if against:
        return _option("elasta_tmvr", Status.DISFAVOURED, "adequate surgical candidate", favour, against, missing)
    return _option("elasta_tmvr", Status.NOT_ASSESSABLE, "", favour, against, missing)


def _surgery_option(inp: AssessmentInput, sten: StenosisRisk, redo: RedoFeasibility) -> OptionAssessment:
    """Surgery (§4 row 4, rule 6). For: operable, leaflet injury, concomitant indication, significant MS.
    Against: high or prohibitive surgical risk (not a contraindication)."""
    favour: list[Finding] = [f for f in redo.findings if f.criterion == "injury"]
    against: list[Finding] = []
    if inp.concomitant_surgical_indication:
        favour.append(_finding("concomitant", "Concomitant surgical indication"))
    favour.extend(sten.significant)
    missing = [MISSING_RISK] if inp.surgical_risk is None else []
    if _surgical_high(inp):
        against.append(_finding("surgical_risk", f"Surgical risk {inp.surgical_risk} (rule 6)"))
        return _option("surgery", Status.DISFAVOURED, f"surgical risk {inp.surgical_risk}; not a contraindication",
                       favour, against, missing)
    if inp.surgical_risk:
        favour.append(_finding("surgical_risk", f"Surgical risk {inp.surgical_risk}: operable"))
    mortality = "registry 30-day mortality 16.6% after TEER"
    if sten.barrier or redo.injury_barrier or inp.concomitant_surgical_indication:
        return _option("surgery", Status.CONSIDER, mortality, favour, against, missing)
    if favour:
        return _option("surgery", Status.POSSIBLE, mortality, favour, against, missing)
    return _option("surgery", Status.NOT_ASSESSABLE, "", favour, against, missing)


def _medical_option(mr_grade: str | None, sten: StenosisRisk) -> OptionAssessment:
    """No reintervention (§4 row 5). For: total residual MR ≤ moderate. Against: total MR above
    moderate, an untreated significant stenosis."""
    rank = mr_rank(mr_grade)
    against = [_finding("stenosis_untreated", "Significant iatrogenic stenosis is not relieved without "
                        "intervention")] if sten.barrier else []
    if rank is None:
        if against:
            return _option("medical", Status.DISFAVOURED, f"stenosis remains; {MISSING_MR} missing", (), against,
                           (MISSING_MR,))
        return _option("medical", Status.NOT_ASSESSABLE, "", (), against, (MISSING_MR,))
    finding = _finding("mr_tolerable", f"Residual MR {mr_grade}")
    if rank <= _threshold("mr_tolerable") and against:
        return _option("medical", Status.POSSIBLE, f"residual MR {mr_grade}; stenosis remains", (finding,), against)
    if rank <= _threshold("mr_tolerable"):
        return _option("medical", Status.FAVOURED, f"residual MR {mr_grade}", (finding,), ())
    return _option("medical", Status.POSSIBLE, f"residual MR {mr_grade}; futility or clinical stability", (),
                   (finding, *against))


def ct_prompt(redo: RedoFeasibility, sten: StenosisRisk) -> bool:
    """Rule 5, read literally: ``NOT space_ok OR injury_barrier OR stenosis_barrier``, where rule 3's
    ``space_ok`` is a measured space ≥ device width + margin *and* a posterior leaflet ≥ the minimum: an
    unmeasured space or leaflet is not "space ok", so it raises the CT prompt too."""
    space_ok = redo.space_ok is True and redo.leaflet in ("favourable", "conditional")
    return not space_ok or redo.injury_barrier or bool(sten.barrier)


def assess(inp: AssessmentInput) -> Assessment:
    """Apply rules 1–6 of §4 and the §2.6/§2.7 criteria to one case."""
    grade, basis = residual_mr_grade(inp)
    sten = stenosis_risk(inp)
    redo = redo_feasibility(inp)
    candidate, hits = plug_candidate(inp, sten.barrier)
    ct = ct_prompt(redo, sten)
    options = (
        _redo_option(inp, sten, redo),
        _plug_option(inp, sten, redo, candidate, hits),
        dataclasses.replace(_elasta_option(inp, sten, redo, ct, candidate), shown=ct_key_findings(inp.ct)),
        _surgery_option(inp, sten, redo),
        _medical_option(grade, sten),
    )
    return Assessment(grade, basis, sten, redo, candidate, ct, options)
