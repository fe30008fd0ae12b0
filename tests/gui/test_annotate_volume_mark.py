"""Jumping to a 2D mark opens its loop (``StudyCatalog.find_loop``), never a volume: a 2D mark whose
sop_instance_uid names the study's 3D volume is refused with a notice saying so, and the viewer stays
where it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from demo.case import write_demo_case
from gui.session import Unsaved
from measurements.marks import Mark, MarkType
from planning.commands import AddMark


def _open_demo_case(qtbot: Any, win: Any, demo_study: Any, tmp_path: Path) -> None:
    win.session.ask_unsaved = lambda name: Unsaved.DISCARD
    win.open_paths([write_demo_case(demo_study, tmp_path)])
    qtbot.waitUntil(lambda: win.session.document is not None and win.grid.active.info is not None
                    and not win.tasks.running, timeout=20000)


def test_a_2d_mark_naming_a_volume_is_refused_with_a_clear_notice(qtbot: Any, window: Any, demo_study: Any,
                                                                  tmp_path: Path) -> None:
    win = window
    _open_demo_case(qtbot, win, demo_study, tmp_path)
    (volume,) = win.catalog.volumes()
    uid = str(volume.sop_instance_uid)
    assert win.catalog.find_loop(uid) is None and win.catalog.find(uid) is not None  # find alone would take it
    mark = Mark("m_on_volume", MarkType.DISTANCE, "Vena contracta", uid, 1, 0, ((10.5, 10.5), (30.5, 10.5)),
                purpose="vena_contracta")
    win.session.push(AddMark(mark))
    shown = win.grid.active.info.sop_instance_uid
    win.annotation.jump_to_mark(mark.id)
    expected = f"mark 'm_on_volume' is a 2D mark but its image {uid} is a 3D volume, not a loop"
    qtbot.waitUntil(lambda: any(expected in m for m in win.notice_area.messages()), timeout=5000)
    assert win.grid.active.info.sop_instance_uid == shown  # nothing opened


def test_a_2d_mark_on_a_loop_is_still_shown(qtbot: Any, window: Any, demo_study: Any, tmp_path: Path) -> None:
    win = window
    _open_demo_case(qtbot, win, demo_study, tmp_path)
    mark = next(m for m in win.session.document.marks if not m.is_3d)
    win.annotation.jump_to_mark(mark.id)
    qtbot.waitUntil(lambda: mark.id in win.annotation.overlay().items, timeout=10000)
    assert str(win.grid.active.info.sop_instance_uid) == mark.sop_instance_uid
    assert not any("3D volume, not a loop" in m for m in win.notice_area.messages())
