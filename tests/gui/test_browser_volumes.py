"""The study browser lists 3D volumes as volumes and opens them in the volume viewer on double-click."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from demo.volume_phantom import write_enhanced_volume
from gui.panels.browser import INFO_ROLE, VOLUME_ROLE
from tests.gui.conftest import wait_loaded


def _volume_rows(browser: Any) -> list[Any]:
    rows = []
    stack = [browser.topLevelItem(i) for i in range(browser.topLevelItemCount())]
    while stack:
        item = stack.pop()
        if item.data(0, VOLUME_ROLE) is not None:
            rows.append(item)
        stack += [item.child(i) for i in range(item.childCount())]
    return rows


def _double_click(qtbot: Any, browser: Any, item: Any) -> None:
    browser.scrollToItem(item)
    centre = browser.visualItemRect(item).center()
    qtbot.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton, pos=centre)  # a real double-click starts with a press
    qtbot.mouseDClick(browser.viewport(), Qt.MouseButton.LeftButton, pos=centre)


def test_a_volume_beside_loops_has_its_own_row_and_opens_in_the_volume_viewer(
        qtbot: Any, window: Any, demo_study: Any, tmp_path: Path) -> None:
    volume = tmp_path / "volume.dcm"
    truth = write_enhanced_volume(volume, shape=(16, 20, 24))
    window.open_paths([volume, demo_study.files["me_commissural"]])
    wait_loaded(qtbot, window)
    qtbot.waitUntil(lambda: bool(_volume_rows(window.browser)), timeout=10000)
    (row,) = _volume_rows(window.browser)
    assert row.text(0) == "volume.dcm\n3D volume, 24×20×16, 4 time points"  # columns × rows × slices, time points
    assert not window.volumes.windows
    _double_click(qtbot, window.browser, row)
    qtbot.waitUntil(lambda: bool(window.volumes.windows), timeout=10000)
    assert window.volumes.windows[-1].viewer.volume.info.sop_instance_uid == truth["sop_instance_uid"]
    shown = {str(v.info.sop_instance_uid) for v in window.grid.viewports if v.info is not None}
    assert truth["sop_instance_uid"] not in shown  # never played as a loop
    window.volumes.close_all()


def test_a_study_of_volumes_only_is_listed_and_kept_as_the_open_study(qtbot: Any, window: Any, tmp_path: Path) -> None:
    volume = tmp_path / "only.dcm"
    truth = write_enhanced_volume(volume, shape=(16, 20, 24))
    window.open_paths([volume])
    qtbot.waitUntil(lambda: bool(window.volumes.windows), timeout=10000)
    (row,) = _volume_rows(window.browser)
    assert "3D volume, 24×20×16" in row.text(0)
    assert window.catalog is not None and window.catalog.find(truth["sop_instance_uid"]).path == volume
    window.volumes.close_all()


def test_rows_show_their_whole_text_and_the_volume_its_time_points_and_cycle(
        qtbot: Any, window: Any, demo_study: Any, tmp_path: Path) -> None:
    """No detail is cut off: in a dock as narrow as the walk-through's (440 px) a row's details wrap under its
    name within the row (no "CW D…"), the full text is the tooltip of every column, and a volume counts time
    points over its cycle."""
    from PySide6.QtCore import QEvent, QPoint, QRect
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    from demo.volume_phantom import FRAME_TIME_MS

    volume = tmp_path / "volume.dcm"
    write_enhanced_volume(volume, shape=(16, 20, 24))
    window.open_paths([volume, demo_study.files["cw_mv_inflow"]])
    wait_loaded(qtbot, window)
    browser = window.browser
    browser.resize(440, 700)
    qtbot.waitUntil(lambda: bool(_volume_rows(browser)), timeout=10000)
    (row,) = _volume_rows(browser)
    assert (row.text(1), row.text(2)) == ("4 time points", f"{4 * FRAME_TIME_MS / 1000:.2f} s")  # 4 × 40 ms
    loops = [i for i in browser.findItems("", Qt.MatchFlag.MatchContains | Qt.MatchFlag.MatchRecursive)
             if i.data(0, INFO_ROLE) is not None]
    assert loops and browser.wordWrap() and browser.textElideMode() == Qt.TextElideMode.ElideNone
    metrics = browser.fontMetrics()
    for item in [row, *loops]:
        browser.scrollToItem(item)
        cell = browser.visualRect(browser.indexFromItem(item, 0))
        room = cell.width() - browser.iconSize().width() - 12  # the icon and its padding
        wrapped = metrics.boundingRect(QRect(0, 0, room, 10000), Qt.TextFlag.TextWordWrap, item.text(0))
        assert wrapped.width() <= room and wrapped.height() <= cell.height(), item.text(0)
    assert browser.horizontalScrollBar().maximum() == 0  # and nothing hides to the right
    browser.scrollToItem(row)
    cell = browser.visualItemRect(row)
    for column in (0, 2):
        x = browser.header().sectionViewportPosition(column) + 5
        here = QPoint(x, cell.center().y())
        QApplication.sendEvent(browser.viewport(),
                               QHelpEvent(QEvent.Type.ToolTip, here, browser.viewport().mapToGlobal(here)))
        qtbot.waitUntil(lambda: QToolTip.isVisible(), timeout=3000)
        assert "3D volume, 24×20×16, 4 time points, 0.16 s" in QToolTip.text()
        QToolTip.hideText()
