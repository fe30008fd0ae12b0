"""The mouse wheel never changes a field the reader did not pick.

Scrolling a panel with the wheel passes over its combo boxes and spin boxes; Qt lets each one take
the wheel (and, with its default ``WheelFocus``, even the keyboard focus), so a scroll silently
changes a value of the case. ``WheelGuard`` is one application-level event filter: it turns every
combo box and spin box to ``StrongFocus`` (click or Tab, never the wheel) when it is polished or the
pointer enters it, and hands a wheel event over one without keyboard focus to its parents instead,
up to the first that takes it (the enclosing scroll area scrolls). A focused field still steps with
the wheel.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QWidget

_GUARDED = (QComboBox, QAbstractSpinBox)


def pass_to_parents(widget: QWidget, event: QWheelEvent) -> bool:
    """Offer ``event`` to each parent of ``widget`` in turn (positions mapped) until one accepts it.

    Done by hand because Qt passes only spontaneous wheel events on to parents, and those only
    while the receiver ignores them; True when a parent took it."""
    position, child = event.position(), widget
    while not child.isWindow() and (parent := child.parentWidget()) is not None:
        position, child = child.mapToParent(position), parent
        offered = QWheelEvent(position, event.globalPosition(), event.pixelDelta(), event.angleDelta(),
                              event.buttons(), event.modifiers(), event.phase(), event.inverted(),
                              event.source())
        QApplication.sendEvent(child, offered)
        if offered.isAccepted():
            return True
    return False


def no_wheel_focus(widget: QWidget) -> None:
    """A wheel alone never gives ``widget`` the keyboard focus (click and Tab still do)."""
    if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


class WheelGuard(QObject):
    """Application event filter keeping wheel events away from unfocused combo and spin boxes."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not isinstance(watched, _GUARDED):
            return False
        kind = event.type()
        if kind in (QEvent.Type.Polish, QEvent.Type.Enter):  # Enter: the pointer comes before its wheel
            no_wheel_focus(watched)
        elif kind == QEvent.Type.Wheel and isinstance(event, QWheelEvent) and not watched.hasFocus():
            event.setAccepted(pass_to_parents(watched, event))
            return True  # the field never sees it
        return False


def install_wheel_guard(owner: QObject) -> WheelGuard:
    """Install the guard on the application for as long as ``owner`` (the main window) lives."""
    guard = WheelGuard(owner)
    app = QApplication.instance()
    assert app is not None, "the QApplication exists before any window"
    app.installEventFilter(guard)
    return guard
