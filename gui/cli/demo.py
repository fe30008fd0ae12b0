"""Write the built-in demo study (synthetic post-TEER TEE with known truth) and open it.

``run`` is three steps with one hook each: write the study, then either the headless outputs
(``--headless``: the demo case and report are added there) or the viewer window.
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


def run(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out is not None else default_demo_dir()
    study = write_study(out)
    if args.headless:
        return write_headless_outputs(out, study)
    return open_viewer(out, study)


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


def write_headless_outputs(out: Path, study: Any) -> int:
    """Write the demo case beside the loops and its planning report into ``out/report``; list them."""
    from demo.case import write_demo_case
    from gui.cli.report import write_case_report

    case_path = write_demo_case(study, out)
    print(f"  {'case':<15} {case_path}")
    result = write_case_report(case_path, out / "report")
    print(f"Demo report written to {out / 'report'}:")
    for path in result.paths:
        print(f"  {path}")
    for message in [*result.errors, *result.warnings]:
        print(f"mitraplan demo: {message}", file=sys.stderr)
    print(f"View it with: mitraplan open {study.folder}")
    return 0


def open_viewer(out: Path, study: Any) -> int:
    """Write the demo case beside the loops and open the window on the study and the case."""
    from demo.case import write_demo_case
    from gui.app import run_app

    return run_app([study.folder, write_demo_case(study, out)])
