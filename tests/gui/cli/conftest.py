"""The imaging fixtures (demo study, real samples, small loops) for the command-line tests."""

from tests.imaging.conftest import bar_loop, demo_study  # noqa: F401
