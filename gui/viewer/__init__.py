"""Cine viewer: viewports over pyqtgraph ``ImageItem``s, playback at the loop's own timing, layouts.

Importing this package sets pyqtgraph's global options once, before any ``ImageItem`` exists:
``imageAxisOrder="row-major"`` makes item coordinates equal DICOM image coordinates (x = column,
y = row, ``(0, 0)`` the top-left corner of the top-left pixel), so marks pass through unchanged.
"""

import pyqtgraph as pg

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False, background="k", foreground="#c8ccd2")
