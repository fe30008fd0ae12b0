"""One panel's live link to the open case document."""

from __future__ import annotations

from collections.abc import Callable

from planning.document import CaseDocument, Change


class DocumentSubscription:
    """At most one subscription to a CaseDocument: binding another document (or None) drops the old one."""

    def __init__(self, on_change: Callable[[Change], None]) -> None:
        self._on_change = on_change
        self._cancel: Callable[[], None] | None = None

    def bind(self, doc: CaseDocument | None) -> None:
        """Listen to ``doc`` from now on (None: to nothing)."""
        if self._cancel is not None:
            self._cancel()
            self._cancel = None
        if doc is not None:
            self._cancel = doc.subscribe(self._on_change)
