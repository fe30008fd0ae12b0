"""``mitraplan pacs``: JSON on stdout, one sentence on stderr and the documented exit codes on failure."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pydicom
import pytest

from gui.main import main
from tests.pacs.conftest import (
    DEMO_PATIENT_NAME,
    DEMO_STUDY_DATE,
    DEMO_STUDY_DESCRIPTION,
    LoadedStudy,
    OrthancServer,
    ReportOutputs,
    free_port,
)

pytestmark = pytest.mark.external


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, object, str]:
    code = main(["pacs", *argv])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def test_find_prints_a_json_list_of_studies(orthanc: OrthancServer, study_files: LoadedStudy, capsys) -> None:
    code, studies, err = run(capsys, "find", "--node", orthanc.node_spec, "--patient-id", study_files.patient_id,
                             "--date-from", "20260101", "--date-to", "20261231", "--modality", "US")
    assert (code, err) == (0, "")
    assert len(studies) == 1  # type: ignore[arg-type]
    study = studies[0]  # type: ignore[index]
    assert set(study) == {"study_instance_uid", "patient_name", "patient_id", "study_date", "study_time",
                          "description", "accession_number", "modalities", "number_of_series", "number_of_instances"}
    assert (study["study_instance_uid"], study["patient_name"], study["patient_id"], study["study_date"],
            study["description"], study["modalities"], study["number_of_series"], study["number_of_instances"]) == (
        study_files.study_instance_uid, DEMO_PATIENT_NAME, study_files.patient_id, DEMO_STUDY_DATE,
        DEMO_STUDY_DESCRIPTION, ["US"], len(study_files.series), len(study_files.files))


@pytest.mark.usefixtures("restore_study")
@pytest.mark.slow
def test_get_then_send_by_dimse_and_dicomweb(orthanc: OrthancServer, study_files: LoadedStudy, tmp_path: Path,
                                             report_outputs: ReportOutputs, capsys) -> None:
    code, summary, _ = run(capsys, "get", "--node", orthanc.node_spec, "--study", study_files.study_instance_uid,
                           "--out", str(tmp_path / "dimse"))
    assert code == 0 and summary["received"] == len(study_files.files)  # type: ignore[index]
    assert {pydicom.dcmread(p).SOPInstanceUID for p in summary["files"]} == set(study_files.files)  # type: ignore[index]
    code, summary, _ = run(capsys, "get", "--dicomweb", orthanc.dicomweb_url, "--study", study_files.study_instance_uid,
                           "--out", str(tmp_path / "web"))
    assert code == 0 and summary["received"] == len(study_files.files)  # type: ignore[index]
    files = [str(p) for p in report_outputs.files]
    for where in (["--node", orthanc.node_spec], ["--dicomweb", orthanc.dicomweb_url]):
        code, sent, err = run(capsys, "send", *where, *files)
        assert (code, err) == (0, "")
        assert [item["sop_instance_uid"] for item in sent] == [  # type: ignore[union-attr]
            pydicom.dcmread(p).SOPInstanceUID for p in files]


def test_echo_json(orthanc: OrthancServer, capsys) -> None:
    assert run(capsys, "echo", "--node", orthanc.node_spec) == (0, {"node": orthanc.node_spec, "verified": True}, "")


@pytest.mark.parametrize(("argv", "exit_code", "sentence"), [
    (["echo", "--node", "PACS@127.0.0.1:{closed}"], 3, "Could not connect to 127.0.0.1 port"),
    (["find", "--node", "{spec}", "--aet", "STRANGER"], 3, "refused the study C-FIND from our AE title 'STRANGER'"),
    (["echo", "--node", "PACS@127.0.0.1:{silent}", "--timeout", "1"], 1, "did not answer the C-ECHO within 1 s"),
    (["echo", "--node", "PACS@127.0.0.1"], 3, "is not of the form AET@HOST:PORT"),
    (["echo", "--node", "Unsaved PACS"], 3, "no PACS node called 'Unsaved PACS'"),
    (["find", "--node", "{spec}", "--date-from", "2026-01-01"], 3, "--date-from '2026-01-01' is not a date"),
    (["echo", "--dicomweb", "http://127.0.0.1:{closed}/dicom-web"], 3, "Could not connect to the DICOMweb service"),
])
def test_failures_exit_non_zero_with_one_plain_sentence(orthanc: OrthancServer, capsys, argv: list[str],
                                                        exit_code: int, sentence: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no saved nodes
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        values = {"closed": free_port(), "spec": orthanc.node_spec, "silent": silent.getsockname()[1]}
        code, out, err = run(capsys, *[a.format(**values) for a in argv])
    assert code == exit_code and out is None
    assert sentence in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_wrong_called_ae_title_exits_3(orthanc_factory, capsys) -> None:
    strict = orthanc_factory(check_called_aet=True)
    code, _, err = run(capsys, "echo", "--node", f"WRONG@127.0.0.1:{strict.dicom_port}")
    assert code == 3 and "it is not called 'WRONG'" in err and len(err.strip().splitlines()) == 1


def test_saved_node_is_usable_by_name(orthanc: OrthancServer, tmp_path: Path, capsys,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from pacs import nodes

    monkeypatch.setattr(nodes.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    nodes.save_nodes([nodes.DimseNode(orthanc.aet, "127.0.0.1", orthanc.dicom_port, name="Test PACS")])
    assert run(capsys, "echo", "--node", "Test PACS")[0] == 0


@pytest.mark.usefixtures("restore_study")
@pytest.mark.slow
def test_no_connection_goes_anywhere_but_the_node(orthanc: OrthancServer, study_files: LoadedStudy, tmp_path: Path,
                                                  report_outputs: ReportOutputs, capsys,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Every outgoing connect of find, get (C-GET, C-MOVE, WADO) and send goes to the node's host and port."""
    addresses: list[object] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self: socket.socket, address: object) -> None:
        addresses.append(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        addresses.append(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    move_port = str(orthanc.config()["DicomModalities"]["MITRAPLAN"][2])  # type: ignore[index]
    sr = report_outputs.sr
    study = study_files.study_instance_uid
    for where, port in ((["--node", orthanc.node_spec], orthanc.dicom_port),
                        (["--dicomweb", orthanc.dicomweb_url], orthanc.http_port)):
        addresses.clear()
        assert run(capsys, "find", *where, "--patient-id", study_files.patient_id, "--series")[0] == 0
        assert run(capsys, "get", *where, "--study", study, "--out", str(tmp_path / str(port)))[0] == 0
        if where[0] == "--node":
            assert run(capsys, "get", *where, "--study", study, "--out", str(tmp_path / "move"),
                       "--move-port", move_port)[0] == 0
        assert run(capsys, "send", *where, str(sr))[0] == 0
        assert addresses and {a[:2] for a in addresses} == {("127.0.0.1", port)}  # type: ignore[index]
