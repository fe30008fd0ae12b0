"""The quantity registry: one definition per quantity the app computes.

Each :class:`Quantity` holds its unit (the docs/quantities.md contract), its
reporting precision (docs/clinical-criteria.md: classify the value as printed), its human label,
the grading schemes whose bands (``measurements.thresholds.BANDS``) apply to it, headline scheme
first (the first grade is the one a table shows), and how it is
written to the DICOM SR: a :class:`SRConcept` (concept name, method, flow direction, image mode,
finding site, UCUM unit) or, when there is no way to code it, an explicit ``not_exported`` reason.

Codes come from DICOM PS3.16 (TID 5200/5203 family: CID 12222 Orifice Flow Property, CID 12239
Cardiac Output Property, CID 12304 Echo Measured Property, CID 12337 Structural Heart Echo
Measurement, CID 12221/12224/12227 modifiers) and SNOMED CT. Where PS3.16 has no code the app uses
the private scheme :data:`PRIVATE_SCHEME`, declared in the SR's Coding Scheme Identification
Sequence; every private code is listed in :data:`PRIVATE_CODES`. Adding a quantity: see
docs/quantities.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

#: Private coding scheme of the app (declared in every SR it writes).
PRIVATE_SCHEME = "99TEERPLAN"


@dataclass(frozen=True, slots=True)
class Coded:
    """A coded concept: (code value, coding scheme designator, code meaning)."""

    value: str
    scheme: str
    meaning: str


def _private(value: str, meaning: str) -> Coded:
    return Coded(value, PRIVATE_SCHEME, meaning)


# --- scheme names: every grade carries one (schemes disagree at their boundaries) ----------------
MR5 = "ASE-2017-native/MVARC 5-class"
POST_TEER = "ASE-2019-post-TEER"
MVARC = "MVARC"
EAE = "EAE/ASE-2009-MS"
ACC = "ACC/AHA-2020-MS"
GERMAN = "German consensus 2014 (TEER anatomy)"
#: Cut-offs of the band that validates mean-gradient grading (S3 footnote: 60-80 /min, inclusive).
MG_VALID_HR_BPM: tuple[float, float] = (60.0, 80.0)
HR_VALIDITY = f"EAE/ASE-2009 MG validity (HR {MG_VALID_HR_BPM[0]:g}-{MG_VALID_HR_BPM[1]:g})"

# --- codes (PS3.16 unless marked private) --------------------------------------------------------
MITRAL_VALVE = Coded("91134007", "SCT", "Mitral Valve")
LVOT = Coded("13418002", "SCT", "Left ventricle outflow tract")
MITRAL_ANNULUS = Coded("65197004", "SCT", "Mitral Annulus")  # CID 12235
PULMONARY_ARTERY = Coded("81040000", "SCT", "Pulmonary artery")
RIGHT_VENTRICLE = Coded("53085002", "SCT", "Right ventricle")
RV_PEAK_SYSTOLIC_PRESSURE = Coded("399023006", "SCT", "Right Ventricular Peak Systolic Pressure")  # CID 12204
ANTEGRADE = Coded("263677008", "SCT", "Antegrade Flow")  # CID 12221
REGURGITANT = Coded("397417004", "SCT", "Regurgitant Flow")  # CID 12221
MODE_2D = Coded("399064001", "SCT", "2D mode")  # CID 12224
MODE_3D = Coded("426865009", "SCT", "3D mode")
CW = Coded("261198000", "SCT", "Doppler Continuous Wave")
PW = Coded("261199008", "SCT", "Doppler Pulsed")
COLOUR = Coded("261197005", "SCT", "Doppler Color Flow")
SIMPLIFIED_BERNOULLI = Coded("125218", "DCM", "Simplified Bernoulli")  # CID 12227/12230
AREA_BY_PHT = Coded("125210", "DCM", "Area by Pressure Half-Time")  # CID 12229
PLANIMETRY = Coded("125220", "DCM", "Planimetry")
CONTINUITY_VTI = Coded("125215", "DCM", "Continuity Equation by Velocity Time Integral")
PISA = Coded("125216", "DCM", "Proximal Isovelocity Surface Area")
LENGTH = Coded("410668003", "SCT", "Length")
AREA = Coded("42798000", "SCT", "Area")
PEAK_VELOCITY = Coded("20355-4", "LN", "Peak Blood Velocity")  # CID 12222
ORIFICE_AREA = Coded("399367004", "SCT", "Cardiovascular Orifice Area")  # CID 12222
VOLUME_FLOW = Coded("33878-0", "LN", "Volume flow")  # CID 12222
REGURGITANT_FRACTION = Coded("399301000", "SCT", "Regurgitant Fraction")  # CID 12222
DURATION = Coded("103335007", "SCT", "Duration (attribute)")
FLOW_RADIUS = Coded("59102-4", "LN", "Flow Radius")  # CID 12222
ALIAS_VELOCITY = Coded("59130-5", "LN", "Alias velocity")  # CID 12222
DIAMETER = Coded("81827009", "SCT", "Diameter")  # CID 218 Quantitative Image Feature, CID 12250...
CARDIAC_VALVE_LEAFLET = Coded("6530003", "SCT", "Cardiac Valve Leaflet")  # CID 12280
POSTERIOR = Coded("255551008", "SCT", "Posterior")  # CID 2 Anatomic Modifier
LATERAL = Coded("49370004", "SCT", "Lateral")  # CID 2; CID 12281 Cardiac Ultrasound Target Site Modifier
MEDIAL = Coded("255561001", "SCT", "Medial")  # CID 2; CID 12281
#: Volumetric MR method (LV stroke volume from LV volumes minus the LVOT Doppler stroke volume):
#: CID 12227/12229/12231 have no such method code (Doppler Volume Flow 125219 is the annulus method).
VOLUMETRIC = _private("VOLUMETRIC", "LV stroke volume minus LVOT stroke volume")
#: Total 3D vena contracta area over all jets: PS3.16 has no vena contracta area code, nor a "sum" method.
SUM_OVER_JETS = _private("SUM-JETS", "Sum over the residual jets")
PRIVATE_CODES: tuple[Coded, ...] = (VOLUMETRIC, SUM_OVER_JETS)

#: App unit -> UCUM unit code (PS3.16 / UCUM; ``ml`` as DICOM examples write it).
UCUM: dict[str, Coded] = {
    "cm": Coded("cm", "UCUM", "cm"), "cm2": Coded("cm2", "UCUM", "cm2"), "m/s": Coded("m/s", "UCUM", "m/s"),
    "mmHg": Coded("mm[Hg]", "UCUM", "mmHg"), "ms": Coded("ms", "UCUM", "ms"), "mL": Coded("ml", "UCUM", "ml"),
    "bpm": Coded("/min", "UCUM", "/min"), "%": Coded("%", "UCUM", "%"), "mL/s": Coded("ml/s", "UCUM", "ml/s"),
}


@dataclass(frozen=True, slots=True)
class SRConcept:
    """How a quantity is coded in the SR (TID 300 NUM with TID 5203-style modifiers)."""

    name: Coded
    method: Coded | None = None
    flow: Coded | None = None
    mode: Coded | None = None
    site: Coded = MITRAL_VALVE
    basis: str = ""  # where the code comes from / why this pattern
    #: Topographical Modifier (106233006, SCT) values that narrow the site: one is always written; of
    #: several, the one the mark's label names as a word (``report.sr``), none named: not this concept
    topographical: tuple[Coded, ...] = ()


@dataclass(frozen=True, slots=True)
class Quantity:
    """One quantity: unit, precision, label, grading schemes, SR concept or the reason it has none."""

    name: str
    label: str
    unit: str
    precision: str
    schemes: tuple[str, ...] = ()
    sr: SRConcept | None = None
    not_exported: str = ""

    @property
    def ucum(self) -> Coded:
        return UCUM[self.unit]

    @property
    def unit_text(self) -> str:
        """The unit as printed (``cm2`` → ``cm²``)."""
        return unit_text(self.unit)


_MR = (POST_TEER, MR5)
_MS = (EAE, ACC)
_PISA_BASIS = "TID 5203 pattern (PS3.17 N.2): property + Flow Direction + Method (CID 12222)"
_VOL_BASIS = "CID 12222 property + Regurgitant Flow; private method (no volumetric method in CID 12227)"


def _q(name: str, label: str, unit: str, precision: str, sr: SRConcept | None, *schemes: str,
       not_exported: str = "") -> Quantity:
    return Quantity(name, label, unit, precision, schemes, sr, not_exported)


_ALL: tuple[Quantity, ...] = (
    _q("distance", "distance", "cm", "0.01", SRConcept(LENGTH, mode=MODE_2D)),
    _q("area", "area", "cm2", "0.01", SRConcept(AREA, mode=MODE_2D)),
    _q("vmax", "peak velocity", "m/s", "0.01", SRConcept(PEAK_VELOCITY, flow=ANTEGRADE, mode=CW)),
    _q("velocity", "velocity", "m/s", "0.01", SRConcept(PEAK_VELOCITY)),
    _q("mean_velocity", "mean velocity", "m/s", "0.01",
       SRConcept(Coded("11692-1", "LN", "Time averaged peak velocity"), flow=ANTEGRADE, mode=CW,
                 basis="CID 12222; the mean of the maximum-velocity envelope")),
    _q("peak_gradient", "peak gradient", "mmHg", "0.1",
       SRConcept(Coded("20247-3", "LN", "Peak Gradient"), SIMPLIFIED_BERNOULLI, ANTEGRADE, CW)),
    _q("mean_gradient", "mean gradient", "mmHg", "0.1",
       SRConcept(Coded("20256-4", "LN", "Mean Gradient"), SIMPLIFIED_BERNOULLI, ANTEGRADE, CW), MVARC, EAE),
    _q("vti", "VTI", "cm", "0.1", SRConcept(Coded("20354-7", "LN", "Velocity Time Integral"), flow=ANTEGRADE,
                                            mode=CW)),
    _q("pht", "pressure half-time", "ms", "1",
       SRConcept(Coded("20280-4", "LN", "Pressure Half-Time"), flow=ANTEGRADE, mode=CW), ACC),
    _q("deceleration_time", "deceleration time", "ms", "1",
       SRConcept(Coded("20217-6", "LN", "Deceleration Time"), flow=ANTEGRADE, mode=CW)),
    _q("duration", "duration", "ms", "1", SRConcept(DURATION)),
    _q("time_interval", "time interval", "ms", "1", SRConcept(DURATION)),
    _q("heart_rate", "heart rate", "bpm", "1", SRConcept(Coded("8867-4", "LN", "Heart rate")), HR_VALIDITY),
    _q("mva_pht", "MVA by PHT", "cm2", "0.01", SRConcept(ORIFICE_AREA, AREA_BY_PHT, ANTEGRADE, CW), *_MS),
    _q("mva_planimetry", "MVA by planimetry", "cm2", "0.01",
       SRConcept(ORIFICE_AREA, PLANIMETRY, ANTEGRADE, MODE_2D), MVARC, *_MS),
    _q("mva_continuity", "MVA by continuity", "cm2", "0.01", SRConcept(ORIFICE_AREA, CONTINUITY_VTI, ANTEGRADE),
       *_MS),
    _q("mva_pisa", "MVA by PISA", "cm2", "0.01", SRConcept(ORIFICE_AREA, PISA, ANTEGRADE, COLOUR), *_MS),
    _q("pisa_flow", "PISA flow rate", "mL/s", "0.1",
       SRConcept(Coded("34141-2", "LN", "Peak Instantaneous Flow Rate"), PISA, REGURGITANT, COLOUR)),
    _q("eroa_pisa", "EROA (PISA)", "cm2", "0.01", SRConcept(ORIFICE_AREA, PISA, REGURGITANT, COLOUR,
                                                           basis=_PISA_BASIS), MR5),
    _q("rvol_pisa", "regurgitant volume (PISA)", "mL", "1",
       SRConcept(VOLUME_FLOW, PISA, REGURGITANT, COLOUR,
                 basis="TID 5200 has no pre-coordinated regurgitant volume: Volume flow + Regurgitant + PISA"), MR5),
    _q("rf_pisa", "regurgitant fraction (PISA)", "%", "1", SRConcept(REGURGITANT_FRACTION, PISA, REGURGITANT), MR5),
    _q("rvol_volumetric", "regurgitant volume (volumetric)", "mL", "1",
       SRConcept(VOLUME_FLOW, VOLUMETRIC, REGURGITANT, basis=_VOL_BASIS), *_MR),
    _q("rf_volumetric", "regurgitant fraction (volumetric)", "%", "1",
       SRConcept(REGURGITANT_FRACTION, VOLUMETRIC, REGURGITANT, basis=_VOL_BASIS), *_MR),
    _q("eroa_volumetric", "EROA (volumetric)", "cm2", "0.01",
       SRConcept(Coded("77914-0", "LN", "Mitral valve effective regurgitant orifice area (volumetric)"),
                 basis="pre-coordinated LOINC of CID 12337 (Structural Heart Echo Measurement)"), *_MR),
    _q("vena_contracta", "vena contracta width", "cm", "0.01",
       SRConcept(Coded("125334", "DCM", "Vena Contracta Width"), flow=REGURGITANT, mode=COLOUR,
                 basis="CID 12304"), MR5, POST_TEER),
    _q("vena_contracta_biplane", "biplane vena contracta width", "cm", "0.01",
       SRConcept(Coded("125334", "DCM", "Vena Contracta Width"), flow=REGURGITANT, mode=COLOUR,
                 basis="CID 12304"), MR5),
    _q("vca", "3D vena contracta area", "cm2", "0.01",
       SRConcept(AREA, flow=REGURGITANT, mode=MODE_3D, basis="PS3.16 has no vena contracta area code")),
    _q("vca_total", "total 3D vena contracta area", "cm2", "0.01",
       SRConcept(AREA, SUM_OVER_JETS, REGURGITANT, MODE_3D,
                 basis="PS3.16 has no vena contracta area code; private method says it is the sum"), *_MR),
    _q("lvot_area", "LVOT area", "cm2", "0.01", SRConcept(AREA, mode=MODE_2D, site=LVOT)),
    _q("sv_lvot", "LVOT stroke volume", "mL", "1",
       SRConcept(Coded("90096001", "SCT", "Stroke Volume"), CONTINUITY_VTI, site=LVOT, basis="CID 12239")),
    _q("pasp", "systolic pulmonary artery pressure", "mmHg", "1",
       SRConcept(Coded("250768007", "SCT", "Pulmonary artery systolic pressure"), SIMPLIFIED_BERNOULLI,
                 mode=CW, site=PULMONARY_ARTERY,
                 basis="SNOMED CT observable (LOINC 8440-0 equivalent); 4·V_TR² + RAP. PS3.16 lists only the"
                       " RV estimate (82341-9 LN, CID 12337; 399023006 SCT, CID 12204)"), EAE),
    _q("rvsp", "RV systolic pressure", "mmHg", "1",
       SRConcept(RV_PEAK_SYSTOLIC_PRESSURE, site=RIGHT_VENTRICLE,
                 basis="CID 12204 (Echocardiography Right Ventricle); read from imported SRs, never computed")),
)

#: Quantity name -> its definition.
QUANTITIES: dict[str, Quantity] = {q.name: q for q in _ALL}

# --- what a generic distance, area or duration measures: by its mark's purpose (marks.PURPOSES) -------

_NO_LEAFLET_CODE = ("PS3.16 as pydicom has it holds no posterior leaflet or scallop length code (clinical.md's"
                    " DCM 131204-131207 are not in it): Length + Finding Site leaflet + Posterior; the scallop"
                    " is in the mark label (Comment)")
#: (quantity, mark purpose) -> the SR concept of a value of that quantity measured on a mark of that
#: purpose. A ``distance``/``area``/``duration`` otherwise says only "Length"/"Area"/"Duration"; with it
#: a receiver reads what was measured. ``measurements.sr_import`` maps each back to its quantity.
PURPOSE_SR: dict[tuple[str, str], SRConcept] = {
    ("distance", "pisa_radius"): SRConcept(FLOW_RADIUS, PISA, REGURGITANT, COLOUR, basis=_PISA_BASIS),
    ("distance", "posterior_leaflet_length"): SRConcept(LENGTH, mode=MODE_2D, site=CARDIAC_VALVE_LEAFLET,
                                                        topographical=(POSTERIOR,), basis=_NO_LEAFLET_CODE),
    ("distance", "leaflet_length"): SRConcept(LENGTH, mode=MODE_2D, site=CARDIAC_VALVE_LEAFLET,
                                              basis="Length + Finding Site Cardiac Valve Leaflet (CID 12280)"),
    ("distance", "lvot_diameter"): SRConcept(DIAMETER, mode=MODE_2D, site=LVOT,
                                             basis="Diameter + Finding Site LVOT"),
    ("distance", "annulus_diameter"): SRConcept(DIAMETER, mode=MODE_2D, site=MITRAL_ANNULUS,
                                                basis="Diameter + Finding Site Mitral Annulus (CID 12235); clinical.md's"
                                                      " DCM 131181/131182 are not in PS3.16 as pydicom has it"),
    ("area", "orifice"): SRConcept(AREA, PLANIMETRY, ANTEGRADE, MODE_2D, topographical=(LATERAL, MEDIAL),
                                   basis="one orifice of a double orifice: Area + Planimetry + Antegrade +"
                                         " Topographical Modifier Lateral/Medial (CID 2), not Cardiovascular"
                                         " Orifice Area + Planimetry, which a receiver keying on concept and"
                                         " method takes for the whole-valve MVA; a label naming no side:"
                                         " the generic Area"),
    ("duration", "mv_inflow"): SRConcept(DURATION, flow=ANTEGRADE, mode=CW,
                                         basis="Duration + Flow Direction (CID 12221): the inflow's"),
    ("duration", "mr_jet"): SRConcept(DURATION, flow=REGURGITANT, mode=CW,
                                      basis="Duration + Flow Direction (CID 12221): the MR jet's"),
    # an LVOT trace's values are the LVOT's, not the mitral inflow the registry codes vmax/vti for
    **{(name, "lvot"): SRConcept(concept, flow=ANTEGRADE, mode=PW, site=LVOT,
                                 basis="the registry's concept at Finding Site LVOT, PW (CID 12224)")
       for name, concept in (("vmax", PEAK_VELOCITY), ("vti", Coded("20354-7", "LN", "Velocity Time Integral")),
                             ("mean_velocity", Coded("11692-1", "LN", "Time averaged peak velocity")),
                             ("duration", DURATION))},
}
#: The PISA input written with the PISA results (not a quantity: entered, never computed or imported).
PISA_ALIASING = SRConcept(ALIAS_VELOCITY, PISA, REGURGITANT, COLOUR, basis="CID 12222; the calculation's input")
#: Precision the aliasing velocity is written at: as entered (0.385 m/s), not rounded to a measured velocity's.
ALIASING_PRECISION = "0.001"


def purpose_concept(quantity_name: str, purpose: str) -> SRConcept | None:
    """The SR concept of ``quantity_name`` measured on a mark of ``purpose``, None when the purpose adds none."""
    return PURPOSE_SR.get((quantity_name, purpose))


def quantity(name: str) -> Quantity:
    """The registry entry of ``name``; KeyError names the unknown quantity."""
    try:
        return QUANTITIES[name]
    except KeyError:
        raise KeyError(f"unknown quantity {name!r} (not in measurements.concepts.QUANTITIES)") from None


def mr_quantities() -> frozenset[str]:
    """Quantities graded on the residual-MR scales (their class says how much MR there is)."""
    return frozenset(q.name for q in _ALL if MR5 in q.schemes or POST_TEER in q.schemes)


# --- CT and haemodynamic context values (case ``context.ct`` / ``context.haemodynamics``) ----------


@dataclass(frozen=True, slots=True)
class ContextConcept:
    """How a context value entered with the case would be coded in an SR: the concept, or why it has none,
    and the sources (``planning.vocab.ContextSource`` values) whose value MitraPlan's SR writes."""

    key: str  # the case-file key (planning.model CT_NUMBERS / HAEMO_NUMBERS, mac_extent, tr_grade)
    quantity: str = ""  # the registry quantity that carries the code (and maps imported SR values)
    not_exported: str = ""
    #: sources whose value the SR writes (``report.sr``); every other source: ``NOT_THIS_STUDY``
    sr_sources: tuple[str, ...] = ()


#: Why a context value of another source is not written: a TID 5200 report holds the observations of
#: its echo study, and a receiver takes each value in it as measured in that study.
NOT_THIS_STUDY = ("measured by another procedure or study (CT, catheterisation, a TTE, other): the TID 5200 SR"
                  " reports this TEE, whose receivers would take the value as measured in it")
#: Why an ``imported SR`` context value is not written again as context: the accepted imported value it
#: came from is in the SR already, as a measurement marked with its source SR (``report.sr``).
IMPORTED_IN_SR = "the accepted imported value it comes from is written as a measurement, marked as imported"


_UNVERIFIED_ANNULUS = ("clinical.md §6.4 lists DCM 1311xx mitral annulus codes, but they are not in the PS3.16 "
                       "dictionary MitraPlan checks codes against (pydicom); verify before use. It is also a CT "
                       "value, not measured in this echo study")

#: Every context value: its SR coding or the reason it is not exported (docs/clinical-criteria.md §8.5).
CONTEXT_CONCEPTS: dict[str, ContextConcept] = {c.key: c for c in (
    ContextConcept("annulus_ap_mm", not_exported=_UNVERIFIED_ANNULUS),
    ContextConcept("annulus_alpm_mm", not_exported=_UNVERIFIED_ANNULUS),
    ContextConcept("annulus_perimeter_mm", not_exported=_UNVERIFIED_ANNULUS),
    ContextConcept("annulus_area_mm2", not_exported=_UNVERIFIED_ANNULUS),
    ContextConcept("neo_lvot_mm2", not_exported="no PS3.16 code for a predicted (CT-simulated) neo-LVOT area"),
    ContextConcept("mac_extent", not_exported="PS3.16 has a MAC severity concept, not the circumferential extent "
                   "MitraPlan records"),
    ContextConcept("la_mean_pressure_mmhg", not_exported="the echo CIDs (CID 12205 Left Atrium) have no LA pressure;"
                   " haemodynamic SRs (TID 3500) code pressures by waveform and site, which MitraPlan does not write"),
    ContextConcept("la_v_wave_mmhg", not_exported="V wave peak pressure (109034, DCM) is a haemodynamic waveform "
                   "measurement (CID 3337) that names no chamber by itself; not part of the echo templates"),
    ContextConcept("tr_grade", not_exported="a grade is a coded finding (CODE item), not a NUM; the echo templates "
                   "MitraPlan writes carry measurements only"),
    ContextConcept("rvsp_mmhg", quantity="rvsp", sr_sources=("TEE",)),
)}


# --- the one printed form of a measured value -----------------------------------------------------

#: How a unit is printed where that differs from its name in the contract.
DISPLAY_UNITS: dict[str, str] = {"cm2": "cm²"}
#: Precision of a value whose quantity the registry does not know.
FALLBACK_PRECISION = "0.01"


def unit_text(unit: str) -> str:
    """``cm2`` → ``cm²``; every other unit as named."""
    return DISPLAY_UNITS.get(unit, unit)


def round_half_up(value: float, quantum: str) -> Decimal:
    """Decimal round-half-away-from-zero of the shortest repr of ``value`` (docs/clinical-criteria.md §0.4, W15)."""
    return Decimal(repr(float(value))).quantize(Decimal(quantum), rounding=ROUND_HALF_UP)


def number_text(quantity: str, value: float) -> str:
    """``value`` at the reporting precision of ``quantity`` (half-up), e.g. ``6.55 → "6.6"`` for a gradient.

    Every output (tables, summary, decision-support texts, JSON ``shown``, captions) prints a measured
    value through this function, so one value is one printed number everywhere.
    """
    if not math.isfinite(value):
        return str(value)
    known = QUANTITIES.get(quantity)
    return str(round_half_up(value, known.precision if known else FALLBACK_PRECISION))


def value_text(quantity: str, value: float, unit: str | None = None) -> str:
    """:func:`number_text` with the printed unit (the registry's unless ``unit`` is given): ``"0.10 cm²"``."""
    known = QUANTITIES.get(quantity)
    name = unit if unit is not None else (known.unit if known else "")
    return f"{number_text(quantity, value)} {unit_text(name)}".strip()
