"""Trust in the case from the GUI (issue 11): New Case over several patients asks which one, and a
mark on another patient's loop is refused on screen naming both patients.

The two-patient folder imitates a PACS export of a worklist day: the demo study with two of its
loops (the ME long-axis loop and the MR CW strip) rewritten by pydicom to another patient's study
(Patient ID, name, Study Instance UID, date and description), so the folder holds two studies.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.uid import generate_uid
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel

from gui.dialogs.study_chooser import StudyChooser
from gui.session import Unsaved
from tests.gui.conftest import open_in, wait_loaded
from tests.gui.test_annotate import at_one_to_one, drag

OTHER = {"PatientID": "PID-OTHER-42", "PatientName": "Otherperson^Otto", "StudyDate": "20260220",
         "StudyDescription": "TEE follow-up"}
MOVED = ("me_long_axis", "cw_mr")


@pytest.fixture
def two_patients(tmp_path: Path, demo_study: Any) -> dict[str, Path]:
    """The demo loops copied into one folder, two of them rewritten to Otherperson^Otto's own study."""
    folder = tmp_path / "worklist"
    folder.mkdir()
    files = {key: Path(shutil.copy(path, folder / path.name)) for key, path in demo_study.files.items()}
    other_study = generate_uid()
    for key in MOVED:
        ds = pydicom.dcmread(files[key])
        for keyword, value in OTHER.items():
            setattr(ds, keyword, value)
        ds.StudyInstanceUID = other_study
        ds.save_as(files[key], enforce_file_format=True)
    return files


def answer_dialog(qtbot: Any, act: Callable[[StudyChooser], None]) -> list[StudyChooser]:
    """Act on the study chooser as soon as it is shown (it runs modally inside the key press)."""
    seen: list[StudyChooser] = []

    def poll() -> None:
        dialog = next((w for w in QApplication.topLevelWidgets()
                       if isinstance(w, StudyChooser) and w.isVisible()), None)
        if dialog is None:
            QTimer.singleShot(20, poll)
            return
        seen.append(dialog)
        act(dialog)
    QTimer.singleShot(0, poll)
    return seen


def click_row_of(qtbot: Any, dialog: StudyChooser, patient_id: str) -> None:
    row = next(r for r in range(dialog.table.rowCount()) if dialog.table.item(r, 1).text() == patient_id)
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=dialog.row_rect(row).center())


@pytest.fixture
def worklist_window(qtbot: Any, window: Any, two_patients: dict[str, Path]) -> Any:
    import pyqtgraph as pg

    limit = pg.getConfigOption("mouseRateLimit")
    pg.setConfigOption("mouseRateLimit", 0)
    window.resize(1700, 1000)
    window.session.ask_unsaved = lambda name: Unsaved.DISCARD
    window.open_paths([next(iter(two_patients.values())).parent])
    wait_loaded(qtbot, window)
    yield window
    pg.setConfigOption("mouseRateLimit", limit)


def test_new_case_over_two_patients_asks_and_cancel_makes_no_case(qtbot: Any, worklist_window: Any) -> None:
    win = worklist_window
    listed: list[list[str]] = []

    def cancel(dialog: StudyChooser) -> None:
        listed.extend([dialog.table.item(r, c).text() for c in range(5)] for r in range(dialog.table.rowCount()))
        assert not dialog.ok_button.isEnabled()  # nothing is picked for the user
        qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Cancel), Qt.MouseButton.LeftButton)

    seen = answer_dialog(qtbot, cancel)
    QTest.keyClick(win, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert seen, "New Case did not ask which patient"
    # five demo images: three stay with the demo patient, two moved to Otherperson^Otto
    assert listed == [["MitraPlan, Demo", "MP-DEMO-0001", "2026-01-15", "TEE after mitral TEER (demo)", "3 images"],
                      ["Otherperson, Otto", "PID-OTHER-42", "2026-02-20", "TEE follow-up", "2 images"]]
    assert win.session.document is None


def test_chosen_patient_binds_the_case_and_a_caliper_on_the_other_is_refused_on_screen(
        qtbot: Any, worklist_window: Any, two_patients: dict[str, Path]) -> None:
    win = worklist_window

    def choose_demo_patient(dialog: StudyChooser) -> None:
        click_row_of(qtbot, dialog, "MP-DEMO-0001")
        assert dialog.ok_button.isEnabled()
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    seen = answer_dialog(qtbot, choose_demo_patient)
    QTest.keyClick(win, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert seen
    win.activateWindow()  # the offscreen platform does not hand activation back after a modal dialog
    qtbot.waitUntil(win.isActiveWindow)
    doc = win.session.document
    assert doc is not None
    assert doc.case.study["patient_id"] == "MP-DEMO-0001" and doc.case.study["patient_name"] == "MitraPlan^Demo"
    listed = {Path(i["path"]).name for i in doc.case.images}
    assert listed == {"me_commissural.dcm", "color_flow.dcm", "cw_mv_inflow.dcm"}  # only the chosen study

    viewport = open_in(qtbot, win, two_patients["me_long_axis"])  # Otherperson^Otto's loop
    banner = win.annotation.overlay(viewport).banner  # said before anything is drawn
    assert banner.isVisible() and "Not this case's patient or study: Otherperson, Otto (ID PID-OTHER-42" in banner.text()
    assert banner.geometry().right() <= viewport.width()
    at_one_to_one(viewport, (250, 300))
    QTest.keyClick(win, Qt.Key.Key_D)
    with qtbot.waitSignal(win.session.refused) as refused:
        drag(viewport, (200.5, 300.5), (260.5, 380.5))
    assert doc.marks == ()
    message = refused.args[0]
    assert "Otherperson, Otto (ID PID-OTHER-42, study of 2026-02-20)" in message
    assert "this case is for MitraPlan, Demo (ID MP-DEMO-0001, study of 2026-01-15)" in message
    assert "me_long_axis.dcm" in message
    assert "1.2." not in message  # no Study Instance UID: the reader sees names, IDs and dates
    shown = win.notice_area.messages()
    assert message in shown
    (label,) = [w for w in win.notice_area.findChildren(QLabel) if w.text() == message]
    assert label.isVisible() and label.wordWrap()  # wraps inside the window: the whole message fits on screen
    assert label.mapTo(win, label.rect().bottomRight()).x() <= win.width()

    # a key image of the other patient's frame is refused the same way, and not flagged
    QTest.keyClick(win, Qt.Key.Key_Escape)
    with qtbot.waitSignal(win.session.refused) as refused_key:
        QTest.keyClick(win, Qt.Key.Key_K)
    assert "Otherperson, Otto (ID PID-OTHER-42" in refused_key.args[0]
    assert "this case is for MitraPlan, Demo (ID MP-DEMO-0001" in refused_key.args[0]
    assert "key_images" not in doc.case.extra

    # the demo patient's own loop still takes the caliper
    own = open_in(qtbot, win, two_patients["me_commissural"])
    assert not win.annotation.overlay(own).banner.isVisible()
    at_one_to_one(own, (250, 300))
    QTest.keyClick(win, Qt.Key.Key_D)
    drag(own, (200.5, 300.5), (260.5, 380.5))
    assert len(doc.marks) == 1
