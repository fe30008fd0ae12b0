"""A PACS that answers a retrieve with instances of another study (issue 17): each is refused, named in
the result and never stored in the requested study's folder; the C-MOVE receiver does not listen on
every interface.

The hostile DIMSE peer is an in-process pynetdicom Q/R SCP that imitates a misconfigured PACS whose
C-GET of study A also sends an instance of study B (a wrong merge, or a hostile node)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, UltrasoundImageStorage, generate_uid
from pynetdicom import AE, evt
from pynetdicom.events import Event
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
)

from gui.main import main
from pacs import dicomweb, dimse, service
from pacs.errors import PacsConfigError
from pacs.nodes import DicomWebNode, DimseNode, node_from_dict, node_to_dict
from pacs.store import StudyGuard
from tests.pacs.conftest import OUR_AET, LoadedStudy, OrthancServer, free_port, write_native_still

HOSTILE_AET = "HOSTILE"


@pytest.fixture
def hostile_pacs(tmp_path: Path) -> Iterator[tuple[DimseNode, str, str, Path]]:
    """A Q/R SCP whose image C-FIND lists two instances of study A, and whose C-GET sends those two
    plus one instance of study B. Yields (node, study A, study B, the foreign file)."""
    study_a, study_b, series = generate_uid(), generate_uid(), generate_uid()
    own = [write_native_still(tmp_path / f"a{k}.dcm", study_a, series, k + 1) for k in range(2)]
    foreign = write_native_still(tmp_path / "b.dcm", study_b, generate_uid())

    def on_find(event: Event) -> Iterator[tuple[int, Dataset | None]]:
        for path in own:
            header = pydicom.dcmread(path, stop_before_pixels=True)
            found = Dataset()
            found.QueryRetrieveLevel = "IMAGE"
            found.StudyInstanceUID, found.SeriesInstanceUID = header.StudyInstanceUID, header.SeriesInstanceUID
            found.SOPInstanceUID, found.SOPClassUID = header.SOPInstanceUID, header.SOPClassUID
            yield 0xFF00, found

    def on_get(event: Event) -> Iterator[Any]:
        yield 3
        for path in (own[0], foreign, own[1]):
            yield 0xFF00, pydicom.dcmread(path)

    ae = AE(ae_title=HOSTILE_AET)
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelFind)
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelGet)
    ae.add_supported_context(UltrasoundImageStorage, [ExplicitVRLittleEndian], scu_role=False, scp_role=True)
    port = free_port()
    server = ae.start_server(("127.0.0.1", port), block=False,
                             evt_handlers=[(evt.EVT_C_FIND, on_find), (evt.EVT_C_GET, on_get)])
    try:
        yield DimseNode(HOSTILE_AET, "127.0.0.1", port, OUR_AET, timeout_s=10), study_a, study_b, foreign
    finally:
        server.shutdown()


def test_cget_instance_of_another_study_is_refused_reported_and_not_stored(
        hostile_pacs: tuple[DimseNode, str, str, Path], tmp_path: Path) -> None:
    node, study_a, study_b, foreign = hostile_pacs
    foreign_uid = str(pydicom.dcmread(foreign, stop_before_pixels=True).SOPInstanceUID)
    result = service.retrieve(node, study_a, tmp_path / "store")
    assert len(result.received) == 2
    assert {str(pydicom.dcmread(p).StudyInstanceUID) for p in result.files} == {study_a}
    stored = {p.stem for p in (tmp_path / "store").rglob("*.dcm")}
    assert foreign_uid not in stored and len(stored) == 2
    assert result.refused == [f"The PACS {node.address} sent instance {foreign_uid} of study {study_b}, not of the"
                              f" requested study {study_a}: refused, not stored"]
    assert result.to_json()["refused"] == result.refused


def test_cli_get_names_the_refused_instance_on_stderr(hostile_pacs: tuple[DimseNode, str, str, Path], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    node, study_a, study_b, _foreign = hostile_pacs
    assert main(["pacs", "get", "--node", node.address, "--study", study_a, "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["received"] == 2
    assert f"mitraplan pacs get: The PACS {node.address} sent instance" in captured.err
    assert f"of study {study_b}, not of the requested study {study_a}: refused, not stored" in captured.err


def test_an_instance_of_another_patient_in_the_same_study_is_refused() -> None:
    """Same Study Instance UID, another Patient ID: a UID collision or a wrong merge; the first instance sets the patient."""
    guard = StudyGuard("1.2.3")
    first, other = Dataset(), Dataset()
    first.SOPInstanceUID, first.StudyInstanceUID, first.PatientID = "1.2.3.1", "1.2.3", "PID-1"
    other.SOPInstanceUID, other.StudyInstanceUID, other.PatientID = "1.2.3.2", "1.2.3", "PID-2"
    assert guard.refusal(first, "The PACS X") is None
    assert guard.refusal(other, "The PACS X") == (
        "The PACS X sent instance 1.2.3.2 of study 1.2.3 for patient ID 'PID-2', but the study's other instances are"
        " of patient ID 'PID-1': refused, not stored")
    assert len(guard.refused) == 1


def test_wado_instance_of_another_study_is_refused_and_not_stored(
        orthanc: OrthancServer, study_files: LoadedStudy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The DICOMweb service lists the study's instances (real QIDO), then WADO-RS returns another study for one."""
    stranger = pydicom.dcmread(write_native_still(tmp_path / "other.dcm", generate_uid(), generate_uid()))
    real = dicomweb.DICOMwebClient.retrieve_instance
    calls: list[str] = []

    def retrieve_instance(self: Any, study: str, series: str, sop: str, **kw: Any) -> Dataset:
        calls.append(sop)
        return stranger if len(calls) == 1 else real(self, study, series, sop, **kw)

    monkeypatch.setattr(dicomweb.DICOMwebClient, "retrieve_instance", retrieve_instance)
    node = DicomWebNode(orthanc.dicomweb_url)
    result = service.retrieve(node, study_files.study_instance_uid, tmp_path / "store")
    assert len(result.received) == len(study_files.files) - 1
    assert result.refused == [f"The DICOMweb service {node.address} sent instance {stranger.SOPInstanceUID} of study"
                              f" {stranger.StudyInstanceUID}, not of the requested study"
                              f" {study_files.study_instance_uid}: refused, not stored"]
    assert str(stranger.SOPInstanceUID) not in {p.stem for p in (tmp_path / "store").rglob("*.dcm")}


def test_move_receiver_binds_to_the_address_that_reaches_the_pacs(
        orthanc: OrthancServer, study_files: LoadedStudy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """By default the storage SCP of a C-MOVE listens on the local address of the route to the node
    (here loopback), not on 0.0.0.0."""
    binds: list[tuple[str, int]] = []
    start = AE.start_server

    def spy(self: AE, address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        binds.append(address)
        return start(self, address, *args, **kwargs)

    monkeypatch.setattr(AE, "start_server", spy)
    node = DimseNode(orthanc.aet, "127.0.0.1", orthanc.dicom_port, OUR_AET, timeout_s=10)
    move_port = orthanc.config()["DicomModalities"][OUR_AET][2]  # type: ignore[index]
    result = service.retrieve(node, study_files.study_instance_uid, tmp_path, move_port=move_port)
    assert len(result.files) == len(study_files.files)
    assert binds == [("127.0.0.1", move_port)]


def test_local_address_to_a_node_is_the_routes_source_not_every_interface() -> None:
    assert dimse.local_address_to(DimseNode("PACS", "127.0.0.1", 104)) == "127.0.0.1"
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("::1", 0))
        except OSError:
            return  # no IPv6 loopback on this machine
    assert dimse.local_address_to(DimseNode("PACS", "::1", 104)) == "::1"


def test_the_user_can_set_the_receiver_address_but_not_every_interface() -> None:
    node = DimseNode("PACS", "pacs.example", 104, move_bind="10.0.0.5")
    assert node_from_dict(node_to_dict(node)) == node
    for everywhere in ("0.0.0.0", "::"):
        with pytest.raises(PacsConfigError, match="every interface"):
            DimseNode("PACS", "pacs.example", 104, move_bind=everywhere)
