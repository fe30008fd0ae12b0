"""Headless Qt for rendering: one QGuiApplication on the offscreen platform unless a display is set."""

from __future__ import annotations

import os

from PySide6.QtGui import QGuiApplication


def ensure_app() -> QGuiApplication:
    """The running QGuiApplication, or a new offscreen one (fonts need it; no window is ever shown)."""
    app = QGuiApplication.instance()
    if app is None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QGuiApplication(["mitraplan-report"])
    return app  # type: ignore[return-value]
