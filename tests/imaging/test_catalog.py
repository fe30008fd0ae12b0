"""Indexing files, folders and DICOMDIRs from headers only."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from pydicom.fileset import FileSet
from pydicom.uid import generate_uid

from imaging.catalog import catalog_paths
from tests.imaging.conftest import bar_frames, jpeg_loop, save


def _folder_of_loops(folder: Path, n: int, undecodable: bool = False) -> list[Path]:
    """``n`` tiny loops in 2 patients x 2 studies x 2 series; ``undecodable`` replaces pixels with junk."""
    frames = bar_frames(2, rows=16, cols=16)
    studies = [generate_uid() for _ in range(4)]
    series = [generate_uid() for _ in range(8)]
    paths = []
    for i in range(n):
        ds = jpeg_loop(frames, encoded=[b"\xff\xd8junk\xff\xd9"] * 2 if undecodable else None)
        s = i % 8
        ds.PatientID, ds.PatientName = (f"P{s // 4}", f"Patient^{s // 4}")
        ds.StudyInstanceUID, ds.SeriesInstanceUID = studies[s // 2], series[s]
        ds.SeriesNumber, ds.InstanceNumber = s % 2 + 1, i
        ds.StudyDate, ds.StudyTime, ds.StudyID, ds.AccessionNumber = "20260101", "120000", "1", ""
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        sub = folder / f"sub{s}"
        sub.mkdir(parents=True, exist_ok=True)
        paths.append(save(ds, sub / f"IM{i:04d}.dcm"))
    return paths


def test_a_200_file_folder_is_indexed_from_headers_alone(tmp_path: Path) -> None:
    # pixel data that no decoder could read proves no pixel was decoded
    _folder_of_loops(tmp_path, 200, undecodable=True)
    (tmp_path / "sub0" / "readme.txt").write_text("not an image")
    calls: list[tuple[int, int]] = []
    index = catalog_paths([tmp_path], progress=lambda done, total: calls.append((done, total)))
    assert len(index.loops()) == 200
    assert [p.patient_id for p in index.patients] == ["P0", "P1"]
    assert all(len(p.studies) == 2 for p in index.patients)
    assert all(len(st.series) == 2 for p in index.patients for st in p.studies)
    assert [se.number for se in index.patients[0].studies[0].series] == [1, 2]
    assert index.warnings == [(str(tmp_path / "sub0" / "readme.txt"),
                               "is not a DICOM file (no 'DICM' prefix and no readable DICOM dataset)")]
    assert calls[-1] == (201, 201) and len(calls) == 201


def test_find_by_sop_instance_uid(demo_study) -> None:
    index = catalog_paths([demo_study.folder])
    (patient,) = index.patients
    assert patient.name == "MitraPlan^Demo"
    (study,) = patient.studies
    assert [len(se.loops) for se in study.series] == [3, 2, 0]  # loops, then the CW strips, then the 3D series
    assert [(se.number, [str(v.sop_instance_uid) for v in se.volumes]) for se in study.series][-1] == (
        30, [demo_study.truth["volume_3d"]["sop_instance_uid"]])  # the volume, listed apart from loops
    uid = demo_study.truth["cw_mr"]["sop_instance_uid"]
    assert index.find(uid).path == demo_study.files["cw_mr"]
    assert index.find("1.2.3") is None


def test_dicomdir_is_followed(tmp_path: Path) -> None:
    source = tmp_path / "src"
    paths = _folder_of_loops(source, 4)
    fs = FileSet()
    for path in paths:
        fs.add(path)
    media = tmp_path / "media"
    fs.write(media)
    index = catalog_paths([media / "DICOMDIR"])
    assert len(index.loops()) == 4 and index.warnings == []
    assert len(catalog_paths([media]).loops()) == 4  # the folder walk skips DICOMDIR itself


def test_bad_files_are_warnings_naming_them(tmp_path: Path, bar_loop: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    first = shutil.copy(bar_loop, folder / "a.dcm")
    duplicate = shutil.copy(bar_loop, folder / "b.dcm")
    (folder / "notes.dcm").write_text("text")
    index = catalog_paths([folder, tmp_path / "missing.dcm"])
    assert [loop.path for loop in index.loops()] == [Path(first)]
    messages = dict(index.warnings)
    assert "is not a DICOM file" in messages[str(folder / "notes.dcm")]
    assert messages[str(duplicate)] == f"same SOP Instance UID as {first}; skipped"
    assert messages[str(tmp_path / "missing.dcm")] == "file not found"


def test_cancel_stops_early(tmp_path: Path) -> None:
    _folder_of_loops(tmp_path, 10)
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done == 3:
            cancel.set()

    index = catalog_paths([tmp_path], progress=progress, cancel=cancel)
    assert len(index.loops()) == 3
    assert index.warnings[-1] == ("", "indexing cancelled after 3 of 10 files")


def test_a_non_image_dicom_is_skipped_with_a_warning(tmp_path: Path, bar_loop: Path) -> None:
    from pydicom import dcmread

    ds = dcmread(bar_loop)
    for keyword in ("Rows", "Columns", "PixelData"):
        delattr(ds, keyword)
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.33"  # Comprehensive SR
    save(ds, tmp_path / "sr.dcm")
    index = catalog_paths([tmp_path / "sr.dcm"])
    assert index.loops() == []
    assert "holds no image (SOP class 'Comprehensive SR Storage'" in index.warnings[0][1]


def test_a_uid_reused_by_another_patient_never_files_a_loop_under_the_wrong_patient(tmp_path: Path) -> None:
    # anonymisers and test exports reuse Study/Series UIDs across patients: grouping by UID alone put
    # patient B's loop in patient A's series (seen in the New Case chooser's refusal screenshot)
    frames = bar_frames(2, rows=16, cols=16)
    study, series = generate_uid(), generate_uid()
    for n, (pid, name) in enumerate((("PA", "Alpha^Ann"), ("PB", "Beta^Bob"))):
        ds = jpeg_loop(frames)
        ds.PatientID, ds.PatientName = pid, name
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        save(ds, tmp_path / f"IM{n}.dcm")
    catalog = catalog_paths([tmp_path])
    assert [p.patient_id for p in catalog.patients] == ["PA", "PB"]
    for patient in catalog.patients:
        loops = [loop for st in patient.studies for se in st.series for loop in se.loops]
        assert [loop.patient_id for loop in loops] == [patient.patient_id]


def test_a_volume_is_found_by_its_sop_instance_uid_as_loops_are(tmp_path: Path, bar_loop: Path) -> None:
    from demo.volume_phantom import write_enhanced_volume
    from planning.case import Case, resolve_image

    truth = write_enhanced_volume(tmp_path / "volume.dcm", shape=(8, 10, 12))
    uid = truth["sop_instance_uid"]
    index = catalog_paths([tmp_path])
    volume = index.find_volume(uid)
    assert volume is not None and volume.path == tmp_path / "volume.dcm"
    assert index.find(uid).path == tmp_path / "volume.dcm"  # what the report and the measure look up
    assert index.find_loop(uid) is None and uid not in index.layouts  # never offered as a loop
    assert resolve_image(Case(), uid, index) == tmp_path / "volume.dcm"  # a 3D mark's volume, not in the case
    assert index.find_volume("1.2.3") is None and index.find("1.2.3") is None


def test_the_index_records_where_each_loops_pixel_data_starts(bar_loop: Path) -> None:
    index = catalog_paths([bar_loop])
    (info,) = index.loops()
    layout = index.layouts[info.sop_instance_uid]
    data = bar_loop.read_bytes()
    assert data[layout.pixel_offset:layout.pixel_offset + 4] == b"\xe0\x7f\x10\x00"  # (7FE0,0010) little endian
    assert layout.file_size == len(data) and (layout.rows, layout.columns, layout.samples) == (48, 64, 3)
