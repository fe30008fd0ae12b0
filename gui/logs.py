"""The log: a rotating file in the user's log directory, and native crash dumps beside it.

``mitraplan`` (the app and every sub-command) calls :func:`setup_logging` once at start. Warnings,
errors and the tracebacks of unexpected exceptions go to ``mitraplan.log`` (1 MB, five old files
kept) as well as to stderr; a native crash (segfault in a decoder or in Qt) is written by
:mod:`faulthandler` to ``crash.log``. Both files may hold patient data (file names, study
descriptions in messages), so they are created readable by the user only (0600) in a folder
only the user can enter (0700).

Third-party libraries (pydicom, and every Python ``warnings`` warning, captured into the log) are not
printed on the terminal: their records go to the file only, each distinct message once per run.
pydicom both logs and warns each problem it finds in a file (an invalid UID of a vendor file, every
time the file is opened); the file gets it once (``OncePerMessage``).

The folder is ``platformdirs.user_log_dir("mitraplan")`` (``~/.local/state/mitraplan/log`` on
Linux), or ``$MITRAPLAN_LOG_DIR`` when set.
"""

from __future__ import annotations

import faulthandler
import io
import logging
import os
import re
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TextIO

import platformdirs

from private_files import open_private, private_folder

LOG_DIR_ENV = "MITRAPLAN_LOG_DIR"
LOG_NAME = "mitraplan.log"
CRASH_NAME = "crash.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
STDERR_FORMAT = "%(levelname)s %(name)s: %(message)s"
FILE_FORMAT = "%(asctime)s %(process)d %(threadName)s %(levelname)s %(name)s: %(message)s"

log = logging.getLogger(__name__)

#: The message of a captured warning: ``<file>:<line>: <Category>: <message>\n  <source line>``.
_WARNING_TEXT = re.compile(r"^.*?:\d+: \w+: (?P<message>.*?)\n", re.DOTALL)

#: The crash file stays open for the life of the process: faulthandler writes to its descriptor.
_crash_file: TextIO | None = None


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A RotatingFileHandler whose files (the current one and each new one after a rollover) are 0600."""

    def _open(self) -> io.TextIOWrapper:
        return _append_private(Path(self.baseFilename))


def _append_private(path: Path) -> io.TextIOWrapper:
    """Open ``path`` to append UTF-8 text, creating it 0600 (and tightening an older, wider file)."""
    return open(open_private(path, os.O_WRONLY | os.O_APPEND), "a", encoding="utf-8")


def is_third_party(record: logging.LogRecord) -> bool:
    """A record of another library (pydicom...) or a captured Python warning (``py.warnings``)."""
    return record.name == "py.warnings" or record.name.split(".")[0] not in OWN_LOGGERS


class OncePerMessage(logging.Filter):
    """In the file: a third-party message once (a warning and pydicom's log record of it count as one)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not is_third_party(record):
            return True
        text = record.getMessage()
        match = _WARNING_TEXT.match(text) if record.name == "py.warnings" else None
        key = (match.group("message") if match else text).strip()
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def log_dir() -> Path:
    """Where the log files go: ``$MITRAPLAN_LOG_DIR`` or the platform's user log folder."""
    override = os.environ.get(LOG_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_log_dir("mitraplan", appauthor=False))


def current_log_file() -> Path | None:
    """The file the log is being written to, or None before :func:`setup_logging` (or when it failed)."""
    handler = _our_handler()
    return Path(handler.baseFilename) if handler is not None else None


def _our_handler() -> PrivateRotatingFileHandler | None:
    return next((h for h in logging.getLogger().handlers if isinstance(h, PrivateRotatingFileHandler)), None)


def log_traceback_to_file(message: str) -> Path | None:
    """Write ``message`` and the exception being handled to the log file only; returns the file (None: no file).

    The command line prints one plain sentence on stderr; the traceback for a bug report goes here.
    """
    handler = _our_handler()
    if handler is None:
        return None
    handler.handle(log.makeRecord(log.name, logging.ERROR, __file__, 0, message, (), sys.exc_info()))
    return Path(handler.baseFilename)


def setup_logging(verbose: bool = False) -> Path | None:
    """Log to stderr and to the rotating file; dump native crashes to the crash file. Returns the log file.

    Calling it again keeps one file handler (moved when the folder changed). A folder that cannot
    be written is reported on stderr and the program runs on without a log file (returns None).
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format=STDERR_FORMAT)
    _quiet_stderr(verbose)
    folder = log_dir()
    path = folder / LOG_NAME
    existing = _our_handler()
    if existing is not None and Path(existing.baseFilename) == path:
        return path
    try:
        private_folder(folder)
        handler = PrivateRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8")
    except OSError as exc:
        log.warning("cannot write the log file in %s (%s); logging to stderr only", folder, exc.strerror or exc)
        return None
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    handler.addFilter(OncePerMessage())
    root = logging.getLogger()
    if existing is not None:
        root.removeHandler(existing)
        existing.close()
    root.addHandler(handler)
    _dump_native_crashes(folder / CRASH_NAME)
    return path


#: Top-level packages (and logger names) of MitraPlan itself: their warnings reach stderr.
OWN_LOGGERS = frozenset({"root", "mitraplan", "py.warnings", "imaging", "measurements", "planning", "report", "gui",
                         "pacs", "demo"})


class _OwnRecordsOnly(logging.Filter):
    """Lets through MitraPlan's own records only: third-party libraries (pydicom logs a traceback
    whenever a frame fails to decode) go to the log file, not to the user's terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.split(".")[0] in OWN_LOGGERS and record.name != "py.warnings"


class _NoTracebackFormatter(logging.Formatter):
    """One line per record: tracebacks belong in the log file (``-v`` shows them on stderr)."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def _quiet_stderr(verbose: bool) -> None:
    """Without ``-v``: stderr shows MitraPlan's own messages, one line each; Python warnings are logged."""
    logging.captureWarnings(True)
    for handler in logging.getLogger().handlers:
        if not isinstance(handler, logging.StreamHandler) or isinstance(handler, logging.FileHandler):
            continue
        for old in [f for f in handler.filters if isinstance(f, _OwnRecordsOnly)]:
            handler.removeFilter(old)
        if verbose:
            handler.setFormatter(logging.Formatter(STDERR_FORMAT))
        else:
            handler.addFilter(_OwnRecordsOnly())
            handler.setFormatter(_NoTracebackFormatter(STDERR_FORMAT))


def _dump_native_crashes(path: Path) -> None:
    """Point faulthandler at ``path``, unless something else (pytest, ``-X faulthandler``) already set it up."""
    global _crash_file
    if faulthandler.is_enabled():
        return
    try:
        _crash_file = _append_private(path)
    except OSError as exc:
        log.warning("cannot write native crash dumps to %s (%s)", path, exc.strerror or exc)
        return
    faulthandler.enable(file=_crash_file, all_threads=True)
