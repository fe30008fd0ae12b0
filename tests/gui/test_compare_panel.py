"""The measurements panel shows each selected value's prior and change when the case names a prior study.

Over the demo study (synthetic TEE with known truth): the prior's vena contracta mark spans half the
phantom's jet neck (tests/gui/cli/test_cli_compare.py builds both cases).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from demo.case import write_demo_case
from gui.panels.measurements import CHANGE_COLUMN, PRIOR_COLUMN
from tests.gui.cli.test_cli_compare import _cases


def _row(panel: Any, result_id: str) -> int:
    return next(i for i, r in enumerate(panel.model.results) if r.id == result_id)


def _measured(qtbot: Any, panel: Any) -> None:
    """Wait for the prior's numbers (it is measured in a background task)."""
    qtbot.waitUntil(lambda: panel.model.prior.side is not None, timeout=20000)


def test_prior_and_change_columns_show_the_hand_computed_change(qtbot: Any, window: Any, demo_study: Any,
                                                                tmp_path: Path) -> None:
    current, _prior = _cases(tmp_path, demo_study)
    window.open_case(current)
    panel = window.annotation.panel
    assert not panel.table.isColumnHidden(PRIOR_COLUMN) and not panel.table.isColumnHidden(CHANGE_COLUMN)
    _measured(qtbot, panel)
    truth = demo_study.truth["color_flow"]["vena_contracta_cm"]  # 0.50 cm; the prior spans half: 0.25 cm
    row = _row(panel, "m_vc.vena_contracta")
    assert panel.model.index(row, PRIOR_COLUMN).data() == f"{truth / 2:.2f}"
    assert panel.model.index(row, CHANGE_COLUMN).data() == f"+{truth - truth / 2:.2f} (worse)"
    assert "index-procedure-final 2026-05-04" in panel.model.headerData(
        PRIOR_COLUMN, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    one_beat = next(i for i, r in enumerate(panel.model.results)
                    if r.quantity == "mean_gradient" and r.source == ("m_inflow1",))
    assert panel.model.index(one_beat, PRIOR_COLUMN).data() == ""  # the average of two beats is the selected one
    average = next(i for i, r in enumerate(panel.model.results) if r.quantity == "mean_gradient" and r.beats == 2)
    assert panel.model.index(average, CHANGE_COLUMN).data() == "0.0 (unchanged)"  # the same inflow traces


def test_a_case_without_priors_hides_the_columns(window: Any, demo_study: Any, tmp_path: Path) -> None:
    window.open_case(write_demo_case(demo_study, tmp_path))
    panel = window.annotation.panel
    assert panel.table.isColumnHidden(PRIOR_COLUMN) and panel.table.isColumnHidden(CHANGE_COLUMN)


def test_add_prior_study_refuses_another_patient_and_adds_the_same_patients(qtbot: Any, window: Any, demo_study: Any,
                                                                             tmp_path: Path) -> None:
    _, prior = _cases(tmp_path / "same", demo_study)
    _, stranger = _cases(tmp_path / "other", demo_study, prior_patient="OTHER-42")
    (tmp_path / "now").mkdir()
    current = write_demo_case(demo_study, tmp_path / "now")
    window.open_case(current)
    doc, panel = window.session.document, window.annotation.panel
    window.priors.ask_details = lambda _prior: ("follow-up", "2026-06-01")
    window.priors.ask_path = lambda: stranger
    window.actions_by_name["add_prior"].trigger()
    assert doc.findings().priors == ()
    level, message = window.notices.history[-1]
    assert level == "error" and "ID OTHER-42" in message and str(stranger) in message
    window.priors.ask_path = lambda: prior
    window.actions_by_name["add_prior"].trigger()
    (added,) = doc.findings().priors
    assert (added.case, str(added.role), added.date) == ("../same/index.mitraplan.json", "follow-up", "2026-06-01")
    assert not panel.table.isColumnHidden(PRIOR_COLUMN)
    _measured(qtbot, panel)
    row = _row(panel, "m_vc.vena_contracta")
    truth = demo_study.truth["color_flow"]["vena_contracta_cm"]
    assert panel.model.index(row, PRIOR_COLUMN).data() == f"{truth / 2:.2f}"
    window.session.undo.stack.undo()  # one undo step
    assert doc.findings().priors == () and panel.table.isColumnHidden(PRIOR_COLUMN)


def test_the_prior_is_measured_off_the_gui_thread(qtbot: Any, window: Any, demo_study: Any, tmp_path: Path,
                                                  monkeypatch: Any) -> None:
    import threading

    import gui.panels.measurements as panel_module

    threads: list[threading.Thread] = []
    real = panel_module.measured_prior

    def recording(case: Any, prior: Any) -> Any:
        threads.append(threading.current_thread())
        return real(case, prior)

    monkeypatch.setattr(panel_module, "measured_prior", recording)
    current, _prior = _cases(tmp_path, demo_study)
    window.open_case(current)
    panel = window.annotation.panel
    assert "measuring" in panel.model.prior.description  # the window is not held while the prior is read
    _measured(qtbot, panel)
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert panel.model.index(_row(panel, "m_vc.vena_contracta"), PRIOR_COLUMN).data() != ""
