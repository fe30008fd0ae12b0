"""Render docs/screenshots/compare-with-prior.png and presentation-*.png on the synthetic demo study.

The current case is the demo case with two key images; its prior imitates the final intraprocedural
result of the index TEER (the same loops, a narrower vena contracta, one device fewer, total MR
moderate), as in tests/gui/cli/test_cli_compare.py.

Usage: QT_QPA_PLATFORM=offscreen .venv/bin/python tools/present-docs.py [OUT_DIR]
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _wait(until: Callable[[], bool], seconds: float = 30.0) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + seconds
    while not until():
        if time.monotonic() > end:
            raise TimeoutError("the window did not finish loading")
        QApplication.processEvents()
        time.sleep(0.01)


def _settle(seconds: float) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def _cases(folder: Path) -> Path:
    from demo.case import build_demo_case
    from demo.phantom import write_demo_study
    from imaging.loop import read_info
    from planning.case import save_case

    demo = write_demo_study(folder / "study")
    current_path, prior_path = folder / "now.mitraplan.json", folder / "index.mitraplan.json"
    colour, commissural = (read_info(demo.files[k]).sop_instance_uid for k in ("color_flow", "me_commissural"))
    current = build_demo_case(demo, current_path)
    current.extra["residual_mr"] = {"total_grade": "moderate-to-severe"}
    current.extra["priors"] = [{"case": prior_path.name, "role": "index-procedure-final", "date": "2025-10-01"}]
    current.extra["key_images"] = [
        {"sop_instance_uid": colour, "frame_number": 10, "label": "Lateral para-clip jet, ME commissural colour"},
        {"sop_instance_uid": commissural, "frame_number": 20, "label": "Two clips at A2-P2, ME commissural"}]
    save_case(current, current_path)
    prior = build_demo_case(demo, prior_path)
    prior.extra["residual_mr"] = {"total_grade": "moderate"}
    prior.devices = prior.devices[:1]
    vc = next(m for m in prior.marks if m.id == "m_vc")
    (x0, y), (x1, _) = vc.points
    middle, quarter = (x0 + x1) / 2, (x1 - x0) / 4
    prior.marks = [dataclasses.replace(m, points=((middle - quarter, y), (middle + quarter, y))) if m is vc else m
                   for m in prior.marks]
    save_case(prior, prior_path)
    return current_path


def main(out: Path) -> None:
    from gui.app import create_app
    from gui.main_window import MainWindow

    create_app()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        current = _cases(Path(folder))
        window = MainWindow()
        window.resize(1440, 900)
        window.show()
        window.open_paths([current])
        _wait(lambda: not window.tasks.running and bool(window.grid.loaded()))
        colour = next(i for i in window.browser.loop_infos() if i.path.name.startswith("color"))
        window.open_loop(colour)
        _wait(lambda: not window.tasks.running and window.grid.active.info == colour)
        comparison = window.present.open_comparison()
        assert comparison is not None
        comparison.resize(1600, 1000)
        _wait(lambda: not comparison.tasks.running and comparison.prior_view.displayed_index is not None)
        comparison.current_view.show_frame(12)  # systole: the jet is shown
        _settle(0.5)
        comparison.grab().save(str(out / "compare-with-prior.png"))
        comparison.close()

        window.present.full_screen = False
        show = window.present.open_presentation()
        assert show is not None
        show.resize(1920, 1080)
        _wait(lambda: not show.tasks.running and show.prior is not None)
        _settle(0.6)
        for slide in show.loop_slides:
            slide.show_marked_frame()  # paused on the frame its marks are on (M), the prior at the same phase
        _settle(0.5)
        show.grab().save(str(out / "presentation-loops.png"))
        for name, widget in (("summary", show.summary_slide), ("clipmap", show.clip_slide)):
            show.go(show.slides.index(widget))
            _settle(0.3)
            show.grab().save(str(out / f"presentation-{name}.png"))
        show.close()
        window.session.close()
        window.close()
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
