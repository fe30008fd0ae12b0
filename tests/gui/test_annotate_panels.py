"""Measurements panel (rows → loop, frame, highlighted mark), guided PISA that follows its marks,
autosave restore on open, and the case lifecycle actions — on the demo case."""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

from demo.case import DEMO_ALIASING_M_S, write_demo_case
from gui.session import Unsaved
from planning.case import autosave_path, load_case
from planning.commands import ReplaceMark
from tests.gui.panels.test_calculations import choose_mark

DY = 0.0225  # cm per pixel row of the demo 2D and colour regions


@pytest.fixture
def demo_case(demo_study: Any, tmp_path: Path) -> Path:
    return write_demo_case(demo_study, tmp_path)


@pytest.fixture
def case_window(qtbot: Any, window: Any, demo_case: Path) -> Any:
    window.session.ask_unsaved = lambda name: Unsaved.DISCARD
    window.open_paths([demo_case])
    qtbot.waitUntil(lambda: window.session.document is not None and window.catalog is not None
                    and not window.tasks.running, timeout=20000)
    return window


def test_selecting_a_row_shows_its_loop_and_frame_and_highlights_the_mark(qtbot: Any, case_window: Any) -> None:
    win = case_window
    panel = win.annotation.panel
    doc = win.session.document
    model = panel.model
    assert model.rowCount() == len(doc.results()) + len(doc.errors())
    row = next(r for r in range(model.rowCount()) if model.source(r) == ("m_vc",))
    assert model.index(row, 2).data() == "cm"
    vc = doc.mark("m_vc")
    panel.select_row(row)
    viewport = win.grid.active
    qtbot.waitUntil(lambda: viewport.info is not None and str(viewport.info.sop_instance_uid) == vc.sop_instance_uid
                    and viewport.frame_number == vc.frame_number and "m_vc" in win.annotation.overlay().items,
                    timeout=10000)
    assert win.annotation.overlay().selected == "m_vc"
    assert panel.selected_mark() == "m_vc"


def test_pisa_dialog_shows_its_marks_and_follows_a_moved_radius(qtbot: Any, case_window: Any) -> None:
    win = case_window
    doc = win.session.document
    dialog = win.annotation.show_calculations()
    qtbot.addWidget(dialog)
    dialog.select_calculation("c_pisa")
    assert dialog.inputs["radius_mark"].currentData() == "m_pisa_r"
    assert dialog.inputs["mr_trace_mark"].currentData() == "m_mr"
    assert float(dialog.aliasing.text()) == pytest.approx(DEMO_ALIASING_M_S)  # the edited calculation's own Va
    vmax_cm_s = next(r.value for r in doc.results_of("m_mr") if r.quantity == "vmax") * 100

    def eroa_text(r_cm: float) -> str:  # EROA = 2πr²·Va / Vmax, shown to 2 decimals
        return f"{2 * math.pi * r_cm ** 2 * DEMO_ALIASING_M_S * 100 / vmax_cm_s:.2f} cm²"  # the display unit

    assert eroa_text(20 * DY) in dialog.result_label.text()  # the demo radius is 20 rows
    before = doc.mark("m_pisa_r")
    (x, y0), _ = before.points
    win.session.push(ReplaceMark(before, dataclasses.replace(before, points=((x, y0), (x, y0 + 28.0)))))
    assert eroa_text(28 * DY) in dialog.result_label.text()  # updated when the mark moved
    win.session.undo.stack.undo()
    assert eroa_text(20 * DY) in dialog.result_label.text()

    dialog.select_new("continuity")
    # the demo has no LVOT marks: other marks are offered, none chosen, and the refusal says why
    assert "LVOT diameter" in dialog.result_label.text() and not dialog.apply_button.isEnabled()
    dialog.select_new("pisa")
    dialog.label_edit.setText("Lateral jet PISA, Va 0.30")
    dialog.aliasing.setText("0.30")
    assert not dialog.apply_button.isEnabled()  # no mark is chosen for a new calculation
    choose_mark(qtbot, dialog.inputs["radius_mark"], "m_pisa_r")
    choose_mark(qtbot, dialog.inputs["mr_trace_mark"], "m_mr")
    dialog.apply()
    added = [c for c in doc.items("calculations") if c.get("label") == "Lateral jet PISA, Va 0.30"]
    assert added and added[0]["aliasing_velocity_m_s"] == 0.3 and added[0]["radius_mark"] == "m_pisa_r"
    win.session.undo.stack.undo()
    assert not [c for c in doc.items("calculations") if c.get("label") == "Lateral jet PISA, Va 0.30"]
    dialog.close()


def test_new_pisa_asks_va_and_shows_baseline_shift_and_angle(qtbot: Any, case_window: Any) -> None:
    """Nothing pre-filled: a new PISA refuses until Va is typed; the entered Va, baseline shift and funnel
    angle appear beside the result and in its method text (exported with it)."""
    win = case_window
    doc = win.session.document
    dialog = win.annotation.show_calculations()
    qtbot.addWidget(dialog)
    dialog.select_new("pisa")
    assert dialog.aliasing.text() == "" and all(box.text() == "" for box in dialog.numbers.values())
    assert "Needs: Aliasing velocity Va" not in dialog.result_label.text()  # the marks are asked first
    choose_mark(qtbot, dialog.inputs["radius_mark"], "m_pisa_r")
    choose_mark(qtbot, dialog.inputs["mr_trace_mark"], "m_mr")
    assert "Needs: Aliasing velocity Va" in dialog.result_label.text() and not dialog.apply_button.isEnabled()
    qtbot.keyClicks(dialog.aliasing, "0.385")
    qtbot.keyClicks(dialog.numbers["baseline_shift_m_s"], "0.2")
    qtbot.keyClicks(dialog.numbers["angle_deg"], "120")
    assert dialog.apply_button.isEnabled()
    text = dialog.result_label.text()
    assert "Va 0.385 m/s, baseline shift 0.20 m/s, α 120°" in text
    vmax_cm_s = next(r.value for r in doc.results_of("m_mr") if r.quantity == "vmax") * 100
    r_cm = 20 * DY  # the demo radius is 20 rows
    eroa = 2 * math.pi * r_cm ** 2 * 38.5 * (120 / 180) / vmax_cm_s  # 2πr²Va·α/180 / Vmax
    assert f"{eroa:.2f} cm²" in text
    dialog.label_edit.setText("Medial jet PISA")
    dialog.apply()
    (added,) = [c for c in doc.items("calculations") if c.get("label") == "Medial jet PISA"]
    assert (added["aliasing_velocity_m_s"], added["baseline_shift_m_s"], added["angle_deg"]) == (0.385, 0.2, 120)
    (result,) = [r for r in doc.results() if r.id == f"{added['id']}.eroa_pisa"]
    assert "Va 0.385 m/s, baseline shift 0.20 m/s, α 120°" in result.method
    dialog.close()


def test_newer_autosave_is_offered_and_restored_unsaved(qtbot: Any, window: Any, demo_case: Path) -> None:
    doc = json.loads(demo_case.read_text(encoding="utf-8"))
    doc["notes"] = "edited before the crash"
    side = autosave_path(demo_case)
    side.write_text(json.dumps(doc), encoding="utf-8")
    os.utime(side, (demo_case.stat().st_mtime + 5, demo_case.stat().st_mtime + 5))
    asked = []
    window.session.ask_restore = lambda path, autosave: asked.append((path, autosave)) or True
    window.session.ask_unsaved = lambda name: Unsaved.DISCARD
    window.session.open(demo_case)
    assert asked == [(demo_case.resolve(), side.resolve())]
    assert window.session.case.notes == "edited before the crash"
    assert window.session.case.path == demo_case.resolve() and window.session.is_dirty()
    assert window.session.save()
    assert load_case(demo_case).notes == "edited before the crash" and not side.exists()


def test_autosave_writes_the_side_file_only_when_dirty(qtbot: Any, window: Any, demo_case: Path) -> None:
    session = window.session
    session.ask_unsaved = lambda name: Unsaved.DISCARD
    session.open(demo_case)
    assert session.autosave() is None  # clean: nothing to protect
    before = session.document.mark("m_p3")
    session.push(ReplaceMark(before, dataclasses.replace(before, label="P3 residual leaflet length")))
    side = session.autosave()
    assert side == autosave_path(demo_case).resolve() or side == autosave_path(demo_case)
    assert load_case(side).mark("m_p3").label == "P3 residual leaflet length"
    assert load_case(demo_case).mark("m_p3").label != "P3 residual leaflet length"  # the case file is untouched


def test_start_after_a_crash_offers_the_recent_case_with_its_autosave(qtbot: Any, window: Any,
                                                                       demo_case: Path) -> None:
    window.open_paths([demo_case])  # remembered among the recent studies
    qtbot.waitUntil(lambda: window.session.document is not None and not window.tasks.running, timeout=20000)
    window.session.close()
    doc = json.loads(demo_case.read_text(encoding="utf-8"))
    doc["notes"] = "typed just before the crash"
    side = autosave_path(demo_case)
    side.write_text(json.dumps(doc), encoding="utf-8")
    os.utime(side, (demo_case.stat().st_mtime + 5, demo_case.stat().st_mtime + 5))
    asked = []
    window.session.ask_restore = lambda path, autosave: asked.append(path) or True
    window.session.ask_unsaved = lambda name: Unsaved.DISCARD
    assert window.annotation.offer_crash_recovery() == demo_case.resolve()
    assert asked == [demo_case.resolve()]  # asked once
    assert window.session.case.notes == "typed just before the crash" and window.session.is_dirty()
    qtbot.waitUntil(lambda: not window.tasks.running, timeout=20000)


def test_no_offer_when_the_case_was_saved_after_its_autosave(qtbot: Any, window: Any, demo_case: Path) -> None:
    window.open_paths([demo_case])
    qtbot.waitUntil(lambda: window.session.document is not None and not window.tasks.running, timeout=20000)
    side = autosave_path(demo_case)
    side.write_text(demo_case.read_text(encoding="utf-8"), encoding="utf-8")
    os.utime(side, (demo_case.stat().st_mtime - 5, demo_case.stat().st_mtime - 5))
    window.session.ask_restore = lambda path, autosave: pytest.fail("nothing to restore")
    assert window.annotation.offer_crash_recovery() is None
