"""Headers that lie or cannot be read: a typed error naming the file and the attribute, before any allocation.

Each synthetic file imitates a case from the issue-17 audit of malformed vendor files: a 46 KB file
declaring 2**31 - 1 frames, a negative or zero frame count, Rows or Columns 0, 65535 x 65535 RGB, a
Pixel Data element shorter than the geometry, and an element pydicom cannot decode.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pydicom import config, dcmread
from pydicom.dataelem import DataElement
from pydicom.encaps import encapsulate
from pydicom.uid import generate_uid

from imaging.catalog import catalog_paths
from imaging.errors import GeometryError, HeaderError
from imaging.geometry import MAX_FRAMES
from imaging.loop import Loop, read_info
from tests.imaging.conftest import bar_frames, jpeg_loop, native_loop, save


def _lying(tmp_path: Path, name: str, keyword: str, vr: str, value: object, native: bool = False) -> Path:
    ds = native_loop(bar_frames(3)) if native else jpeg_loop(bar_frames(3))
    tag = {"NumberOfFrames": 0x00280008, "Rows": 0x00280010, "Columns": 0x00280011,
           "SamplesPerPixel": 0x00280002, "BitsAllocated": 0x00280100}[keyword]
    ds[tag] = DataElement(tag, vr, value)
    saved = config.settings.writing_validation_mode
    config.settings.writing_validation_mode = config.IGNORE
    try:
        return save(ds, tmp_path / name)
    finally:
        config.settings.writing_validation_mode = saved


@pytest.mark.parametrize(("keyword", "vr", "value", "pattern"), [
    ("NumberOfFrames", "IS", str(2**31 - 1), r"NumberOfFrames \(0028,0008\) is 2147483647"),
    ("NumberOfFrames", "IS", "-5", r"NumberOfFrames \(0028,0008\) is -5"),
    ("NumberOfFrames", "IS", "0", r"NumberOfFrames \(0028,0008\) is 0"),
    ("NumberOfFrames", "SS", -7, r"NumberOfFrames \(0028,0008\) is -7"),
    ("Rows", "US", 0, r"Rows \(0028,0010\) is 0"),
    ("Columns", "US", 0, r"Columns \(0028,0011\) is 0"),
    ("SamplesPerPixel", "US", 0, r"SamplesPerPixel \(0028,0002\) is 0"),
    ("BitsAllocated", "US", 12, r"BitsAllocated \(0028,0100\) is 12"),
])
def test_a_lying_geometry_is_refused_naming_file_and_attribute(tmp_path: Path, keyword: str, vr: str,
                                                               value: object, pattern: str) -> None:
    path = _lying(tmp_path, "liar.dcm", keyword, vr, value)
    for action in (read_info, Loop.open):
        with pytest.raises(GeometryError, match=r"liar\.dcm: " + pattern) as caught:
            action(path)
        assert caught.value.attribute == keyword


def test_two_billion_frames_fail_at_once_without_allocating(tmp_path: Path) -> None:
    # the audit's 46 KB file took 8 GB in 35-45 s; the check needs the header only
    path = _lying(tmp_path, "bomb.dcm", "NumberOfFrames", "IS", str(MAX_FRAMES))  # under the cap, over the bytes
    start = time.perf_counter()
    with pytest.raises(GeometryError, match=r"bomb\.dcm: NumberOfFrames .* cannot hold that many frames"):
        read_info(path)
    with pytest.raises(GeometryError, match=r"bomb\.dcm: NumberOfFrames"):
        Loop.open(path)
    assert time.perf_counter() - start < 1.0


def test_65535_square_rgb_is_refused_before_the_12_gib_allocation(tmp_path: Path) -> None:
    ds = jpeg_loop(bar_frames(1))
    ds.Rows = ds.Columns = 65535
    path = save(ds, tmp_path / "huge.dcm")
    # 65535 * 65535 * 3 bytes = 12.0 GiB per decoded frame, the frame cache holds 1 GiB
    with pytest.raises(GeometryError, match=r"huge\.dcm: Rows x Columns x SamplesPerPixel = 65535x65535x3.*12\.0 GiB"):
        read_info(path)


def test_native_pixel_data_shorter_than_one_frame_names_rows(tmp_path: Path) -> None:
    ds = native_loop(bar_frames(2))
    ds.PixelData = ds.PixelData[:100]  # not even one 64x48 RGB frame (9216 bytes)
    path = save(ds, tmp_path / "tiny.dcm")
    with pytest.raises(GeometryError, match=r"tiny\.dcm: Rows \(0028,0010\).* = 18432 bytes.* declares 100 bytes"):
        Loop.open(path)


def test_complete_encapsulated_data_with_fewer_fragments_than_frames_lies(tmp_path: Path) -> None:
    import simplejpeg

    frames = [simplejpeg.encode_jpeg(f, quality=90, colorspace="RGB") for f in bar_frames(3)]
    ds = jpeg_loop(bar_frames(3), encoded=frames)
    ds.PixelData = encapsulate(frames, has_bot=False)  # empty offset table: only the fragment count tells
    ds.NumberOfFrames = 5  # three fragments, sequence delimiter present: a file that ends properly
    path = save(ds, tmp_path / "five.dcm")
    with pytest.raises(GeometryError, match=r"five\.dcm: NumberOfFrames \(0028,0008\) is 5, but the complete "
                                            r"Pixel Data holds only 3 fragment"):
        Loop.open(path)


def test_a_basic_offset_table_with_the_wrong_count_lies(tmp_path: Path) -> None:
    import simplejpeg

    frames = [simplejpeg.encode_jpeg(f, quality=90, colorspace="RGB") for f in bar_frames(3)]
    ds = jpeg_loop(bar_frames(3), encoded=frames)
    ds.PixelData = encapsulate(frames, has_bot=True)
    ds.NumberOfFrames = 2
    path = save(ds, tmp_path / "bot.dcm")
    with pytest.raises(GeometryError, match=r"bot\.dcm: NumberOfFrames \(0028,0008\) is 2, but the Basic Offset "
                                            r"Table lists 3 frames"):
        Loop.open(path)


def _unreadable(ds_path: Path, keyword_tag: int, vr: str, raw: bytes, out: Path) -> Path:
    """Rewrite one element with raw bytes pydicom cannot convert (an odd-length US value)."""
    ds = dcmread(ds_path)
    ds[keyword_tag] = DataElement(keyword_tag, vr, 0)
    ds.save_as(out, enforce_file_format=False)
    data = out.read_bytes()
    group, element = keyword_tag >> 16, keyword_tag & 0xFFFF
    tag = group.to_bytes(2, "little") + element.to_bytes(2, "little") + vr.encode()
    pos = data.index(tag)
    length = int.from_bytes(data[pos + 6:pos + 8], "little")
    out.write_bytes(data[:pos + 6] + len(raw).to_bytes(2, "little") + raw + data[pos + 8 + length:])
    return out


def test_an_unreadable_geometry_element_is_a_header_error_naming_it(tmp_path: Path, bar_loop: Path) -> None:
    # Rows (US) holding 3 bytes: pydicom fails on first access (struct.error), long after dcmread
    path = _unreadable(bar_loop, 0x00280010, "US", b"\x01\x02\x03", tmp_path / "rows.dcm")
    with pytest.raises(HeaderError, match=r"rows\.dcm: Rows \(0028,0010\) is unreadable") as caught:
        read_info(path)
    assert caught.value.attribute == "Rows"


def test_an_unreadable_descriptive_element_is_a_warning_only(tmp_path: Path, bar_loop: Path) -> None:
    path = _unreadable(bar_loop, 0x00200013, "IS", b"\xff\xfe\x00", tmp_path / "inst.dcm")  # InstanceNumber
    info = read_info(path)
    assert info.instance_number is None and info.n_frames == 10


def test_one_bad_header_never_sinks_the_folder(tmp_path: Path, bar_loop: Path) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    good = []
    for i in range(3):
        ds = jpeg_loop(bar_frames(2))
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        good.append(save(ds, folder / f"good{i}.dcm"))
    _unreadable(bar_loop, 0x00280010, "US", b"\x01\x02\x03", folder / "bad.dcm")
    _lying(folder, "liar.dcm", "NumberOfFrames", "IS", str(2**31 - 1))
    index = catalog_paths([folder])
    assert sorted(loop.path.name for loop in index.loops()) == ["good0.dcm", "good1.dcm", "good2.dcm"]
    problems = dict(index.warnings)
    assert problems[str(folder / "bad.dcm")].startswith("Rows (0028,0010) is unreadable")
    assert problems[str(folder / "liar.dcm")].startswith("NumberOfFrames (0028,0008) is 2147483647")


def test_a_volume_whose_private_slice_count_lies_is_refused_before_sizing(tmp_path: Path) -> None:
    # a QLAB Cartesian export whose (3001,1001) slices-per-volume says 2**31 - 1
    from imaging.volume import Volume
    from tests.imaging.test_volume import write_cartesian

    path = write_cartesian(tmp_path / "cartesian.dcm")
    ds = dcmread(path)
    block = ds.private_block(0x3001, "Philips3D")
    block[0x01].value = 2**31 - 1
    ds.save_as(path, enforce_file_format=True)
    with pytest.raises(GeometryError, match=r"cartesian\.dcm: .* volume\(s\) of 2147483647 slices"):
        Volume.open(path)
