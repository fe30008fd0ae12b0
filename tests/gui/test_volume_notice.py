"""A 3D/4D volume opened in the window is announced, never played slice by slice as a loop.

Until the volume viewer exists, an Enhanced US Volume (here the synthetic 4D phantom of
demo/volume_phantom.py) gets a notice naming it, and only the 2D loops open beside it are shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from demo.volume_phantom import write_enhanced_volume
from tests.gui.conftest import wait_loaded


def test_a_volume_gets_a_notice_and_is_not_played(qtbot: Any, window: Any, demo_study: Any, tmp_path: Path) -> None:
    volume = tmp_path / "volume.dcm"
    truth = write_enhanced_volume(volume, shape=(16, 20, 24))
    window.open_paths([volume, demo_study.files["me_commissural"]])
    wait_loaded(qtbot, window)
    qtbot.waitUntil(lambda: any("3D volume: volume viewer not yet available" in m
                                for m in window.notice_area.messages()))
    assert any(str(volume) in m for m in window.notice_area.messages())
    shown = {str(v.info.sop_instance_uid) for v in window.grid.viewports if v.info is not None}
    assert truth["sop_instance_uid"] not in shown
    assert [str(i.sop_instance_uid) for i in window.catalog.loops()] == [
        demo_study.truth["me_commissural"]["sop_instance_uid"]]
