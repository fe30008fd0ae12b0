"""Compare a case with a prior case of the same patient (JSON rows on stdout)."""

from __future__ import annotations

import argparse

from gui.cli.output import write_json

EXIT_OK = 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case", metavar="CASE", help="the current case file (*.mitraplan.json)")
    parser.add_argument("prior", metavar="PRIOR_CASE", help="an earlier case file of the same patient")


def run(args: argparse.Namespace) -> int:
    """Print ``{"rows": [{"quantity", "label", "prior", "current", "change", "unit", "direction",
    "meaningful", "criterion"}]}`` (docs/case-file.md, *Priors*).

    A prior of another patient (or naming no Patient ID) is refused before anything is measured, and
    a case whose images span patients or studies is refused too: exit 3 with a message naming the file.
    """
    from planning.case import load_case, measure_case
    from planning.compare import Side, compare, load_prior
    from planning.study import case_sources, require_one_study

    case = load_case(args.case, lenient=True)
    prior = load_prior(case, args.prior)
    sides = []
    for each in (prior, case):
        require_one_study(each, case_sources(each)[0])
        results, _ = measure_case(each)
        sides.append(Side(each.findings(), results, each.marks))
    rows = compare(sides[0], sides[1])
    write_json({"case": str(case.path), "prior": str(prior.path), "rows": [r.as_json() for r in rows]},
               "compare", ensure_ascii=False)
    return EXIT_OK
