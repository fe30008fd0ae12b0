"""Every section of docs/clinical-criteria.md that the code or the document itself cites by anchor exists (GitHub
heading anchors), and every grade carries such an anchor: the reports print these sources."""

from __future__ import annotations

import re
from pathlib import Path

from measurements import thresholds

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "clinical-criteria.md"
PACKAGES = ("imaging", "measurements", "planning", "report", "gui")


def _anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors() -> set[str]:
    return {_anchor(line.lstrip("#")) for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("#")}


def test_the_anchor_rule() -> None:
    assert _anchor("2.4 Mitral stenosis severity (EAE/ASE 2009)") == "24-mitral-stenosis-severity-eaease-2009"
    assert _anchor("8.5 CT context for clip laceration/excision + TMVR") == "85-ct-context-for-clip-lacerationexcision--tmvr"


def test_every_band_cites_an_existing_section() -> None:
    anchors = _anchors()
    for band in thresholds.BANDS:
        cited = re.findall(r"clinical-criteria\.md#([\w-]+)", band.source)
        assert cited and set(cited) <= anchors, (band.quantity, band.scheme, band.source)


def test_every_anchor_the_code_names_exists() -> None:
    anchors = _anchors()
    cited = {(path.relative_to(ROOT).as_posix(), a) for pkg in PACKAGES for path in (ROOT / pkg).rglob("*.py")
             for a in re.findall(r"(?:clinical-criteria\.md|\{CRITERIA_DOC\})#([\w-]+)", path.read_text(encoding="utf-8"))}
    assert cited, "the code cites sections by anchor (measurements/thresholds.py)"
    assert {(p, a) for p, a in cited if a not in anchors} == set()


def test_the_documents_own_links_resolve() -> None:
    links = set(re.findall(r"\]\(#([\w-]+)\)", DOC.read_text(encoding="utf-8")))
    assert links - _anchors() == set()
