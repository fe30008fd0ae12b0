"""Key-image encodings: the Secondary Capture is JPEG-LS lossless and decodes back bit-exact (by the
encoder's own library and by GDCM, as a PACS viewer would), dciodvfy-clean; the PNG is lossless too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import pixel_array
from PySide6.QtGui import QImage

from report import keyimages
from report.export import frame_loader

from .conftest import sources_of

JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80"  # PS3.5 Table A-1


@pytest.fixture
def rendered(report, study):
    """The sample report's key images, rendered over the stand-in loops (grey fan + yellow marks)."""
    sources = sources_of(study)
    return report, sources, keyimages.render_all(report, frame_loader(sources))


def _write_sc(report, sources, rendered, tmp_path: Path) -> tuple[Path, np.ndarray]:
    key = report.key_images[0]
    image = rendered[key.id][0]
    sc = keyimages.secondary_capture(sources.headers[key.sop_instance_uid], image, key, pydicom.uid.generate_uid(),
                                     1, "0.2.0", report.header)
    path = tmp_path / "key.dcm"
    sc.save_as(path, enforce_file_format=True)
    return path, keyimages.qimage_to_array(image)


def test_secondary_capture_is_jpeg_ls_lossless_and_decodes_bit_exact(rendered, tmp_path: Path) -> None:
    path, want = _write_sc(*rendered, tmp_path)
    ds = pydicom.dcmread(path)
    assert ds.file_meta.TransferSyntaxUID == JPEG_LS_LOSSLESS
    assert ds.get("LossyImageCompression", "00") == "00"  # lossless: nothing to declare
    assert (ds.Rows, ds.Columns, ds.SamplesPerPixel) == (120, 160, 3)  # the stand-in frame, native size
    encoded = pydicom.encaps.get_frame(ds.PixelData, 0, number_of_frames=1)
    assert len(encoded) < 120 * 160 * 3  # smaller than the 57 600 bytes of uncompressed RGB
    for plugin in ("pyjpegls", "gdcm"):  # the encoder's library and an independent decoder
        assert np.array_equal(pixel_array(path, decoding_plugin=plugin), want), plugin
    assert ((want[..., 0].astype(int) - want[..., 2]) > 100).sum() > 20  # the yellow marks are in it


def test_compressed_secondary_capture_passes_dciodvfy(rendered, tmp_path: Path) -> None:
    from .test_outputs import dciodvfy_errors

    path, _ = _write_sc(*rendered, tmp_path)
    assert dciodvfy_errors(path) == []


def test_png_key_image_is_lossless_at_the_faster_level(rendered, tmp_path: Path) -> None:
    report, _, images = rendered
    out = keyimages.write_pngs(report, images, tmp_path)
    for key in out.key_images:
        back = QImage(key.png)
        assert not back.isNull()
        assert np.array_equal(keyimages.qimage_to_array(back), keyimages.qimage_to_array(images[key.id][1]))
