"""DICOMweb (QIDO-RS, WADO-RS, STOW-RS) against the same Orthanc, through its DICOMweb plugin."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pydicom
import pytest

from pacs import PacsConfigError, PacsConnectionError, PacsTimeoutError, StudyQuery, service
from pacs.nodes import DicomWebNode
from tests.pacs.conftest import DICOMWEB_PLUGIN, LoadedStudy, OrthancServer, ReportOutputs, free_port

pytestmark = [pytest.mark.external,
              pytest.mark.skipif(not DICOMWEB_PLUGIN.exists(), reason="orthanc-dicomweb is not installed")]


@pytest.fixture
def web(orthanc: OrthancServer) -> DicomWebNode:
    return DicomWebNode(orthanc.dicomweb_url, timeout_s=20)


def test_qido_ping_verifies(web: DicomWebNode) -> None:
    service.verify(web)


def test_qido_finds_the_study_with_counts(web: DicomWebNode, study_files: LoadedStudy) -> None:
    studies = service.find_studies(web, StudyQuery(patient_name="MitraPlan*", modality="US",
                                                   date_from="20260101", date_to="20260131"))
    assert [s.study_instance_uid for s in studies] == [study_files.study_instance_uid]
    assert (studies[0].patient_id, studies[0].number_of_series, studies[0].number_of_instances) == (
        study_files.patient_id, len(study_files.series), len(study_files.files))
    assert service.find_studies(web, StudyQuery(patient_id="NOBODY")) == []


def test_wado_retrieve_keeps_each_transfer_syntax(web: DicomWebNode, study_files: LoadedStudy, tmp_path: Path) -> None:
    result = service.retrieve(web, study_files.study_instance_uid, tmp_path)
    assert len(result.received) == len(study_files.files)
    for path in result.files:
        got = pydicom.dcmread(path)
        sent = pydicom.dcmread(study_files.files[got.SOPInstanceUID])
        assert got.file_meta.TransferSyntaxUID == sent.file_meta.TransferSyntaxUID
        assert got.PixelData == sent.PixelData
    again = service.retrieve(web, study_files.study_instance_uid, tmp_path)
    assert (len(again.received), len(again.already_present)) == (0, len(study_files.files))


@pytest.mark.usefixtures("restore_study")
def test_stow_sends_the_report_and_qido_finds_it_back(web: DicomWebNode, study_files: LoadedStudy,
                                                      report_outputs: ReportOutputs, tmp_path: Path) -> None:
    service.send(web, report_outputs.files)
    series = {s.modality: s for s in service.find_series(web, study_files.study_instance_uid)}
    assert (series["SR"].number_of_instances, series["OT"].number_of_instances) == (1, len(report_outputs.key_images))
    back = service.retrieve(web, study_files.study_instance_uid, tmp_path / "back", series["SR"].series_instance_uid)
    assert [pydicom.dcmread(p).SOPInstanceUID for p in back.files] == [pydicom.dcmread(report_outputs.sr).SOPInstanceUID]


def test_unknown_study_is_a_plain_input_error(web: DicomWebNode, tmp_path: Path) -> None:
    with pytest.raises(PacsConfigError, match=re.escape("has no instances of study 1.2.3.4")):
        service.retrieve(web, "1.2.3.4", tmp_path)


def test_wrong_base_url_is_a_plain_input_error(orthanc: OrthancServer) -> None:
    node = DicomWebNode(f"http://127.0.0.1:{orthanc.http_port}/not-dicom-web", timeout_s=10)
    with pytest.raises(PacsConfigError, match="HTTP 404: check the base URL"):
        service.find_studies(node, StudyQuery())


def test_closed_port(tmp_path: Path) -> None:
    with pytest.raises(PacsConnectionError, match="Could not connect to the DICOMweb service"):
        service.verify(DicomWebNode(f"http://127.0.0.1:{free_port()}/dicom-web", timeout_s=5))


@pytest.mark.slow
def test_server_that_never_answers_times_out() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        node = DicomWebNode(f"http://127.0.0.1:{sock.getsockname()[1]}/dicom-web", timeout_s=1.5)
        with pytest.raises(PacsTimeoutError, match=re.escape("did not answer the QIDO-RS check within 1.5 s")):
            service.verify(node)
