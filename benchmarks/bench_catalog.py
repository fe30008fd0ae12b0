"""Indexing speed (200 files, headers only) and opening a 2,000-file folder in the main window.

Opening figures, each against a reference measured in the same run on the same folder (1,000 JPEG
baseline 8-frame 800x600 loops and 1,000 uncompressed 320x240 grey images):

- ``open.gui_updates_per_s_max``: progress and thumbnail signals the GUI thread handled in its
  busiest second (target <= 20);
- ``open.browser_shown_vs_index``: time from File → Open to the filled browser over
  ``catalog_paths`` alone (target <= 1.5);
- ``open.thumbnails_vs_background``: time from File → Open to the last thumbnail shown over the
  same work (index, then every thumbnail) done on one thread with no GUI (target <= 2.0);
- ``open.thumbnail_ms_per_loop``: one thumbnail as the browser makes it, against opening the
  loop and decoding its frame 1 at full size (the way before).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from pydicom import dcmread
from pydicom.uid import generate_uid

from demo.phantom import write_cine_loop
from imaging.catalog import catalog_paths

N_FILES = 200
OPEN_JPEG_FILES = 1000
OPEN_NATIVE_FILES = 1000


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
    run_opening()


def _write_open_folder(folder: Path) -> None:
    """OPEN_JPEG_FILES 8-frame JPEG loops and OPEN_NATIVE_FILES uncompressed grey images, 20 series."""
    import numpy as np
    from pydicom.uid import ExplicitVRLittleEndian, UltrasoundImageStorage

    jpeg = dcmread(write_cine_loop(folder / "template.dcm", n_frames=8))
    (folder / "template.dcm").unlink()
    series = [generate_uid() for _ in range(20)]
    for i in range(OPEN_JPEG_FILES):
        jpeg.SOPInstanceUID = jpeg.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        jpeg.SeriesInstanceUID, jpeg.InstanceNumber = series[i % 10], i
        sub = folder / f"jpeg{i % 10}"
        sub.mkdir(exist_ok=True)
        jpeg.save_as(sub / f"IM{i:04d}.dcm", enforce_file_format=True)
    native = jpeg
    del native.SequenceOfUltrasoundRegions, native.NumberOfFrames, native.FrameTime, native.FrameIncrementPointer
    native.SOPClassUID = native.file_meta.MediaStorageSOPClassUID = UltrasoundImageStorage
    native.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    native.Rows, native.Columns, native.SamplesPerPixel, native.PhotometricInterpretation = 240, 320, 1, "MONOCHROME2"
    del native.PlanarConfiguration, native.LossyImageCompression, native.LossyImageCompressionMethod
    pixels = (np.arange(240 * 320) % 251).astype(np.uint8).reshape(240, 320)
    native.PixelData = pixels.tobytes()
    native["PixelData"].VR, native["PixelData"].is_undefined_length = "OB", False
    for i in range(OPEN_NATIVE_FILES):
        native.SOPInstanceUID = native.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        native.SeriesInstanceUID, native.InstanceNumber = series[10 + i % 10], i
        sub = folder / f"native{i % 10}"
        sub.mkdir(exist_ok=True)
        native.save_as(sub / f"IM{i:04d}.dcm", enforce_file_format=True)


def _background_alone(folder: Path) -> tuple[float, float, object]:
    """(index seconds, index + every thumbnail seconds) on this thread with no GUI, and the catalog."""
    from gui.panels.browser import make_thumbnail
    from imaging.cache import FrameCache
    from imaging.loop import Loop

    cache = FrameCache(16 << 20)
    start = time.perf_counter()
    catalog = catalog_paths([folder])
    indexed = time.perf_counter() - start
    for info in catalog.loops():
        make_thumbnail(info, catalog, lambda i: Loop.open(i.path, cache=cache))
    return indexed, time.perf_counter() - start, catalog


def _thumbnail_ms(catalog: object) -> tuple[float, float]:
    """(ms per loop as the browser makes thumbnails, ms per loop opening it and decoding frame 1 at full size)."""
    from gui.panels.browser import make_thumbnail, thumbnail_image
    from imaging.cache import FrameCache
    from imaging.loop import Loop

    cache = FrameCache(16 << 20)
    jpeg = [i for i in catalog.loops() if i.n_frames > 1][:200]  # type: ignore[attr-defined]
    start = time.perf_counter()
    for info in jpeg:
        make_thumbnail(info, catalog, lambda i: Loop.open(i.path, cache=cache))
    ours = (time.perf_counter() - start) * 1000 / len(jpeg)
    start = time.perf_counter()
    for info in jpeg:
        with Loop.open(info.path, cache=cache) as loop:
            thumbnail_image(loop.frame(0))
    return ours, (time.perf_counter() - start) * 1000 / len(jpeg)


def _open_in_window(folder: Path) -> tuple[float, float, list[float]]:
    """(seconds to browser shown, seconds to last thumbnail, GUI-thread signal times) opening ``folder``."""
    from PySide6.QtCore import QEventLoop, QTimer

    from gui.main_window import MainWindow

    window = MainWindow()
    window.show()
    updates: list[float] = []
    window.tasks.progress.connect(lambda *_: updates.append(time.perf_counter()))
    browser = window.browser
    original = browser._set_thumbnails  # instrumentation: each thumbnail delivery the GUI thread handles
    browser._thumbnails.disconnect(original)
    browser._thumbnails.connect(lambda *a: (updates.append(time.perf_counter()), original(*a)))
    marks: dict[str, float] = {}
    loop = QEventLoop()
    window.studyOpened.connect(lambda _c: marks.setdefault("shown", time.perf_counter()))
    browser.thumbnailsDone.connect(lambda: (marks.setdefault("thumbs", time.perf_counter()), loop.quit()))
    QTimer.singleShot(300_000, loop.quit)
    start = time.perf_counter()
    window.open_paths([folder])
    loop.exec()
    window.tasks.cancel_all()
    window.tasks.wait()
    window.close()
    window.deleteLater()
    shown, thumbs = marks.get("shown", float("nan")), marks.get("thumbs", float("nan"))
    return shown - start, thumbs - start, [t - start for t in updates]


def _busiest_second(times: list[float]) -> int:
    """Most events in any one-second window."""
    import bisect

    return max((bisect.bisect_right(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


def run_opening() -> None:
    from gui.app import create_app

    create_app()
    with tempfile.TemporaryDirectory(prefix="mitraplan-bench-open-") as tmp:
        folder = Path(tmp)
        _write_open_folder(folder)
        indexed, background, catalog = _background_alone(folder)
        shown, thumbs, updates = _open_in_window(folder)
        ours, full = _thumbnail_ms(catalog)
        n = OPEN_JPEG_FILES + OPEN_NATIVE_FILES
        print(f"open.folder: {n} files ({OPEN_JPEG_FILES} JPEG 8-frame 800x600, {OPEN_NATIVE_FILES} native 320x240)")
        print(f"open.index_alone_s: {indexed:.2f}")
        print(f"open.background_alone_s: {background:.2f} (index, then every thumbnail, one thread, no GUI)")
        print(f"open.browser_shown_s: {shown:.2f}")
        print(f"open.browser_shown_vs_index: {shown / indexed:.2f} (target <= 1.5)")
        print(f"open.thumbnails_done_s: {thumbs:.2f}")
        print(f"open.thumbnails_vs_background: {thumbs / background:.2f} (target <= 2.0)")
        print(f"open.gui_updates: {len(updates)}")
        print(f"open.gui_updates_per_s_max: {_busiest_second(updates)} (target <= 20)")
        print(f"open.thumbnail_ms_per_loop: {ours:.2f}")
        print(f"open.thumbnail_ms_per_loop_full_decode_reference: {full:.2f}")
        print(f"open.thumbnail_vs_full_decode: {ours / full:.2f}")
