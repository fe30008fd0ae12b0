"""Write an oblique plane resliced from one time point of a 3D/4D volume as a grey PNG."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from gui.cli.args import finite_float, frame_number


def _pixels(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be a whole number of pixels, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"size must be at least 1 pixel, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="Enhanced US Volume or Philips Cartesian DICOM file")
    parser.add_argument("--frame", type=frame_number, default=1, metavar="T", help="time point, 1-based (default 1)")
    parser.add_argument("--origin", type=finite_float, nargs=3, required=True, metavar=("X", "Y", "Z"),
                        help="centre of plane pixel (0, 0), mm in the volume's frame of reference")
    parser.add_argument("--row-dir", type=finite_float, nargs=3, required=True, metavar=("X", "Y", "Z"),
                        help="direction along a plane row (columns grow); normalised to unit length")
    parser.add_argument("--col-dir", type=finite_float, nargs=3, required=True, metavar=("X", "Y", "Z"),
                        help="direction down a plane column (rows grow); normalised to unit length")
    parser.add_argument("--size", type=_pixels, nargs=2, required=True, metavar=("COLS", "ROWS"),
                        help="plane size in pixels")
    parser.add_argument("--pixel", type=finite_float, required=True, metavar="MM", help="pixel size in mm")
    parser.add_argument("--out", type=Path, required=True, metavar="PNG", help="PNG file to write")


def _unit(values: list[float], option: str) -> np.ndarray:
    from imaging.errors import InputError

    vector = np.asarray(values, float)
    norm = float(np.linalg.norm(vector))
    if norm < 1e-9:
        raise InputError(f"{option} {' '.join(str(v) for v in values)} is the zero vector")
    return vector / norm


def run(args: argparse.Namespace) -> int:
    from PIL import Image

    from imaging.errors import InputError
    from imaging.mpr import reslice, to_grey8
    from imaging.volume import Volume
    from private_files import private_file

    if args.pixel <= 0:
        raise InputError(f"--pixel must be a positive number of mm, got {args.pixel}")
    row_dir, col_dir = _unit(args.row_dir, "--row-dir"), _unit(args.col_dir, "--col-dir")
    with Volume.open(args.file) as volume:
        if args.frame > volume.timepoints:
            raise InputError(f"--frame {args.frame} is out of range: the volume has time points 1..{volume.timepoints}",
                             args.file)
        plane = reslice(volume.timepoint(args.frame - 1), volume.geometry, args.origin, row_dir, col_dir,
                        (args.size[0], args.size[1]), args.pixel)
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        private_file(args.out)  # may show burned-in patient names: user-only, as every export
        Image.fromarray(to_grey8(plane), mode="L").save(args.out, format="PNG")
    except OSError as exc:
        raise InputError(f"--out: cannot write the PNG ({exc.strerror or exc})", args.out) from None
    print(args.out)
    return 0
