"""Node parsing and the saved node list (JSON in the user's config directory)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from imaging.errors import InputError
from pacs import nodes
from pacs.nodes import DicomWebNode, DimseNode, find_node, load_nodes, parse_node_spec, save_nodes


def test_node_spec_gives_called_aet_host_port_and_our_aet() -> None:
    node = parse_node_spec("TESTPACS@pacs.example.org:11112", "ECHO1")
    assert (node.ae_title, node.host, node.port, node.calling_ae_title) == ("TESTPACS", "pacs.example.org", 11112, "ECHO1")
    assert node.address == "TESTPACS@pacs.example.org:11112"


def test_node_spec_takes_ipv6_in_brackets() -> None:
    assert parse_node_spec("PACS@[::1]:104").host == "::1"


@pytest.mark.parametrize("spec", ["PACS@host", "host:104", "PACS@host:port", "@host:104", "PACS@host:70000",
                                  "A_TITLE_LONGER_THAN_16@host:104", "BACK\\SLASH@host:104"])
def test_bad_node_spec_is_an_input_error_naming_the_problem(spec: str) -> None:
    with pytest.raises(InputError, match=r"AET@HOST:PORT|AE title|port"):
        parse_node_spec(spec)


def test_our_ae_title_is_checked_too() -> None:
    with pytest.raises(InputError, match="our AE title"):
        parse_node_spec("PACS@host:104", "")


def test_dicomweb_url_must_be_http() -> None:
    with pytest.raises(InputError, match="not an http"):
        DicomWebNode("ftp://pacs/dicom-web")
    assert DicomWebNode("http://127.0.0.1:8042/dicom-web/").address == "http://127.0.0.1:8042/dicom-web"


def test_nodes_round_trip_through_the_user_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nodes.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    saved = [DimseNode("TESTPACS", "10.0.0.5", 104, "MITRAPLAN", name="Cardio PACS", timeout_s=12.0),
             DicomWebNode("https://pacs.example.org/dicom-web", name="Web")]
    path = save_nodes(saved)
    assert path == tmp_path / "config" / "mitraplan" / "pacs-nodes.json"
    assert not list(path.parent.glob("*.part"))
    assert load_nodes() == saved
    assert find_node("Cardio PACS", saved) == saved[0]
    assert find_node("https://pacs.example.org/dicom-web", saved) == saved[1]


def test_missing_node_list_is_empty_and_unknown_name_lists_the_known(tmp_path: Path) -> None:
    assert load_nodes(tmp_path / "none.json") == []
    with pytest.raises(InputError, match="known: Web"):
        find_node("Other", [DicomWebNode("http://h/dicom-web", name="Web")])


def test_newer_node_list_is_refused_not_half_read(tmp_path: Path) -> None:
    path = tmp_path / "pacs-nodes.json"
    path.write_text(json.dumps({"format": nodes.NODES_FORMAT, "version": 99, "nodes": []}))
    with pytest.raises(InputError, match="newer MitraPlan"):
        load_nodes(path)


def test_corrupt_node_list_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "pacs-nodes.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match=re.escape("pacs-nodes.json")):
        load_nodes(path)
