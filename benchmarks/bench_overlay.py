"""Overlay benchmark: how long a trace mark takes to appear on the viewer, by vertex count.

- ``overlay.polyline_ms_<N>``: pyqtgraph's ``PolyLineROI`` as it comes (it settles its state over
  every handle after each handle it adds: quadratic) - the reference, built the way the viewer did;
- ``overlay.markpolyline_ms_<N>``: the viewer's ``MarkPolyLine`` (state settled once), and
  ``overlay.ratio_<N>`` = that / the reference, in this run;
- ``overlay.long_curve_ms_<N>``: a mark above ``EDITABLE_VERTICES`` drawn view-only
  (``LongMarkCurve``, simplified by ``planning.limits.display_points``).
Each time is one build, added to a view box, events processed and the widget painted once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

EDITABLE_COUNTS = (50, 120)
LONG_COUNTS = (600, 5000)


def _trace(n: int) -> list[tuple[float, float]]:
    return [(100.5 + 0.5 * i, 320.5 - 80 * abs(math.sin(i / 40))) for i in range(n)]


def _shown_ms(app: Any, widget: Any, view_box: Any, build: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    item = build()
    view_box.addItem(item)
    app.processEvents()
    widget.grab()
    ms = 1000 * (time.perf_counter() - t0)
    view_box.removeItem(item)
    return ms


def run() -> None:
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    from gui.viewer.overlay import LongMarkCurve, MarkPolyLine, _pen
    from measurements.marks import Mark, MarkType

    app = QApplication.instance() or QApplication([])
    widget = pg.GraphicsLayoutWidget()
    widget.resize(800, 600)
    widget.show()
    view_box = widget.addViewBox()
    for n in EDITABLE_COUNTS:
        points = _trace(n)
        reference = _shown_ms(app, widget, view_box, lambda p=points: pg.PolyLineROI(p, closed=False))
        ours = _shown_ms(app, widget, view_box, lambda p=points: MarkPolyLine(p, closed=False))
        print(f"overlay.polyline_ms_{n}: {reference:.0f}", flush=True)
        print(f"overlay.markpolyline_ms_{n}: {ours:.0f}", flush=True)
        print(f"overlay.ratio_{n}: {ours / reference:.2f}", flush=True)
    for n in LONG_COUNTS:
        mark = Mark("m", MarkType.DOPPLER_TRACE, "trace", "1.2.3", 1, 1, tuple(_trace(n)))
        ms = _shown_ms(app, widget, view_box, lambda m=mark: LongMarkCurve(m, _pen("#ffd54f"), on_click=lambda: None))
        print(f"overlay.long_curve_ms_{n}: {ms:.0f}", flush=True)
    widget.close()
