"""One entry point per PACS operation, for DIMSE and DICOMweb nodes alike (the CLI and the dialog call these)."""

from __future__ import annotations

import threading
from pathlib import Path

from pacs import dicomweb, dimse
from pacs.errors import PacsConfigError
from pacs.nodes import DimseNode, Node
from pacs.query import Progress, RetrieveResult, SentInstance, SeriesSummary, StudyQuery, StudySummary
from pacs.store import StudyFolder


def verify(node: Node) -> None:
    """C-ECHO (DIMSE) or a one-result QIDO-RS search (DICOMweb); raises a typed error when it fails."""
    if isinstance(node, DimseNode):
        dimse.echo(node)
    else:
        dicomweb.echo(node)


def find_studies(node: Node, query: StudyQuery) -> list[StudySummary]:
    """Studies matching ``query``."""
    if isinstance(node, DimseNode):
        return dimse.find_studies(node, query)
    return dicomweb.find_studies(node, query)


def find_series(node: Node, study_instance_uid: str) -> list[SeriesSummary]:
    """The series of one study."""
    if isinstance(node, DimseNode):
        return dimse.find_series(node, study_instance_uid)
    return dicomweb.find_series(node, study_instance_uid)


def retrieve(node: Node, study_instance_uid: str, store_root: Path, series_instance_uid: str | None = None,
             progress: Progress | None = None, cancel: threading.Event | None = None,
             move_port: int | None = None) -> RetrieveResult:
    """Fetch a study (or one series) into ``store_root/<study UID>/``; C-MOVE when ``move_port`` is given."""
    folder = StudyFolder(store_root, study_instance_uid)
    if isinstance(node, DimseNode):
        return dimse.retrieve(node, study_instance_uid, folder, series_instance_uid, progress, cancel, move_port)
    if move_port is not None:
        raise PacsConfigError("--move-port applies to a DIMSE node (--node), not to DICOMweb")
    return dicomweb.retrieve(node, study_instance_uid, folder, series_instance_uid, progress, cancel)


def send(node: Node, paths: list[Path], progress: Progress | None = None,
         cancel: threading.Event | None = None) -> list[SentInstance]:
    """C-STORE or STOW-RS the files, each in its own transfer syntax."""
    if isinstance(node, DimseNode):
        return dimse.send(node, paths, progress, cancel)
    return dicomweb.send(node, paths, progress, cancel)
