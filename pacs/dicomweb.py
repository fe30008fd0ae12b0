"""DICOMweb with dicomweb-client: QIDO-RS search, WADO-RS retrieve, STOW-RS send.

The HTTP session ignores proxy and ``.netrc`` settings from the environment (``trust_env``
off), so requests go straight to the configured base URL and nowhere else. Instances are asked
for in their stored transfer syntax (``transfer-syntax=*``), so JPEG loops come back as sent.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

import pydicom
import requests
from dicomweb_client.api import DICOMwebClient
from pydicom.dataset import Dataset

from pacs.dimse import RemoteInstance, nothing_found_message, read_outgoing
from pacs.errors import (
    PacsConfigError,
    PacsConnectionError,
    PacsRejectedError,
    PacsTimeoutError,
    PacsTransferError,
)
from pacs.nodes import DicomWebNode
from pacs.query import (
    Progress,
    RetrieveResult,
    SentInstance,
    SeriesSummary,
    StudyQuery,
    StudySummary,
    check_cancel,
)
from pacs.store import StudyFolder, StudyGuard, safe_name

#: Ask for each instance in the transfer syntax the server stored (PS3.18 §8.7.3.5.2).
NATIVE_DICOM = (("application/dicom", "*"),)
STUDY_FIELDS = ("StudyDescription", "StudyTime", "AccessionNumber", "ModalitiesInStudy",
                "NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances")


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy, no .netrc: only the configured URL is ever contacted
    return session


def _client(node: DicomWebNode) -> DICOMwebClient:
    return DICOMwebClient(url=node.address, session=_session(), timeout=node.timeout_s)


def _qido(node: DicomWebNode, path: str, params: dict[str, str], fields: tuple[str, ...]) -> list[Dataset]:
    """One QIDO-RS GET. Wildcards ``*``/``?`` go unescaped: Orthanc does not match a percent-encoded ``*``."""
    pairs = [*params.items(), *(("includefield", f) for f in fields)]
    query = "&".join(f"{quote(k)}={quote(v, safe='*?,-')}" for k, v in pairs)
    response = _session().get(f"{node.address}/{path}" + (f"?{query}" if query else ""),
                              headers={"Accept": "application/dicom+json"}, timeout=node.timeout_s)
    response.raise_for_status()
    return [Dataset.from_json(item) for item in response.json()] if response.content else []


@contextlib.contextmanager
def _plain_errors(node: DicomWebNode, what: str) -> Iterator[None]:
    """Turn requests' exceptions into our typed errors with one sentence."""
    try:
        yield
    except requests.Timeout as exc:
        raise PacsTimeoutError(f"The DICOMweb service {node.address} did not answer the {what} within "
                               f"{node.timeout_s:g} s.") from exc
    except requests.ConnectionError as exc:
        raise PacsConnectionError(f"Could not connect to the DICOMweb service {node.address} for the {what} "
                                  "(check the URL and that the server is running).") from exc
    except requests.HTTPError as exc:
        code = exc.response.status_code if exc.response is not None else 0
        if code in (401, 403):
            raise PacsRejectedError(f"The DICOMweb service {node.address} refused the {what} "
                                    f"(HTTP {code}: not authorised).") from exc
        if code == 404:
            raise PacsConfigError(f"The DICOMweb service {node.address} has no such resource for the {what} "
                                  "(HTTP 404: check the base URL).") from exc
        raise PacsTransferError(f"The DICOMweb service {node.address} failed the {what} (HTTP {code}).") from exc
    except requests.RequestException as exc:
        raise PacsTransferError(f"The {what} with {node.address} failed ({exc}).") from exc


def echo(node: DicomWebNode) -> None:
    """Verify the node with a one-result QIDO-RS study search."""
    with _plain_errors(node, "QIDO-RS check"):
        _qido(node, "studies", {"limit": "1"}, ())


def _filters(query: StudyQuery) -> dict[str, str]:
    keys = {"PatientID": query.patient_id, "PatientName": query.patient_name,
            "StudyDate": query.date_range, "ModalitiesInStudy": query.modality}
    return {k: v for k, v in keys.items() if v}


def find_studies(node: DicomWebNode, query: StudyQuery) -> list[StudySummary]:
    """QIDO-RS study search."""
    with _plain_errors(node, "QIDO-RS study search"):
        found = _qido(node, "studies", _filters(query), STUDY_FIELDS)
    return [StudySummary.from_dataset(ds) for ds in found]


def find_series(node: DicomWebNode, study_instance_uid: str) -> list[SeriesSummary]:
    """QIDO-RS series search within one study."""
    with _plain_errors(node, "QIDO-RS series search"):
        found = _qido(node, f"studies/{quote(study_instance_uid)}/series", {},
                      ("SeriesDescription", "SeriesNumber", "NumberOfSeriesRelatedInstances"))
    return [SeriesSummary.from_dataset(ds) for ds in found]


def find_instances(node: DicomWebNode, study_instance_uid: str, series_instance_uid: str | None = None) -> list[RemoteInstance]:
    """QIDO-RS instance search: every instance of the study (or one series) with its SOP class."""
    path = f"studies/{quote(study_instance_uid)}" + (f"/series/{quote(series_instance_uid)}" if series_instance_uid else "")
    with _plain_errors(node, "QIDO-RS instance search"):
        found = _qido(node, f"{path}/instances", {}, ("SOPClassUID", "SeriesInstanceUID"))
    return [RemoteInstance(str(ds.SOPInstanceUID), str(ds.get("SOPClassUID", "")), str(ds.get("SeriesInstanceUID", "")))
            for ds in found if ds.get("SOPInstanceUID")]


def _file_writer(ds: Dataset) -> Callable[[BinaryIO], None]:
    """A writer of ``ds`` as a DICOM file (with its meta header) into the stream it is given."""
    def write(out: BinaryIO) -> None:
        pydicom.dcmwrite(out, ds, enforce_file_format=True)
    return write


def retrieve(node: DicomWebNode, study_instance_uid: str, folder: StudyFolder, series_instance_uid: str | None = None,
             progress: Progress | None = None, cancel: threading.Event | None = None) -> RetrieveResult:
    """WADO-RS: fetch each instance of the study (or series) not yet in ``folder``, in its stored transfer syntax.

    An instance of another study or patient is refused, not stored, and named in ``RetrieveResult.refused``.
    """
    result = RetrieveResult(study_instance_uid, folder.path, removed_partials=folder.remove_partials())
    present = folder.present()
    instances = find_instances(node, study_instance_uid, series_instance_uid)
    if not instances:
        raise PacsConfigError(nothing_found_message(node.address, study_instance_uid, series_instance_uid))
    client = _client(node)
    guard = StudyGuard(study_instance_uid)
    for instance in instances:
        check_cancel(cancel)
        if safe_name(instance.sop_instance_uid) in present:
            result.already_present.append(folder.instance_path(instance.sop_instance_uid))
        else:
            with _plain_errors(node, "WADO-RS retrieve"):
                ds = client.retrieve_instance(study_instance_uid, instance.series_instance_uid,
                                              instance.sop_instance_uid, media_types=NATIVE_DICOM)
            if guard.refusal(ds, f"The DICOMweb service {node.address}") is None:
                result.received.append(folder.land(instance.sop_instance_uid, _file_writer(ds)))
        if progress:
            progress(len(result.received) + len(result.already_present), len(instances))
    result.refused = list(guard.refused)
    return result


def send(node: DicomWebNode, paths: list[Path], progress: Progress | None = None,
         cancel: threading.Event | None = None) -> list[SentInstance]:
    """STOW-RS the files one by one (each in its own transfer syntax); a refused instance is an error."""
    outgoing = [read_outgoing(Path(p)) for p in paths]
    client = _client(node)
    sent: list[SentInstance] = []
    for item in outgoing:
        check_cancel(cancel)
        with _plain_errors(node, "STOW-RS send"):
            answer = client.store_instances([pydicom.dcmread(item.path)])
        failed = answer.get("FailedSOPSequence") if answer is not None else None
        if failed:
            reason = failed[0].get("FailureReason", "no reason given")
            raise PacsTransferError(f"The DICOMweb service {node.address} refused {item.path.name} (reason {reason}).")
        sent.append(SentInstance(item.path, item.sop_instance_uid, item.sop_class_uid))
        if progress:
            progress(len(sent), len(outgoing))
    return sent
