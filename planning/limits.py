"""Bounds of a case file (docs/case-file.md "Limits"), enforced while it is read.

A case file is input from anywhere (a colleague, a script, a damaged disk): without bounds a
100 000-deep nesting overflows the parser's stack, a 5,000-digit integer stops the int conversion,
and 100 000 marks or megabytes of notes make ``report`` run for minutes. Every limit is far above
what a real TEE case holds (a few dozen marks of a few hundred points, at most a handful of devices),
and each refusal names the item and the limit, so a user can tell a damaged file from a big one.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

#: The whole file, in bytes (a real case is a few hundred kB at most).
MAX_FILE_BYTES = 16 * 1024 * 1024
#: Nesting of JSON objects and lists (a real case nests 5 deep).
MAX_DEPTH = 64
#: Digits of one JSON integer (frame numbers and ids fit in 10; 18 stays within a 64-bit integer).
MAX_INT_DIGITS = 18
#: Marks (a thorough case holds a few dozen; each one is a row of the report and a group of the SR).
MAX_MARKS = 200
#: Points of one mark (a traced Doppler envelope over 10 beats is a few thousand points at full resolution).
MAX_POINTS_PER_MARK = 20_000
#: Points of all marks together.
MAX_TOTAL_POINTS = 100_000
MAX_IMAGES = 500
MAX_CALCULATIONS = 200
MAX_DEVICES = 10
MAX_JETS = 20
#: Flagged frames (each is a PNG and a DICOM image of the report).
MAX_KEY_IMAGES = 30
#: User calibrations (one per image region at most).
MAX_CALIBRATIONS = MAX_IMAGES
#: Values imported from SRs, and those no quantity took (a cart's SR holds a few hundred).
MAX_IMPORTED = 2_000
#: Characters of any one text (notes, labels, ids); the case notes are the longest.
MAX_TEXT_CHARS = 20_000
#: Entries of ``volumes`` (one aligned annulus per 3D volume; a TEE study holds a handful of volumes).
MAX_VOLUMES = 50
#: Largest coordinate, in mm, of a 3D point (a device's or jet's ``position_mm``, an annulus point): a
#: volume's frame of reference spans a patient, well under 2 m; a point at 10³⁰⁰ mm projects to no map spot.
MAX_POSITION_MM = 10_000.0
#: Where a case file holds 3D points: list key, then the point keys of each entry (``annulus`` nests them).
_POINT_FIELDS: Mapping[str, tuple[str, ...]] = {
    "devices": ("position_mm",), "jets": ("position_mm",),
    "volumes": ("annulus.anterior", "annulus.anterolateral", "annulus.posteromedial"),
}

#: Top-level lists and their most entries.
MAX_ENTRIES: Mapping[str, int] = {
    "marks": MAX_MARKS, "images": MAX_IMAGES, "calculations": MAX_CALCULATIONS, "devices": MAX_DEVICES,
    "jets": MAX_JETS, "key_images": MAX_KEY_IMAGES, "calibrations": MAX_CALIBRATIONS,
    "imported": MAX_IMPORTED, "imported_unknown": MAX_IMPORTED, "volumes": MAX_VOLUMES,
}

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
#: bytes.translate tables: brackets to +1 / -1 (int8) with every other byte deleted; digits to '9',
#: '.' kept, the rest to ' ', so an over-long integer part (or exponent) is the bytes ' ' + '9' * N
_BRACKET_STEPS = bytes(1 if c in b"[{" else 255 if c in b"]}" else 0 for c in range(256))
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")
_DIGIT_RUNS = bytes(ord("9") if chr(c).isdigit() and c < 128 else c if c == ord(".") else ord(" ") for c in range(256))
_LONG_INTEGER = b" " + b"9" * (MAX_INT_DIGITS + 1)


class LimitError(ValueError):
    """The case text or document exceeds one of the limits; the message names the item and the limit."""


def _n(value: int) -> str:
    """A count as the messages write it: ``100 000``."""
    return f"{value:,}".replace(",", " ")


def check_size(size: int) -> None:
    """Refuse a file larger than MAX_FILE_BYTES before reading it."""
    if size > MAX_FILE_BYTES:
        raise LimitError(f"the file is {_n(size)} bytes, more than the limit of {_n(MAX_FILE_BYTES)} bytes"
                         " for a case file")


def _depth(structure: bytes) -> int:
    """The deepest nesting of the brackets of ``structure`` (the text without its strings)."""
    steps = np.frombuffer(structure.translate(_BRACKET_STEPS, _NOT_BRACKETS), dtype=np.int8)
    return int(steps.astype(np.int32).cumsum().max()) if steps.size else 0


def _long_integer(structure: bytes) -> str | None:
    """The first integer part (or exponent) of ``structure`` longer than MAX_INT_DIGITS digits, if any."""
    runs = structure.translate(_DIGIT_RUNS)
    at = runs.find(_LONG_INTEGER)
    if at < 0:
        return None
    end = at + 1
    while end < len(runs) and runs[end] == ord("9"):
        end += 1
    return structure[at + 1:end].decode("ascii")


def check_text(text: str) -> bool:
    """Refuse JSON ``text`` nested deeper than MAX_DEPTH or with a number longer than MAX_INT_DIGITS,
    before it is parsed (the recursive parser would overflow; a 5,000-digit int stops the conversion).

    Returns whether some string token is longer than MAX_TEXT_CHARS bytes, i.e. whether the decoded
    document needs its texts checked. Vectorised (regex + numpy): no recursion, well under a second
    for a file at MAX_FILE_BYTES.
    """
    raw = text.encode("utf-8", "surrogatepass")
    strings = _STRING.findall(raw)
    structure = _STRING.sub(b"", raw) if strings else raw
    depth = _depth(structure)
    if depth > MAX_DEPTH:
        raise LimitError(f"objects and lists nested {_n(depth)} deep, more than the limit of {MAX_DEPTH}")
    number = _long_integer(structure)
    if number is not None:
        raise LimitError(f"an integer of {_n(len(number))} digits ({number[:12]}…), more than the"
                         f" limit of {MAX_INT_DIGITS} digits")
    return any(len(token) > MAX_TEXT_CHARS + 2 for token in strings)


def loads_bounded(text: str) -> tuple[Any, bool]:
    """``json.loads`` of a case text within MAX_DEPTH and MAX_INT_DIGITS (LimitError otherwise;
    json.JSONDecodeError for text that is not JSON), and whether its texts need checking."""
    long_texts = check_text(text)
    try:
        return json.loads(text), long_texts
    except RecursionError:  # defensive: the pre-scan makes this unreachable
        raise LimitError(f"nesting deeper than the limit of {MAX_DEPTH}") from None


def _long_text(value: Any) -> tuple[str, int] | None:
    """The path (e.g. ``jets[0].notes``) and length of the first string (or key) of a decoded document
    longer than MAX_TEXT_CHARS; paths are built only for what is found."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            if len(item) > MAX_TEXT_CHARS:
                return _path(at), len(item)
        elif isinstance(item, dict):
            for key, child in item.items():
                if len(key) > MAX_TEXT_CHARS:
                    return f"{_path(at) or 'top level'} key", len(key)
                if isinstance(child, str | dict | list):
                    stack.append((child, (*at, key)))
        elif isinstance(item, list):
            stack.extend((child, (*at, i)) for i, child in enumerate(item) if isinstance(child, str | dict | list))
    return None


def _far_point(doc: Mapping[str, Any]) -> tuple[str, float] | None:
    """The field (e.g. ``devices[0].position_mm``) and value of the first coordinate of a 3D point beyond
    ±MAX_POSITION_MM; malformed (or non-finite) points are left to the case's own field checks."""
    for key, fields in _POINT_FIELDS.items():
        entries = doc.get(key)
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            for name in fields:
                point: Any = entry
                for part in name.split("."):
                    point = point.get(part) if isinstance(point, dict) else None
                far = next((float(v) for v in point if isinstance(v, int | float) and not isinstance(v, bool)
                            and math.isfinite(v) and abs(v) > MAX_POSITION_MM), None) if isinstance(point, list) else None
                if far is not None:
                    return f"{key}[{index}].{name}", far
    return None


def _path(at: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in at).lstrip(".")


def check_document(doc: Mapping[str, Any], *, texts: bool = True) -> None:
    """Refuse a decoded case whose lists, marks' points or texts exceed the limits (LimitError naming
    them); ``texts=False`` when ``check_text`` has shown that no string is long enough to matter."""
    for key, most in MAX_ENTRIES.items():
        entries = doc.get(key)
        if isinstance(entries, list) and len(entries) > most:
            raise LimitError(f"'{key}' has {_n(len(entries))} entries, more than the limit of {_n(most)}")
    total = 0
    for index, mark in enumerate(doc.get("marks") or ()):
        points = mark.get("points") if isinstance(mark, dict) else None
        if isinstance(points, list):
            if len(points) > MAX_POINTS_PER_MARK:
                raise LimitError(f"marks[{index}] (mark {mark.get('id')!r}) has {_n(len(points))} points,"
                                 f" more than the limit of {_n(MAX_POINTS_PER_MARK)} per mark")
            total += len(points)
    if total > MAX_TOTAL_POINTS:
        raise LimitError(f"the marks have {_n(total)} points in all, more than the limit of {_n(MAX_TOTAL_POINTS)}")
    far = _far_point(doc)
    if far is not None:
        raise LimitError(f"{far[0]}: a coordinate of {far[1]:g} mm, beyond the limit of ±{_n(int(MAX_POSITION_MM))} mm"
                         " of a 3D point")
    found = _long_text(doc) if texts else None
    if found is not None:
        raise LimitError(f"{found[0]}: a text of {_n(found[1])} characters, more than the limit of"
                         f" {_n(MAX_TEXT_CHARS)}")


#: A mark drawn or exported (SR SCOORD) with more points than this is simplified for that purpose.
MAX_DISPLAY_POINTS = 2_000
#: Greatest distance, in image pixels, of a simplified trace from the traced one: a quarter pixel,
#: below what the eye or the reporting precision resolves (velocities are traced in whole pixels).
DISPLAY_TOLERANCE_PX = 0.25
_CHUNK = 1_000  # Douglas-Peucker per chunk: its worst case (a spiral) is quadratic in the chunk, not the trace


def display_points(points: Sequence[Sequence[float]], tolerance: float = DISPLAY_TOLERANCE_PX,
                   most: int = MAX_DISPLAY_POINTS) -> list[tuple[float, float]]:
    """The points of a mark as drawn and written to the SR: unchanged up to ``most`` points, else a
    Douglas-Peucker simplification within ``tolerance`` px (doubled until it fits ``most``).

    Measurements are always computed on the full trace; only its picture is simplified, and every
    point kept is an original point (first and last included).
    """
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    if len(pts) <= most:
        return [(float(x), float(y)) for x, y in pts]
    while True:
        keep = np.zeros(len(pts), dtype=bool)
        for start in range(0, len(pts) - 1, _CHUNK):
            end = min(start + _CHUNK, len(pts) - 1)
            keep[start:end + 1] |= _douglas_peucker(pts[start:end + 1], tolerance)
        if keep.sum() <= most:
            return [(float(x), float(y)) for x, y in pts[keep]]
        tolerance *= 2


def _douglas_peucker(pts: np.ndarray, tolerance: float) -> np.ndarray:
    """Which points of the polyline ``pts`` the Douglas-Peucker simplification within ``tolerance`` keeps."""
    keep = np.zeros(len(pts), dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        inner = pts[first + 1:last]
        a, b = pts[first], pts[last]
        chord = b - a
        length = float(np.hypot(*chord))
        rel = inner - a
        cross = np.abs(chord[0] * rel[:, 1] - chord[1] * rel[:, 0])
        dist = cross / length if length else np.hypot(rel[:, 0], rel[:, 1])
        worst = int(np.argmax(dist))
        if dist[worst] > tolerance:
            split = first + 1 + worst
            keep[split] = True
            stack += [(first, split), (split, last)]
    return keep
