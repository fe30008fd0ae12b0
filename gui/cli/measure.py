"""Measure every mark and calculation of a case file (JSON on stdout)."""

from __future__ import annotations

import argparse
import sys

from gui.cli.output import write_json

EXIT_OK, EXIT_BAD_INPUT = 0, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case", metavar="CASE", help="case file (*.mitraplan.json)")


def run(args: argparse.Namespace) -> int:
    """Print ``{"measurements": [...], "errors": [...]}``; exit 3 when any mark or calculation is bad.

    A bad mark never hides the others: every mark that can be measured is reported, and each
    problem is also printed on stderr naming the mark (or the file). An unlabelled mark's results
    have no grade and carry the unlabelled warning; stderr names each unlabelled mark (exit stays 0). A case whose images span more
    than one patient or study is refused (exit 3) naming each conflicting file. Imported results
    (``mitraplan import-sr``) follow, each with ``"imported": {"sop_instance_uid", "observer",
    "device"}`` and its ``"status"``; until accepted they carry a warning and no grade.
    """
    from measurements.compute import is_unlabelled
    from planning.case import load_case, measure_case
    from planning.study import case_sources, require_one_study

    case = load_case(args.case, lenient=True)
    require_one_study(case, case_sources(case)[0])
    results, errors = measure_case(case)
    write_json({"case": str(case.path), "measurements": [r.as_json() for r in results],
                "errors": [{"id": ident, "message": message} for ident, message in errors]},
               "measure", ensure_ascii=False)
    for _, message in errors:
        print(f"mitraplan measure: {message}", file=sys.stderr)
    for mark in case.marks:
        if is_unlabelled(mark):
            print(f"mitraplan measure: mark {mark.id!r} is unlabelled: measured, not graded or used", file=sys.stderr)
    return EXIT_BAD_INPUT if errors else EXIT_OK
