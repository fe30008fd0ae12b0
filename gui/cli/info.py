"""Print what the headers say about DICOM loops (files, folders, DICOMDIRs) as JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gui.cli.output import write_json

EXIT_BAD_INPUT = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="DICOM files, folders or DICOMDIRs")


def run(args: argparse.Namespace) -> int:
    from imaging.catalog import catalog_paths

    index = catalog_paths(args.paths)
    loops = [loop_json(info) for info in index.loops()]
    volumes = [volume.as_info() for volume in index.volumes()]  # 3D/4D volumes: never among the loops
    errors = [{"path": path, "error": message} for path, message in index.warnings]
    write_json({"loops": loops, "volumes": volumes, "errors": errors}, "info")
    for path, message in index.warnings:
        print(f"mitraplan info: {path}: {message}" if path else f"mitraplan info: {message}", file=sys.stderr)
    if not loops and not volumes:
        named = ", ".join(str(p) for p in args.paths)
        print(f"mitraplan info: {named}: no readable DICOM image"
              f"{' (see errors)' if errors else ' (no files found)'}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def loop_json(info: Any) -> dict[str, Any]:
    """One loop per the DESIGN.md contract; a still without timing has no frame time or fps."""
    data = info.as_info()
    if info.n_frames == 1 and info.timing.source == "default":
        data["frame_time_ms"] = data["fps"] = None
    return data
