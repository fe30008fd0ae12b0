"""Files and folders readable by the current user only, on every platform: where patient data lands.

Every writer of patient data (report outputs, key images, cines, frames, screenshots, retrieved
studies, the case file, settings, logs) creates its files through this package, so "user only" means
one thing everywhere:

- POSIX (Linux, macOS): files are created with mode 0600 (``O_CREAT`` with the mode, so they are never
  wider, even for a moment) and re-tightened with ``chmod`` when a third-party writer may have replaced
  them; folders this code creates are 0700. An atomic save (temp file + ``os.replace``) keeps the temp
  file's mode, which is why the temp file is tightened before its data is written.
- Windows: the POSIX mode only toggles the read-only flag and the file inherits its folder's ACL (a
  shared export folder would leave the file readable by everyone). So after creating the file, and
  before any data is written, its DACL is replaced by a protected one (inheritance from the folder
  disabled) granting full control to the current user and SYSTEM only (:mod:`private_files.windows`).
  ``os.replace`` (MoveFileEx on one volume) keeps that DACL. Between its creation and the new DACL
  the file is empty and has its folder's ACL; a folder this package created is already user-only, so
  what is created in it inherits the protection from the first moment. Whenever Windows refuses the
  DACL the write fails with an OSError naming the file, rather than leave patient data readable by
  all (a drive that keeps no ACLs, FAT or exFAT, cannot protect the file at all).

Placement: a top-level package importing nothing of MitraPlan, so that ``planning`` (the case file),
``report`` (exports), ``pacs`` (retrieved studies) and ``gui`` (settings, logs, screenshots) can all use
it without bending the layer rules: ``pacs`` sits beside the pipeline and uses only ``imaging``
(architecture.md), so the helper cannot live in ``planning``, and ``imaging`` never writes a file.
import-linter keeps this package free of project imports and of Qt.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from private_files import windows

#: Files holding patient data: read and write for the user only.
FILE_MODE = 0o600
#: Folders this code creates for them: only the user may list or enter them.
FOLDER_MODE = 0o700


def on_windows() -> bool:
    """Whether the platform's user-only protection is an ACL (Windows) rather than a mode (POSIX)."""
    return os.name == "nt"


def make_private(path: Path | str, fd: int | None = None) -> None:
    """Tighten the existing file ``path`` (open as ``fd``, if given) to the user only.

    Call it before data is written into a file someone else's code created (a temp file), and after a
    writer that may have replaced the file. OSError naming the file when it cannot be done."""
    if fd is not None and hasattr(os, "fchmod"):
        os.fchmod(fd, FILE_MODE)
    else:
        os.chmod(path, FILE_MODE)
    if on_windows():
        windows.protect(Path(path), folder=False)


def open_private(path: Path | str, flags: int) -> int:
    """``os.open(path, flags | O_CREAT)`` with the file private before the descriptor is returned
    (an existing, wider file is tightened); the caller writes and closes the descriptor."""
    fd = os.open(path, flags | os.O_CREAT, FILE_MODE)
    try:
        make_private(path, fd)
    except BaseException:
        os.close(fd)
        raise
    return fd


def private_file(path: Path) -> Path:
    """Create (or truncate) ``path`` empty and readable by the user only, before a writer fills it."""
    os.close(open_private(path, os.O_WRONLY | os.O_TRUNC))
    return path


def private_folder(path: Path) -> Path:
    """Create the folder ``path`` (and missing parents) with the folder itself private to the user.

    A folder that already exists is left as it is (it may be a shared folder the user chose); on
    Windows the new folder's protected DACL is inherited by every file and subfolder created in it."""
    if path.is_dir():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # a concurrent writer made it: its own protection holds
        path.mkdir(mode=FOLDER_MODE)
        os.chmod(path, FOLDER_MODE)  # the umask may have narrowed the owner's bits
        if on_windows():
            windows.protect(path, folder=True)
    if not path.is_dir():
        raise NotADirectoryError(f"{path}: exists and is not a folder")
    return path
