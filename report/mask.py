"""Key-image masking: blank the vendor banner (name, ID, date) around the ultrasound image.

Scanners burn the patient's name and ID into a banner outside the image area. The image area is
stated by the Sequence of Ultrasound Regions (PS3.3 C.8.5.5); every pixel outside the union of
its rectangles is set to zero. An image without regions is masked outside a rectangle the user
confirmed, or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from pydicom.dataset import Dataset

from imaging.regions import parse_regions

#: (x0, y0, x1, y1), inclusive pixel indices, as RegionLocationMinX0 ... RegionLocationMaxY1.
Rect = tuple[int, int, int, int]


def region_rectangles(source: Dataset) -> tuple[Rect, ...]:
    """The rectangles (clipped to the image) of the source's ultrasound regions; () when it has none."""
    return tuple(region.bounds for region in parse_regions(source))


def mask_rectangles(source: Dataset, confirmed: Rect | None = None) -> tuple[Rect, ...]:
    """What a key image of ``source`` keeps: its regions, else the user-confirmed rectangle, else ()."""
    return region_rectangles(source) or ((confirmed,) if confirmed is not None else ())


def _kept(shape: tuple[int, int], rects: Sequence[Rect]) -> np.ndarray:
    keep = np.zeros(shape, dtype=bool)
    for x0, y0, x1, y1 in rects:
        keep[max(0, y0):max(0, y1 + 1), max(0, x0):max(0, x1 + 1)] = True
    return keep


def mask_outside(frame: np.ndarray, rects: Sequence[Rect]) -> np.ndarray:
    """A copy of ``frame`` (rows, columns[, samples]) with every pixel outside the union of ``rects`` zero."""
    keep = _kept((frame.shape[0], frame.shape[1]), rects)
    out = frame.copy()
    out[~keep] = 0
    return out


def burned_in_annotation(source: Dataset, masked: bool) -> str:
    """Burned In Annotation of a Secondary Capture of ``source``: "NO" when masked outside the image
    area, else the source's own value when it states one, else "YES" (unknown pixels may show a name)."""
    if masked:
        return "NO"
    stated = str(source.get("BurnedInAnnotation", "") or "").strip().upper()
    return stated if stated in ("YES", "NO") else "YES"


def masks_for(sources: Mapping[str, Dataset], confirmed: Mapping[str, Rect] | None = None
              ) -> dict[str, tuple[Rect, ...]]:
    """SOP Instance UID → the rectangles its key images keep, for each image a mask changes: one whose
    regions cover the whole frame has nothing outside them to blank, so it is not "masked"."""
    confirmed = confirmed or {}
    out = {}
    for uid, header in sources.items():
        rects = mask_rectangles(header, confirmed.get(uid))
        shape = (int(header.get("Rows", 0) or 0), int(header.get("Columns", 0) or 0))
        if rects and not _kept(shape, rects).all():
            out[uid] = rects
    return out
