"""The case document: the one mutable store around a ``Case`` (STYLE.md "Undo/redo"; no Qt).

Every edit goes through a command (``planning.commands``) that calls the primitive methods here;
each primitive changes the case, drops the cached results and tells every subscriber what changed
with a ``Change``. ``results()`` recomputes every number from marks and calibration on demand
(``planning.case.measure_case``), so the document never holds a number the marks do not give.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imaging.errors import InputError
from measurements.marks import Mark
from measurements.results import Result
from planning.case import Case, autosave, measure_case, resolve_image, save_case
from planning.model import Findings, SignOff
from planning.signoff import SignOffError, case_bytes, make_amends, make_signoff, read_only_message
from planning.study import StudyIdentity, belongs, bound_identity, check_same_study, identity_of
from private_files import private_file

if TYPE_CHECKING:
    from planning.case import OpenStudy


#: The list-valued sections of a case whose entries are JSON objects with an "id".
ITEM_KEYS = ("calculations", "devices", "jets")
#: Top-level fields that hold typed findings (``planning.model``, ``planning.enface``): edits of them are checked.
FINDING_FIELDS = ("study", "leaflets", "context", "residual_mr", "priors", "report", "volumes")
#: Fields only sign-off and amendment set (``sign_off`` / ``amend``), never an edit command.
SIGNOFF_FIELDS = ("signoff", "amends")
#: Id prefixes of new entries, per section.
ID_PREFIX = {"marks": "m", "calculations": "c", "devices": "d", "jets": "j"}


class DocumentError(InputError):
    """An edit does not fit the document (unknown id, duplicate id, stale ``before``); names the item."""


class _Missing:
    """The value of a case field that is absent (``SetCaseField`` can create or delete a key)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __deepcopy__(self, memo: dict[int, Any]) -> _Missing:
        return self


MISSING: Any = _Missing()


class ChangeKind(StrEnum):
    MARK_ADDED = "mark_added"
    MARK_REPLACED = "mark_replaced"
    MARK_REMOVED = "mark_removed"
    ITEM_ADDED = "item_added"  # key: calculations / devices / jets
    ITEM_REPLACED = "item_replaced"
    ITEM_REMOVED = "item_removed"
    FIELD = "field"  # path: ("leaflets", "segments", "P2"), ("notes",) ...
    SAVED = "saved"


@dataclass(frozen=True)
class Change:
    """What changed: ``before``/``after`` are the old and new mark, item or field value (None/MISSING
    when absent); ``key`` is the section of an item; ``path`` the field path; ``id`` the mark/item id."""

    kind: ChangeKind
    id: str | None = None
    key: str | None = None
    path: tuple[str, ...] = ()
    before: Any = None
    after: Any = None

    @property
    def section(self) -> str:
        """The top-level case key that changed ("marks", "jets", "leaflets", "notes"...)."""
        if self.kind in (ChangeKind.MARK_ADDED, ChangeKind.MARK_REPLACED, ChangeKind.MARK_REMOVED):
            return "marks"
        if self.key:
            return self.key
        return self.path[0] if self.path else ""


Listener = Callable[[Change], None]
Measure = Callable[[Case], tuple[list[Result], list[tuple[str, str]]]]


def default_measure(index: OpenStudy | None = None) -> Measure:
    """``measure_case`` with image headers read once per file (marks move often, headers never)."""
    from imaging.loop import read_info

    infos: dict[Path, Any] = {}

    def cached_read_info(path: Path) -> Any:
        key = Path(path).resolve()
        if key not in infos:
            infos[key] = read_info(key)
        return infos[key]

    return lambda case: measure_case(case, index, cached_read_info)


class CaseDocument:
    """A case plus change notification and recomputed results. Edit it only through commands."""

    def __init__(self, case: Case | None = None, measure: Measure | None = None) -> None:
        self._case = case if case is not None else Case()
        self._measure = measure if measure is not None else default_measure()
        self._listeners: list[Listener] = []
        self._results: tuple[list[Result], list[tuple[str, str]]] | None = None
        #: SOP Instance UID → (file, patient and study of its header); None when it cannot be read
        self._identities: dict[str, tuple[Path, StudyIdentity] | None] = {}

    # --- reading ------------------------------------------------------------------------------

    @property
    def case(self) -> Case:
        """The case itself (read it; change it only through commands)."""
        return self._case

    @property
    def path(self) -> Path | None:
        return self._case.path

    @property
    def marks(self) -> tuple[Mark, ...]:
        return tuple(self._case.marks)

    def mark(self, mark_id: str) -> Mark | None:
        return self._case.mark(mark_id)

    def marks_on(self, sop_instance_uid: str, frame_number: int) -> list[Mark]:
        """The marks drawn on one frame of one image (what the overlay shows)."""
        return [m for m in self._case.marks if m.sop_instance_uid == sop_instance_uid
                and m.frame_number == frame_number]

    def findings(self) -> Findings:
        """The typed findings of the case (``planning.model``)."""
        return self._case.findings()

    def items(self, key: str) -> list[dict[str, Any]]:
        """A copy of the entries of "calculations", "devices" or "jets"."""
        return copy.deepcopy(self._section(key))

    def item(self, key: str, item_id: str) -> dict[str, Any] | None:
        hit = next((i for i in self._section(key) if i.get("id") == item_id), None)
        return copy.deepcopy(hit) if hit is not None else None

    def field(self, path: Sequence[str]) -> Any:
        """The value at a field path (``("leaflets", "segments", "P2")``), or MISSING."""
        node: Any = self._root()
        for part in path:
            if not isinstance(node, dict) or part not in node:
                return MISSING
            node = node[part]
        return copy.deepcopy(node)

    def new_id(self, key: str) -> str:
        """A fresh id for a new mark or entry: the prefix ("m", "c", "d", "j") + the next free number."""
        prefix = ID_PREFIX[key]
        taken = ({m.id for m in self._case.marks} | {str(r.get("id")) for r in self._case.rejected_marks
                                                      if isinstance(r, dict)}
                 if key == "marks" else {str(i.get("id")) for i in self._section(key)})
        numbers = [int(m.group(1)) for t in taken if (m := re.fullmatch(rf"{prefix}(\d+)", t))]
        n = max(numbers, default=0) + 1
        while f"{prefix}{n}" in taken:
            n += 1
        return f"{prefix}{n}"

    def results(self) -> list[Result]:
        """Every number of the case, recomputed from marks + calibration (cached until a change)."""
        return list(self._measured()[0])

    def errors(self) -> list[tuple[str, str]]:
        """(mark or calculation id, message) for everything that could not be measured."""
        return list(self._measured()[1])

    def results_of(self, mark_id: str) -> list[Result]:
        """The results computed from exactly this one mark."""
        return [r for r in self.results() if r.source == (mark_id,)]

    def error_of(self, item_id: str) -> str | None:
        return next((msg for i, msg in self.errors() if i == item_id), None)

    def preview_calculation(self, calculation: Mapping[str, Any]) -> tuple[list[Result], str | None]:
        """The results a calculation would give (or why it cannot), without changing the case."""
        cid = str(calculation.get("id") or "preview")
        calc = {**calculation, "id": cid}
        others = [c for c in self._case.calculations if c.get("id") != cid]
        results, errors = self._measure(dataclasses.replace(self._case, calculations=[*others, calc]))
        return ([r for r in results if r.id.startswith(f"{cid}.")],
                next((msg for i, msg in errors if i == cid), None))

    # --- notification -------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(change)`` after every change; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, change: Change) -> None:
        if change.kind is not ChangeKind.SAVED:
            self._results = None
        for listener in list(self._listeners):
            listener(change)

    # --- primitive edits (called by commands) -------------------------------------------------

    def add_mark(self, mark: Mark, index: int | None = None) -> None:
        self._writable()
        if self._case.mark(mark.id) is not None:
            raise DocumentError(f"mark {mark.id!r} already exists")
        self.check_image(mark.sop_instance_uid)
        marks = self._case.marks
        marks.insert(len(marks) if index is None else min(index, len(marks)), mark)
        self._emit(Change(ChangeKind.MARK_ADDED, id=mark.id, after=mark))

    def replace_mark(self, before: Mark, after: Mark) -> None:
        self._writable()
        i = self._mark_index(before)
        if after.id != before.id and self._case.mark(after.id) is not None:
            raise DocumentError(f"mark {after.id!r} already exists")
        self._case.marks[i] = after
        self._emit(Change(ChangeKind.MARK_REPLACED, id=after.id, before=before, after=after))

    def remove_mark(self, mark: Mark) -> int:
        """Remove a mark; returns where it was (so an undo puts it back in place)."""
        self._writable()
        i = self._mark_index(mark)
        del self._case.marks[i]
        self._emit(Change(ChangeKind.MARK_REMOVED, id=mark.id, before=mark))
        return i

    def add_item(self, key: str, item: Mapping[str, Any], index: int | None = None) -> None:
        self._writable()
        entries = self._section(key)
        item_id = _item_id(key, item)
        if any(e.get("id") == item_id for e in entries):
            raise DocumentError(f"{key}: {item_id!r} already exists")
        entries.insert(len(entries) if index is None else min(index, len(entries)), copy.deepcopy(dict(item)))
        self._emit(Change(ChangeKind.ITEM_ADDED, id=item_id, key=key, after=copy.deepcopy(dict(item))))

    def replace_item(self, key: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        self._writable()
        entries = self._section(key)
        i = self._item_index(key, before)
        entries[i] = copy.deepcopy(dict(after))
        self._emit(Change(ChangeKind.ITEM_REPLACED, id=_item_id(key, after), key=key,
                          before=copy.deepcopy(dict(before)), after=copy.deepcopy(dict(after))))

    def remove_item(self, key: str, item: Mapping[str, Any]) -> int:
        self._writable()
        entries = self._section(key)
        i = self._item_index(key, item)
        del entries[i]
        self._emit(Change(ChangeKind.ITEM_REMOVED, id=_item_id(key, item), key=key, before=copy.deepcopy(dict(item))))
        return i

    def set_field(self, path: Sequence[str], value: Any) -> None:
        """Set (or with MISSING delete) the value at a field path, creating parent objects as needed.

        Paths start at "study", "leaflets", "notes" or an unknown top-level key kept in ``extra``
        (e.g. "context"); the list sections and marks have their own edits.
        """
        self._writable()
        path = tuple(path)
        if not path or path[0] in ("marks", "format", "version", "images", *ITEM_KEYS, *SIGNOFF_FIELDS) or \
                (path[0] == "notes" and len(path) > 1):
            raise DocumentError(f"field path {path!r} cannot be set directly")
        before = self.field(path)
        head, rest = path[0], path[1:]
        kept = copy.deepcopy(self.field((head,))) if head in FINDING_FIELDS else None
        if head == "notes":
            self._case.notes = "" if value is MISSING else str(value)
        elif not rest and head in ("study", "leaflets"):
            setattr(self._case, head, {} if value is MISSING else copy.deepcopy(dict(value)))
        elif not rest:
            if value is MISSING:
                self._case.extra.pop(head, None)
            else:
                self._case.extra[head] = copy.deepcopy(value)
        else:
            container = getattr(self._case, head) if head in ("study", "leaflets") else self._case.extra
            if head not in ("study", "leaflets"):
                rest = path
            _set_in(container, rest, value)
        if head in FINDING_FIELDS:
            self._refuse_outside_vocabulary(head, kept)
        self._emit(Change(ChangeKind.FIELD, path=path, before=before, after=copy.deepcopy(value)))

    def _refuse_outside_vocabulary(self, head: str, kept: Any) -> None:
        """Undo a field edit that put a finding outside its vocabulary (the case could not be opened
        again) and refuse it, naming the field."""
        try:
            self._case.findings()
        except ValueError as exc:
            if head in ("study", "leaflets"):
                setattr(self._case, head, kept)
            elif kept is MISSING:
                self._case.extra.pop(head, None)
            else:
                self._case.extra[head] = kept
            raise DocumentError(str(exc)) from None

    def ensure_image(self, sop_instance_uid: str, path: str | Path) -> None:
        """List the image file a new mark is drawn on (bookkeeping, not an edit: no event, no undo).

        An image of another patient or study is not listed; the mark or key-image command that
        follows refuses it (``check_image``) with a message naming both.
        """
        self._identity(sop_instance_uid, Path(path))
        if self.signoff is not None:
            return  # read-only: the mark or key-image command that follows is refused with the reason
        if self._case.image_entry(sop_instance_uid) is None and self._belongs(sop_instance_uid):
            self._case.images.append({"sop_instance_uid": sop_instance_uid, "path": str(Path(path).resolve())})

    def check_image(self, sop_instance_uid: str) -> None:
        """Refuse (``StudyMismatch`` naming both) an image of another patient or study than the case;
        the first image checked binds an unbound case. An image that cannot be found or read is not
        checked here: measuring its marks names the file."""
        known = self._identity(sop_instance_uid)
        if known is not None:
            check_same_study(self._case, known[1], known[0])

    # --- sign-off (docs/case-file.md "signoff", "amends") -----------------------------------

    @property
    def signoff(self) -> SignOff | None:
        """The sign-off of the case; a signed case refuses every edit."""
        return self._case.findings().signoff

    def _writable(self) -> None:
        signoff = self.signoff
        if signoff is not None:
            raise DocumentError(read_only_message(signoff))

    def sign_off(self, by: str, at: str | None = None) -> Path:
        """Sign the saved case as ``by`` and save it; the signature names the checksum of the saved
        version (SignOffError when unsaved, modified since saved, already signed, or no name)."""
        path = self._case.path
        if path is None or not Path(path).is_file():
            raise SignOffError("save the case before signing it off (the signed version is the saved one)", path)
        if Path(path).read_bytes() != case_bytes(self._case):
            raise SignOffError("the case has changes that are not saved; save it before signing off", path)
        entry = make_signoff(self._case, by, at)
        self._case.extra["signoff"] = entry
        self._emit(Change(ChangeKind.FIELD, path=("signoff",), before=MISSING, after=copy.deepcopy(entry)))
        return self.save()

    def amend(self) -> Path:
        """Start a new version of the signed case: the signed file is kept beside it as
        ``<name>.signed-<checksum>``, and the case, unsigned, names it in ``amends`` and is saved."""
        amends = make_amends(self._case)
        path = self._case.path
        if path is None:
            raise SignOffError("an amended case needs a file name; save it first", None)
        signoff = self._case.extra.pop("signoff")
        if Path(path).is_file():
            archive = Path(path).with_name(f"{Path(path).name}.signed-{amends['case_checksum'][:12]}")
            private_file(archive).write_bytes(Path(path).read_bytes())  # the signed version: patient data
        self._case.extra["amends"] = amends
        self._emit(Change(ChangeKind.FIELD, path=("signoff",), before=signoff, after=MISSING))
        return self.save()

    # --- files --------------------------------------------------------------------------------

    def save(self, path: str | Path | None = None) -> Path:
        """Save atomically (``save_case``); the document then lives at that path."""
        save_case(self._case, path)
        if path is not None:
            self._case.path = Path(path).resolve()
        assert self._case.path is not None
        self._emit(Change(ChangeKind.SAVED, after=self._case.path))
        return self._case.path

    def autosave(self) -> Path | None:
        """Write the autosave side file (nothing for a case that has never been saved)."""
        if self._case.path is None:
            return None
        return autosave(self._case)

    # --- helpers ------------------------------------------------------------------------------

    def _root(self) -> dict[str, Any]:
        """The case's top-level objects by name (for path lookups)."""
        return {**self._case.extra, "study": self._case.study, "leaflets": self._case.leaflets,
                "notes": self._case.notes}

    def _section(self, key: str) -> list[dict[str, Any]]:
        if key not in ITEM_KEYS:
            raise DocumentError(f"unknown case section {key!r} (expected one of {', '.join(ITEM_KEYS)})")
        entries: list[dict[str, Any]] = getattr(self._case, key)
        return entries

    def _mark_index(self, mark: Mark) -> int:
        for i, m in enumerate(self._case.marks):
            if m.id == mark.id:
                if m != mark:
                    raise DocumentError(f"mark {mark.id!r} has changed since this edit was made")
                return i
        raise DocumentError(f"mark {mark.id!r} is not in the case")

    def _item_index(self, key: str, item: Mapping[str, Any]) -> int:
        item_id = _item_id(key, item)
        for i, e in enumerate(self._section(key)):
            if e.get("id") == item_id:
                if e != dict(item):
                    raise DocumentError(f"{key}: {item_id!r} has changed since this edit was made")
                return i
        raise DocumentError(f"{key}: {item_id!r} is not in the case")

    def _identity(self, sop_instance_uid: str, path: Path | None = None) -> tuple[Path, StudyIdentity] | None:
        """The file and patient/study of an image, read once (from ``path``, else the case's entry)."""
        if sop_instance_uid not in self._identities or (path is not None and self._identities[sop_instance_uid] is None):
            from imaging.reader import read_header

            where = path if path is not None else resolve_image(self._case, sop_instance_uid)
            try:
                self._identities[sop_instance_uid] = None if where is None else (where, identity_of(read_header(where)))
            except InputError:
                self._identities[sop_instance_uid] = None
        return self._identities[sop_instance_uid]

    def _belongs(self, sop_instance_uid: str) -> bool:
        """False for a readable image of another patient or study than the bound case (never binds)."""
        known, bound = self._identity(sop_instance_uid), bound_identity(self._case)
        return known is None or bound is None or belongs(bound, known[1])

    def _measured(self) -> tuple[list[Result], list[tuple[str, str]]]:
        if self._results is None:
            self._results = self._measure(self._case)
        return self._results


def _set_in(node: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set (or with MISSING delete) ``node[path[0]]...[path[-1]]``, creating parent objects."""
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            if value is MISSING:
                return
            child = node[part] = {}
        node = child
    if value is MISSING:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = copy.deepcopy(value)


def _item_id(key: str, item: Mapping[str, Any]) -> str:
    item_id = item.get("id") if isinstance(item, Mapping) else None
    if not isinstance(item_id, str) or not item_id:
        raise DocumentError(f"{key}: every entry needs a non-empty string 'id'")
    return item_id


def referencing(doc: CaseDocument, mark_id: str) -> Iterable[tuple[str, str]]:
    """(section, id) of every calculation, device or jet that names ``mark_id`` in one of its fields."""
    for key in ITEM_KEYS:
        for entry in getattr(doc.case, key):
            if any(v == mark_id or (isinstance(v, list) and mark_id in v) for v in entry.values()):
                yield key, str(entry.get("id"))
