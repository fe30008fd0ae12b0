"""Help → Keyboard Shortcuts (F1): every key of MitraPlan, grouped where it works.

The window's keys come from its actions themselves, one section per menu (in menu-bar order), then the
keys of a focused panel (the clip map's S, D, J, Delete) and the mouse gestures. The 3D volume viewer,
the compare window and the presentation are windows of their own with their own keys: their sections
are built from their key tables (``gui.volume.viewer.TOOLS``, ``gui.present.presentation.NEXT_KEYS``...)
where those exist, so a key changed there changes here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import QDialog, QHeaderView, QMenu, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

#: (what, key) of one shortcut; a section is (where it works, its rows).
Row = tuple[str, str]
Section = tuple[str, list[Row]]


def key_text(action: QAction) -> str:
    """The action's keys as the platform writes them ("Ctrl+O"; several joined by ", ")."""
    return ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())


def _keys(keys: Iterable[Qt.Key]) -> str:
    return ", ".join(sorted(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in keys))


def _rows(actions: Iterable[QAction]) -> list[Row]:
    return [(a.text().replace("&", ""), key_text(a)) for a in actions if not a.shortcut().isEmpty()]


def _menu_title(name: str, menu: QMenu, menus: Mapping[str, QMenu]) -> str:
    """The menu's title as the user finds it: a submenu under its parent ("View → Panels")."""
    title = menu.title().replace("&", "")
    parent = next((m for m in menus.values() if menu.menuAction() in m.actions()), None)
    return f"{parent.title().replace('&', '')} → {title}" if parent is not None else title


def window_sections(window: QWidget, menus: Mapping[str, QMenu], gestures: Sequence[tuple[str, str]]) -> list[Section]:
    """The main window's keys: one section per menu, then the keys of a focused panel (actions with a key in
    no menu), then the mouse ``gestures`` ((gesture, what it does))."""
    sections: list[Section] = []
    listed: set[int] = set()
    for name, menu in menus.items():
        actions = menu.actions()
        listed.update(id(a) for a in actions)
        rows = _rows(actions)
        if rows:
            sections.append((f"{_menu_title(name, menu, menus)} menu", rows))
    others = _rows(a for a in window.findChildren(QAction) if id(a) not in listed)
    if others:
        sections.append(("In a focused panel", others))
    sections.append(("Mouse, on the image", [(what, gesture) for gesture, what in gestures]))
    return sections


def volume_section() -> Section:
    """File → Open 3D Volume: the viewer's tools (its key table) and the keys of a focused plane."""
    from gui.volume.viewer import STEP_MM, TOOLS, TURN_DEG

    rows = [(f"Tool: {text}", key) for text, key in TOOLS.values()]
    rows += [(f"Move the plane {STEP_MM:g} mm within its view", "Left, Right, Up, Down"),
             (f"Turn the plane about its normal ({TURN_DEG:g}° a press)", "Shift+Left, Shift+Right"),
             (f"Tilt the plane ({TURN_DEG:g}° a press)", "Shift+Up, Shift+Down"),
             (f"Move the plane {STEP_MM:g} mm along its normal", "PgUp, PgDown"),
             ("Play/pause the time points", "Space"),
             ("Finish the area being drawn", "Return"),
             ("Cancel the drawing, else back to Navigate", "Esc")]
    return "3D volume viewer (its own window)", rows


def compare_section() -> Section:
    """View → Compare with Prior…: the compare window's keys."""
    return "Compare with prior (its own window)", [("Play/pause", "Space"),
                                                   ("Step back / forward a frame", "Left, Right"),
                                                   ("Close the window", "Esc")]


def presentation_section() -> Section:
    """View → Presentation (F5): the slide keys (its key tables)."""
    from gui.present.presentation import NEXT_KEYS, PREVIOUS_KEYS

    return "Presentation (F5)", [("Next slide", _keys(NEXT_KEYS)), ("Previous slide", _keys(PREVIOUS_KEYS)),
                                 ("First / last slide", "Home, End"),
                                 ("Scroll the summary slide", "Up, Down"),
                                 ("Loop slide: show the marked frame", "M"),
                                 ("Loop slide: play/pause", "P, Return"),
                                 ("Leave the presentation", "Esc")]


def all_sections(window: QWidget, menus: Mapping[str, QMenu], gestures: Sequence[tuple[str, str]]) -> list[Section]:
    """Every section F1 shows: the window's, then the other windows'."""
    return [*window_sections(window, menus, gestures), volume_section(), compare_section(), presentation_section()]


class ShortcutsDialog(QDialog):
    """Help → Keyboard Shortcuts (F1): a header row for each section, its keys under it."""

    def __init__(self, sections: Sequence[Section], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.sections = list(sections)
        self.rows = [row for _title, rows in self.sections for row in rows]
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Action", "Key"])
        self.tree.setRootIsDecorated(False)
        self.tree.setItemsExpandable(False)
        bold = QFont(self.font())
        bold.setBold(True)
        for title, rows in self.sections:
            header = QTreeWidgetItem(self.tree, [title])
            header.setFont(0, bold)
            header.setFlags(Qt.ItemFlag.ItemIsEnabled)
            header.setFirstColumnSpanned(True)
            for what, key in rows:
                QTreeWidgetItem(header, [what, key])
        self.tree.expandAll()
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree)
        self.resize(560, 720)
