"""Loop: lazy per-frame decoding, the worker pool, the cache, and bad input as typed errors."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import simplejpeg
from pydicom.encaps import encapsulate
from pydicom.uid import MPEG2MPML

from imaging.cache import FrameCache
from imaging.errors import CorruptImageError, GeometryError, ImagingError, NotDicomError, UnsupportedImageError
from imaging.loop import Loop, read_info
from tests.imaging.conftest import bar_column, bar_frames, jpeg_loop, native_loop, save


def test_frames_come_back_in_order_as_uint8_rgb(bar_loop: Path) -> None:
    with Loop.open(bar_loop) as loop:
        assert loop.n_frames == 10 and loop.info.is_multiframe
        for k in (0, 3, 9):
            frame = loop.frame(k)
            assert frame.shape == (48, 64, 3) and frame.dtype == np.uint8
            assert bar_column(frame) == 4 + 2 * k


def test_frames_are_cached_read_only_and_dropped_on_close(bar_loop: Path) -> None:
    cache = FrameCache()
    loop = Loop.open(bar_loop, cache=cache)
    first = loop.frame(2)
    assert loop.frame(2) is first and len(cache) == 1
    assert not first.flags.writeable
    loop.close()
    assert len(cache) == 0
    with pytest.raises(ImagingError, match="closed"):
        loop.frame(2)


def test_request_and_prefetch_decode_on_the_pool(bar_loop: Path) -> None:
    cache = FrameCache()
    with Loop.open(bar_loop, cache=cache) as loop:
        futures = [loop.request(k) for k in range(10)]
        assert [bar_column(f.result(timeout=30)) for f in futures] == [4 + 2 * k for k in range(10)]
        assert len(cache) == 10
        assert loop.request(4).result() is loop.frame(4)


def test_frame_index_out_of_range(bar_loop: Path) -> None:
    with Loop.open(bar_loop) as loop, pytest.raises(IndexError, match=r"0\.\.9"):
        loop.frame(10)


def test_a_corrupt_frame_fails_alone_naming_file_and_frame(tmp_path: Path) -> None:
    frames = bar_frames(5)
    encoded = [simplejpeg.encode_jpeg(f, quality=95, colorspace="RGB", colorsubsampling="422") for f in frames]
    encoded[2] = encoded[2][:200] + b"\x00" * 10 + b"\xff\xd9"  # header kept, entropy data cut short
    path = save(jpeg_loop(frames, encoded=encoded), tmp_path / "corrupt.dcm")
    with Loop.open(path) as loop:
        with pytest.raises(CorruptImageError, match=r"corrupt\.dcm: frame 3 of 5 does not decode"):
            loop.frame(2)
        with pytest.raises(CorruptImageError, match="frame 3 of 5"):
            loop.request(2).result(timeout=30)
        assert [bar_column(loop.frame(k)) for k in (0, 1, 3, 4)] == [4, 6, 10, 12]


def test_a_truncated_loop_serves_the_frames_it_holds(tmp_path: Path) -> None:
    full = save(jpeg_loop(bar_frames(6)), tmp_path / "full.dcm")
    data = full.read_bytes()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[:len(data) * 2 // 3])
    with Loop.open(cut) as loop:
        assert loop.n_frames == 6
        assert any("frames are missing" in w for w in loop.warnings)
        assert bar_column(loop.frame(0)) == 4
        with pytest.raises(CorruptImageError, match=r"cut\.dcm: frame 6 of 6"):
            loop.frame(5)


def test_native_pixel_data_declared_shorter_than_the_header_says_is_a_lying_header(tmp_path: Path) -> None:
    # A writer that stored 2.x frames under NumberOfFrames 4: the element's own length contradicts the
    # header (not a cut file), so the header lies and the file is refused naming the attribute.
    ds = native_loop(bar_frames(4))
    ds.PixelData = ds.PixelData[: 48 * 64 * 3 * 2 + 100]  # two whole frames and a bit of the third
    path = save(ds, tmp_path / "short.dcm")
    with pytest.raises(GeometryError, match=r"short\.dcm: NumberOfFrames \(0028,0008\).* 36864 bytes.* 18532 bytes"):
        Loop.open(path)


def test_a_native_file_cut_short_serves_the_frames_it_holds(tmp_path: Path) -> None:
    # A transfer cut short: the Pixel Data element still declares 4 frames (48*64*3*4 = 36864 bytes).
    full = save(native_loop(bar_frames(4)), tmp_path / "full.dcm")
    data = full.read_bytes()
    path = tmp_path / "short.dcm"
    path.write_bytes(data[:len(data) - 36864 + 48 * 64 * 3 * 2 + 100])
    with Loop.open(path) as loop:
        assert [bar_column(loop.frame(k)) for k in (0, 1)] == [4, 6]
        for k in (2, 3):
            with pytest.raises(CorruptImageError, match=rf"short\.dcm: frame {k + 1} of 4 is missing"):
                loop.frame(k)


def test_a_text_file_named_dcm_is_not_dicom(tmp_path: Path) -> None:
    path = tmp_path / "notes.dcm"
    path.write_text("Patient seen in clinic.\n" * 20)
    for action in (read_info, Loop.open):
        with pytest.raises(NotDicomError, match=r"notes\.dcm: is not a DICOM file"):
            action(path)


def test_missing_transfer_syntax(tmp_path: Path) -> None:
    ds = jpeg_loop(bar_frames(2))
    del ds.file_meta.TransferSyntaxUID
    path = tmp_path / "nots.dcm"
    ds.save_as(path, enforce_file_format=False)
    with pytest.raises(UnsupportedImageError, match=r"nots\.dcm: has no Transfer Syntax UID"):
        Loop.open(path)


def test_unsupported_codec(tmp_path: Path) -> None:
    ds = jpeg_loop(bar_frames(2))
    ds.file_meta.TransferSyntaxUID = MPEG2MPML
    path = save(ds, tmp_path / "video.dcm")
    assert read_info(path).transfer_syntax_uid == MPEG2MPML  # the header is fine
    with pytest.raises(UnsupportedImageError, match=r"video\.dcm: transfer syntax .*MPEG2.* has no decoder"):
        Loop.open(path)


def test_a_header_cut_short_is_corrupt(tmp_path: Path, bar_loop: Path) -> None:
    path = tmp_path / "stub.dcm"
    path.write_bytes(bar_loop.read_bytes()[:300])
    with pytest.raises(ImagingError, match=r"stub\.dcm"):
        Loop.open(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImagingError, match="file not found"):
        read_info(tmp_path / "nope.dcm")
    with pytest.raises(ImagingError, match="is a folder"):
        read_info(tmp_path)


@pytest.mark.parametrize("photometric", ["MONOCHROME2", "MONOCHROME1"])
def test_grey_jpeg_loop_on_the_fast_path(tmp_path: Path, photometric: str) -> None:
    grey = [f[..., :1].copy() for f in bar_frames(3)]  # bar 220 on background 40
    encoded = [simplejpeg.encode_jpeg(g, quality=95, colorspace="GRAY") for g in grey]
    ds = jpeg_loop(bar_frames(3), encoded=encoded)
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
    del ds.PlanarConfiguration
    path = save(ds, tmp_path / "grey.dcm")
    with Loop.open(path) as loop:
        assert not loop.info.is_color
        frame = loop.request(1).result(timeout=30)
        assert frame.shape == (48, 64) and frame.dtype == np.uint8
        background = int(frame[0, 40])
        # MONOCHROME1 shows low values bright: 255 - 40 = 215
        assert abs(background - (215 if photometric == "MONOCHROME1" else 40)) <= 3


@pytest.mark.parametrize("has_bot", [True, False])
def test_frames_split_over_several_fragments(tmp_path: Path, has_bot: bool) -> None:
    frames = bar_frames(4)
    encoded = [simplejpeg.encode_jpeg(f, quality=95, colorspace="RGB", colorsubsampling="422") for f in frames]
    ds = jpeg_loop(frames, encoded=encoded)
    ds.PixelData = encapsulate(encoded, fragments_per_frame=3, has_bot=has_bot)
    path = save(ds, tmp_path / "fragments.dcm")
    with Loop.open(path) as loop:
        assert [bar_column(loop.frame(k)) for k in range(4)] == [4, 6, 8, 10]


def test_many_threads_asking_for_the_same_frames_get_one_decode_each(bar_loop: Path) -> None:
    cache = FrameCache()
    with Loop.open(bar_loop, cache=cache) as loop:
        with ThreadPoolExecutor(max_workers=8) as askers:
            results = list(askers.map(lambda k: loop.request(k % 5).result(timeout=30), range(40)))
        assert len(cache) == 5
        assert all(results[k] is loop.frame(k % 5) for k in range(40))


def test_a_file_without_pixel_data_cannot_open(tmp_path: Path, bar_loop: Path) -> None:
    from pydicom import dcmread

    ds = dcmread(bar_loop)
    del ds.PixelData
    path = save(ds, tmp_path / "nopixels.dcm")
    assert read_info(path).n_frames == 10  # the header alone is fine for the index
    with pytest.raises(CorruptImageError, match=r"nopixels\.dcm: has no Pixel Data"):
        Loop.open(path)


def test_a_damaged_first_frame_does_not_send_the_loop_off_the_fast_path(tmp_path: Path) -> None:
    frames = bar_frames(3)
    encoded = [simplejpeg.encode_jpeg(f, quality=95, colorspace="RGB", colorsubsampling="422") for f in frames]
    encoded[0] = b"\x00" * 64  # no JPEG markers at all
    path = save(jpeg_loop(frames, encoded=encoded), tmp_path / "first.dcm")
    with Loop.open(path) as loop:
        with pytest.raises(CorruptImageError, match="frame 1 of 3"):
            loop.frame(0)
        assert bar_column(loop.frame(1)) == 6
        assert loop._decoder._jpeg_mode == "RGB"  # decided by frame 2, not by the damaged frame 1


def test_deflated_native_loop(tmp_path: Path) -> None:
    from pydicom.uid import DeflatedExplicitVRLittleEndian

    ds = native_loop(bar_frames(3))
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    path = tmp_path / "deflated.dcm"
    ds.save_as(path, enforce_file_format=True)
    with Loop.open(path) as loop:
        assert [bar_column(loop.frame(k)) for k in range(3)] == [4, 6, 8]
        np.testing.assert_array_equal(loop.frame(0), bar_frames(1)[0])  # lossless: exact


def test_showing_frame_1_decodes_frame_1_only(tmp_path: Path) -> None:
    frames = bar_frames(8)
    encoded = [simplejpeg.encode_jpeg(frames[0], quality=95, colorspace="RGB", colorsubsampling="422")]
    encoded += [b"\xff\xd8 not a decodable frame \xff\xd9"] * 7  # any decode of these would fail
    cache = FrameCache()
    with Loop.open(save(jpeg_loop(frames, encoded=encoded), tmp_path / "lazy.dcm"), cache=cache) as loop:
        assert bar_column(loop.frame(0)) == 4
        assert len(cache) == 1
