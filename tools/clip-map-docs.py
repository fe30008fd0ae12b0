"""Render docs/clip-map.png: the clip map panel over the demo case (two clips on A2-P2, tied to their
points on the demo volume's en-face view and drawn where it puts them, and a lateral para-clip jet with
its vena contracta), in the dark theme, the jet selected.

Usage: QT_QPA_PLATFORM=offscreen .venv/bin/python tools/clip-map-docs.py [OUT.png]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(out: Path) -> None:
    from demo.case import build_demo_case
    from demo.phantom import write_demo_study
    from gui.app import create_app
    from gui.panels.valve_map import ValveMapPanel
    from gui.undo import CaseUndo
    from planning.document import CaseDocument

    create_app()
    with tempfile.TemporaryDirectory() as folder:
        demo = write_demo_study(Path(folder))
        doc = CaseDocument(build_demo_case(demo, Path(folder) / "demo.mitraplan.json"))
        panel = ValveMapPanel()
        panel.set_document(doc, CaseUndo(doc).push)
        panel.resize(620, 700)
        panel.show()
        panel.select("j1")
        panel.view.setFocus()
        panel.grab().save(str(out), "PNG")  # full colour: a palette loses the small orange jet
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "clip-map.png")
