"""Key images burn in what each mark measures, never its internal id: the heart team reads "Lateral
para-clip jet vena contracta 0.50 cm", not "m_vc: …" (the ids are provenance, kept in report.json)."""

from __future__ import annotations

import numpy as np

from report.keyimages import render_key_image
from report.model import Mark


def _pixels(mark_id: str, caption: str) -> bytes:
    frame = np.zeros((240, 320, 3), dtype=np.uint8)
    mark = Mark(mark_id, "distance", "VC", "1.2.3", 1, 0, ((60.5, 120.5), (140.5, 120.5)))
    image = render_key_image(frame, [mark], {mark_id: caption})
    return bytes(image.constBits())


def test_the_burned_in_caption_does_not_carry_the_mark_id() -> None:
    # two marks that differ only by id draw the same pixels; a different caption draws different ones
    assert _pixels("m_vc", "VC 0.50 cm") == _pixels("m_other_much_longer_id", "VC 0.50 cm")
    assert _pixels("m_vc", "VC 0.50 cm") != _pixels("m_vc", "VC 0.60 cm")


def test_an_unlabelled_mark_says_so() -> None:
    assert _pixels("m_a", "") == _pixels("m_b", "unlabelled mark")
