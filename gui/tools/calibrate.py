"""Calibrate…: drag a line of known length on an image without a calibrated region, type the length.

The line becomes a user calibration of that image (``measurements.calibration``), added by one
undoable ``AddCalibration``; later distances and areas on the image are measured through it and
warn that they are. Refused where the scanner calibrated the image and on a Doppler spectrum.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from gui.tools.base import Tool
from gui.viewer.viewport import Viewport, loop_name
from imaging.errors import InputError
from measurements.calibration import (
    MIN_LINE_PX,
    UserCalibration,
    calibration_for,
    check_may_calibrate,
    line_length_px,
)
from measurements.marks import MarkType
from planning.commands import AddCalibration, new_calibration_id

TOOL_NAME = "Calibrate"


def parse_length_cm(text: str) -> float | None:
    """The typed length in cm (a decimal comma is accepted), or None when it is not a positive number."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


class LengthDialog(QDialog):
    """Asks the known length of the line just drawn, in cm; starts empty (nothing is assumed)."""

    def __init__(self, parent: QWidget | None, pixels: float, image: str,
                 earlier: UserCalibration | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("calibrate-length")
        self.setWindowTitle("Calibrate image")
        form = QFormLayout(self)
        note = QLabel(f"The line drawn on {image} is {pixels:.1f} pixels long. Type its real length, e.g. a"
                      " span of the depth scale.", self)
        note.setWordWrap(True)
        form.addRow(note)
        self.length = QLineEdit(self)
        self.length.setObjectName("calibrate-length-cm")
        self.length.setPlaceholderText("known length")
        form.addRow("Length (cm)", self.length)
        self.second = QCheckBox(f"With the earlier {earlier.distance_cm:g} cm line: separate x and y scales"
                                if earlier is not None else "", self)
        self.second.setObjectName("calibrate-second-line")
        self.second.setToolTip("Pixels that are not square: one line across and one down give each axis its scale")
        if earlier is not None and earlier.points_2 is None:
            form.addRow(self.second)
        else:
            self.second.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.length.textChanged.connect(self._check)
        self._check()

    def value_cm(self) -> float | None:
        return parse_length_cm(self.length.text())

    def _check(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.value_cm() is not None)


class CalibrateTool(Tool):
    """Drag the line (as the caliper does); on release the length dialog opens (non-blocking)."""

    kind = MarkType.DISTANCE

    def __init__(self, overlay: Any) -> None:
        super().__init__(overlay)
        self.dialog: LengthDialog | None = None

    def mouse_drag(self, viewport: Viewport, event: Any, pos: QPointF) -> bool:
        if not self.left(event):
            return False
        first, here = self.drag_line(viewport, event, pos)
        self.overlay.show_line_draft((first, here), f"{line_length_px((first, here)):.0f} px")
        if event.isFinish():
            self.points = [first, here]
            self.finish()
        return True

    def mouse_move(self, viewport: Viewport, pos: QPointF) -> None:
        """The drag draws the line; hovering shows nothing."""

    def finish(self) -> None:
        points, self.points = list(self.points), []
        self.overlay.clear_draft()
        if len(points) == 2:
            self.ask_length((points[0], points[1]))

    def ask_length(self, line: tuple[tuple[float, float], tuple[float, float]]) -> None:
        """Check the line may calibrate this image, then ask its length."""
        overlay = self.overlay
        viewport, session = overlay.viewport, overlay.session
        info = viewport.info
        if info is None:
            return
        image = loop_name(info)
        if session.document is None:
            session.refused.emit(f"{TOOL_NAME}: no case is open (File → New Case first)")
            return
        try:
            check_may_calibrate(viewport.regions, line, f"{TOOL_NAME} on {image}")
        except InputError as exc:
            session.refused.emit(str(exc))
            return
        pixels = line_length_px(line)
        if pixels < MIN_LINE_PX:
            session.refused.emit(f"{TOOL_NAME} on {image}: the line is {pixels:.1f} pixels long; drag one of at"
                                 f" least {MIN_LINE_PX:g} pixels along a known distance")
            return
        sop = str(info.sop_instance_uid)
        earlier = calibration_for(session.document.case.calibrations(), sop)
        self.dialog = LengthDialog(viewport.window(), pixels, image, earlier)
        frame = max(viewport.frame_number, 1)
        self.dialog.accepted.connect(lambda: self._add(line, sop, frame, str(info.path), earlier))
        self.dialog.open()

    def _add(self, line: tuple[tuple[float, float], tuple[float, float]], sop: str, frame: int, path: str,
             earlier: UserCalibration | None) -> None:
        """Add the calibration; with the second-line box ticked, the earlier line plus this one (x and y)."""
        dialog, session = self.dialog, self.overlay.session
        doc = session.document
        length = dialog.value_cm() if dialog is not None else None
        if doc is None or length is None or dialog is None:
            return
        if earlier is not None and dialog.second.isChecked():
            calibration = UserCalibration(new_calibration_id(doc), sop, earlier.frame_number, earlier.points,
                                          earlier.distance_cm, line, length)
        else:
            calibration = UserCalibration(new_calibration_id(doc), sop, frame, line, length)
        try:
            command = AddCalibration.of(doc, calibration)
        except InputError as exc:
            session.refused.emit(f"{TOOL_NAME}: {exc}")
            return
        doc.ensure_image(sop, path)
        session.push(command)
