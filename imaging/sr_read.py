"""Read a measurement SR (TID 5200 echo report, TID 1500 measurement report) into flat numeric items.

Pure pydicom: the content tree is walked once and every NUM becomes an :class:`SRNum` with its
concept, value, unit, the concept modifiers that apply to it (its own and those inherited from the
enclosing Findings section / Measurement Group: Finding Site, Image Mode, ...), its properties
(Selection Status, number of beats, the SR a value was imported from), the images and SCOORDs it was inferred from, and the path of
containers it sits in. Legacy SNOMED-RT codes (scheme ``SRT``) are read as their SNOMED CT
equivalents (DICOM PS3.16 Annex O, the mapping pydicom ships), so a receiver matches one code.
Which quantity a NUM is, and what to keep, is ``measurements.sr_import``'s business.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue

from imaging.errors import InputError

#: SOP Class UIDs of the SR storage classes a measurement report can come in (PS3.4 B.5).
SR_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.88.11": "Basic Text SR", "1.2.840.10008.5.1.4.1.1.88.22": "Enhanced SR",
    "1.2.840.10008.5.1.4.1.1.88.33": "Comprehensive SR", "1.2.840.10008.5.1.4.1.1.88.34": "Comprehensive 3D SR",
    "1.2.840.10008.5.1.4.1.1.88.35": "Extensible SR",
}
_MODIFIER_RELATIONS = ("HAS CONCEPT MOD", "HAS ACQ CONTEXT")
_PERSON_OBSERVER = ("121008", "DCM")
_DEVICE_NAME, _DEVICE_MANUFACTURER, _DEVICE_MODEL = ("121013", "DCM"), ("121014", "DCM"), ("121015", "DCM")


class SRReadError(InputError):
    """The file is not a readable structured report; the message names the file."""


@dataclass(frozen=True, slots=True)
class SRCode:
    """A coded concept as read (legacy SRT already mapped to SCT; ``legacy`` keeps the SRT value)."""

    value: str
    scheme: str
    meaning: str
    legacy: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.value, self.scheme)


@dataclass(frozen=True, slots=True)
class SRNum:
    """One NUM of the content tree with everything that qualifies it."""

    name: SRCode
    value: float
    unit: SRCode
    #: concept modifier name key -> value, own ones over inherited ones
    modifiers: dict[tuple[str, str], SRCode] = field(default_factory=dict)
    #: coded properties (Selection Status, ...) by name key
    properties: dict[tuple[str, str], SRCode] = field(default_factory=dict)
    #: numeric properties (number of beats, ...) by name key
    numbers: dict[tuple[str, str], float] = field(default_factory=dict)
    #: UID properties (UIDREF under HAS PROPERTIES: the SR a value was imported from, ...) by name key
    uids: dict[tuple[str, str], str] = field(default_factory=dict)
    #: (SOP Instance UID, frame number) of each image it was inferred from (frame 1 when single-frame)
    images: tuple[tuple[str, int], ...] = ()
    #: SCOORDs it was inferred from: (SOP Instance UID, frame, graphic data)
    scoords: tuple[tuple[str, int, tuple[float, ...]], ...] = ()
    path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SRDocument:
    """The header facts of an SR an importer needs, and its numeric items."""

    path: Path
    sop_instance_uid: str
    patient_id: str
    patient_name: str
    study_instance_uid: str
    study_date: str
    manufacturer: str
    model: str
    device_observer: str
    person_observer: str
    content_datetime: str
    template: str
    root: SRCode | None
    nums: tuple[SRNum, ...]

    @property
    def device(self) -> str:
        """Manufacturer and model of the header; the observer context device when the header names no model."""
        if self.model or not self.device_observer:
            return " ".join(p for p in (self.manufacturer, self.model) if p)
        return self.device_observer


def sct(value: str, scheme: str, meaning: str) -> SRCode:
    """The code, with a legacy SRT value replaced by its SNOMED CT equivalent when one is known."""
    if scheme == "SRT":
        # imported here: pydicom.sr loads its whole code dictionary (0.2-0.5 s), which the window's start,
        # importing this module for Import Measurements, need not pay
        from pydicom.sr._snomed_dict import mapping

        if value in mapping["SRT"]:
            return SRCode(mapping["SRT"][value], "SCT", meaning, legacy=value)
    return SRCode(value, scheme, meaning)


def _code(seq: Any) -> SRCode | None:
    if not seq:
        return None
    item = seq[0]
    value = str(item.get("CodeValue", "") or item.get("LongCodeValue", "") or item.get("URNCodeValue", ""))
    return sct(value, str(item.get("CodingSchemeDesignator", "")), str(item.get("CodeMeaning", "")))


def _name(item: Dataset) -> SRCode | None:
    return _code(item.get("ConceptNameCodeSequence"))


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _image_ref(item: Dataset) -> tuple[str, int] | None:
    refs = item.get("ReferencedSOPSequence")
    if not refs:
        return None
    frames = refs[0].get("ReferencedFrameNumber")
    if frames is None or frames == "":
        frame = 1
    elif isinstance(frames, MultiValue | list):
        frame = int(frames[0])
    else:
        frame = int(frames)
    return str(refs[0].get("ReferencedSOPInstanceUID", "")), frame


def _scoord(item: Dataset) -> tuple[str, int, tuple[float, ...]]:
    data = tuple(float(v) for v in item.get("GraphicData", []))
    for child in item.get("ContentSequence", []):
        if child.get("ValueType") == "IMAGE":
            ref = _image_ref(child)
            if ref is not None:
                return ref[0], ref[1], data
    return "", 0, data


def _num(item: Dataset, inherited: dict[tuple[str, str], SRCode], path: tuple[str, ...]) -> SRNum | None:
    name = _name(item)
    measured = item.get("MeasuredValueSequence")
    if name is None or not measured or "NumericValue" not in measured[0]:
        return None  # a NUM without a value (TID 300 allows a Numeric Value Qualifier instead)
    unit = _code(measured[0].get("MeasurementUnitsCodeSequence")) or SRCode("1", "UCUM", "no units")
    mods, props, numbers, uids = dict(inherited), {}, {}, {}
    images, scoords = [], []
    for child in item.get("ContentSequence", []):
        rel, vt, child_name = child.get("RelationshipType"), child.get("ValueType"), _name(child)
        if child_name is not None and rel in _MODIFIER_RELATIONS and vt == "CODE":
            value = _code(child.get("ConceptCodeSequence"))
            if value is not None:
                mods[child_name.key] = value
        elif child_name is not None and rel == "HAS PROPERTIES" and vt == "CODE":
            value = _code(child.get("ConceptCodeSequence"))
            if value is not None:
                props[child_name.key] = value
        elif child_name is not None and rel == "HAS PROPERTIES" and vt == "NUM":
            mv = child.get("MeasuredValueSequence")
            if mv and "NumericValue" in mv[0]:
                numbers[child_name.key] = float(mv[0].NumericValue)
        elif child_name is not None and rel == "HAS PROPERTIES" and vt == "UIDREF":
            uids[child_name.key] = _text(child.get("UID"))
        elif rel == "INFERRED FROM" and vt == "IMAGE":
            ref = _image_ref(child)
            if ref is not None:
                images.append(ref)
        elif rel == "INFERRED FROM" and vt in ("SCOORD", "SCOORD3D"):
            scoords.append(_scoord(child))
    return SRNum(name, float(measured[0].NumericValue), unit, mods, props, numbers, uids, tuple(images),
                 tuple(scoords), path)


def walk(item: Dataset, inherited: dict[tuple[str, str], SRCode] | None = None,
         path: tuple[str, ...] = ()) -> list[SRNum]:
    """Every NUM under ``item`` (the dataset or a container), depth first, with the concept
    modifiers of the containers it sits in (a container's own modifiers apply to all it holds)."""
    inherited = dict(inherited or {})
    children = list(item.get("ContentSequence", []))
    for child in children:
        name = _name(child)
        if name is not None and child.get("RelationshipType") in _MODIFIER_RELATIONS and \
                child.get("ValueType") == "CODE":
            value = _code(child.get("ConceptCodeSequence"))
            if value is not None:
                inherited[name.key] = value
    here_name = _name(item)
    here = (*path, here_name.meaning or here_name.value) if here_name is not None else path
    out: list[SRNum] = []
    for child in children:
        if child.get("RelationshipType") != "CONTAINS":
            continue
        if child.get("ValueType") == "NUM":
            num = _num(child, inherited, here)
            if num is not None:
                out.append(num)
        elif child.get("ValueType") == "CONTAINER":
            out.extend(walk(child, inherited, here))
    return out


def _observer(items: Iterable[Dataset]) -> tuple[str, str]:
    """(person observer name, device observer "manufacturer model name") of an observation context."""
    person, device = "", dict[tuple[str, str], str]()
    for child in items:
        name = _name(child)
        if name is None:
            continue
        if name.key == _PERSON_OBSERVER and not person:
            person = _text(child.get("PersonName"))
        elif name.key in (_DEVICE_NAME, _DEVICE_MANUFACTURER, _DEVICE_MODEL):
            device.setdefault(name.key, _text(child.get("TextValue")))
    parts = [device.get(_DEVICE_MANUFACTURER, ""), device.get(_DEVICE_MODEL, "")]
    return person, " ".join(p for p in parts if p) or device.get(_DEVICE_NAME, "")


def _person_from_header(ds: Dataset) -> str:
    for seq in ("AuthorObserverSequence", "VerifyingObserverSequence"):
        for entry in ds.get(seq, []):
            name = _text(entry.get("PersonName") or entry.get("VerifyingObserverName"))
            if name:
                return name
    return ""


def read_sr(path: str | Path) -> SRDocument:
    """The SR at ``path``; SRReadError naming the file when it is not DICOM or not an SR."""
    path = Path(path)
    try:
        ds = pydicom.dcmread(path)
    except FileNotFoundError:
        raise SRReadError("no such file", path) from None
    except (InvalidDicomError, OSError, ValueError, EOFError) as exc:
        raise SRReadError(f"not a readable DICOM file ({exc})", path) from None
    try:
        return document_of(ds, path)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError) as exc:
        raise SRReadError(f"malformed SR content tree ({type(exc).__name__}: {exc})", path) from None


def document_of(ds: Dataset, path: str | Path) -> SRDocument:
    """The SR facts of a dataset already read (SRReadError when it is not a structured report)."""
    path = Path(path)
    sop_class = _text(ds.get("SOPClassUID"))
    if sop_class not in SR_CLASSES and _text(ds.get("Modality")) != "SR":
        raise SRReadError(f"not a structured report (SOP class {sop_class or 'missing'}, modality "
                          f"{_text(ds.get('Modality')) or 'missing'})", path)
    if "ContentSequence" not in ds:
        raise SRReadError("structured report without a content tree (no Content Sequence)", path)
    person, device = _observer(ds.get("ContentSequence", []))
    templates = ds.get("ContentTemplateSequence")
    template = _text(templates[0].get("TemplateIdentifier")) if templates else ""
    return SRDocument(
        path=path, sop_instance_uid=_text(ds.get("SOPInstanceUID")), patient_id=_text(ds.get("PatientID")),
        patient_name=_text(ds.get("PatientName")), study_instance_uid=_text(ds.get("StudyInstanceUID")),
        study_date=_text(ds.get("StudyDate")), manufacturer=_text(ds.get("Manufacturer")),
        model=_text(ds.get("ManufacturerModelName")), device_observer=device,
        person_observer=person or _person_from_header(ds),
        content_datetime=f"{_text(ds.get('ContentDate'))}{_text(ds.get('ContentTime'))}", template=template,
        root=_name(ds), nums=tuple(walk(ds)))
