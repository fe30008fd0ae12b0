"""Cold start: a fresh process to the first painted frame of a loop, against a bare Qt window in the same run.

- ``startup.bare_qt_s``: a new Python process that imports PySide6, opens one window and paints one
  800x600 image (QPainter.drawImage): the floor any Qt program pays.
- ``startup.app_s``: ``mitraplan open LOOP`` (gui.main.main, as the console script runs it) in a new
  process until the viewer's image item (a pyqtgraph ``ImageItem`` or a subclass with its own ``paint``)
  has painted the loop's first frame.
- ``startup.ratio``: median of the paired app / bare ratios (target <= 3).
- ``startup.libraries_s`` / ``startup.libraries_ratio``: the bare window after importing the libraries the
  first frame needs (pyqtgraph with numpy, pydicom with its decoder plugins): the part of the app's start
  that is not MitraPlan's own code or window, against the same bare window.
- ``startup.bundle_screenshot_s`` / ``startup.venv_screenshot_s``: when the application bundle is built
  (dist/mitraplan), ``mitraplan open LOOP --screenshot PNG`` from it and from the venv (it exits once the
  loop is shown, settled and saved; the bundle cannot run the instrumented script), and their ratio.
- ``startup.pacs_imported``: whether the start imported PACS code (``pacs``, pynetdicom,
  dicomweb-client): it must not until File → PACS… is used.

Each round runs the bare window and then the app, so a pair sees the same machine load; both get a
throw-away HOME (no settings, recent studies or log of the user). "Cold" means a new interpreter with
every import done again; the operating system's file cache is warm after the first round. Modules are
loaded from bytecode, as an installed wheel or the bundle loads them: the runs write and read it in a
throw-away ``PYTHONPYCACHEPREFIX`` (never in the checkout), filled by one uncounted warm-up run, also
when the calling shell sets ``PYTHONDONTWRITEBYTECODE`` (without it every start compiled MitraPlan's
own ~160 modules from source, ≈0.3 s no installation pays).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = 7
ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "dist" / "mitraplan" / "mitraplan"

#: A window painting one image, and nothing else: prints the wall time of its first paint.
BARE_QT = """
import os, sys, time
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication(sys.argv[:1])
image = QImage(800, 600, QImage.Format.Format_RGB32)
image.fill(0x404040)
class Window(QWidget):
    def paintEvent(self, _event):
        QPainter(self).drawImage(0, 0, image)
        print(f"painted {time.time():.6f} pacs=False", flush=True)
        os._exit(0)
window = Window()
window.resize(800, 600)
window.show()
app.exec()
"""

#: The bare window, after the libraries the app cannot start without.
LIBRARIES = "import pyqtgraph, pydicom\n" + BARE_QT

#: ``mitraplan open LOOP``, stopped when the viewer's image item has painted a frame.
APP = """
import os, sys, time
import pyqtgraph
def reporting(paint):
    def painted(self, *args):
        paint(self, *args)
        if self.image is not None:
            pacs = any(m.split(".")[0] in ("pacs", "pynetdicom", "dicomweb_client") for m in sys.modules)
            print(f"painted {time.time():.6f} pacs={pacs}", flush=True)
            os._exit(0)
    return painted
def report_subclass_paints(cls, **kwargs):  # the viewer's FrameItem paints by itself
    if "paint" in cls.__dict__:
        cls.paint = reporting(cls.__dict__["paint"])
pyqtgraph.ImageItem.paint = reporting(pyqtgraph.ImageItem.paint)
pyqtgraph.ImageItem.__init_subclass__ = classmethod(report_subclass_paints)
from gui.main import main
main(["open", sys.argv[1]])
"""


def _first_paint(command: list[str], env: dict[str, str]) -> tuple[float, bool]:
    """Seconds from starting ``command`` to its "painted" line, and whether PACS code was imported by then."""
    start = time.time()
    done = subprocess.run(command, env=env, cwd=env["HOME"], capture_output=True, text=True, timeout=120)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("painted ")), None)
    if line is None:
        raise RuntimeError(f"{command[0]} never painted (exit {done.returncode}): {done.stderr.strip()[-400:]}")
    _, stamp, pacs = line.split()
    return float(stamp) - start, pacs == "pacs=True"


def _environment(home: Path, pycache: Path) -> dict[str, str]:
    """The user's environment without their settings folders, on a fresh HOME, with a bytecode cache."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "MITRAPLAN_")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(HOME=str(home), QT_QPA_PLATFORM=env.get("QT_QPA_PLATFORM", "offscreen"), PYTHONPATH=str(ROOT),
               PYTHONPYCACHEPREFIX=str(pycache))
    return env


def run() -> None:
    from demo.phantom import write_cine_loop

    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        loop = write_cine_loop(Path(tmp) / "loop.dcm")
        env = _environment(home, Path(tmp) / "pycache")
        for warm_up in (LIBRARIES, APP):  # writes the bytecode the counted rounds load
            _first_paint([sys.executable, "-c", warm_up, str(loop)], env)
        bare, libraries, app, ratios, library_ratios, pacs = [], [], [], [], [], False
        for _ in range(ROUNDS):
            bare.append(_first_paint([sys.executable, "-c", BARE_QT], env)[0])
            libraries.append(_first_paint([sys.executable, "-c", LIBRARIES], env)[0])
            seconds, imported = _first_paint([sys.executable, "-c", APP, str(loop)], env)
            app.append(seconds)
            pacs = pacs or imported
            ratios.append(app[-1] / bare[-1])
            library_ratios.append(libraries[-1] / bare[-1])
        print(f"startup.bare_qt_s: {statistics.median(bare):.2f} (median of {ROUNDS})", flush=True)
        print(f"startup.libraries_s: {statistics.median(libraries):.2f}", flush=True)
        print(f"startup.libraries_ratio: {statistics.median(library_ratios):.2f}", flush=True)
        print(f"startup.app_s: {statistics.median(app):.2f} (first frame of an 800x600 loop painted)", flush=True)
        print(f"startup.ratio: {statistics.median(ratios):.2f} (target <= 3)", flush=True)
        print(f"startup.pacs_imported: {pacs}", flush=True)
        if BUNDLE.is_file():
            shot = ["open", str(loop), "--screenshot", str(home / "shot.png")]
            frozen = [_seconds([str(BUNDLE), *shot], env) for _ in range(3)]
            venv = [_seconds([sys.executable, "-c", "from gui.main import main; main()", *shot], env) for _ in range(3)]
            print(f"startup.bundle_screenshot_s: {statistics.median(frozen):.2f}", flush=True)
            print(f"startup.venv_screenshot_s: {statistics.median(venv):.2f}", flush=True)
            print(f"startup.bundle_vs_venv: {statistics.median(frozen) / statistics.median(venv):.2f}", flush=True)


def _seconds(command: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one run of ``command`` to its exit."""
    start = time.time()
    subprocess.run(command, env=env, cwd=env["HOME"], capture_output=True, check=True, timeout=120)
    return time.time() - start

if __name__ == "__main__":
    run()
