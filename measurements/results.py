"""Measurement results: a value with its unit, the marks it came from, its grades and caveats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from measurements.concepts import QUANTITIES

#: Quantity name -> unit, used everywhere (JSON, SR mapping, tables); docs/quantities.md.
#: Derived from the registry (measurements.concepts), where each quantity is defined once.
UNITS: dict[str, str] = {q.name: q.unit for q in QUANTITIES.values()}


@dataclass(frozen=True)
class Grade:
    """A class from one guideline scheme, e.g. ("ASE-2017-native/MVARC 5-class", "3+ moderate-to-severe", ...)."""

    scheme: str
    label: str
    source: str

    def as_json(self) -> dict[str, str]:
        return {"scheme": self.scheme, "label": self.label, "source": self.source}


@dataclass(frozen=True)
class ImportedFrom:
    """Where an imported result comes from (``planning.imported``): the SR, its observer and device."""

    sop_instance_uid: str
    observer: str
    device: str
    #: an MR jet's trace value (regurgitant flow): never the mitral inflow's, never graded as stenosis
    regurgitant: bool = False

    def as_json(self) -> dict[str, str]:
        return {"sop_instance_uid": self.sop_instance_uid, "observer": self.observer, "device": self.device}


@dataclass(frozen=True)
class Result:
    """One derived number. ``source`` holds the mark ids it was computed from."""

    id: str
    label: str
    quantity: str
    value: float
    unit: str
    source: tuple[str, ...]
    grades: tuple[Grade, ...] = ()
    warnings: tuple[str, ...] = ()
    method: str = ""
    #: 1-based beat of a trace spanning several beats (None: the whole trace or an average)
    beat: int | None = None
    #: number of beats averaged, with their sample SD in the result's unit (None: not an average)
    beats: int | None = None
    sd: float | None = None
    #: set on a value read from another system's SR (None: MitraPlan measured it), with its status
    imported: ImportedFrom | None = None
    imported_status: str = ""

    def as_json(self) -> dict[str, Any]:
        """The ``measure`` contract: id, label, quantity, value, unit, source, beat?, beats?, sd?, grade?,
        grades?, warnings?, imported? and status? (imported results)."""
        d: dict[str, Any] = {"id": self.id, "label": self.label, "quantity": self.quantity,
                             "value": self.value, "unit": self.unit, "source": list(self.source)}
        if self.method:
            d["method"] = self.method
        if self.beat is not None:
            d["beat"] = self.beat
        if self.beats is not None:
            d["beats"] = self.beats
            d["sd"] = self.sd
        if self.grades:
            d["grade"] = self.grades[0].label
            d["grades"] = [g.as_json() for g in self.grades]
        if self.warnings:
            d["warnings"] = list(self.warnings)
        if self.imported is not None:
            d["imported"] = self.imported.as_json()
            d["status"] = self.imported_status
        return d
