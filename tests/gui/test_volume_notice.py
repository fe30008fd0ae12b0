"""A 3D/4D volume opened in the window goes to the volume viewer, never played slice by slice as a loop.

An Enhanced US Volume (here the synthetic 4D phantom of demo/volume_phantom.py) opened beside 2D
loops is listed under File → Open 3D Volume (with a notice saying so) and only the loops are shown
in the viewports; a study of volumes only opens its first volume in the viewer at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from demo.volume_phantom import write_enhanced_volume
from tests.gui.conftest import wait_loaded


def test_a_volume_is_listed_for_the_viewer_and_is_not_played(qtbot: Any, window: Any, demo_study: Any,
                                                              tmp_path: Path) -> None:
    volume = tmp_path / "volume.dcm"
    truth = write_enhanced_volume(volume, shape=(16, 20, 24))
    window.open_paths([volume, demo_study.files["me_commissural"]])
    wait_loaded(qtbot, window)
    qtbot.waitUntil(lambda: any("File → Open 3D Volume" in m for m in window.notice_area.messages()))
    notice = "volume.dcm is a 3D volume: double-click it in the study browser (or File → Open 3D Volume) to view it"
    assert window.notice_area.messages().count(notice) == 1
    shown = {str(v.info.sop_instance_uid) for v in window.grid.viewports if v.info is not None}
    assert truth["sop_instance_uid"] not in shown
    assert [str(i.sop_instance_uid) for i in window.catalog.loops()] == [
        demo_study.truth["me_commissural"]["sop_instance_uid"]]
    entries = [a for a in window.volumes.menu.actions() if a.text().startswith("volume.dcm")]
    assert [a.text() for a in entries] == ["volume.dcm (24×20×16, 4 time points)"]
    entries[0].trigger()  # the menu entry opens the viewer on it
    viewer = window.volumes.windows[-1].viewer
    assert viewer.volume.info.sop_instance_uid == truth["sop_instance_uid"]
    assert viewer.session is window.session
    window.volumes.close_all()


def test_a_study_of_volumes_only_opens_the_viewer(qtbot: Any, window: Any, tmp_path: Path) -> None:
    volume = tmp_path / "only.dcm"
    truth = write_enhanced_volume(volume, shape=(16, 20, 24))
    window.open_paths([volume])
    qtbot.waitUntil(lambda: bool(window.volumes.windows), timeout=10000)
    assert window.volumes.windows[0].viewer.volume.info.sop_instance_uid == truth["sop_instance_uid"]
    assert not any("No loops found" in m for m in window.notice_area.messages())
    window.volumes.close_all()


def test_showing_a_3d_mark_reopens_the_viewer_on_its_plane(qtbot: Any, window: Any, tmp_path: Path) -> None:
    import numpy as np

    from measurements.marks import Mark, MarkPlane, MarkType
    from planning.commands import AddMark

    volume = tmp_path / "marked.dcm"
    truth = write_enhanced_volume(volume, shape=(16, 20, 24))
    window.open_paths([volume])
    qtbot.waitUntil(lambda: bool(window.volumes.windows), timeout=10000)
    window.volumes.close_all()
    doc = window.session.new()
    centre, e1, e2 = (np.asarray(truth[k]) for k in ("valve_centre_mm", "coaptation_dir", "across_dir"))
    plane = MarkPlane(tuple(centre), tuple(-e1), tuple(e2))
    mark = Mark("m1", MarkType.POINT, "Clip 1 tip", truth["sop_instance_uid"], 2, None, (),
                points3d=(tuple(centre),), plane=plane)
    doc.ensure_image(mark.sop_instance_uid, volume)
    assert window.session.push(AddMark(mark))
    window.show_mark("m1")
    viewer = window.volumes.windows[-1].viewer
    assert viewer.time_index == 1  # time point 2
    assert np.allclose(viewer.planes.plane(0).row_dir, -e1) and np.allclose(viewer.planes.plane(0).col_dir, e2)
    assert viewer.views[0].mark_items[0].isVisible()
    window.volumes.close_all()
    window.session.undo.set_clean()  # closing the window asks nothing


def test_the_same_notice_posted_again_is_shown_once(qtbot: Any, window: Any) -> None:
    """Opening a study, then its case, announces the same volume twice: one row, the newest last."""
    window.notices.info("volume.dcm is a 3D volume")
    window.notices.warning("something else")
    window.notices.info("volume.dcm is a 3D volume")
    assert window.notice_area.messages() == ["something else", "volume.dcm is a 3D volume"]
    window.notices.warning("volume.dcm is a 3D volume")  # another level is another notice
    assert window.notice_area.messages().count("volume.dcm is a 3D volume") == 2
