"""Presentation mode, polished: the marks on the key loops (read-only, large), a crowded summary that is
never cut off, and the prior measured once for the measurements panel, the comparison and the presentation."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

import gui.present.prior_study as prior_study
from gui.present.presentation import MARK_PX, MIN_SCALE, TEXT_PX
from gui.viewer.overlay import REFUSED_COLOUR
from measurements.marks import Mark, MarkType
from planning.case import load_case, save_case
from planning.compare import PriorMismatch
from planning.model import Device, Jet
from planning.vocab import DeviceKind, DeviceModelName, DevicePosition, JetLocation, MRGrade, SegmentPair
from tests.gui.cli.test_cli_compare import _cases
from tests.gui.conftest import wait_loaded
from tests.gui.test_annotate import drag
from tests.gui.test_present import _presentation, cases  # noqa: F401  (the fixture is used by name)


def _mark(mark_id: str, label: str, uid: str, frame: int) -> Mark:
    return Mark(mark_id, MarkType.DISTANCE, label, uid, frame, 0, ((20.5, 30.5), (80.5, 30.5)))


def test_the_marks_show_on_their_frames_read_only_in_large_type(qtbot: Any, window: Any,
                                                              cases: dict[str, Any]) -> None:  # noqa: F811
    case = load_case(cases["current"])
    case.marks = [_mark("m_vc", "Vena contracta", cases["current_uid"], 7)]
    save_case(case, cases["current"])
    prior = load_case(cases["prior"])
    prior.marks = [_mark("p_vc", "Vena contracta then", cases["prior_uid"], 3)]
    save_case(prior, cases["prior"])
    show = _presentation(qtbot, window, cases)
    doc = window.session.document
    before = doc.case.to_json()
    (slide,) = show.loop_slides
    # listed under the loops with its numbers, readable while the loop plays
    assert slide.marks_list.text().startswith("Vena contracta: ") and slide.marks_list.text().endswith("(frame 7)")
    QTest.keyClick(show, Qt.Key.Key_M)  # to the marked frame, paused
    assert not slide.playing() and slide.current_view.frame_number == 7
    (label,) = slide.current_marks.labels
    text = label.textItem.toPlainText()
    # the synthetic loop has no calibrated region: the refusal is shown, in red, as in the main viewer
    assert text.startswith("Vena contracta\n") and "no ultrasound region calibration" in text
    assert label.color.name() == REFUSED_COLOUR.lower()
    assert label.textItem.font().pixelSize() == MARK_PX >= 2 * 13  # twice the main viewer's 13 px
    (line,) = slide.current_marks.items
    assert line.acceptedMouseButtons() == label.acceptedMouseButtons() == Qt.MouseButton.NoButton
    slide.current_view.show_frame(0)
    assert not slide.current_marks.labels  # a mark shows on its own frame only
    QTest.keyClick(show, Qt.Key.Key_M)
    assert slide.current_view.frame_number == 7
    # the prior's own mark, with the prior's numbers, on its frame of the prior's loop
    slide.prior_view.show_frame(2)
    (prior_label,) = slide.prior_marks.labels
    assert prior_label.textItem.toPlainText().startswith("Vena contracta then\n")
    # a drag on the mark's end moves nothing
    drag(slide.current_view, (80.5, 30.5), (120.5, 90.5))
    drag(slide.current_view, (50.5, 30.5), (50.5, 100.5))
    assert doc.case.to_json() == before
    assert [m.points for m in doc.marks] == [((20.5, 30.5), (80.5, 30.5))]
    QTest.keyClick(show, Qt.Key.Key_P)
    assert slide.playing()
    QTest.keyClick(show, Qt.Key.Key_Escape)


def _crowded(tmp_path: Path, demo_study: Any) -> Path:
    """The demo case with 4 devices and 3 jets (and its many measurements and options)."""
    current, _prior = _cases(tmp_path, demo_study)
    case = load_case(current)
    case.devices = [*case.devices,
                    Device("d3", DeviceKind.MITRACLIP, DeviceModelName.G4_NT, SegmentPair.A1_P1, DevicePosition.CENTRAL
                           ).to_json(),
                    Device("d4", DeviceKind.MITRACLIP, DeviceModelName.G4_XT, SegmentPair.A3_P3, DevicePosition.CENTRAL
                           ).to_json()]
    case.jets = [*case.jets, Jet("j2", JetLocation.PARA_MEDIAL, SegmentPair.A3_P3, MRGrade.MILD).to_json(),
                 Jet("j3", JetLocation.INTER_CLIP, SegmentPair.A1_P1, MRGrade.MODERATE).to_json()]
    save_case(case, current)
    return current


def _whole_summary_reachable(show: Any, scrolls: bool) -> None:
    slide = show.summary_slide
    viewport, bar = slide.area.viewport(), slide.area.verticalScrollBar()
    assert slide.scale >= MIN_SCALE and round(TEXT_PX * MIN_SCALE) >= 19  # type readable at the floor
    # the label is as tall as its text needs, and its bottom is in view or reachable by Down
    assert slide.body.height() >= slide.body.heightForWidth(viewport.width())
    assert slide.body.width() == viewport.width()
    assert slide.mapTo(show, slide.rect().bottomLeft()).y() <= show.footer.geometry().top()
    assert (bar.maximum() > 0) is scrolls and ("↓ ↑: scroll" in show.footer.text()) is scrolls
    if not scrolls:
        assert slide.body.height() <= viewport.height() and slide.scale < 1.0  # it fits, in smaller type
        return
    assert slide.scale == MIN_SCALE
    for _ in range(20):
        QTest.keyClick(show, Qt.Key.Key_Down)
    assert bar.value() == bar.maximum()
    assert slide.body.height() - bar.value() <= viewport.height()  # the last line is on screen
    assert show.index == len(show.loop_slides)  # Down scrolls; it does not change the slide
    QTest.keyClick(show, Qt.Key.Key_Up)
    assert 0 < bar.value() < bar.maximum()
    for _ in range(20):
        QTest.keyClick(show, Qt.Key.Key_Up)
    assert bar.value() == 0


def test_a_crowded_summary_and_clip_map_are_never_cut_off(qtbot: Any, window: Any, demo_study: Any,
                                                          tmp_path: Path) -> None:
    current = _crowded(tmp_path, demo_study)
    window.open_paths([current])
    wait_loaded(qtbot, window)
    window.present.full_screen = False
    show = window.present.open_presentation()
    show.resize(1280, 720)  # a small projector
    qtbot.waitUntil(lambda: not show.tasks.running and show.prior is not None, timeout=30000)
    QTest.keyClick(show, Qt.Key.Key_End)
    QTest.keyClick(show, Qt.Key.Key_Left)
    # the key loops list their marks with their numbers and units (the demo's images are calibrated)
    listed = "\n".join(s.marks_list.text() for s in show.loop_slides)
    truth_vc = demo_study.truth["color_flow"]["vena_contracta_cm"]
    assert f"Lateral para-clip jet vena contracta: {truth_vc:.2f} cm (frame " in listed
    # on the colour loop the VC and PISA radius marks share a frame: their labels neither overlap nor leave the view
    colour = next(s for s in show.loop_slides if "vena contracta" in s.marks_list.text())
    QTest.keyClick(show, Qt.Key.Key_Home)
    for _ in range(show.loop_slides.index(colour)):
        QTest.keyClick(show, Qt.Key.Key_Right)
    QTest.keyClick(show, Qt.Key.Key_M)
    QTest.qWait(50)
    boxes = [label.sceneBoundingRect() for label in colour.current_marks.labels]
    view = colour.current_view.view_box.sceneBoundingRect()
    assert len(boxes) == 2 and not boxes[0].intersects(boxes[1])
    assert all(view.left() <= b.left() and b.right() <= view.right() + 1 for b in boxes)
    QTest.keyClick(show, Qt.Key.Key_End)
    QTest.keyClick(show, Qt.Key.Key_Left)
    slide = show.summary_slide
    assert show.stack.currentWidget() is slide
    content = slide.body.text()
    numbers = [h.label for h in show.summary_slide.content[0].numbers]
    options = show.summary_slide.content[0].options
    assert len(numbers) >= 6 and len(options) >= 3
    assert all(n in content for n in numbers)
    for size, scrolls in (((1280, 720), False), ((800, 450), True)):  # at 800 × 450 it must scroll
        show.resize(*size)
        QTest.qWait(50)
        _whole_summary_reachable(show, scrolls)
    show.resize(1280, 720)
    # the clip map's seven legend lines fit under the map, which shrinks to leave them room
    QTest.keyClick(show, Qt.Key.Key_End)
    clip = show.clip_slide
    assert clip.legend.text().count("\n") == 6
    assert clip.legend.geometry().bottom() <= clip.height()
    assert clip.legend.height() >= clip.legend.heightForWidth(clip.legend.width())
    assert clip.image.pixmap().height() <= clip.image.height()
    QTest.keyClick(show, Qt.Key.Key_Escape)


def test_the_prior_is_measured_once_for_the_panel_the_comparison_and_the_presentation(
        qtbot: Any, window: Any, demo_study: Any, tmp_path: Path, monkeypatch: Any) -> None:
    measured: list[str] = []
    real = prior_study.measure_case

    def counting(case: Any) -> Any:
        measured.append(str(case.path))
        return real(case)

    monkeypatch.setattr(prior_study, "measure_case", counting)
    current, prior_path = _cases(tmp_path, demo_study)
    window.open_paths([current])
    wait_loaded(qtbot, window)
    panel = window.annotation.panel
    qtbot.waitUntil(lambda: panel.model.prior.side is not None, timeout=30000)
    assert measured == [str(prior_path.resolve())]
    comparison = window.present.open_comparison()
    qtbot.waitUntil(lambda: not comparison.tasks.running and comparison.prior is not None, timeout=30000)
    compared = comparison.table.rowCount()
    comparison.close()
    window.present.full_screen = False
    show = window.present.open_presentation()
    qtbot.waitUntil(lambda: not show.tasks.running and show.prior is not None, timeout=30000)
    assert compared == len(show.prior.rows) > 0
    show.close()
    assert len(measured) == 1  # no second measurement
    # a new version of the prior's file is measured again
    stat = prior_path.stat()
    os.utime(prior_path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    case = load_case(current)
    (entry,) = case.findings().priors
    prior_study.measured_prior(case, entry)
    assert len(measured) == 2


def test_a_cached_prior_is_still_refused_for_another_patient(demo_study: Any, tmp_path: Path) -> None:
    current, _prior = _cases(tmp_path, demo_study)
    case = load_case(current)
    (entry,) = case.findings().priors
    prior_study.measured_prior(case, entry)  # cached for this patient
    case.study["patient_id"] = "OTHER-7"
    with pytest.raises(PriorMismatch, match="same patient"):
        prior_study.measured_prior(case, entry)
