"""The SR codes devices and attachments from the case vocabulary by table, not by words in the text."""

from __future__ import annotations

import pytest

from planning.catalogue import ATTACHMENTS
from report.sr import attachment_code, device_system_code, segment_code


@pytest.mark.parametrize(("kind", "model", "value", "meaning"), [
    ("MitraClip", "G4 XTW", "SYS-MITRACLIP", "MitraClip"),
    ("PASCAL", "Ace", "SYS-PASCAL-ACE", "PASCAL Ace"),
    ("PASCAL", "P10", "SYS-PASCAL", "PASCAL"),
    ("other", "other", "SYS-OTHER", "other"),
    ("", "", "SYS-OTHER", "other"),  # not recorded
])
def test_device_system(kind: str, model: str, value: str, meaning: str) -> None:
    code = device_system_code(kind, model)
    assert (code.value, code.meaning) == (value, meaning)


def test_every_attachment_has_its_own_code() -> None:
    codes = {a: attachment_code(a) for a in ATTACHMENTS}
    assert codes["SLDA anterior"].value == "ATT-SLDA-ANT" and codes["SLDA posterior"].value == "ATT-SLDA-POST"
    assert codes["partial insertion (LLI)"].meaning == "loss of leaflet insertion"
    assert codes["unknown"].value == "ATT-UNKNOWN"
    assert len({c.value for c in codes.values()}) == len(ATTACHMENTS)  # no two values share a code


def test_segment_pair_code() -> None:
    assert (segment_code("A2-P3").value, segment_code("A2-P3").meaning) == ("SEG-A2P3", "Mitral segment A2-P3")
    assert segment_code("").value == "SEG-NA"
