"""The case file: load/save contract, refusals that name the file, atomic save, image lookup, recompute."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from planning.case import (
    CASE_VERSION,
    CaseError,
    autosave,
    autosave_path,
    load_case,
    measure_case,
    resolve_image,
    save_case,
)
from tests.measurements.factories import region_item, write_us_image

SOP_2D, SOP_CW = "1.2.826.0.1.3680043.99.2", "1.2.826.0.1.3680043.99.3"


def _doc(**over) -> dict:
    doc = {
        "format": "mitraplan-case", "version": 1,
        "study": {"study_instance_uid": "1.2.3", "patient_name": "Test^Case", "patient_id": "T1",
                  "study_date": "20260101"},
        "images": [{"sop_instance_uid": SOP_2D, "path": "loops/IM_2D.dcm"}],
        "marks": [{"id": "m1", "type": "distance", "label": "P2 residual leaflet length", "sop_instance_uid": SOP_2D,
                   "frame_number": 1, "region": 0, "points": [[10.5, 10.5], [40.5, 50.5]]}],
        "calculations": [], "devices": [{"id": "d1", "kind": "MitraClip", "model": "G4 XTW", "segment": "A2-P2",
                                          "attachment": "stable"}],
        "jets": [], "leaflets": {"tear_or_perforation": False}, "notes": "n",
    }
    doc.update(over)
    return doc


def _write(tmp_path: Path, doc, name: str = "case.mitraplan.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def test_round_trip_keeps_every_key_including_unknown_ones(tmp_path: Path) -> None:
    doc = _doc(future_field={"x": 1})
    doc["marks"][0]["operator"] = "dr x"
    path = _write(tmp_path, doc)
    case = load_case(path)
    assert case.marks[0].points == ((10.5, 10.5), (40.5, 50.5)) and case.extra == {"future_field": {"x": 1}}
    out = tmp_path / "copy.mitraplan.json"
    save_case(case, out)
    assert json.loads(out.read_text(encoding="utf-8")) == doc


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not JSON"),
    ("[1, 2]", "top level is not a JSON object"),
    (json.dumps({"format": "other", "version": 1}), "'format' is 'other'"),
    (json.dumps(_doc(version=CASE_VERSION + 1)), "newer MitraPlan"),
    (json.dumps(_doc(version="1")), "positive integer"),
    (json.dumps(_doc(marks="x")), "'marks' must be a JSON list"),
    (json.dumps(_doc(notes=3)), "'notes' must be a JSON string"),
])
def test_bad_files_are_refused_naming_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(CaseError, match=message) as info:
        load_case(path)
    assert str(path.name) in str(info.value)


def test_missing_file_and_non_utf8_are_named(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="no such case file"):
        load_case(tmp_path / "nope.mitraplan.json")
    bad = tmp_path / "bin.mitraplan.json"
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CaseError, match="not UTF-8"):
        load_case(bad)


def test_bad_mark_names_the_mark_or_is_set_aside_leniently(tmp_path: Path) -> None:
    doc = _doc()
    doc["marks"].append({"id": "m2", "type": "distance", "sop_instance_uid": SOP_2D, "frame_number": 0,
                         "region": 0, "points": [[1, 1], [2, 2]]})
    path = _write(tmp_path, doc)
    with pytest.raises(CaseError, match="mark 'm2': frame_number is 1-based"):
        load_case(path)
    case = load_case(path, lenient=True)
    assert [m.id for m in case.marks] == ["m1"] and case.load_errors[0][0] == "m2"
    save_case(case)  # the rejected mark is written back verbatim, never lost
    assert json.loads(path.read_text(encoding="utf-8"))["marks"] == doc["marks"]


def test_duplicate_mark_ids_are_refused(tmp_path: Path) -> None:
    doc = _doc()
    doc["marks"].append(dict(doc["marks"][0]))
    with pytest.raises(CaseError, match="mark 'm1': duplicate id"):
        load_case(_write(tmp_path, doc))


def test_save_is_atomic_and_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, _doc())
    case = load_case(path)
    before = path.read_text(encoding="utf-8")
    case.notes = "changed"

    def fail_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail_replace)
    with pytest.raises(CaseError, match="No space left"):
        save_case(case)
    assert path.read_text(encoding="utf-8") == before  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temp file left behind
    monkeypatch.undo()
    save_case(case)
    assert load_case(path).notes == "changed"


def test_autosave_side_file(tmp_path: Path) -> None:
    path = _write(tmp_path, _doc())
    assert autosave_path(path) == tmp_path / "case.mitraplan.json.autosave"
    case = load_case(path)
    case.notes = "draft"
    side = autosave(case)
    assert side == autosave_path(path) and json.loads(side.read_text(encoding="utf-8"))["notes"] == "draft"
    assert load_case(path).notes == "n"


def test_save_as_elsewhere_keeps_relative_image_paths_valid(tmp_path: Path) -> None:
    (tmp_path / "loops").mkdir()
    image = write_us_image(tmp_path / "loops" / "IM_2D.dcm", SOP_2D, [])
    case = load_case(_write(tmp_path, _doc()))
    (tmp_path / "sub").mkdir()
    save_case(case, tmp_path / "sub" / "moved.mitraplan.json")
    moved = load_case(tmp_path / "sub" / "moved.mitraplan.json")
    assert moved.images[0]["path"] == "../loops/IM_2D.dcm"
    assert resolve_image(moved, SOP_2D, None) == (tmp_path / "sub" / ".." / "loops" / "IM_2D.dcm")
    assert resolve_image(moved, SOP_2D, None).resolve() == image.resolve()


def test_resolve_image_falls_back_to_the_open_study_by_sop_uid(tmp_path: Path) -> None:
    case = load_case(_write(tmp_path, _doc()))  # loops/IM_2D.dcm does not exist here
    assert resolve_image(case, SOP_2D, None) is None
    found = tmp_path / "elsewhere.dcm"
    assert resolve_image(case, SOP_2D, {SOP_2D: found}) == found

    class Info:
        path = found

    class Index:  # the shape of imaging.catalog.StudyCatalog.find
        def find(self, sop: str):
            return Info() if sop == SOP_2D else None

    assert resolve_image(case, SOP_2D, Index()) == found
    assert resolve_image(case, "9.9", Index()) is None


def test_measure_case_recomputes_and_reports_every_bad_mark(tmp_path: Path) -> None:
    (tmp_path / "loops").mkdir()
    write_us_image(tmp_path / "loops" / "IM_2D.dcm", SOP_2D,
                   [region_item((0, 0, 399, 299), 1, 1, (3, 3), (0.02, 0.02))])
    doc = _doc()
    doc["images"].append({"sop_instance_uid": SOP_CW, "path": "loops/missing.dcm"})
    doc["marks"] += [
        {"id": "m2", "type": "distance", "label": "outside", "sop_instance_uid": SOP_2D, "frame_number": 1,
         "region": 0, "points": [[10.5, 10.5], [500.5, 10.5]]},
        {"id": "m3", "type": "point", "label": "peak", "sop_instance_uid": SOP_CW, "frame_number": 1,
         "region": 0, "points": [[10.5, 10.5]]},
    ]
    results, errors = measure_case(load_case(_write(tmp_path, doc)))
    assert [r.id for r in results] == ["m1.distance"]
    assert results[0].value == pytest.approx(1.0)  # 30-40-50 px at 0.02 cm/px
    messages = dict(errors)
    assert "mark 'm2'" in messages["m2"] and "outside every calibrated region" in messages["m2"]
    assert "'loops/missing.dcm' not found" in messages["m3"] and "case.mitraplan.json" in messages["m3"]



def test_a_save_removes_temp_files_left_by_a_killed_save_but_not_a_live_one(tmp_path: Path) -> None:
    path = _write(tmp_path, _doc())
    case = load_case(path)
    stale = tmp_path / f".{path.name}.dead1234.tmp"
    live = tmp_path / f".{path.name}.live5678.tmp"
    for leftover in (stale, live):
        leftover.write_text("{half a case")
    an_hour_ago = os.path.getmtime(path) - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    save_case(case, path)
    assert not stale.exists()
    assert live.exists()  # another save may still be writing it
    assert load_case(path).to_json() == case.to_json()
