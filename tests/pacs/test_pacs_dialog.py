"""The PACS dialog against the Orthanc fixture: add a node, verify, search, retrieve, cancel, plain errors,
and File → PACS… in the main window opening what was retrieved."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QDialogButtonBox

from gui.panels.pacs_dialog import NodeEditor, PacsDialog
from pacs import nodes, service
from pacs.nodes import DimseNode
from tests.pacs.conftest import LoadedStudy, OrthancServer, ReportOutputs, free_port

pytestmark = pytest.mark.external


@pytest.fixture
def dialog(qtbot: Any, tmp_path: Path, orthanc: OrthancServer) -> PacsDialog:
    nodes.save_nodes([DimseNode(orthanc.aet, "127.0.0.1", orthanc.dicom_port, name="Test PACS", timeout_s=20)],
                     tmp_path / "nodes.json")
    box = PacsDialog(nodes_path=tmp_path / "nodes.json", store_root=tmp_path / "store")
    qtbot.addWidget(box)
    box.show()
    yield box
    box.tasks.cancel_all()
    box.tasks.wait(10000)


def idle(qtbot: Any, box: PacsDialog) -> None:
    qtbot.waitUntil(lambda: not box.tasks.running, timeout=20000)


def test_search_then_retrieve_with_progress(qtbot: Any, dialog: PacsDialog, study_files: LoadedStudy) -> None:
    assert dialog.node_box.currentText().startswith("Test PACS")
    dialog.patient_id.setText(study_files.patient_id)
    dialog.search_button.click()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=20000)
    assert dialog.table.item(0, 1).text() == study_files.patient_id
    assert dialog.table.item(0, 6).text() == str(len(study_files.files))
    assert dialog.retrieve_button.isEnabled()
    with qtbot.waitSignal(dialog.retrieved, timeout=30000) as signal:
        dialog.retrieve_button.click()
    folder = signal.args[0]
    assert folder == dialog.store_root / study_files.study_instance_uid
    assert {p.stem for p in folder.glob("*.dcm")} == set(study_files.files)
    idle(qtbot, dialog)
    assert dialog.progress.value() == dialog.progress.maximum() == len(study_files.files)
    assert "retrieved" in dialog.status.text()
    assert not dialog.cancel_button.isEnabled()


def test_retrieve_only_the_selected_series(qtbot: Any, dialog: PacsDialog, study_files: LoadedStudy) -> None:
    dialog.patient_id.setText(study_files.patient_id)
    dialog.search_button.click()
    qtbot.waitUntil(lambda: dialog.series_table.rowCount() == len(study_files.series), timeout=20000)
    series_uid, count = min(study_files.series.items(), key=lambda item: item[1])
    dialog.series_table.selectRow(next(i for i, s in enumerate(dialog.series) if s.series_instance_uid == series_uid))
    assert dialog.series_table.item(dialog.series_table.currentRow(), 3).text() == str(count)
    with qtbot.waitSignal(dialog.retrieved, timeout=30000) as signal:
        dialog.retrieve_button.click()
    assert len(list(signal.args[0].glob("*.dcm"))) == count
    idle(qtbot, dialog)


def test_cancel_stops_the_transfer_and_keeps_no_partial_file(qtbot: Any, dialog: PacsDialog,
                                                             study_files: LoadedStudy,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    real_retrieve = service.retrieve
    started = threading.Event()

    def retrieve_after_cancel(*args: Any, cancel: threading.Event, **kwargs: Any) -> Any:
        started.set()
        assert cancel.wait(20)  # the user presses Cancel while the transfer is under way
        return real_retrieve(*args, cancel=cancel, **kwargs)

    monkeypatch.setattr(service, "retrieve", retrieve_after_cancel)
    dialog.patient_id.setText(study_files.patient_id)
    dialog.search_button.click()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=20000)
    dialog.retrieve_button.click()
    qtbot.waitUntil(started.is_set, timeout=10000)
    assert dialog.cancel_button.isEnabled() and not dialog.retrieve_button.isEnabled()
    dialog.cancel_button.click()
    idle(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Cancelled"), timeout=5000)
    assert not list((dialog.store_root).rglob("*.part"))
    assert dialog.retrieve_button.isEnabled()


@pytest.mark.usefixtures("restore_study")
def test_send_files_pushes_the_report_to_the_node(qtbot: Any, dialog: PacsDialog, study_files: LoadedStudy,
                                                  report_outputs: ReportOutputs) -> None:
    dialog.send_files(report_outputs.files)
    assert not dialog.send_button.isEnabled() and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: "sent to" in dialog.status.text(), timeout=20000)
    assert dialog.status.text().startswith(f"{len(report_outputs.files)} instance(s) sent")
    assert dialog.progress.value() == len(report_outputs.files)
    idle(qtbot, dialog)
    qtbot.waitUntil(dialog.send_button.isEnabled, timeout=5000)
    modalities = {s.modality for s in service.find_series(dialog.current_node(), study_files.study_instance_uid)}
    assert {"SR", "OT"} <= modalities


def test_node_editor_verifies_and_saves_a_new_node(qtbot: Any, dialog: PacsDialog, orthanc: OrthancServer) -> None:
    editor = dialog.edit_node(new=True)
    assert isinstance(editor, NodeEditor)
    editor.name.setText("Web")
    editor.kind.setCurrentIndex(1)
    editor.url.setText(orthanc.dicomweb_url)
    editor.verify_button.click()
    qtbot.waitUntil(lambda: "answered" in editor.status.text(), timeout=20000)
    editor.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert [n.name for n in nodes.load_nodes(dialog.nodes_path)] == ["Test PACS", "Web"]
    assert dialog.current_node().url == orthanc.dicomweb_url  # type: ignore[union-attr]


def test_node_editor_shows_a_bad_field_plainly(qtbot: Any, dialog: PacsDialog) -> None:
    editor = dialog.edit_node(new=True)
    editor.ae_title.setText("THIS_TITLE_IS_FAR_TOO_LONG")
    editor.host.setText("127.0.0.1")
    editor.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert editor.isVisible() and "not a valid AE title" in editor.status.text()
    editor.reject()


def test_errors_are_one_plain_sentence(qtbot: Any, dialog: PacsDialog, tmp_path: Path) -> None:
    port = free_port()
    nodes.save_nodes([DimseNode("PACS", "127.0.0.1", port, timeout_s=5)], dialog.nodes_path)
    dialog.reload_nodes()
    dialog.verify_button.click()
    qtbot.waitUntil(lambda: "Could not connect" in dialog.status.text(), timeout=20000)
    assert f"port {port}" in dialog.status.text() and "Traceback" not in dialog.status.text()
    dialog.date_from.setText("2026-01")
    dialog.search_button.click()
    assert "--date-from '2026-01' is not a date" in dialog.status.text()


def test_file_menu_pacs_opens_the_dialog_and_a_retrieved_study_opens_in_the_window(
        qtbot: Any, tmp_path: Path, study_files: LoadedStudy) -> None:
    from PySide6.QtCore import QSettings

    from gui.app import create_app
    from gui.main_window import MainWindow

    create_app()
    window = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "File")
    action = next(a for a in file_menu.actions() if a.text().replace("&", "") == "PACS…")
    action.trigger()
    dialog = window.pacs.dialog
    assert dialog.isVisible()
    opened: list[Any] = []
    window.studyOpened.connect(opened.append)
    dialog.retrieved.emit(study_files.files[next(iter(study_files.files))].parent)  # as after a retrieve
    qtbot.waitUntil(lambda: bool(opened), timeout=20000)
    window.tasks.cancel_all()
    window.tasks.wait(10000)
    dialog.close()
    window.close()
