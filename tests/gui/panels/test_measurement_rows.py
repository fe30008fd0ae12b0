"""The measurements panel opens on averages: an average over two inflow traces (one beat each) comes
where its first beat was measured, its beats folded under it until "Show each beat" is ticked."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from measurements.results import Result
from planning.case import Case

BEAT1 = Result("m_in1.mg", "MV inflow CW, beat 1: mean gradient", "mean_gradient", 4.0, "mmHg", ("m_in1",))
BEAT1_DURATION = Result("m_in1.duration", "MV inflow CW, beat 1: duration", "duration", 0.4, "s", ("m_in1",))
BEAT2 = Result("m_in2.mg", "MV inflow CW, beat 2: mean gradient", "mean_gradient", 6.0, "mmHg", ("m_in2",))
VC = Result("m_vc.vc", "Vena contracta", "vena_contracta", 0.45, "cm", ("m_vc",))
MEAN = Result("avg.mg", "CW transmitral inflow trace: mean gradient, mean of 2 beats", "mean_gradient", 5.0, "mmHg",
              ("m_in1", "m_in2"), beats=2, sd=1.41)
MEASURED = [BEAT1, BEAT1_DURATION, BEAT2, VC, MEAN]  # as measure_case lists them: the averages last


def test_an_average_over_marks_comes_first_with_its_beats_under_it() -> None:
    from gui.panels.measurements import grouped

    assert grouped(MEASURED) == [(MEAN, False), (BEAT1, True), (BEAT2, True), (BEAT1_DURATION, False), (VC, False)]


def test_the_panel_shows_averages_only_until_each_beat_is_asked_for(qtbot: Any) -> None:
    from gui.panels.measurements import MeasurementsPanel
    from gui.session import CaseSession

    session = CaseSession()
    session._measure = lambda: (lambda case: (list(MEASURED), []))  # type: ignore[method-assign]
    session.set_case(Case())
    panel = MeasurementsPanel(session)
    qtbot.addWidget(panel)
    panel.show()
    model = panel.model

    def shown() -> list[str]:
        return [model.index(r, 0).data().strip() for r in range(model.rowCount()) if not panel.table.isRowHidden(r)]

    assert not panel.show_beats.isChecked()
    assert shown() == [MEAN.label, BEAT1_DURATION.label, VC.label]
    qtbot.mouseClick(panel.show_beats, Qt.MouseButton.LeftButton)
    assert shown() == [MEAN.label, BEAT1.label, BEAT2.label, BEAT1_DURATION.label, VC.label]
    assert model.index(1, 0).data().startswith(" ")  # indented under its average
