"""Drive the main window on the demo study: browse, play, step, layouts, sync, readout, errors."""

from __future__ import annotations

import bisect
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("demo.phantom", reason="needs the imaging core")

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import open_in, wait_frame, wait_loaded


def key(win: Any, k: Any, modifier: Any = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(win, k, modifier)


def spectral(viewport: Any) -> Any:
    return next(r for r in viewport.regions if r.is_spectral)


def test_demo_study_fills_browser_with_thumbnails_and_shows_the_first_loop(qtbot: Any, demo_window: Any,
                                                                            demo_study: Any) -> None:
    win = demo_window
    infos = win.browser.loop_infos()
    assert {Path(i.path) for i in infos} == {Path(p) for p in demo_study.files.values()}
    qtbot.waitUntil(lambda: all(win.browser.has_thumbnail(str(i.sop_instance_uid)) for i in infos), timeout=15000)
    active = win.grid.active
    assert active.frame_number == 1 and active.displayed_index == 0
    assert active.current_image().shape[:2] == (active.info.rows, active.info.columns)


def test_play_under_a_fake_clock_reaches_the_frame_of_the_loop_timing(qtbot: Any, demo_window: Any,
                                                                      demo_study: Any, fake_clock: Any) -> None:
    viewport = open_in(qtbot, demo_window, demo_study.files["me_commissural"])
    times = list(viewport.timing.frame_times_ms)
    key(demo_window, Qt.Key.Key_Space)
    assert viewport.playing
    elapsed = 0.6 * times[-1]  # part way through the loop
    fake_clock.advance_ms(elapsed)
    viewport.tick()
    expected = bisect.bisect_right(times, elapsed) - 1  # the last frame started by then
    assert viewport.frame_index == expected > 0
    wait_frame(qtbot, viewport, expected)
    # past the end it wraps: the loop lasts duration_ms, so duration + 1 ms is frame 1 again
    fake_clock.advance_ms(viewport.timing.duration_ms - elapsed + 1)
    viewport.tick()
    assert viewport.frame_index == 0
    key(demo_window, Qt.Key.Key_Space)
    assert not viewport.playing


def test_a_slow_display_skips_frames_instead_of_slowing_the_clock(qtbot: Any, demo_window: Any,
                                                                  demo_study: Any, fake_clock: Any) -> None:
    viewport = open_in(qtbot, demo_window, demo_study.files["me_commissural"])
    times = viewport.timing.frame_times_ms
    viewport.play()
    fake_clock.advance_ms((times[5] + times[6]) / 2)  # the display "missed" frames 2..5
    viewport.tick()
    assert viewport.frame_index == 5
    assert viewport.dropped_frames == 4


def test_half_speed_plays_at_half_the_loop_timing(qtbot: Any, demo_window: Any, demo_study: Any,
                                                  fake_clock: Any) -> None:
    viewport = open_in(qtbot, demo_window, demo_study.files["me_commissural"])
    times = list(viewport.timing.frame_times_ms)
    key(demo_window, Qt.Key.Key_BracketLeft)  # x1 -> x0.5
    assert viewport.speed == 0.5
    viewport.play()
    fake_clock.advance_ms(times[4] * 2 + 1)  # twice as long to reach frame 5 (index 4)
    viewport.tick()
    assert viewport.frame_index == 4


def test_keyboard_steps_frames_and_jumps_to_first_and_last(qtbot: Any, demo_window: Any) -> None:
    win, viewport = demo_window, demo_window.grid.active
    n = viewport.n_frames
    key(win, Qt.Key.Key_Right)
    key(win, Qt.Key.Key_Right)
    assert viewport.frame_number == 3
    wait_frame(qtbot, viewport, 2)
    key(win, Qt.Key.Key_Left)
    assert viewport.frame_number == 2
    key(win, Qt.Key.Key_End)
    assert viewport.frame_number == n
    key(win, Qt.Key.Key_Right)  # wraps
    assert viewport.frame_number == 1
    key(win, Qt.Key.Key_Left)
    assert viewport.frame_number == n
    key(win, Qt.Key.Key_Home)
    assert viewport.frame_number == 1
    assert win.transport.slider.value() == 1


def test_loop_range_limits_stepping(qtbot: Any, demo_window: Any) -> None:
    win, viewport = demo_window, demo_window.grid.active
    for _ in range(3):
        key(win, Qt.Key.Key_Right)
    key(win, Qt.Key.Key_I)  # range starts at frame 4
    for _ in range(2):
        key(win, Qt.Key.Key_Right)
    key(win, Qt.Key.Key_O)  # ... and ends at frame 6
    assert viewport.loop_range == (3, 5)
    key(win, Qt.Key.Key_Right)
    assert viewport.frame_number == 4
    key(win, Qt.Key.Key_I, Qt.KeyboardModifier.ShiftModifier)
    assert viewport.loop_range == (0, viewport.n_frames - 1)


def test_layout_keys_switch_layouts_and_fill_the_new_viewports(qtbot: Any, demo_window: Any) -> None:
    win = demo_window
    key(win, Qt.Key.Key_2)
    assert win.grid.layout_size == 2
    wait_loaded(qtbot, win)
    assert len(win.grid.loaded()) == 2
    key(win, Qt.Key.Key_4)
    wait_loaded(qtbot, win)
    assert len(win.grid.loaded()) == 4
    uids = {str(v.info.sop_instance_uid) for v in win.grid.loaded()}
    assert len(uids) == 4  # four different loops
    key(win, Qt.Key.Key_1)
    assert win.grid.layout_size == 1 and [v.isVisible() for v in win.grid.viewports] == [True, False, False, False]


def test_a_narrow_viewport_wraps_its_title_inside_itself(qtbot: Any, demo_window: Any) -> None:
    viewport = demo_window.grid.viewports[0]
    one_line = viewport.title_label.fontMetrics().height()
    viewport.resize(260, 300)  # far narrower than the "name · 800×600 · 60 frames · 40 fps · HR 72 bpm" line
    title = viewport.title_label.geometry()
    assert title.right() < viewport.width()
    assert title.height() >= 3 * one_line  # two lines of text became at least three


def test_two_loops_play_in_sync_by_frame(qtbot: Any, demo_window: Any, demo_study: Any, fake_clock: Any) -> None:
    win = demo_window
    key(win, Qt.Key.Key_2)
    leader = open_in(qtbot, win, demo_study.files["me_commissural"], win.grid.viewports[0])
    follower = open_in(qtbot, win, demo_study.files["me_long_axis"], win.grid.viewports[1])
    win.set_sync_mode("frame")
    win.grid.set_active(leader)
    for _ in range(6):
        key(win, Qt.Key.Key_Right)
    assert leader.frame_number == 7
    assert follower.frame_number == 7 % follower.n_frames
    win.toggle_play()
    assert leader.playing and not follower.playing  # one clock: the leader's
    times = list(leader.timing.frame_times_ms)
    fake_clock.advance_ms(times[10] - times[6] + 1)
    leader.tick()
    assert leader.frame_number == 11
    assert follower.frame_number == 11 % follower.n_frames
    win.toggle_play()


def test_two_loops_sync_by_cardiac_cycle_when_both_know_it(qtbot: Any, demo_window: Any,
                                                           demo_study: Any) -> None:
    from gui.viewer.sync import cycle_marks_ms

    win = demo_window
    key(win, Qt.Key.Key_2)
    leader = open_in(qtbot, win, demo_study.files["me_commissural"], win.grid.viewports[0])
    follower = open_in(qtbot, win, demo_study.files["color_flow"], win.grid.viewports[1])
    lead_marks, follow_marks = cycle_marks_ms(leader.timing), cycle_marks_ms(follower.timing)
    # the phantom writes a heart rate and R waves into both loops (demo/phantom.py): a cycle to sync by
    assert lead_marks is not None and follow_marks is not None
    win.set_sync_mode("cycle")
    win.grid.set_active(leader)
    # put the leader at the frame nearest the middle of its first full cycle
    t_mid = (lead_marks[1] + lead_marks[2]) / 2 if lead_marks[0] < 0 else (lead_marks[0] + lead_marks[1]) / 2
    k = leader.timing.frame_at(t_mid)
    leader.show_frame(k)
    t_lead = leader.timing.frame_times_ms[k]
    i = bisect.bisect_right(lead_marks, t_lead) - 1
    phase = (t_lead - lead_marks[i]) / (lead_marks[i + 1] - lead_marks[i])
    j = i % (len(follow_marks) - 1)
    t_follow = follow_marks[j] + phase * (follow_marks[j + 1] - follow_marks[j])
    assert follower.frame_index == follower.timing.frame_at(t_follow)


def hover(qtbot: Any, win: Any, viewport: Any, x: float, y: float) -> str:
    """Zoom in on image point (x, y), move the mouse onto it, return the status-bar readout."""
    viewport.set_scale(4.0, centre=(x, y))
    qtbot.waitUntil(lambda: abs(viewport.image_to_widget(x, y).x() - viewport.graphics.viewport().width() / 2) < 3)
    point = viewport.image_to_widget(x, y)
    target = viewport.graphics.viewport()
    local = QPointF(round(point.x()), round(point.y()))
    move = QMouseEvent(QEvent.Type.MouseMove, local, QPointF(target.mapToGlobal(local.toPoint())),
                       Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    limit = pg.getConfigOption("mouseRateLimit")
    pg.setConfigOption("mouseRateLimit", 0)  # pyqtgraph drops a move that follows another within 10 ms
    try:
        QApplication.sendEvent(target, move)
    finally:
        pg.setConfigOption("mouseRateLimit", limit)
    qtbot.waitUntil(lambda: win.readout_label.text() != "")
    return win.readout_label.text()


def test_readout_at_the_doppler_reference_pixel_and_on_the_baseline(qtbot: Any, demo_window: Any,
                                                                    demo_study: Any) -> None:
    win = demo_window
    viewport = open_in(qtbot, win, demo_study.files["cw_mr"])
    region = spectral(viewport)
    x0, y0, _x1, _y1 = region.location
    rx, ry = x0 + region.reference_pixel_x0, y0 + region.reference_pixel_y0  # absolute pixel index
    text = hover(qtbot, win, viewport, rx + 0.5, ry + 0.5)
    # named as the user counts regions, from 1 (the file keeps the 0-based index)
    assert f"region {region.index + 1} of {len(viewport.regions)}: spectral CW · " in text
    assert f"time {region.reference_value_x:.3f} s" in text
    assert f"velocity {region.reference_value_y / 100:.2f} m/s" in text  # cm/s -> m/s
    # the baseline (velocity 0) in another column of the strip; the time moves by 20 columns
    bx = rx - 20 if rx - 20 >= x0 else rx + 20
    win.readout_label.clear()
    text = hover(qtbot, win, viewport, bx + 0.5, region.baseline_y)
    assert "velocity 0.00 m/s" in text
    assert f"time {region.reference_value_x + (bx - rx) * region.delta_x:.3f} s" in text


def test_readout_outside_every_region_says_uncalibrated(qtbot: Any, demo_window: Any) -> None:
    win, viewport = demo_window, demo_window.grid.active
    corners = [(0.5, 0.5), (viewport.info.columns - 0.5, 0.5), (0.5, viewport.info.rows - 0.5),
               (viewport.info.columns - 0.5, viewport.info.rows - 0.5)]
    outside = [c for c in corners if not any(r.contains(*c) for r in viewport.regions)]
    assert outside, "the phantom's first loop leaves its image corners outside every region (demo/phantom.py)"
    assert hover(qtbot, win, viewport, *outside[0]).startswith("uncalibrated")


def test_region_outlines_toggle(qtbot: Any, demo_window: Any) -> None:
    viewport = demo_window.grid.active
    assert viewport.regions
    key(demo_window, Qt.Key.Key_R)
    assert viewport._outline_items and all(i.isVisible() for i in viewport._outline_items)
    key(demo_window, Qt.Key.Key_R)
    assert not any(i.isVisible() for i in viewport._outline_items)


def test_zoom_fit_and_one_to_one(qtbot: Any, demo_window: Any) -> None:
    win, viewport = demo_window, demo_window.grid.active
    key(win, Qt.Key.Key_0)
    (x0, x1), _ = viewport.view_box.viewRange()
    assert x1 - x0 == pytest.approx(viewport.view_box.boundingRect().width(), rel=0.02)
    key(win, Qt.Key.Key_Plus)
    (z0, z1), _ = viewport.view_box.viewRange()
    assert z1 - z0 < x1 - x0
    key(win, Qt.Key.Key_F)
    (f0, f1), (g0, g1) = viewport.view_box.viewRange()
    assert f0 <= 0.5 and f1 >= viewport.info.columns - 0.5 and g0 <= 0.5 and g1 >= viewport.info.rows - 0.5


def test_brightness_contrast_change_the_display_not_the_pixels(qtbot: Any, demo_window: Any) -> None:
    win, viewport = demo_window, demo_window.grid.active
    before = viewport.current_image().copy()
    key(win, Qt.Key.Key_B)
    key(win, Qt.Key.Key_C)
    assert viewport.image_item.levels is not None
    assert win.brightness_slider.value() == 10 and win.contrast_slider.value() == 10
    assert (viewport.current_image() == before).all()
    key(win, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert viewport.image_item.levels is None


def test_enter_and_arrow_keys_open_loops_in_the_active_viewport(qtbot: Any, demo_window: Any) -> None:
    win = demo_window
    infos = win.browser.loop_infos()
    win.browser.select(str(infos[2].sop_instance_uid))
    QTest.keyClick(win.browser, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.grid.active.info is not None
                    and win.grid.active.info.sop_instance_uid == infos[2].sop_instance_uid)
    key(win, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: win.grid.active.info.sop_instance_uid == infos[3].sop_instance_uid)
    key(win, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: win.grid.active.info.sop_instance_uid == infos[2].sop_instance_uid)


def test_unreadable_file_gives_a_notice_naming_it(qtbot: Any, window: Any, tmp_path: Path) -> None:
    bad = tmp_path / "broken.dcm"
    bad.write_bytes(b"this is not DICOM")
    window.open_paths([bad, tmp_path / "missing.dcm"])
    qtbot.waitUntil(lambda: not window.tasks.running)
    messages = window.notice_area.messages()
    assert any("missing.dcm" in m for m in messages)
    qtbot.waitUntil(lambda: any("broken.dcm" in m for m in window.notice_area.messages()))
    assert window.isVisible()


class FailingLoop:
    """Wraps a real loop; frames from ``fail_at`` on raise, like a file truncated mid-way."""

    def __init__(self, loop: Any, fail_at: int) -> None:
        self._loop, self._fail_at = loop, fail_at

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loop, name)

    def request(self, k: int) -> Any:
        if k >= self._fail_at:
            raise OSError(f"{self._loop.info.path}: frame {k + 1} is truncated")
        return self._loop.request(k)

    def prefetch(self, ks: Any) -> None:
        pass


def test_a_loop_failing_mid_way_gives_a_notice_and_the_window_stays_usable(qtbot: Any, demo_window: Any) -> None:
    win, viewport = demo_window, demo_window.grid.active
    viewport.set_loop(FailingLoop(viewport.loop, 3))
    key(win, Qt.Key.Key_Right)
    key(win, Qt.Key.Key_Right)
    key(win, Qt.Key.Key_Right)
    assert any(Path(viewport.info.path).name in m and "frame 4" in m for m in win.notice_area.messages())
    key(win, Qt.Key.Key_Home)
    assert viewport.frame_number == 1


def test_settings_remember_layout_outlines_and_recent_studies(qtbot: Any, demo_window: Any, settings: Any,
                                                              demo_study: Any, fake_clock: Any) -> None:
    from gui.main_window import MainWindow

    win = demo_window
    key(win, Qt.Key.Key_4)
    key(win, Qt.Key.Key_R)
    win.close()
    again = MainWindow(settings=settings, clock=fake_clock)
    qtbot.addWidget(again)
    assert again.grid.layout_size == 4
    assert again.actions_by_name["outlines"].isChecked()
    assert again.recent_studies()[0] == str(Path(demo_study.folder).resolve())
    assert next(a.text() for a in again.recent_menu.actions()) == str(Path(demo_study.folder).resolve())


def test_a_case_file_opens_with_its_images(qtbot: Any, window: Any, demo_study: Any, tmp_path: Path) -> None:
    from demo.case import write_demo_case

    case_path = write_demo_case(demo_study, tmp_path)
    window.open_paths([case_path])
    wait_loaded(qtbot, window)
    assert window.case is not None and window.case.path == case_path
    case_uids = {str(i["sop_instance_uid"]) for i in window.case.images}
    volume_uid = demo_study.truth["volume_3d"]["sop_instance_uid"]
    assert {str(i.sop_instance_uid) for i in window.browser.loop_infos()} == case_uids - {volume_uid}
    assert [a.text() for a in window.volumes.menu.actions() if a.text().startswith("volume_3d.dcm")] == [
        "volume_3d.dcm (72×64×48, 4 time points)"]  # the case's volume: listed for the viewer, never played


def test_a_folder_and_a_file_inside_it_index_each_loop_once(qtbot: Any, window: Any, demo_study: Any) -> None:
    window.open_paths([demo_study.folder, demo_study.files["cw_mr"]])
    wait_loaded(qtbot, window)
    assert len(window.browser.loop_infos()) == len(demo_study.files)
    assert not any("same SOP Instance UID" in m for m in window.notice_area.messages())


def test_file_menu_opens_a_dicomdir(qtbot: Any, window: Any, demo_study: Any, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from pydicom.fileset import FileSet
    from PySide6.QtWidgets import QFileDialog

    fs = FileSet()
    for path in demo_study.files.values():
        fs.add(path)
    fs.write(tmp_path / "media")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(tmp_path / "media" / "DICOMDIR"), ""))
    window.actions_by_name["open_dicomdir"].trigger()
    wait_loaded(qtbot, window)
    assert len(window.browser.loop_infos()) == len(demo_study.files)
    assert window.recent_studies()[0] == str((tmp_path / "media" / "DICOMDIR").resolve())


def test_file_menu_opens_a_folder(qtbot: Any, window: Any, demo_study: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(demo_study.folder))
    window.actions_by_name["open_folder"].trigger()
    wait_loaded(qtbot, window)
    assert len(window.browser.loop_infos()) == len(demo_study.files)


def test_drop_opens_the_files(qtbot: Any, window: Any, demo_study: Any) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(demo_study.files["cw_mr"]))])
    event = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    wait_loaded(qtbot, window)
    assert Path(window.grid.active.info.path) == Path(demo_study.files["cw_mr"])


def test_f1_lists_every_shortcut_of_the_window(qtbot: Any, window: Any) -> None:
    """F1 opens the list; every action with a key (the window's, the PACS and report actions, the panel
    shortcuts) is in it, with its key, and so is the Ctrl+click gesture."""
    from PySide6.QtGui import QAction, QKeySequence

    from gui.main_window import ShortcutsDialog

    QTest.keyClick(window, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: window.findChild(ShortcutsDialog) is not None)
    dialog = window.findChild(ShortcutsDialog)
    assert dialog.isVisible() and not dialog.isModal()
    keys = {k for _, k in dialog.rows}
    assert {"Space", "Left", "Right", "Home", "End", "Up", "Down", "+, =", "-", "F", "1", "2", "4"} <= keys
    assert {"Ctrl+Shift+P", "Ctrl+Shift+M", "Ctrl+Shift+A", "Ctrl+R", "K", "F1"} <= keys
    with_keys = [a for a in window.findChildren(QAction) if not a.shortcut().isEmpty()]
    assert len(with_keys) > 40
    for action in with_keys:
        key = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
        text = action.text().replace("&", "")
        assert any(k == key and t.endswith(text) for t, k in dialog.rows), (text, key)
    assert any(k == "Ctrl+click on an edge" for _, k in dialog.rows)


def test_excepthook_shows_a_notice_and_does_not_exit(qtbot: Any, window: Any) -> None:
    from gui import app

    app.RELAY.raised.connect(window.notices.error)
    try:
        raise ValueError("boom in a slot")
    except ValueError:
        app.excepthook(*sys.exc_info())
    assert any("boom in a slot" in m for m in window.notice_area.messages())
    assert window.isVisible()


def test_void_qt_calls_do_not_leak_references_to_none(qtbot: Any) -> None:
    """DESIGN.md Known traps: PySide6 6.12.0 on CPython 3.11 drops a reference to None per void call."""
    from PySide6.QtWidgets import QWidget

    widget = QWidget()
    qtbot.addWidget(widget)
    before = sys.getrefcount(None)
    for _ in range(500):
        widget.setEnabled(True)  # a void method
    assert sys.getrefcount(None) >= before
