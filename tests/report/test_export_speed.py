"""The export's speed-ups write what the plain paths write: ``report.sr.save_sr`` the bytes of pydicom's
``save_as``, and caption placement's scene (copies of a mark on one spot measured once) the distances and
crossings of every mark measured on its own."""

from __future__ import annotations

import copy
from io import BytesIO
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

from report import keyimages
from report.keyimages import Box, CaptionShape
from report.sr import build_sr, evidence_for, save_sr

from .conftest import sources_of


def _both_ways(ds: Dataset, folder: Path) -> tuple[bytes, bytes]:
    """``ds`` written by pydicom's ``save_as`` and by ``save_sr`` (each on its own copy)."""
    plain, fast = folder / "plain.dcm", folder / "fast.dcm"
    copy.deepcopy(ds).save_as(plain, enforce_file_format=True)
    save_sr(copy.deepcopy(ds), fast)
    return plain.read_bytes(), fast.read_bytes()


def test_save_sr_writes_the_bytes_save_as_writes(report, study, tmp_path: Path) -> None:
    sources = sources_of(study)
    sr = build_sr(report, evidence_for(report, sources.headers))
    plain, fast = _both_ways(sr, tmp_path)
    assert fast == plain
    assert pydicom.dcmread(tmp_path / "fast.dcm").ContentSequence  # the content tree is there


def _implicit_item() -> Dataset:
    """A dataset read back from Implicit VR bytes: its elements are raw, with no VR of their own."""
    item = Dataset()
    item.CodeValue, item.CodeMeaning = "121071", "Finding"
    buffer = BytesIO()
    item.save_as(buffer, implicit_vr=True, little_endian=True)
    return pydicom.dcmread(BytesIO(buffer.getvalue()), force=True)


def test_save_sr_decodes_raw_elements_and_corrects_ambiguous_vrs_deep_in_the_tree(tmp_path: Path) -> None:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.88.33", generate_uid()
    ds.PixelRepresentation = 1  # the nested LUT Descriptor is then SS, resolved from this ancestor
    inner = Dataset()
    inner.add_new(0x00283002, "US or SS", [256, -100, 16])  # LUT Descriptor: ambiguous VR
    inner.ConceptNameCodeSequence = Sequence([_implicit_item()])
    middle = Dataset()
    middle.ContentSequence = Sequence([inner])
    ds.ContentSequence = Sequence([middle])
    assert ds.file_meta.TransferSyntaxUID != ImplicitVRLittleEndian
    plain, fast = _both_ways(ds, tmp_path)
    assert fast == plain
    back = pydicom.dcmread(tmp_path / "fast.dcm").ContentSequence[0].ContentSequence[0]
    assert back[0x00283002].VR == "SS" and list(back[0x00283002].value) == [256, -100, 16]
    assert back.ConceptNameCodeSequence[0].CodeMeaning == "Finding"


def _square(x: float, y: float, r: float = 5.0) -> tuple[tuple[float, float], ...]:
    return ((x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r))


def test_a_scene_of_stacked_copies_measures_each_mark_as_on_its_own() -> None:
    sizes = ((30.0, 10.0),)
    line = CaptionShape(((10.0, 80.0), (60.0, 80.0)), False, False, sizes)
    shapes = tuple([CaptionShape(_square(50, 50), True, False, sizes)] * 3 + [line] * 2
                   + [CaptionShape(_square(20, 20), True, False, sizes)])
    scene = keyimages._Scene.of_shapes(shapes)
    assert len(scene.starts) == 3  # three distinct outlines
    for box in (Box(40, 40, 60, 60), Box(48, 48, 52, 52), Box(0, 70, 30, 75), Box(70, 0, 90, 10)):
        expected = [float(keyimages._segments_box_distance(*s.ends, box).min()) for s in shapes]
        centre = ((box.left + box.right) / 2, (box.top + box.bottom) / 2)
        expected = [0.0 if s.closed and keyimages._inside(centre, s.ends[0]) else d
                    for s, d in zip(shapes, expected, strict=True)]
        assert scene.distances(box).tolist() == expected
    leader = ((50.0, 100.0), (50.0, 70.0))  # crosses the line only
    assert scene.crossed(leader).tolist() == [False, False, False, True, True, False]
    assert np.array_equal(scene.crossed(leader), [bool(keyimages._crossing(*leader, *s.ends).any()) for s in shapes])
