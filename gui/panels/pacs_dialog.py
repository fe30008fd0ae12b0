"""File → PACS…: pick or edit a node, verify it, search studies, retrieve one (or send files) with progress and cancel.

A thin view over :mod:`pacs.service` (the same calls as ``mitraplan pacs``). Network work
runs as background tasks; failures show as one plain sentence under the buttons. A retrieved study
lands in the local store and is announced with ``retrieved(folder)``, which the main window opens
(File → PACS… is :mod:`gui.panels.pacs_menu`, which imports this module on first use).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.tasks import Task, TaskRunner
from imaging.errors import MitraPlanError
from imaging.text import isolate
from pacs import nodes as pacs_nodes
from pacs import service
from pacs.errors import PacsCancelledError
from pacs.nodes import DicomWebNode, DimseNode, Node
from pacs.query import RetrieveResult, SeriesSummary, StudyQuery, StudySummary
from pacs.store import default_store_root

log = logging.getLogger(__name__)

COLUMNS = ("Patient", "Patient ID", "Date", "Description", "Modalities", "Series", "Instances")
NO_NODE_HINT = "No PACS node yet — New… adds one"
SERIES_COLUMNS = ("#", "Modality", "Series description", "Instances")


def plain_message(exc: BaseException) -> str:
    """Our errors are already one sentence; anything else gets its type so it is still recognisable."""
    return str(exc) if isinstance(exc, MitraPlanError) else f"{type(exc).__name__}: {exc}"


class NodeEditor(QDialog):
    """Edit one node (DIMSE: AE title, host, port, our AE title; or a DICOMweb URL), with Verify."""

    def __init__(self, node: Node | None, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("PACS node")
        self.tasks = tasks
        self.node: Node | None = node
        self.name = QLineEdit(node.name if node else "")
        self.kind = QComboBox()
        self.kind.addItems(["DIMSE (C-FIND / C-GET)", "DICOMweb (QIDO / WADO / STOW)"])
        self.ae_title, self.host = QLineEdit(), QLineEdit()
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(104)
        self.calling = QLineEdit(pacs_nodes.DEFAULT_CALLING_AET)
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://pacs.example.org/dicom-web")
        self.timeout = QDoubleSpinBox()
        self.timeout.setRange(0.5, 600)
        self.timeout.setSuffix(" s")
        self.timeout.setValue(pacs_nodes.DEFAULT_TIMEOUT_S)
        self._fill(node)

        dimse = QWidget()
        dimse_form = QFormLayout(dimse)
        dimse_form.addRow("PACS AE title", self.ae_title)
        dimse_form.addRow("Host", self.host)
        dimse_form.addRow("Port", self.port)
        dimse_form.addRow("Our AE title", self.calling)
        web = QWidget()
        QFormLayout(web).addRow("Base URL", self.url)
        self.pages = QStackedWidget()
        self.pages.addWidget(dimse)
        self.pages.addWidget(web)
        self.kind.currentIndexChanged.connect(self.pages.setCurrentIndex)
        self.pages.setCurrentIndex(self.kind.currentIndex())

        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Kind", self.kind)
        self.verify_button = QPushButton("&Verify")
        self.verify_button.clicked.connect(self.verify)
        self.status = QLabel()
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.pages)
        timeout_form = QFormLayout()
        timeout_form.addRow("Timeout", self.timeout)
        layout.addLayout(timeout_form)
        layout.addWidget(self.verify_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.status)
        layout.addWidget(buttons)

    def _fill(self, node: Node | None) -> None:
        if isinstance(node, DimseNode):
            self.kind.setCurrentIndex(0)
            self.ae_title.setText(node.ae_title)
            self.host.setText(node.host)
            self.port.setValue(node.port)
            self.calling.setText(node.calling_ae_title)
        elif isinstance(node, DicomWebNode):
            self.kind.setCurrentIndex(1)
            self.url.setText(node.url)
        if node is not None:
            self.timeout.setValue(node.timeout_s)

    def current_node(self) -> Node:
        """The node as typed; a :class:`PacsConfigError` says which field is wrong."""
        name, timeout = self.name.text().strip(), self.timeout.value()
        if self.kind.currentIndex() == 1:
            return DicomWebNode(self.url.text().strip(), name, timeout)
        return DimseNode(self.ae_title.text().strip(), self.host.text().strip(), self.port.value(),
                         self.calling.text().strip(), name, timeout)

    def verify(self) -> None:
        try:
            node = self.current_node()
        except MitraPlanError as exc:
            self._show(plain_message(exc), error=True)
            return
        self.verify_button.setEnabled(False)
        self._show(f"Verifying {node.address}…")
        self.tasks.start(f"Verifying {node.address}", lambda _p, _c: service.verify(node),
                         on_done=lambda _r: self._verified(f"{node.address} answered."),
                         on_error=lambda exc: self._verified(plain_message(exc), error=True))

    def _verified(self, text: str, error: bool = False) -> None:
        self.verify_button.setEnabled(True)
        self._show(text, error)

    def _show(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("error", error)
        self.status.setStyleSheet("color: #e06c75;" if error else "")

    def accept(self) -> None:
        try:
            self.node = self.current_node()
        except MitraPlanError as exc:
            self._show(plain_message(exc), error=True)
            return
        super().accept()


class PacsDialog(QDialog):
    """Query/retrieve against the saved PACS nodes."""

    retrieved = Signal(object)  # pathlib.Path of the study folder

    def __init__(self, tasks: TaskRunner | None = None, nodes_path: Path | None = None,
                 store_root: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("PACS — query and retrieve")
        self.tasks = tasks or TaskRunner(self)
        self.nodes_path = nodes_path or pacs_nodes.default_nodes_path()
        self.store_root = store_root or default_store_root()
        self.nodes: list[Node] = []
        self.studies: list[StudySummary] = []
        self.transfer: Task | None = None
        self.last_result: RetrieveResult | None = None

        self.node_box = QComboBox()
        self.node_box.setMinimumWidth(280)
        self.node_box.setPlaceholderText(NO_NODE_HINT)
        self.add_button, self.edit_button = QPushButton("&New…"), QPushButton("&Edit…")
        self.delete_button, self.verify_button = QPushButton("&Delete"), QPushButton("&Verify")
        self.patient_id, self.patient_name = QLineEdit(), QLineEdit()
        self.patient_name.setPlaceholderText("e.g. DOE* (wildcards * and ?)")
        self.date_from, self.date_to = QLineEdit(), QLineEdit()
        for field in (self.date_from, self.date_to):
            field.setPlaceholderText("YYYYMMDD")
            field.setMaxLength(8)
        self.modality = QComboBox()
        self.modality.setEditable(True)
        self.modality.addItems(["US", ""])
        self.search_button = QPushButton("&Search")
        self.search_button.setDefault(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.series_table = QTableWidget(0, len(SERIES_COLUMNS))
        self.series_table.setHorizontalHeaderLabels(SERIES_COLUMNS)
        self.series_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.series_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.series_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.series_table.verticalHeader().hide()
        self.series_table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.series_table.setToolTip("Select a series to retrieve only it (Ctrl+click clears: whole study)")
        self.series: list[SeriesSummary] = []
        self.retrieve_button, self.cancel_button = QPushButton("&Retrieve"), QPushButton("Ca&ncel")
        self.send_button = QPushButton("Sen&d Files…")
        self.send_button.setToolTip("Send DICOM files (e.g. the report's SR and key images) to this node")
        self.progress = QProgressBar()
        self.progress.setFormat("%v of %m instances")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._lay_out()
        self._connect()
        self.reload_nodes()
        self._update_buttons()
        self.resize(900, 620)

    def _lay_out(self) -> None:
        node_row = QHBoxLayout()
        node_row.addWidget(QLabel("Node"))
        node_row.addWidget(self.node_box, 1)
        for button in (self.verify_button, self.add_button, self.edit_button, self.delete_button):
            node_row.addWidget(button)
        search = QFormLayout()
        search.addRow("Patient ID", self.patient_id)
        search.addRow("Patient name", self.patient_name)
        dates = QHBoxLayout()
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.date_to)
        search.addRow("Study date", dates)
        search.addRow("Modality", self.modality)
        transfer_row = QHBoxLayout()
        transfer_row.addWidget(self.retrieve_button)
        transfer_row.addWidget(self.progress, 1)
        transfer_row.addWidget(self.cancel_button)
        transfer_row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addLayout(node_row)
        layout.addLayout(search)
        layout.addWidget(self.search_button, 0, Qt.AlignmentFlag.AlignRight)
        tables = QSplitter(Qt.Orientation.Vertical)
        tables.addWidget(self.table)
        tables.addWidget(self.series_table)
        tables.setStretchFactor(0, 3)
        tables.setStretchFactor(1, 2)
        layout.addWidget(tables, 1)
        layout.addLayout(transfer_row)
        layout.addWidget(self.status)

    def _connect(self) -> None:
        self.add_button.clicked.connect(lambda: self.edit_node(new=True))
        self.edit_button.clicked.connect(lambda: self.edit_node(new=False))
        self.delete_button.clicked.connect(self.delete_node)
        self.verify_button.clicked.connect(self.verify)
        self.search_button.clicked.connect(self.search)
        self.retrieve_button.clicked.connect(self.retrieve)
        self.cancel_button.clicked.connect(self.cancel)
        self.send_button.clicked.connect(self.choose_and_send)
        self.node_box.currentIndexChanged.connect(lambda _i: self._update_buttons())
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemSelectionChanged.connect(self.load_series)
        self.table.itemDoubleClicked.connect(lambda _item: self.retrieve())
        # the runner's own signals are connected before a task starts, so no report can be missed
        self.tasks.progress.connect(self._on_task_progress)
        self.tasks.changed.connect(self._on_tasks_changed)

    # --- nodes ---------------------------------------------------------------------------------
    def reload_nodes(self, select: Node | None = None) -> None:
        try:
            self.nodes = pacs_nodes.load_nodes(self.nodes_path)
        except MitraPlanError as exc:
            self.nodes = []
            self.show_status(plain_message(exc), error=True)
        self.node_box.clear()
        for node in self.nodes:
            self.node_box.addItem(node.label if not node.name else f"{node.name} ({node.address})")
        # with a placeholder text a combo no longer picks its first item by itself
        first = 0 if self.nodes else -1
        self.node_box.setCurrentIndex(self.nodes.index(select) if select in self.nodes else first)
        if not self.nodes and not self.status.text():
            self.show_status(NO_NODE_HINT + " (AE title, host and port from the archive's administrator)")

    def current_node(self) -> Node | None:
        index = self.node_box.currentIndex()
        return self.nodes[index] if 0 <= index < len(self.nodes) else None

    def edit_node(self, new: bool) -> NodeEditor:
        """Open the node editor (non-blocking); saving replaces or adds the node and writes the list."""
        old = None if new else self.current_node()
        editor = NodeEditor(old, self.tasks, self)
        editor.accepted.connect(lambda: self.save_node(old, editor.node))
        editor.open()
        return editor

    def save_node(self, old: Node | None, node: Node | None) -> None:
        if node is None:
            return
        nodes = [node if n == old else n for n in self.nodes] if old in self.nodes else [*self.nodes, node]
        try:
            pacs_nodes.save_nodes(nodes, self.nodes_path)
        except OSError as exc:
            self.show_status(f"Could not save the PACS nodes to {self.nodes_path} ({exc.strerror}).", error=True)
            return
        self.reload_nodes(select=node)

    def delete_node(self) -> None:
        node = self.current_node()
        if node is None:
            return
        answer = QMessageBox.question(self, "Delete PACS node", f"Delete the node {node.label}?")
        if answer == QMessageBox.StandardButton.Yes:
            pacs_nodes.save_nodes([n for n in self.nodes if n != node], self.nodes_path)
            self.reload_nodes()

    # --- work ----------------------------------------------------------------------------------
    def verify(self) -> None:
        node = self.current_node()
        if node is None:
            return
        self._run(f"Verifying {node.address}", lambda _p, _c: service.verify(node),
                  lambda _r: self.show_status(f"{node.address} answered."))

    def query(self) -> StudyQuery:
        return StudyQuery(self.patient_id.text().strip(), self.patient_name.text().strip(),
                          self.date_from.text().strip(), self.date_to.text().strip(),
                          self.modality.currentText().strip())

    def search(self) -> None:
        node = self.current_node()
        if node is None:
            self.show_status("Add a PACS node first (New…).", error=True)
            return
        try:
            query = self.query()
        except MitraPlanError as exc:
            self.show_status(plain_message(exc), error=True)
            return
        self._run(f"Searching {node.address}", lambda _p, _c: service.find_studies(node, query), self.show_studies)

    def show_studies(self, studies: list[StudySummary]) -> None:
        self.studies = list(studies)
        self.table.setRowCount(len(self.studies))
        for row, study in enumerate(self.studies):
            values = (_person_name(study.patient_name), study.patient_id, _date(study.study_date), study.description,
                      ", ".join(study.modalities), _number(study.number_of_series), _number(study.number_of_instances))
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        if self.studies:
            self.table.selectRow(0)
        self.show_status(f"{len(self.studies)} stud{'y' if len(self.studies) == 1 else 'ies'} found.")

    def selected_study(self) -> StudySummary | None:
        rows = self.table.selectionModel().selectedRows()
        return self.studies[rows[0].row()] if rows else None

    def load_series(self) -> None:
        """List the selected study's series (series-level C-FIND / QIDO) beside the studies."""
        self.show_series("", [])
        node, study = self.current_node(), self.selected_study()
        if node is None or study is None:
            return
        uid = study.study_instance_uid
        self.tasks.start(f"Listing the series of {uid}", lambda _p, _c: service.find_series(node, uid),
                         on_done=lambda series: self.show_series(uid, series),
                         on_error=lambda exc: self.show_status(plain_message(exc), error=True))

    def show_series(self, study_uid: str, series: list[SeriesSummary]) -> None:
        study = self.selected_study()
        if study_uid and (study is None or study.study_instance_uid != study_uid):
            return  # the answer for a study no longer selected
        self.series = sorted(series, key=lambda s: (s.series_number is None, s.series_number or 0))
        self.series_table.setRowCount(len(self.series))
        for row, item in enumerate(self.series):
            values = (_number(item.series_number), item.modality, item.description, _number(item.number_of_instances))
            for column, value in enumerate(values):
                self.series_table.setItem(row, column, QTableWidgetItem(value))
        self.series_table.resizeColumnsToContents()
        self.series_table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

    def selected_series(self) -> SeriesSummary | None:
        rows = self.series_table.selectionModel().selectedRows()
        return self.series[rows[0].row()] if rows else None

    def retrieve(self) -> None:
        """Retrieve the selected series, or the whole study when no series is selected."""
        node, study, series = self.current_node(), self.selected_study(), self.selected_series()
        if node is None or study is None or self.transfer is not None:
            return
        series_uid = series.series_instance_uid if series is not None else None
        self.progress.setRange(0, (series or study).number_of_instances or 0)
        self.progress.setValue(0)

        def work(progress: Any, cancel: Any) -> RetrieveResult:
            return service.retrieve(node, study.study_instance_uid, self.store_root, series_uid,
                                    progress=lambda done, total: progress(done, total or 0, ""), cancel=cancel)

        self.transfer = self._run(f"Retrieving {study.patient_name or study.study_instance_uid}", work,
                                  self._retrieved, self._transfer_failed)
        self._update_buttons()

    def choose_and_send(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "DICOM files to send", "", "DICOM (*.dcm *.DCM *);;All files (*)")
        if paths:
            self.send_files([Path(p) for p in paths])

    def send_files(self, paths: list[Path]) -> None:
        """C-STORE or STOW-RS ``paths`` to the current node, with progress and cancel like a retrieve."""
        node = self.current_node()
        if node is None or self.transfer is not None or not paths:
            return
        self.progress.setRange(0, len(paths))
        self.progress.setValue(0)

        def work(progress: Any, cancel: Any) -> list[Any]:
            return service.send(node, paths, progress=lambda done, total: progress(done, total or 0, ""), cancel=cancel)

        self.transfer = self._run(f"Sending {len(paths)} file(s) to {node.address}", work,
                                  lambda sent: self.show_status(f"{len(sent)} instance(s) sent to {node.address}."),
                                  self._transfer_failed)
        self._update_buttons()

    def cancel(self) -> None:
        if self.transfer is not None:
            self.transfer.cancel.set()
            self.show_status("Cancelling…")

    def _on_task_progress(self, name: str, done: int, total: int, _text: str) -> None:
        if self.transfer is None or name != self.transfer.name:
            return
        if total:
            self.progress.setMaximum(total)
        self.progress.setValue(done)

    def _retrieved(self, result: RetrieveResult) -> None:
        self.last_result = result
        self.progress.setMaximum(max(len(result.files), 1))
        self.progress.setValue(len(result.files))
        refused = f" {len(result.refused)} refused, not stored: {result.refused[0]}" if result.refused else ""
        self.show_status(f"{len(result.received)} instance(s) retrieved, {len(result.already_present)} already here, "
                         f"in {result.folder}.{refused}", error=bool(result.refused))
        self.retrieved.emit(result.folder)

    def _transfer_failed(self, exc: BaseException) -> None:
        self.show_status(plain_message(exc), error=not isinstance(exc, PacsCancelledError))

    def _on_tasks_changed(self) -> None:
        if self.transfer is not None and self.transfer not in self.tasks.running:
            self._transfer_done()

    def _transfer_done(self) -> None:
        if self.transfer is not None and self.transfer.cancel.is_set():
            self.show_status("Cancelled; instances transferred completely were kept, partial ones removed.")
        self.transfer = None
        self._update_buttons()

    def _run(self, name: str, fn: Any, on_done: Any, on_error: Any = None) -> Task:
        self.show_status(f"{name}…")
        return self.tasks.start(name, fn, on_done=on_done,
                                on_error=on_error or (lambda exc: self.show_status(plain_message(exc), error=True)))

    def show_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("error", error)
        self.status.setStyleSheet("color: #e06c75;" if error else "")

    def _update_buttons(self) -> None:
        has_node, busy = self.current_node() is not None, self.transfer is not None
        for button in (self.edit_button, self.delete_button, self.verify_button, self.search_button):
            button.setEnabled(has_node)
        self.retrieve_button.setEnabled(has_node and not busy and bool(self.table.selectionModel().selectedRows()))
        self.send_button.setEnabled(has_node and not busy)
        self.cancel_button.setEnabled(busy)

def _person_name(value: str) -> str:
    """DICOM ``Family^Given^Middle`` as ``Family, Given Middle``."""
    family, _, rest = value.partition("^")
    given = " ".join(part for part in rest.split("^")[:2] if part)
    return isolate(f"{family}, {given}" if given else family)


def _date(value: str) -> str:
    return f"{value[:4]}-{value[4:6]}-{value[6:]}" if len(value) == 8 and value.isdigit() else value


def _number(value: int | None) -> str:
    return "" if value is None else str(value)

