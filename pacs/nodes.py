"""PACS nodes: what the user configured, parsed from ``AET@HOST:PORT`` or a DICOMweb URL, and saved
as JSON in the user's config directory.

A node is the only place MitraPlan ever connects to (patient data never leaves the machine
otherwise), so every network call takes a node and nothing else.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pacs.errors import PacsConfigError

#: Our AE title unless the user sets another (``--aet``).
DEFAULT_CALLING_AET = "MITRAPLAN"
#: Seconds to wait for a connection, an association answer or a DIMSE/HTTP response.
DEFAULT_TIMEOUT_S = 30.0

NODES_FORMAT, NODES_VERSION = "mitraplan-pacs-nodes", 1

# PS3.5 §6.2: AE is 1-16 characters of the default repertoire without backslash or control characters.
_AE_TITLE = re.compile(r"^[\x20-\x5b\x5d-\x7e]{1,16}$")
_NODE_SPEC = re.compile(r"^(?P<aet>[^@]+)@(?P<host>\[[^\]]+\]|[^:@]+):(?P<port>\d+)$")


@dataclass(frozen=True, slots=True)
class DimseNode:
    """A DIMSE peer: its AE title, host and port, and the AE title we call it with."""

    ae_title: str
    host: str
    port: int
    calling_ae_title: str = DEFAULT_CALLING_AET
    name: str = ""
    timeout_s: float = DEFAULT_TIMEOUT_S
    #: local address a C-MOVE receiver listens on; empty = the one that reaches ``host``
    move_bind: str = ""

    def __post_init__(self) -> None:
        check_ae_title(self.ae_title, "the PACS AE title")
        if self.move_bind in ("0.0.0.0", "::"):
            raise PacsConfigError(f"the C-MOVE receiver address {self.move_bind!r} would listen on every interface;"
                                  " give one local address, or leave it empty")
        check_ae_title(self.calling_ae_title, "our AE title")
        if not self.host:
            raise PacsConfigError("the PACS host is empty")
        if not 1 <= self.port <= 65535:
            raise PacsConfigError(f"the PACS port {self.port} is not between 1 and 65535")
        if self.timeout_s <= 0:
            raise PacsConfigError(f"the timeout {self.timeout_s} s is not positive")

    @property
    def address(self) -> str:
        """``AET@HOST:PORT`` as the user writes it."""
        return f"{self.ae_title}@{self.host}:{self.port}"

    @property
    def label(self) -> str:
        return self.name or self.address


@dataclass(frozen=True, slots=True)
class DicomWebNode:
    """A DICOMweb service: the base URL under which ``studies`` (QIDO/WADO/STOW) lives."""

    url: str
    name: str = ""
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PacsConfigError(f"the DICOMweb URL {self.url!r} is not an http(s) URL with a host")
        if self.timeout_s <= 0:
            raise PacsConfigError(f"the timeout {self.timeout_s} s is not positive")

    @property
    def address(self) -> str:
        return self.url.rstrip("/")

    @property
    def label(self) -> str:
        return self.name or self.address


Node = DimseNode | DicomWebNode


def check_ae_title(value: str, what: str) -> str:
    """``value`` if it is a valid AE title, else a :class:`PacsConfigError` naming ``what``."""
    if not _AE_TITLE.match(value) or not value.strip():
        raise PacsConfigError(f"{what} {value!r} is not a valid AE title (1-16 printable characters, no backslash)")
    return value


def parse_node_spec(spec: str, calling_ae_title: str = DEFAULT_CALLING_AET,
                    timeout_s: float = DEFAULT_TIMEOUT_S) -> DimseNode:
    """``AET@HOST:PORT`` (IPv6 hosts in brackets) → :class:`DimseNode`."""
    match = _NODE_SPEC.match(spec.strip())
    if not match:
        raise PacsConfigError(f"--node {spec!r} is not of the form AET@HOST:PORT")
    host = match["host"].strip("[]")
    return DimseNode(match["aet"], host, int(match["port"]), calling_ae_title, timeout_s=timeout_s)


def node_to_dict(node: Node) -> dict[str, object]:
    """The JSON form of a node (``kind`` says which)."""
    kind = "dimse" if isinstance(node, DimseNode) else "dicomweb"
    return {"kind": kind, **asdict(node)}


def node_from_dict(data: dict[str, object]) -> Node:
    """A node from its JSON form; unknown keys are ignored, a wrong shape is a :class:`PacsConfigError`."""
    fields = {k: v for k, v in data.items() if k != "kind"}
    try:
        if data.get("kind") == "dimse":
            allowed = DimseNode.__dataclass_fields__
            return DimseNode(**{k: v for k, v in fields.items() if k in allowed})  # type: ignore[arg-type]
        if data.get("kind") == "dicomweb":
            allowed = DicomWebNode.__dataclass_fields__
            return DicomWebNode(**{k: v for k, v in fields.items() if k in allowed})  # type: ignore[arg-type]
    except TypeError as exc:
        raise PacsConfigError(f"a saved PACS node is incomplete ({exc})") from exc
    raise PacsConfigError(f"a saved PACS node has an unknown kind {data.get('kind')!r}")


def _user_dir(xdg_variable: str, xdg_default: str, windows_variable: str) -> Path:
    if sys.platform == "win32":
        return Path(os.environ.get(windows_variable) or Path.home() / "AppData" / "Roaming") / "MitraPlan"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "MitraPlan"
    return Path(os.environ.get(xdg_variable) or Path.home() / xdg_default) / "mitraplan"


def user_config_dir() -> Path:
    """Where settings live: ``$XDG_CONFIG_HOME/mitraplan`` (``~/.config``), or the platform's equivalent."""
    return _user_dir("XDG_CONFIG_HOME", ".config", "APPDATA")


def user_data_dir() -> Path:
    """Where retrieved studies live: ``$XDG_DATA_HOME/mitraplan`` (``~/.local/share``), or the platform's equivalent."""
    return _user_dir("XDG_DATA_HOME", ".local/share", "LOCALAPPDATA")


def default_nodes_path() -> Path:
    return user_config_dir() / "pacs-nodes.json"


def load_nodes(path: Path | None = None) -> list[Node]:
    """The saved nodes (none when the file does not exist yet)."""
    path = path or default_nodes_path()
    if not path.exists():
        return []
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PacsConfigError(f"cannot read the PACS node list ({exc})", path) from exc
    if not isinstance(document, dict) or document.get("format") != NODES_FORMAT:
        raise PacsConfigError("not a MitraPlan PACS node list", path)
    if int(document.get("version", 0)) > NODES_VERSION:
        raise PacsConfigError(f"written by a newer MitraPlan (version {document['version']}); not read", path)
    return [node_from_dict(item) for item in document.get("nodes", [])]


def save_nodes(nodes: list[Node], path: Path | None = None) -> Path:
    """Write the node list atomically (temp file + fsync + rename), so a crash never leaves half a file."""
    path = path or default_nodes_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"format": NODES_FORMAT, "version": NODES_VERSION,
                       "nodes": [node_to_dict(n) for n in nodes]}, indent=2)
    handle, temp = tempfile.mkstemp(prefix=path.name, suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def find_node(name: str, nodes: list[Node]) -> Node:
    """The saved node called ``name`` (its name or its address)."""
    for node in nodes:
        if name in (node.name, node.address):
            return node
    known = ", ".join(n.label for n in nodes) or "none saved"
    raise PacsConfigError(f"no PACS node called {name!r} (known: {known})")
