"""Help → Keyboard Shortcuts (F1): grouped by where the keys work, the other windows' keys included, and
no key given twice where it works."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest

from gui.panels.shortcuts import ShortcutsDialog


@pytest.fixture
def dialog(qtbot: Any, window: Any) -> ShortcutsDialog:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # window-wide keys reach the active window only
    QTest.keyClick(window, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: window.findChild(ShortcutsDialog) is not None)
    shown = window.findChild(ShortcutsDialog)
    assert shown.isVisible()
    return shown


def _section(dialog: ShortcutsDialog, title: str) -> dict[str, str]:
    return {what: key for what, key in dict(dialog.sections)[title]}


def test_f1_groups_the_keys_by_menu_with_a_header_row_each(dialog: ShortcutsDialog) -> None:
    titles = [title for title, _rows in dialog.sections]
    assert titles[:3] == ["File menu", "Edit menu", "View menu"]
    assert {"View → Panels menu", "Measure menu", "Playback menu", "Help menu", "Mouse, on the image",
            "3D volume viewer (its own window)", "Presentation (F5)"} <= set(titles)
    assert _section(dialog, "Playback menu")["Play/Pause"] == "Space"
    assert _section(dialog, "Help menu")["Keyboard Shortcuts"] == "F1"
    tree = dialog.tree
    assert [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())] == titles  # one header each
    assert all(tree.topLevelItem(i).isExpanded() for i in range(tree.topLevelItemCount()))


def test_the_volume_viewer_and_presentation_keys_are_listed(dialog: ShortcutsDialog) -> None:
    volume = _section(dialog, "3D volume viewer (its own window)")
    assert {volume[f"Tool: {t}"] for t in ("Navigate", "Distance", "Area", "Point", "Align to valve",
                                            "Tie to en face")} == set("NDAPVT")
    keys = set(volume.values())
    assert {"Space", "Left, Right, Up, Down", "Shift+Left, Shift+Right", "PgUp, PgDown", "Esc"} <= keys
    present = _section(dialog, "Presentation (F5)")
    assert present["Next slide"] == "PgDown, Right, Space" and present["Previous slide"] == "Left, PgUp"
    assert present["Leave the presentation"] == "Esc"


def test_open_case_has_a_key_and_it_opens_the_case_chooser(qtbot: Any, window: Any, dialog: ShortcutsDialog,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    assert _section(dialog, "File menu")["Open Case…"] == "Ctrl+Shift+C"
    dialog.close()
    asked: list[str] = []
    monkeypatch.setattr("gui.annotate.QFileDialog.getOpenFileName",
                        lambda _parent, title, *_a: (asked.append(title), ("", ""))[1])
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    QTest.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert asked == ["Open a case"] and window.session.document is None  # cancelled: nothing opened


def test_no_two_actions_share_a_key_where_they_work(qtbot: Any, window: Any) -> None:
    """Window-wide keys are unique in the window; a panel's own keys (the clip map's) unique in that panel."""
    window.session.new()
    window.actions_by_name["show_clip_map"].trigger()  # builds the clip map and its own keys
    qtbot.waitUntil(lambda: window.case_docks.valve_map.view.isVisible())
    scoped: Counter[tuple[object, str]] = Counter()
    for action in {id(a): a for a in window.findChildren(QAction) if not a.shortcut().isEmpty()}.values():
        window_wide = action.shortcutContext() in (Qt.ShortcutContext.WindowShortcut,
                                                   Qt.ShortcutContext.ApplicationShortcut)
        scope = "window" if window_wide else tuple(sorted(id(o) for o in action.associatedObjects()))
        for key in action.shortcuts():
            scoped[(scope, key.toString(QKeySequence.SequenceFormat.PortableText))] += 1
    assert len(scoped) > 50
    assert [k for k, n in scoped.items() if n > 1] == []


def test_no_key_is_listed_twice_in_one_section(dialog: ShortcutsDialog) -> None:
    for title, rows in dialog.sections:
        keys = Counter(k for _what, key in rows for k in key.split(", "))
        assert [k for k, n in keys.items() if n > 1] == [], title
