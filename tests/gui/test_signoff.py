"""Report → Sign Off… with real keyboard and mouse events: the names come from the user's settings, the
signed case refuses a caliper drawn by mouse (a notice says why), and Amend makes it editable again.

Over the demo study (synthetic TEE with known truth) and its demo case, as a reader would sign a
follow-up TEE after TEER.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from demo.case import write_demo_case
from gui.session import Unsaved
from gui.settings import CONFIG_DIR_ENV, UserSettings, load_settings, save_settings, settings_path
from tests.gui.test_annotate import _long_axis, drag


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv(CONFIG_DIR_ENV, str(folder))
    return folder


def test_settings_are_private_to_the_user_and_survive_a_bad_file(config_dir: Path) -> None:
    assert load_settings() == UserSettings()
    path = save_settings(UserSettings(reader="Dr Müller", operator="Dr Ortiz"))
    assert path == settings_path() and path.parent == config_dir
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_settings() == UserSettings("Dr Müller", "Dr Ortiz")
    path.write_text("{not json", encoding="utf-8")
    assert load_settings() == UserSettings()


@pytest.fixture
def signing(qtbot: Any, demo_window: Any, demo_study: Any, tmp_path: Path, config_dir: Path) -> Any:
    import pyqtgraph as pg

    limit = pg.getConfigOption("mouseRateLimit")
    pg.setConfigOption("mouseRateLimit", 0)  # synthetic moves come faster than a hand's
    win = demo_window
    win.resize(1700, 1000)
    win.session.ask_unsaved = lambda name: Unsaved.DISCARD
    save_settings(UserSettings(reader="Dr Remembered", operator="Dr Operator"))
    case_path = write_demo_case(demo_study, tmp_path)
    win.open_case(case_path)
    assert win.session.document is not None and win.session.document.path == case_path.resolve()
    yield win, case_path
    pg.setConfigOption("mouseRateLimit", limit)


def _sign_by_keyboard_and_mouse(qtbot: Any, win: Any, name: str) -> None:
    dialog = win.signoff.start_sign_off()
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.reader.text() == "Dr Remembered" and dialog.operator.text() == "Dr Operator"
    dialog.reader.setFocus()
    dialog.reader.selectAll()
    QTest.keyClick(dialog.reader, Qt.Key.Key_Backspace)
    assert not dialog.confirm.isEnabled()  # no signer, no sign-off
    QTest.keyClicks(dialog.reader, name)
    QTest.keyClicks(dialog.impression, "Moderate-to-severe residual MR, lateral para-clip jet.")
    QTest.keyClicks(dialog.recommendation, "Heart team: redo TEER.")
    QTest.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.session.document.signoff is not None)
    win.activateWindow()  # the window manager's part: the window is active again once the dialog closed
    qtbot.waitUntil(win.isActiveWindow)


def test_signed_case_refuses_a_mouse_caliper_and_amend_reopens_it(qtbot: Any, signing: Any,
                                                                  demo_study: Any) -> None:
    win, case_path = signing
    doc = win.session.document
    assert win.signoff.sign.isEnabled() and not win.signoff.amend.isEnabled()
    _sign_by_keyboard_and_mouse(qtbot, win, "Dr Dana Reader")

    on_disk = json.loads(case_path.read_text(encoding="utf-8"))
    assert on_disk["signoff"]["by"] == "Dr Dana Reader"
    assert on_disk["report"] == {"reader": "Dr Dana Reader", "operator": "Dr Operator",
                                 "impression": "Moderate-to-severe residual MR, lateral para-clip jet.",
                                 "recommendation": "Heart team: redo TEER."}
    assert load_settings().reader == "Dr Dana Reader"  # remembered for next time
    assert not win.session.is_dirty() and not win.signoff.sign.isEnabled() and win.signoff.amend.isEnabled()

    marks_before = doc.marks
    viewport = _long_axis(qtbot, win, demo_study)
    QTest.keyClick(win, Qt.Key.Key_D)
    drag(viewport, (200.5, 300.5), (260.5, 380.5))
    assert doc.marks == marks_before
    assert win.annotation.tool_name == "distance"
    assert win.notices.history[-1][0] == "warning"
    assert "signed off by Dr Dana Reader" in win.notices.history[-1][1] and "read-only" in win.notices.history[-1][1]
    assert json.loads(case_path.read_text(encoding="utf-8")) == on_disk  # the signed file is untouched

    win.signoff.ask_amend = lambda: True
    win.actions_by_name["amend"].trigger()
    amended = json.loads(case_path.read_text(encoding="utf-8"))
    assert "signoff" not in amended
    assert amended["amends"]["case_checksum"] == on_disk["signoff"]["case_checksum"]
    assert amended["amends"]["signed_by"] == "Dr Dana Reader"
    QTest.keyClick(win, Qt.Key.Key_D)
    drag(viewport, (200.5, 300.5), (260.5, 380.5))
    assert len(doc.marks) == len(marks_before) + 1  # editable again


def test_a_signed_case_edited_outside_the_app_is_flagged_on_open(qtbot: Any, window: Any, demo_study: Any,
                                                                 tmp_path: Path, config_dir: Path) -> None:
    from planning.case import load_case
    from planning.document import CaseDocument

    case_path = write_demo_case(demo_study, tmp_path)
    CaseDocument(load_case(case_path)).sign_off("Dr Dana Reader", at="2026-12-03T15:30:00+00:00")
    window.open_case(case_path)
    assert not any("content has changed" in m for _, m in window.notices.history)  # intact
    window.session.ask_unsaved = lambda name: Unsaved.DISCARD
    doc = json.loads(case_path.read_text(encoding="utf-8"))
    doc["jets"][0]["grade"] = "mild"  # edited in a text editor after signing
    case_path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    window.open_case(case_path)
    level, message = window.notices.history[-1]
    assert level == "warning" and "content has changed since" in message and "Dr Dana Reader" in message
