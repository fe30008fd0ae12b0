"""Long work stays off the GUI thread: a 60-loop study shows at once, thumbnails follow; tools and real files."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("demo.phantom", reason="needs the imaging core")

from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import wait_loaded

N_LOOPS = 60


@pytest.fixture(scope="module")
def sixty_loops(tmp_path_factory: pytest.TempPathFactory, demo_study: Any) -> Path:
    """60 distinct loops (new SOP Instance UIDs) made from the demo's three 2D loops."""
    import pydicom
    from pydicom.uid import generate_uid

    folder = tmp_path_factory.mktemp("sixty")
    sources = [demo_study.files[k] for k in ("me_commissural", "me_long_axis", "color_flow")]
    for i in range(N_LOOPS):
        ds = pydicom.dcmread(sources[i % len(sources)])
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = i + 1
        ds.save_as(folder / f"loop_{i:02d}.dcm")
    return folder


def test_a_60_loop_study_shows_the_browser_before_the_thumbnails(qtbot: Any, window: Any, sixty_loops: Path) -> None:
    progress: list[tuple[str, int, int]] = []
    window.tasks.progress.connect(lambda name, done, total, _t: progress.append((name, done, total)))
    with qtbot.waitSignal(window.studyOpened, timeout=60000):
        window.open_paths([sixty_loops])
    infos = window.browser.loop_infos()
    assert len(infos) == N_LOOPS
    assert not all(window.browser.has_thumbnail(str(i.sop_instance_uid)) for i in infos)
    qtbot.waitUntil(lambda: all(window.browser.has_thumbnail(str(i.sop_instance_uid)) for i in infos), timeout=60000)
    assert any(name.startswith("Indexing") and total == N_LOOPS for name, _d, total in progress)
    qtbot.waitUntil(lambda: ("Thumbnails", N_LOOPS, N_LOOPS) in progress)  # queued after the last icon


def test_cancel_stops_indexing_and_the_window_stays_usable(qtbot: Any, window: Any, sixty_loops: Path) -> None:
    started = threading.Event()
    window.tasks.progress.connect(lambda *_a: started.set())
    window.open_paths([sixty_loops])
    qtbot.waitUntil(started.is_set, timeout=30000)
    window.cancel_button.click()
    qtbot.waitUntil(lambda: not window.tasks.running, timeout=30000)
    assert not window.cancel_button.isVisible()
    assert window.isVisible()


class RecordingTool:
    """A measurement tool stand-in: records clicks in image coordinates and consumes them."""

    def __init__(self) -> None:
        self.clicks: list[tuple[float, float, int]] = []

    def mouse_click(self, viewport: Any, event: Any, pos: QPointF) -> bool:
        self.clicks.append((pos.x(), pos.y(), viewport.frame_number))
        event.accept()
        return True

    def mouse_drag(self, viewport: Any, event: Any, pos: QPointF) -> bool:
        return False

    def mouse_move(self, viewport: Any, pos: QPointF) -> None:
        pass


def click(viewport: Any, x: float, y: float) -> None:
    point = viewport.image_to_widget(x, y).toPoint()
    QTest.mouseClick(viewport.graphics.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)


def test_an_active_tool_gets_clicks_in_image_coordinates(qtbot: Any, window: Any, demo_study: Any) -> None:
    window.open_paths([demo_study.files["me_commissural"]])
    wait_loaded(qtbot, window)
    viewport = window.grid.active
    qtbot.waitExposed(window)
    viewport.set_scale(4.0, centre=(200.5, 150.5))
    qtbot.waitUntil(lambda: abs(viewport.image_to_widget(200.5, 150.5).x() - viewport.graphics.viewport().width() / 2) < 3)
    tool = RecordingTool()
    viewport.tool = tool
    range_before = viewport.view_box.viewRange()
    qtbot.wait(QApplication.doubleClickInterval() + 50)  # never a double click with an earlier test's click
    click(viewport, 200.5, 150.5)
    assert len(tool.clicks) == 1
    x, y, frame = tool.clicks[0]
    assert abs(x - 200.5) < 0.5 and abs(y - 150.5) < 0.5  # within the clicked pixel at 4 screen px per pixel
    assert frame == 1
    assert viewport.view_box.viewRange() == range_before  # the view did not pan


@pytest.mark.parametrize("name", ["orthanc-tests_Issue16.dcm", "fo-dicom_DIRW0007.dcm",
                                  "pydicom-data_JPGLosslessP14SV1_1s_1f_8b.dcm", "dcm4che_YBR_FULL-RLE.dcm"])
def test_real_vendor_files_open_play_and_read_out(qtbot: Any, window: Any, realdata: Path, fake_clock: Any,
                                                  name: str) -> None:
    window.open_paths([realdata / name])
    wait_loaded(qtbot, window, timeout=30000)
    viewport = window.grid.active
    assert viewport.current_image().shape[:2] == (viewport.info.rows, viewport.info.columns)
    if viewport.n_frames > 1:
        times = viewport.timing.frame_times_ms
        viewport.play()
        fake_clock.advance_ms((times[3] + times[4]) / 2 - times[0])  # half way through frame 4
        viewport.tick()
        assert viewport.frame_number == 4
        viewport.pause()
    region = next(r for r in viewport.regions if r.is_spatial)
    rx, ry = region.reference_index
    x0, y0, _x1, _y1 = region.bounds
    # a pixel inside the region, 10 columns and 10 rows from its top-left corner: depth and lateral by hand
    px, py = x0 + 10, y0 + 10
    depth = region.reference_value_y + (py - ry) * region.delta_y
    lateral = region.reference_value_x + (px - rx) * region.delta_x
    viewport.cursorMoved.emit(px + 0.5, py + 0.5)
    text = window.readout_label.text()
    assert f"depth {depth:.2f} cm" in text
    assert f"lateral {lateral:+.2f} cm" in text or f"lateral {0:.2f} cm" in text
