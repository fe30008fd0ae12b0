"""Thumbnails: made from where the index found Pixel Data (the loop is not reopened) and delivered in batches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

from gui.panels.browser import StudyBrowser, make_thumbnail
from gui.tasks import TaskRunner
from gui.viewer.viewport import FrameItem
from imaging.catalog import catalog_paths
from tests.imaging.conftest import bar_frames, jpeg_loop, save


def _never_opened(info: Any) -> Any:
    raise AssertionError(f"{info.path} was reopened for its thumbnail")


def test_a_jpeg_thumbnail_needs_no_second_header_read(tmp_path: Path) -> None:
    path = save(jpeg_loop(bar_frames(3, rows=96, cols=128)), tmp_path / "bar.dcm")
    catalog = catalog_paths([path])
    image = make_thumbnail(catalog.loops()[0], catalog, _never_opened)
    assert (image.width(), image.height()) == (88, 66)  # decoded at 6/8 (96x72, the least >= 88x66), then fitted


def test_thumbnails_of_a_folder_reach_the_gui_thread_in_batches(qtbot: Any, tmp_path: Path) -> None:
    for i in range(40):
        ds = jpeg_loop(bar_frames(2, rows=32, cols=48))
        ds.InstanceNumber = i
        save(ds, tmp_path / f"IM{i:02d}.dcm")
    catalog = catalog_paths([tmp_path])
    browser = StudyBrowser(TaskRunner(), _never_opened)
    qtbot.addWidget(browser)
    batches: list[int] = []
    browser._thumbnails.connect(lambda batch: batches.append(len(batch)))
    with qtbot.waitSignal(browser.thumbnailsDone, timeout=20000):
        browser.show_catalog(catalog)
    assert sum(batches) == 40 and len(batches) < 40
    assert all(browser.has_thumbnail(str(i.sop_instance_uid)) for i in catalog.loops())


@pytest.mark.parametrize("channels", [3, 1])
def test_a_scaled_frame_paints_the_same_pixels_as_qt_draws_the_frame(qtbot: Any, channels: int) -> None:
    rng = np.random.default_rng(3)
    frame = rng.integers(0, 256, (60, 80, 3) if channels == 3 else (60, 80), dtype=np.uint8)
    item = FrameItem()
    item.setImage(frame, autoLevels=False)

    def painted(draw: Any) -> QImage:
        target = QImage(200, 150, QImage.Format.Format_RGB32)
        target.fill(0)
        painter = QPainter(target)
        painter.scale(2.5, 2.5)  # a fit view that enlarges
        draw(painter)
        painter.end()
        return target

    ours = painted(item.paint)
    kind = QImage.Format.Format_RGB888 if channels == 3 else QImage.Format.Format_Grayscale8
    plain = QImage(frame.data, 80, 60, 80 * channels, kind)
    reference = painted(lambda p: p.drawImage(QRectF(0, 0, 80, 60), plain))
    assert ours == reference
