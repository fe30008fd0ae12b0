"""View → Compare with Prior… on the demo and its synthetic prior (``demo --with-prior``): the current
commissural loop at 72 bpm beside the prior's at 60 bpm, stepped with the arrow keys.

Current: 25 ms frames, R waves 100 and 933.33 ms (R-R 60000 / 72 = 833.33 ms). Prior: 25 ms frames,
R waves 100 and 1100 ms (R-R 1000 ms). Both cases flag the commissural loop as a key image with the
same label, so the prior's loop of the same view is chosen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from demo.case import build_demo_case, build_prior_case
from demo.phantom import write_prior_study
from imaging.loop import read_info
from planning.case import save_case
from tests.gui.conftest import wait_loaded

LABEL = "Clips at A2-P2, ME commissural view"


def _flagged(case: Any, study: Any) -> Any:
    uid = read_info(study.files["me_commissural"]).sop_instance_uid
    case.extra["key_images"] = [{"sop_instance_uid": uid, "frame_number": 1, "label": LABEL}]
    return case


@pytest.fixture
def cases(tmp_path: Path, demo_study: Any) -> dict[str, Any]:
    prior_study = write_prior_study(tmp_path / "prior-loops")
    prior_path, current_path = tmp_path / "prior.mitraplan.json", tmp_path / "demo.mitraplan.json"
    save_case(_flagged(build_prior_case(prior_study, prior_path), prior_study), prior_path)
    current = _flagged(build_demo_case(demo_study, current_path), demo_study)
    current.extra["priors"] = [{"case": prior_path.name, "role": "index-procedure-final", "date": "2025-06-10"}]
    save_case(current, current_path)
    return {"current": current_path,
            "prior_uid": read_info(prior_study.files["me_commissural"]).sop_instance_uid}


def _step(qtbot: Any, comparison: Any, n: int) -> None:
    for _ in range(n):
        QTest.keyClick(comparison, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: not comparison.tasks.running)


def test_the_prior_at_60_bpm_follows_the_current_at_72_bpm_by_beat_phase(qtbot: Any, window: Any,
                                                                        cases: dict[str, Any]) -> None:
    window.open_paths([cases["current"]])
    wait_loaded(qtbot, window)
    commissural = next(i for i in window.browser.loop_infos() if i.path.name == "me_commissural.dcm")
    window.open_loop(commissural)
    qtbot.waitUntil(lambda: not window.tasks.running and window.grid.active.info == commissural, timeout=15000)
    comparison = window.present.open_comparison()
    qtbot.waitUntil(lambda: not comparison.tasks.running and comparison.prior_view.displayed_index is not None,
                    timeout=20000)
    assert comparison.prior_view.info.sop_instance_uid == cases["prior_uid"]
    assert "the same view" in comparison.status.text()
    assert comparison.prior_title.text() == "Prior: index-procedure-final, 2025-06-10"
    comparison.activateWindow()
    current, prior = comparison.current_view, comparison.prior_view
    # frame 20 = 500 ms: 400 / 833.33 = 0.48 of beat 1 → prior 100 + 0.48 × 1000 = 580 ms → frame 580 // 25 = 23
    _step(qtbot, comparison, 20)
    assert (current.frame_index, prior.frame_index) == (20, 23)
    # frame 40 = 1000 ms: 66.67 / 833.33 = 0.08 of beat 2 → prior 1100 + 80 = 1180 ms → frame 47
    _step(qtbot, comparison, 20)
    assert (current.frame_index, prior.frame_index) == (40, 47)
