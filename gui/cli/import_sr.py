"""Add the measurements of an SR (cart TID 5200, MitraPlan's TID 5200 or 0.1.0 TID 1500) to a case as imported results."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_OK = 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sr", metavar="SR", type=Path, help="DICOM structured report with echo measurements")
    parser.add_argument("--case", metavar="CASE", type=Path, required=True,
                        help="case file (*.mitraplan.json); created, bound to the SR's study, when it does not exist")


def run(args: argparse.Namespace) -> int:
    """Import, save the case and print what was added as JSON on stdout.

    Each quantity's chosen value is added once (repeated values collapse into it); every SR value no
    MitraPlan quantity takes is listed under ``unknown`` (and on stderr) and kept in the case's
    ``imported_unknown``. An SR of another patient or study than the case's is refused (exit 3,
    naming both); an SR already imported adds nothing again.
    """
    from imaging.sr_read import read_sr
    from planning.case import Case, load_case, save_case
    from planning.imported import import_sr

    doc = read_sr(args.sr)
    case = load_case(args.case, lenient=True) if args.case.exists() else Case(path=args.case.resolve())
    summary = import_sr(case, doc)
    if not summary.already:
        save_case(case, args.case)
    out = {"case": str(args.case.resolve()), "sr": str(args.sr), **summary.as_json()}
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    if summary.already:
        print(f"mitraplan import-sr: {args.sr}: SR {summary.sop_instance_uid} is already imported into this case;"
              " nothing added", file=sys.stderr)
    for unknown in summary.unknown:
        print(f"mitraplan import-sr: {args.sr}: not imported: {unknown.describe()}", file=sys.stderr)
    return EXIT_OK
