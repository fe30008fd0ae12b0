"""The built wheel works outside the checkout: installed into a fresh venv, run from a temporary folder
with no source tree on the path, every command starts, the demo writes its study and report, and
``info`` reads a demo loop. Imitates a clinician's ``pipx install mitraplan-*.whl``; the dependencies
come from the project venv (``PYTHONPATH``, no network), the MitraPlan code only from the wheel."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("imaging", "measurements", "planning", "report", "pacs", "demo", "gui", "private_files")
COMMANDS = ("demo", "frame", "info", "measure", "mpr", "open", "pacs", "report", "trace")

pytestmark = pytest.mark.slow


def _copy_source(dest: Path) -> Path:
    """The files the wheel is built from, copied so the build writes nothing into the checkout."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, dest / package, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A venv holding only the wheel (built offline: --no-build-isolation), its source copy deleted."""
    tmp = tmp_path_factory.mktemp("wheel")
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}  # no checkout on the path
    source = _copy_source(tmp / "src")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp / "dist"), str(source)], check=True, cwd=tmp, env=clean)
    shutil.rmtree(source)  # nothing can be read from a source tree any more
    (wheel,) = (tmp / "dist").glob("mitraplan-*.whl")
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True, cwd=tmp, env=clean)
    work = tmp / "work"
    work.mkdir()
    env = dict(clean)
    env.update(PYTHONPATH=sysconfig.get_paths()["purelib"],  # the dependencies; .pth files there are not read
               QT_QPA_PLATFORM="offscreen", HOME=str(tmp / "home"), XDG_STATE_HOME=str(tmp / "state"),
               XDG_CONFIG_HOME=str(tmp / "config"), XDG_DATA_HOME=str(tmp / "data"))
    return {"venv": env_dir, "python": python, "mitraplan": env_dir / "bin" / "mitraplan", "work": work, "env": env}


def _run(installed: dict[str, object], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=installed["work"], env=installed["env"], capture_output=True,
                          text=True, timeout=timeout)


def test_the_code_comes_from_the_wheel_not_the_checkout(installed) -> None:
    probe = "import json, sys; import " + ", ".join(PACKAGES) + "; print(json.dumps([sys.path, " + \
        ", ".join(f"{p}.__file__" for p in PACKAGES) + "]))"
    out = _run(installed, installed["python"], "-c", probe)
    assert out.returncode == 0, out.stderr
    path, *files = json.loads(out.stdout)
    venv_dir = Path(installed["venv"]).resolve()
    for file in files:
        assert Path(file).resolve().is_relative_to(venv_dir), file
    assert str(ROOT) not in path and "" not in path[1:]
    schema = _run(installed, installed["python"], "-c",
                  "from report.json_export import schema; print(schema()['$schema'])")
    assert schema.returncode == 0 and "json-schema.org" in schema.stdout, schema.stderr  # package data shipped


def test_version_and_every_subcommand_start(installed) -> None:
    out = _run(installed, installed["mitraplan"], "--version")
    assert out.returncode == 0, out.stderr
    assert "0.2.0" in out.stdout
    listed = _run(installed, installed["python"], "-c", "import json; from gui.main import COMMANDS; print(json.dumps(list(COMMANDS)))")
    commands = json.loads(listed.stdout)
    assert set(COMMANDS) <= set(commands), listed.stderr  # every registered one is tried, these at least
    for command in commands:
        out = _run(installed, installed["mitraplan"], command, "--help")
        assert out.returncode == 0 and out.stdout.startswith(f"usage: mitraplan {command}"), (command, out.stderr)


def test_demo_headless_then_info_measure_report_frame_and_the_window(installed) -> None:
    work = Path(installed["work"])
    out = _run(installed, installed["mitraplan"], "demo", "--headless", "--out", work / "demo")
    assert out.returncode == 0, out.stderr
    demo = work / "demo"
    report = sorted(p.name for p in (demo / "report").iterdir())
    assert {"report.pdf", "report.json", "report-sr.dcm", "key-k1.png", "key-k1.dcm"} <= set(report)
    # privacy: the report and the case file are the user's alone (the synthetic loops are not patient data)
    for path in [*(demo / "report").iterdir(), demo / "demo.mitraplan.json"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((demo / "report").stat().st_mode) == 0o700

    loop = demo / "loops" / "cw_mr.dcm"
    info = _run(installed, installed["mitraplan"], "info", loop)
    assert info.returncode == 0, info.stderr
    assert "cw_mr.dcm" in info.stdout and json.loads(info.stdout)
    case = demo / "demo.mitraplan.json"
    measured = _run(installed, installed["mitraplan"], "measure", case)
    assert measured.returncode == 0 and json.loads(measured.stdout), measured.stderr
    again = _run(installed, installed["mitraplan"], "report", case, "--out", work / "again")
    assert again.returncode == 0 and (work / "again" / "report-sr.dcm").is_file(), again.stderr
    frame = _run(installed, installed["mitraplan"], "frame", "--out", work / "f.png", loop)
    assert frame.returncode == 0 and (work / "f.png").stat().st_size > 0, frame.stderr
    # the GUI: the review window opens on the demo loops and the case (offscreen), draws, saves a screenshot
    shot = _run(installed, installed["mitraplan"], "open", demo / "loops", case, "--screenshot", work / "window.png")
    assert shot.returncode == 0 and (work / "window.png").stat().st_size > 10_000, shot.stderr


def test_desktop_entry_opens_case_files_of_the_registered_type(tmp_path: Path) -> None:
    import configparser
    import tomllib

    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # Desktop Entry keys are case-sensitive
    entry.read(ROOT / "packaging" / "mitraplan.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert desktop["Type"] == "Application" and desktop["Exec"].split()[:2] == [next(iter(scripts)), "open"]
    assert "application/x-mitraplan-case+json" in desktop["MimeType"].rstrip(";").split(";")
    if shutil.which("update-mime-database") is None:
        pytest.skip("update-mime-database (shared-mime-info) not installed")
    packages = tmp_path / "mime" / "packages"
    packages.mkdir(parents=True)
    shutil.copy2(ROOT / "packaging" / "mitraplan-case.xml", packages)
    subprocess.run(["update-mime-database", str(tmp_path / "mime")], check=True, capture_output=True)
    globs = (tmp_path / "mime" / "globs2").read_text(encoding="utf-8").splitlines()
    assert "80:application/x-mitraplan-case+json:*.mitraplan.json" in globs
