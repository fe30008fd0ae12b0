"""``report.sr`` builds the Comprehensive SR around the root and attaches the content tree after
(highdicom's constructor deep-copies and re-parses the whole tree): the document is the one the
constructor makes from the whole tree, the evidence check it made still refuses an unlisted image,
and ``sr.content`` is the tree written."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import highdicom as hd
import pydicom
import pytest

from report import sr as sr_module
from report.sr import build_sr, evidence_for

from .conftest import make_study, sample_report, sources_of

#: Attributes stamped with the time of writing: they differ between any two builds.
_CLOCK_TAGS = {"00080012", "00080013", "00080023", "00080033", "0018A002"}  # creation, content, contribution


def _without_clock(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_clock(v) for k, v in node.items() if k not in _CLOCK_TAGS}
    if isinstance(node, list):
        return [_without_clock(v) for v in node]
    return node


def _build(report, sources, monkeypatch: pytest.MonkeyPatch) -> pydicom.Dataset:
    """``build_sr`` with UIDs counted from 1 (tracking identifiers, observer UID), so two builds compare."""
    counter = itertools.count(1)
    monkeypatch.setattr(hd, "UID", lambda: hd.uid.UID(f"1.2.826.0.1.3680043.10.1.{next(counter)}"))
    return build_sr(report, evidence_for(report, sources.headers), series_instance_uid="1.2.3.4",
                    sop_instance_uid="1.2.3.5")


def test_document_is_what_highdicom_makes_of_the_whole_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    study = make_study(tmp_path / "study")
    report, sources = sample_report(study), sources_of(study)
    fast = _build(report, sources, monkeypatch)

    def whole_tree(root, evidence, referenced, **kwargs):  # the former path: the tree through the constructor
        return hd.sr.ComprehensiveSR(evidence=evidence, content=root, **kwargs)

    monkeypatch.setattr(sr_module, "_document", whole_tree)
    reference = _build(report, sources, monkeypatch)
    assert _without_clock(fast.to_json_dict()) == _without_clock(reference.to_json_dict())
    assert len(list(fast.iterall())) == len(list(reference.iterall())) > 200  # the sample report's tree, not a stub


def test_an_image_missing_from_the_evidence_is_refused(tmp_path: Path) -> None:
    study = make_study(tmp_path / "study")
    report, sources = sample_report(study), sources_of(study)
    first, second = report.images[0].sop_instance_uid, report.images[1].sop_instance_uid
    with pytest.raises(ValueError, match=second):  # m3 (J1 vena contracta) lies on the second loop
        build_sr(report, [sources.headers[first]])


def test_content_is_the_tree_written(tmp_path: Path) -> None:
    study = make_study(tmp_path / "study")
    report, sources = sample_report(study), sources_of(study)
    document = build_sr(report, evidence_for(report, sources.headers))
    path = tmp_path / "sr.dcm"
    document.save_as(path, enforce_file_format=True)
    (root,) = document.content
    assert root.name.value == "125200"
    assert [id(i) for i in root.ContentSequence] == [id(i) for i in document.ContentSequence]  # the same items
    assert len(list(hd.sr.srread(path).iterall())) == len(list(document.iterall()))
    evidence = document.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0]
    assert {i.ReferencedSOPInstanceUID for i in evidence.ReferencedSOPSequence} == {
        i.sop_instance_uid for i in report.images}
