"""The SR of a report with 3D marks is a Comprehensive 3D SR whose NUMs carry SCOORD3D in the volume's frame.

The volume is the synthetic 4D TEE phantom (demo/volume_phantom.py), which imitates an Enhanced US
Volume of a clipped mitral valve (rotated, offset, anisotropic grid; slices stored far end first;
one frame per time point and slice, time point by time point). The marks are what a reader draws
en face at time point 2 (opening 0.8): the two orifices as 24-gons on their analytic ellipses and
the distance between the orifice centres; all in mm of the volume's Frame of Reference.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset

from demo.volume_phantom import write_cartesian_volume, write_enhanced_volume
from gui.main import main
from report.sr import build_sr, derived_series_uid, evidence_for

from .conftest import sample_report, sources_of
from .test_outputs import dciodvfy_errors

SHAPE = (16, 20, 24)  # slices, rows, columns
TIMEPOINT = 2
OPENING = 0.8  # demo/volume_phantom.py DEFAULT_OPENINGS[1]
N = 24
COMPREHENSIVE_3D_SR = "1.2.840.10008.5.1.4.1.1.88.34"
COMPREHENSIVE_SR = "1.2.840.10008.5.1.4.1.1.88.33"
ENHANCED_US_VOLUME = "1.2.840.10008.5.1.4.1.1.6.2"


def ellipse(truth: dict, name: str, semi: tuple[float, float]) -> list[list[float]]:
    """N points on an orifice's ellipse (semi-axes scaled by the opening), mm of the frame of reference."""
    orifice = next(o for o in truth["orifices"] if o["name"] == name)
    centre, e1, e2 = (np.asarray(v) for v in (orifice["centre_mm"], truth["coaptation_dir"], truth["across_dir"]))
    t = np.arange(N) * 2 * math.pi / N
    a, b = semi[0] * OPENING, semi[1] * OPENING
    return (centre + np.outer(a * np.cos(t), e1) + np.outer(b * np.sin(t), e2)).tolist()


def mark3d(mark_id: str, kind: str, label: str, uid: str, points: list[list[float]], truth: dict,
           purpose: str | None = None) -> dict:
    plane = {"origin": truth["valve_centre_mm"], "row_dir": truth["coaptation_dir"], "col_dir": truth["across_dir"]}
    return {"id": mark_id, "type": kind, "label": label, "sop_instance_uid": uid, "frame_number": TIMEPOINT,
            "points3d": points, "plane": plane, **({"purpose": purpose} if purpose else {})}


@pytest.fixture(scope="module")
def case3d(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A case over the phantom volume with two 3D orifice marks and a 3D distance, reported by the CLI."""
    root = tmp_path_factory.mktemp("sr3d")
    volume = root / "study" / "volume.dcm"
    truth = write_enhanced_volume(volume, shape=SHAPE)
    header = pydicom.dcmread(volume, stop_before_pixels=True)
    uid = truth["sop_instance_uid"]
    centres = [o["centre_mm"] for o in truth["orifices"]]
    marks = [mark3d("lat", "area", "Lateral orifice planimetry", uid, ellipse(truth, "lateral", (5.0, 3.2)), truth,
                    "orifice"),
             mark3d("med", "area", "Medial orifice planimetry", uid, ellipse(truth, "medial", (4.0, 2.5)), truth,
                    "orifice"),
             mark3d("gap", "distance", "Orifice centre to centre", uid, centres, truth)]
    doc = {"format": "mitraplan-case", "version": 1,
           "study": {"study_instance_uid": header.StudyInstanceUID, "patient_name": str(header.PatientName),
                     "patient_id": header.PatientID, "study_date": header.StudyDate},
           "images": [{"sop_instance_uid": uid, "path": "study/volume.dcm"}], "marks": marks, "calculations": [],
           "devices": [], "jets": [], "leaflets": {}, "notes": ""}
    case = root / "case.mitraplan.json"
    case.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["report", str(case), "--out", str(root / "out")]) == 0
    return {"truth": truth, "header": header, "marks": {m["id"]: m for m in marks}, "sr": root / "out" / "report-sr.dcm"}


def _content(ds: Dataset) -> list[Dataset]:
    """Every content item of the tree, depth first."""
    out = []
    for child in ds.get("ContentSequence", []):
        out.append(child)
        out.extend(_content(child))
    return out


def _nums_on_volume(ds: Dataset) -> list[Dataset]:
    return [item for item in _content(ds) if item.ValueType == "NUM" and any(
        c.ValueType == "IMAGE" and c.ReferencedSOPSequence[0].ReferencedSOPClassUID == ENHANCED_US_VOLUME
        for c in item.get("ContentSequence", []))]


def test_the_sr_is_a_comprehensive_3d_sr_that_passes_dciodvfy(case3d: dict) -> None:
    ds = pydicom.dcmread(case3d["sr"])
    assert ds.SOPClassUID == COMPREHENSIVE_3D_SR
    assert ds.file_meta.MediaStorageSOPClassUID == COMPREHENSIVE_3D_SR
    assert dciodvfy_errors(case3d["sr"]) == []


def test_each_3d_num_has_a_scoord3d_with_the_marks_points_in_the_volumes_frame(case3d: dict) -> None:
    ds = pydicom.dcmread(case3d["sr"])
    frame_of_reference = case3d["header"].FrameOfReferenceUID
    nums = _nums_on_volume(ds)
    # lateral area, medial area, their 3D MPR planimetry sum, the centre-to-centre length
    assert len(nums) == 4
    by_points = {len(m["points3d"]) + (m["type"] == "area"): m for m in case3d["marks"].values()}
    assert sorted(by_points) == [2, N + 1]  # areas: N vertices and the first repeated; the distance: 2 points
    seen = []
    for num in nums:
        scoords = [c for c in num.ContentSequence if c.ValueType == "SCOORD3D"]
        assert scoords and all(c.RelationshipType == "INFERRED FROM" for c in scoords)
        for c in scoords:
            assert c.ReferencedFrameOfReferenceUID == frame_of_reference
            points = np.asarray(c.GraphicData, float).reshape(-1, 3)
            mark = next(m for m in case3d["marks"].values()
                        if len(m["points3d"]) + (m["type"] == "area") == len(points)
                        and np.allclose(points[0], m["points3d"][0], atol=1e-3))
            expected = np.asarray(mark["points3d"], float)
            if mark["type"] == "area":
                assert c.GraphicType == "POLYGON"
                expected = np.vstack([expected, expected[:1]])  # closed, as PS3.3 C.18.9.1.2 requires
            else:
                assert c.GraphicType == "POLYLINE"
            assert np.max(np.abs(points - expected)) < 1e-3  # mm
            seen.append(mark["id"])
    assert sorted(seen) == ["gap", "lat", "lat", "med", "med"]  # the sum carries both orifices


def test_3d_nums_sit_in_a_3d_mode_measurement_group(case3d: dict) -> None:
    def mode(item: Dataset) -> tuple[str, str]:
        code = next(c.ConceptCodeSequence[0] for c in item.ContentSequence
                    if c.ValueType == "CODE" and c.ConceptNameCodeSequence[0].CodeValue == "399264008")
        return str(code.CodeValue), str(code.CodingSchemeDesignator)

    ds = pydicom.dcmread(case3d["sr"])
    nums = _nums_on_volume(ds)
    assert len(nums) == 4 and {mode(n) for n in nums} == {("426865009", "SCT")}  # CID 12224 "3D mode", not 2D
    groups = [g for g in _content(ds) if g.ValueType == "CONTAINER" and any(n in _content(g) for n in nums)
              and g.ConceptNameCodeSequence[0].CodeValue == "125007"]
    assert groups and all(mode(g) == ("426865009", "SCT") for g in groups)


def test_the_image_reference_names_the_volume_and_the_frames_of_its_time_point(case3d: dict) -> None:
    ds = pydicom.dcmread(case3d["sr"])
    slices = SHAPE[0]
    # the phantom stores one frame per slice, time point by time point: time point 2 is frames 17..32
    expected = list(range((TIMEPOINT - 1) * slices + 1, TIMEPOINT * slices + 1))
    for num in _nums_on_volume(ds):
        images = [c for c in num.ContentSequence if c.ValueType == "IMAGE"]
        assert len(images) == 1
        ref = images[0].ReferencedSOPSequence[0]
        assert ref.ReferencedSOPInstanceUID == case3d["truth"]["sop_instance_uid"]
        assert [int(f) for f in ref.ReferencedFrameNumber] == expected


def test_the_volume_is_in_the_current_requested_procedure_evidence(case3d: dict) -> None:
    ds = pydicom.dcmread(case3d["sr"])
    refs = [(r.ReferencedSOPClassUID, r.ReferencedSOPInstanceUID)
            for study in ds.CurrentRequestedProcedureEvidenceSequence for series in study.ReferencedSeriesSequence
            for r in series.ReferencedSOPSequence]
    assert refs == [(ENHANCED_US_VOLUME, case3d["truth"]["sop_instance_uid"])]


def test_highdicom_reads_the_3d_sr_back(case3d: dict) -> None:
    sr = hd.sr.srread(case3d["sr"])
    assert isinstance(sr, hd.sr.Comprehensive3DSR)
    scoords = hd.sr.utils.find_content_items(sr, value_type=hd.sr.ValueTypeValues.SCOORD3D, recursive=True)
    assert len(scoords) == 5
    polygon = next(s for s in scoords if s.GraphicType == "POLYGON")
    item = hd.sr.Scoord3DContentItem.from_dataset(polygon)
    assert item.value.shape == (N + 1, 3) and item.frame_of_reference_uid == case3d["header"].FrameOfReferenceUID


def test_a_volume_without_frame_of_reference_gets_a_comment_and_no_scoord3d(case3d: dict, tmp_path: Path) -> None:
    """The Philips QLAB Cartesian export (imitated by write_cartesian_volume) has no Frame of Reference UID."""
    from planning.case import load_case
    from report.build import build_report

    path = tmp_path / "cartesian.dcm"
    truth = write_cartesian_volume(path, shape=SHAPE)
    case = load_case(case3d["sr"].parent.parent / "case.mitraplan.json")
    report, _ = build_report(case)
    uid = truth["sop_instance_uid"]
    header = pydicom.dcmread(path, stop_before_pixels=True)
    assert "FrameOfReferenceUID" not in header
    image = replace(report.images[0], sop_instance_uid=uid, sop_class_uid=str(header.SOPClassUID), path=str(path))
    report = replace(report, images=(image,), marks=tuple(replace(m, sop_instance_uid=uid) for m in report.marks))
    sr = build_sr(report, [header])
    out = tmp_path / "sr.dcm"
    sr.save_as(out, enforce_file_format=True)
    ds = pydicom.dcmread(out)
    items = _content(ds)
    assert not [i for i in items if i.ValueType == "SCOORD3D"]
    comments = [i.TextValue for i in items if i.ValueType == "TEXT" and i.ConceptNameCodeSequence[0].CodeValue == "121106"
                and not i.TextValue.startswith("Mark label: ")]  # the label of a generic area (report.sr)
    assert len(comments) == 5 and all("no Frame of Reference UID" in c for c in comments)
    assert "time point 2 of volume cartesian.dcm" in comments[0]
    images = [i for i in items if i.ValueType == "IMAGE"]
    assert images and all(i.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == uid
                          and "ReferencedFrameNumber" not in i.ReferencedSOPSequence[0] for i in images)
    assert dciodvfy_errors(out) == []  # the export's empty Study/Series UIDs (as real QLAB exports) are filled
    series = [(str(st.StudyInstanceUID), str(se.SeriesInstanceUID))
              for st in ds.CurrentRequestedProcedureEvidenceSequence for se in st.ReferencedSeriesSequence]
    assert series == [(report.header.study_instance_uid, derived_series_uid(uid))]  # the case's study
    assert derived_series_uid(uid) == derived_series_uid(uid) != derived_series_uid(uid + ".1")  # a function of it
    assert re.fullmatch(r"[0-9]+(\.[0-9]+)+", derived_series_uid(uid)) and len(derived_series_uid(uid)) <= 64
    assert header.SeriesInstanceUID == "" and header.SOPClassUID == "1.2.840.113543.6.6.1.3.10002"  # untouched
    # not first among the evidence (the first carries the report's study): filled the same way
    second = tmp_path / "second.dcm"
    build_sr(report, [case3d["header"], header]).save_as(second, enforce_file_format=True)
    assert dciodvfy_errors(second) == []
    series = {str(se.SeriesInstanceUID) for st in pydicom.dcmread(second).CurrentRequestedProcedureEvidenceSequence
              for se in st.ReferencedSeriesSequence}
    assert derived_series_uid(uid) in series


def test_an_sr_without_3d_marks_stays_a_comprehensive_sr(study: dict, tmp_path: Path) -> None:
    report = sample_report(study)
    sr = build_sr(report, evidence_for(report, sources_of(study).headers))
    assert sr.SOPClassUID == COMPREHENSIVE_SR
    assert not [i for i in _content(sr) if i.ValueType == "SCOORD3D"]


def test_the_anonymised_3d_sr_replaces_the_frame_of_reference_with_the_other_uids(case3d: dict,
                                                                                   tmp_path: Path) -> None:
    from planning.case import load_case
    from report.build import build_report
    from report.export import export_report

    report, sources = build_report(load_case(case3d["sr"].parent.parent / "case.mitraplan.json"))
    result = export_report(report, sources, tmp_path / "anon", anonymise=True)
    assert result.sr is not None and result.failures == []
    ds = pydicom.dcmread(result.sr)
    items = _content(ds)
    frames_of_reference = {str(i.ReferencedFrameOfReferenceUID) for i in items if i.ValueType == "SCOORD3D"}
    assert len(frames_of_reference) == 1 and case3d["header"].FrameOfReferenceUID not in frames_of_reference
    images = {str(i.ReferencedSOPSequence[0].ReferencedSOPInstanceUID) for i in items if i.ValueType == "IMAGE"}
    evidence = {str(r.ReferencedSOPInstanceUID) for study in ds.CurrentRequestedProcedureEvidenceSequence
                for series in study.ReferencedSeriesSequence for r in series.ReferencedSOPSequence}
    assert images == evidence and case3d["truth"]["sop_instance_uid"] not in images
    assert dciodvfy_errors(result.sr) == []


def test_the_key_image_of_3d_marks_is_an_mpr_of_their_plane_with_the_marks_drawn(case3d: dict) -> None:
    """One MPR key image (the three marks share a plane): PNG and Secondary Capture; the orifice centre
    of the phantom's truth is dark blood in it and each drawn vertex is yellow ink."""
    from report.keyimages import mpr_view
    from report.model import Mark as ReportMark

    out = case3d["sr"].parent
    assert (out / "key-k1.png").is_file() and not (out / "key-k2.png").exists()
    sc = pydicom.dcmread(out / "key-k1.dcm")
    assert dciodvfy_errors(out / "key-k1.dcm") == []
    ref = sc.SourceImageSequence[0]
    assert ref.ReferencedSOPInstanceUID == case3d["truth"]["sop_instance_uid"] and "ReferencedFrameNumber" not in ref
    assert sc.DerivationDescription.startswith(f"MPR of time point {TIMEPOINT} ")
    marks = [ReportMark(m["id"], m["type"], m["label"], m["sop_instance_uid"], TIMEPOINT, None, (),
                        points3d=tuple(tuple(p) for p in m["points3d"]),
                        plane=tuple(tuple(m["plane"][k]) for k in ("origin", "row_dir", "col_dir")))
             for m in case3d["marks"].values()]
    view = mpr_view(marks)
    pixels = sc.pixel_array

    def at(point_mm: list[float]) -> np.ndarray:
        d = np.asarray(point_mm) - view.origin  # pixel (c, r) centre = origin + c·pixel·row + r·pixel·col
        c, r = (round(float(d @ axis) / view.pixel_mm) for axis in (view.row_dir, view.col_dir))
        return pixels[r, c].astype(int)

    lateral = next(o for o in case3d["truth"]["orifices"] if o["name"] == "lateral")
    # inside the orifice, 0.6 of its across semi-axis (3.2 mm x 0.8) from the centre: off the centre line
    inside = np.asarray(lateral["centre_mm"]) - 0.6 * 3.2 * OPENING * np.asarray(case3d["truth"]["across_dir"])
    assert max(at(inside.tolist())) < 60  # blood (20), neither ink nor leaflet tissue (180)
    ink = at(case3d["marks"]["lat"]["points3d"][0])
    assert ink[0] > 200 and ink[1] > 180 and ink[2] < 100  # the yellow of the marks (#ffe600)


def test_marks_off_their_recorded_plane_are_shown_in_their_own_plane(case3d: dict) -> None:
    """A plane record that the points do not lie on (here the volume's x-y plane) is not used: the MPR
    is the points' best-fit plane, the phantom's valve plane."""
    from report.keyimages import mpr_view
    from report.model import Mark as ReportMark

    m = case3d["marks"]["lat"]
    mark = ReportMark("lat", "area", "", m["sop_instance_uid"], TIMEPOINT, None, (),
                      points3d=tuple(tuple(p) for p in m["points3d"]),
                      plane=((0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0)))
    view = mpr_view([mark])
    normal = np.cross(view.row_dir, view.col_dir)
    assert abs(float(normal @ np.asarray(case3d["truth"]["valve_normal"]))) == pytest.approx(1.0, abs=1e-9)
