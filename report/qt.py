"""Headless Qt for rendering: one QGuiApplication on the offscreen platform unless a display is set."""

from __future__ import annotations

import os
import sys

from PySide6.QtGui import QGuiApplication


def ensure_app() -> QGuiApplication:
    """The running application, or a new offscreen one (fonts need it; no window is ever shown).

    When the widgets module is already loaded (the app, or a test session with GUI tests), the new
    instance is a QApplication so that widgets can still be made later in the same process; this
    module never imports QtWidgets itself.
    """
    app = QGuiApplication.instance()
    if app is None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        widgets = sys.modules.get("PySide6.QtWidgets")
        factory = widgets.QApplication if widgets is not None else QGuiApplication
        app = factory(["mitraplan-report"])
    return app  # type: ignore[return-value]
