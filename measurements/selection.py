"""Which results an average is made of, so a table can list each beat under its average.

A Doppler trace over several beats gives per-beat results (``beat`` = k) and their average (``beats`` = n);
several traces of one purpose give an average over all their beats (``avg.<purpose>…``). The average is
the value the report quotes (``planning.findings.selected`` picks it); :func:`members` are what it averages
and :func:`top_level` the results no average covers.

Works on anything shaped like a result (``measurements.results.Result``, ``report.model.Measurement``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar


class ResultLike(Protocol):
    """What selection reads of a result."""

    @property
    def id(self) -> str: ...
    @property
    def quantity(self) -> str: ...
    @property
    def source(self) -> tuple[str, ...]: ...
    @property
    def beat(self) -> int | None: ...
    @property
    def beats(self) -> int | None: ...


R = TypeVar("R", bound=ResultLike)


def _weight(r: ResultLike) -> int:
    """Beats behind a value: n for an average, 1 for one beat or a single-beat trace."""
    return r.beats or 1


def is_member(part: ResultLike, average: ResultLike) -> bool:
    """``part`` is averaged into ``average``: same quantity, marks among the average's, fewer beats."""
    return (average.beats is not None and part.id != average.id and part.quantity == average.quantity
            and set(part.source) <= set(average.source) and _weight(part) < average.beats)


def members(average: R, results: Sequence[R]) -> list[R]:
    """The results directly averaged into ``average`` (a trace average under a cross-trace one keeps its own beats)."""
    inside = [r for r in results if is_member(r, average)]
    return [r for r in inside if not any(is_member(r, other) for other in inside)]


def top_level(results: Sequence[R]) -> list[R]:
    """The results not averaged into any other result."""
    averages = [r for r in results if r.beats is not None]
    return [r for r in results if not any(is_member(r, a) for a in averages)]
