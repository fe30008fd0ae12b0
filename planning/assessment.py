"""Decision support for redo intervention after mitral TEER (clinical.md §2.6, §2.7, §4, W16).

The rules are data: every cut-off sits in :data:`CRITERIA` with its source ids (clinical.md §0) and
evidence level, and each option lists the findings that favour or argue against it. The output
supports the heart team's decision; it never states one. Statuses describe what the findings
favour ("favoured by findings", "possible", "findings argue against", "consider"), never what to do.

Numbers are classified as shown in the report (decimal half-up at reporting precision, §0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum

from measurements.concepts import quantity
from measurements.thresholds import LEAFLET_CM, MG_VALID_HR_BPM, MVARC_MG_MMHG, MVARC_MVA_CM2, round_half_up
from planning.vocab import Calcification, Etiology, JetClass, JetLocation, MRGrade, SegmentPair, SurgicalRisk, TmvrAnatomy

# --- vocabulary --------------------------------------------------------------------------------


class Evidence(str, Enum):
    """Strength of the evidence behind a criterion or an option (clinical.md §4)."""

    GUIDELINE = "guideline"
    REGISTRY = "registry"
    CASE_SERIES = "case series"
    CASE_REPORTS = "case reports"
    HEURISTIC = "app heuristic"


class Status(str, Enum):
    """What the findings say about an option; worded so that it never reads as a decision."""

    FAVOURED = "favoured by findings"
    POSSIBLE = "possible"
    CONSIDER = "consider"
    DISFAVOURED = "findings argue against"
    NOT_ASSESSABLE = "not assessable"


#: Residual MR classes, MVARC ordinal 0..4+ (clinical.md §2.3), as the case file spells them.
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


_LEAFLET_MIN_MM, _LEAFLET_PREFERRED_MM = (round(cm * 10.0, 6) for cm in LEAFLET_CM)
_MR_TOLERABLE_RANK = 2
_MG_UNIT, _MVA_UNIT = quantity("mean_gradient").unit, quantity("mva_planimetry").unit

#: The rule table (docs/clinical-criteria.md §2.6, §2.7, §4). Thresholds marked [INF] there are app heuristics.
CRITERIA: dict[str, Criterion] = {c.id: c for c in (
    _c("mg_significant", "mean gradient ≥ {t} mmHg is significant iatrogenic MS (MVARC success needs < {t})",
       MVARC_MG_MMHG, _MG_UNIT, "S5 S16", Evidence.GUIDELINE),
    _c("mva_significant", "planimetered MVA < {t} cm² is significant iatrogenic MS (MVARC success needs ≥ {t})",
       MVARC_MVA_CM2, _MVA_UNIT, "S5", Evidence.GUIDELINE),
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
       "S15", Evidence.GUIDELINE),
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
       Evidence.GUIDELINE),
    _c("calcification_conditional", "calcification outside the grasping zone, milder calcification in it, or "
       "annular calcification (MAC) is conditional for TEER", None, "", "S14 S15", Evidence.GUIDELINE),
    _c("plug_location", "discrete leak between devices, beside a device at a commissure, or a perforation",
       None, "", "S10", Evidence.CASE_SERIES),
    _c("mr_tolerable", f"residual MR ≤ {MR_CLASSES[_MR_TOLERABLE_RANK]} ({{t}}+) with clinical stability",
       float(_MR_TOLERABLE_RANK), "grade", "S5", Evidence.HEURISTIC),
    _c("surgical_risk", "high or prohibitive surgical risk", None, "", "S11", Evidence.REGISTRY),
)}

#: Short citations of the source ids (clinical.md §0), printed under the decision-support section.
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
}

#: Options, their evidence and sources (clinical.md §4 table).
OPTIONS: dict[str, tuple[str, Evidence, tuple[str, ...]]] = {
    "redo_teer": ("Redo TEER (additional device)", Evidence.CASE_SERIES, ("S13", "S8")),
    "plug": ("Vascular plug / occluder for a para- or inter-device leak", Evidence.CASE_SERIES, ("S10",)),
    "elasta_tmvr": ("ELASTA-Clip + TMVR (electrosurgical clip detachment, valve-in-clip replacement)",
                    Evidence.CASE_REPORTS, ("S12",)),
    "surgery": ("Surgery (mitral valve replacement, rarely repair)", Evidence.REGISTRY, ("S11",)),
    "medical": ("Medical therapy / no reintervention", Evidence.HEURISTIC, ("S5",)),
}

DEFAULT_DEVICE_WIDTH_MM = 6.0  # MitraClip NTW/XTW, PASCAL Ace (clinical.md §2.7 [REC])

# --- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JetInput:
    """A residual jet as the rules see it (plain strings are read as their vocabulary members)."""

    id: str
    location: JetLocation | None = None
    segment: SegmentPair | None = None
    grade: MRGrade | None = None
    vena_contracta_cm: float | None = None
    orifice_max_mm: float | None = None

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


@dataclass(frozen=True, slots=True)
class AssessmentInput:
    """Everything the rules read, as plain numbers in the units of clinical.md §2.6/§2.7 and vocabulary
    members (plain strings are read as their members)."""

    mean_gradient_mmhg: float | None = None
    heart_rate_bpm: float | None = None
    mva_cm2: Mapping[str, float] = field(default_factory=dict)  # "planimetry" | "pht" | "continuity"
    etiology: Etiology | None = None
    mr_grade: MRGrade | None = None  # the clinician's integrated total residual MR grade
    total_mr_basis: str = ""  # what the total rests on (methods, views), as the clinician wrote it
    jets: Sequence[JetInput] = ()
    posterior_free_length_mm: float | None = None
    anterior_free_length_mm: float | None = None
    space_mm: float | None = None  # device edge → commissure or between devices, at the target
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

    def __post_init__(self) -> None:
        for name, enum in (("etiology", Etiology), ("mr_grade", MRGrade), ("grasp_zone_calcification", Calcification),
                           ("outside_grasp_zone_calcification", Calcification), ("mac", Calcification),
                           ("surgical_risk", SurgicalRisk), ("tmvr_anatomy", TmvrAnatomy)):
            _coerce(self, name, enum)


# --- outputs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """A criterion applied to this case: the statement with its value, and its source.

    ``measurements`` are the ids of the results (``measurements.results.Result.id``) whose values the
    text quotes, each printed exactly as the report's measurement table prints it."""

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
    """One option with the findings for and against it and the strength of its evidence."""

    key: str
    name: str
    status: Status
    summary: str
    favouring: tuple[Finding, ...]
    against: tuple[Finding, ...]
    evidence: Evidence
    sources: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {"key": self.key, "name": self.name, "status": self.status.value, "summary": self.summary,
                "favouring": [f.as_json() for f in self.favouring],
                "against": [f.as_json() for f in self.against],
                "evidence": self.evidence.value, "sources": list(self.sources)}


@dataclass(frozen=True, slots=True)
class StenosisRisk:
    """Current stenosis against the post-TEER cut-offs, and what one more device would likely do."""

    barrier: bool | None
    findings: tuple[Finding, ...]
    warnings: tuple[str, ...]
    projected_mva_cm2: float | None

    def as_json(self) -> dict[str, object]:
        return {"barrier": self.barrier, "findings": [f.as_json() for f in self.findings],
                "warnings": list(self.warnings), "projected_mva_cm2": self.projected_mva_cm2}


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
    """``value`` as printed: decimal half-up on its shortest repr (clinical.md §0, W15)."""
    return float(round_half_up(value, f"1e-{places}"))


def fmt(value: float, places: int) -> str:
    """The printed text of ``value`` at ``places`` decimals (half-up)."""
    return f"{shown(value, places):.{places}f}"


def _finding(criterion_id: str, text: str) -> Finding:
    c = CRITERIA[criterion_id]
    return Finding(criterion_id, text, c.sources, c.evidence)


def _threshold(criterion_id: str) -> float:
    value = CRITERIA[criterion_id].threshold
    assert value is not None, criterion_id
    return value


def _cut(criterion_id: str) -> str:
    """A criterion's threshold as finding texts print it."""
    return _n(_threshold(criterion_id))


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


def stenosis_risk(inp: AssessmentInput) -> StenosisRisk:
    """Rule 1 and the redo stop rule (clinical.md §2.6): current MS and the projection of one more device."""
    findings: list[Finding] = []
    warnings: list[str] = []
    mg = None if inp.mean_gradient_mmhg is None else shown(inp.mean_gradient_mmhg, 1)
    hr = None if inp.heart_rate_bpm is None else shown(inp.heart_rate_bpm, 0)
    planimetry = inp.mva_cm2.get("planimetry")
    mva = None if planimetry is None else shown(planimetry, 2)
    barrier: bool | None = None
    if mg is not None:
        hr_text = f" at HR {hr:.0f} /min" if hr is not None else " (heart rate not recorded)"
        significant = mg >= _threshold("mg_significant")
        findings.append(_finding("mg_significant", f"Mean gradient {mg:.1f} mmHg{hr_text} is "
                                 f"{'≥' if significant else '<'} {_cut('mg_significant')} mmHg (MVARC)"))
        barrier = significant
        if hr is not None and not _threshold("hr_low") <= hr <= _threshold("hr_high"):
            warnings.append(f"Heart rate {hr:.0f} /min is outside {_HR_RANGE} /min: the gradient is rate-dependent; "
                            "repeat at a lower rate if possible.")
        if hr is None:
            warnings.append("Heart rate not recorded with the mean gradient.")
        if inp.etiology is not None and inp.etiology.degenerative and mg > _threshold("mg_dmr_amber"):
            findings.append(_finding("mg_dmr_amber", f"Mean gradient {mg:.1f} mmHg > {_cut('mg_dmr_amber')} mmHg"
                                     " in degenerative MR"))
    if mva is not None:
        low = mva < _threshold("mva_significant")
        findings.append(_finding("mva_significant", f"Planimetered MVA {mva:.2f} cm² is "
                                 f"{'<' if low else '≥'} {_cut('mva_significant')} cm² (MVARC)"))
        barrier = bool(barrier) or low
    for method, label in (("pht", "pressure half-time"), ("continuity", "continuity equation")):
        value = inp.mva_cm2.get(method)
        if value is not None and shown(value, 2) < _threshold("mva_significant"):
            warnings.append(f"MVA by {label} {fmt(value, 2)} cm² is < {_cut('mva_significant')} cm²; this method is"
                            " not validated "
                            "after TEER and is supportive only.")
    projected_mva = None if planimetry is None else planimetry * (1.0 - _threshold("mva_loss_per_device"))
    stop = []
    if not barrier and mg is not None and mg >= _threshold("mg_redo_stop"):
        stop.append(f"current mean gradient {mg:.1f} mmHg is ≥ {_cut('mg_redo_stop')} mmHg")
    if not barrier and projected_mva is not None and shown(projected_mva, 2) < _threshold("mva_after_device"):
        stop.append(f"MVA would fall to about {fmt(projected_mva, 2)} cm² (< {_cut('mva_after_device')} cm²) if one"
                    f" more device occludes {_threshold('mva_loss_per_device'):.0%} of it")
    if stop:
        text = "Another device would likely push the stenosis over the cut-off: " + "; ".join(stop)
        findings.append(_finding("mg_redo_stop", text))
        warnings.append(text + ".")
    return StenosisRisk(barrier, tuple(findings), tuple(warnings), projected_mva)


def leaflet_class(length_mm: float | None) -> str:
    """Posterior free leaflet length: favourable, conditional or unsuitable by the leaflet criteria (§2.7)."""
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
    if inp.space_mm is not None:
        need = inp.device_width_mm + _threshold("space_margin")
        space = shown(inp.space_mm, 1)
        space_ok = space >= need
        findings.append(_finding("space_margin", f"Space beside existing devices {space:.1f} mm "
                                 f"{'≥' if space_ok else '<'} {inp.device_width_mm:g} mm device"
                                 f" + {_cut('space_margin')} mm margin = {need:g} mm"))
    leaflet = leaflet_class(inp.posterior_free_length_mm)
    if inp.posterior_free_length_mm is not None:
        mm = shown(inp.posterior_free_length_mm, 1)
        lo, hi = _cut("leaflet_min"), _cut("leaflet_preferred")
        bound = {"favourable": f"≥ {hi} mm (favourable)", "conditional": f"≥ {lo} and < {hi} mm (conditional)",
                 "unsuitable": f"< {lo} mm (unsuitable)"}[leaflet]
        criterion = "leaflet_preferred" if leaflet == "favourable" else "leaflet_min"
        findings.append(_finding(criterion, f"Free posterior leaflet length {mm:g} mm {bound}"))
    injury = inp.tear_or_perforation or inp.loss_of_insertion
    if injury:
        what = " and ".join(t for t, on in (("tear/perforation", inp.tear_or_perforation),
                                             ("loss of leaflet insertion", inp.loss_of_insertion)) if on)
        findings.append(_finding("injury", f"Leaflet injury at the target: {what}"))
    if inp.slda:
        findings.append(_finding("slda_redo", "Single-leaflet device attachment present"))
    findings.extend(_calcification_findings(inp))
    return RedoFeasibility(space_ok, leaflet, injury, tuple(findings))


def _calcification_findings(inp: AssessmentInput) -> list[Finding]:
    """§2.7 calcification: severe in the grasping zone is unsuitable; milder in it, any outside it, or MAC
    is conditional (a caution, not a barrier); none anywhere adds nothing."""
    grasp, outside, mac = inp.grasp_zone_calcification, inp.outside_grasp_zone_calcification, inp.mac
    if grasp is Calcification.SEVERE:
        return [_finding("calcification", "Severe calcification in the grasping zone")]
    cautions = [f"{grasp} calcification in the grasping zone" if grasp in (Calcification.MILD, Calcification.MODERATE)
                else "",
                f"{outside} calcification outside the grasping zone" if outside not in (None, Calcification.NONE) else "",
                f"{mac} annular calcification (MAC)" if mac not in (None, Calcification.NONE) else ""]
    text = "; ".join(c for c in cautions if c)
    return [_finding("calcification_conditional", text[:1].upper() + text[1:] + " (conditional)")] if text else []


def plug_candidate(inp: AssessmentInput, stenosis_barrier: bool | None) -> tuple[bool, list[Finding]]:
    """Rule 4: a discrete, measurable leak between devices, beside one at a commissure, or a perforation."""
    hits = []
    for jet in inp.jets:
        cls = jet.location_class
        fits = cls in (JetClass.INTER_DEVICE, JetClass.PERFORATION) or (
            cls is JetClass.PARA_DEVICE and jet.near_commissure)
        if fits and jet.orifice_max_mm is not None:
            hits.append(_finding("plug_location", f"Jet {jet.id} ({jet.location or cls}, {jet.segment or 'segment ?'}) "
                                 f"is a discrete {cls} leak, orifice {fmt(jet.orifice_max_mm, 1)} mm"))
    return bool(hits) and not stenosis_barrier, hits


def _option(key: str, status: Status, summary: str, favouring: Iterable[Finding],
            against: Iterable[Finding]) -> OptionAssessment:
    name, evidence, sources = OPTIONS[key]
    return OptionAssessment(key, name, status, summary, tuple(favouring), tuple(against), evidence, sources)


def _redo_option(inp: AssessmentInput, sten: StenosisRisk, redo: RedoFeasibility) -> OptionAssessment:
    favour: list[Finding] = []
    against: list[Finding] = []
    for f in redo.findings:
        good = (f.criterion == "space_margin" and redo.space_ok) or f.criterion == "slda_redo" or (
            f.criterion in ("leaflet_min", "leaflet_preferred") and redo.leaflet != "unsuitable")
        (favour if good else against).append(f)
    for f in sten.findings:
        bad = (f.criterion in ("mg_significant", "mva_significant") and sten.barrier) or f.criterion in (
            "mg_redo_stop", "mg_dmr_amber")
        (against if bad else favour).append(f)
    blockers = [f for f in against if f.criterion not in ("mg_dmr_amber", "mg_redo_stop", "calcification_conditional")]
    calcified = next((f.text for f in against if f.criterion == "calcification_conditional"), "")
    stenosis_risk_text = "; stenosis risk" if any(f.criterion == "mg_redo_stop" for f in against) else ""
    if sten.barrier:
        return _option("redo_teer", Status.DISFAVOURED, "Redo TEER: findings argue against (would worsen stenosis)",
                       favour, against)
    if blockers:
        reasons = "; ".join(f.text for f in blockers)
        return _option("redo_teer", Status.DISFAVOURED, f"Redo TEER: findings argue against ({reasons})",
                       favour, against)
    if redo.space_ok is None or redo.leaflet == "not measured":
        missing = [n for n, v in (("space beside devices", redo.space_ok), ("posterior leaflet length",
                                   None if redo.leaflet == "not measured" else 1)) if v is None]
        return _option("redo_teer", Status.NOT_ASSESSABLE,
                       f"Redo TEER: not assessable ({', '.join(missing)} not measured)", favour, against)
    if redo.leaflet == "conditional":
        mm = shown(inp.posterior_free_length_mm or 0.0, 1)
        return _option("redo_teer", Status.POSSIBLE,
                       f"Redo TEER: possible (conditional: posterior leaflet {mm:g} mm{stenosis_risk_text})",
                       favour, against)
    if stenosis_risk_text or calcified:
        why = "; ".join(w for w in ("stenosis risk" if stenosis_risk_text else "", calcified) if w)
        return _option("redo_teer", Status.POSSIBLE, f"Redo TEER: possible (space and leaflet favourable; {why})",
                       favour, against)
    return _option("redo_teer", Status.FAVOURED, "Redo TEER: favoured by findings (space and leaflet favourable)",
                   favour, against)


def _plug_option(inp: AssessmentInput, sten: StenosisRisk, redo: RedoFeasibility,
                 candidate: bool, hits: list[Finding]) -> OptionAssessment:
    against = [f for f in sten.findings if f.criterion in ("mg_significant", "mva_significant") and sten.barrier]
    if not hits:
        against.append(_finding("plug_location", "No discrete inter-device, commissural para-device or perforation "
                                "leak with a measured orifice"))
    if sten.barrier:
        return _option("plug", Status.DISFAVOURED, "Plug/occluder: findings argue against (would worsen stenosis)",
                       hits, against)
    if candidate:
        status = Status.FAVOURED if redo.injury_barrier or redo.space_ok is False else Status.POSSIBLE
        return _option("plug", status, f"Plug/occluder: {status.value} (discrete leak suited to a plug)", hits, against)
    return _option("plug", Status.DISFAVOURED, "Plug/occluder: findings argue against (no discrete measurable leak)",
                   hits, against)


def _surgical_high(inp: AssessmentInput) -> bool:
    return inp.surgical_risk is not None and inp.surgical_risk.high


def _elasta_option(inp: AssessmentInput, sten: StenosisRisk, redo: RedoFeasibility, ct: bool,
                   candidate: bool) -> OptionAssessment:
    favour: list[Finding] = []
    against: list[Finding] = []
    if sten.barrier:
        favour.extend(f for f in sten.findings if f.criterion in ("mg_significant", "mva_significant"))
    if redo.injury_barrier:
        favour.extend(f for f in redo.findings if f.criterion == "injury")
    if redo.space_ok is False or redo.leaflet == "unsuitable":
        favour.extend(f for f in redo.findings if f.criterion in ("space_margin", "leaflet_min"))
    if _surgical_high(inp):
        favour.append(_finding("surgical_risk", f"Surgical risk {inp.surgical_risk}"))
    elif inp.surgical_risk:
        against.append(_finding("surgical_risk", f"Surgical risk {inp.surgical_risk}: an adequate surgical candidate"))
    if inp.tmvr_anatomy is TmvrAnatomy.UNSUITABLE:
        against.append(Finding("tmvr_anatomy", "TMVR anatomy recorded as unsuitable (annulus / neo-LVOT)",
                               ("S12",), Evidence.CASE_REPORTS))
        return _option("elasta_tmvr", Status.DISFAVOURED, "ELASTA-Clip + TMVR: findings argue against "
                       "(TMVR anatomy unsuitable)", favour, against)
    ct_text = " — CT for annulus sizing and neo-LVOT needed" if ct else ""
    if sten.barrier or (redo.injury_barrier and not candidate) or (redo.space_ok is False and not candidate):
        return _option("elasta_tmvr", Status.CONSIDER, f"ELASTA-Clip + TMVR: consider{ct_text}", favour, against)
    return _option("elasta_tmvr", Status.POSSIBLE, f"ELASTA-Clip + TMVR: possible if less invasive options fail{ct_text}",
                   favour, against)


def _surgery_option(inp: AssessmentInput, sten: StenosisRisk, redo: RedoFeasibility) -> OptionAssessment:
    favour: list[Finding] = []
    against: list[Finding] = []
    if redo.injury_barrier:
        favour.extend(f for f in redo.findings if f.criterion == "injury")
    if inp.concomitant_surgical_indication:
        favour.append(Finding("concomitant", "Concomitant surgical indication", ("S11",), Evidence.REGISTRY))
    if sten.barrier:
        favour.extend(f for f in sten.findings if f.criterion in ("mg_significant", "mva_significant"))
    if _surgical_high(inp):
        against.append(_finding("surgical_risk", f"Surgical risk {inp.surgical_risk} (rule 6)"))
        return _option("surgery", Status.DISFAVOURED, f"Surgery: findings argue against (surgical risk "
                       f"{inp.surgical_risk}; not a contraindication)", favour, against)
    if inp.surgical_risk:
        favour.append(_finding("surgical_risk", f"Surgical risk {inp.surgical_risk}: operable"))
    if sten.barrier or redo.injury_barrier or inp.concomitant_surgical_indication:
        return _option("surgery", Status.CONSIDER, "Surgery: consider (registry 30-day mortality 16.6% after TEER)",
                       favour, against)
    return _option("surgery", Status.POSSIBLE, "Surgery: possible (registry 30-day mortality 16.6% after TEER)",
                   favour, against)


def _medical_option(mr_grade: str | None, sten: StenosisRisk) -> OptionAssessment:
    rank = mr_rank(mr_grade)
    against = [Finding("stenosis_untreated", "Significant iatrogenic stenosis is not relieved without intervention",
                       ("S5",), Evidence.HEURISTIC)] if sten.barrier else []
    if rank is None:
        return _option("medical", Status.NOT_ASSESSABLE, "Medical therapy: not assessable (total residual MR "
                       "missing)", (), against)
    finding = _finding("mr_tolerable", f"Residual MR {mr_grade}")
    if rank <= _threshold("mr_tolerable") and against:
        return _option("medical", Status.POSSIBLE, f"Medical therapy: possible (residual MR {mr_grade}; "
                       "stenosis remains)", (finding,), against)
    if rank <= _threshold("mr_tolerable"):
        return _option("medical", Status.FAVOURED, f"Medical therapy: favoured by findings (residual MR {mr_grade})",
                       (finding,), ())
    return _option("medical", Status.POSSIBLE, f"Medical therapy: possible (residual MR {mr_grade}; futility or "
                   "clinical stability)", (), (finding, *against))


def assess(inp: AssessmentInput) -> Assessment:
    """Apply rules 1–6 of clinical.md §4 and the §2.6/§2.7 criteria to one case."""
    grade, basis = residual_mr_grade(inp)
    sten = stenosis_risk(inp)
    redo = redo_feasibility(inp)
    candidate, hits = plug_candidate(inp, sten.barrier)
    ct = bool(redo.space_ok is False or redo.injury_barrier or sten.barrier)  # rule 5
    options = (
        _redo_option(inp, sten, redo),
        _plug_option(inp, sten, redo, candidate, hits),
        _elasta_option(inp, sten, redo, ct, candidate),
        _surgery_option(inp, sten, redo),
        _medical_option(grade, sten),
    )
    return Assessment(grade, basis, sten, redo, candidate, ct, options)
