"""Write the planning report of a case: report.pdf, summary.pdf, report.json, report-sr.dcm and key images."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gui.cli.output import write_json

if TYPE_CHECKING:
    from report.export import ExportResult


def rectangle(text: str) -> tuple[int, int, int, int]:
    """``X0,Y0,X1,Y1``: inclusive pixel indices, top-left then bottom-right (as RegionLocationMinX0...)."""
    parts = text.split(",")
    try:
        x0, y0, x1, y1 = (int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be X0,Y0,X1,Y1 (four whole numbers), got {text!r}") from None
    if min(x0, y0) < 0 or x1 < x0 or y1 < y0:
        raise argparse.ArgumentTypeError(f"needs 0 <= X0 <= X1 and 0 <= Y0 <= Y1, got {text!r}")
    return x0, y0, x1, y1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case", metavar="CASE", help="case file (*.mitraplan.json)")
    parser.add_argument("--out", metavar="DIR", required=True, type=Path, help="output folder (created if needed)")
    parser.add_argument("--paper", choices=("A4", "Letter"), default="A4", help="PDF paper size (default A4)")
    parser.add_argument("--anonymise", "--anonymize", action="store_true",
                        help="remove patient identifiers from every output (DICOM: PS3.15 basic profile); refused"
                             " (exit 3, each hit listed) while free text repeats the patient's name, ID, birth date,"
                             " accession number or institution, unless --confirm-free-text")
    parser.add_argument("--confirm-free-text", action="store_true",
                        help="with --anonymise: export anyway, each identifier found in free text replaced by"
                             " [removed]")
    parser.add_argument("--no-mask", dest="mask", action="store_false",
                        help="with --anonymise: keep key-image pixels outside the ultrasound regions (by default"
                             " they are blanked: the vendor banner carries the name and ID)")
    parser.add_argument("--mask-rect", metavar="X0,Y0,X1,Y1", type=rectangle,
                        help="with --anonymise: the image area (pixels, inclusive) to keep in key images of sources"
                             " without ultrasound regions; without it such key images are left out unless the"
                             " source states Burned In Annotation NO")


def write_case_report(case_path: Path, out: Path, *, paper: str = "A4", anonymise: bool = False,
                      confirm_free_text: bool = False, mask: bool = True,
                      mask_rect: tuple[int, int, int, int] | None = None) -> ExportResult:
    """Load the case, recompute it and write every output; returns the ExportResult."""
    from planning.case import load_case
    from planning.study import require_one_study
    from report.build import build_report
    from report.export import export_report

    case = load_case(case_path, lenient=True)
    report, sources = build_report(case)
    require_one_study(case, [(sources.paths[uid], ds) for uid, ds in sources.headers.items()])
    confirmed = {uid: mask_rect for uid in sources.headers} if mask_rect is not None else None
    return export_report(report, sources, out, anonymise=anonymise, paper=paper,
                         confirm_free_text=confirm_free_text, mask=mask, mask_rectangles=confirmed)


EXIT_OK, EXIT_BAD_INPUT = 0, 3


def _text_or_none(path: Path | None) -> str | None:
    return str(path) if path else None


def run(args: argparse.Namespace) -> int:
    """Print the written paths as JSON on stdout; what was left out goes to stderr.

    Like ``mitraplan measure``: the report is still written when a mark or calculation cannot be
    measured (its images missing, a bad field), but each problem is printed and the exit code is 3.
    An output that cannot be written (PDF, JSON, SR, a key image) is named with its cause, the others
    are still written, and the exit code is 3. A case whose images span more than one patient or
    study writes nothing and exits 3 naming each conflicting file. An anonymised export whose free
    text repeats an identifier writes nothing and exits 3 listing each hit (``--confirm-free-text``).
    """
    from imaging.errors import InputError
    from report.anonymise import IdentifiersInFreeText

    try:
        result = write_case_report(args.case, args.out, paper=args.paper, anonymise=args.anonymise,
                                   confirm_free_text=args.confirm_free_text, mask=args.mask,
                                   mask_rect=args.mask_rect)
    except IdentifiersInFreeText as exc:
        print("mitraplan report: anonymised export refused, nothing was written: free text holds patient"
              " identifiers (edit it, or pass --confirm-free-text to replace each by [removed]):", file=sys.stderr)
        for hit in exc.hits:
            print(f"mitraplan report:   {hit}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        raise InputError(f"--out: cannot write the report ({exc.strerror or exc})", exc.filename or args.out) from None
    write_json({"pdf": _text_or_none(result.pdf), "summary": _text_or_none(result.summary),
                "json": _text_or_none(result.json), "sr": _text_or_none(result.sr),
                "key_images_png": [str(p) for p in result.key_images_png],
                "key_images_dicom": [str(p) for p in result.key_images_dicom], "warnings": result.warnings,
                "errors": list(result.errors), "failures": result.failures},
               "report", ensure_ascii=False)
    for message in [*result.failures, *result.errors, *result.warnings]:
        print(f"mitraplan report: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT if result.errors or result.failures else EXIT_OK
