"""Run MitraPlan on hostile files in a memory-limited worker process and classify every failure.

The parent starts ``python -m tests.hostile.runner WORKER LIST`` with an address-space limit
(``RLIMIT_AS``); the worker handles one file at a time in-process (``mitraplan info``, the catalog
of a folder holding the file beside a good loop, and the decode of its first and last frame) and
prints one JSON line per file. A file that produces no line within the per-file timeout is a hang;
the worker is then killed and restarted after that file.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

#: Failure classes counted by :func:`run_all` (every one must be 0 after the fix).
CLASSES = ("unexpected_error", "traceback", "hang", "memory_error", "unnamed_message", "non_strict_json",
           "folder_sunk")
TRACEBACK = "Traceback (most recent call last)"


@contextlib.contextmanager
def _captured_fds() -> Iterator[list[str]]:
    """Capture what is written to file descriptors 1 and 2 (C libraries and logging included)."""
    out: list[str] = []
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile("w+b") as o, tempfile.TemporaryFile("w+b") as e:
        os.dup2(o.fileno(), 1)
        os.dup2(e.fileno(), 2)
        try:
            yield out
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            for f in (o, e):
                f.seek(0)
                out.append(f.read().decode("utf-8", "replace"))


def strict_json(text: str) -> bool:
    def refuse(name: str) -> Any:
        raise ValueError(name)
    try:
        json.loads(text, parse_constant=refuse)
    except ValueError:
        return False
    return True


def check_file(path: Path, good: Path) -> list[str]:
    """The failure classes of one file (empty: handled cleanly)."""
    from gui.main import main
    from imaging.catalog import catalog_paths
    from imaging.errors import InputError
    from imaging.loop import Loop

    failures: set[str] = set()
    with _captured_fds() as captured:
        try:
            rc = main(["info", str(path)])
        except MemoryError:
            failures.add("memory_error")
            rc = 0
        except BaseException:  # noqa: BLE001 - anything escaping main is unexpected
            failures.add("unexpected_error")
            rc = 0
        try:
            with Loop.open(path) as loop:
                for k in sorted({0, loop.n_frames - 1}):
                    with contextlib.suppress(InputError):
                        loop.frame(k)
                for message in loop.warnings:
                    str(message)
        except MemoryError:
            failures.add("memory_error")
        except InputError as exc:
            if path.name not in str(exc):
                failures.add("unnamed_message")
        except Exception:  # noqa: BLE001
            failures.add("unexpected_error")
        with tempfile.TemporaryDirectory() as folder:
            os.symlink(path, Path(folder) / path.name)
            os.symlink(good, Path(folder) / "good.dcm")
            try:
                index = catalog_paths([folder])
                if not any(loop.path.name == "good.dcm" for loop in index.loops()):
                    failures.add("folder_sunk")
            except MemoryError:
                failures.add("memory_error")
            except Exception:  # noqa: BLE001
                failures.add("folder_sunk")
    stdout, stderr = captured
    if rc == 1:
        failures.add("unexpected_error")
    if TRACEBACK in stderr or TRACEBACK in stdout:
        failures.add("traceback")
    if "MemoryError" in stderr or "MemoryError" in stdout:
        failures.add("memory_error")
    if rc != 0 and path.name not in stderr:
        failures.add("unnamed_message")
    if stdout.strip() and not strict_json(stdout):
        failures.add("non_strict_json")
    return sorted(failures)


def _worker(list_file: str, good: str) -> None:
    """Worker process: one JSON line per file of ``list_file`` on the original stdout."""
    report = os.fdopen(os.dup(1), "w", buffering=1)
    for line in Path(list_file).read_text().splitlines():
        print(json.dumps({"path": line, "failures": check_file(Path(line), Path(good))}), file=report)


def _limit(bytes_: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (bytes_, bytes_))


def run_all(paths: Sequence[Path], good: Path, *, memory_bytes: int = 2 << 30, timeout_s: float = 15.0,
            cwd: Path | None = None) -> tuple[Counter[str], dict[str, list[str]]]:
    """Counts per failure class and the failures of each file that had any."""
    counts: Counter[str] = Counter({name: 0 for name in CLASSES})
    bad: dict[str, list[str]] = {}
    remaining = [str(p) for p in paths]
    env = {**os.environ, "PYTHONPATH": str(cwd or Path.cwd()), "QT_QPA_PLATFORM": "offscreen"}
    while remaining:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
            listing.write("\n".join(remaining))
        proc = subprocess.Popen([sys.executable, "-m", "tests.hostile.runner", listing.name, str(good)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=cwd,
                                preexec_fn=lambda: _limit(memory_bytes), text=True)
        assert proc.stdout is not None
        done = 0
        while done < len(remaining):
            ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
            line = proc.stdout.readline() if ready else ""
            if not line:
                proc.kill()
                proc.wait()
                cls = "hang" if not ready else "memory_error"  # died without a word: killed by the limit
                bad[remaining[done]] = [cls]
                counts[cls] += 1
                done += 1
                break
            result = json.loads(line)
            for name in result["failures"]:
                counts[name] += 1
            if result["failures"]:
                bad[result["path"]] = result["failures"]
            done += 1
        else:
            proc.wait()
        proc.stdout.close()
        os.unlink(listing.name)
        remaining = remaining[done:]
    return counts, bad


if __name__ == "__main__":
    _worker(sys.argv[1], sys.argv[2])
