"""DIMSE against a real Orthanc on loopback: find → get → open → send the report SR → find it back,
C-MOVE, resume, and the failures (wrong called AE title, unknown calling AE, closed port, timeout,
server stopped mid-transfer)."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from pydicom.pixels import pixel_array

from imaging.catalog import catalog_paths
from pacs import (
    PacsCancelledError,
    PacsConfigError,
    PacsConnectionError,
    PacsRejectedError,
    PacsTimeoutError,
    PacsTransferError,
    StudyQuery,
    service,
)
from pacs.nodes import DimseNode, parse_node_spec
from tests.pacs.conftest import (
    DEMO_PATIENT_ID,
    DEMO_PATIENT_NAME,
    DEMO_STUDY_DATE,
    DEMO_STUDY_DESCRIPTION,
    LoadedStudy,
    OrthancServer,
    ReportOutputs,
    free_port,
    write_stills,
)

pytestmark = pytest.mark.external


@pytest.fixture
def node(orthanc: OrthancServer) -> DimseNode:
    return parse_node_spec(orthanc.node_spec, "MITRAPLAN", timeout_s=20)


def test_echo_verifies_the_node(node: DimseNode) -> None:
    service.verify(node)


def test_find_by_patient_id_gives_the_study_with_counts(node: DimseNode, study_files: LoadedStudy) -> None:
    studies = service.find_studies(node, StudyQuery(patient_id=study_files.patient_id))
    assert [s.study_instance_uid for s in studies] == [study_files.study_instance_uid]
    study = studies[0]
    assert (study.patient_name, study.study_date, study.description) == (
        DEMO_PATIENT_NAME, DEMO_STUDY_DATE, DEMO_STUDY_DESCRIPTION)
    assert (study.number_of_series, study.number_of_instances) == (len(study_files.series), len(study_files.files))
    assert study.modalities == ("US",)


@pytest.mark.parametrize(("query", "found"), [
    (StudyQuery(patient_name="MitraPlan*"), True),
    (StudyQuery(patient_name="Nobody*"), False),
    (StudyQuery(date_from="20260101", date_to="20260131"), True),
    (StudyQuery(date_from="20260115", date_to="20260115"), True),
    (StudyQuery(date_from="20260116"), False),
    (StudyQuery(date_to="20260114"), False),
    (StudyQuery(modality="US", patient_id=DEMO_PATIENT_ID), True),
    (StudyQuery(modality="CT", patient_id=DEMO_PATIENT_ID), False),
])
def test_find_filters(node: DimseNode, study_files: LoadedStudy, query: StudyQuery, found: bool) -> None:
    uids = {s.study_instance_uid for s in service.find_studies(node, query)}
    assert (study_files.study_instance_uid in uids) is found


def test_series_level_find(node: DimseNode, study_files: LoadedStudy) -> None:
    series = service.find_series(node, study_files.study_instance_uid)
    assert {s.series_instance_uid: s.number_of_instances for s in series} == study_files.series
    assert {s.modality for s in series} == {"US"}


def _assert_same_instances(files: list[Path], study: LoadedStudy) -> None:
    """Every retrieved file is complete and byte-identical in its pixel data to what was loaded."""
    assert len(files) == len(study.files)
    for path in files:
        got = pydicom.dcmread(path)
        sent = pydicom.dcmread(study.files[got.SOPInstanceUID])
        assert got.file_meta.TransferSyntaxUID == sent.file_meta.TransferSyntaxUID
        assert got.PixelData == sent.PixelData
    assert not list(files[0].parent.glob("*.part"))


def _assert_opens(folder: Path, study: LoadedStudy) -> None:
    """The retrieved folder indexes as one patient, one study with its series and loops, and frames decode."""
    index = catalog_paths([folder])
    assert index.warnings == []
    assert [p.patient_id for p in index.patients] == [study.patient_id]
    (indexed_study,) = index.patients[0].studies
    assert indexed_study.study_instance_uid == study.study_instance_uid
    assert {se.series_instance_uid: len(se.loops) for se in indexed_study.series} == study.series
    loop = max(index.loops(), key=lambda info: info.n_frames)
    assert pixel_array(loop.path, index=loop.n_frames - 1).shape == (loop.rows, loop.columns, 3)


def test_get_lands_the_study_in_its_own_transfer_syntax_and_it_opens(node: DimseNode, study_files: LoadedStudy,
                                                                     tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    result = service.retrieve(node, study_files.study_instance_uid, tmp_path, progress=lambda d, t: seen.append((d, t)))
    assert result.folder == tmp_path / study_files.study_instance_uid
    assert len(result.received) == len(study_files.files) and result.already_present == []
    _assert_same_instances(result.files, study_files)
    assert seen[-1] == (len(study_files.files), len(study_files.files))
    _assert_opens(result.folder, study_files)


def test_real_vendor_loops_round_trip_byte_for_byte(node: DimseNode, orthanc: OrthancServer, tmp_path: Path) -> None:
    """Each real loop Orthanc accepted comes back by C-GET in its own transfer syntax, pixel data unchanged."""
    if not orthanc.real_files:
        pytest.skip("no real vendor samples (../shared/realdata) were loaded")
    for path in orthanc.real_files:
        sent = pydicom.dcmread(path)
        result = service.retrieve(node, str(sent.StudyInstanceUID), tmp_path)
        got = pydicom.dcmread(result.folder / f"{sent.SOPInstanceUID}.dcm")
        assert got.file_meta.TransferSyntaxUID == sent.file_meta.TransferSyntaxUID, path.name
        assert got.PixelData == sent.PixelData, path.name


def test_get_of_one_series(node: DimseNode, study_files: LoadedStudy, tmp_path: Path) -> None:
    series_uid, count = min(study_files.series.items(), key=lambda item: item[1])
    result = service.retrieve(node, study_files.study_instance_uid, tmp_path, series_uid)
    assert len(result.files) == count
    assert {pydicom.dcmread(p).SeriesInstanceUID for p in result.files} == {series_uid}


def test_move_to_a_temporary_storage_scp(orthanc: OrthancServer, node: DimseNode, study_files: LoadedStudy,
                                         tmp_path: Path) -> None:
    move_port = orthanc.config()["DicomModalities"]["MITRAPLAN"][2]  # type: ignore[index]
    result = service.retrieve(node, study_files.study_instance_uid, tmp_path, move_port=move_port)
    _assert_same_instances(result.files, study_files)


def test_get_resumes_removing_partials_and_fetching_only_what_is_missing(node: DimseNode, study_files: LoadedStudy,
                                                                         tmp_path: Path) -> None:
    first_uid, first_path = next(iter(study_files.files.items()))
    folder = tmp_path / study_files.study_instance_uid
    folder.mkdir()
    (folder / f"{first_uid}.dcm").write_bytes(first_path.read_bytes())
    (folder / "1.2.3.4.dcm.part").write_bytes(b"half a file")
    result = service.retrieve(node, study_files.study_instance_uid, tmp_path)
    assert (len(result.received), len(result.already_present), result.removed_partials) == (
        len(study_files.files) - 1, 1, 1)
    _assert_same_instances(result.files, study_files)


def test_cancel_mid_transfer_keeps_only_complete_files(node: DimseNode, study_files: LoadedStudy,
                                                      tmp_path: Path) -> None:
    cancel = threading.Event()
    with pytest.raises(PacsCancelledError, match="cancelled"):
        service.retrieve(node, study_files.study_instance_uid, tmp_path,
                         progress=lambda done, _total: done >= 1 and cancel.set(), cancel=cancel)
    landed = list((tmp_path / study_files.study_instance_uid).iterdir())
    assert 1 <= len(landed) < len(study_files.files)
    assert all(p.suffix == ".dcm" and pydicom.dcmread(p).SOPInstanceUID in study_files.files for p in landed)


@pytest.mark.usefixtures("restore_study")
@pytest.mark.slow
def test_send_the_report_then_find_and_get_it_back(node: DimseNode, study_files: LoadedStudy,
                                                    report_outputs: ReportOutputs, tmp_path: Path) -> None:
    """find → get → open happened above; now the planning report (SR + key images) goes back to the study."""
    sent = service.send(node, report_outputs.files)
    assert [s.path for s in sent] == report_outputs.files
    series = {s.modality: s for s in service.find_series(node, study_files.study_instance_uid)}
    assert series["SR"].number_of_instances == 1
    assert series["OT"].number_of_instances == len(report_outputs.key_images)
    (studies,) = [service.find_studies(node, StudyQuery(patient_id=study_files.patient_id))]
    assert studies[0].number_of_instances == len(study_files.files) + len(report_outputs.files)
    back = service.retrieve(node, study_files.study_instance_uid, tmp_path, series["SR"].series_instance_uid)
    (sr_path,) = back.files
    got, original = pydicom.dcmread(sr_path), pydicom.dcmread(report_outputs.sr)
    assert got.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.34"  # Comprehensive 3D SR (the demo's 3D planimetry)
    assert (got.SOPInstanceUID, got.StudyInstanceUID) == (original.SOPInstanceUID, study_files.study_instance_uid)
    assert got.ContentSequence == original.ContentSequence


def test_send_refuses_a_file_that_is_not_dicom(node: DimseNode, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not DICOM")
    with pytest.raises(PacsConfigError, match=re.escape("notes.txt")):
        service.send(node, [text])


# --- failures ---------------------------------------------------------------------------------


def test_wrong_called_ae_title_is_rejected_plainly(orthanc_factory) -> None:
    strict = orthanc_factory(check_called_aet=True)
    node = DimseNode("NOTTHEPACS", "127.0.0.1", strict.dicom_port, timeout_s=10)
    with pytest.raises(PacsRejectedError, match="it is not called 'NOTTHEPACS'"):
        service.verify(node)
    service.verify(DimseNode(strict.aet, "127.0.0.1", strict.dicom_port, timeout_s=10))


def test_unknown_calling_ae_title_is_refused_plainly(orthanc: OrthancServer) -> None:
    stranger = DimseNode(orthanc.aet, "127.0.0.1", orthanc.dicom_port, calling_ae_title="STRANGER", timeout_s=10)
    with pytest.raises(PacsRejectedError, match="refused the study C-FIND from our AE title 'STRANGER'"):
        service.find_studies(stranger, StudyQuery())


def test_calling_ae_title_rejected_at_association_says_so() -> None:
    """A PACS that rejects unknown calling AE titles (A-ASSOCIATE-RJ, reason 3): here a pynetdicom SCP."""
    from pynetdicom import AE
    from pynetdicom.sop_class import Verification

    scp = AE("STRICTSCP")
    scp.add_supported_context(Verification)
    scp.require_calling_aet = ["SOMEONEELSE"]
    port = free_port()
    server = scp.start_server(("127.0.0.1", port), block=False)
    try:
        with pytest.raises(PacsRejectedError, match="does not know our AE title 'MITRAPLAN'"):
            service.verify(DimseNode("STRICTSCP", "127.0.0.1", port, timeout_s=10))
    finally:
        server.shutdown()


def test_closed_port_says_nothing_answered() -> None:
    node = DimseNode("PACS", "127.0.0.1", free_port(), timeout_s=5)
    with pytest.raises(PacsConnectionError, match=f"Could not connect to 127.0.0.1 port {node.port}"):
        service.verify(node)


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A port that accepts TCP connections (kernel backlog) but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        yield sock.getsockname()[1]


@pytest.mark.slow
def test_peer_that_never_answers_times_out(silent_listener: int) -> None:
    node = DimseNode("PACS", "127.0.0.1", silent_listener, timeout_s=1.5)
    with pytest.raises(PacsTimeoutError, match=re.escape("did not answer the C-ECHO within 1.5 s")):
        service.verify(node)


def test_server_stopped_mid_transfer_leaves_only_complete_files_and_a_rerun_completes(
        orthanc_factory, orthanc: OrthancServer, study_files: LoadedStudy, tmp_path: Path) -> None:
    doomed = orthanc_factory()
    extra = write_stills(tmp_path / "src", study_files.study_instance_uid, 6)
    doomed.upload([*study_files.files.values(), *extra])
    node = DimseNode(doomed.aet, "127.0.0.1", doomed.dicom_port, timeout_s=10)

    def kill_after_first(done: int, _total: int | None) -> None:
        if done >= 1:
            doomed.kill()

    store = tmp_path / "store"
    with pytest.raises(PacsTransferError, match="lost during the C-GET after"):
        service.retrieve(node, study_files.study_instance_uid, store, progress=kill_after_first)
    folder = store / study_files.study_instance_uid
    landed = sorted(folder.iterdir())
    assert landed and all(p.suffix == ".dcm" for p in landed)  # no .part left behind
    assert len(landed) < len(study_files.files) + len(extra)
    for path in landed:  # every file that looks complete is complete
        ds = pydicom.dcmread(path)
        frame = ds.pixel_array if ds.get("NumberOfFrames", 1) == 1 else ds.pixel_array[-1]
        assert frame.shape[:2] == (ds.Rows, ds.Columns)
    # the extra stills are on the doomed server only: a rerun against the session PACS keeps what landed
    result = service.retrieve(parse_node_spec(orthanc.node_spec), study_files.study_instance_uid, store)
    assert {pydicom.dcmread(p).SOPInstanceUID for p in result.files} >= set(study_files.files)
