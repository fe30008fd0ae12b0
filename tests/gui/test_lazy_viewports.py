"""Viewports built when 2×2 first needs them (issue 16, cold start) behave as if built with the window: they
get the drawing tool chosen before, their key-image badge, and clicks that make them active."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from gui.tools.caliper import DistanceTool


def test_viewports_built_for_2x2_get_the_tool_chosen_in_1x1(qtbot: Any, window: Any) -> None:
    assert len(window.grid.built) == 1  # 1×1 builds one viewport
    window.activateWindow()
    QTest.keyClick(window, Qt.Key.Key_D)  # the distance tool, chosen while one viewport exists
    QTest.keyClick(window, Qt.Key.Key_4)  # Layout 2×2
    built = window.grid.built
    assert len(built) == 4 and all(v.isVisible() for v in built)
    assert all(isinstance(v.tool, DistanceTool) for v in built)
    assert all(not window.annotation.overlay(v).interactive for v in built)  # marks not draggable while drawing
    assert set(window.key_images.badges) == {id(v) for v in built}
    window.actions_by_name["tool_select"].trigger()  # back to select / edit: the new viewports follow too
    assert all(v.tool is None and window.annotation.overlay(v).interactive for v in built)


def test_a_click_makes_a_later_built_viewport_active(qtbot: Any, window: Any) -> None:
    window.activateWindow()
    assert window.grid.active is window.grid.built[0]
    QTest.keyClick(window, Qt.Key.Key_4)
    last = window.grid.built[3]
    qtbot.waitUntil(last.isVisible)
    surface = last.graphics.viewport()  # where the viewport takes its clicks
    QTest.mouseClick(surface, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, surface.rect().center())
    qtbot.waitUntil(lambda: window.grid.active is last, timeout=3000)
