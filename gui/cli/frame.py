"""Write one decoded frame (1-based) of a DICOM loop as a full-resolution PNG, no overlay."""

from __future__ import annotations

import argparse
from pathlib import Path

from gui.cli.args import frame_number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="DICOM image file")
    parser.add_argument("--frame", type=frame_number, default=1, metavar="N", help="frame number, 1-based (default 1)")
    parser.add_argument("--out", type=Path, required=True, metavar="PNG", help="PNG file to write")


def run(args: argparse.Namespace) -> int:
    from PIL import Image

    from imaging.errors import InputError
    from imaging.loop import Loop
    from private_files import private_file

    with Loop.open(args.file) as loop:
        if args.frame > loop.n_frames:
            raise InputError(f"--frame {args.frame} is out of range: the loop has frames 1..{loop.n_frames}",
                             args.file)
        frame = loop.frame(args.frame - 1)
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        private_file(args.out)  # may show burned-in patient names: user-only, as every export
        Image.fromarray(frame, mode="RGB" if frame.ndim == 3 else "L").save(args.out, format="PNG")
    except OSError as exc:
        raise InputError(f"--out: cannot write the PNG ({exc.strerror or exc})", args.out) from None
    print(args.out)
    return 0
