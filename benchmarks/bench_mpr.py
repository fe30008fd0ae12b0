"""MPR benchmark: an oblique 256x256 plane from a 224^3 time point of the synthetic 4D TEE phantom.

- ``mpr.reslice_ms``: median wall time (ms) of ``imaging.mpr.reslice`` (trilinear, one thread),
  and ``mpr.reslice_cpu_ms`` its CPU time (the machine may be shared).
- ``mpr.map_coordinates_ms``: ``scipy.ndimage.map_coordinates(order=1)`` on the same plane in the
  same run (its voxel coordinates computed beforehand, so it is timed on the interpolation alone);
  ``mpr.ratio`` = reslice / map_coordinates (target <= 1.0, and reslice <= 10 ms).
- ``mpr.first_mpr_ms``: opening the 4D Enhanced US Volume file (header parse), decoding time point
  1 and reslicing the plane, from nothing.
- ``mpr.peak_mb``: peak Python/numpy memory (tracemalloc, a second run) during that first MPR,
  against one time point's size (``mpr.timepoint_mb``); the file itself is memory-mapped.
- ``mpr.en_face_ms``: the volume viewer's en-face view (gui/volume/planes.py): a maximum-intensity
  slab of ``SLAB_MM`` through the valve plane at the viewer's image size (target <= 150 ms), and
  ``mpr.viewer_refresh_ms`` the whole refresh (three planes and the en-face slab).
"""

from __future__ import annotations

import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

SIZE = 224
TIMEPOINTS = 4
PLANE = (256, 256)
PIXEL_MM = 0.5
ROUNDS = 25
SLAB_MM = 6.0


def _median_ms(action: Callable[[], object], clock: Callable[[], float] = time.perf_counter) -> float:
    times = []
    for _ in range(ROUNDS):
        t0 = clock()
        action()
        times.append(1000.0 * (clock() - t0))
    return statistics.median(times)


def _oblique_plane(centre: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    row_dir = np.array([1.0, 0.7, -0.4])
    row_dir /= np.linalg.norm(row_dir)
    col_dir = np.cross(row_dir, [0.2, -0.3, 1.0])
    col_dir /= np.linalg.norm(col_dir)
    origin = centre - PLANE[0] / 2 * PIXEL_MM * row_dir - PLANE[1] / 2 * PIXEL_MM * col_dir
    return origin, row_dir, col_dir


def run() -> None:
    from scipy.ndimage import map_coordinates

    from demo.volume_phantom import write_enhanced_volume
    from imaging.mpr import plane_to_index, reslice
    from imaging.volume import Volume

    with tempfile.TemporaryDirectory(prefix="mitraplan-bench-") as tmp:
        path = Path(tmp) / "volume.dcm"
        truth = write_enhanced_volume(path, shape=(SIZE, SIZE, SIZE), spacing=(0.5, 0.5, 0.5),
                                      openings=(1.0, 0.8, 0.3, 0.5)[:TIMEPOINTS])
        origin, row_dir, col_dir = _oblique_plane(np.asarray(truth["valve_centre_mm"]))
        print(f"mpr.volume: {SIZE}x{SIZE}x{SIZE} x {TIMEPOINTS} time points, "
              f"{path.stat().st_size / 1e6:.0f} MB Enhanced US Volume, plane {PLANE[0]}x{PLANE[1]}", flush=True)

        def first_mpr() -> tuple[Volume, np.ndarray]:
            opened = Volume.open(path)
            first = opened.timepoint(0)
            reslice(first, opened.geometry, origin, row_dir, col_dir, PLANE, PIXEL_MM)
            return opened, first

        t0 = time.perf_counter()
        volume, voxels = first_mpr()
        first_ms = 1000.0 * (time.perf_counter() - t0)
        volume.close()
        tracemalloc.start()  # a second, traced run: tracemalloc slows pydicom's parsing, so it is not timed
        volume, voxels = first_mpr()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"mpr.first_mpr_ms: {first_ms:.0f}", flush=True)
        print(f"mpr.timepoint_mb: {voxels.nbytes / 1e6:.1f}", flush=True)
        print(f"mpr.peak_mb: {peak / 1e6:.1f} ({peak / voxels.nbytes:.2f}x one time point)", flush=True)

        geometry = volume.geometry
        start, step_c, step_r = plane_to_index(geometry, origin, row_dir, col_dir, PIXEL_MM)
        c, r = np.arange(PLANE[0], dtype=float), np.arange(PLANE[1], dtype=float)
        coords = np.array([np.add.outer(r * step_r[a], c * step_c[a] + start[a]) for a in (2, 1, 0)])

        def ours() -> object:
            return reslice(voxels, geometry, origin, row_dir, col_dir, PLANE, PIXEL_MM)

        def scipy_reference() -> object:
            return map_coordinates(voxels, coords, order=1, mode="constant", cval=0.0, output=np.float32)

        ours_ms, reference_ms = _median_ms(ours), _median_ms(scipy_reference)
        ours_cpu, reference_cpu = _median_ms(ours, time.thread_time), _median_ms(scipy_reference, time.thread_time)
        worst = float(np.abs(np.asarray(ours()) - np.asarray(scipy_reference())).max())
        en_face_ms, refresh_ms, side = _en_face(voxels, geometry, truth)
        volume.close()
        print(f"mpr.reslice_ms: {ours_ms:.2f}", flush=True)
        print(f"mpr.reslice_cpu_ms: {ours_cpu:.2f}", flush=True)
        print(f"mpr.map_coordinates_ms: {reference_ms:.2f} (cpu {reference_cpu:.2f})", flush=True)
        print(f"mpr.ratio: {ours_ms / reference_ms:.2f} (cpu {ours_cpu / reference_cpu:.2f})", flush=True)
        print(f"mpr.max_difference_grey: {worst:.4f}", flush=True)
        print(f"mpr.en_face_ms: {en_face_ms:.1f} ({side}x{side} px, {SLAB_MM:g} mm maximum-intensity slab;"
              " target <= 150)", flush=True)
        print(f"mpr.viewer_refresh_ms: {refresh_ms:.1f} (three planes and the en-face slab)", flush=True)


def _en_face(voxels: np.ndarray, geometry: object, truth: dict) -> tuple[float, float, int]:
    """Median ms of the viewer's en-face slab on the valve plane, and of a whole viewer refresh."""
    from gui.volume.planes import EN_FACE, Planes, render_plane, render_slab

    planes = Planes(geometry)  # type: ignore[arg-type]
    centre = np.asarray(truth["valve_centre_mm"])
    planes.show_plane(centre, -np.asarray(truth["coaptation_dir"]), np.asarray(truth["across_dir"]))
    en_face = planes.plane(EN_FACE)

    def slab() -> object:
        return render_slab(voxels, geometry, en_face, SLAB_MM)  # type: ignore[arg-type]

    def refresh() -> object:
        for i in range(3):
            render_plane(voxels, geometry, planes.plane(i))  # type: ignore[arg-type]
        return slab()

    return _median_ms(slab), _median_ms(refresh), planes.image_px
