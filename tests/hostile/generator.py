"""Hostile and broken DICOM inputs, derived from real files and written in code.

Each case imitates a failure seen in the field or in a fuzzing audit: files cut short by a failed
transfer (truncations), media damage (flipped bytes), a writer that got an element length wrong,
headers that lie about their geometry (frame count, rows, columns, samples), ultrasound region
calibration that is not a number or is physically absurd, and patient names built to mislead a
reader (bidirectional overrides, markup, very long). Bases: the public vendor loops in
``shared/realdata`` (when present) and pydicom's bundled test files.
"""

from __future__ import annotations

import math
import random
import struct
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom import config
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

#: pydicom test files used as bases (colour JPEG, palette, RLE, JPEG 2000, US J2K).
PYDICOM_BASES = ("examples_ybr_color.dcm", "examples_rgb_color.dcm", "examples_palette.dcm",
                 "examples_jpeg2k.dcm", "SC_rgb_rle.dcm")


@dataclass(frozen=True)
class Case:
    """One hostile file: its name (what it imitates) and its bytes."""

    name: str
    data: bytes


def base_files(realdata: Path | None, with_pydicom: bool = True) -> list[Path]:
    """Real vendor files (if the folder is given) plus, unless told otherwise, pydicom's test files."""
    from pydicom.data import get_testdata_file

    bases = sorted(realdata.glob("*.dcm")) if realdata is not None else []
    for name in PYDICOM_BASES if with_pydicom else ():
        found = get_testdata_file(name)
        if found:
            bases.append(Path(str(found)))
    return bases


def _header_end(data: bytes) -> int:
    """Offset of the Pixel Data element (the header ends there); the middle of the file otherwise."""
    for marker in (b"\xe0\x7f\x10\x00", b"\x7f\xe0\x00\x10"):
        pos = data.rfind(marker)
        if pos > 0:
            return pos
    return len(data) // 2


def truncations(stem: str, data: bytes) -> Iterator[Case]:
    """A transfer cut short: at the preamble, in the meta group, in the header, in the pixels."""
    end = _header_end(data)
    for label, offset in (("empty", 0), ("preamble", 100), ("prefix", 131), ("meta", 150),
                          ("header-mid", end // 2), ("before-pixels", end - 3), ("pixel-tag", end + 6),
                          ("pixels-mid", (end + len(data)) // 2), ("last-byte", len(data) - 1)):
        yield Case(f"{stem}-trunc-{label}", data[:max(0, offset)])


def flipped(stem: str, data: bytes, seeds: int = 6) -> Iterator[Case]:
    """Media damage: a few bytes of the header XORed with 0xFF (deterministic seeds)."""
    end = _header_end(data)
    for seed in range(seeds):
        rng = random.Random(seed)
        buf = bytearray(data)
        for _ in range(1 + seed):
            pos = rng.randrange(132, max(133, end))
            buf[pos] ^= 0xFF
        yield Case(f"{stem}-flip-{seed}", bytes(buf))


def wrong_lengths(stem: str, data: bytes) -> Iterator[Case]:
    """A writer that got an element's length wrong: the length of an element after the meta group."""
    end = _header_end(data)
    # explicit VR short-length elements: tag(4) VR(2) len(2). Find some 'CS'/'LO'/'US' elements.
    spots = [i for vr in (b"CS", b"LO", b"US", b"IS") for i in _find_all(data, vr, 300, end)][:4]
    for n, pos in enumerate(spots):
        for label, value in (("huge", 0xFFFF), ("zero", 0), ("odd", 3)):
            buf = bytearray(data)
            struct.pack_into("<H", buf, pos + 2, value)
            yield Case(f"{stem}-len{n}-{label}", bytes(buf))
    pix = data.rfind(b"\xe0\x7f\x10\x00")
    if pix > 0 and data[pix + 4:pix + 6] in (b"OB", b"OW"):
        for label, value in (("pixlen-huge", 0x7FFFFFF0), ("pixlen-short", 16)):
            buf = bytearray(data)
            struct.pack_into("<L", buf, pix + 8, value)
            yield Case(f"{stem}-{label}", bytes(buf))


def _find_all(data: bytes, needle: bytes, start: int, stop: int) -> Iterator[int]:
    pos = data.find(needle, start, stop)
    while pos >= 0:
        if pos >= 4:
            yield pos
        pos = data.find(needle, pos + 1, stop)


def _rewrite(path: Path, edit: Callable[[Dataset], None]) -> bytes:
    """The file at ``path`` with ``edit`` applied to its dataset, written back (no value validation)."""
    import io

    ds = pydicom.dcmread(path)
    edit(ds)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=False)
    return out.getvalue()


def _set_raw(keyword: str, vr: str, value: object) -> Callable[[Dataset], None]:
    tag = pydicom.datadict.tag_for_keyword(keyword)
    assert tag is not None, keyword

    def edit(ds: Dataset) -> None:
        ds[tag] = DataElement(tag, vr, value)
    return edit


def _region(**values: object) -> Callable[[Dataset], None]:
    """Replace the regions with one 2D cm region whose fields are ``values`` (defaults sane)."""
    def edit(ds: Dataset) -> None:
        item = Dataset()
        fields: dict[str, object] = {
            "RegionSpatialFormat": 1, "RegionDataType": 1, "RegionFlags": 0,
            "RegionLocationMinX0": 0, "RegionLocationMinY0": 0, "RegionLocationMaxX1": 50,
            "RegionLocationMaxY1": 40, "PhysicalUnitsXDirection": 3, "PhysicalUnitsYDirection": 3,
            "PhysicalDeltaX": 0.03, "PhysicalDeltaY": 0.03, "ReferencePixelX0": 0, "ReferencePixelY0": 0,
        }
        fields.update(values)
        for key, value in fields.items():
            setattr(item, key, value)
        ds.SequenceOfUltrasoundRegions = Sequence([item])
    return edit


def _name(value: str) -> Callable[[Dataset], None]:
    def edit(ds: Dataset) -> None:
        ds.SpecificCharacterSet = "ISO_IR 192"  # UTF-8, so the override character survives
        ds.PatientName = value
    return edit


def _huge_rgb(ds: Dataset) -> None:
    """65535 x 65535 RGB declared: 12 GiB per decoded frame."""
    ds.Rows = ds.Columns = 65535
    ds.SamplesPerPixel = 3


#: Header edits: (label, edit). Lying geometry, bogus calibration, hostile names.
EDITS: tuple[tuple[str, Callable[[Dataset], None]], ...] = (
    ("frames-0", _set_raw("NumberOfFrames", "IS", "0")),
    ("frames-neg", _set_raw("NumberOfFrames", "IS", "-5")),
    ("frames-max", _set_raw("NumberOfFrames", "IS", str(2**31 - 1))),
    ("frames-text", _set_raw("NumberOfFrames", "IS", "many")),
    ("frames-neg-ss", _set_raw("NumberOfFrames", "SS", -7)),
    ("rows-0", _set_raw("Rows", "US", 0)),
    ("cols-0", _set_raw("Columns", "US", 0)),
    ("huge-rgb", _huge_rgb),
    ("samples-0", _set_raw("SamplesPerPixel", "US", 0)),
    ("bits-0", _set_raw("BitsAllocated", "US", 0)),
    ("bits-odd", _set_raw("BitsAllocated", "US", 12)),
    ("delta-nan", _region(PhysicalDeltaX=math.nan)),
    ("delta-inf", _region(PhysicalDeltaY=math.inf)),
    ("delta-tiny", _region(PhysicalDeltaX=1e-320, PhysicalDeltaY=1e-320)),
    ("delta-huge", _region(PhysicalDeltaX=1e30)),
    ("refval-nan", _region(ReferencePixelPhysicalValueX=math.nan)),
    ("bounds-reversed", _region(RegionLocationMinX0=50, RegionLocationMaxX1=0)),
    ("bounds-outside", _region(RegionLocationMinX0=60000, RegionLocationMaxX1=65000)),
    ("name-rtl", _name("\u202eevil")),
    ("name-markup", _name("<b>Bold</b>^<script>x</script>")),
    ("name-long", _name("A" * 60 + "^" + "B" * 60)),
)


def header_edits(stem: str, path: Path) -> Iterator[Case]:
    """Each edit of :data:`EDITS` applied to the base file."""
    saved = config.settings.writing_validation_mode
    config.settings.writing_validation_mode = config.IGNORE
    try:
        for label, edit in EDITS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the edits are invalid on purpose
                try:
                    data = _rewrite(path, edit)
                except Exception:  # noqa: BLE001 - an edit the base cannot take (no such element) is skipped
                    continue
            yield Case(f"{stem}-{label}", data)
    finally:
        config.settings.writing_validation_mode = saved


def cases(realdata: Path | None, with_pydicom: bool = True) -> Iterator[Case]:
    """Every hostile case, from every base."""
    for base in base_files(realdata, with_pydicom):
        stem = base.stem[:24]
        data = base.read_bytes()
        yield from truncations(stem, data)
        yield from flipped(stem, data)
        yield from wrong_lengths(stem, data)
        yield from header_edits(stem, base)


def write_good_loop(path: Path) -> Path:
    """A good loop with its own SOP Instance UID (pydicom's YBR colour JPEG), to sit beside a hostile file."""
    from pydicom.data import get_testdata_file
    from pydicom.uid import generate_uid

    ds = pydicom.dcmread(str(get_testdata_file("examples_ybr_color.dcm")))
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=False)
    return path


def write_cases(folder: Path, realdata: Path | None, with_pydicom: bool = True) -> list[Path]:
    """Write every case into ``folder`` as ``<name>.dcm``; the paths in order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for case in cases(realdata, with_pydicom):
        path = folder / f"{case.name}.dcm"
        path.write_bytes(case.data)
        paths.append(path)
    return paths
