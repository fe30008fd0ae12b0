"""PACS access: nodes, DIMSE and DICOMweb query/retrieve/send, and the local per-study store.

No Qt here: the ``mitraplan pacs`` command and the query dialog both call :mod:`pacs.service`.
"""

from pacs.errors import (
    PacsCancelledError,
    PacsConfigError,
    PacsConnectionError,
    PacsError,
    PacsRejectedError,
    PacsTimeoutError,
    PacsTransferError,
)
from pacs.nodes import DicomWebNode, DimseNode, Node, load_nodes, parse_node_spec, save_nodes
from pacs.query import RetrieveResult, SeriesSummary, StudyQuery, StudySummary
from pacs.service import find_series, find_studies, retrieve, send, verify
from pacs.store import StudyFolder, default_store_root

__all__ = [
    "DicomWebNode", "DimseNode", "Node", "PacsCancelledError", "PacsConfigError", "PacsConnectionError", "PacsError",
    "PacsRejectedError", "PacsTimeoutError", "PacsTransferError", "RetrieveResult", "SeriesSummary", "StudyFolder",
    "StudyQuery", "StudySummary", "default_store_root", "find_series", "find_studies", "load_nodes",
    "parse_node_spec", "retrieve", "save_nodes", "send", "verify",
]
