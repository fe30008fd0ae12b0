"""Header text made safe to display: names cannot reorder the text around them.

A patient name holding U+202E RIGHT-TO-LEFT OVERRIDE displays "\u202eevil" as "live"; an
unterminated isolate or embedding would also reorder the label beside it. Every bidirectional
control inside the name is removed and the whole name is wrapped in FIRST STRONG ISOLATE ...
POP DIRECTIONAL ISOLATE (Unicode UAX #9, section 2.7), so a genuinely right-to-left name still
reads correctly and nothing leaks out of it.
"""

from __future__ import annotations

#: Embeddings and overrides (U+202A-U+202E), isolates (U+2066-U+2069) and the implicit marks
#: that can be abused the same way (U+200E, U+200F, U+061C).
BIDI_CONTROLS = frozenset([*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)),
                           "\u200e", "\u200f", "\u061c"])
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


def strip_bidi_controls(text: str) -> str:
    """``text`` without any bidirectional formatting character."""
    return "".join(ch for ch in text if ch not in BIDI_CONTROLS)


def isolate(text: object) -> str:
    """``text`` on one line, without bidi controls or other unprintable characters, wrapped in FSI ... PDI.

    Empty text gives ``""`` (the caller shows its own placeholder).
    """
    clean = "".join(ch for ch in strip_bidi_controls(str(text or "")) if ch.isprintable() or ch.isspace())
    clean = " ".join(clean.split())
    return f"{FIRST_STRONG_ISOLATE}{clean}{POP_DIRECTIONAL_ISOLATE}" if clean else ""


def display_name(name: object) -> str:
    """A DICOM person name for display: ``^`` between components as spaces, then :func:`isolate`."""
    return isolate(str(name or "").replace("^", " "))
