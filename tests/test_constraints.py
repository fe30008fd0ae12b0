"""constraints.txt (CONTRIBUTING.md, "Installing"): every requirement of pyproject.toml is pinned to one
version that satisfies its range, the decoders included, and PySide6 stays at 6.11.3."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[canonicalize_name(name)] = version
    return pins


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = [req for extra in project["optional-dependencies"].values() for req in extra]  # test, bundle
    return [Requirement(r) for r in [*project["dependencies"], *extras]]


def test_every_requirement_is_pinned_within_its_range() -> None:
    pins = _pins()
    for requirement in _requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is in pyproject.toml but not pinned in constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, outside pyproject.toml's {requirement}")


def test_decoders_and_qt_are_pinned() -> None:
    pins = _pins()
    assert pins["pyside6-essentials"] == "6.11.3" and pins["shiboken6"] == "6.11.3"
    for decoder in ("pillow", "python-gdcm", "simplejpeg", "pydicom"):
        assert decoder in pins
