#!/bin/sh
# Render the pages of the demo planning report into docs/report-<n>.png (referenced from README.md):
# page 1 is the heart-team summary. The demo is written with its synthetic prior study (`demo --with-prior`:
# the index TEER's final result, 2025-06-10: one clip, the vena contracta 0.25 cm, MR mild, 60 bpm) and the
# case is given a signed report, so the pages show the comparison and the sign-off block.
# Usage: tools/report-docs.sh   (needs the venv from 'make venv', or VENV=path, and pdftoppm from poppler-utils)
set -e
cd "$(dirname "$0")/.."
venv=${VENV:-.venv}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"  # this checkout, whichever venv runs it
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
QT_QPA_PLATFORM=offscreen "$venv/bin/mitraplan" demo --headless --with-prior --out "$tmp" >/dev/null
"$venv/bin/python" - "$tmp/demo.mitraplan.json" <<'EOF'
import json, sys
from pathlib import Path

from planning.case import load_case
from planning.document import CaseDocument

current = Path(sys.argv[1])
case = json.loads(current.read_text(encoding="utf-8"))
case["report"] = {"reader": "Dr Dana Reader", "operator": "Dr Omar Operator",
                  "impression": "Residual MR worse than after the index TEER (moderate, was mild): a second clip"
                                " since, a wider lateral jet; iatrogenic stenosis.",
                  "recommendation": "Heart-team discussion; CT for ELASTA-Clip + TMVR."}
current.write_text(json.dumps(case, indent=2), encoding="utf-8")
doc = CaseDocument(load_case(current))
doc.save()
doc.sign_off("Dr Dana Reader", at="2026-01-16T09:30:00+00:00")
EOF
rm -rf "$tmp/report"
QT_QPA_PLATFORM=offscreen "$venv/bin/mitraplan" report "$tmp/demo.mitraplan.json" --out "$tmp/report" >/dev/null
rm -f docs/report-*.png
mkdir -p docs
pdftoppm -png -r 60 "$tmp/report/report.pdf" docs/report
pdftoppm -png -r 110 -singlefile "$tmp/report/summary.pdf" docs/report-summary
# 64-colour palette: a third of the size, still readable
"$venv/bin/python" -c "import sys; from PIL import Image; [Image.open(p).convert('RGB').quantize(64).save(p, optimize=True) for p in sys.argv[1:]]" docs/report-*.png
ls docs/report-*.png
