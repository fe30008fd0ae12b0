"""Stacking screen labels so none sits on top of an earlier one (the 2D mark labels, the en-face map items)."""

from __future__ import annotations

from collections.abc import Sequence

#: Screen pixels: one text line's height, and how far apart two labels' left edges must be to sit side by side.
LINE_PX = 14
APART_PX = 150


def stacked(labels: Sequence[tuple[float, float, int]], line_px: float = LINE_PX) -> list[float]:
    """The screen y of each label (screen x, y, lines), in order: a label that would cover an earlier
    one moves down below it, a text block (``line_px`` a line) at a time."""
    placed: list[tuple[float, float, int]] = []
    for sx, sy, lines in labels:
        moved = True
        while moved:
            moved = False
            for ox, oy, olines in placed:
                if abs(sx - ox) < APART_PX and -line_px * lines < sy - oy < line_px * olines + 4:
                    sy = oy + line_px * olines + 6
                    moved = True
        placed.append((sx, sy, lines))
    return [y for _x, y, _l in placed]
