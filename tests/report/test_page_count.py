"""The preview shows as many pages as the exported PDF has (it said one page fewer: it left the key images out,
and it did not follow the anonymise switch, which drops key images and adds a banner)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from gui.panels.report_preview import prepare
from report.export import export_report
from report.pdf import PageSpec, render_pages, write_pdf

from .conftest import sample_report
from .demo_outputs import write_demo


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo(tmp_path_factory.mktemp("pages"))


@pytest.mark.parametrize(("paper", "anonymise"), [("A4", False), ("Letter", True)])
def test_preview_page_count_is_the_exported_pdfs(demo_case: Path, tmp_path: Path, paper: str,
                                                 anonymise: bool) -> None:
    prepared = prepare(demo_case, paper, anonymise=anonymise)
    result = export_report(prepared.report, prepared.sources, tmp_path / "out", anonymise=anonymise, paper=paper)
    assert result.pdf is not None
    pages = PdfReader(result.pdf).pages
    assert len(prepared.pages) == len(pages)
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    # the demo loops do not declare BurnedInAnnotation NO: anonymised, their key images are kept masked
    # outside the ultrasound regions (report.mask), so both PDFs show them
    assert "6. Key images" in text


def test_rendered_pages_are_the_written_pdfs_with_key_images(study: dict[str, object], tmp_path: Path) -> None:
    """Key images given as pictures (no PNG written yet) are laid out in both, at any preview resolution."""
    from PySide6.QtGui import QColor, QImage

    report = sample_report(study)
    picture = QImage(640, 480, QImage.Format.Format_RGB32)
    picture.fill(QColor("#404040"))
    pictures = {k.id: picture for k in report.key_images}
    for paper in ("A4", "Letter"):
        path = write_pdf(report, tmp_path / f"{paper}.pdf", PageSpec(paper), pictures)
        written = len(PdfReader(path).pages)
        for dpi in (48, 96, 150):
            assert len(render_pages(report, PageSpec(paper), dpi, pictures)) == written, (paper, dpi)
