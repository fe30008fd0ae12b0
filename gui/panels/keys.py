"""Keys a form keeps for itself: the window's single-key shortcuts (←/→ step frames, ↑/↓ change loop,
Space plays) would otherwise take the arrows from a focused combo box, table or check box."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt

NAVIGATION_KEYS = frozenset({Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home,
                             Qt.Key.Key_End, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown, Qt.Key.Key_Space,
                             Qt.Key.Key_Return, Qt.Key.Key_Enter})
_PLAIN = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier


def claim_navigation(event: QEvent) -> bool:
    """Accept a ShortcutOverride for a plain navigation key (the focused field then gets the key);
    True when claimed. Call from a panel's ``event()``: the override rises from the focused child."""
    if event.type() == QEvent.Type.ShortcutOverride and event.key() in NAVIGATION_KEYS \
            and not event.modifiers() & ~_PLAIN:
        event.accept()
        return True
    return False
