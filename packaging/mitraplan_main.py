"""The application bundle's entry point: both executables of ``make bundle`` run ``gui.main.main``.

``mitraplan`` (console) takes every sub-command; ``mitraplan-gui`` (windowed, no console: on Windows a
windowed executable has no stdout) opens the review window, with any files it is given.
"""

from __future__ import annotations

import sys

from gui.main import main

if __name__ == "__main__":
    sys.exit(main())
