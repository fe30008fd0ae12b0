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
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    ExplicitVRLittleEndian,
    JPEGBaseline8Bit,
    UltrasoundImageStorage,
    UltrasoundMultiFrameImageStorage,
    generate_uid,
)

from tests.conftest import REALDATA

ORTHANC = shutil.which("Orthanc") or "/usr/sbin/Orthanc"
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
PACS_AET = "TESTPACS"
OUR_AET = "MITRAPLAN"


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
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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

    def instance_count(self) -> int:
        return int(self.rest("/statistics")["CountInstances"])  # type: ignore[index]


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
    """The test study: its UIDs and the files it was made from (by SOP Instance UID)."""

    study_instance_uid: str
    series_instance_uid: str
    patient_id: str
    files: dict[str, Path]


def _us_dataset(study_uid: str, series_uid: str, sop_class: str, number: int) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    ds.PatientName, ds.PatientID = "Test^Pacs", "MP-PACS-1"
    ds.PatientBirthDate, ds.PatientSex = "19500101", "F"
    ds.StudyDate, ds.StudyTime, ds.StudyID, ds.AccessionNumber = "20260315", "101500", "1", "ACC1"
    ds.StudyDescription, ds.SeriesDescription = "TEE post TEER", "Mitral"
    ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "US", 1, number
    ds.ReferringPhysicianName, ds.Manufacturer = "", "MitraPlan tests"
    return ds


def write_jpeg_loop(path: Path, study_uid: str, series_uid: str, frames: int = 4) -> Path:
    """A small US multi-frame object in JPEG baseline (YBR_FULL_422), like a vendor TEE loop."""
    import simplejpeg

    ds = _us_dataset(study_uid, series_uid, UltrasoundMultiFrameImageStorage, 1)
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    rows, cols = 64, 80
    encoded = []
    for k in range(frames):
        rgb = np.zeros((rows, cols, 3), np.uint8)
        rgb[:, 10 + 5 * k: 20 + 5 * k] = (200, 180, 60)  # a bar that moves: frame order is visible
        encoded.append(simplejpeg.encode_jpeg(rgb, quality=90, colorspace="RGB", colorsubsampling="422"))
    ds.Rows, ds.Columns, ds.NumberOfFrames = rows, cols, frames
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "YBR_FULL_422", 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.FrameTime, ds.FrameIncrementPointer = 33.3, 0x00181063
    ds.LossyImageCompression = "01"
    ds.PixelData = encapsulate(encoded, has_bot=True)
    ds["PixelData"].VR = "OB"
    ds.save_as(path, enforce_file_format=True)
    return path


def write_native_still(path: Path, study_uid: str, series_uid: str) -> Path:
    """A single-frame grey US image in explicit VR little endian."""
    ds = _us_dataset(study_uid, series_uid, UltrasoundImageStorage, 2)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    pixels = np.arange(48 * 64, dtype=np.uint8).reshape(48, 64)
    ds.set_pixel_data(pixels, photometric_interpretation="MONOCHROME2", bits_stored=8)
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.fixture(scope="session")
def study_files(tmp_path_factory: pytest.TempPathFactory) -> LoadedStudy:
    """The test study on disk: a JPEG loop and a native still, plus the real vendor loops when present."""
    folder = tmp_path_factory.mktemp("study")
    study_uid, series_uid = generate_uid(), generate_uid()
    paths = [write_jpeg_loop(folder / "loop.dcm", study_uid, series_uid),
             write_native_still(folder / "still.dcm", study_uid, series_uid)]
    files = {}
    import pydicom

    for path in paths:
        files[pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID] = path
    return LoadedStudy(study_uid, series_uid, "MP-PACS-1", files)


@pytest.fixture(scope="session")
def realdata_files() -> list[Path]:
    """Real vendor loops (their own studies) when ``../shared/realdata`` is present, else none."""
    return sorted(REALDATA.glob("*.dcm")) if REALDATA.is_dir() else []


@pytest.fixture(scope="session")
def orthanc(orthanc_factory: callable, study_files: LoadedStudy, realdata_files: list[Path]) -> OrthancServer:
    """The session's PACS, with the test study (and the real loops, when present) loaded."""
    server = orthanc_factory(move_port=free_port())
    server.upload([*study_files.files.values(), *realdata_files])
    return server


def write_report_sr(path: Path, study: LoadedStudy) -> Path:
    """A small Comprehensive SR in the test study (a stand-in for the report's SR), built with highdicom."""
    import highdicom as hd
    import pydicom
    from pydicom.sr.codedict import codes

    evidence = [pydicom.dcmread(p, stop_before_pixels=True) for p in study.files.values()]
    root = hd.sr.ContainerContentItem(name=codes.DCM.ImagingMeasurementReport, template_id="1500")
    root.ContentSequence = [hd.sr.TextContentItem(name=codes.DCM.Finding, value="Residual MR: moderate",
                                                  relationship_type="CONTAINS")]
    sr = hd.sr.ComprehensiveSR(evidence=evidence, content=root, series_instance_uid=generate_uid(), series_number=99,
                               sop_instance_uid=generate_uid(), instance_number=1, manufacturer="MitraPlan tests")
    sr.save_as(path, enforce_file_format=True)
    return path


def write_stills(folder: Path, study_uid: str, series_uid: str, count: int) -> list[Path]:
    """``count`` more native stills in the same series (a study long enough to cut a transfer halfway)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [write_native_still(folder / f"still{k}.dcm", study_uid, series_uid) for k in range(count)]
