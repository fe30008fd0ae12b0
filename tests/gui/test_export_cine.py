"""File → Export Cine…: the viewer's loop range, the banner area confirmed before export, off the GUI thread."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageSequence
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.gui.conftest import wait_frame, wait_loaded
from tests.report.cine_loops import REGION, grey_of, write_loop


@pytest.fixture
def cine_window(qtbot: Any, window: Any, tmp_path: Path) -> Any:
    folder = tmp_path / "study"
    folder.mkdir()
    write_loop(folder / "loop.dcm", frames=10, frame_time_ms=40.0)
    window.open_paths([folder])
    wait_loaded(qtbot, window)
    return window


def _set_range(qtbot: Any, win: Any, first: int, last: int) -> None:
    """Mark the loop range with the I and O keys, as a user does (1-based frames)."""
    viewport = win.grid.active
    for frame, key in ((first, Qt.Key.Key_I), (last, Qt.Key.Key_O)):
        viewport.show_frame(frame - 1)
        wait_frame(qtbot, viewport, frame - 1)
        QTest.keyClick(win, key)


def _type_path(dialog: Any, path: Path) -> None:
    dialog.out.selectAll()
    QTest.keyClicks(dialog.out, str(path))


def _frames(path: Path) -> list[np.ndarray]:
    with Image.open(path) as image:
        return [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(image)]


def _rgb_at(image: Any, x: int, y: int) -> tuple[int, int, int]:
    colour = image.pixelColor(x, y)
    return colour.red(), colour.green(), colour.blue()


def test_export_cine_writes_the_marked_range(qtbot: Any, cine_window: Any, tmp_path: Path) -> None:
    win = cine_window
    assert win.actions_by_name["export_cine"] in win.menus["file"].actions()
    _set_range(qtbot, win, 3, 7)
    assert win.grid.active.loop_range == (2, 6)
    win.actions_by_name["export_cine"].trigger()
    dialog = win.cine.dialog
    assert (dialog.first.value(), dialog.last.value()) == (3, 7)
    out = tmp_path / "clip.png"
    _type_path(dialog, out)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.tasks.running and out.exists()
                    and any("Cine written" in m for _, m in win.notices.history), timeout=15000)
    frames = _frames(out)
    assert len(frames) == 5 and [int(f[60, 80, 0]) for f in frames] == [grey_of(n) for n in range(3, 8)]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert win.notices.history[-1] == ("info", f"Cine written to {out} (5 frames, 25.0 fps)")


def test_banner_area_is_shown_and_must_be_confirmed(qtbot: Any, cine_window: Any, tmp_path: Path) -> None:
    win = cine_window
    win.actions_by_name["export_cine"].trigger()
    dialog = win.cine.dialog
    _type_path(dialog, tmp_path / "anon.gif")
    assert dialog.export_button.isEnabled()
    qtbot.mouseClick(dialog.blank, Qt.MouseButton.LeftButton)
    assert dialog.blank.isChecked() and not dialog.export_button.isEnabled()  # not before the user confirms
    assert dialog.preview.isVisible() and "kept: x 10–149, y 20–115" in dialog.area_text.text()
    shown = dialog.preview.pixmap().toImage()
    assert _rgb_at(shown, 2, 2) == (0, 0, 0)  # the banner is black in the preview
    qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    assert dialog.export_button.isEnabled()
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    out = tmp_path / "anon.gif"
    qtbot.waitUntil(lambda: not win.tasks.running and any("Cine written" in m for _, m in win.notices.history),
                    timeout=15000)
    x0, y0, x1, y1 = REGION
    for frame in _frames(out):
        assert frame[:y0].max() == 0 and frame[y0:y1 + 1, x0:x1 + 1].min() > 0
    assert "banner blanked" in win.notices.history[-1][1]


def test_a_file_that_cannot_be_written_is_named(qtbot: Any, cine_window: Any, tmp_path: Path) -> None:
    win = cine_window
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    win.actions_by_name["export_cine"].trigger()
    dialog = win.cine.dialog
    _type_path(dialog, blocker / "clip.mp4")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.tasks.running and win.notices.history
                    and win.notices.history[-1][0] == "error", timeout=15000)
    assert win.notices.history[-1][1].startswith(f"{blocker / 'clip.mp4'}: cine not written:")


def test_a_wrong_suffix_keeps_export_disabled(qtbot: Any, cine_window: Any, tmp_path: Path) -> None:
    win = cine_window
    win.actions_by_name["export_cine"].trigger()
    dialog = win.cine.dialog
    _type_path(dialog, tmp_path / "clip.avi")
    assert not dialog.export_button.isEnabled() and ".mp4, .gif or .png" in dialog.export_button.toolTip()
    QTest.keyClick(dialog, Qt.Key.Key_Return)  # Enter on a disabled Export writes nothing
    assert not (tmp_path / "clip.avi").exists() and not win.tasks.running


def test_the_open_cases_marks_are_burned_in(qtbot: Any, window: Any, tmp_path: Path) -> None:
    ds = write_loop(tmp_path / "loop.dcm", frames=5)
    sop = str(ds.SOPInstanceUID)
    case = tmp_path / "c.mitraplan.json"
    case.write_text(json.dumps({"format": "mitraplan-case", "version": 1, "study": {}, "notes": "",
                                "images": [{"sop_instance_uid": sop, "path": "loop.dcm"}],
                                "marks": [{"id": "d1", "type": "distance", "label": "annulus", "sop_instance_uid": sop,
                                           "frame_number": 3, "region": 0, "points": [[30.5, 70.5], [90.5, 70.5]]}]}),
                    encoding="utf-8")
    window.open_paths(window.open_case(case))
    wait_loaded(qtbot, window)
    window.actions_by_name["export_cine"].trigger()
    dialog = window.cine.dialog
    assert dialog.marks.isEnabled() and dialog.marks.isChecked()
    assert Path(dialog.out.text()).parent == tmp_path  # by default beside the case
    out = tmp_path / "marks.png"
    _type_path(dialog, out)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.tasks.running and any("Cine written" in m for _, m in window.notices.history),
                    timeout=15000)
    frames = _frames(out)
    assert tuple(frames[2][70, 60]) == (0xFF, 0xE6, 0x00) and tuple(frames[1][70, 60]) == (grey_of(2),) * 3


def test_the_area_and_every_frame_wording_say_what_they_mean(qtbot: Any, cine_window: Any) -> None:
    """The kept area reads in pixels, corner by corner, and the every-frame box says what it changes."""
    from PySide6.QtWidgets import QLabel

    cine_window.actions_by_name["export_cine"].trigger()
    dialog = cine_window.cine.dialog
    labels = [w.text() for w in dialog.findChildren(QLabel)]
    assert "Image area kept (pixels):" in labels
    assert {"from left x", "top y", "to right x", "bottom y"} <= set(labels)
    x0, y0, x1, y1 = REGION
    assert [s.text() for s in dialog.area] == [f"{x0} px", f"{y0} px", f"{x1} px", f"{y1} px"]
    assert dialog.every_frame.text() == "Show each mark on every frame (not only the frame it was drawn on)"
