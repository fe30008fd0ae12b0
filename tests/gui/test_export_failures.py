"""Report export from the preview: an output that cannot be written is named on screen with its cause
while the others are written; an export refused for another patient's images says so and writes nothing.

The failing writer imitates a full disk or a file locked by another program (OSError from the JSON
writer); the refusal imitates a case whose images span two patients (planning.study.StudyMismatch).
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

import report.export
from gui.notices import Notices
from gui.panels.report_preview import ReportPreview, report_export
from planning.study import StudyMismatch
from tests.report.test_cli_report import write_case


@pytest.fixture
def preview(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ReportPreview:
    dialog = ReportPreview(write_case(tmp_path)[0])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.export_button.isEnabled, timeout=60000)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(out))
    return dialog


def test_a_failing_output_is_named_and_the_others_are_written(qtbot: Any, preview: ReportPreview,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(_model: Any, _path: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "report.json")

    monkeypatch.setattr(report.export, "write_json", disk_full)
    with qtbot.waitSignal(preview.exported, timeout=60000) as done:
        qtbot.mouseClick(preview.export_button, Qt.MouseButton.LeftButton)
    result = done.args[0]
    assert result.json is None and result.pdf is not None and result.pdf.is_file()  # the PDF is still written
    assert preview.problems.isVisible()
    assert preview.problems.text() == "✗ JSON (report.json) not written: No space left on device (report.json)"
    assert "1 output(s) NOT written" in preview.status.text()
    notices = Notices()
    report_export(notices, result)
    assert notices.history[0] == ("error", f"Report export into {result.folder}: JSON (report.json) not written:"
                                            " No space left on device (report.json)")
    assert notices.history[1][0] == "info" and "1 output(s) not written" in notices.history[1][1]


def test_an_export_refused_for_another_patient_says_so_and_writes_nothing(
        qtbot: Any, preview: ReportPreview, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def two_patients(_report: Any, _sources: Any) -> None:
        raise StudyMismatch("the case's images span more than one patient or study (a case is one patient and"
                            " one study); refused. Conflicting files:\n  IM_0002.dcm: belongs to patient"
                            " Otherperson^Otto (ID PID-OTHER-42)")

    monkeypatch.setattr(report.export, "require_one_study", two_patients)
    with qtbot.waitSignal(preview.failed, timeout=60000) as failed:
        qtbot.mouseClick(preview.export_button, Qt.MouseButton.LeftButton)
    message = failed.args[0]
    assert "export refused, nothing was written" in message and "Otherperson^Otto" in message
    assert "report not built" not in message  # the report was built; its export was refused
    assert preview.problems.isVisible() and preview.problems.text() == message
    assert preview.status.text() == "Export refused" and preview.export_button.isEnabled()
    assert list((tmp_path / "out").iterdir()) == []
