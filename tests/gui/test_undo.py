"""The QUndoStack adapter: push applies, undo/redo revert and re-apply, clean state, refused edits."""

from __future__ import annotations

from measurements.marks import Mark, MarkType
from planning import commands as c
from planning.case import Case
from planning.document import CaseDocument


def _mark(mid: str, x: float = 10.5) -> Mark:
    return Mark(mid, MarkType.POINT, "Clip 1 tip", "1.2.3", 1, 0, ((x, 20.5),))


def test_push_undo_redo_clean_and_refusal(qtbot) -> None:
    from gui.undo import CaseUndo

    doc = CaseDocument(Case(), measure=lambda case: ([], []))
    undo = CaseUndo(doc)
    undo.set_clean()
    assert undo.push(c.AddMark(_mark("m1")))
    assert not undo.is_clean() and undo.stack.undoText() == "Add point 'Clip 1 tip'"
    assert undo.push(c.ReplaceMark(_mark("m1"), _mark("m1", 30.5)))
    undo.stack.undo()
    assert doc.mark("m1") == _mark("m1")
    undo.stack.undo()
    assert doc.marks == () and undo.is_clean()
    undo.stack.redo()
    undo.stack.redo()
    assert doc.mark("m1") == _mark("m1", 30.5)
    with qtbot.waitSignal(undo.refused) as blocker:
        assert not undo.push(c.AddMark(_mark("m1")))
    assert "already exists" in blocker.args[0]
    assert undo.stack.count() == 2 and undo.stack.undoText() == "Move point 'Clip 1 tip'"
