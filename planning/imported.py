"""Imported results: measurements another system made, read from its SR and kept in the case.

A case's ``imported`` list holds, per value, the quantity, the value in the app's unit and its
provenance (the SR's SOP Instance UID, device, observer, content date/time, the source image when
the SR references one, the SR's own concept, value and unit) and a status (docs/case-file.md):

* ``imported`` (the default on import): shown, marked imported, not graded and not used by
  calculations, the summary or decision support until a clinician accepts it;
* ``accepted``: used like a MitraPlan value; its grade says "graded by MitraPlan from an imported
  value";
* ``hidden``: kept in the case, shown nowhere;
* ``superseded``: replaced by MitraPlan's own marks (set by hand, and implied whenever MitraPlan
  measures the same quantity itself): shown, not used.

These are the only numbers a case stores: they cannot be recomputed from the images. ``imported_unknown``
lists the SR values no quantity of MitraPlan takes, so nothing is dropped silently.

No value is imported twice. An SR imported before adds nothing again. MitraPlan's own SR marks each
value it quotes from an imported SR with the UID of the SR that first reported it (``report.sr``,
``measurements.sr_import.SOURCE_SR``); importing such an SR leaves out (``ImportSummary.duplicates``)
every value the case already has from that first SR (same quantity, flow and printed value), and
keeps that first SR as ``provenance.quoted_from`` of a value it adds, so the first SR itself, or
another SR quoting it, is then recognised too.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from imaging.sr_read import SRDocument
from measurements import thresholds
from measurements.concepts import number_text, quantity, value_text
from measurements.plausibility import HELD, IMPORTED_PREFIX, is_held
from measurements.results import Grade, ImportedFrom, Result
from measurements.sr_import import Mapped, Unknown, plan
from planning.case import Case, CaseError
from planning.model import HAEMO_NUMBERS
from planning.study import StudyMismatch, belongs, bind_study, bound_identity, identity_of

IMPORTED_KEY, UNKNOWN_KEY = "imported", "imported_unknown"
#: Opens the result id of an imported value (``imported.imp3``), MitraPlan's own never do.
RESULT_ID_PREFIX = "imported."
GRADED_FROM_IMPORT = "graded by MitraPlan from an imported value"


class Status(StrEnum):
    """What the clinician made of an imported value."""

    IMPORTED = "imported"
    ACCEPTED = "accepted"
    HIDDEN = "hidden"
    SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class ImportedResult:
    """One entry of the case's ``imported`` list."""

    id: str
    quantity: str
    value: float
    unit: str
    provenance: Mapping[str, Any]
    status: Status = Status.IMPORTED
    label: str = ""
    superseded_by: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def device(self) -> str:
        return str(self.provenance.get("device", "") or "")

    @property
    def observer(self) -> str:
        return str(self.provenance.get("observer", "") or "")

    @property
    def sop_instance_uid(self) -> str:
        return str(self.provenance.get("sop_instance_uid", "") or "")

    @property
    def origin(self) -> str:
        """The SR that first reported the value: the one it was imported from, or, when that SR (one
        of MitraPlan's) quoted it from an earlier import, that earlier SR."""
        return str(self.provenance.get("quoted_from", "") or "") or self.sop_instance_uid

    @property
    def regurgitant(self) -> bool:
        return self.provenance.get("flow") == "regurgitant"

    @classmethod
    def from_json(cls, raw: object, where: str) -> ImportedResult:
        if not isinstance(raw, dict):
            raise ValueError(f"{where} must be a JSON object")
        ident, name, unit = raw.get("id"), raw.get("quantity"), raw.get("unit")
        value, prov = raw.get("value"), raw.get("provenance", {})
        if not isinstance(ident, str) or not ident:
            raise ValueError(f"{where}.id must be a non-empty string")
        try:
            expected = quantity(str(name)).unit
        except KeyError as exc:
            raise ValueError(f"{where}.quantity: {exc.args[0]}") from None
        if unit != expected:
            raise ValueError(f"{where}.unit must be {expected!r} for {name} (got {unit!r})")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{where}.value must be a number (got {value!r})")
        if not isinstance(prov, dict):
            raise ValueError(f"{where}.provenance must be a JSON object")
        status = raw.get("status", Status.IMPORTED.value)
        if status not in {s.value for s in Status}:
            allowed = ", ".join(f'"{s.value}"' for s in Status)
            raise ValueError(f"{where}.status: {status!r} is not one of {allowed}")
        known = ("id", "quantity", "value", "unit", "provenance", "status", "label", "superseded_by")
        return cls(ident, str(name), float(value), str(unit), dict(prov), Status(status),
                   str(raw.get("label") or ""), str(raw.get("superseded_by") or ""),
                   {k: v for k, v in raw.items() if k not in known})

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"id": self.id, "quantity": self.quantity, "value": self.value, "unit": self.unit}
        if self.label:
            doc["label"] = self.label
        doc.update(provenance=dict(self.provenance), status=self.status.value)
        if self.superseded_by:
            doc["superseded_by"] = self.superseded_by
        doc.update({k: v for k, v in self.extra.items() if k not in doc})
        return doc


def imported_of(case: Case) -> list[ImportedResult]:
    """The case's imported results (CaseError naming the file and field when one is malformed)."""
    raw = case.extra.get(IMPORTED_KEY, [])
    if not isinstance(raw, list):
        raise CaseError(f"'{IMPORTED_KEY}' must be a JSON list", case.path)
    try:
        return [ImportedResult.from_json(r, f"{IMPORTED_KEY}[{i}]") for i, r in enumerate(raw)]
    except ValueError as exc:
        raise CaseError(str(exc), case.path) from None


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A value of the SR left out because the case has it already, from the SR that first reported it."""

    quantity: str
    value: float
    unit: str
    existing_id: str  # the case's entry that holds it
    origin: str  # SOP Instance UID of the SR that first reported it

    def describe(self) -> str:
        return (f"{quantity(self.quantity).label} {value_text(self.quantity, self.value, self.unit)}: already in the"
                f" case as {self.existing_id}, first reported in SR {self.origin}")

    def as_json(self) -> dict[str, Any]:
        return {"quantity": self.quantity, "value": self.value, "unit": self.unit, "existing_id": self.existing_id,
                "first_reported_in": self.origin, "reason": self.describe()}


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What one import added: the new entries, the repeated values collapsed, the unknown concepts, the
    values left out as already in the case (``duplicates``); ``already`` when this SR was imported into
    the case before (nothing added again)."""

    sop_instance_uid: str
    added: tuple[ImportedResult, ...]
    collapsed: int
    unknown: tuple[Unknown, ...]
    already: bool = False
    duplicates: tuple[Duplicate, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"sop_instance_uid": self.sop_instance_uid, "already_imported": self.already,
                "imported": [e.to_json() for e in self.added], "collapsed_repeats": self.collapsed,
                "already_in_case": [d.as_json() for d in self.duplicates],
                "unknown": [unknown_json(u, self.sop_instance_uid) for u in self.unknown]}

    def duplicates_text(self) -> str:
        """One line saying which values were left out as already in the case ("" when none)."""
        if not self.duplicates:
            return ""
        return (f"{len(self.duplicates)} value(s) left out, already in the case: "
                + "; ".join(d.describe() for d in self.duplicates))


def unknown_json(u: Unknown, sop_instance_uid: str) -> dict[str, Any]:
    concept = {"value": u.concept.value, "scheme": u.concept.scheme, "meaning": u.concept.meaning}
    if u.concept.legacy:
        concept["legacy_srt"] = u.concept.legacy
    return {"sop_instance_uid": sop_instance_uid, "concept": concept, "value": u.value, "unit": u.unit.value,
            "reason": u.reason}


def check_patient(case: Case, doc: SRDocument) -> None:
    """Refuse an SR of another patient or study than the case's (naming both); binds an unbound case."""
    found = identity_of({"patient_id": doc.patient_id, "patient_name": doc.patient_name,
                         "study_instance_uid": doc.study_instance_uid, "study_date": doc.study_date})
    expected = bound_identity(case)
    if expected is None:
        bind_study(case, found)
        return
    if not belongs(expected, found):
        raise StudyMismatch(f"refused: this SR belongs to {found.describe()}, but the case"
                            f" {case.path or '(unsaved)'} is bound to {expected.describe()}", doc.path)


def _provenance(doc: SRDocument, m: Mapped) -> dict[str, Any]:
    prov: dict[str, Any] = {"sop_instance_uid": doc.sop_instance_uid, "device": doc.device,
                            "observer": doc.person_observer, "content_datetime": doc.content_datetime,
                            "concept": {"value": m.num.name.value, "scheme": m.num.name.scheme,
                                        "meaning": m.num.name.meaning},
                            "sr_value": m.num.value, "sr_unit": m.num.unit.value, "matched_by": m.matched_by}
    if m.num.name.legacy:
        prov["concept"]["legacy_srt"] = m.num.name.legacy
    if m.selection:
        prov["selection"] = m.selection
    if m.beats is not None:
        prov["beats"] = m.beats
    if m.regurgitant:
        prov["flow"] = "regurgitant"
    if m.quoted_from and m.quoted_from != doc.sop_instance_uid:
        prov["quoted_from"] = m.quoted_from
    images = [*m.num.images, *((uid, frame) for uid, frame, _ in m.num.scoords if uid)]
    if images:
        prov["source_image"] = {"sop_instance_uid": images[0][0], "frame_number": images[0][1]}
    return prov


def _next_ids(case: Case, n: int) -> list[str]:
    used = {str(e.get("id")) for e in case.extra.get(IMPORTED_KEY, []) if isinstance(e, dict)}
    out: list[str] = []
    k = 1
    while len(out) < n:
        if f"imp{k}" not in used:
            out.append(f"imp{k}")
        k += 1
    return out


def _same_value(entry: ImportedResult, m: Mapped, origin: str) -> bool:
    """True when ``entry`` is ``m``'s value from the same first SR: quantity, flow and printed value."""
    return (entry.origin == origin and entry.quantity == m.quantity and entry.regurgitant == m.regurgitant
            and number_text(m.quantity, entry.value) == number_text(m.quantity, m.value))


def _duplicate(existing: Sequence[ImportedResult], m: Mapped, doc: SRDocument) -> Duplicate | None:
    """The case's entry that already holds ``m`` (from the SR that first reported it), if any."""
    origin = m.quoted_from or doc.sop_instance_uid
    held = next((e for e in existing if _same_value(e, m, origin)), None)
    return None if held is None else Duplicate(m.quantity, m.value, m.unit, held.id, origin)


def import_sr(case: Case, doc: SRDocument) -> ImportSummary:
    """Add the SR's values to the case as imported results (each quantity's chosen value once) and
    its unknown concepts to ``imported_unknown``; an SR imported before adds nothing again, and a
    value the case has already from the SR that first reported it is left out (``duplicates``)."""
    existing = imported_of(case)
    check_patient(case, doc)
    result = plan(doc)
    if any(e.sop_instance_uid == doc.sop_instance_uid for e in existing):
        return ImportSummary(doc.sop_instance_uid, (), result.collapsed, result.unknown, already=True)
    found = [(m, _duplicate(existing, m, doc)) for m in result.kept]
    new = [m for m, dup in found if dup is None]
    ids = _next_ids(case, len(new))
    added = tuple(ImportedResult(i, m.quantity, m.value, m.unit, _provenance(doc, m), label=quantity(m.quantity).label)
                  for i, m in zip(ids, new, strict=True))
    case.extra[IMPORTED_KEY] = [*case.extra.get(IMPORTED_KEY, []), *(e.to_json() for e in added)]
    if result.unknown:
        unknown = [unknown_json(u, doc.sop_instance_uid) for u in result.unknown]
        case.extra[UNKNOWN_KEY] = [*case.extra.get(UNKNOWN_KEY, []), *unknown]
    return ImportSummary(doc.sop_instance_uid, added, result.collapsed, result.unknown,
                         duplicates=tuple(dup for _, dup in found if dup is not None))


def set_status(case: Case, imported_id: str, status: Status, superseded_by: str = "") -> ImportedResult:
    """Accept, hide, supersede (or reset) one imported result; KeyError naming an unknown id."""
    entries = imported_of(case)
    for i, entry in enumerate(entries):
        if entry.id == imported_id:
            changed = replace(entry, status=status, superseded_by=superseded_by if status is Status.SUPERSEDED else "")
            case.extra[IMPORTED_KEY][i] = changed.to_json()
            return changed
    raise KeyError(f"no imported result {imported_id!r} in the case")


def provenance_text(entry: ImportedResult) -> str:
    """``imported from <device>, observer <name>`` for labels and tooltips."""
    parts = [f"{IMPORTED_PREFIX}{entry.device or 'an unnamed device'}"]
    if entry.observer:
        parts.append(f"observer {entry.observer}")
    return ", ".join(parts)


def effective_status(entry: ImportedResult, own: Sequence[Result]) -> tuple[Status, tuple[str, ...]]:
    """The status that applies, and the own results that supersede it: MitraPlan's own usable value
    of the same quantity supersedes an imported one that is not hidden."""
    if entry.status in (Status.HIDDEN, Status.SUPERSEDED):
        return entry.status, (entry.superseded_by,) if entry.superseded_by else ()
    mine = tuple(r.id for r in own if r.quantity == entry.quantity and r.imported is None and not is_held(r))
    return (Status.SUPERSEDED, mine) if mine else (entry.status, ())


_SR_TAIL = re.compile(r"\(SR ([0-9.]+)\)$")


def result_method(entry: ImportedResult) -> str:
    """How an imported result was obtained, ending with the SR that first reported it: ``imported from
    <device>, observer <name> (SR <uid>)``; ``quoted_sr`` reads the UID back."""
    quoted = ", quoted by that SR from an earlier one" if entry.origin != entry.sop_instance_uid else ""
    return f"{provenance_text(entry)}{quoted} (SR {entry.origin})"


def quoted_sr(result_id: str, method: str) -> str:
    """The SOP Instance UID of the SR that first reported an imported result (by its id and
    ``result_method``), "" for MitraPlan's own results: what MitraPlan's SR marks it with."""
    hit = _SR_TAIL.search(method) if result_id.startswith(RESULT_ID_PREFIX) else None
    return hit.group(1) if hit else ""


def _result(entry: ImportedResult, status: Status, by: tuple[str, ...]) -> Result:
    where = provenance_text(entry)
    regurgitant = entry.regurgitant
    label = f"{entry.label or quantity(entry.quantity).label}{' (MR jet)' if regurgitant else ''} ({where})"
    imported = ImportedFrom(entry.sop_instance_uid, entry.observer, entry.device, regurgitant)
    base = Result(id=f"{RESULT_ID_PREFIX}{entry.id}", label=label, quantity=entry.quantity, value=entry.value,
                  unit=entry.unit, source=(), method=result_method(entry), imported=imported,
                  imported_status=status.value)
    if status is Status.ACCEPTED:
        # the trace quantities' schemes grade mitral inflow (stenosis): an MR jet's values get none
        grades = () if regurgitant else tuple(Grade(g.scheme, g.label, f"{GRADED_FROM_IMPORT}; {g.source}")
                                              for g in thresholds.grade(entry.quantity, entry.value))
        return replace(base, grades=grades)
    why = (f"superseded by MitraPlan's own {', '.join(by)}" if by else "superseded by MitraPlan's own marks") \
        if status is Status.SUPERSEDED else "not accepted yet"
    return replace(base, warnings=(f"{where}; {why}{HELD}",))


#: Context entries an accepted imported value fills: quantity → (context group, key) (docs/case-file.md).
CONTEXT_QUANTITIES: dict[str, tuple[str, str]] = {"rvsp": ("haemodynamics", "rvsp_mmhg")}


def context_with_imports(case: Case, own: Sequence[Result] = ()) -> dict[str, Any]:
    """The case's ``context`` object with each context value that the clinician did not enter taken from
    an accepted imported value (source "imported SR", the SR's SOP Instance UID kept as ``sr``); an
    entered value always wins, and an unaccepted, hidden or superseded import fills nothing."""
    raw = case.extra.get("context")
    context: dict[str, Any] = copy.deepcopy(raw) if isinstance(raw, dict) else {}
    for entry in imported_of(case):
        where = CONTEXT_QUANTITIES.get(entry.quantity)
        if where is None or effective_status(entry, own)[0] is not Status.ACCEPTED:
            continue
        _unit, low, high = HAEMO_NUMBERS[where[1]]
        group = context.get(where[0], {})
        if isinstance(group, dict) and group.get(where[1]) is None and low <= entry.value <= high:
            filled = {"value": entry.value, "source": "imported SR", "sr": entry.sop_instance_uid}
            context[where[0]] = {**group, where[1]: filled}
    return context


def imported_results(case: Case, own: Sequence[Result]) -> list[Result]:
    """The case's imported values as results beside ``own`` (MitraPlan's): hidden ones left out,
    unaccepted and superseded ones held (shown, not graded, not used)."""
    out = []
    for entry in imported_of(case):
        status, by = effective_status(entry, own)
        if status is not Status.HIDDEN:
            out.append(_result(entry, status, by))
    return out
