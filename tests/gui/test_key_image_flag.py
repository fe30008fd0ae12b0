"""Flag key image (K) in the window: one undo step per toggle, badge and slider flags, saved in the case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from gui.session import Unsaved
from planning.case import load_case
from tests.gui.conftest import open_in, wait_frame


@pytest.fixture
def flagging(qtbot: Any, demo_window: Any, demo_study: Any) -> Any:
    win = demo_window
    win.session.ask_unsaved = lambda name: Unsaved.DISCARD
    win.annotation.new_case()
    viewport = open_in(qtbot, win, demo_study.files["me_long_axis"])
    viewport.show_frame(4)  # frame 5
    wait_frame(qtbot, viewport, 4)
    win.activateWindow()
    return win, viewport


def test_k_flags_the_frame_undo_unflags_and_the_case_keeps_it(qtbot: Any, flagging: Any, tmp_path: Path) -> None:
    win, viewport = flagging
    flags, uid = win.key_images, str(viewport.info.sop_instance_uid)
    badge = flags.badges[id(viewport)]
    assert not badge.isVisible() and win.transport.slider.key_frames == ()
    QTest.keyClick(win, Qt.Key.Key_K)
    assert win.session.document.field(("key_images",)) == [{"sop_instance_uid": uid, "frame_number": 5}]
    assert badge.isVisible() and badge.text() == "★ Key image" and flags.action.isChecked()
    assert win.transport.slider.key_frames == (5,)
    assert win.session.undo.stack.undoText() == "Flag key image (frame 5)"
    viewport.show_frame(6)  # another frame: no badge, the slider still shows frame 5's flag
    wait_frame(qtbot, viewport, 6)
    assert not badge.isVisible() and not flags.action.isChecked() and win.transport.slider.key_frames == (5,)
    win.actions_by_name["flag_key_image"].trigger()  # the menu action flags frame 7 too
    assert win.transport.slider.key_frames == (5, 7)
    win.actions_by_name["undo"].trigger()
    assert win.transport.slider.key_frames == (5,) and not badge.isVisible()
    win.actions_by_name["redo"].trigger()
    assert win.transport.slider.key_frames == (5, 7) and badge.isVisible()
    path = tmp_path / "flags.mitraplan.json"
    assert win.session.save(path)
    assert load_case(path).extra["key_images"] == [{"sop_instance_uid": uid, "frame_number": 5},
                                                   {"sop_instance_uid": uid, "frame_number": 7}]


def test_k_again_unflags_and_the_action_sits_in_the_measure_menu(qtbot: Any, flagging: Any) -> None:
    win, viewport = flagging
    measure = win.menus["measure"]
    assert win.actions_by_name["flag_key_image"] in measure.actions()
    assert win.actions_by_name["flag_key_image"].shortcut().toString() == "K"
    win.key_images.toggle()
    win.key_images.toggle()
    assert win.session.document.field(("key_images",)) is not None
    assert "key_images" not in win.session.document.case.to_json()  # the last flag removed: no key left
    assert win.transport.slider.key_frames == () and not win.key_images.badges[id(viewport)].isVisible()
    assert win.session.undo.stack.count() == 2


def test_without_a_case_flagging_says_why(qtbot: Any, demo_window: Any) -> None:
    warnings: list[str] = []
    demo_window.notices.warning = warnings.append
    assert not demo_window.key_images.toggle()
    assert warnings == ["Flag key image: no case is open: File → New Case first"]
