"""Content items of DICOM TID 5200 "Adult Echocardiography Procedure Report" (PS3.16).

The tree echo reporting systems import: the root (125200, DCM) with its template identifier, the
observation context, TID 5201 Patient Characteristics, one TID 5202 Findings section per structure
(Finding Site = the section subject) holding TID 5203 measurements, grouped in Measurement Groups
by Image Mode. Each measurement is a TID 300 NUM with the concept modifiers receivers key on
(Measurement Method, Finding Site, Flow Direction, Cardiac Cycle Point, Derivation) and, for the
value chosen from several beats, TID 310 Selection Status. ``report.sr`` composes the document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum

import highdicom as hd
from pydicom.sequence import Sequence as DicomSequence
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

from measurements.calibration import USER_CALIBRATION_WARNING
from measurements.concepts import ANTEGRADE, MITRAL_VALVE, PRIVATE_SCHEME, REGURGITANT
from report.model import Header, Measurement

TEMPLATE_ID = "5200"
ROOT = codes.DCM.AdultEchocardiographyProcedureReport  # 125200
FINDINGS = codes.DCM.Findings  # 121070, TID 5202
MEASUREMENT_GROUP = codes.DCM.MeasurementGroup  # 125007
FINDING_SITE = codes.SCT.FindingSite  # 363698007
IMAGE_MODE = codes.SCT.ImageMode  # 399264008, CID 12224 values
METHOD = codes.SCT.MeasurementMethod  # 370129005
TOPOGRAPHICAL_MODIFIER = codes.SCT.TopographicalModifier  # 106233006 (PS3.17 N.2 modifier)
FLOW_DIRECTION = Code("260674002", "SCT", "Flow Direction")  # CID 12221 values
CARDIAC_CYCLE_POINT = Code("272518008", "SCT", "Cardiac Cycle Point")  # CID 12233 values
DERIVATION = codes.DCM.Derivation  # 121401, CID 3627 values
MEASURED = codes.SCT.Measured  # one beat as traced
MEAN = codes.SCT.Mean  # the mean of the beats
SELECTION_STATUS = codes.DCM.SelectionStatus  # 121404, CID 224 values
MEAN_VALUE_CHOSEN = codes.DCM.MeanValueChosen  # 121412
COMMENT = codes.DCM.Comment  # 121106
#: PS3.16 has no "number of beats" concept: private, declared with the other 99TEERPLAN codes.
N_BEATS = Code("N-BEATS", PRIVATE_SCHEME, "Number of beats averaged")
BEATS_UNIT = Code("{beats}", "UCUM", "beats")
ENGLISH = Code("en", "RFC5646", "English")
LEFT_VENTRICLE = codes.SCT.LeftVentricle  # 87878005: TID 5200 has no LVOT section; LVOT sits in it
#: TID 5200 section subject of a quantity's finding site (the measurement keeps its own site).
SECTION_OF: dict[str, Code] = {"13418002": LEFT_VENTRICLE, "6530003": codes.SCT.MitralValve,  # LVOT; leaflet,
                               "65197004": codes.SCT.MitralValve}  # annulus: in the mitral valve section
#: TID 5200 section order of the subjects this app writes (PS3.16 TID 5200 rows): left ventricle,
#: right ventricle (an entered RVSP, CID 12204), mitral valve, pulmonary artery.
SECTION_ORDER = ("87878005", "53085002", "91134007", "81040000")
#: Mitral flow is diastolic inflow or systolic regurgitation by definition (CID 12233 values).
_PHASE = {(MITRAL_VALVE.value, ANTEGRADE.value): codes.SCT.Diastole,
          (MITRAL_VALVE.value, REGURGITANT.value): codes.SCT.Systole}
_SEX = {"M": codes.DCM.Male, "F": codes.DCM.Female, "O": codes.DCM.OtherSex}

_R = hd.sr.RelationshipTypeValues


@dataclass(frozen=True, slots=True)
class Coding:
    """How one echo NUM is coded: its TID 5203 concept and modifiers (None: not written)."""

    name: Code
    unit: Code
    site: Code
    method: Code | None = None
    flow: Code | None = None
    mode: Code | None = None
    topographical: Code | None = None


def section_subject(site: Code) -> Code:
    """The TID 5200 section a finding site belongs to (LVOT → Left Ventricle; others are their own)."""
    return SECTION_OF.get(site.value, site)


def cardiac_phase(site: Code, flow: Code | None) -> Code | None:
    """The cardiac cycle point a mitral flow implies (inflow: diastole; regurgitation: systole)."""
    return None if flow is None else _PHASE.get((site.value, flow.value))


def set_children(item: hd.sr.ContentItem, children: Sequence[hd.sr.ContentItem]) -> None:
    """``item``'s Content Sequence: ``children``, in order. Handed as a plain pydicom Sequence: a content item
    wraps whatever it is given in a new ContentSequence (hashing each child's concept name into a look-up
    table, slow for a CodedConcept), so handing it a ContentSequence built that sequence twice."""
    item.ContentSequence = DicomSequence(children)


def _mod(name: Code, value: Code) -> hd.sr.CodeContentItem:
    return hd.sr.CodeContentItem(name=name, value=value, relationship_type=_R.HAS_CONCEPT_MOD)


class BeatRole(Enum):
    """What a value is among the beats of a trace: one beat, or their mean (chosen or not)."""

    BEAT = "beat"  # one beat as measured (Derivation: Measured)
    MEAN = "mean"  # a mean of beats averaged into a wider mean (Derivation: Mean)
    SELECTED = "selected"  # the mean the report uses (Derivation: Mean, Selection Status, number of beats)


def _within(a: Measurement, b: Measurement) -> bool:
    """True when ``b`` averages ``a``: same quantity, ``a``'s marks among ``b``'s, ``b`` wider."""
    return (a.id != b.id and a.quantity == b.quantity and bool(a.source) and set(a.source) <= set(b.source)
            and (b.beats or 0) > (a.beats or 1))


def beat_roles(measurements: Sequence[Measurement]) -> dict[str, BeatRole]:
    """The beat role of each measurement that has one (id → role): results with ``beat``, and
    single-beat traces averaged into a mean, are beats; means not averaged again are selected."""
    means = [m for m in measurements if m.beats is not None and m.beat is None]
    roles: dict[str, BeatRole] = {}
    for m in measurements:
        wider = any(_within(m, b) for b in means)
        if m.beat is not None or (m.beats is None and wider):
            roles[m.id] = BeatRole.BEAT
        elif m.beats is not None:
            roles[m.id] = BeatRole.MEAN if wider else BeatRole.SELECTED
    return roles


def echo_num(coding: Coding, m: Measurement, section: Code, refs: Sequence[hd.sr.ContentItem],
             role: BeatRole | None = None, properties: Sequence[hd.sr.ContentItem] = ()) -> hd.sr.NumContentItem:
    """One TID 5203 measurement at reporting precision, with its modifiers, beat derivation and
    selection, the image mode, further ``properties`` (where an imported value came from), and the
    references (image, frame, SCOORD) it was inferred from."""
    num = hd.sr.NumContentItem(name=coding.name, value=float(m.shown), unit=coding.unit,
                               relationship_type=_R.CONTAINS)
    items: list[hd.sr.ContentItem] = []
    if coding.method is not None:
        items.append(_mod(METHOD, coding.method))
    if coding.site.value != section.value:
        items.append(_mod(FINDING_SITE, coding.site))
    if coding.topographical is not None:
        items.append(_mod(TOPOGRAPHICAL_MODIFIER, coding.topographical))
    if coding.flow is not None:
        items.append(_mod(FLOW_DIRECTION, coding.flow))
    phase = cardiac_phase(coding.site, coding.flow)
    if phase is not None:
        items.append(_mod(CARDIAC_CYCLE_POINT, phase))
    if role is not None:
        items.append(_mod(DERIVATION, MEASURED if role is BeatRole.BEAT else MEAN))
    if role is BeatRole.SELECTED and m.beats is not None:
        items.append(hd.sr.CodeContentItem(name=SELECTION_STATUS, value=MEAN_VALUE_CHOSEN,
                                           relationship_type=_R.HAS_PROPERTIES))
        items.append(hd.sr.NumContentItem(name=N_BEATS, value=m.beats, unit=BEATS_UNIT,
                                          relationship_type=_R.HAS_PROPERTIES))
    if coding.mode is not None:
        items.append(hd.sr.CodeContentItem(name=IMAGE_MODE, value=coding.mode,
                                           relationship_type=_R.HAS_ACQ_CONTEXT))
    items.extend(_scale_warnings(m))
    items.extend(properties)
    items.extend(refs)
    if items:
        set_children(num, items)
    return num


def label_comment(label: str) -> hd.sr.TextContentItem:
    """The mark's label on a NUM (a Comment, as the SR writes its other notes): what a generic Length,
    Area or Duration was measured on, e.g. "P3 free leaflet length (hinge to clip)"."""
    return hd.sr.TextContentItem(name=COMMENT, value=f"Mark label: {label}"[:1024], relationship_type=_R.HAS_PROPERTIES)


def input_num(coding: Coding, value: str) -> hd.sr.NumContentItem:
    """A calculation input as entered (``value`` already at its precision), e.g. the PISA aliasing velocity."""
    num = hd.sr.NumContentItem(name=coding.name, value=float(value), unit=coding.unit, relationship_type=_R.CONTAINS)
    items = [_mod(METHOD, coding.method)] if coding.method is not None else []
    if coding.flow is not None:
        items.append(_mod(FLOW_DIRECTION, coding.flow))
    phase = cardiac_phase(coding.site, coding.flow)
    if phase is not None:
        items.append(_mod(CARDIAC_CYCLE_POINT, phase))
    num.ContentSequence = hd.sr.ContentSequence(
        [*items, hd.sr.TextContentItem(name=COMMENT, value="Entered input of the PISA calculation, not measured",
                                       relationship_type=_R.HAS_PROPERTIES)])
    return num


def _scale_warnings(m: Measurement) -> list[hd.sr.TextContentItem]:
    """A value measured through a user calibration says so in the SR too (a Comment on the NUM)."""
    return [hd.sr.TextContentItem(name=COMMENT, value=w[:1024], relationship_type=_R.HAS_PROPERTIES)
            for w in m.warnings if USER_CALIBRATION_WARNING in w]


def measurement_group(mode: Code, nums: Sequence[hd.sr.ContentItem]) -> hd.sr.ContainerContentItem:
    """A TID 5202 Measurement Group of one image mode (the mode is inherited by its NUMs)."""
    group = hd.sr.ContainerContentItem(name=MEASUREMENT_GROUP, relationship_type=_R.CONTAINS)
    set_children(group, [_mod(IMAGE_MODE, mode), *nums])
    return group


def findings_section(subject: Code, items: Sequence[hd.sr.ContentItem]) -> hd.sr.ContainerContentItem:
    """A TID 5202 Echo Section: Findings with Finding Site = ``subject``, then its measurements/groups."""
    section = hd.sr.ContainerContentItem(name=FINDINGS, relationship_type=_R.CONTAINS)
    set_children(section, [_mod(FINDING_SITE, subject), *items])
    return section


def age_years(birth_date: str, on: str) -> int | None:
    """Whole years from ``birth_date`` to ``on`` (both YYYYMMDD), None when either is unknown."""
    try:
        born, day = (date(int(d[:4]), int(d[4:6]), int(d[6:8])) for d in (birth_date, on))
    except (ValueError, IndexError):
        return None
    years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    return years if years >= 0 else None


def patient_characteristics(header: Header) -> hd.sr.ContainerContentItem | None:
    """TID 5201 Patient Characteristics with what the header knows (age at the study, sex), else None."""
    items: list[hd.sr.ContentItem] = []
    age = age_years(header.birth_date, header.study_date)
    if age is not None:
        items.append(hd.sr.NumContentItem(name=codes.DCM.SubjectAge, value=age, unit=Code("a", "UCUM", "year"),
                                          relationship_type=_R.CONTAINS))
    sex = _SEX.get(header.sex.strip().upper())
    if sex is not None:
        items.append(hd.sr.CodeContentItem(name=codes.DCM.SubjectSex, value=sex, relationship_type=_R.CONTAINS))
    if not items:
        return None
    container = hd.sr.ContainerContentItem(name=codes.DCM.PatientCharacteristics, relationship_type=_R.CONTAINS,
                                           template_id="5201")
    set_children(container, items)
    return container


def report_root(context: Sequence[hd.sr.ContentItem], children: Sequence[hd.sr.ContentItem]) -> hd.sr.ContainerContentItem:
    """The TID 5200 root: language, observation context (TID 1001), then the report's containers."""
    root = hd.sr.ContainerContentItem(name=ROOT, template_id=TEMPLATE_ID)
    set_children(root, [*hd.sr.LanguageOfContentItemAndDescendants(
        hd.sr.CodedConcept(ENGLISH.value, ENGLISH.scheme_designator, ENGLISH.meaning)), *context, *children])
    return root
