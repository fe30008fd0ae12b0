"""The cart-style TID 5200 fixtures (tests/report/vendor_sr.py) are valid DICOM and have the
features they claim: every value twice, inherited site and mode, cm/s, legacy SRT codes."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import pydicom
import pytest

from measurements.concepts import UCUM

from .conftest import make_study
from .test_outputs import dciodvfy_errors, require
from .test_sr_tid5200 import SELECTION, echo_nums
from .vendor_sr import EXPECTED, ge_style_sr

APP_UNIT = {c.value: unit for unit, c in UCUM.items()}  # UCUM code → app unit
SRT_SITE, SRT_MODE = ("G-C0E3", "SRT"), ("G-0373", "SRT")


@pytest.fixture
def ge_path(tmp_path: Path) -> Path:
    study = make_study(tmp_path / "study")
    path = tmp_path / "ge.dcm"
    ge_style_sr(study["datasets"][0]).save_as(path)
    return path


def test_ge_style_sr_is_valid_dicom(ge_path: Path) -> None:
    assert dciodvfy_errors(ge_path) == []
    out = subprocess.run([require("dsrdump"), "+Pt", str(ge_path)], capture_output=True, text=True)
    assert out.returncode == 0 and "error" not in out.stderr.lower(), out.stderr
    assert "# TID 5200 (DCMR)" in out.stdout


def test_ge_style_values_are_written_twice_with_inherited_site_and_mode(ge_path: Path) -> None:
    nums = echo_nums(pydicom.dcmread(ge_path))
    # site and mode come only from the section and group (legacy SRT concept names)
    assert all(n.mods[SRT_SITE] == ("T-35300", "SRT") and SRT_MODE in n.mods for n in nums)
    chosen = [n for n in nums if SELECTION in n.props]
    assert len(chosen) == len(EXPECTED)
    # each chosen value is also written without Selection Status (a single value exactly so)
    plain = Counter((n.name, n.value) for n in nums if SELECTION not in n.props)
    velocity = [n for n in nums if n.name == ("20355-4", "LN")]
    assert [n.value for n in velocity] == [100.0, 120.0, 80.0, 100.0] and velocity[0].unit == ("cm/s", "UCUM")
    (eroa,) = [n for n in chosen if n.name == ("G-038E", "SRT")]
    assert plain[(eroa.name, eroa.value)] == 1 and eroa.props[SELECTION] == ("121411", "DCM")
    # what an importer keeps: the chosen values, velocity converted cm/s → m/s by hand (100 cm/s = 1.0 m/s)
    for n in chosen:
        key = (n.name[0], n.mods[("260674002", "SCT")][0])
        value, unit = EXPECTED[key]
        cm_s = n.unit[0] == "cm/s"
        assert (n.value / 100.0 if cm_s else n.value) == pytest.approx(value, abs=1e-4), key
        assert ("m/s" if cm_s else APP_UNIT[n.unit[0]]) == unit
