"""Hostile case files (issue 17): every bound of docs/case-file.md "Limits" is refused quickly with a
message naming the case file and the item; dangling references, a wrong JSON type and a frame beyond its
loop are named instead of accepted silently. Each hostile text is built here, in the test."""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from gui.main import main
from planning import limits
from planning.case import CaseError, load_case, measure_case, parse_case

#: no single refusal may take longer than this (the issue: minutes and gigabytes before)
QUICK_S = 2.0


def _doc(**keys: Any) -> dict[str, Any]:
    return {"format": "mitraplan-case", "version": 1, **keys}


def _mark(mark_id: str, points: list[list[float]], frame: int = 1) -> dict[str, Any]:
    return {"id": mark_id, "type": "distance", "label": "VC", "sop_instance_uid": "1.2.3", "frame_number": frame,
            "region": 0, "points": points}


def _refused(tmp_path: Path, text: str) -> str:
    """The CaseError message of loading ``text`` as a case file, checked to be quick and to name the file."""
    path = tmp_path / "hostile.mitraplan.json"
    path.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(CaseError) as caught:
        load_case(path, lenient=True)
    assert time.perf_counter() - start < QUICK_S
    message = str(caught.value)
    assert "hostile.mitraplan.json" in message
    return message


def test_nesting_100000_deep_is_refused(tmp_path: Path) -> None:
    text = '{"format": "mitraplan-case", "version": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    message = _refused(tmp_path, text)
    assert "nested 100 001 deep" in message and f"limit of {limits.MAX_DEPTH}" in message


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path: Path) -> None:
    path = tmp_path / "ok.mitraplan.json"
    path.write_text(json.dumps(_doc(notes='[[[[ {"a": [[[ \\" ]]]' * 20)), encoding="utf-8")
    assert load_case(path).notes.startswith("[[[[")


def test_5000_digit_integer_is_refused(tmp_path: Path) -> None:
    text = '{"format": "mitraplan-case", "version": 1, "marks": [{"id": "m1", "frame_number": ' + "9" * 5000 + "}]}"
    message = _refused(tmp_path, text)
    assert "integer of 5 000 digits" in message and "limit of 18 digits" in message


def test_too_many_marks_is_refused(tmp_path: Path) -> None:
    marks = [_mark(f"m{i}", [[0, 0], [1, 1]]) for i in range(limits.MAX_MARKS + 1)]
    message = _refused(tmp_path, json.dumps(_doc(marks=marks)))
    assert "'marks' has 201 entries, more than the limit of 200" in message


def test_too_many_devices_is_refused(tmp_path: Path) -> None:
    devices = [{"id": f"d{i}"} for i in range(10_000)]
    assert "'devices' has 10 000 entries, more than the limit of 10" in _refused(tmp_path, json.dumps(_doc(devices=devices)))


def test_too_many_imported_values_are_refused(tmp_path: Path) -> None:
    imported = [{"id": f"imp{i}"} for i in range(limits.MAX_IMPORTED + 1)]
    assert "'imported' has 2 001 entries, more than the limit of 2 000" in _refused(
        tmp_path, json.dumps(_doc(imported=imported)))


def test_too_many_points_in_one_mark_is_refused(tmp_path: Path) -> None:
    trace = [[i % 800, 300] for i in range(limits.MAX_POINTS_PER_MARK + 1)]
    message = _refused(tmp_path, json.dumps(_doc(marks=[_mark("m1", [[0, 0], [1, 1]]), _mark("t7", trace)])))
    assert "marks[1] (mark 't7') has 20 001 points, more than the limit of 20 000 per mark" in message


def test_too_many_points_in_all_is_refused(tmp_path: Path) -> None:
    per = limits.MAX_POINTS_PER_MARK
    marks = [_mark(f"t{i}", [[0, 0]] * per) for i in range(limits.MAX_TOTAL_POINTS // per + 1)]
    assert "points in all, more than the limit of 100 000" in _refused(tmp_path, json.dumps(_doc(marks=marks)))


def test_notes_too_long_are_refused(tmp_path: Path) -> None:
    message = _refused(tmp_path, json.dumps(_doc(notes="x" * 10_000_000)))
    assert "notes: a text of 10 000 000 characters, more than the limit of 20 000" in message


def test_file_over_the_size_cap_is_refused_before_reading(tmp_path: Path) -> None:
    padding = " " * (limits.MAX_FILE_BYTES + 1)
    message = _refused(tmp_path, '{"format": "mitraplan-case", "version": 1}' + padding)
    assert "more than the limit of 16 777 216 bytes" in message


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    """A named pipe nobody writes to would block read_text forever (a hostile 'case file')."""
    fifo = tmp_path / "pipe.mitraplan.json"
    os.mkfifo(fifo)
    start = time.perf_counter()
    with pytest.raises(CaseError, match=re.escape("pipe.mitraplan.json: not a MitraPlan case file: a device, FIFO or socket")):
        load_case(fifo)
    assert time.perf_counter() - start < QUICK_S


def test_a_case_at_the_limits_opens(tmp_path: Path) -> None:
    """The limits refuse only what is over them: a case exactly at every count and length opens."""
    trace = {**_mark("t1", [[x, 300 + x % 7] for x in range(limits.MAX_POINTS_PER_MARK)]), "type": "doppler_trace"}
    marks = [_mark(f"m{i}", [[i % 800, 10], [i % 800, 40]]) for i in range(limits.MAX_MARKS - 1)] + [trace]
    path = tmp_path / "big.mitraplan.json"
    path.write_text(json.dumps(_doc(marks=marks, notes="n" * limits.MAX_TEXT_CHARS,
                                    devices=[{"id": f"d{i}"} for i in range(limits.MAX_DEVICES)])), encoding="utf-8")
    case = load_case(path)
    assert len(case.marks) == 200 and len(case.devices) == 10 and len(case.mark("t1").points) == 20_000 and len(case.notes) == 20_000


def test_cli_exits_3_naming_the_file_and_the_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "deep.mitraplan.json"
    path.write_text('{"format": "mitraplan-case", "version": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
                    encoding="utf-8")
    assert main(["measure", str(path)]) == 3
    err = capsys.readouterr().err
    assert "deep.mitraplan.json" in err and "nested 100 001 deep" in err


def test_grade_of_the_wrong_json_type_is_named(tmp_path: Path) -> None:
    with pytest.raises(CaseError) as caught:
        parse_case(_doc(jets=[{"id": "j1", "grade": ["severe"]}]), tmp_path / "c.mitraplan.json")
    message = str(caught.value)
    assert "c.mitraplan.json: jets[0].grade: ['severe'] is not one of" in message
    assert message.endswith('"severe" (a JSON list, not a string)')


def test_dangling_references_are_named(tmp_path: Path) -> None:
    doc = _doc(marks=[_mark("m1", [[0, 0], [9, 0]])], devices=[{"id": "d1", "image_mark": "m404"}],
               jets=[{"id": "j1", "devices": ["d1", "d9"], "vena_contracta_mark": "m1", "orifice_mark": "m8",
                      "pisa_calculation": "c5"}],
               leaflets={"segments": {"P2": {"length_mark": "m7"}}, "spaces": [{"distance_mark": "m6"}]},
               key_images=[{"sop_instance_uid": "1.2.3", "frame_number": 1, "marks": ["m1", "m3"]}])
    path = tmp_path / "c.mitraplan.json"
    case = parse_case(doc, path, lenient=True)
    messages = dict(case.load_errors)
    assert set(messages) == {"jets[0] (jet 'j1').devices[1]", "jets[0] (jet 'j1').orifice_mark",
                             "jets[0] (jet 'j1').pisa_calculation", "devices[0] (device 'd1').image_mark",
                             "leaflets.segments.P2.length_mark", "leaflets.spaces[0].distance_mark",
                             "key_images[0].marks[1]"}
    assert messages["jets[0] (jet 'j1').devices[1]"] == (
        f"{path}: jets[0] (jet 'j1').devices[1]: 'd9' is not the id of a device in this case")
    with pytest.raises(CaseError, match=re.escape("c.mitraplan.json: jets[0] (jet 'j1').devices[1]: 'd9'")):
        parse_case(doc, path)


def test_mark_on_a_frame_beyond_its_loop_is_named_and_not_measured(tmp_path: Path) -> None:
    """Frame 1 000 000 of a one-frame loop: only the loop (read at measure time) can tell."""
    case = parse_case(_doc(marks=[_mark("m1", [[0, 0], [9, 0]], frame=1_000_000)],
                           images=[{"sop_instance_uid": "1.2.3", "path": "loop.dcm"}]),
                      tmp_path / "c.mitraplan.json")
    (tmp_path / "loop.dcm").write_bytes(b"")
    one_frame = SimpleNamespace(n_frames=1, regions=(), timing=None)
    results, errors = measure_case(case, read_info=lambda _path: one_frame)
    assert results == []
    assert errors == [("m1", f"{tmp_path / 'c.mitraplan.json'}: mark 'm1': frame 1000000 is not in its loop"
                             " (the loop has 1 frame; SOP Instance UID 1.2.3)")]


def _max_deviation(original: np.ndarray, kept: np.ndarray) -> float:
    """Greatest distance of an original point from the line through the two kept points around it."""
    index = {tuple(p): i for i, p in enumerate(original)}
    at = [index[tuple(p)] for p in kept]
    worst = 0.0
    for i, j in itertools.pairwise(at):
        (ax, ay), (bx, by) = original[i], original[j]
        for px, py in original[i + 1:j]:
            worst = max(worst, abs((bx - ax) * (py - ay) - (by - ay) * (px - ax)) / np.hypot(bx - ax, by - ay))
    return worst


def test_a_long_trace_is_simplified_for_display_within_a_quarter_pixel() -> None:
    """A 20 000-point Doppler envelope (whole-pixel velocities, 0.016 px apart in time) is drawn and
    exported with at most 2 000 of its own points, none further than 0.25 px from the full trace."""
    x = np.arange(limits.MAX_POINTS_PER_MARK) * 0.016
    trace = np.c_[x, np.round(300 - 120 * np.abs(np.sin(x / 3)))]
    start = time.perf_counter()
    kept = np.asarray(limits.display_points(trace))
    assert time.perf_counter() - start < QUICK_S
    assert 2 <= len(kept) <= limits.MAX_DISPLAY_POINTS
    assert tuple(kept[0]) == tuple(trace[0]) and tuple(kept[-1]) == tuple(trace[-1])
    assert _max_deviation(trace, kept) <= 0.25


def test_a_short_mark_is_drawn_as_placed() -> None:
    points = [[10.0, 20.0], [10.5, 20.0], [11.0, 20.0]]  # collinear: Douglas-Peucker would drop the middle one
    assert limits.display_points(points) == [(10.0, 20.0), (10.5, 20.0), (11.0, 20.0)]


def test_sr_scoord_of_a_long_trace_is_the_simplified_copy() -> None:
    """report/sr.py writes the SCOORD from display_points; the measurement itself is unchanged (computed before)."""
    from report.sr import _coordinates

    x = np.arange(20_000) * 0.04
    mark = SimpleNamespace(sop_instance_uid="1.2.3", frame_number=1, type="doppler_trace", points3d=(),
                           points=tuple((float(a), float(b)) for a, b in zip(x, np.round(300 - 80 * np.abs(np.sin(x / 5))),
                                                                          strict=True)))
    image = SimpleNamespace(frames=1, sop_class_uid="1.2.840.10008.5.1.4.1.1.6.1", sop_instance_uid="1.2.3")
    (coords,) = _coordinates(SimpleNamespace(image=lambda _uid: image), [mark], {})  # type: ignore[arg-type]
    assert 4 <= len(coords.value) <= limits.MAX_DISPLAY_POINTS  # (x, y) rows of the SCOORD


def test_a_calculation_naming_a_missing_mark_is_an_error_naming_both(tmp_path: Path) -> None:
    """Calculations are checked where they are computed (docs/case-file.md: an error of that calculation)."""
    case = parse_case(_doc(calculations=[{"id": "c1", "type": "planimetry", "area_marks": ["m9"]}]),
                      tmp_path / "c.mitraplan.json")
    _results, errors = measure_case(case, read_info=lambda _path: SimpleNamespace(n_frames=1, regions=(), timing=None))
    (ident, message), = errors
    assert ident == "c1" and "calculation 'c1'" in message and "'m9' is missing" in message
