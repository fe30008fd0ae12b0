"""The log file, native crash dumps and ``mitraplan --version`` (gui/logs.py, gui/versions.py)."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from gui import logs
from gui.main import main

ROOT = Path(__file__).resolve().parents[1]




def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_excepthook_writes_the_traceback_to_the_log_file_and_names_it(qapp, log_dir: Path) -> None:
    from gui import app

    path = logs.setup_logging()
    assert path == log_dir / "mitraplan.log"
    app.create_app()
    shown: list[str] = []
    app.RELAY.raised.connect(shown.append)

    def measure_in_a_slot() -> None:
        raise ZeroDivisionError("vena contracta of zero width")

    try:
        measure_in_a_slot()
    except ZeroDivisionError:
        app.excepthook(*sys.exc_info())
    text = path.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "in measure_in_a_slot" in text
    assert "ZeroDivisionError: vena contracta of zero width" in text
    assert len(shown) == 1 and str(path) in shown[0] and "vena contracta of zero width" in shown[0]


def test_log_files_are_readable_by_the_user_only_also_after_rotation(log_dir: Path) -> None:
    path = logs.setup_logging()
    assert path is not None and _mode(path) == 0o600
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, logs.PrivateRotatingFileHandler))
    assert (handler.maxBytes, handler.backupCount) == (1_000_000, 5)
    handler.maxBytes = 200  # rotate after a few records instead of 1 MB
    for k in range(10):
        logging.getLogger("mitraplan.test").warning("record %d of the rotation test, padded to about sixty bytes", k)
    rotated = sorted(log_dir.glob("mitraplan.log.*"))
    assert rotated, "no rollover happened"
    assert {_mode(p) for p in [path, *rotated]} == {0o600}
    assert _mode(log_dir) == 0o700


def test_an_older_wider_log_file_is_tightened(log_dir: Path) -> None:
    log_dir.mkdir(parents=True)
    old = log_dir / "mitraplan.log"
    old.write_text("left by an older version\n")
    old.chmod(0o644)
    assert logs.setup_logging() == old
    assert _mode(old) == 0o600 and old.read_text().startswith("left by an older version")  # appended, not replaced


def test_a_folder_that_cannot_be_written_leaves_the_program_running(tmp_path: Path, log_dir: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(logs.LOG_DIR_ENV, str(blocker / "log"))  # a folder inside a file: fails even as root
    assert logs.setup_logging() is None
    assert f"cannot write the log file in {blocker / 'log'}" in caplog.text


def test_a_native_crash_is_dumped_into_the_log_folder(tmp_path: Path) -> None:
    """A segfault (as in a decoder library) leaves its Python stack in crash.log, not only on a lost stderr."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONFAULTHANDLER"}
    env.update({logs.LOG_DIR_ENV: str(tmp_path), "PYTHONPATH": str(ROOT)})
    code = "from gui.logs import setup_logging; setup_logging()\nimport ctypes\nctypes.string_at(0)\n"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    crash = tmp_path / "crash.log"
    text = crash.read_text(encoding="utf-8")
    assert "Fatal Python error: Segmentation fault" in text and 'File "<string>", line 3' in text
    assert _mode(crash) == 0o600


def test_version_prints_the_version_and_the_decoder_plugins(capsys: pytest.CaptureFixture[str]) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["version"] == "0.2.0"
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert out.startswith("mitraplan 0.2.0\n"), "the installed metadata is stale: reinstall (make venv)"
    lines = out.splitlines()
    # python-gdcm is a hard dependency: installed, and pydicom's gdcm plugin decodes JPEG lossless (Philips stills)
    assert any(line.split()[:1] == ["python-gdcm"] and "not installed" not in line for line in lines)
    assert any(line.startswith("  JPEG Lossless, Non-Hierarchical (Process 14):") and "gdcm" in line for line in lines)
    for library in ("simplejpeg", "pylibjpeg", "imagecodecs"):  # each listed, installed or not
        assert any(line.split()[:1] == [library] for line in lines), library


def test_an_unexpected_cli_error_puts_its_traceback_in_the_log_and_says_where(
        log_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import gui.cli.info

    def broken_run(_args: object) -> int:
        raise RuntimeError("decoder state lost")

    monkeypatch.setattr(gui.cli.info, "run", broken_run)
    assert main(["info", "anything.dcm"]) == 1
    err = capsys.readouterr().err
    log_file = log_dir / "mitraplan.log"
    assert err == f"mitraplan info: RuntimeError: decoder state lost (traceback in {log_file})\n"
    text = log_file.read_text(encoding="utf-8")
    assert "mitraplan info: unhandled error" in text and "in broken_run" in text


def test_pydicom_warnings_go_to_the_log_once_not_to_the_terminal(tmp_path: Path) -> None:
    """A vendor file with an invalid UID (as the Esaote sample has): pydicom logs *and* warns it at each
    open; the terminal shows neither, the log file holds it once although the file is read twice."""
    import pydicom

    from tests.measurements.factories import write_us_image

    image = write_us_image(tmp_path / "IM_ESAOTE.dcm", "1.2.826.0.1.3680043.99.12", [])
    ds = pydicom.dcmread(image)
    with pytest.warns(UserWarning, match="Invalid value for VR UI"):  # pydicom says so here too
        ds.SeriesInstanceUID = "1.2.840.113663.1500.1.0001.x"  # letters are not allowed in a UID
        ds.save_as(image)
    folder = tmp_path / "log"
    env = {**os.environ, logs.LOG_DIR_ENV: str(folder), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "gui.main", "info", str(image), str(image)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Invalid value for VR UI" not in done.stderr and "Warning" not in done.stderr
    text = (folder / logs.LOG_NAME).read_text(encoding="utf-8")
    assert text.count("Invalid value for VR UI: '1.2.840.113663.1500.1.0001.x'") == 1
