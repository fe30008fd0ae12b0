"""Query, retrieve and send studies on a PACS (DIMSE or DICOMweb): echo, find, get, send.

``--node AET@HOST:PORT`` (or the name of a node saved from the app) or ``--dicomweb URL`` names the
only server contacted. JSON goes to stdout; a failure prints one sentence to stderr and exits
3 when the node settings are wrong (bad address, AE title not recognised, nothing listening),
1 otherwise (timeout, connection lost, failure status).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from pathlib import Path

from gui.cli.output import write_json


def _add_node_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--node", metavar="AET@HOST:PORT",
                       help="DIMSE node (called AE title, host, port), or the name of a node saved in the app")
    where.add_argument("--dicomweb", metavar="URL", help="DICOMweb base URL (the one that holds /studies)")
    parser.add_argument("--aet", default=None, help="our (calling) AE title (default MITRAPLAN)")
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help="seconds to wait for the connection and each answer (default 30)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="pacs_command", metavar="ACTION", required=True)
    echo = sub.add_parser("echo", help="verify the node (C-ECHO, or a QIDO-RS search for DICOMweb)")
    _add_node_arguments(echo)

    find = sub.add_parser("find", help="search studies; prints a JSON list")
    _add_node_arguments(find)
    find.add_argument("--patient-id", default="", metavar="ID")
    find.add_argument("--patient-name", default="", metavar="PATTERN", help="DICOM wildcards * and ? allowed")
    find.add_argument("--date-from", default="", metavar="YYYYMMDD")
    find.add_argument("--date-to", default="", metavar="YYYYMMDD")
    find.add_argument("--modality", default="", metavar="MOD", help="e.g. US")
    find.add_argument("--series", action="store_true", help="also list each study's series")

    get = sub.add_parser("get", help="retrieve a study (or series) into DIR/<study UID>/; prints a JSON summary")
    _add_node_arguments(get)
    get.add_argument("--study", required=True, metavar="UID")
    get.add_argument("--series", default=None, metavar="UID")
    get.add_argument("--out", required=True, type=Path, metavar="DIR", help="store folder (one sub-folder per study)")
    get.add_argument("--move-port", type=int, default=None, metavar="PORT",
                     help="use C-MOVE to a temporary storage SCP on this port instead of C-GET "
                          "(the PACS must know our AE title at this host and port)")

    send = sub.add_parser("send", help="send DICOM files (C-STORE or STOW-RS); prints what was accepted")
    _add_node_arguments(send)
    send.add_argument("files", nargs="+", type=Path, metavar="FILE")


def _node(args: argparse.Namespace):  # noqa: ANN202 - a DimseNode or DicomWebNode
    from pacs import nodes

    timeout = args.timeout if args.timeout is not None else nodes.DEFAULT_TIMEOUT_S
    if args.dicomweb:
        return nodes.DicomWebNode(args.dicomweb, timeout_s=timeout)
    if "@" in args.node:
        return nodes.parse_node_spec(args.node, args.aet or nodes.DEFAULT_CALLING_AET, timeout)
    saved = nodes.find_node(args.node, nodes.load_nodes())
    if isinstance(saved, nodes.DimseNode) and args.aet:
        saved = dataclasses.replace(saved, calling_ae_title=args.aet)  # keeps every other field (move_bind)
    return saved


def _print_json(value: object) -> None:
    write_json(value, "pacs")


def run(args: argparse.Namespace) -> int:
    from pacs import PacsError, StudyQuery, service

    if not getattr(args, "verbose", False):  # one sentence on stderr, not pynetdicom's log lines
        logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)
    node = _node(args)
    try:
        if args.pacs_command == "echo":
            service.verify(node)
            _print_json({"node": node.address, "verified": True})
        elif args.pacs_command == "find":
            query = StudyQuery(args.patient_id, args.patient_name, args.date_from, args.date_to, args.modality)
            studies = []
            for study in service.find_studies(node, query):
                row = study.to_json()
                if args.series:
                    row["series"] = [s.to_json() for s in service.find_series(node, study.study_instance_uid)]
                studies.append(row)
            _print_json(studies)
        elif args.pacs_command == "get":
            result = service.retrieve(node, args.study, args.out, args.series, move_port=args.move_port)
            _print_json(result.to_json())
            for refusal in result.refused:  # instances of another study or patient: not stored
                print(f"mitraplan pacs get: {refusal}", file=sys.stderr)
        else:
            sent = service.send(node, list(args.files))
            _print_json([{"path": str(s.path), "sop_instance_uid": s.sop_instance_uid,
                          "sop_class_uid": s.sop_class_uid} for s in sent])
    except PacsError as exc:
        print(f"mitraplan pacs {args.pacs_command}: {exc}", file=sys.stderr)
        return 1
    return 0
