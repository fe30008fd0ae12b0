"""Per-user settings the reporting workflow remembers: the reader's and the operator's names.

A small JSON file ``settings.json`` in ``platformdirs.user_config_dir("mitraplan")`` (or the folder
named by ``MITRAPLAN_CONFIG_DIR``, which tests use), written atomically and readable by the user
only (mode 0600, on Windows a user-only ACL: ``private_files``): names are personal data. A missing
or unreadable file is the defaults; a file that cannot be written is reported to the caller, never
half-written.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import platformdirs

from private_files import make_private, private_folder

log = logging.getLogger(__name__)

CONFIG_DIR_ENV = "MITRAPLAN_CONFIG_DIR"
SETTINGS_NAME = "settings.json"


@dataclass(frozen=True, slots=True)
class UserSettings:
    """What the user typed last time, offered again."""

    reader: str = ""
    operator: str = ""


def settings_path() -> Path:
    """Where the settings live for this user."""
    folder = os.environ.get(CONFIG_DIR_ENV) or platformdirs.user_config_dir("mitraplan")
    return Path(folder) / SETTINGS_NAME


def load_settings(path: Path | None = None) -> UserSettings:
    """The user's settings (defaults for a missing, unreadable or malformed file)."""
    path = path or settings_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return UserSettings()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("ignoring unreadable settings %s: %s", path, exc)
        return UserSettings()
    if not isinstance(raw, dict):
        return UserSettings()
    return UserSettings(**{f.name: raw[f.name] for f in fields(UserSettings) if isinstance(raw.get(f.name), str)})


def save_settings(settings: UserSettings, path: Path | None = None) -> Path:
    """Write the settings atomically, readable by the user only (OSError when the folder cannot be written)."""
    path = path or settings_path()
    private_folder(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            make_private(tmp, handle.fileno())
            json.dump(asdict(settings), handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
