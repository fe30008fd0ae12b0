"""Measurement tools on the image (distance, area, Doppler trace, point): small press/move/release
state machines implementing the viewport's ``ViewportTool`` protocol; each ends in one ``AddMark``
through its viewport's ``MarkOverlay`` (which also draws the live readout)."""

from gui.tools.area import FreehandTool, PolygonTool
from gui.tools.base import Tool
from gui.tools.calibrate import CalibrateTool
from gui.tools.caliper import DistanceTool, PointTool
from gui.tools.trace import AutoTraceTool, TraceTool

#: Tool name -> (class, menu text, hotkey).
TOOLS: dict[str, tuple[type[Tool], str, str]] = {
    "distance": (DistanceTool, "&Distance", "D"),
    "area": (PolygonTool, "&Area (polygon)", "A"),
    "freehand": (FreehandTool, "Area (&freehand)", "Shift+A"),
    "trace": (TraceTool, "Doppler &trace (points)", "T"),
    "auto_trace": (AutoTraceTool, "Doppler trace (a&utomatic envelope)", "Shift+T"),
    "point": (PointTool, "&Point", "P"),
    "calibrate": (CalibrateTool, "&Calibrate… (line of known length)", ""),
}

__all__ = ["TOOLS", "AutoTraceTool", "CalibrateTool", "DistanceTool", "FreehandTool", "PointTool", "PolygonTool", "Tool",
           "TraceTool"]
