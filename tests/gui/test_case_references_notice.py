"""Opening a case whose jet names a device the case does not hold (issue 17): the window says so once,
naming the case file and the item, and still opens the case."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("demo.phantom", reason="needs the imaging core")

from tests.gui.conftest import wait_loaded


def test_a_dangling_jet_reference_is_a_notice_naming_file_and_item(qtbot: Any, window: Any, demo_study: Any,
                                                                  tmp_path: Path) -> None:
    from demo.case import write_demo_case

    case_path = write_demo_case(demo_study, tmp_path)
    doc = json.loads(case_path.read_text(encoding="utf-8"))
    doc["jets"][0]["devices"] = ["d9"]  # the demo case has no device d9
    case_path.write_text(json.dumps(doc), encoding="utf-8")
    window.open_paths([case_path])
    wait_loaded(qtbot, window)
    assert window.case is not None
    expected = f"{case_path.resolve()}: jets[0] (jet {doc['jets'][0]['id']!r}).devices[0]: 'd9' is not the id of a device"
    shown = [m for m in window.notice_area.messages() if "'d9'" in m]
    assert len(shown) == 1 and shown[0].startswith(expected)
