"""The PDF's residual-anatomy table carries what the anatomy panel recorded."""

from __future__ import annotations

from planning.findings import SegmentView
from report.build import segment_notes


def test_the_report_prints_the_recorded_anatomy_in_thesegment_notes() -> None:
    view = SegmentView("P2", 0.96, "moderate", "d1", "thin", True, "restricted IIIb", "cleft", 0.3)
    assert segment_notes(view) == "mobility restricted IIIb; cleft; coaptation gap 3.0 mm; thin"  # grasp zone: a field
