"""Keys a focused field keeps for itself.

The window's single-key shortcuts (←/→ step frames, ↑/↓ change loop, Space plays, letters pick
tools) are window-wide, so without help they take the arrows from a focused combo box, table or
tree and the letters from a line edit. ``FieldKeys`` is one application-level event filter that
answers the ShortcutOverride Qt sends to the focused widget before any shortcut fires: a text field
keeps every plain key, a list, table or tree keeps ↑/↓ and Enter (not the frame keys), a combo box or
spin box keeps its navigation keys, and a button or check box keeps Space. Everything else (the viewer,
sliders, the dock backgrounds) still gets the window's keys.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
)

_K = Qt.Key
#: A list, table or tree moves up and down (and opens its row with Enter); the frame keys (←/→,
#: Home/End, Space) stay with the window, so after double-clicking a loop in the browser the
#: reviewer can still step, jump and play.
LIST_KEYS = frozenset({_K.Key_Up, _K.Key_Down, _K.Key_PageUp, _K.Key_PageDown, _K.Key_Return, _K.Key_Enter})
#: A combo box or spin box in a form keeps every navigation key (Space opens a combo's list).
STEP_KEYS = frozenset({_K.Key_Up, _K.Key_Down, _K.Key_Left, _K.Key_Right, _K.Key_PageUp, _K.Key_PageDown,
                       _K.Key_Home, _K.Key_End, _K.Key_Space})
#: A text field keeps these besides every printable character.
EDITING_KEYS = LIST_KEYS | STEP_KEYS | {_K.Key_Delete, _K.Key_Backspace}
_PLAIN = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier
_CTRL = Qt.KeyboardModifier.ControlModifier
#: With Ctrl, a text field keeps these (word movement) from the beat-stepping shortcuts.
WORD_KEYS = frozenset({_K.Key_Left, _K.Key_Right})


def _is_text_field(widget: QObject) -> bool:
    """A widget where typing enters text: an editable line, text box, spin box or combo box."""
    if isinstance(widget, (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox)):
        return not widget.isReadOnly()
    return isinstance(widget, QComboBox) and widget.isEditable()


def field_keeps(widget: QObject, event: QKeyEvent) -> bool:
    """True when the focused ``widget`` should get ``event``'s key instead of a window shortcut."""
    key = event.key()
    if _is_text_field(widget) and key in WORD_KEYS and event.modifiers() & ~_PLAIN == _CTRL:
        return True  # Ctrl+←/→ move a word in text, not a beat in the loop
    if event.modifiers() & ~_PLAIN:
        return False  # other Ctrl/Alt/Meta combinations stay shortcuts everywhere
    if _is_text_field(widget):
        return key in EDITING_KEYS or bool(event.text() and event.text().isprintable())
    if isinstance(widget, QAbstractItemView):
        return key in LIST_KEYS
    if isinstance(widget, (QComboBox, QAbstractSpinBox)):
        return key in STEP_KEYS
    if isinstance(widget, (QTextEdit, QPlainTextEdit)):
        return key in LIST_KEYS | {_K.Key_Left, _K.Key_Right}  # a read-only text still scrolls
    if isinstance(widget, QAbstractButton):
        return key == _K.Key_Space
    return False


class FieldKeys(QObject):
    """Application event filter: a focused field's ShortcutOverride is accepted for keys it keeps."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and watched is QApplication.focusWidget() \
                and isinstance(event, QKeyEvent) and field_keeps(watched, event):
            event.accept()
            return True
        return False


def install_field_keys(owner: QObject) -> FieldKeys:
    """Install the filter on the application for as long as ``owner`` (the main window) lives."""
    keys = FieldKeys(owner)
    QApplication.instance().installEventFilter(keys)
    return keys
