"""The report as versioned JSON (machines), validated against ``report/schema/report.schema.json``."""

from __future__ import annotations

import json
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Any

from report.context_section import context_rows
from report.model import CONTEXT_LABELS, REPORT_FORMAT, REPORT_VERSION, Report


def report_to_json(report: Report) -> dict[str, Any]:
    """The report as a JSON-ready dict (same content as the PDF); an MPR key image says its plane
    (``report.plane_words``, relative to its volume's aligned annulus when the case holds one)."""
    from report.keyimages import key_image_planes  # it paints with QtGui; report.json alone needs none of that

    header = asdict(report.header)
    planes = key_image_planes(report, report.valves)
    return {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "header": header,
        "devices": [asdict(d) for d in report.devices],
        "jets": [{**asdict(j), "devices": list(j.devices)} for j in report.jets],
        "leaflets": {
            "tear_or_perforation": report.leaflets.tear_or_perforation,
            "notes": report.leaflets.notes,
            "segments": [asdict(s) for s in report.leaflets.segments],
            "spaces": [asdict(s) for s in report.leaflets.spaces],
            "mac": report.leaflets.mac,
        },
        "measurements": [
            {"id": m.id, "label": m.label, "quantity": m.quantity, "value": m.value, "unit": m.unit,
             "shown": m.text, "method": m.method, "source": list(m.source),
             "grades": [asdict(g) for g in m.grades], "warnings": list(m.warnings),
             "beat": m.beat, "beats": m.beats, "sd": m.sd}
            for m in report.measurements
        ],
        "selected": dict(report.selected_ids),
        "assessment": report.assessment.as_json(),
        "key_images": [
            {"id": k.id, "sop_instance_uid": k.sop_instance_uid, "frame_number": k.frame_number,
             "label": k.label, "marks": list(k.mark_ids), "png": k.png,
             **({"plane": planes[k.id].to_json()} if k.id in planes else {})}
            for k in report.key_images
        ],
        "marks": [
            {"id": m.id, "type": m.type, "label": m.label, "sop_instance_uid": m.sop_instance_uid,
             "frame_number": m.frame_number, "region": m.region, "points": [list(p) for p in m.points],
             "purpose": m.purpose, **({"points3d": [list(p) for p in m.points3d]} if m.points3d else {})}
            for m in report.marks
        ],
        "context": {k: v for k, v in report.context.items() if k in CONTEXT_LABELS},
        **({"context_non_teer": rows} if (rows := [r.as_json() for r in context_rows(report.context)]) else {}),
        "notes": report.notes,
        "errors": list(report.errors),
        **({"comparison": report.comparison} if report.comparison is not None else {}),
        **({"reporting": report.reporting} if report.reporting is not None else {}),
    }


def schema() -> dict[str, Any]:
    """The JSON Schema of the report (draft 2020-12)."""
    text = resources.files("report").joinpath("schema/report.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def validate(document: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` when ``document`` does not match the schema."""
    import jsonschema

    jsonschema.Draft202012Validator(schema()).validate(document)


def write_json(report: Report, path: Path) -> Path:
    """Write the validated report JSON (UTF-8, indented) to ``path``."""
    document = report_to_json(report)
    validate(document)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
