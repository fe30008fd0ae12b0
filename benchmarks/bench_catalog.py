"""Indexing speed: a 200-file folder of US loops, headers only (no pixel is decoded)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from pydicom import dcmread
from pydicom.uid import generate_uid

from demo.phantom import write_cine_loop
from imaging.catalog import catalog_paths

N_FILES = 200


def _write_copies(folder: Path) -> None:
    """N_FILES copies of one 30-frame loop in 10 series folders, each with its own UIDs."""
    template = dcmread(write_cine_loop(folder / "template.dcm", n_frames=30))
    (folder / "template.dcm").unlink()
    series = [generate_uid() for _ in range(10)]
    for i in range(N_FILES):
        template.SOPInstanceUID = template.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        template.SeriesInstanceUID = series[i % 10]
        sub = folder / f"series{i % 10}"
        sub.mkdir(exist_ok=True)
        template.save_as(sub / f"IM{i:04d}.dcm", enforce_file_format=True)


def run() -> None:
    with tempfile.TemporaryDirectory(prefix="mitraplan-bench-") as tmp:
        folder = Path(tmp)
        _write_copies(folder)
        size_mb = sum(p.stat().st_size for p in folder.rglob("*.dcm")) / 1e6
        start = time.perf_counter()
        index = catalog_paths([folder])
        elapsed = time.perf_counter() - start
        print(f"index.folder: {N_FILES} files of 30-frame 800x600 JPEG loops, {size_mb:.0f} MB", flush=True)
        print(f"index.loops_found: {len(index.loops())}", flush=True)
        print(f"index.seconds: {elapsed:.3f}", flush=True)
        print(f"index.files_per_s: {N_FILES / elapsed:.0f}", flush=True)
