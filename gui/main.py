"""The ``mitraplan`` console script.

Without a sub-command it opens the app. Each sub-command lives in ``gui/cli/<name>.py`` with
``add_arguments(parser)`` and ``run(args) -> int``; the headless ones import no widgets.
Exit codes (a contract of the command line): 0 ok, 2 usage error, 3 bad input, 1 anything else,
141 when the reader of its output went away (``mitraplan --version | head -1``: 128 + SIGPIPE, what a
shell reports for a command a closed pipe ends; the rest of the output is dropped, no traceback).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from gui.logs import log_traceback_to_file, setup_logging
from imaging.errors import InputError

#: sub-command name -> module under gui.cli
COMMANDS: dict[str, str] = {
    "compare": "gui.cli.compare",
    "demo": "gui.cli.demo",
    "export-cine": "gui.cli.export_cine",
    "frame": "gui.cli.frame",
    "import-sr": "gui.cli.import_sr",
    "info": "gui.cli.info",
    "measure": "gui.cli.measure",
    "mpr": "gui.cli.mpr",
    "open": "gui.cli.open_app",
    "pacs": "gui.cli.pacs",
    "report": "gui.cli.report",
    "trace": "gui.cli.trace",
}

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_BAD_INPUT = 0, 1, 2, 3
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE


class _VersionAction(argparse.Action):
    """``--version``: print the version and the decoders this installation has (looked up only then), exit 0."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the version and the available DICOM pixel-data decoders, then exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        from gui.versions import version_text  # pydicom's decoder registry and package metadata: only here

        print(version_text())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(prog="mitraplan", description="Post-TEER redo-intervention planning workstation")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr (and the log file)")
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        doc = (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""
        command_parser = sub.add_parser(name, help=doc, description=doc)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_module=module)
    return parser


#: Options of ``mitraplan`` itself; any other leading argument belongs to the app (``open``).
_TOP_LEVEL_OPTIONS = {"-h", "--help", "-v", "--verbose", "--version"}


def _route_to_open(args: list[str]) -> list[str]:
    """``mitraplan [PATH…] [--screenshot PNG]`` means ``mitraplan open …``: insert the sub-command."""
    rest = [a for a in args if a not in _TOP_LEVEL_OPTIONS]
    if (rest and rest[0] in COMMANDS) or (not rest and any(a in ("-h", "--help") for a in args)):
        return args
    leading = [a for a in args if a in _TOP_LEVEL_OPTIONS]
    return [*leading, "open", *rest]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, dispatch, map errors to exit codes with one plain message; output to a
    closed pipe ends the command quietly (``EXIT_BROKEN_PIPE``)."""
    try:
        try:
            return _dispatch(argv)
        finally:
            if sys.stdout is not None:  # None in the windowed bundle
                sys.stdout.flush()  # here, not at interpreter exit, where a closed pipe prints a traceback
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_BROKEN_PIPE


def _discard_stdout() -> None:
    """Point stdout at the null device: the interpreter flushes it again on exit, which on the closed
    pipe would raise once more (the approach of the Python docs' note on SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _dispatch(argv: Sequence[str] | None) -> int:
    """Parse the arguments and run the sub-command."""
    args_list = _route_to_open(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    args = parser.parse_args(args_list)
    setup_logging(verbose=args.verbose)
    if not getattr(args, "_module", None):
        args = parser.parse_args(["open"])
    try:
        return int(args._module.run(args) or EXIT_OK)
    except InputError as exc:
        print(f"mitraplan {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_ERROR
    except BrokenPipeError:
        raise  # the reader went away: not an error of the command (main)
    except Exception as exc:
        logging.getLogger("mitraplan").debug("unhandled error", exc_info=True)
        where = log_traceback_to_file(f"mitraplan {args.command}: unhandled error")
        detail = f" (traceback in {where})" if where else ""
        print(f"mitraplan {args.command}: {type(exc).__name__}: {exc}{detail}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
