"""The one place the command line writes JSON: strict JSON only (RFC 8259 has no NaN or Infinity).

A non-finite number (a NaN calibration read from a file, an infinite result) is written as
``null`` and named in a warning on stderr, so a consumer never receives ``NaN``/``Infinity``.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any, TextIO


def sanitise(value: Any, where: str = "$", replaced: list[str] | None = None) -> Any:
    """``value`` with every non-finite float replaced by None; the JSON paths replaced go to ``replaced``."""
    if isinstance(value, float) and not math.isfinite(value):
        if replaced is not None:
            replaced.append(f"{where} ({value})")
        return None
    if isinstance(value, dict):
        return {k: sanitise(v, f"{where}.{k}", replaced) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [sanitise(v, f"{where}[{i}]", replaced) for i, v in enumerate(value)]
    return value


def dumps_strict(value: Any, *, indent: int | None = 2, ensure_ascii: bool = True) -> tuple[str, list[str]]:
    """Strict JSON text of ``value`` and the paths of the non-finite numbers written as null."""
    replaced: list[str] = []
    text = json.dumps(sanitise(value, "$", replaced), indent=indent, ensure_ascii=ensure_ascii, allow_nan=False)
    return text, replaced


def write_json(value: Any, command: str, *, stream: TextIO | None = None, ensure_ascii: bool = True) -> None:
    """Print ``value`` as strict JSON (one trailing newline); warn on stderr for each null put for a non-finite number."""
    text, replaced = dumps_strict(value, ensure_ascii=ensure_ascii)
    out = sys.stdout if stream is None else stream
    out.write(text + "\n")
    for where in replaced:
        print(f"mitraplan {command}: warning: {where} is not a finite number; written as null", file=sys.stderr)
