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
    """One loop per the `mitraplan info` output contract (README, Command line); a still without timing has no frame time or fps.

    ``r_wave_times_ms``: R Wave Time Vector, R Wave Pointer or the R peaks of the image's ECG waveform
    (possibly empty); ``heart_rate_bpm`` comes from them when the header has no Heart Rate;
    ``trigger_time_ms``: Trigger Time, ms from the R wave to a triggered image (None when absent).
    """
    data = info.as_info()
    data["r_wave_times_ms"] = [float(t) for t in info.timing.r_wave_times_ms]
    data["trigger_time_ms"] = info.timing.trigger_time_ms
    if info.n_frames == 1 and info.timing.source == "default":
        data["frame_time_ms"] = data["fps"] = None
    return data
