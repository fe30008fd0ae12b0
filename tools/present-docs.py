"""Render docs/screenshots/compare-with-prior.png and presentation-*.png on the synthetic demo study.

The current case is the demo case, its prior the synthetic prior study of the same patient (the index
TEER's final intraprocedural result, 2025-06-10: one clip, the vena contracta 0.25 cm against 0.50 cm,
total MR mild against moderate, 60 bpm against 72), as ``mitraplan demo --with-prior`` writes them; both
flag two key images with the same labels, so the loops pair by view.

Usage: QT_QPA_PLATFORM=offscreen .venv/bin/python tools/present-docs.py [OUT_DIR]
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


#: key images flagged on both cases with the same labels, so each current loop pairs with the prior's loop
#: of the same view (gui/present/prior_study.py ``paired_loop``); each on the frame its marks are on
KEY_IMAGES = (("color_flow", "Residual lateral para-clip jet, ME commissural colour"),
              ("me_commissural", "Clips at A2-P2, ME commissural view"))


def _flag_key_images(case: Any, study: Any) -> None:
    from imaging.loop import read_info

    case.extra["key_images"] = [
        {"sop_instance_uid": read_info(study.files[key]).sop_instance_uid, "label": label,
         "frame_number": _middle(study.truth[key]["systolic_frames"])} for key, label in KEY_IMAGES]


def _middle(frames: list[int]) -> int:
    """1-based frame number of the middle of a list of 0-based frame indices (as demo/case.py marks)."""
    return frames[len(frames) // 2] + 1


def _cases(folder: Path) -> Path:
    """The demo case and its synthetic prior (``demo.phantom.write_prior_study``), both with key images."""
    from demo.case import PRIOR_DATE, PRIOR_ROLE, build_demo_case, build_prior_case
    from demo.phantom import write_demo_study, write_prior_study
    from planning.case import save_case

    demo, prior_study = write_demo_study(folder / "study"), write_prior_study(folder / "prior-study")
    current_path, prior_path = folder / "demo.mitraplan.json", folder / "prior.mitraplan.json"
    prior = build_prior_case(prior_study, prior_path)
    _flag_key_images(prior, prior_study)
    save_case(prior, prior_path)
    current = build_demo_case(demo, current_path)
    current.extra["priors"] = [{"case": prior_path.name, "role": PRIOR_ROLE, "date": PRIOR_DATE}]
    _flag_key_images(current, demo)
    save_case(current, current_path)
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
        # frame 7 (350 ms, 72 bpm: 250 ms into the beat, systole): the prior at 100 + 0.3 × 1000 ms (its frame 8)
        comparison.current_view.show_frame(7)
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
