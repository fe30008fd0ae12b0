"""The status line after an SR import names the values it left out as already in the case (a
re-imported MitraPlan SR, or the echo lab's SR after it), so nothing seems silently dropped."""

from __future__ import annotations

from pathlib import Path

from gui.import_measurements import summary_text
from planning.imported import Duplicate, ImportSummary


def test_the_status_line_names_each_value_left_out() -> None:
    left_out = Duplicate("mean_gradient", 6.55, "mmHg", "imported.1.2.3.mean_gradient", "1.2.3")
    text = summary_text(ImportSummary("9.9", (), 0, (), duplicates=(left_out,)), Path("/x/echo-sr.dcm"))
    assert text.startswith("Imported 0 measurement(s) from echo-sr.dcm; 1 value(s) left out, already in the case")
    assert "6.6 mmHg" in text and "first reported in SR 1.2.3" in text  # 6.55 printed at 0.1 mmHg, half up


def test_without_duplicates_the_line_is_unchanged() -> None:
    assert summary_text(ImportSummary("9.9", (), 0, ()), Path("a.dcm")) == "Imported 0 measurement(s) from a.dcm"
