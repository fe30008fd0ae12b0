"""The Qt front end (PySide6 + pyqtgraph) and the ``mitraplan`` console script.

This package file stays empty on purpose: ``gui.main`` is imported by every headless sub-command,
so nothing here may pull in QtWidgets or pyqtgraph. pyqtgraph's global options
(``imageAxisOrder="row-major"``) are set once in :mod:`gui.viewer`, which every module that shows
an image imports before it creates an ``ImageItem``.
"""
