#!/bin/sh
# Render the pages of the demo planning report into docs/report-<n>.png (referenced from README.md).
# Usage: tools/report-docs.sh   (needs the venv from 'make venv' and pdftoppm from poppler-utils)
set -e
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
QT_QPA_PLATFORM=offscreen .venv/bin/mitraplan demo --headless --out "$tmp" >/dev/null
rm -f docs/report-*.png
mkdir -p docs
pdftoppm -png -r 60 "$tmp/report/report.pdf" docs/report
# 64-colour palette: a third of the size, still readable
.venv/bin/python -c "import sys; from PIL import Image; [Image.open(p).convert('RGB').quantize(64).save(p, optimize=True) for p in sys.argv[1:]]" docs/report-*.png
ls docs/report-*.png
