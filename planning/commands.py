"""Undoable edits of a case document, as plain Python (STYLE.md "Undo/redo: our commands, Qt's stack").

Each command is a frozen dataclass with ``text`` (what the Edit menu shows), ``apply(doc)`` and
``revert(doc)``; constructing one changes nothing. ``gui/undo.py`` wraps them for ``QUndoStack``.
Commands hold full before/after values, so ``revert`` never has to guess: a command whose
``before`` no longer matches the document refuses (``DocumentError``) instead of clobbering.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, Self

from imaging.errors import InputError
from measurements.calibration import UserCalibration, parse_calibrations
from measurements.marks import Mark
from planning.document import MISSING, CaseDocument, DocumentError
from planning.model import Device, Jet

_TYPE_NAMES = {"distance": "distance", "area": "area", "doppler_trace": "Doppler trace", "point": "point"}


class Command(Protocol):
    @property
    def text(self) -> str: ...

    def apply(self, doc: CaseDocument) -> None: ...

    def revert(self, doc: CaseDocument) -> None: ...


def _mark_name(mark: Mark) -> str:
    kind = _TYPE_NAMES.get(mark.type.value, mark.type.value)
    return f"{kind} '{mark.label}'" if mark.label else kind


# --- marks ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AddMark:
    mark: Mark
    index: int | None = None

    @property
    def text(self) -> str:
        return f"Add {_mark_name(self.mark)}"

    def apply(self, doc: CaseDocument) -> None:
        doc.add_mark(self.mark, self.index)

    def revert(self, doc: CaseDocument) -> None:
        doc.remove_mark(self.mark)


@dataclass(frozen=True)
class ReplaceMark:
    """Move, relabel or re-purpose a mark (one drag = one ReplaceMark).

    Moving the points of a confirmed mark clears ``confirmed``: the user confirmed the value the old
    points gave, not the new one (docs/clinical-criteria.md §8.1, plausibility gates).
    """

    before: Mark
    after: Mark

    def __post_init__(self) -> None:
        if self.after.confirmed and self.after.points != self.before.points:
            object.__setattr__(self, "after", dataclasses.replace(self.after, confirmed=False))

    @property
    def text(self) -> str:
        if self.before.points != self.after.points:
            return f"Move {_mark_name(self.after)}"
        if self.before.confirmed != self.after.confirmed and self.before.label == self.after.label:
            return f"{'Confirm value of' if self.after.confirmed else 'Unconfirm'} {_mark_name(self.after)}"
        return f"Edit {_mark_name(self.after)}"

    def apply(self, doc: CaseDocument) -> None:
        doc.replace_mark(self.before, self.after)

    def revert(self, doc: CaseDocument) -> None:
        doc.replace_mark(self.after, self.before)


@dataclass(frozen=True)
class RemoveMark:
    """Remove a mark; ``index`` puts it back in place on undo (``RemoveMark.of`` fills it in)."""

    mark: Mark
    index: int | None = None

    @classmethod
    def of(cls, doc: CaseDocument, mark: Mark) -> RemoveMark:
        ids = [m.id for m in doc.marks]
        return cls(mark, ids.index(mark.id) if mark.id in ids else None)

    @property
    def text(self) -> str:
        return f"Delete {_mark_name(self.mark)}"

    def apply(self, doc: CaseDocument) -> None:
        doc.remove_mark(self.mark)

    def revert(self, doc: CaseDocument) -> None:
        doc.add_mark(self.mark, self.index)


# --- calculations, devices, jets --------------------------------------------------------------

class Typed(Protocol):
    """A typed finding (``planning.model.Device``, ``Jet``, ``Calculation``): written as its JSON object."""

    @property
    def id(self) -> str: ...

    def to_json(self) -> dict[str, Any]: ...


Item = Mapping[str, Any] | Typed


def _frozen_copy(item: Item) -> dict[str, Any]:
    """The JSON object of an item (a typed finding is written with ``to_json``), as a private copy."""
    return copy.deepcopy(item.to_json() if not isinstance(item, Mapping) else dict(item))


#: The typed reading of each section's entries: an edit that would store a value outside the
#: vocabulary is refused when the command is built (the case file could not be opened again).
_READERS: dict[str, Callable[[object, str], object]] = {"devices": Device.from_json, "jets": Jet.from_json}


def _stored(item: Item) -> Mapping[str, Any]:
    """The JSON object a command holds (``__post_init__`` turned every item into one)."""
    assert isinstance(item, Mapping), item
    return item


def _checked(key: str, item: Item) -> dict[str, Any]:
    entry = _frozen_copy(item)
    reader = _READERS.get(key)
    if reader is not None:
        try:
            reader(entry, f"{key[:-1]} {entry.get('id', '')}".strip())
        except ValueError as exc:
            raise DocumentError(str(exc)) from None
    return entry


def _item_name(item: Mapping[str, Any], noun: str) -> str:
    label = item.get("label") or item.get("model") or item.get("location") or item.get("type") or item.get("id")
    return f"{noun} '{label}'" if label else noun


@dataclass(frozen=True)
class _AddItem:
    item: Item
    index: int | None = None
    key: ClassVar[str] = ""
    noun: ClassVar[str] = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "item", _checked(self.key, self.item))

    @property
    def text(self) -> str:
        return f"Add {_item_name(_stored(self.item), self.noun)}"

    def apply(self, doc: CaseDocument) -> None:
        doc.add_item(self.key, _stored(self.item), self.index)

    def revert(self, doc: CaseDocument) -> None:
        doc.remove_item(self.key, _stored(self.item))


@dataclass(frozen=True)
class _ReplaceItem:
    before: Item
    after: Item
    key: ClassVar[str] = ""
    noun: ClassVar[str] = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "before", _frozen_copy(self.before))
        object.__setattr__(self, "after", _checked(self.key, self.after))

    @classmethod
    def of(cls, doc: CaseDocument, after: Typed) -> Self:
        """The command that replaces the document's entry with the id of ``after`` by ``after``."""
        before = doc.item(cls.key, after.id)
        if before is None:
            raise DocumentError(f"no {cls.noun} {after.id!r} in the case")
        return cls(before, after)

    @property
    def text(self) -> str:
        return f"Edit {_item_name(_stored(self.after), self.noun)}"

    def apply(self, doc: CaseDocument) -> None:
        doc.replace_item(self.key, _stored(self.before), _stored(self.after))

    def revert(self, doc: CaseDocument) -> None:
        doc.replace_item(self.key, _stored(self.after), _stored(self.before))


@dataclass(frozen=True)
class _RemoveItem:
    item: Item
    index: int | None = None
    key: ClassVar[str] = ""
    noun: ClassVar[str] = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "item", _frozen_copy(self.item))

    @classmethod
    def of(cls, doc: CaseDocument, item: Item) -> Self:
        """Remove the document's entry with the id of ``item`` (as stored), back in place on undo."""
        item_id = item.get("id") if isinstance(item, Mapping) else item.id
        entries = doc.items(cls.key)
        ids = [i.get("id") for i in entries]
        stored = entries[ids.index(item_id)] if item_id in ids else item
        return cls(stored, ids.index(item_id) if item_id in ids else None)

    @property
    def text(self) -> str:
        return f"Delete {_item_name(_stored(self.item), self.noun)}"

    def apply(self, doc: CaseDocument) -> None:
        doc.remove_item(self.key, _stored(self.item))

    def revert(self, doc: CaseDocument) -> None:
        doc.add_item(self.key, _stored(self.item), self.index)


class AddCalculation(_AddItem):
    key, noun = "calculations", "calculation"


#: Calculation fields whose change leaves its value as it was (a confirmation stays valid).
_VALUE_NEUTRAL = frozenset({"confirmed", "label"})


def _value_fields(calc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in calc.items() if k not in _VALUE_NEUTRAL}


class ReplaceCalculation(_ReplaceItem):
    """Edit a calculation; changing what it sums or reads clears its ``confirmed`` (the user confirmed
    the value it gave before, as for a moved mark)."""

    key, noun = "calculations", "calculation"

    def __post_init__(self) -> None:
        super().__post_init__()
        before, after = _stored(self.before), _stored(self.after)
        if after.get("confirmed") is True and _value_fields(before) != _value_fields(after):
            object.__setattr__(self, "after", {k: v for k, v in after.items() if k != "confirmed"})


class RemoveCalculation(_RemoveItem):
    key, noun = "calculations", "calculation"


class AddDevice(_AddItem):
    key, noun = "devices", "device"


class ReplaceDevice(_ReplaceItem):
    key, noun = "devices", "device"


class RemoveDevice(_RemoveItem):
    key, noun = "devices", "device"


class AddJet(_AddItem):
    key, noun = "jets", "jet"


class ReplaceJet(_ReplaceItem):
    key, noun = "jets", "jet"


class RemoveJet(_RemoveItem):
    key, noun = "jets", "jet"


def remove_device_cascade(doc: CaseDocument, device_id: str) -> Command:
    """Remove a device and drop its id from the jets beside it (``jets[].devices``), as one undo step."""
    device = doc.item("devices", device_id)
    if device is None:
        raise DocumentError(f"no device {device_id!r} in the case")
    commands: list[Command] = [RemoveDevice.of(doc, device)]
    for jet in doc.items("jets"):
        named = jet.get("devices") or []
        beside = [d for d in named if d != device_id]
        if beside != named:
            after = {k: v for k, v in jet.items() if k != "devices"}
            commands.append(ReplaceJet(jet, {**after, "devices": beside} if beside else after))
    if len(commands) == 1:
        return commands[0]
    return Compound(tuple(commands), label=f"Delete device {device_id}")


# --- fields: leaflets, notes, study, context ---------------------------------------------------

@dataclass(frozen=True)
class SetCaseField:
    """Set a field at ``path`` (e.g. ``("leaflets", "tear_or_perforation")``, ``("context", "etiology")``);
    ``before``/``after`` may be ``MISSING`` (the key is absent)."""

    path: tuple[str, ...]
    before: Any
    after: Any
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", tuple(self.path))
        object.__setattr__(self, "before", copy.deepcopy(self.before))
        object.__setattr__(self, "after", copy.deepcopy(self.after))

    @classmethod
    def of(cls, doc: CaseDocument, path: Sequence[str], after: Any, label: str = "") -> SetCaseField:
        """The command that changes ``path`` from its current value to ``after``; when parents are
        absent it sets the first absent one, so an undo leaves no empty object behind."""
        path = tuple(path)
        for depth in range(1, len(path)):
            if doc.field(path[:depth]) is MISSING:
                for part in reversed(path[depth:]):
                    after = {part: after}
                return cls(path[:depth], MISSING, after, label)
        return cls(path, doc.field(path), after, label)

    @property
    def text(self) -> str:
        return f"Set {self.label or ' '.join(p.replace('_', ' ') for p in self.path)}"

    def apply(self, doc: CaseDocument) -> None:
        doc.set_field(self.path, self.after)

    def revert(self, doc: CaseDocument) -> None:
        doc.set_field(self.path, self.before)


def SetLeafletSegment(segment: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
                      ) -> SetCaseField:
    """Set the residual-anatomy entry of one scallop (``leaflets.segments.<segment>``); None = absent."""
    return SetCaseField(("leaflets", "segments", segment), MISSING if before is None else dict(before),
                        MISSING if after is None else dict(after), label=f"{segment} residual anatomy")


def SetLeafletField(name: str, before: Any, after: Any) -> SetCaseField:
    """Set one leaflet-level field, e.g. ``tear_or_perforation`` or ``notes``."""
    return SetCaseField(("leaflets", name), before, after, label=f"leaflet {name.replace('_', ' ')}")


def SetNotes(before: str, after: str) -> SetCaseField:
    return SetCaseField(("notes",), before, after, label="case notes")


# --- key images ---------------------------------------------------------------------------------

def _same_frame(entry: Any, sop_instance_uid: str, frame_number: int) -> bool:
    return isinstance(entry, Mapping) and entry.get("sop_instance_uid") == sop_instance_uid and \
        entry.get("frame_number") == frame_number


@dataclass(frozen=True)
class ToggleKeyImage:
    """Flag a frame as a key image of the report, or unflag it (case key ``key_images``, a list of
    ``{"sop_instance_uid", "frame_number"}`` as ``report.build`` reads it). ``before``/``after`` are
    the whole list (``MISSING`` when absent), so an undo restores it exactly."""

    sop_instance_uid: str
    frame_number: int
    before: Any
    after: Any

    def __post_init__(self) -> None:
        object.__setattr__(self, "before", copy.deepcopy(self.before))
        object.__setattr__(self, "after", copy.deepcopy(self.after))

    @classmethod
    def of(cls, doc: CaseDocument, sop_instance_uid: str, frame_number: int) -> ToggleKeyImage:
        """The command that flips the flag of this frame; unflagging the last one removes the key."""
        before = doc.field(("key_images",))
        entries = list(before) if isinstance(before, list) else []
        kept = [e for e in entries if not _same_frame(e, sop_instance_uid, frame_number)]
        if len(kept) == len(entries):
            kept.append({"sop_instance_uid": sop_instance_uid, "frame_number": int(frame_number)})
        return cls(sop_instance_uid, int(frame_number), before, kept if kept else MISSING)

    @property
    def flags(self) -> bool:
        """True when this command flags the frame (False: it removes the flag)."""
        after = self.after if isinstance(self.after, list) else []
        return any(_same_frame(e, self.sop_instance_uid, self.frame_number) for e in after)

    @property
    def text(self) -> str:
        return f"{'Flag' if self.flags else 'Unflag'} key image (frame {self.frame_number})"

    def apply(self, doc: CaseDocument) -> None:
        if self.flags:
            doc.check_image(self.sop_instance_uid)  # one patient, one study per case
        doc.set_field(("key_images",), self.after)

    def revert(self, doc: CaseDocument) -> None:
        doc.set_field(("key_images",), self.before)


def flagged_frames(doc: CaseDocument, sop_instance_uid: str) -> list[int]:
    """The 1-based frames of one image flagged as key images, in order."""
    value = doc.field(("key_images",))
    return sorted({int(e["frame_number"]) for e in (value if isinstance(value, list) else [])
                   if isinstance(e, Mapping) and e.get("sop_instance_uid") == sop_instance_uid
                   and isinstance(e.get("frame_number"), int) and not isinstance(e.get("frame_number"), bool)})


# --- user calibrations -------------------------------------------------------------------------

def new_calibration_id(doc: CaseDocument) -> str:
    """A fresh calibration id: ``cal`` + the next free number."""
    taken = {c.id for c in doc.case.calibrations()}
    n = 1
    while f"cal{n}" in taken:
        n += 1
    return f"cal{n}"


@dataclass(frozen=True)
class AddCalibration:
    """Add a user calibration (case key ``calibrations``); ``before`` is the whole list (``MISSING`` when
    absent), so an undo restores it exactly. Whether the image may be calibrated here (no scanner
    calibration, no Doppler spectrum) is checked by the caller, who knows the image's regions."""

    calibration: UserCalibration
    before: Any

    def __post_init__(self) -> None:
        object.__setattr__(self, "before", copy.deepcopy(self.before))
        try:
            parse_calibrations(self._after())
        except InputError as exc:
            raise DocumentError(str(exc)) from None

    @classmethod
    def of(cls, doc: CaseDocument, calibration: UserCalibration) -> AddCalibration:
        return cls(calibration, doc.field(("calibrations",)))

    def _after(self) -> list[Any]:
        return [*(self.before if isinstance(self.before, list) else []), self.calibration.to_json()]

    @property
    def text(self) -> str:
        return f"Calibrate image ({self.calibration.distance_cm:g} cm line)"

    def apply(self, doc: CaseDocument) -> None:
        doc.check_image(self.calibration.sop_instance_uid)  # one patient, one study per case
        doc.set_field(("calibrations",), self._after())

    def revert(self, doc: CaseDocument) -> None:
        doc.set_field(("calibrations",), self.before)


# --- several at once --------------------------------------------------------------------------

@dataclass(frozen=True)
class Compound:
    """Several commands as one undo step; reverted in reverse order."""

    commands: tuple[Command, ...] = field(default_factory=tuple)
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "commands", tuple(self.commands))

    @property
    def text(self) -> str:
        if self.label:
            return self.label
        return self.commands[0].text if len(self.commands) == 1 else f"{len(self.commands)} edits"

    def apply(self, doc: CaseDocument) -> None:
        done: list[Command] = []
        try:
            for c in self.commands:
                c.apply(doc)
                done.append(c)
        except Exception:
            for c in reversed(done):
                c.revert(doc)
            raise

    def revert(self, doc: CaseDocument) -> None:
        for c in reversed(self.commands):
            c.revert(doc)
