"""Starting the window imports no PACS code (issue 16): ``pacs``, pynetdicom and dicomweb-client load only when
File → PACS… is first used. Nor does it import what the first frame does not need (PyAV, highdicom, jsonschema,
the 3D volume viewer), build the three viewports 1×1 does not show, or build the residual anatomy panel behind
its tab. Checked in a fresh interpreter, as ``mitraplan open LOOP`` starts, because this test process has
imported everything already."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACS_PACKAGES = ("pacs", "pynetdicom", "dicomweb_client")
#: Modules the first frame does not need: cine export (PyAV), the SR writer, the case-file schema, the volume viewer.
HEAVY_MODULES = ("av", "highdicom", "jsonschema", "gui.volume.viewer")

#: Runs `mitraplan open LOOP`; once the loop's first frame is on screen, notes the PACS modules imported, presses
#: Ctrl+Shift+P on the window (a real key event), notes them again with the dialog's state, and quits.
SCRIPT = """
import json, sys
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from gui.app import create_app
from gui.main import main

PACKAGES, HEAVY = %r, %r
def pacs_modules():
    return sorted(m for m in sys.modules if m.split(".")[0] in PACKAGES)
def heavy_modules():
    return sorted(m for m in HEAVY if m in sys.modules)

app = create_app()
seen = {}
def poll():
    window = next((w for w in QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow"), None)
    if window is None or window.grid.active.displayed_index is None:
        QTimer.singleShot(20, poll)
        return
    seen["at_first_frame"] = pacs_modules()
    seen["heavy_at_first_frame"] = heavy_modules()
    seen["viewports_at_first_frame"] = len(window.grid.built)
    seen["findings_built"] = window.case_docks._findings is not None
    window.activateWindow()
    QTest.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = window.pacs.dialog
    seen["dialog_visible"] = dialog is not None and dialog.isVisible()
    seen["after_pacs_key"] = pacs_modules()
    dialog.close()
    QTest.keyClick(window, Qt.Key.Key_4)  # Layout 2×2
    seen["viewports_shown_2x2"] = [v.isVisible() for v in window.grid.built]
    QTest.keyClick(window, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    findings = window.case_docks._findings
    seen["findings_after_key"] = findings is not None and findings.isVisible()
    print("RESULT " + json.dumps(seen), flush=True)
    app.exit(0)
QTimer.singleShot(0, poll)
sys.exit(main(["open", sys.argv[1]]))
"""


@pytest.mark.slow
def test_the_window_starts_without_pacs_code_or_what_the_first_frame_does_not_need(tmp_path: Path) -> None:
    from demo.phantom import write_cine_loop

    loop = write_cine_loop(tmp_path / "loop.dcm", n_frames=10)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MITRAPLAN_"))}
    env.update(HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", SCRIPT % (PACS_PACKAGES, HEAVY_MODULES), str(loop)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert done.returncode == 0 and line is not None, done.stderr[-2000:]
    seen = json.loads(line.removeprefix("RESULT "))
    assert seen["at_first_frame"] == [], seen["at_first_frame"]  # the loop is on screen, no PACS code loaded
    assert seen["dialog_visible"]
    loaded = {name.split(".")[0] for name in seen["after_pacs_key"]}
    assert {"pacs", "pynetdicom"} <= loaded  # the dialog brought them in: the check above can fail
    assert seen["heavy_at_first_frame"] == [], seen["heavy_at_first_frame"]
    assert seen["viewports_at_first_frame"] == 1 and not seen["findings_built"]
    assert seen["viewports_shown_2x2"] == [True] * 4  # built when 2×2 needs them
    assert seen["findings_after_key"]  # Ctrl+Shift+A builds, shows and raises the residual anatomy panel
