"""Automatic Doppler envelope over a time span of a spectral region (JSON on stdout)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from gui.cli.args import finite_float, frame_number
from gui.cli.output import write_json
from imaging.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="DICOM image with a spectral Doppler region")
    parser.add_argument("--region", type=int, required=True, metavar="N", help="0-based ultrasound region index")
    parser.add_argument("--frame", type=frame_number, default=1, metavar="F", help="1-based frame number (default 1)")
    parser.add_argument("--x-range", type=finite_float, nargs=2, required=True, metavar=("X0", "X1"),
                        help="span in image x coordinates (columns; pixel centre = index + 0.5); either order")
    parser.add_argument("--direction", choices=("auto", "above", "below"), default="auto",
                        help="side of the baseline to trace (default: the side with more signal)")
    parser.add_argument("--purpose", default=None, metavar="P",
                        help="e.g. mv_inflow (adds pressure half-time and MVA) or mr_jet")
    parser.add_argument("--rhythm", default=None, metavar="R",
                        help="sinus or af: in AF a mean gradient of fewer than 5 beats carries a warning")


def _r_waves_s(times_ms: Sequence[float], trace: Sequence[tuple[float, float]]) -> list[float]:
    """The file's R-wave times (s) that fall inside the trace's time span, else none.

    R-wave times (R Wave Time Vector or R Wave Pointer) are read on the strip's time axis; times
    outside the traced span (a different origin) are not used.
    """
    return [t / 1000.0 for t in times_ms if trace[0][0] <= t / 1000.0 <= trace[-1][0]]


def run(args: argparse.Namespace) -> int:
    """Print ``{"points": [[t_s, v_m_s]...], "image_points": [[x, y]...], "beats": n, "measurements": [...]}``.

    A span covering several beats gives per-beat measurements (``"beat": k``) and their averages
    (``"beats": n``, ``"sd"``).
    """
    from imaging.loop import Loop
    from measurements.beats import complete_beats
    from measurements.compute import af_beat_caveats, trace_results
    from measurements.doppler import velocity_trace
    from measurements.envelope import auto_envelope
    from measurements.marks import Mark, MarkError, MarkType

    with Loop.open(args.file) as loop:
        regions = {r.index: r for r in loop.regions}
        if args.region not in regions:
            raise InputError(f"--region {args.region}: the image has {len(regions)} ultrasound region(s)"
                             f"{' (indices 0-' + str(len(regions) - 1) + ')' if regions else ''}", args.file)
        if not 1 <= args.frame <= loop.n_frames:
            raise InputError(f"--frame {args.frame}: frames are numbered 1..{loop.n_frames}", args.file)
        region = regions[args.region]
        try:
            x0, x1 = args.x_range
            points = auto_envelope(loop.frame(args.frame - 1), region, x0, x1, direction=args.direction)
            mark = Mark("trace", MarkType.DOPPLER_TRACE, "automatic envelope", loop.info.sop_instance_uid or "-",
                        args.frame, args.region, tuple(points), purpose=args.purpose)
        except (InputError, MarkError) as exc:
            raise InputError(str(exc), args.file) from None
        trace = velocity_trace(points, region)
        r_waves = _r_waves_s(loop.timing.r_wave_times_ms, trace)
        try:
            results = trace_results(mark, trace, r_waves)
        except InputError as exc:
            raise InputError(str(exc), args.file) from None
        if args.purpose == "mv_inflow":
            results = af_beat_caveats(results, args.rhythm)
    write_json({"file": str(args.file), "region": args.region, "frame": args.frame,
                "points": [[t, v] for t, v in trace], "image_points": [[x, y] for x, y in points],
                "beats": len(complete_beats(trace, r_waves)[0]), "r_waves_s": r_waves,
                "measurements": [r.as_json() for r in results]}, "trace")
    return 0
