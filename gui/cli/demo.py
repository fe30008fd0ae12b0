"""Write the built-in demo study (synthetic post-TEER TEE with known truth) and open it.

``run`` is three steps with one hook each: write the study, then either the headless outputs
(``--headless``: the demo case and report are added there) or the viewer window. ``--with-prior`` also
writes the synthetic prior study (the index TEER's final result) and its case beside them and names it
in the demo case's ``"priors"``; without it the demo is unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


def default_demo_dir() -> Path:
    """Per-user data folder for the demo: $XDG_DATA_HOME (or ~/.local/share, %LOCALAPPDATA%)/mitraplan/demo."""
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "mitraplan" / "demo"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help=f"folder to write into (default: {default_demo_dir()})")
    parser.add_argument("--headless", action="store_true",
                        help="write the files only (study, case, report); open no window")
    parser.add_argument("--with-prior", action="store_true",
                        help="also write a synthetic prior study of the same patient (the index TEER's final"
                             " result, 2025-06-10: one clip, half the vena contracta, 60 bpm) and its case,"
                             " named as the demo case's prior")


def run(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out is not None else default_demo_dir()
    study = write_study(out)
    priors = write_prior(out) if args.with_prior else None
    if args.headless:
        return write_headless_outputs(out, study, priors)
    return open_viewer(out, study, priors)


def write_study(out: Path) -> Any:
    """Write the DICOM loops and the 4D volume into ``out/loops`` and the truth into ``out/demo-truth.json``;
    list them."""
    from demo.phantom import write_demo_study

    study = write_demo_study(out / "loops")
    truth_path = out / "demo-truth.json"
    truth_path.write_text(json.dumps(study.truth, indent=2) + "\n", encoding="utf-8")
    print(f"Demo study (patient MitraPlan^Demo) written to {out}:")
    for key, path in {**study.files, **study.volumes}.items():
        print(f"  {key:<15} {path}")
    print(f"  {'truth':<15} {truth_path}")
    return study


def write_prior(out: Path) -> list[dict[str, str]]:
    """Write the prior study into ``out/prior-loops``, its case as ``out/prior.mitraplan.json`` and its truth
    into ``out/prior-truth.json``; list them; returns the demo case's ``"priors"`` entry naming it."""
    from demo.case import PRIOR_DATE, PRIOR_ROLE, PRIOR_TOTAL_MR, write_prior_case
    from demo.phantom import write_prior_study

    prior = write_prior_study(out / "prior-loops")
    case_path = write_prior_case(prior, out)
    truth = {**prior.truth, "case": {"residual_mr_total_grade": PRIOR_TOTAL_MR.value, "devices": 1}}
    truth_path = out / "prior-truth.json"
    truth_path.write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    print(f"Prior study ({PRIOR_ROLE}, {PRIOR_DATE}) written to {prior.folder}:")
    for key, path in prior.files.items():
        print(f"  {key:<15} {path}")
    print(f"  {'truth':<15} {truth_path}")
    print(f"  {'case':<15} {case_path}")
    return [{"case": case_path.name, "role": PRIOR_ROLE, "date": PRIOR_DATE}]


def write_headless_outputs(out: Path, study: Any, priors: list[dict[str, str]] | None = None) -> int:
    """Write the demo case (naming ``priors``) beside the loops and its planning report into ``out/report``;
    list them."""
    from demo.case import write_demo_case
    from gui.cli.report import write_case_report

    case_path = write_demo_case(study, out, priors)
    print(f"  {'case':<15} {case_path}")
    result = write_case_report(case_path, out / "report")
    print(f"Demo report written to {out / 'report'}:")
    for path in result.paths:
        print(f"  {path}")
    for message in [*result.errors, *result.warnings]:
        print(f"mitraplan demo: {message}", file=sys.stderr)
    print(f"View it with: mitraplan open {study.folder}")
    return 0


def open_viewer(out: Path, study: Any, priors: list[dict[str, str]] | None = None) -> int:
    """Write the demo case (naming ``priors``) beside the loops and open the window on the study and the case."""
    from demo.case import write_demo_case
    from gui.app import run_app

    return run_app([study.folder, write_demo_case(study, out, priors)])
