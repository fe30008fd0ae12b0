"""JPEG XL loops (.4.110 lossless, .4.111 JPEG recompression, .4.112 lossy), and the other lossy syntaxes.

The files imitate a GE Vivid E95 cine loop as some archives hold it after transcoding to JPEG XL:
a US Multi-frame Image, one JPEG XL codestream per frame (PS3.5 A.4, encapsulated), frames from the
phantom's commissural view (speckle, leaflets, clips). Frames are encoded here with imagecodecs (the
library MitraPlan decodes with) and must come back equal to the encoder's input: bit-exact when
lossless, within the codec's tolerance when lossy.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import imagecodecs
import numpy as np
import pytest
import simplejpeg
from pydicom.encaps import encapsulate
from pydicom.pixels import convert_color_space
from pydicom.uid import JPEG2000, UID, JPEGLSNearLossless

from demo.phantom import write_cine_loop
from imaging import decode
from imaging.cache import FrameCache
from imaging.errors import UnsupportedImageError
from imaging.jpegxl import JPEGXL, JPEGXL_JPEG_RECOMPRESSION, JPEGXL_LOSSLESS
from imaging.loop import Loop
from tests.imaging.conftest import jpeg_loop, save

N_FRAMES = 3


@pytest.fixture(scope="module")
def echo_frames(tmp_path_factory: pytest.TempPathFactory) -> list[np.ndarray]:
    """Three 800x600 RGB frames of the phantom's commissural loop (a real-looking echo sector)."""
    path = write_cine_loop(tmp_path_factory.mktemp("jxl") / "cine.dcm", n_frames=N_FRAMES)
    with Loop.open(path, cache=FrameCache()) as loop:
        return [np.array(loop.frame(k)) for k in range(N_FRAMES)]


def _wrap(encoded: Sequence[bytes], shape: tuple[int, ...], ts: str, photometric: str, bits: int = 8) -> object:
    """An encapsulated US multi-frame dataset holding ``encoded`` frames under transfer syntax ``ts``."""
    rgb = np.zeros((shape[0], shape[1], 3), np.uint8)
    ds = jpeg_loop([rgb] * len(encoded), encoded=[b"\xff\xd8\xff\xd9"] * len(encoded))
    ds.file_meta.TransferSyntaxUID = UID(ts)
    ds.SamplesPerPixel = 1 if len(shape) == 2 else 3
    if ds.SamplesPerPixel == 1:
        del ds.PlanarConfiguration
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = 8 if bits <= 8 else 16
    ds.BitsStored, ds.HighBit = bits, bits - 1
    ds.PixelData = encapsulate(list(encoded))
    ds["PixelData"].is_undefined_length = True
    return ds


def _frames(path: Path) -> list[np.ndarray]:
    with Loop.open(path, cache=FrameCache()) as loop:
        return [np.array(loop.frame(k)) for k in range(loop.n_frames)]


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0 ** 2 / mse) if mse else float("inf")


def test_the_decoder_is_there() -> None:
    assert imagecodecs.JPEGXL.available


def test_lossless_rgb_is_bit_exact(echo_frames, tmp_path) -> None:
    encoded = [imagecodecs.jpegxl_encode(f, lossless=True, effort=1) for f in echo_frames]
    path = save(_wrap(encoded, echo_frames[0].shape, JPEGXL_LOSSLESS, "RGB"), tmp_path / "jxl_rgb.dcm")
    for got, sent in zip(_frames(path), echo_frames, strict=True):
        np.testing.assert_array_equal(got, sent)


def test_lossless_grey_is_bit_exact(echo_frames, tmp_path) -> None:
    greys = [np.ascontiguousarray(f[..., 0]) for f in echo_frames]
    encoded = [imagecodecs.jpegxl_encode(g, lossless=True, effort=1) for g in greys]
    path = save(_wrap(encoded, greys[0].shape, JPEGXL_LOSSLESS, "MONOCHROME2"), tmp_path / "jxl_grey.dcm")
    for got, sent in zip(_frames(path), greys, strict=True):
        assert got.shape == sent.shape
        np.testing.assert_array_equal(got, sent)


def test_lossless_twelve_bit_grey_keeps_its_top_eight_bits(tmp_path) -> None:
    # 12-bit samples 0..4095 display as value >> 4 (the same scaling as every other 12-bit syntax)
    ramp = (np.arange(64 * 48).reshape(48, 64) * 4095 // (64 * 48 - 1)).astype(np.uint16)
    encoded = [imagecodecs.jpegxl_encode(ramp, lossless=True, bitspersample=12, effort=1)]
    path = save(_wrap(encoded, ramp.shape, JPEGXL_LOSSLESS, "MONOCHROME2", bits=12), tmp_path / "jxl12.dcm")
    (got,) = _frames(path)
    np.testing.assert_array_equal(got, (ramp >> 4).astype(np.uint8))
    assert got[0, 0] == 0 and got[-1, -1] == 4095 >> 4 == 255


def test_ybr_full_is_converted_to_rgb_as_declared(echo_frames, tmp_path) -> None:
    # the codestream holds Y, Cb, Cr as plain channels; the display shows pydicom's YBR_FULL -> RGB of them
    ybr = [convert_color_space(f, "RGB", "YBR_FULL") for f in echo_frames]
    encoded = [imagecodecs.jpegxl_encode(y, lossless=True, effort=1) for y in ybr]
    path = save(_wrap(encoded, ybr[0].shape, JPEGXL_LOSSLESS, "YBR_FULL"), tmp_path / "jxl_ybr.dcm")
    for got, y, sent in zip(_frames(path), ybr, echo_frames, strict=True):
        np.testing.assert_array_equal(got, convert_color_space(y, "YBR_FULL", "RGB"))
        assert np.abs(got.astype(int) - sent).max() <= 3  # and that is the original RGB, to rounding


def test_lossy_jpegxl_is_within_tolerance(echo_frames, tmp_path) -> None:
    encoded = [imagecodecs.jpegxl_encode(f, distance=1.0, effort=3) for f in echo_frames]
    path = save(_wrap(encoded, echo_frames[0].shape, JPEGXL, "RGB"), tmp_path / "jxl_lossy.dcm")
    for got, sent in zip(_frames(path), echo_frames, strict=True):
        assert got.shape == sent.shape and got.dtype == np.uint8
        assert _psnr(got, sent) > 36.0  # distance 1.0 is "visually lossless"
        assert np.mean(np.abs(got.astype(int) - sent)) < 2.0


def test_jpeg_recompression_gives_the_jpegs_pixels(echo_frames, tmp_path) -> None:
    # a YBR_FULL_422 JPEG baseline loop repacked losslessly as JPEG XL: libjxl rebuilds the JPEG's colours
    jpegs = [simplejpeg.encode_jpeg(f, quality=92, colorspace="RGB", colorsubsampling="422") for f in echo_frames]
    encoded = [imagecodecs.jpegxl_encode_jpeg(j) for j in jpegs]
    assert all(imagecodecs.jpegxl_decode_jpeg(e) == j for e, j in zip(encoded, jpegs, strict=True))
    path = save(_wrap(encoded, echo_frames[0].shape, JPEGXL_JPEG_RECOMPRESSION, "YBR_FULL_422"),
                tmp_path / "jxl_jpeg.dcm")
    for got, jpeg in zip(_frames(path), jpegs, strict=True):
        # libjxl and libjpeg-turbo upsample the 4:2:2 chroma with slightly different filters
        assert np.abs(got.astype(int) - simplejpeg.decode_jpeg(jpeg, colorspace="RGB")).max() <= 6


def test_frames_decode_one_at_a_time(echo_frames, tmp_path) -> None:
    encoded = [imagecodecs.jpegxl_encode(f, lossless=True, effort=1) for f in echo_frames]
    encoded[1] = encoded[1][:50]  # a damaged middle frame
    path = save(_wrap(encoded, echo_frames[0].shape, JPEGXL_LOSSLESS, "RGB"), tmp_path / "damaged.dcm")
    with Loop.open(path, cache=FrameCache()) as loop:
        np.testing.assert_array_equal(loop.frame(2), echo_frames[2])
        with pytest.raises(Exception, match=r"damaged\.dcm: frame 2 of 3 does not decode"):
            loop.frame(1)
        np.testing.assert_array_equal(loop.frame(0), echo_frames[0])


def test_without_the_decoder_the_message_names_it(echo_frames, tmp_path, monkeypatch) -> None:
    encoded = [imagecodecs.jpegxl_encode(echo_frames[0], lossless=True, effort=1)]
    path = save(_wrap(encoded, echo_frames[0].shape, JPEGXL_LOSSLESS, "RGB"), tmp_path / "jxl.dcm")
    monkeypatch.setattr(decode, "jpegxl_available", lambda: False)
    with pytest.raises(UnsupportedImageError, match=r"jxl\.dcm: .*JPEG XL Lossless.*imagecodecs"):
        Loop.open(path)


# --- the other lossy syntaxes stay covered -------------------------------------------------------

def test_jpeg_ls_near_lossless_errs_at_most_near(echo_frames, tmp_path) -> None:
    # JPEG-LS near-lossless guarantees |decoded - original| <= NEAR for every sample (ISO 14495-1)
    near = 3
    greys = [np.ascontiguousarray(f[..., 1]) for f in echo_frames]
    encoded = [imagecodecs.jpegls_encode(g, level=near) for g in greys]
    path = save(_wrap(encoded, greys[0].shape, JPEGLSNearLossless, "MONOCHROME2"), tmp_path / "jls.dcm")
    for got, sent in zip(_frames(path), greys, strict=True):
        diff = np.abs(got.astype(int) - sent)
        assert diff.max() <= near and diff.max() > 0  # lossy, but never past NEAR


def test_lossy_jpeg_2000_is_within_tolerance(echo_frames, tmp_path) -> None:
    greys = [np.ascontiguousarray(f[..., 1]) for f in echo_frames]
    encoded = [imagecodecs.jpeg2k_encode(g, level=40, codecformat="J2K", reversible=False) for g in greys]
    path = save(_wrap(encoded, greys[0].shape, JPEG2000, "MONOCHROME2"), tmp_path / "j2k.dcm")
    for got, sent in zip(_frames(path), greys, strict=True):
        assert not np.array_equal(got, sent)  # really lossy
        assert _psnr(got, sent) > 36.0  # level=40 asks for a 40 dB PSNR


def test_version_lists_the_jpegxl_decoder() -> None:
    from gui.versions import version_text

    lines = version_text().splitlines()
    for name in ("JPEG XL Lossless", "JPEG XL JPEG Recompression", "JPEG XL"):
        assert any(line.startswith(f"  {name}: imagecodecs (libjxl ") for line in lines), name
    assert any(line.split()[:1] == ["imagecodecs"] and "not installed" not in line and "JPEG XL" in line
               for line in lines)


def test_lossless_palette_colour_goes_through_its_lut(echo_frames, tmp_path) -> None:
    # 16-bit LUT entries v * 257 (v = i, 255 - i, i // 2 for index i) are shown >> 8: (v * 257) >> 8 = v
    indices = np.ascontiguousarray(echo_frames[0][..., 0])
    encoded = [imagecodecs.jpegxl_encode(indices, lossless=True, effort=1)]
    ds = _wrap(encoded, indices.shape, JPEGXL_LOSSLESS, "PALETTE COLOR")
    i = np.arange(256, dtype=np.uint16)
    for colour, values in (("Red", i), ("Green", 255 - i), ("Blue", i // 2)):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [256, 0, 16])
        setattr(ds, f"{colour}PaletteColorLookupTableData", (values * 257).astype("<u2").tobytes())
    (got,) = _frames(save(ds, tmp_path / "jxl_palette.dcm"))
    np.testing.assert_array_equal(got, np.stack([indices, 255 - indices, indices // 2], axis=-1))


def test_lossless_monochrome1_is_shown_inverted(echo_frames, tmp_path) -> None:
    grey = np.ascontiguousarray(echo_frames[0][..., 0])
    encoded = [imagecodecs.jpegxl_encode(grey, lossless=True, effort=1)]
    (got,) = _frames(save(_wrap(encoded, grey.shape, JPEGXL_LOSSLESS, "MONOCHROME1"), tmp_path / "jxl_m1.dcm"))
    np.testing.assert_array_equal(got, 255 - grey)
