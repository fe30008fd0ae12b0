"""A prior study of the same patient, read for showing beside the current case (off the GUI thread).

``load_prior_study`` is the blocking part a ``gui.tasks`` task runs: read the prior's case file
(another patient's is refused, ``planning.compare.require_same_patient``) and measure it from its marks
(``measured_prior``: once per version of the file, shared with the measurements panel), compare
it with the current numbers and index its image files. ``paired_loop`` finds the prior's loop of the
same view as a current loop: the same image, else the same key-image label, else the same series
description when only one prior loop has it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from imaging.catalog import catalog_paths
from imaging.loop import LoopInfo
from planning.case import Case, load_case, measure_case, resolve_image
from planning.compare import Row, Side, compare, prior_path, require_same_patient
from planning.model import Prior

#: Measured priors kept (a case names two or three).
MEASURED_PRIORS = 8


@dataclass(frozen=True, slots=True)
class MeasuredPrior:
    """A prior's case file as read and its numbers from its marks (shared: read it, never change it)."""

    case: Case
    side: Side
    errors: tuple[tuple[str, str], ...] = ()  # (mark or calculation id, why it has no number)


_measured: OrderedDict[tuple[str, int, int], MeasuredPrior] = OrderedDict()
_measuring: dict[tuple[str, int, int], threading.Lock] = {}
_guard = threading.Lock()


def measured_prior(case: Case, entry: Prior) -> MeasuredPrior:
    """The prior ``entry`` of ``case`` read and measured once per version of its file (path, mtime, size):
    the measurements panel, the comparison and the presentation share it; a second caller while it is
    being measured waits for that measurement. Another patient's prior is refused each time (PriorMismatch),
    an unreadable file raises CaseError naming it."""
    path = prior_path(case, entry)
    try:
        stat = path.resolve().stat()
    except OSError:
        load_case(path)  # raises the CaseError naming the file
        raise
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    with _guard:
        lock = _measuring.setdefault(key, threading.Lock())
    with lock:
        hit = _measured.get(key)
        if hit is None:
            prior = load_case(path)
            require_same_patient(case, prior)
            results, errors = measure_case(prior)
            hit = MeasuredPrior(prior, Side(prior.findings(), results, prior.marks), tuple(errors))
            with _guard:
                _measured[key] = hit
                while len(_measured) > MEASURED_PRIORS:
                    _measuring.pop(_measured.popitem(last=False)[0], None)
    require_same_patient(case, hit.case)
    return hit


@dataclass(frozen=True, slots=True)
class PriorStudy:
    """The prior's case, its numbers, the comparison rows (current against it) and its loops."""

    entry: Prior
    case: Case
    side: Side
    rows: tuple[Row, ...]
    loops: tuple[LoopInfo, ...]
    warnings: tuple[str, ...]
    errors: tuple[tuple[str, str], ...] = ()  # the prior's marks without a number, and why

    def error_of(self, item_id: str) -> str | None:
        return next((message for i, message in self.errors if i == item_id), None)

    @property
    def title(self) -> str:
        """``Prior: index-procedure-final, 2026-05-04``."""
        return "Prior: " + ", ".join(p for p in (str(self.entry.role), self.entry.date) if p)


def load_prior_study(case: Case, entry: Prior, current: Side, cancel: threading.Event | None = None) -> PriorStudy:
    """Read, measure, compare and index the prior ``entry`` of ``case`` (CaseError / PriorMismatch naming it)."""
    measured = measured_prior(case, entry)
    prior, side = measured.case, measured.side
    paths, missing = [], []
    for image in prior.images:
        uid = str(image.get("sop_instance_uid", ""))
        path = resolve_image(prior, uid)
        if path is None:
            missing.append(f"{prior.path}: image {uid} ({image.get('path', 'no path')}) not found")
        else:
            paths.append(path)
    catalog = catalog_paths(paths, cancel=cancel)
    warnings = [*missing, *(f"{path}: {message}" for path, message in catalog.warnings)]
    return PriorStudy(entry, prior, side, tuple(compare(side, current)), tuple(catalog.loops()), tuple(warnings),
                      measured.errors)


def key_labels(case: Case) -> dict[str, str]:
    """SOP Instance UID -> the label of its first flagged key image (lower case, stripped)."""
    out: dict[str, str] = {}
    value = case.extra.get("key_images")
    for entry in value if isinstance(value, list) else ():
        if isinstance(entry, dict) and str(entry.get("label") or "").strip():
            out.setdefault(str(entry.get("sop_instance_uid", "")), str(entry["label"]).strip().casefold())
    return out


def paired_loop(current: Case, info: Any, prior: Case, loops: Sequence[LoopInfo]) -> LoopInfo | None:
    """The prior's loop of the same view as ``info`` (a current LoopInfo), or None."""
    uid = str(info.sop_instance_uid)
    same = next((loop for loop in loops if loop.sop_instance_uid == uid), None)
    if same is not None:
        return same
    label, theirs = key_labels(current).get(uid), key_labels(prior)
    if label:
        hit = next((loop for loop in loops if theirs.get(loop.sop_instance_uid) == label), None)
        if hit is not None:
            return hit
    by_marks = _same_measurements(current, uid, prior, loops)
    if by_marks is not None:
        return by_marks
    series = str(getattr(info, "series_description", "") or "").strip().casefold()
    matches = [loop for loop in loops if series and loop.series_description.strip().casefold() == series]
    return matches[0] if len(matches) == 1 else None


def _same_measurements(current: Case, uid: str, prior: Case, loops: Sequence[LoopInfo]) -> LoopInfo | None:
    """The prior loop whose marks measure what the current loop's marks measure (the same labels: the
    same vena contracta, the same leaflet length), when exactly one prior loop shares the most labels; a
    loop measured the same way at both visits is the same view, whatever the files or series are called."""
    def labels(case: Case, sop: str) -> set[str]:
        return {m.label.strip().casefold() for m in case.marks if m.sop_instance_uid == sop and m.label.strip()}

    ours = labels(current, uid)
    if not ours:
        return None
    shared = [(len(ours & labels(prior, loop.sop_instance_uid)), loop) for loop in loops]
    best = max((n for n, _ in shared), default=0)
    winners = [loop for n, loop in shared if n == best]
    return winners[0] if best and len(winners) == 1 else None
