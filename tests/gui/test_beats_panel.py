"""A Doppler trace dragged over three beats of the demo CW inflow strip is shown in the measurements
panel as its average rows ("mean of 3 beats, SD …" with the heart rate), each with its beats under it
(folded away until "Show each beat" is ticked).

Demo CW strip (demo/phantom.py): Δt = 0.004 s/px, Δv = -1.25 cm/s per px, baseline at image y = 320.5,
so a vertex 80 px below the baseline is 1.0 m/s away from the transducer (mitral inflow).
Three triangles of 50 px (0.2 s) with peaks 80, 96, 64 px (1.0, 1.2, 0.8 m/s), starting 200 px
(0.8 s) then 225 px (0.9 s) apart, joined along the baseline, imitate a trace over three beats.
Hand arithmetic (a triangle of peak V over 0.2 s: VTI = 10 V cm, mean gradient 4 V² / 3 mmHg):
mean gradients 1.333, 1.920, 0.853 mmHg → mean 1.369 mmHg, sample SD 0.534 mmHg (shown 1.4 and 0.5);
heart rate 60 / 0.8 = 75 and 60 / 0.9 = 66.7 bpm from the beat spacing, mean 70.8 bpm (beat 3 has none).
"""

from __future__ import annotations

import statistics
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.gui.conftest import open_in
from tests.gui.test_annotate import BASELINE_Y, annotating, at_one_to_one, click  # noqa: F401 - fixture

STARTS, PEAKS_PX = (100.5, 300.5, 525.5), (80, 96, 64)
MG = [4 * (p * 1.25 / 100) ** 2 / 3 for p in PEAKS_PX]  # 1.3333, 1.92, 0.8533 mmHg


def _column(panel: Any, name: str) -> int:
    return [panel.model.headerData(c, Qt.Orientation.Horizontal) for c in range(panel.model.columnCount())].index(name)


def test_three_beat_trace_groups_its_beats_under_the_average(qtbot: Any, annotating: Any,  # noqa: F811
                                                             demo_study: Any) -> None:
    win = annotating
    viewport = open_in(qtbot, win, demo_study.files["cw_mv_inflow"])
    at_one_to_one(viewport, (338, 370))
    QTest.keyClick(win, Qt.Key.Key_T)
    win.annotation.label_box.setCurrentText("MV inflow CW")  # what the trace measures: mitral inflow
    for x0, peak in zip(STARTS, PEAKS_PX, strict=True):
        for x, y in ((x0, BASELINE_Y), (x0 + 25, BASELINE_Y + peak), (x0 + 50, BASELINE_Y)):
            click(viewport, x, y)
    QTest.keyClick(win, Qt.Key.Key_Return)
    assert len(win.session.document.marks) == 1  # one trace over the three beats
    panel = win.annotation.panel
    model = panel.model
    beats_col, label_col = _column(panel, "Beats"), _column(panel, "Measurement")
    rows = [(model.results[r], model.index(r, label_col).data(), model.index(r, beats_col).data())
            for r in range(len(model.results))]

    avg_row = next(i for i, (r, _, _) in enumerate(rows) if r.quantity == "mean_gradient" and r.beats)
    average, _, text = rows[avg_row]
    assert average.value == pytest.approx(statistics.mean(MG), rel=1e-9)           # 1.369 mmHg
    assert average.sd == pytest.approx(statistics.stdev(MG), rel=1e-9)             # 0.534 mmHg
    assert text == "mean of 3 beats, SD 0.5 mmHg · HR 71 bpm"
    beats = rows[avg_row + 1:avg_row + 4]
    assert [(r.quantity, r.beat) for r, _, _ in beats] == [("mean_gradient", 1), ("mean_gradient", 2),
                                                           ("mean_gradient", 3)]
    assert [r.value for r, _, _ in beats] == pytest.approx(MG, rel=1e-9)
    assert [label.strip() for _, label, _ in beats] == ["beat 1", "beat 2", "beat 3"]
    assert all(label.startswith(" ") for _, label, _ in beats)                       # indented under the mean
    assert [t for _, _, t in beats] == ["HR 75 bpm", "HR 67 bpm", ""]  # beat 3: no next beat, no ECG
    beat_rows = range(avg_row + 1, avg_row + 4)
    # averages only by default: the per-beat rows wait behind "Show each beat"
    assert not panel.show_beats.isChecked()
    assert all(panel.table.isRowHidden(r) for r in beat_rows) and not panel.table.isRowHidden(avg_row)
    shown = [rows[r][0] for r in range(len(rows)) if not panel.table.isRowHidden(r)]
    assert shown and all(r.beat is None for r in shown)
    qtbot.mouseClick(panel.show_beats, Qt.MouseButton.LeftButton)  # unfold each beat under its average
    assert not any(panel.table.isRowHidden(r) for r in beat_rows)
    qtbot.mouseClick(panel.show_beats, Qt.MouseButton.LeftButton)
    assert all(panel.table.isRowHidden(r) for r in beat_rows)
    # every per-beat row sits right under the average of its quantity
    for i, (r, _, _) in enumerate(rows):
        if r.beat is not None:
            parent = next(p for p, _, _ in reversed(rows[:i]) if p.beat is None)
            assert parent.quantity == r.quantity and parent.beats is not None
