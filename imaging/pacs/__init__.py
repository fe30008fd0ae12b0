"""PACS access: nodes, DIMSE and DICOMweb query/retrieve/send, and the local per-study store.

No Qt here: the ``mitraplan pacs`` command and the query dialog both call :mod:`imaging.pacs.service`.
"""

from imaging.pacs.errors import (
    PacsCancelledError,
    PacsConfigError,
    PacsConnectionError,
    PacsError,
    PacsRejectedError,
    PacsTimeoutError,
    PacsTransferError,
)
from imaging.pacs.nodes import DicomWebNode, DimseNode, Node, load_nodes, parse_node_spec, save_nodes
from imaging.pacs.query import RetrieveResult, SeriesSummary, StudyQuery, StudySummary
from imaging.pacs.service import find_series, find_studies, retrieve, send, verify
from imaging.pacs.store import StudyFolder, default_store_root

__all__ = [
    "DicomWebNode", "DimseNode", "Node", "PacsCancelledError", "PacsConfigError", "PacsConnectionError", "PacsError",
    "PacsRejectedError", "PacsTimeoutError", "PacsTransferError", "RetrieveResult", "SeriesSummary", "StudyFolder",
    "StudyQuery", "StudySummary", "default_store_root", "find_series", "find_studies", "load_nodes",
    "parse_node_spec", "retrieve", "save_nodes", "send", "verify",
]
