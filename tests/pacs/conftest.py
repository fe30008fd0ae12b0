"""PACS test fixtures: a private Orthanc on 127.0.0.1 and a small US study to load into it.

Each Orthanc gets a config written here (free ports, its own storage folder under tmp, the DICOMweb
plugin), runs in the foreground as a child process, and is stopped at the end (also on failure).
dicom-notes.md §6.2 describes the setup.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, UltrasoundImageStorage, generate_uid

from demo.phantom import write_demo_study
from tests.conftest import find_realdata

ORTHANC = shutil.which("Orthanc") or "/usr/sbin/Orthanc"
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
PACS_AET = "TESTPACS"
OUR_AET = "MITRAPLAN"
#: What demo.phantom.write_demo_study puts in every header (checked in test_dimse/test_cli).
DEMO_PATIENT_NAME, DEMO_PATIENT_ID = "MitraPlan^Demo", "MP-DEMO-0001"
DEMO_STUDY_DATE, DEMO_STUDY_DESCRIPTION = "20260115", "TEE after mitral TEER (demo)"


def _die_with_parent() -> None:
    """In the child: ask Linux to SIGTERM Orthanc when pytest dies, so a crashed run leaves no server behind."""
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class OrthancServer:
    """One Orthanc process on loopback with its own config, storage and log folder."""

    folder: Path
    aet: str = PACS_AET
    check_called_aet: bool = False
    move_port: int = 0
    http_port: int = field(default_factory=free_port)
    dicom_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    real_files: list[Path] = field(default_factory=list)

    @property
    def dicomweb_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/dicom-web"

    @property
    def node_spec(self) -> str:
        return f"{self.aet}@127.0.0.1:{self.dicom_port}"

    def config(self) -> dict[str, object]:
        return {
            "Name": f"mitraplan-test-{self.aet}",
            "StorageDirectory": str(self.folder / "db"), "IndexDirectory": str(self.folder / "db"),
            "HttpPort": self.http_port, "DicomPort": self.dicom_port, "DicomAet": self.aet,
            "RemoteAccessAllowed": False, "AuthenticationEnabled": False,
            "DicomCheckCalledAet": self.check_called_aet, "UnknownSopClassAccepted": True,
            # Our AE may query and retrieve; C-MOVE sends to our temporary storage SCP on move_port.
            "DicomModalities": {OUR_AET: [OUR_AET, "127.0.0.1", self.move_port or 1]},
            "Plugins": [str(DICOMWEB_PLUGIN)] if DICOMWEB_PLUGIN.exists() else [],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
            "StableAge": 1, "DicomScuTimeout": 5,
        }

    def start(self) -> OrthancServer:
        (self.folder / "log").mkdir(parents=True, exist_ok=True)
        config = self.folder / "orthanc.json"
        config.write_text(json.dumps(self.config(), indent=2))
        self.process = subprocess.Popen([ORTHANC, f"--logdir={self.folder / 'log'}", str(config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Orthanc exited with {self.process.returncode}; see {self.folder / 'log'}")
            try:
                self.rest("/system")
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("Orthanc did not answer within 30 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """Stop at once, as a crashed or unplugged server would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def rest(self, path: str, data: bytes | None = None, method: str | None = None) -> object:
        request = urllib.request.Request(f"http://127.0.0.1:{self.http_port}{path}", data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def upload(self, paths: list[Path]) -> None:
        for path in paths:
            self.rest("/instances", data=path.read_bytes(), method="POST")

    def upload_if_accepted(self, paths: list[Path]) -> list[Path]:
        """Upload what Orthanc can parse (its DCMTK refuses, e.g., fo-dicom's malformed private sequence)."""
        accepted = []
        for path in paths:
            try:
                self.rest("/instances", data=path.read_bytes(), method="POST")
                accepted.append(path)
            except urllib.error.HTTPError:
                pass
        return accepted

    def lookup(self, uid: str, level: str) -> list[str]:
        """Orthanc's resource ids for a DICOM UID at ``level`` (Study, Series, Instance)."""
        found = self.rest("/tools/lookup", data=uid.encode(), method="POST")
        return [item["ID"] for item in found if item["Type"] == level]  # type: ignore[union-attr]


@pytest.fixture(scope="session")
def orthanc_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[callable]:
    """Start Orthanc instances on demand; every one is stopped at the end of the session."""
    if not Path(ORTHANC).exists():
        pytest.skip("Orthanc is not installed (make test installs it with tools/system-deps.sh)")
    started: list[OrthancServer] = []

    def start(**options: object) -> OrthancServer:
        server = OrthancServer(folder=tmp_path_factory.mktemp("orthanc"), **options)  # type: ignore[arg-type]
        started.append(server)
        return server.start()

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@dataclass(frozen=True)
class LoadedStudy:
    """The test study: its UIDs, instance count per series, and its files by SOP Instance UID."""

    study_instance_uid: str
    patient_id: str
    series: dict[str, int]
    files: dict[str, Path]
    demo: Any  # demo.phantom.DemoStudy


def _us_dataset(study_uid: str, series_uid: str, sop_class: str, number: int) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    ds.PatientName, ds.PatientID = DEMO_PATIENT_NAME, DEMO_PATIENT_ID
    ds.StudyDate, ds.StudyDescription = DEMO_STUDY_DATE, DEMO_STUDY_DESCRIPTION
    ds.Modality, ds.SeriesNumber, ds.InstanceNumber, ds.SeriesDescription = "US", 90, number, "Native still"
    ds.ReferringPhysicianName, ds.Manufacturer = "", "MitraPlan tests"
    return ds


def write_native_still(path: Path, study_uid: str, series_uid: str, number: int = 1) -> Path:
    """A single-frame grey US image in explicit VR little endian (uncompressed, unlike the demo loops)."""
    ds = _us_dataset(study_uid, series_uid, UltrasoundImageStorage, number)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    pixels = np.arange(48 * 64, dtype=np.uint8).reshape(48, 64)
    ds.set_pixel_data(pixels, photometric_interpretation="MONOCHROME2", bits_stored=8)
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.fixture(scope="session")
def study_files(tmp_path_factory: pytest.TempPathFactory) -> LoadedStudy:
    """The demo study (JPEG baseline loops and Doppler stills) plus one uncompressed still in a series of its own."""
    import pydicom

    folder = tmp_path_factory.mktemp("study")
    demo = write_demo_study(folder / "demo")
    study_uid = str(pydicom.dcmread(next(iter(demo.files.values())), stop_before_pixels=True).StudyInstanceUID)
    paths = [*demo.files.values(), write_native_still(folder / "still.dcm", study_uid, generate_uid())]
    files: dict[str, Path] = {}
    series: dict[str, int] = {}
    for path in paths:
        header = pydicom.dcmread(path, stop_before_pixels=True)
        files[str(header.SOPInstanceUID)] = path
        series[str(header.SeriesInstanceUID)] = series.get(str(header.SeriesInstanceUID), 0) + 1
    return LoadedStudy(study_uid, DEMO_PATIENT_ID, series, files, demo)


@pytest.fixture(scope="session")
def realdata_files() -> list[Path]:
    """Real vendor loops (their own studies) when ``../shared/realdata`` is present, else none."""
    folder = find_realdata()
    return sorted(folder.glob("*.dcm")) if folder else []


@pytest.fixture(scope="session")
def orthanc(orthanc_factory: callable, study_files: LoadedStudy, realdata_files: list[Path]) -> OrthancServer:
    """The session's PACS, with the test study (and the real loops, when present) loaded."""
    server = orthanc_factory(move_port=free_port())
    server.upload(list(study_files.files.values()))
    server.real_files = server.upload_if_accepted(realdata_files)
    return server


@dataclass(frozen=True)
class ReportOutputs:
    """The planning report of the demo case, as the report exporter writes it for the PACS."""

    sr: Path
    key_images: list[Path]

    @property
    def files(self) -> list[Path]:
        return [self.sr, *self.key_images]


@pytest.fixture(scope="session")
def report_outputs(study_files: LoadedStudy, tmp_path_factory: pytest.TempPathFactory, qapp: Any) -> ReportOutputs:
    """``mitraplan report`` of the demo case: report-sr.dcm (Comprehensive SR) and key images (Secondary Capture).

    ``qapp`` first: the report renders with a QGuiApplication, and a later widget test needs a QApplication.
    """
    from demo.case import write_demo_case
    from gui.cli.report import write_case_report

    folder = tmp_path_factory.mktemp("report")
    result = write_case_report(write_demo_case(study_files.demo, folder), folder / "report")
    assert result.sr is not None
    return ReportOutputs(result.sr, list(result.key_images_dicom))


@pytest.fixture
def restore_study(orthanc: OrthancServer, study_files: LoadedStudy) -> Iterator[None]:
    """After a send test, delete the series it added so every test sees the study as loaded."""
    yield
    for study_id in orthanc.lookup(study_files.study_instance_uid, "Study"):
        for series in orthanc.rest(f"/studies/{study_id}/series"):  # type: ignore[union-attr]
            if series["MainDicomTags"]["SeriesInstanceUID"] not in study_files.series:
                orthanc.rest(f"/series/{series['ID']}", method="DELETE")


def write_stills(folder: Path, study_uid: str, count: int) -> list[Path]:
    """``count`` more native stills in one new series (a study long enough to cut a transfer halfway)."""
    folder.mkdir(parents=True, exist_ok=True)
    series_uid = generate_uid()
    return [write_native_still(folder / f"still{k}.dcm", study_uid, series_uid, k + 1) for k in range(count)]
