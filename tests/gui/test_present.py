"""The side-by-side comparison with a prior study and presentation mode (issue 15, points 1 and 3).

Two synthetic loops of one patient in two studies with hand-chosen R waves:
- current: 48 frames every 25 ms (0..1200 ms), R waves at 100 and 900 ms (R-R 800 ms);
- prior: 40 frames every 40 ms (0..1600 ms), R waves at 300 and 1300 ms (R-R 1000 ms).
Cycle sync shows, at each current frame, the prior frame at the same fraction of the same beat.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtTest import QTest

from demo.phantom import PATIENT, encode_frames, us_dataset
from measurements.marks import Mark, MarkType
from planning.case import Case, load_case, save_case
from planning.commands import AddMark
from tests.gui.conftest import wait_loaded
from tests.gui.test_annotate import _send, drag
from tests.gui.test_no_accidents import wheel

CURRENT_STUDY, PRIOR_STUDY = "1.2.826.0.1.3680043.8.498.9001", "1.2.826.0.1.3680043.8.498.9002"


def _loop(path: Path, key: str, study: str, n: int, frame_ms: float, r_waves: list[float]) -> str:
    frames = [np.full((120, 160, 3), 40 + (3 * k) % 200, np.uint8) for k in range(n)]
    ds = us_dataset(encode_frames(frames), key=key, rows=120, columns=160, frame_time_ms=frame_ms,
                    series=(1, "ME commissural"), r_wave_times_ms=r_waves)
    ds.StudyInstanceUID = study
    ds.save_as(path, enforce_file_format=True)
    return str(ds.SOPInstanceUID)


def _case(path: Path, study: str, date: str, uid: str, image: Path, **extra: Any) -> Path:
    case = Case(study={"study_instance_uid": study, "patient_id": PATIENT["PatientID"],
                       "patient_name": PATIENT["PatientName"], "study_date": date},
                images=[{"sop_instance_uid": uid, "path": image.name}], extra=dict(extra), path=path)
    save_case(case, path)
    return path


@pytest.fixture
def cases(tmp_path: Path) -> dict[str, Any]:
    current_uid = _loop(tmp_path / "now.dcm", "present-current", CURRENT_STUDY, 48, 25.0, [100.0, 900.0])
    prior_uid = _loop(tmp_path / "then.dcm", "present-prior", PRIOR_STUDY, 40, 40.0, [300.0, 1300.0])
    prior = _case(tmp_path / "then.mitraplan.json", PRIOR_STUDY, "20251001", prior_uid, tmp_path / "then.dcm",
                  residual_mr={"total_grade": "mild"})
    current = _case(tmp_path / "now.mitraplan.json", CURRENT_STUDY, "20260115", current_uid, tmp_path / "now.dcm",
                    residual_mr={"total_grade": "moderate"},
                    priors=[{"case": prior.name, "role": "index-procedure-final", "date": "2025-10-01"}])
    return {"current": current, "prior": prior, "current_uid": current_uid, "prior_uid": prior_uid,
            "prior_image": tmp_path / "then.dcm"}


def _comparison(qtbot: Any, window: Any, cases: dict[str, Any]) -> Any:
    window.open_paths([cases["current"]])
    wait_loaded(qtbot, window)
    comparison = window.present.open_comparison()  # one prior: nothing to ask
    qtbot.waitUntil(lambda: not comparison.tasks.running and comparison.current_view.displayed_index is not None
                    and comparison.prior_view.displayed_index is not None, timeout=20000)
    return comparison


def test_side_by_side_opens_the_current_and_the_prior_loop_of_the_same_view(qtbot: Any, window: Any,
                                                                           cases: dict[str, Any]) -> None:
    comparison = _comparison(qtbot, window, cases)
    assert comparison.current_view.info.sop_instance_uid == cases["current_uid"]
    assert comparison.prior_view.info.sop_instance_uid == cases["prior_uid"]
    assert comparison.grid.layout_size == 2 and comparison.current_view.isVisible() and comparison.prior_view.isVisible()
    assert "same view" in comparison.status.text()
    assert comparison.prior_title.text() == "Prior: index-procedure-final, 2025-10-01"
    assert comparison.current_title.text() == "Current study, 2026-01-15"
    assert comparison.sync_label.text().startswith("Synced by cardiac cycle (R waves)")
    rows = {comparison.table.item(r, 0).text(): [comparison.table.item(r, c).text() for c in range(1, 5)]
            for r in range(comparison.table.rowCount())}
    # mild (MVARC 1+) → moderate (2+): one class worse
    assert rows["total residual MR grade"] == ["mild", "moderate", "+1 class", "worse"]


def test_cycle_sync_shows_the_prior_at_the_same_beat_phase(qtbot: Any, window: Any, cases: dict[str, Any],
                                                           fake_clock: Any) -> None:
    comparison = _comparison(qtbot, window, cases)
    current, prior = comparison.current_view, comparison.prior_view
    comparison.toggle_play()  # the current loop leads from frame 0 at its own 25 ms frames
    assert comparison.grid.leader() is current and current.playing and not prior.playing
    # current R waves 100, 900 (R-R 800) are extended to -700 … 1700; the prior's 300, 1300 (R-R 1000)
    # to -700 … 2300. At t ms the current is at beat i, phase p = (t - R_i) / 800; the prior shows
    # R'_i + p × 1000 ms, i.e. frame floor(that / 40).
    expected = {  # times off frame boundaries (the fake clock counts seconds in floating point)
        260: (10, 12),   # beat 100–900, p = 160/800 = 0.2 → 300 + 200 = 500 ms → prior frame 12
        510: (20, 20),   # p = 410/800 = 0.5125 → 300 + 512.5 = 812.5 ms → frame 20
        710: (28, 26),   # p = 610/800 = 0.7625 → 300 + 762.5 = 1062.5 ms → frame 26
        1010: (40, 35),  # beat 900–1700, p = 110/800 = 0.1375 → 1300 + 137.5 = 1437.5 ms → frame 35
        1160: (46, 39),  # p = 260/800 = 0.325 → 1300 + 325 = 1625 ms: past the prior's end → its last frame
    }
    elapsed = 0
    for t_ms, (current_frame, prior_frame) in expected.items():
        fake_clock.advance_ms(t_ms - elapsed)
        elapsed = t_ms
        current.tick()
        assert (current.frame_index, prior.frame_index) == (current_frame, prior_frame), t_ms
    # the prior never runs a clock of its own: both loops stay on the same beat phase
    assert not prior.playing


def test_no_mark_can_be_added_to_the_prior_from_the_current_case(qtbot: Any, window: Any,
                                                                 cases: dict[str, Any]) -> None:
    import pyqtgraph as pg

    pg.setConfigOption("mouseRateLimit", 0)
    comparison = _comparison(qtbot, window, cases)
    comparison.resize(1400, 900)
    qtbot.waitUntil(lambda: comparison.prior_view.width() > 300)
    QTest.qWait(100)  # the viewports refit to their new size on the next event loop turns
    doc, stack = window.session.document, window.session.undo.stack
    before, steps = doc.case.to_json(), stack.count()
    window.annotation.set_tool("distance")  # the distance tool is active in the main window
    window.annotation.label_box.setCurrentText("P2 residual leaflet length")
    assert window.annotation.tool_name == "distance"
    drag(comparison.prior_view, (30.5, 40.5), (120.5, 90.5))
    level, message = window.notices.history[-1]
    assert level == "warning" and "prior study is read-only" in message
    assert comparison.prior_view.tool.refusals >= 1
    assert doc.case.to_json() == before and stack.count() == steps and not doc.marks
    # and the document itself refuses a mark on the prior's image (another study of the patient)
    doc.ensure_image(cases["prior_uid"], cases["prior_image"])
    mark = Mark("m1", MarkType.DISTANCE, "P2 residual leaflet length", cases["prior_uid"], 1, 0,
                ((30.5, 40.5), (120.5, 90.5)))
    assert not window.session.push(AddMark(mark))
    assert not doc.marks and stack.count() == steps


def test_compare_with_prior_lists_the_priors_with_role_and_date(qtbot: Any, window: Any,
                                                                cases: dict[str, Any]) -> None:
    from gui.dialogs.priors import prior_choice

    case = load_case(cases["current"])
    case.extra["priors"].append({"case": "then.mitraplan.json", "role": "pre-procedure", "date": "2025-09-20"})
    save_case(case, cases["current"])
    window.open_paths([cases["current"]])
    wait_loaded(qtbot, window)
    offered: list[str] = []

    def choose(priors: Any) -> Any:
        offered.extend(prior_choice(p) for p in priors)
        return priors[1]

    window.present.ask_prior = choose
    comparison = window.actions_by_name["compare_prior"].trigger() or window.present.comparison
    assert offered == ["index-procedure-final, 2025-10-01 — then.mitraplan.json",
                       "pre-procedure, 2025-09-20 — then.mitraplan.json"]
    assert comparison.prior_title.text() == "Prior: pre-procedure, 2025-09-20"


def test_a_prior_of_another_patient_is_refused_in_the_comparison(qtbot: Any, window: Any,
                                                                 cases: dict[str, Any]) -> None:
    stranger = load_case(cases["prior"])
    stranger.study["patient_id"] = "OTHER-42"
    save_case(stranger, cases["prior"])
    window.open_paths([cases["current"]])
    wait_loaded(qtbot, window)
    comparison = window.present.open_comparison()
    qtbot.waitUntil(lambda: not comparison.tasks.running, timeout=20000)
    assert comparison.prior_view.loop is None and comparison.table.rowCount() == 0
    level, message = window.notices.history[-1]
    assert level == "error" and "ID OTHER-42" in message and "same patient" in message
    assert str(cases["prior"]) in message
    assert "Prior not shown" in comparison.status.text()


# --- presentation mode -----------------------------------------------------------------------

def _presentation(qtbot: Any, window: Any, cases: dict[str, Any], open_case: bool = True) -> Any:
    if open_case:
        window.open_paths([cases["current"]])
        wait_loaded(qtbot, window)
    window.present.full_screen = False
    window.actions_by_name["presentation"].trigger()
    show = window.present.presentation
    show.resize(1600, 900)
    QTest.qWait(100)
    qtbot.waitUntil(lambda: not show.tasks.running and all(
        v.displayed_index is not None for s in show.loop_slides for v in s.grid.loaded()) and show.prior is not None,
        timeout=20000)
    return show


def test_presentation_pairs_the_key_loop_with_the_prior_and_navigates_by_keyboard(qtbot: Any, window: Any,
                                                                                   cases: dict[str, Any]) -> None:
    case = load_case(cases["current"])
    case.extra["key_images"] = [{"sop_instance_uid": cases["current_uid"], "frame_number": 5,
                                 "label": "Residual lateral jet, ME commissural"}]
    save_case(case, cases["current"])
    presentation = window.actions_by_name["presentation"]
    assert presentation.shortcut().toString() == "F5"
    assert {presentation, window.actions_by_name["compare_prior"]} <= set(window.menus["view"].actions())
    show = _presentation(qtbot, window, cases)
    (slide,) = show.loop_slides
    assert slide.caption.text() == "Residual lateral jet, ME commissural"
    assert slide.grid.layout_size == 2 and slide.prior_view.info.sop_instance_uid == cases["prior_uid"]
    assert slide.prior_title.text() == "Prior: index-procedure-final, 2025-10-01"
    assert show.index == 0 and slide.playing()
    keys = [(Qt.Key.Key_Right, 1), (Qt.Key.Key_Right, 2), (Qt.Key.Key_Right, 2), (Qt.Key.Key_Left, 1),
            (Qt.Key.Key_PageUp, 0), (Qt.Key.Key_PageDown, 1), (Qt.Key.Key_Space, 2), (Qt.Key.Key_Home, 0),
            (Qt.Key.Key_End, 2)]
    for key, index in keys:
        QTest.keyClick(show, key)
        assert show.index == index, key
    assert show.stack.currentWidget() is show.clip_slide and not slide.playing()
    QTest.keyClick(show, Qt.Key.Key_Left)
    summary = show.summary_slide.body.text()
    assert show.stack.currentWidget() is show.summary_slide
    assert "Total residual MR: moderate (prior mild, worse)" in summary
    assert "Decision support" in summary
    assert show.footer.text().startswith("2 / 3")
    QTest.keyClick(show, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.present.presentation_open())


def test_nothing_in_presentation_mode_changes_the_case(qtbot: Any, window: Any, cases: dict[str, Any]) -> None:
    import pyqtgraph as pg

    pg.setConfigOption("mouseRateLimit", 0)
    window.open_paths([cases["current"]])
    wait_loaded(qtbot, window)
    doc, stack = window.session.document, window.session.undo.stack
    # one real edit first, so that Ctrl+Z and Delete would have something to act on
    mark = Mark("m1", MarkType.DISTANCE, "P2 residual leaflet length", cases["current_uid"], 1, 0,
                ((20.5, 20.5), (60.5, 20.5)))
    assert window.session.push(AddMark(mark))
    window.annotation.set_tool("distance")
    assert window.annotation.tool_name == "distance"
    before, steps, index = doc.case.to_json(), stack.count(), stack.index()
    show = _presentation(qtbot, window, cases, open_case=False)
    (slide,) = show.loop_slides
    viewport = slide.current_view
    drag(viewport, (30.5, 40.5), (120.5, 90.5))
    drag(slide.prior_view, (30.5, 40.5), (120.5, 90.5))
    widget = viewport.graphics.viewport()
    centre = widget.rect().center()
    for kind in (QEvent.Type.MouseButtonDblClick, QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease):
        _send(viewport, kind, centre, Qt.MouseButton.RightButton, Qt.MouseButton.RightButton)
    range_before = viewport.view_box.viewRange()
    wheel(widget, 3)
    wheel(widget, -3)
    assert viewport.view_box.viewRange() == range_before  # not even zoomed
    QTest.mouseClick(show.footer, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    for key, modifier in ((Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier),
                          (Qt.Key.Key_Backspace, Qt.KeyboardModifier.NoModifier),
                          (Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier),
                          (Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier),
                          (Qt.Key.Key_K, Qt.KeyboardModifier.NoModifier),
                          (Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)):
        QTest.keyClick(show, key, modifier)
        QTest.keyClick(viewport, key, modifier)
    assert doc.case.to_json() == before and stack.count() == steps and stack.index() == index
    assert [m.id for m in doc.marks] == ["m1"]
    # the same Ctrl+Z in the main window does undo: the keys were real, the presentation kept them
    QTest.keyClick(show, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.present.presentation_open())
    window.actions_by_name["undo"].trigger()
    assert not doc.marks


def test_the_last_loop_asked_for_is_the_one_shown(qtbot: Any, cases: dict[str, Any], tmp_path: Path) -> None:
    from gui.notices import Notices
    from gui.present.loops import open_loop, read_only_cache
    from gui.tasks import TaskRunner
    from gui.viewer.viewport import Viewport

    viewport, tasks, errors = Viewport(), TaskRunner(), Notices()
    qtbot.addWidget(viewport)
    cache = read_only_cache()
    open_loop(tasks, viewport, tmp_path / "now.dcm", cache, errors.error)
    open_loop(tasks, viewport, tmp_path / "then.dcm", cache, errors.error)
    qtbot.waitUntil(lambda: not tasks.running, timeout=20000)
    assert viewport.info.sop_instance_uid == cases["prior_uid"] and not errors.history
    viewport.set_loop(None)
