"""Write a loop (or a frame range of it) as MP4 (H.264), animated GIF or APNG at its own frame timing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gui.cli.args import frame_number
from gui.cli.output import write_json
from gui.cli.report import rectangle

if TYPE_CHECKING:
    from imaging.loop import Loop
    from report.mask import Rect
    from report.model import Mark

AUTO = "auto"


def cine_out(text: str) -> Path:
    """``--out``: a path ending .mp4, .gif or .png/.apng (animated PNG)."""
    from report.cine import FORMATS

    path = Path(text)
    if path.suffix.lower() not in FORMATS:
        raise argparse.ArgumentTypeError(f"{text}: unknown cine format {path.suffix or '(no suffix)'!r};"
                                         " use .mp4 (H.264), .gif or .png (animated PNG)")
    return path


def banner(text: str) -> str | tuple[int, int, int, int]:
    """``--blank-banner``: ``auto`` (keep the file's ultrasound regions) or the image area ``X0,Y0,X1,Y1`` to keep."""
    return AUTO if text.strip().lower() == AUTO else rectangle(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="DICOM loop")
    parser.add_argument("--out", type=cine_out, required=True, metavar="X.mp4|X.gif|X.png",
                        help="file to write; the suffix picks the format (.png and .apng: animated PNG)")
    parser.add_argument("--case", type=Path, metavar="CASE",
                        help="case file whose marks on this loop are burned in (refused if of another patient)")
    parser.add_argument("--range", nargs=2, type=frame_number, metavar=("A", "B"),
                        help="frames A..B only (1-based, inclusive; default the whole loop)")
    parser.add_argument("--marks-on-every-frame", action="store_true",
                        help="with --case: burn each mark into every frame of the range (default: only into the"
                             " frame it was drawn on, as the viewer shows it)")
    parser.add_argument("--blank-banner", type=banner, metavar="auto|X0,Y0,X1,Y1",
                        help="anonymise: blank every pixel outside the image area, where the vendor banner burns in"
                             " the patient's name and ID. 'auto' keeps the file's ultrasound regions and prints the"
                             " area it kept (refused if the file has none); X0,Y0,X1,Y1 is the area to keep"
                             " (inclusive pixels), as report --mask-rect")


def _keep(loop: Loop, choice: str | tuple[int, int, int, int] | None) -> tuple[Rect, ...]:
    """The rectangles kept when blanking the banner, () when not asked; InputError when ``auto`` has none."""
    from imaging.errors import InputError

    if choice is None:
        return ()
    if choice != AUTO:
        assert isinstance(choice, tuple)
        return (choice,)
    rects = tuple(region.bounds for region in loop.regions)
    if not rects:
        raise InputError("--blank-banner auto: the file has no ultrasound regions to keep; give the image area"
                         " as --blank-banner X0,Y0,X1,Y1", loop.path)
    return rects


def _case_marks(case_path: Path, loop: Loop) -> tuple[list[Mark], dict[str, str]]:
    """The case's marks on this loop and their captions; a case of another patient or study is refused."""
    from planning.case import load_case
    from report.cine import marks_of_case

    return marks_of_case(load_case(case_path, lenient=True), loop.path, loop.info, loop.info.sop_instance_uid)


def run(args: argparse.Namespace) -> int:
    """Print {"path", "format", "frames", "fps", "variable_frame_time", "blanked", "marks"} as JSON; warnings
    and the area kept by --blank-banner go to stderr. Bad input (not DICOM, range outside the loop, an
    unwritable --out) exits 3 naming the file."""
    from imaging.errors import InputError
    from imaging.loop import Loop
    from report.cine import blanked_pixels, check_range, describe_keep, export_cine

    with Loop.open(args.file) as loop:
        first, last = args.range or (1, loop.n_frames)
        check_range(loop.n_frames, first, last, args.file)
        keep = _keep(loop, args.blank_banner)
        if keep:
            rows, columns = loop.info.rows, loop.info.columns
            print(f"mitraplan export-cine: --blank-banner: {describe_keep(keep, rows, columns)}", file=sys.stderr)
            if not blanked_pixels(keep, rows, columns):
                print(f"mitraplan export-cine: warning: {args.file.name}: the area kept is the whole frame, nothing"
                      " was blanked; a banner inside it is still shown", file=sys.stderr)
        marks, captions = _case_marks(args.case, loop) if args.case else ([], {})
        if args.case and not marks:
            print(f"mitraplan export-cine: warning: {args.case} has no marks on {args.file.name}", file=sys.stderr)
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            result = export_cine(loop, args.out, first, last, marks=marks, captions=captions, keep=keep,
                                 every_frame=args.marks_on_every_frame)
        except OSError as exc:
            raise InputError(f"--out: cannot write the cine ({exc.strerror or exc})", args.out) from None
    write_json({"path": str(result.path), "format": result.format, "frames": result.frames, "fps": result.fps,
                "variable_frame_time": result.variable_frame_time, "blanked": bool(keep),
                "marks": [m.id for m in marks]}, "export-cine")
    for warning in result.warnings:
        print(f"mitraplan export-cine: warning: {warning}", file=sys.stderr)
    return 0
