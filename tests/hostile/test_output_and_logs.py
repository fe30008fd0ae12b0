"""No NaN in JSON, no traceback on the terminal, no name that reorders the text around it.

Imitates the audit: ``info`` printing ``NaN``/``Infinity`` for a region with a NaN delta, pydicom
logging a traceback on stderr whenever a frame fails to decode, and a patient name holding U+202E
RIGHT-TO-LEFT OVERRIDE that displays "evil" as "live".
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from gui.cli.output import dumps_strict, sanitise
from gui.main import main
from imaging.text import FIRST_STRONG_ISOLATE as FSI
from imaging.text import POP_DIRECTIONAL_ISOLATE as PDI
from imaging.text import display_name, isolate
from tests.imaging.conftest import bar_frames, jpeg_loop, save

ROOT = Path(__file__).resolve().parents[2]


def _refuse(name: str) -> object:
    raise ValueError(f"non-strict JSON constant {name}")


def test_non_finite_numbers_become_null_and_are_named() -> None:
    replaced: list[str] = []
    value = {"a": [1.0, math.nan], "b": {"c": math.inf}, "d": -math.inf, "e": "NaN", "f": 2}
    assert sanitise(value, "$", replaced) == {"a": [1.0, None], "b": {"c": None}, "d": None, "e": "NaN", "f": 2}
    assert replaced == ["$.a[1] (nan)", "$.b.c (inf)", "$.d (-inf)"]
    text, named = dumps_strict(value)
    assert named == replaced
    assert json.loads(text, parse_constant=_refuse)["a"] == [1.0, None]


def test_info_on_a_nan_calibration_prints_strict_json_and_a_warning(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from pydicom.dataset import Dataset

    ds = jpeg_loop(bar_frames(2))
    item = Dataset()
    item.RegionSpatialFormat, item.RegionDataType, item.RegionFlags = 1, 1, 0
    item.RegionLocationMinX0, item.RegionLocationMinY0, item.RegionLocationMaxX1, item.RegionLocationMaxY1 = 0, 0, 63, 47
    item.PhysicalUnitsXDirection = item.PhysicalUnitsYDirection = 3
    item.PhysicalDeltaX, item.PhysicalDeltaY = math.nan, 0.03
    ds.SequenceOfUltrasoundRegions = [item]
    path = save(ds, tmp_path / "nan.dcm")
    assert main(["info", str(path)]) == 0
    captured = capsys.readouterr()
    region = json.loads(captured.out, parse_constant=_refuse)["loops"][0]["regions"][0]
    assert region["delta"] == [None, 0.03]
    assert region["usable"] is False and region["problem"] == "PhysicalDeltaX is nan: not a finite number"
    assert "$.loops[0].regions[0].delta[0] (nan) is not a finite number; written as null" in captured.err


def _run_logging(verbose: bool, log_dir: Path) -> subprocess.CompletedProcess[str]:
    """A process that sets up MitraPlan's logging, then has pydicom log a decode failure with its traceback."""
    code = (
        "import logging\n"
        "from gui.logs import setup_logging\n"
        f"setup_logging(verbose={verbose})\n"
        "try:\n"
        "    raise ValueError('frame 3 is damaged')\n"
        "except ValueError:\n"
        "    logging.getLogger('pydicom').error('decoding failed', exc_info=True)\n"
        "    logging.getLogger('imaging.catalog').warning('indexing went wrong', exc_info=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MITRAPLAN_LOG_DIR": str(log_dir)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60,
                          check=True)


def test_third_party_tracebacks_go_to_the_log_file_only(tmp_path: Path) -> None:
    quiet = _run_logging(False, tmp_path / "quiet")
    assert "Traceback" not in quiet.stderr and "decoding failed" not in quiet.stderr
    assert quiet.stderr.strip() == "WARNING imaging.catalog: indexing went wrong"  # ours: one line, no traceback
    logged = (tmp_path / "quiet" / "mitraplan.log").read_text()
    assert "pydicom: decoding failed" in logged and "ValueError: frame 3 is damaged" in logged
    verbose = _run_logging(True, tmp_path / "verbose")  # -v: everything, tracebacks included
    assert "decoding failed" in verbose.stderr and "Traceback (most recent call last)" in verbose.stderr


def test_display_name_neutralises_bidi_overrides() -> None:
    shown = display_name("\u202eevil")
    assert shown == f"{FSI}evil{PDI}"  # the override is gone: reads "evil", not "live"
    inner = shown[1:-1]
    assert not any(unicodedata.bidirectional(ch) in ("RLO", "LRO", "RLE", "LRE", "PDF", "RLI", "LRI", "FSI", "PDI")
                   for ch in inner)


def test_display_name_keeps_real_names_and_isolates_them() -> None:
    assert display_name("Doe^Jane") == f"{FSI}Doe Jane{PDI}"
    assert display_name("\u05db\u05d4\u05df^\u05e9\u05e8\u05d4") == f"{FSI}\u05db\u05d4\u05df \u05e9\u05e8\u05d4{PDI}"
    assert display_name("") == "" and display_name(None) == ""
    assert display_name("\u2066\u2067\u2069\u202a") == ""  # only controls: nothing to show
    assert display_name("<b>Bold</b>") == f"{FSI}<b>Bold</b>{PDI}"  # markup is text; escaping is the widget's job
    assert isolate("Doe, Jane\u202c\u2069") == f"{FSI}Doe, Jane{PDI}"  # an extra PDI cannot close our isolate
    assert display_name("A\x00B\nC") == f"{FSI}AB C{PDI}"
