"""Shared fixtures. The offscreen platform is set before anything can import Qt."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

#: Real vendor samples kept beside the checkout (never committed); tests skip when absent.
REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"


@pytest.fixture
def realdata() -> Path:
    """Folder of the real vendor loops (``../shared/realdata``); skips the test when it is missing."""
    if not REALDATA.is_dir():
        pytest.skip(f"real vendor samples not found at {REALDATA}")
    return REALDATA
