"""The CT and haemodynamic context fields of the residual anatomy panel: empty until entered, units
shown, the value box waiting for its source, out-of-range numbers refused on the spot, one undo step per
change, and no change by a stray wheel."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from planning.document import CaseDocument
from tests.gui.panels.conftest import findings_panel

from .test_findings import choose


@pytest.fixture
def panel(qtbot: Any, document: CaseDocument, undo: Any) -> Any:
    return findings_panel(qtbot, document, undo)


def type_into(qtbot: Any, line: Any, text: str) -> None:
    """Replace a line edit's text from the keyboard and press Enter."""
    line.setFocus()
    line.selectAll()
    QTest.keyClick(line, Qt.Key.Key_Delete)
    qtbot.keyClicks(line, text)
    QTest.keyClick(line, Qt.Key.Key_Return)


def test_every_field_starts_empty_with_its_unit(panel: Any, document: CaseDocument) -> None:
    fields = panel.context_box.fields
    assert len(fields) == 10
    for key, field in fields.items():
        shown = field.value.text() if hasattr(field.value, "text") else field.value.currentText()
        assert (shown, field.source.currentText()) == ("", ""), key
    units = {k: f.unit.text() for k, f in fields.items()}
    assert units["neo_lvot_mm2"] == "mm²" and units["annulus_ap_mm"] == "mm" and units["rvsp_mmhg"] == "mmHg"
    assert units["tr_grade"] == "" and "context" not in document.case.extra


def test_the_value_waits_for_its_source_and_is_stored_in_one_undo_step(qtbot: Any, panel: Any,
                                                                       document: CaseDocument, undo: Any) -> None:
    """No value can sit in a field unstored: the value box takes no keys until its source is chosen."""
    field = panel.context_box.fields["neo_lvot_mm2"]
    assert not field.value.isEnabled() and field.value.placeholderText() == "choose its source first"
    qtbot.mouseClick(field.value, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(field.value, "185")
    QTest.keyClick(field.value, Qt.Key.Key_Return)
    assert field.value.text() == "" and "context" not in document.case.extra and undo.stack.count() == 0
    choose(field.source, "CT")
    assert field.value.isEnabled() and field.value.placeholderText() == "not recorded"
    assert undo.stack.count() == 0  # a source alone stores nothing
    type_into(qtbot, field.value, "185")
    assert document.case.extra["context"] == {"ct": {"neo_lvot_mm2": {"value": 185, "source": "CT"}}}
    assert undo.stack.count() == 1 and not field.hint.isVisible()
    assert document.findings().context.ct.number("neo_lvot_mm2") == 185.0
    undo.stack.undo()
    assert "context" not in document.case.extra
    assert (field.value.text(), field.source.currentText()) == ("", "")
    undo.stack.redo()
    assert field.value.text() == "185" and field.source.currentText() == "CT"


def test_an_out_of_range_number_is_refused_with_the_reason(qtbot: Any, panel: Any, document: CaseDocument,
                                                           undo: Any) -> None:
    field = panel.context_box.fields["rvsp_mmhg"]
    choose(field.source, "TTE")
    type_into(qtbot, field.value, "250")
    assert undo.stack.count() == 0 and "context" not in document.case.extra
    assert field.hint.text() == "250 mmHg is outside 5–150 mmHg: not stored."
    assert field.value.text() == ""  # the stored value (none) is shown again
    type_into(qtbot, field.value, "4x")
    assert "'4x' is not a number in mmHg." in field.hint.text() and undo.stack.count() == 0
    type_into(qtbot, field.value, "48,5")  # a decimal comma is read as a decimal point
    assert document.case.extra["context"]["haemodynamics"]["rvsp_mmhg"] == {"value": 48.5, "source": "TTE"}
    assert undo.stack.count() == 1


def test_each_change_is_one_step_and_clearing_removes_the_entry(qtbot: Any, panel: Any, document: CaseDocument,
                                                                undo: Any) -> None:
    tr = panel.context_box.fields["tr_grade"]
    choose(tr.source, "TTE")
    choose(tr.value, "severe")
    assert document.case.extra["context"]["haemodynamics"]["tr_grade"] == {"value": "severe", "source": "TTE"}
    choose(tr.source, "imported SR")
    assert document.case.extra["context"]["haemodynamics"]["tr_grade"]["source"] == "imported SR"
    choose(tr.value, "")
    assert "tr_grade" not in document.case.extra["context"]["haemodynamics"]
    assert undo.stack.count() == 3
    undo.stack.undo()
    assert document.case.extra["context"]["haemodynamics"]["tr_grade"] == {"value": "severe", "source": "imported SR"}
    assert tr.value.currentText() == "severe"
    # the same value again is no new step
    choose(panel.context_box.fields["la_v_wave_mmhg"].source, "cath")
    type_into(qtbot, panel.context_box.fields["la_v_wave_mmhg"].value, "41")
    count = undo.stack.count()
    type_into(qtbot, panel.context_box.fields["la_v_wave_mmhg"].value, "41")
    assert undo.stack.count() == count


def test_a_wheel_over_the_unfocused_fields_changes_nothing(qtbot: Any, window: Any) -> None:
    from PySide6.QtWidgets import QScrollArea

    from tests.gui.test_no_accidents import _findings_window, wheel

    panel = _findings_window(qtbot, window)
    box = panel.context_box
    panel.findChild(QScrollArea).ensureWidgetVisible(box.fields["tr_grade"])
    doc, stack = window.session.document, window.session.undo.stack
    before = doc.case.to_json()
    window.browser.setFocus()
    qtbot.waitUntil(window.browser.hasFocus)
    for combo in (box.fields["tr_grade"].value, box.fields["tr_grade"].source, box.fields["mac_extent"].source):
        assert combo.focusPolicy() == Qt.FocusPolicy.StrongFocus
        wheel(combo, -1)
        assert combo.currentText() == "" and not combo.hasFocus()
    assert stack.count() == 0 and doc.case.to_json() == before


def test_a_source_chosen_before_its_value_survives_another_edit(qtbot: Any, panel: Any,
                                                                 document: CaseDocument) -> None:
    neo = panel.context_box.fields["neo_lvot_mm2"]
    choose(neo.source, "CT")
    tr = panel.context_box.fields["tr_grade"]
    choose(tr.source, "TTE")
    choose(tr.value, "mild")  # stored: the panel refreshes
    assert neo.source.currentText() == "CT" and neo.value.isEnabled()
    type_into(qtbot, neo.value, "310")
    assert document.case.extra["context"]["ct"] == {"neo_lvot_mm2": {"value": 310, "source": "CT"}}


def test_blanking_the_source_of_a_stored_value_keeps_it(qtbot: Any, panel: Any, document: CaseDocument,
                                                        undo: Any) -> None:
    field = panel.context_box.fields["rvsp_mmhg"]
    choose(field.source, "TTE")
    type_into(qtbot, field.value, "40")
    count = undo.stack.count()
    choose(field.source, "")
    assert field.source.currentText() == "TTE" and field.value.text() == "40" and field.value.isEnabled()
    assert "clear the value to remove it" in field.hint.text() and field.hint.isVisible()
    assert undo.stack.count() == count
    assert document.case.extra["context"]["haemodynamics"]["rvsp_mmhg"] == {"value": 40, "source": "TTE"}


def test_digits_typed_in_the_window_reach_the_field_not_the_shortcuts(qtbot: Any, window: Any) -> None:
    from PySide6.QtWidgets import QScrollArea

    from tests.gui.test_no_accidents import _findings_window

    panel = _findings_window(qtbot, window)
    field = panel.context_box.fields["neo_lvot_mm2"]
    panel.findChild(QScrollArea).ensureWidgetVisible(field)
    choose(field.source, "CT")
    qtbot.mouseClick(field.value, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(field.value.hasFocus)
    qtbot.keyClicks(field.value, "312.5")
    QTest.keyClick(field.value, Qt.Key.Key_Return)
    assert field.value.text() == "312.5"
    assert window.session.document.case.extra["context"] == {"ct": {"neo_lvot_mm2": {"value": 312.5, "source": "CT"}}}
    assert window.session.undo.stack.count() == 1 and window.session.is_dirty()


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a #rrggbb colour."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_a_refusal_hint_is_readable_on_the_dark_window(qtbot: Any, panel: Any) -> None:
    """WCAG AA: normal text needs a 4.5:1 contrast against the window background #1e2126."""
    field = panel.context_box.fields["rvsp_mmhg"]
    choose(field.source, "TTE")
    type_into(qtbot, field.value, "250")
    colour = field.hint.styleSheet().split("color:")[1].strip()
    light, dark = sorted((_luminance(colour), _luminance("#1e2126")), reverse=True)
    assert (light + 0.05) / (dark + 0.05) >= 4.5, colour


def test_source_tooltips_keep_the_acronyms(panel: Any) -> None:
    """The tooltip puts the label in a sentence without lowering LVOT, MAC, RVSP or TR."""
    tips = {k: f.source.toolTip() for k, f in panel.context_box.fields.items()}
    assert tips["neo_lvot_mm2"] == "Where the predicted neo-LVOT area comes from"
    assert tips["mac_extent"] == "Where the MAC extent (circumference) comes from"
    assert tips["rvsp_mmhg"] == "Where the RVSP comes from"
    assert tips["tr_grade"] == "Where the TR grade comes from"
    assert tips["annulus_perimeter_mm"] == "Where the annulus perimeter comes from"
