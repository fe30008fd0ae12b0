"""A report over a real vendor loop (HP Sonos, JPEG YBR_FULL_422): its header as SR evidence stays DICOM-clean."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
import pytest

from gui.main import main

from .test_outputs import dciodvfy_errors


def write_real_case(folder: Path, loop: Path) -> Path:
    ds = pydicom.dcmread(loop, stop_before_pixels=True)
    uid = ds.SOPInstanceUID
    mark = {"sop_instance_uid": uid, "frame_number": 5, "region": 0}
    doc = {"format": "mitraplan-case", "version": 1, "study": {"study_instance_uid": ds.StudyInstanceUID},
           "images": [{"sop_instance_uid": uid, "path": str(loop)}],
           "marks": [{"id": "m1", "type": "distance", "label": "P2 free length", **mark,
                      "points": [[200, 100], [230, 140]]}],
           "devices": [{"id": "d1", "kind": "MitraClip", "model": "XTW", "segment": "A2-P2", "attachment": "stable"}],
           "jets": [], "leaflets": {"segments": {"P2": {"length_mark": "m1"}}}, "notes": ""}
    path = folder / "case.mitraplan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_real_loop_report_is_dicom_clean_and_anonymises(realdata: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    case = write_real_case(tmp_path, realdata / "orthanc-tests_Issue16.dcm")
    assert main(["report", str(case), "--out", str(tmp_path / "out")]) == 0
    printed = json.loads(capsys.readouterr().out)
    for path in [printed["sr"], *printed["key_images_dicom"]]:
        assert dciodvfy_errors(Path(path)) == [], path
    assert main(["report", str(case), "--out", str(tmp_path / "anon"), "--anonymise"]) == 0
    captured = capsys.readouterr()
    # the vendor file does not declare BurnedInAnnotation NO: its key image is kept only masked outside its regions
    [key] = json.loads(captured.out)["key_images_dicom"]
    sc = pydicom.dcmread(key)
    assert sc.BurnedInAnnotation == "NO"
    source = pydicom.dcmread(realdata / "orthanc-tests_Issue16.dcm", stop_before_pixels=True)
    inside = np.zeros((sc.Rows, sc.Columns), dtype=bool)
    for region in source.SequenceOfUltrasoundRegions:
        inside[region.RegionLocationMinY0:region.RegionLocationMaxY1 + 1,
               region.RegionLocationMinX0:region.RegionLocationMaxX1 + 1] = True
    assert not inside.all() and sc.pixel_array[~inside].max() == 0  # the banner area is blanked
    for path in (tmp_path / "anon").iterdir():
        data = path.read_bytes()
        assert b"HP_EXAMPLE" not in data and b"Pediatric" not in data, path
