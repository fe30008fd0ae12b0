"""The GUI fixtures of tests/gui, for the hostile-folder GUI test."""

from tests.gui.conftest import fake_clock, settings, window  # noqa: F401 - re-exported pytest fixtures
