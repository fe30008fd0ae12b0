"""The dark reading-room theme: Fusion style, a dark palette and a few style rules."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = "#3d9be9"
#: Refusal and error hints on the dark window background (#1e2126): 5.8:1 contrast (WCAG AA asks 4.5:1; the old #b00020 gave 2.2:1).
REFUSAL = "#ff6b6b"
_COLOURS = {
    QPalette.ColorRole.Window: "#1e2126",
    QPalette.ColorRole.WindowText: "#d5d8dc",
    QPalette.ColorRole.Base: "#16181c",
    QPalette.ColorRole.AlternateBase: "#1b1e22",
    QPalette.ColorRole.ToolTipBase: "#2a2e35",
    QPalette.ColorRole.ToolTipText: "#e6e8ea",
    QPalette.ColorRole.Text: "#d5d8dc",
    QPalette.ColorRole.Button: "#2a2e35",
    QPalette.ColorRole.ButtonText: "#d5d8dc",
    QPalette.ColorRole.BrightText: "#ffffff",
    QPalette.ColorRole.Highlight: ACCENT,
    QPalette.ColorRole.HighlightedText: "#0b0d10",
    QPalette.ColorRole.Link: ACCENT,
    QPalette.ColorRole.PlaceholderText: "#7b818a",
}

STYLE_SHEET = f"""
QMainWindow::separator {{ background: #121417; width: 3px; height: 3px; }}
QDockWidget::title {{ background: #262a30; padding: 4px 6px; }}
QToolBar {{ background: #23272d; border: 0; spacing: 2px; padding: 2px; }}
QStatusBar {{ background: #121417; color: #c3c7cc; }}
QStatusBar QLabel#readout {{ font-family: monospace; }}
QTreeView {{ background: #15171a; border: 0; }}
QTreeView::item {{ padding: 2px; }}
QTreeView::item:selected {{ background: #2d5f8a; color: #ffffff; }}
QFrame#viewport {{ border: 1px solid #2a2e35; background: #000; }}
QFrame#viewport[active="true"] {{ border: 1px solid {ACCENT}; }}
QLabel.overlay {{ color: #e3e6e9; background: rgba(0, 0, 0, 150); padding: 1px 4px; font-size: 11px; }}
QWidget#notice-error {{ background: #5a1f24; color: #ffd9dc; }}
QWidget#notice-warning {{ background: #5a4a1f; color: #fff1cc; }}
QWidget#notice-info {{ background: #1f3d5a; color: #d9ecff; }}
QWidget#transport {{ background: #1a1d21; }}
QSlider::groove:horizontal {{ height: 4px; background: #3a3f47; }}
QSlider::handle:horizontal {{ background: {ACCENT}; width: 10px; margin: -6px 0; border-radius: 3px; }}
"""


def apply_dark_theme(app: QApplication) -> None:
    """Fusion with the dark palette: echo reading stations are read in dimmed rooms."""
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in _COLOURS.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b7078"))
    app.setPalette(palette)
    app.setStyleSheet(STYLE_SHEET)
