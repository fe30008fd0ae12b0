"""Argument types shared by the sub-commands: a bad value is a usage error (exit 2) that names it."""

from __future__ import annotations

import argparse
import math


def frame_number(text: str) -> int:
    """A 1-based frame number, as in DICOM."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"frame must be a whole number, got {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"frames are 1-based (the first frame is 1), got {number}")
    return number


def finite_float(text: str) -> float:
    """A finite number (no nan or inf)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value
