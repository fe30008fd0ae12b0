"""Open the review workstation on DICOM files, folders, a DICOMDIR (the default command)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from gui.cli.args import frame_number


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, got {text!r}") from None
    if width < 320 or height < 240:
        raise argparse.ArgumentTypeError(f"size {width}x{height} is too small (at least 320x240)")
    return width, height


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="DICOM files, study folders or a DICOMDIR")
    parser.add_argument("--screenshot", type=Path, metavar="PNG",
                        help="render the window once, save it as PNG and exit (for docs and checks)")
    parser.add_argument("--frame", type=frame_number, metavar="N",
                        help="with --screenshot: show frame N (1-based) of the active loop")
    parser.add_argument("--layout", type=int, choices=(1, 2, 4), default=1,
                        help="with --screenshot: number of viewports (1, 2 or 4)")
    parser.add_argument("--mark", metavar="ID",
                        help="with a case: show mark ID (its loop and frame), highlighted, and select its row")
    parser.add_argument("--outlines", action="store_true",
                        help="with --screenshot: draw the calibrated region outlines")
    parser.add_argument("--size", type=_size, metavar="WxH",
                        help="with --screenshot: window size in pixels (default 1440x900)")


def run(args: argparse.Namespace) -> int:
    if args.screenshot is not None and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a screenshot needs no screen
    from gui.app import run_app

    return run_app(args.paths, screenshot=args.screenshot, frame=args.frame, layout=args.layout,
                   outlines=args.outlines, mark=args.mark, size=args.size)
