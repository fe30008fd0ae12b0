"""The application bundle of ``make bundle`` (packaging/mitraplan.spec) works on its own, as IT deploys it: the
folder copied somewhere outside the checkout, started headless from a temporary folder with a fresh HOME and no
Python environment: ``--version``, ``info``, ``demo --headless``, ``report``, ``pacs`` and the window all run,
the outputs are the user's alone, and nothing of the checkout or the build venv is referenced or read.

Builds dist/mitraplan first when it is missing or older than the code (about 30 s; `make bundle` does the same).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist" / "mitraplan"
SOURCES = ("imaging", "measurements", "planning", "report", "pacs", "demo", "gui", "packaging")
EXE = ".exe" if sys.platform == "win32" else ""

pytestmark = pytest.mark.slow


def _newest_source() -> float:
    files = [ROOT / "pyproject.toml", *(p for name in SOURCES for p in (ROOT / name).rglob("*") if p.is_file()
                                        and "__pycache__" not in p.parts)]
    return max(p.stat().st_mtime for p in files)


def _build() -> None:
    """What `make bundle` runs, unless dist/mitraplan is newer than every source file."""
    launcher = DIST / f"mitraplan{EXE}"
    if launcher.is_file() and launcher.stat().st_mtime > _newest_source():
        return
    import importlib.util

    if importlib.util.find_spec("PyInstaller") is None:
        pytest.fail("PyInstaller is not installed: `make venv` installs the bundle extra ('.[test,bundle]')")
    built = subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
                            "--distpath", str(ROOT / "dist"), "--workpath", str(ROOT / "build" / "pyinstaller"),
                            str(ROOT / "packaging" / "mitraplan.spec")], cwd=ROOT, capture_output=True, text=True,
                           timeout=900)
    assert built.returncode == 0, f"make bundle failed:\n{built.stderr[-3000:]}"


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A copy of the built bundle outside the checkout, and the environment of a user who has only it."""
    _build()
    tmp = tmp_path_factory.mktemp("bundle")
    app = tmp / "MitraPlan"
    shutil.copytree(DIST, app, symlinks=True)  # as IT copies the folder onto a workstation
    work = tmp / "work"
    work.mkdir()
    # GDCM_RESOURCES_PATH: set in this process by the venv's gdcm.py (to its own XML folder) once pydicom loaded it
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "VIRTUAL_ENV", "XDG_", "MITRAPLAN_", "GDCM_")) and k != "PATH"}
    env.update(PATH="/usr/bin:/bin", HOME=str(tmp / "home"), QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=str(ROOT))  # a PYTHONPATH to the checkout must not matter: the bundle ignores it
    return {"app": app, "mitraplan": app / f"mitraplan{EXE}", "gui": app / f"mitraplan-gui{EXE}", "work": work,
            "env": env, "home": tmp / "home"}


def _run(deployed: dict[str, object], *args: object, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=deployed["work"], env=deployed["env"], capture_output=True,
                          text=True, timeout=timeout)


def test_version_names_the_bundle_and_its_decoders(deployed) -> None:
    import tomllib

    out = _run(deployed, deployed["mitraplan"], "--version")
    assert out.returncode == 0, out.stderr
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    lines = out.stdout.splitlines()
    assert lines[0] == f"mitraplan {version}"
    internal = Path(deployed["app"]).resolve() / "_internal"
    assert f"Program files: {internal} (application bundle)" in lines  # the code runs from the copy
    assert str(ROOT) not in out.stdout
    # the decoders are in the bundle: gdcm for JPEG lossless stills, libjxl for JPEG XL loops, pyjpegls, RLE
    assert any(line.startswith("  JPEG Lossless, Non-Hierarchical (Process 14):") and "gdcm" in line for line in lines)
    assert any(line.startswith("  JPEG XL Lossless: imagecodecs (libjxl ") for line in lines)
    assert any(line.startswith("  JPEG-LS Lossless Image Compression:") and "pyjpegls" in line for line in lines)


def test_every_sub_command_is_in_the_bundle(deployed) -> None:
    from gui.main import COMMANDS  # the checkout's list: a command added there must be bundled too

    for command in COMMANDS:
        out = _run(deployed, deployed["mitraplan"], command, "--help")
        assert out.returncode == 0 and out.stdout.startswith(f"usage: mitraplan {command}"), (command, out.stderr)


def test_demo_info_and_report_from_the_bundle_write_private_files(deployed) -> None:
    work = Path(deployed["work"])
    demo = work / "demo"
    out = _run(deployed, deployed["mitraplan"], "demo", "--headless", "--out", demo)
    assert out.returncode == 0, out.stderr
    expected = {"report.pdf", "report.json", "report-sr.dcm", "key-k1.png", "key-k1.dcm"}
    assert expected <= {p.name for p in (demo / "report").iterdir()}
    info = _run(deployed, deployed["mitraplan"], "info", demo / "loops" / "cw_mr.dcm")
    assert info.returncode == 0, info.stderr
    (loop,) = json.loads(info.stdout)["loops"]
    assert loop["path"].endswith("cw_mr.dcm") and loop["regions"], loop  # calibrated regions read
    case = demo / "demo.mitraplan.json"
    again = _run(deployed, deployed["mitraplan"], "report", case, "--out", work / "again")
    assert again.returncode == 0, again.stderr
    assert expected <= {p.name for p in (work / "again").iterdir()}
    assert json.loads((work / "again" / "report.json").read_text(encoding="utf-8"))["measurements"]  # schema shipped
    for path in [*(demo / "report").iterdir(), *(work / "again").iterdir(), case]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((work / "again").stat().st_mode) == 0o700
    log_dir = Path(deployed["home"]) / ".local" / "state" / "mitraplan" / "log"
    assert log_dir.is_dir()  # settings and logs in the user's folders (platformdirs), not beside the program


def test_the_windowed_executable_opens_the_demo_and_pacs_answers(deployed) -> None:
    work = Path(deployed["work"])
    demo = work / "window-demo"
    assert _run(deployed, deployed["mitraplan"], "demo", "--headless", "--out", demo).returncode == 0
    shot = _run(deployed, deployed["gui"], "open", demo / "loops", demo / "demo.mitraplan.json",
                "--screenshot", work / "window.png")
    assert shot.returncode == 0, shot.stderr
    assert (work / "window.png").stat().st_size > 10_000  # the review window drew (pyqtgraph, Qt plugins bundled)
    # pynetdicom is bundled although imported lazily: a closed port is a node-settings error (exit 3), no traceback
    echo = _run(deployed, deployed["mitraplan"], "pacs", "echo", "--node", "NOBODY@127.0.0.1:9", "--timeout", "5")
    assert echo.returncode == 3 and "Traceback" not in echo.stderr, echo.stderr


def _jpegxl_loop(path: Path, frames: list[object]) -> Path:
    """A grey US loop of JPEG XL lossless frames (imagecodecs, in this test process)."""
    import imagecodecs
    from pydicom.uid import UID

    from demo.phantom import us_dataset
    from imaging.jpegxl import JPEGXL_LOSSLESS

    ds = us_dataset([imagecodecs.jpegxl_encode(f, lossless=True, effort=1) for f in frames], key="bundle-jxl",
                    rows=frames[0].shape[0], columns=frames[0].shape[1], frame_time_ms=40.0)
    ds.file_meta.TransferSyntaxUID = UID(JPEGXL_LOSSLESS)
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    del ds.PlanarConfiguration
    ds.LossyImageCompression = "00"
    del ds.LossyImageCompressionMethod
    ds.save_as(path, enforce_file_format=True)
    return path


def test_the_decoders_imported_by_name_decode_in_the_bundle(deployed) -> None:
    import numpy as np
    from PIL import Image

    from imaging.loop import Loop

    work = Path(deployed["work"])
    rng = np.random.default_rng(16)
    frames = [rng.integers(0, 256, (96, 128), dtype=np.uint8) for _ in range(2)]
    jxl = _jpegxl_loop(work / "jxl.dcm", frames)  # imagecodecs loads its JPEG XL codec by name, on first use
    out = _run(deployed, deployed["mitraplan"], "frame", "--frame", "2", "--out", work / "jxl.png", jxl)
    assert out.returncode == 0, out.stderr
    assert np.array_equal(np.asarray(Image.open(work / "jxl.png")), frames[1])  # lossless: bit-exact
    # a key image of the demo report: a JPEG-LS lossless Secondary Capture (pydicom's pyjpegls/gdcm plugins)
    demo = work / "decoders-demo"
    assert _run(deployed, deployed["mitraplan"], "demo", "--headless", "--out", demo).returncode == 0
    key = demo / "report" / "key-k1.dcm"
    out = _run(deployed, deployed["mitraplan"], "frame", "--out", work / "key.png", key)
    assert out.returncode == 0, out.stderr
    with Loop.open(key) as loop:  # the same file decoded by the venv's code
        expected = np.asarray(loop.frame(0))
    assert np.array_equal(np.asarray(Image.open(work / "key.png")), expected)
    # GDCM's dictionaries, which gdcm.py points GDCM_RESOURCES_PATH at, are beside the bundled gdcm
    assert (Path(deployed["app"]) / "_internal" / "_gdcm" / "XML" / "Part3.xml").is_file()


def test_the_bundle_names_no_folder_of_the_build_machine(deployed) -> None:
    needles = {str(ROOT).encode(), sys.prefix.encode()}  # the checkout, the build venv
    for path in Path(deployed["app"]).rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            assert not any(n in data for n in needles), path


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace (Debian package strace) not installed")
def test_running_reads_nothing_from_the_checkout(deployed, tmp_path: Path) -> None:
    work = Path(deployed["work"])
    if not (work / "demo" / "demo.mitraplan.json").is_file():
        assert _run(deployed, deployed["mitraplan"], "demo", "--headless", "--out", work / "demo").returncode == 0
    trace = tmp_path / "files.txt"
    out = _run(deployed, shutil.which("strace"), "-f", "-e", "trace=%file", "-o", trace, deployed["mitraplan"],
               "report", work / "demo" / "demo.mitraplan.json", "--out", tmp_path / "traced")
    assert out.returncode == 0, out.stderr
    touched = [line for line in trace.read_text(encoding="utf-8").splitlines()
               if f'"{ROOT}' in line or f'"{sys.prefix}' in line]
    assert not touched, touched[:5]


def test_nothing_was_written_beside_the_program(deployed) -> None:
    # last in this file: after every run above, the program folder is as copied (a read-only install works)
    def files(folder: Path) -> set[Path]:
        return {p.relative_to(folder) for p in folder.rglob("*")}

    assert files(Path(deployed["app"])) == files(DIST)
