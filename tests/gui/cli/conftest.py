"""The imaging fixtures (demo study, real samples, small loops) for the command-line tests."""

from tests.conftest import demo_study  # noqa: F401
from tests.imaging.conftest import bar_loop  # noqa: F401
