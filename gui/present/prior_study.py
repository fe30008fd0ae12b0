"""A prior study of the same patient, read for showing beside the current case (off the GUI thread).

``load_prior_study`` is the blocking part a ``gui.tasks`` task runs: read the prior's case file
(another patient's is refused, ``planning.compare.load_prior``), measure it from its marks, compare
it with the current numbers and index its image files. ``paired_loop`` finds the prior's loop of the
same view as a current loop: the same image, else the same key-image label, else the same series
description when only one prior loop has it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from imaging.catalog import catalog_paths
from imaging.loop import LoopInfo
from planning.case import Case, measure_case, resolve_image
from planning.compare import Row, Side, compare, load_prior, prior_path
from planning.model import Prior


@dataclass(frozen=True, slots=True)
class PriorStudy:
    """The prior's case, its numbers, the comparison rows (current against it) and its loops."""

    entry: Prior
    case: Case
    side: Side
    rows: tuple[Row, ...]
    loops: tuple[LoopInfo, ...]
    warnings: tuple[str, ...]

    @property
    def title(self) -> str:
        """``Prior: index-procedure-final, 2026-05-04``."""
        return "Prior: " + ", ".join(p for p in (str(self.entry.role), self.entry.date) if p)


def load_prior_study(case: Case, entry: Prior, current: Side, cancel: threading.Event | None = None) -> PriorStudy:
    """Read, measure, compare and index the prior ``entry`` of ``case`` (CaseError / PriorMismatch naming it)."""
    prior = load_prior(case, prior_path(case, entry))
    results, _errors = measure_case(prior)
    side = Side(prior.findings(), results, prior.marks)
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
    return PriorStudy(entry, prior, side, tuple(compare(side, current)), tuple(catalog.loops()), tuple(warnings))


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
    series = str(getattr(info, "series_description", "") or "").strip().casefold()
    matches = [loop for loop in loops if series and loop.series_description.strip().casefold() == series]
    return matches[0] if len(matches) == 1 else None
