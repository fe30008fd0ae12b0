"""DIMSE with pynetdicom: C-ECHO, C-FIND (study, series, image), C-GET, C-MOVE and C-STORE.

Every association goes to the one node passed in, and every failure becomes a typed error with
one plain sentence: nothing listening (closed port), the association rejected (wrong called or
calling AE title), no answer in time, or the connection lost mid-transfer.

Retrieval proposes, for each SOP class of the study, one presentation context per transfer
syntax (JPEG baseline, RLE, explicit/implicit little endian, JPEG lossless...), so the PACS can
send every file in its own encoding: a JPEG loop is neither refused nor transcoded.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import (
    UID,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLosslessSV1,
    JPEGLSLossless,
    RLELossless,
)
from pynetdicom import AE, build_role, evt
from pynetdicom.association import Association
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.events import Event, EventHandlerType
from pynetdicom.pdu import A_ABORT_RQ
from pynetdicom.pdu_primitives import SCP_SCU_RoleSelectionNegotiation
from pynetdicom.sop_class import (  # type: ignore[attr-defined]  # pynetdicom generates these names at import time
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
)

from pacs.errors import (
    PacsCancelledError,
    PacsConfigError,
    PacsConnectionError,
    PacsError,
    PacsRejectedError,
    PacsTimeoutError,
    PacsTransferError,
)
from pacs.nodes import DimseNode
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

log = logging.getLogger(__name__)

#: Transfer syntaxes proposed for retrieval, one presentation context each (PS3.4 Annex C: the SCU
#: proposes the storage contexts of a C-GET, the PACS picks the one that matches each file).
RETRIEVE_TRANSFER_SYNTAXES: tuple[UID, ...] = (
    JPEGBaseline8Bit, RLELossless, ExplicitVRLittleEndian, ImplicitVRLittleEndian,
    JPEGLosslessSV1, JPEGLSLossless, JPEG2000Lossless,
)
#: SOP classes proposed when the PACS does not say which ones the study holds.
COMMON_SOP_CLASSES: tuple[str, ...] = (
    "1.2.840.10008.5.1.4.1.1.3.1",    # US Multi-frame Image
    "1.2.840.10008.5.1.4.1.1.6.1",    # US Image
    "1.2.840.10008.5.1.4.1.1.7",      # Secondary Capture
    "1.2.840.10008.5.1.4.1.1.7.4",    # Multi-frame True Color SC
    "1.2.840.10008.5.1.4.1.1.88.33",  # Comprehensive SR
    "1.2.840.10008.5.1.4.1.1.88.34",  # Comprehensive 3D SR
    "1.2.840.10008.5.1.4.1.1.88.22",  # Enhanced SR
    "1.2.840.10008.5.1.4.1.1.88.59",  # Key Object Selection
    "1.2.840.10008.5.1.4.1.1.104.1",  # Encapsulated PDF
    "1.2.840.10008.5.1.4.1.1.11.2",   # Color Softcopy Presentation State
    "1.2.840.10008.5.1.4.1.1.6.2",    # Enhanced US Volume
)
_MAX_CONTEXTS = 127  # 128 per association (PS3.8), one kept for the query/retrieve model
_PENDING = (0xFF00, 0xFF01)
_UNCOMPRESSED = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)
#: C-STORE status for an instance we refuse to keep (PS3.4 Annex B.2.3: Cxxx "cannot understand")
_REFUSED = 0xC000


@dataclass(frozen=True, slots=True)
class RemoteInstance:
    """One instance a C-FIND at image level reported."""

    sop_instance_uid: str
    sop_class_uid: str
    series_instance_uid: str


def _new_ae(node: DimseNode) -> AE:
    ae = AE(ae_title=node.calling_ae_title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = ae.connection_timeout = node.timeout_s
    return ae


class _Link:
    """An association attempt with ``node`` and what was seen on the wire, to explain a failure plainly."""

    assoc: Association  # set by _association once the association is established

    def __init__(self, node: DimseNode) -> None:
        self.node = node
        self.connected = threading.Event()
        self.peer_aborted = threading.Event()

    def handlers(self) -> list[EventHandlerType]:
        return [(evt.EVT_CONN_OPEN, self._on_connection), (evt.EVT_PDU_RECV, self._on_pdu)]

    def _on_connection(self, _event: Event) -> None:
        self.connected.set()

    def _on_pdu(self, event: Event) -> None:
        if isinstance(event.pdu, A_ABORT_RQ):
            self.peer_aborted.set()

    def refused(self, assoc: Association, what: str, elapsed: float) -> PacsError | PacsConfigError:
        """The error for an association that was not established."""
        node = self.node
        if not self.connected.is_set():
            return PacsConnectionError(f"Could not connect to {node.host} port {node.port} for the {what}: nothing "
                                       "answered there (check the host and port, and that the PACS is running).")
        if assoc.is_rejected:
            rsp = assoc.acceptor.primitive
            source, diagnostic = getattr(rsp, "result_source", None), getattr(rsp, "diagnostic", None)
            if source == 1 and diagnostic == 7:
                return PacsRejectedError(f"The PACS at {node.host}:{node.port} rejected the association: it is not "
                                         f"called {node.ae_title!r} (check the PACS AE title).")
            if source == 1 and diagnostic == 3:
                return PacsRejectedError(f"The PACS {node.address} rejected the association: it does not know our "
                                         f"AE title {node.calling_ae_title!r} (ask for it to be registered, or set --aet).")
            return PacsRejectedError(f"The PACS {node.address} rejected the association "
                                     f"({getattr(rsp, 'reason_str', 'no reason given')}).")
        if elapsed >= 0.9 * node.timeout_s:
            return PacsTimeoutError(f"The PACS {node.address} accepted the connection but did not answer the "
                                    f"{what} within {node.timeout_s:g} s.")
        return PacsTransferError(f"The PACS {node.address} closed the connection without accepting the {what}.")

    def lost(self, what: str, started: float, received: int = 0) -> PacsError | PacsConfigError:
        """The error for a request that got no final answer."""
        node = self.node
        if time.monotonic() - started >= 0.9 * node.timeout_s:
            return PacsTimeoutError(f"The PACS {node.address} did not answer the {what} within {node.timeout_s:g} s.")
        if received:
            return PacsTransferError(f"The connection to {node.address} was lost during the {what} after {received} "
                                     "instance(s); run it again to fetch the rest.")
        if self.peer_aborted.is_set():
            return PacsRejectedError(f"The PACS {node.address} refused the {what} from our AE title "
                                     f"{node.calling_ae_title!r} (is it allowed to query and retrieve there?).")
        return PacsTransferError(f"The connection to {node.address} was lost during the {what}.")


@contextlib.contextmanager
def _association(ae: AE, node: DimseNode, what: str, ext_neg: Sequence[SCP_SCU_RoleSelectionNegotiation] = (),
                 handlers: Sequence[EventHandlerType] = ()) -> Iterator[_Link]:
    """An established association with ``node`` (released on exit, aborted on error) or a typed error."""
    link = _Link(node)
    started = time.monotonic()
    assoc = ae.associate(node.host, node.port, ae_title=node.ae_title, ext_neg=[*ext_neg] or None,
                         evt_handlers=[*link.handlers(), *handlers])
    if not assoc.is_established:
        raise link.refused(assoc, what, time.monotonic() - started)
    link.assoc = assoc
    try:
        yield link
    except BaseException:
        if link.assoc.is_established:
            link.assoc.abort()
        raise
    if link.assoc.is_established:
        link.assoc.release()


def echo(node: DimseNode) -> None:
    """Verify the node with a C-ECHO; returns quietly when it answers success."""
    ae = _new_ae(node)
    ae.add_requested_context(Verification)
    with _association(ae, node, "C-ECHO") as link:
        started = time.monotonic()
        status = link.assoc.send_c_echo()
        if not status:
            raise link.lost("C-ECHO", started)
        if status.Status != 0x0000:
            raise PacsTransferError(f"The PACS {node.address} answered the C-ECHO with status 0x{status.Status:04X}.")


def _find(node: DimseNode, query: Dataset, what: str) -> list[Dataset]:
    ae = _new_ae(node)
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
    with _association(ae, node, what) as link:
        return _find_on(link, query, what)


def _find_on(link: _Link, query: Dataset, what: str) -> list[Dataset]:
    node, matches = link.node, list[Dataset]()
    started = time.monotonic()
    for status, identifier in link.assoc.send_c_find(query, StudyRootQueryRetrieveInformationModelFind):
        if not status:
            raise link.lost(what, started)
        code = status.Status
        if code in _PENDING:
            if identifier is not None:
                matches.append(identifier)
        elif code == 0x0000:
            return matches
        else:
            raise PacsTransferError(f"The PACS {node.address} answered the {what} with failure status 0x{code:04X}.")
    raise link.lost(what, started)


def study_query_dataset(query: StudyQuery) -> Dataset:
    """The C-FIND identifier of a study search: the matching keys plus the return keys we show."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.StudyInstanceUID = ""
    ds.PatientName = query.patient_name
    ds.PatientID = query.patient_id
    ds.StudyDate = query.date_range
    ds.StudyTime = ds.StudyDescription = ds.AccessionNumber = ""
    ds.ModalitiesInStudy = query.modality
    ds.NumberOfStudyRelatedSeries = ds.NumberOfStudyRelatedInstances = None
    return ds


def find_studies(node: DimseNode, query: StudyQuery) -> list[StudySummary]:
    """C-FIND at study level."""
    return [StudySummary.from_dataset(ds) for ds in _find(node, study_query_dataset(query), "study C-FIND")]


def find_series(node: DimseNode, study_instance_uid: str) -> list[SeriesSummary]:
    """C-FIND at series level within one study."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "SERIES"
    ds.StudyInstanceUID = study_instance_uid
    ds.SeriesInstanceUID = ds.Modality = ds.SeriesDescription = ""
    ds.SeriesNumber = ds.NumberOfSeriesRelatedInstances = None
    return [SeriesSummary.from_dataset(m) for m in _find(node, ds, "series C-FIND")]


def find_instances(node: DimseNode, study_instance_uid: str, series_instance_uid: str | None = None) -> list[RemoteInstance]:
    """C-FIND at image level: every instance of the study (or of one series) with its SOP class."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "IMAGE"
    ds.StudyInstanceUID = study_instance_uid
    ds.SeriesInstanceUID = series_instance_uid or ""
    ds.SOPInstanceUID = ds.SOPClassUID = ""
    return [RemoteInstance(str(m.SOPInstanceUID), str(m.get("SOPClassUID", "")), str(m.get("SeriesInstanceUID", "")))
            for m in _find(node, ds, "image C-FIND") if m.get("SOPInstanceUID")]


def nothing_found_message(address: str, study_uid: str, series_uid: str | None) -> str:
    what = f"series {series_uid} of study {study_uid}" if series_uid else f"study {study_uid}"
    return f"The PACS {address} has no instances of {what}."


def _storage_contexts(sop_classes: list[str]) -> list[tuple[str, UID]]:
    """(SOP class, transfer syntax) pairs to propose, one context each, within the 128-context limit."""
    ordered = list(dict.fromkeys([*sop_classes, *COMMON_SOP_CLASSES]))
    per_class = len(RETRIEVE_TRANSFER_SYNTAXES)
    return [(sop, ts) for sop in ordered[: _MAX_CONTEXTS // per_class] for ts in RETRIEVE_TRANSFER_SYNTAXES]


class _Receiver:
    """The C-STORE handler of a retrieve: lands each instance of the requested study atomically in
    its folder, and refuses (reports, never stores) an instance of another study or patient."""

    def __init__(self, folder: StudyFolder, cancel: threading.Event | None, source: str) -> None:
        self.folder, self.cancel, self.source = folder, cancel, source
        self.guard = StudyGuard(folder.study_instance_uid)
        self.received: list[Path] = []
        self.lock = threading.Lock()

    def __call__(self, event: Event) -> int:
        if self.cancel is not None and self.cancel.is_set():
            return 0xA700  # refuse further sub-operations; the caller aborts the association
        sop_uid = str(cast(C_STORE, event.request).AffectedSOPInstanceUID)
        try:
            refusal = self.guard.refusal(event.dataset, f"The PACS {self.source}")
        except Exception:  # noqa: BLE001 - pydicom raises many types on a malformed data set
            refusal = f"The PACS {self.source} sent instance {sop_uid}, which cannot be read: refused, not stored"
            self.guard.refused.append(refusal)
        if refusal is not None:
            log.warning("%s", refusal)
            return _REFUSED
        try:
            path = self.folder.land_bytes(sop_uid, event.encoded_dataset(include_meta=True))
        except OSError:
            log.exception("cannot write %s into %s", sop_uid, self.folder.path)
            return 0xA700  # out of resources
        with self.lock:
            self.received.append(path)
        return 0x0000


def _retrieve_requests(study_uid: str, series_uid: str | None, missing: list[RemoteInstance] | None) -> list[Dataset]:
    """The C-GET/C-MOVE identifiers: the study or series at once, or only the missing instances."""
    if missing is None:
        ds = Dataset()
        ds.QueryRetrieveLevel = "SERIES" if series_uid else "STUDY"
        ds.StudyInstanceUID = study_uid
        if series_uid:
            ds.SeriesInstanceUID = series_uid
        return [ds]
    requests = []
    for instance in missing:
        ds = Dataset()
        ds.QueryRetrieveLevel = "IMAGE"
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = instance.series_instance_uid
        ds.SOPInstanceUID = instance.sop_instance_uid
        requests.append(ds)
    return requests


def retrieve(node: DimseNode, study_instance_uid: str, folder: StudyFolder, series_instance_uid: str | None = None,
             progress: Progress | None = None, cancel: threading.Event | None = None,
             move_port: int | None = None, move_bind: str | None = None) -> RetrieveResult:
    """Fetch a study (or one series) into ``folder`` by C-GET, or by C-MOVE to a temporary storage SCP.

    Leftover ``*.part`` files of an interrupted transfer are removed first; instances already in
    the folder are not fetched again (the missing ones are asked for one by one).
    ``move_port``: use C-MOVE, receiving on that port (the PACS must know our AE title, host and port)
    at ``move_bind``, else the node's ``move_bind``, else the local address that reaches the node
    (never every interface). Instances of another study or patient are refused and listed in
    ``RetrieveResult.refused``.
    """
    result = RetrieveResult(study_instance_uid, folder.path, removed_partials=folder.remove_partials())
    present = folder.present()
    instances = find_instances(node, study_instance_uid, series_instance_uid)
    if not instances:
        raise PacsConfigError(nothing_found_message(node.address, study_instance_uid, series_instance_uid))
    sop_classes = list(dict.fromkeys(i.sop_class_uid for i in instances if i.sop_class_uid))
    result.already_present = [folder.instance_path(i.sop_instance_uid) for i in instances
                              if safe_name(i.sop_instance_uid) in present]
    missing = [i for i in instances if safe_name(i.sop_instance_uid) not in present]
    if not missing:
        return result
    check_cancel(cancel)
    receiver = _Receiver(folder, cancel, node.address)
    total = len(instances) or None
    report = (lambda: progress(len(receiver.received) + len(result.already_present), total)) if progress else (lambda: None)
    requests = _retrieve_requests(study_instance_uid, series_instance_uid,
                                  missing if result.already_present else None)
    if move_port is None:
        _get(node, requests, sop_classes, receiver, report, cancel)
    else:
        bind = move_bind or node.move_bind or local_address_to(node)
        _move(node, requests, sop_classes, receiver, report, cancel, move_port, bind)
    result.received = sorted(receiver.received)
    result.refused = list(receiver.guard.refused)
    return result


def local_address_to(node: DimseNode) -> str:
    """The local IP address this machine uses to reach ``node``: where a C-MOVE receiver listens, so
    it is reachable by the PACS but not opened on every interface.

    A UDP socket's ``connect`` only picks the route (no packet is sent), then ``getsockname`` names it.
    """
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(node.host, node.port, type=socket.SOCK_DGRAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.connect(address)
            return str(probe.getsockname()[0])
    except OSError as exc:
        raise PacsConfigError(f"Cannot tell which local address reaches {node.host} for the C-MOVE ({exc}); set the"
                              " node's move_bind address.") from exc


def _get(node: DimseNode, requests: list[Dataset], sop_classes: list[str], receiver: _Receiver,
         report: Callable[[], None], cancel: threading.Event | None) -> None:
    ae = _new_ae(node)
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    contexts = _storage_contexts(sop_classes)
    for sop, ts in contexts:
        ae.add_requested_context(sop, [ts])
    roles = [build_role(sop, scp_role=True) for sop in dict.fromkeys(s for s, _ in contexts)]
    with _association(ae, node, "C-GET", ext_neg=roles, handlers=[(evt.EVT_C_STORE, receiver)]) as link:
        for request in requests:
            responses = link.assoc.send_c_get(request, StudyRootQueryRetrieveInformationModelGet)
            _follow_retrieve(link, "C-GET", responses, receiver, report, cancel)


def _move(node: DimseNode, requests: list[Dataset], sop_classes: list[str], receiver: _Receiver,
          report: Callable[[], None], cancel: threading.Event | None, port: int, bind: str) -> None:
    ae = _new_ae(node)
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelMove)
    for sop in list(dict.fromkeys([*sop_classes, *COMMON_SOP_CLASSES]))[: _MAX_CONTEXTS]:
        ae.add_supported_context(sop, list(RETRIEVE_TRANSFER_SYNTAXES))
    ae.require_called_aet = True
    ae.require_calling_aet = [node.ae_title]
    try:
        server = ae.start_server((bind, port), block=False, evt_handlers=[(evt.EVT_C_STORE, receiver)])
    except OSError as exc:
        raise PacsConfigError(f"Cannot listen on port {port} for the C-MOVE ({exc.strerror}).") from exc
    try:
        with _association(ae, node, "C-MOVE") as link:
            for request in requests:
                responses = link.assoc.send_c_move(request, node.calling_ae_title, StudyRootQueryRetrieveInformationModelMove)
                _follow_retrieve(link, "C-MOVE", responses, receiver, report, cancel)
    finally:
        if server is not None:  # None only for a blocking server, which this is not
            server.shutdown()


def _follow_retrieve(link: _Link, what: str, responses: Iterator[tuple[Dataset, Dataset | None]],
                     receiver: _Receiver, report: Callable[[], None], cancel: threading.Event | None) -> None:
    """Walk the C-GET/C-MOVE responses: report progress, honour cancel, raise on anything but success."""
    node = link.node
    started = time.monotonic()
    for status, _identifier in responses:
        if cancel is not None and cancel.is_set():
            link.assoc.abort()
            raise PacsCancelledError(f"The {what} from {node.address} was cancelled; "
                                     f"{len(receiver.received)} complete instance(s) were kept.")
        if not status:
            raise link.lost(what, started, len(receiver.received))
        started = time.monotonic()
        code = status.Status
        if code in _PENDING:
            report()
            continue
        report()
        failed = int(status.get("NumberOfFailedSuboperations", 0) or 0)
        if code == 0x0000 or (code == 0xB000 and failed <= len(receiver.guard.refused)):
            return  # every failed sub-operation is one we refused; the result names them
        if code == 0xFE00:
            raise PacsCancelledError(f"The {what} from {node.address} was cancelled.")
        if code in (0xA701, 0xA702, 0xA801) or failed:
            raise PacsTransferError(f"The PACS {node.address} could not send {failed or 'some'} instance(s) "
                                    f"in the {what} (status 0x{code:04X}).")
        raise PacsTransferError(f"The PACS {node.address} answered the {what} with status 0x{code:04X}.")
    raise link.lost(what, started, len(receiver.received))


@dataclass(frozen=True, slots=True)
class _Outgoing:
    path: Path
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str


def read_outgoing(path: Path) -> _Outgoing:
    """The header facts needed to send a file; a file that is not DICOM is a :class:`PacsConfigError`."""
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        return _Outgoing(Path(path), str(ds.SOPClassUID), str(ds.SOPInstanceUID), str(ds.file_meta.TransferSyntaxUID))
    except (InvalidDicomError, AttributeError, OSError, ValueError) as exc:
        raise PacsConfigError(f"cannot be sent: not a readable DICOM file with a SOP class and instance ({exc})",
                              path) from exc


def send(node: DimseNode, paths: list[Path], progress: Progress | None = None,
         cancel: threading.Event | None = None) -> list[SentInstance]:
    """C-STORE the files, each in its own transfer syntax (plus the other uncompressed one as a fallback)."""
    outgoing = [read_outgoing(Path(p)) for p in paths]
    ae = _new_ae(node)
    contexts = list(dict.fromkeys(
        (o.sop_class_uid, ts) for o in outgoing
        for ts in ((o.transfer_syntax_uid, *_UNCOMPRESSED) if o.transfer_syntax_uid in _UNCOMPRESSED else (o.transfer_syntax_uid,))))
    if len(contexts) > _MAX_CONTEXTS + 1:
        raise PacsConfigError(f"{len(contexts)} SOP class/transfer syntax pairs do not fit one association (128); "
                              "send the files in smaller groups")
    for sop, ts in contexts:
        ae.add_requested_context(sop, [ts])
    sent: list[SentInstance] = []
    with _association(ae, node, "C-STORE") as link:
        for item in outgoing:
            check_cancel(cancel)
            started = time.monotonic()
            try:
                status = link.assoc.send_c_store(item.path)
            except ValueError as exc:  # no accepted context for this SOP class / transfer syntax
                raise PacsRejectedError(f"The PACS {node.address} does not accept {item.path.name} "
                                        f"(SOP class {item.sop_class_uid}, transfer syntax {item.transfer_syntax_uid}).") from exc
            if not status:
                raise link.lost("C-STORE", started, len(sent))
            if status.Status not in (0x0000, 0xB000, 0xB006, 0xB007):
                raise PacsTransferError(f"The PACS {node.address} refused {item.path.name} with status 0x{status.Status:04X}.")
            sent.append(SentInstance(item.path, item.sop_instance_uid, item.sop_class_uid))
            if progress:
                progress(len(sent), len(outgoing))
    return sent
