"""Report speed: the DICOM SR writer on the demo case scaled to 8, 60 and 120 marks, the whole export
of the 120-mark case, and the key-image encodings.

- ``report.sr_s_<N>`` / ``report.sr_s_per_mark_<N>``: ``report.sr.build_sr`` plus writing the file (``save_sr``),
  wall and CPU seconds (target: 120 marks <= 3 s CPU, and s/mark not growing:
  ``report.sr_growth_120_vs_60`` <= about 1.2).
- ``report.sr_highdicom_constructor_s_120``: the same content tree through highdicom's
  ``ComprehensiveSR`` constructor with the tree (deep copy, re-parse, three tree searches), the way
  the SR was written before; ``report.sr_ratio_120`` = build_sr / that reference, in this run.
- ``report.export_s_120``: ``report.export.export_report`` (PDF, JSON, SR, PNG and DICOM key images).
- ``report.export_cpu_s_120``: the same export's CPU seconds (target <= 3 s), then each output's CPU seconds
  and share of it (``report.export_share_<output>``: rendering the key images, their Secondary Captures,
  the SR, the PNGs, the JSON, the PDF, the summary PDF; ``other`` is the rest: checks, anonymisation, model).
- ``report.sc_jpegls_ratio`` / ``report.sc_rle_ratio``: encoded / uncompressed size of a demo key
  image's Secondary Capture, with the encoding ms (JPEG-LS lossless as written; RLE Lossless, pydicom's
  built-in encoder, as the reference).
- ``report.png_ms_q<Q>`` / ``report.png_kb_q<Q>``: QImage.save of the enlarged key image at the
  quality written (keyimages.PNG_QUALITY) and at Qt's default (-1), median of a few saves.

The demo case is scaled by repeating its marks with new ids (so measurements, beats and key images
grow with it). Wall times include whatever else the machine is doing; CPU times are this process's.
"""

from __future__ import annotations

import io
import json
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

MARK_COUNTS = (8, 60, 120)
PNG_ROUNDS = 5


def _seconds(action: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    action()
    return time.perf_counter() - t0


def _wall_cpu(action: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of ``action`` (CPU: this process only, so a shared machine inflates wall alone)."""
    t0, c0 = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - t0, time.process_time() - c0


def _scaled_case(base: dict[str, Any], n: int, folder: Path) -> Path:
    """The demo case with ``n`` marks: its marks repeated, each copy with its own id and label."""
    doc = json.loads(json.dumps(base))
    marks = []
    for i in range(n):
        mark = dict(base["marks"][i % len(base["marks"])])
        if i >= len(base["marks"]):
            mark["id"], mark["label"] = f"{mark['id']}_x{i}", f"{mark['label']} copy {i}"
        marks.append(mark)
    doc["marks"] = marks
    path = folder / f"case{n}.mitraplan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _sr(report: Any, sources: Any, out: Path) -> None:
    from report.sr import build_sr, evidence_for, save_sr

    save_sr(build_sr(report, evidence_for(report, sources.headers)), out)


def _highdicom_reference(report: Any, sources: Any) -> None:
    """The content tree of ``build_sr`` handed whole to highdicom's constructor (the former path)."""
    import highdicom as hd

    from report import sr
    from report import sr_tid5200 as echo

    evidence = sr.evidence_for(report, sources.headers)
    volumes = sr.volume_refs(report, evidence)
    content = echo.report_root(sr._observation_context(report), [
        *sr._findings_sections(report, volumes), sr._planning_section(report)])
    document = hd.sr.Comprehensive3DSR if volumes else hd.sr.ComprehensiveSR  # the demo measures on its volume
    document(evidence=evidence, content=content, series_instance_uid=hd.UID(), series_number=1,
             sop_instance_uid=hd.UID(), instance_number=1)


def _bench_sr(folder: Path, base: dict[str, Any]) -> None:
    from planning.case import load_case
    from report.build import build_report

    built = {}
    for n in MARK_COUNTS:
        built[n] = build_report(load_case(_scaled_case(base, n, folder)))
    _sr(*built[MARK_COUNTS[0]], folder / "warm.dcm")  # imports and first-use caches, not timed
    per_mark = {}
    for n in MARK_COUNTS:
        report, sources = built[n]
        wall, cpu = _wall_cpu(lambda r=report, s=sources, k=n: _sr(r, s, folder / f"sr{k}.dcm"))
        per_mark[n] = cpu / n
        print(f"report.sr_marks_{n}: {len(report.marks)} marks, {len(report.measurements)} measurements", flush=True)
        print(f"report.sr_s_{n}: {wall:.2f} wall, {cpu:.2f} CPU", flush=True)
        print(f"report.sr_s_per_mark_{n}: {per_mark[n]:.4f} CPU", flush=True)
    big = MARK_COUNTS[-1]
    print(f"report.sr_growth_{big}_vs_{MARK_COUNTS[-2]}: {per_mark[big] / per_mark[MARK_COUNTS[-2]]:.2f}", flush=True)
    wall, reference = _wall_cpu(lambda: _highdicom_reference(*built[big]))
    print(f"report.sr_highdicom_constructor_s_{big}: {wall:.2f} wall, {reference:.2f} CPU", flush=True)
    print(f"report.sr_ratio_{big}: {per_mark[big] * big / reference:.2f} (CPU)", flush=True)
    _bench_export(*built[big], folder / "export", big)


def _output_of(name: str) -> str:
    """The output an ``export._write`` name belongs to: "PNG key image k1" -> "png"."""
    name = re.sub(r" key image .*", "", name)
    return {"Secondary Capture": "secondary_capture", "DICOM SR": "sr", "summary PDF": "summary_pdf"}.get(
        name, name.lower().replace(" ", "_"))


def _bench_export(report: Any, sources: Any, out: Path, n: int) -> None:
    """``export_report`` with each output's writer (and the key-image rendering) timed in CPU seconds:
    which output the export's time goes to, as shares of the same run. Caption places are cached per
    scene (a cine reuses them): the cache is emptied first, as for a case exported for the first time."""
    from report import export, keyimages

    spent: dict[str, float] = {}
    write, plan = export._write, export.plan_export

    def timed_write(name: str, *args: Any) -> Any:
        c0 = time.process_time()
        try:
            return write(name, *args)
        finally:
            key = _output_of(name)
            spent[key] = spent.get(key, 0.0) + time.process_time() - c0

    def timed_plan(*args: Any, **kwargs: Any) -> Any:
        c0 = time.process_time()
        try:
            return plan(*args, **kwargs)
        finally:
            spent["key_image_render"] = time.process_time() - c0

    keyimages._placed.cache_clear()
    with mock.patch.object(export, "_write", timed_write), mock.patch.object(export, "plan_export", timed_plan):
        wall, total = _wall_cpu(lambda: export.export_report(report, sources, out))
    spent["other"] = total - sum(spent.values())
    print(f"report.export_s_{n}: {wall:.2f} wall, {total:.2f} CPU", flush=True)
    print(f"report.export_cpu_s_{n}: {total:.2f} CPU (target <= 3.00)", flush=True)
    for key, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"report.export_share_{key}: {seconds:.2f} CPU, {seconds / total:.0%}", flush=True)


def _bench_key_images(base_case: Path) -> None:
    from pydicom import dcmread
    from pydicom.uid import JPEGLSLossless, RLELossless

    from planning.case import load_case
    from report import keyimages
    from report.build import build_report
    from report.export import frame_loader, plane_loader

    report, sources = build_report(load_case(base_case))
    key = report.key_images[0]
    small, big = keyimages.render_all(report, frame_loader(sources), load_plane=plane_loader(sources))[key.id]

    def sc() -> Any:
        return keyimages.secondary_capture(sources.headers[key.sop_instance_uid], small, key, "1.2.3", 1, "bench",
                                           report.header)

    raw = small.width() * small.height() * 3
    written = sc()
    buffer = io.BytesIO()
    written.save_as(buffer, enforce_file_format=True)
    assert dcmread(io.BytesIO(buffer.getvalue())).file_meta.TransferSyntaxUID == keyimages.SC_TRANSFER_SYNTAX
    print(f"report.sc_image: {small.width()}x{small.height()} RGB, {raw / 1e6:.2f} MB uncompressed", flush=True)
    for name, syntax in (("jpegls", JPEGLSLossless), ("rle", RLELossless)):
        dataset = sc()
        dataset.decompress()
        ms = 1000 * _seconds(lambda d=dataset, t=syntax: d.compress(t))
        print(f"report.sc_{name}_ratio: {len(dataset.PixelData) / raw:.2f} (encoded in {ms:.0f} ms)", flush=True)
    with tempfile.TemporaryDirectory(prefix="mitraplan-bench-") as tmp:
        for quality in (keyimages.PNG_QUALITY, -1):
            path = Path(tmp) / f"q{quality}.png"
            times = [_seconds(lambda p=path, q=quality: big.save(str(p), None, q)) for _ in range(PNG_ROUNDS)]
            name = f"q{quality}" if quality >= 0 else "qdefault"
            print(f"report.png_ms_{name}: {1000 * statistics.median(times):.0f} ({big.width()}x{big.height()})",
                  flush=True)
            print(f"report.png_kb_{name}: {path.stat().st_size / 1e3:.0f}", flush=True)


def run() -> None:
    from demo.case import write_demo_case
    from demo.phantom import write_demo_study

    with tempfile.TemporaryDirectory(prefix="mitraplan-bench-") as tmp:
        folder = Path(tmp)
        base_case = write_demo_case(write_demo_study(folder / "loops"), folder)
        base = json.loads(Path(base_case).read_text(encoding="utf-8"))
        _bench_sr(folder, base)
        _bench_key_images(Path(base_case))
