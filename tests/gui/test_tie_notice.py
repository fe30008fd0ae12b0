"""Opening a case whose clips are tied to a 3D volume that is not among its images: the window says so
(a notice naming the case file and the field) instead of drawing them at their schematic place silently;
the demo case, whose volume is among its images, opens without that notice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("demo.phantom", reason="needs the imaging core")

from tests.gui.conftest import wait_loaded

WARNING = "which is not among the case's images"


def _open(qtbot: Any, window: Any, case_path: Path) -> list[str]:
    window.open_paths([case_path])
    wait_loaded(qtbot, window)
    assert window.case is not None
    return [m for m in window.notice_area.messages() if WARNING in m]


def test_a_tie_to_a_volume_missing_from_the_images_is_a_notice(qtbot: Any, window: Any, demo_study: Any,
                                                               tmp_path: Path) -> None:
    from demo.case import write_demo_case

    case_path = write_demo_case(demo_study, tmp_path)
    doc = json.loads(case_path.read_text(encoding="utf-8"))
    tied = [i for i, d in enumerate(doc["devices"]) if "position_mm" in d]
    assert tied  # the demo's clips are tied to its volume
    volume = doc["devices"][tied[0]]["sop_instance_uid"]
    doc["images"] = [e for e in doc["images"] if e["sop_instance_uid"] != volume]
    case_path.write_text(json.dumps(doc), encoding="utf-8")
    shown = _open(qtbot, window, case_path)
    first = doc["devices"][tied[0]]["id"]
    assert len(shown) == len(tied)
    assert shown[0].startswith(f"{case_path.resolve()}: devices[{tied[0]}] (device {first!r}).sop_instance_uid: "
                               f"tied to volume {volume}")


def test_the_demo_case_opens_without_a_tie_notice(qtbot: Any, window: Any, demo_study: Any, tmp_path: Path) -> None:
    from demo.case import write_demo_case

    assert _open(qtbot, window, write_demo_case(demo_study, tmp_path)) == []
