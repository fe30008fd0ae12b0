"""The report describes MPR planes relative to the case's saved annulus alignment (``volumes[].annulus``),
and says which devices and jets the clip map places from the volume.

Golden words, hand-reasoned from the phantom's geometry (demo/volume_phantom.py, demo/case.py): the
orifices are traced on the plane spanned by right = anterolateral → posteromedial commissure and down =
away from the anterior annulus, so the view normal row × col = right × down. The aligned annulus gives
the valve's atrium → ventricle direction by the same points: right × (−up) = right × down, which is
−valve_normal (the phantom's normal points to the left atrium). The view normal is thus parallel to the
annulus normal, 0° from en face, looking from the atrium into the ventricle, and the plane passes
through the valve centre (0 mm off the annulus): "en-face from the left atrium (aligned to annulus)",
with nothing about level or tilt. Without the saved annulus nothing anatomical is claimed.

The devices: the phantom draws both clips as one box 2 × 2.5 mm along the coaptation line, centred on
the valve; each is tied to the middle of its half, ±1.25 mm, which on the 32 mm commissure-to-commissure
map is t = 0.5 ± 1.25 / 32 (the lateral one towards the anterolateral commissure, t < 0.5).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from demo.phantom import DEMO_VOLUME, write_demo_study
from planning.case import Case, load_case, save_case
from report.anonymise import UidMap, anonymise_report
from report.build import build_report
from report.export import export_report
from report.json_export import report_to_json, validate
from report.pdf import detail_html

from .demo_outputs import html_rows, html_text
from .test_outputs import pdf_text

EN_FACE = "en-face from the left atrium (aligned to annulus)"
UNALIGNED = "oblique MPR plane (no annulus alignment)"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from demo.case import write_demo_case

    root = tmp_path_factory.mktemp("valvewords")
    study = write_demo_study(root / "loops")
    path = write_demo_case(study, root)
    report, sources = build_report(load_case(path))
    return {"root": root, "path": path, "report": report, "sources": sources, "volume": study.truth[DEMO_VOLUME]}


def _variant(demo: dict[str, Any], name: str, change: Any) -> Path:
    """The demo case changed by ``change(case)`` and saved beside it as ``name``."""
    case: Case = load_case(demo["path"])
    change(case)
    path = Path(demo["root"]) / name
    save_case(case, path)
    return path


def _mpr_key(report: Any, volume: dict[str, Any]) -> Any:
    (key,) = [k for k in report.key_images if k.sop_instance_uid == volume["sop_instance_uid"]]
    return key


def test_the_demo_saves_its_volume_aligned_to_the_annulus_and_ties_both_clips(demo: dict[str, Any]) -> None:
    raw = json.loads(Path(demo["path"]).read_text(encoding="utf-8"))
    uid = demo["volume"]["sop_instance_uid"]
    (entry,) = raw["volumes"]
    assert entry["sop_instance_uid"] == uid and set(entry["annulus"]) == {
        "anterior", "anterolateral", "posteromedial", "frame_number"}
    assert {d["id"]: d["sop_instance_uid"] for d in raw["devices"]} == {"d1": uid, "d2": uid}
    by_id = {d.id: d for d in demo["report"].devices}
    assert by_id["d1"].map_ts == pytest.approx((0.5 + 1.25 / 32, 0.0), abs=1e-9)  # medial: towards PM
    assert by_id["d2"].map_ts == pytest.approx((0.5 - 1.25 / 32, 0.0), abs=1e-9)  # lateral: towards AL


def test_the_en_face_key_image_reads_en_face_from_the_left_atrium(demo: dict[str, Any]) -> None:
    report, volume = demo["report"], demo["volume"]
    key = _mpr_key(report, volume)
    assert key.label.startswith(f"MPR, {EN_FACE}, time point 1: Lateral orifice area")
    (plane,) = [k["plane"] for k in report_to_json(report)["key_images"] if "plane" in k]
    assert plane["words"] == EN_FACE and plane["aligned"] is True
    assert plane["angle_from_en_face_deg"] == pytest.approx(0.0, abs=1e-6)
    assert plane["offset_mm"] == pytest.approx(0.0, abs=1e-6)
    assert np.allclose(plane["normal"], -np.asarray(volume["valve_normal"]), atol=1e-9)  # atrium → ventricle


def test_report_json_key_image_plane_validates_and_survives_anonymising(demo: dict[str, Any]) -> None:
    report = demo["report"]
    document = report_to_json(report)
    validate(document)
    anonymised = report_to_json(anonymise_report(report, UidMap()))
    validate(anonymised)
    (plane,) = [k["plane"] for k in anonymised["key_images"] if "plane" in k]
    assert plane["words"] == EN_FACE  # the volume's new UID still finds its annulus
    broken = json.loads(json.dumps(document))
    next(k for k in broken["key_images"] if "plane" in k)["plane"]["normal"] = [0.0, 1.0]
    with pytest.raises(Exception, match="too short"):
        validate(broken)


def test_a_case_without_the_annulus_still_says_no_annulus_alignment(demo: dict[str, Any]) -> None:
    path = _variant(demo, "unaligned.mitraplan.json", lambda case: case.extra.pop("volumes"))
    report, _ = build_report(load_case(path))
    key = _mpr_key(report, demo["volume"])
    assert key.label.startswith(f"MPR, {UNALIGNED}, time point 1: ")
    (plane,) = [k["plane"] for k in report_to_json(report)["key_images"] if "plane" in k]
    assert plane == {**plane, "words": UNALIGNED, "aligned": False, "angle_from_en_face_deg": None, "offset_mm": None}
    text = html_text(detail_html(report, 700))
    assert "tied to 3D, volume not aligned: schematic place" in text and "placed from 3D" not in text
    assert EN_FACE not in text and UNALIGNED in text  # the measurement rows of the 3D planimetry


def test_tying_the_clips_and_aligning_the_volume_change_no_measured_number(demo: dict[str, Any]) -> None:
    def untie(case: Case) -> None:
        case.extra.pop("volumes")
        case.devices = [{k: v for k, v in d.items() if k not in ("position_mm", "sop_instance_uid")}
                        for d in case.devices]
    report, _ = build_report(load_case(_variant(demo, "untied.mitraplan.json", untie)))
    assert [(m.id, m.value, m.text) for m in report.measurements] == \
        [(m.id, m.value, m.text) for m in demo["report"].measurements]
    assert report.assessment == demo["report"].assessment
    assert not any(d.tied_3d for d in report.devices)


def test_a_tied_jet_is_placed_from_3d_in_the_jet_table(demo: dict[str, Any]) -> None:
    volume = demo["volume"]
    lateral = next(o["centre_mm"] for o in volume["orifices"] if o["name"] == "lateral")

    def tie_jet(case: Case) -> None:
        case.jets = [{**j, "position_mm": lateral, "sop_instance_uid": volume["sop_instance_uid"]} for j in case.jets]
    report, _ = build_report(load_case(_variant(demo, "jet.mitraplan.json", tie_jet)))
    (jet,) = report.jets
    assert jet.map_ts == pytest.approx((0.5 - 8.5 / 32, 0.0), abs=1e-9)  # 8.5 mm towards AL
    jets = [cells for section, cells in html_rows(detail_html(report, 700)) if "Residual mitral" in section]
    assert jets[1][:2] == ["J1", f"{jet.location} placed from 3D (en-face)"]


def test_the_exported_pdf_reads_the_plane_and_the_tied_devices(demo: dict[str, Any]) -> None:
    result = export_report(demo["report"], demo["sources"], Path(demo["root"]) / "export")
    assert not result.failures
    text = pdf_text(result.pdf)
    assert text.count("placed from 3D (en-face)") >= 2  # both devices
    flat = text.replace(" ", "")
    assert "en-facefromtheleftatrium(alignedtoannulus)" in flat  # measurement rows and key image caption
    assert "noannulusalignment" not in flat
    rows = [cells for section, cells in html_rows(detail_html(demo["report"], 700)) if "Prior devices" in section]
    assert [r[3] for r in rows[1:]] == ["A2-P2 medial placed from 3D (en-face)", "A2-P2 lateral placed from 3D (en-face)"]
    measurements = [cells for section, cells in html_rows(detail_html(demo["report"], 700)) if "Measurements" in section]
    orifice = next(r for r in measurements if r[0].startswith("Lateral orifice area"))
    assert orifice[2].endswith(EN_FACE)


def test_the_preview_model_keeps_the_alignment_when_anonymised(demo: dict[str, Any]) -> None:
    from report.export import plan_export, printed_model

    planned = plan_export(demo["report"], demo["sources"], anonymise=True)
    model = printed_model(planned)
    assert model.header.anonymised and set(model.valves) == {k.sop_instance_uid for k in model.key_images
                                                              if k.mark_ids == ("m_orifice_lat", "m_orifice_med")}
    assert demo["volume"]["sop_instance_uid"] not in model.valves
    assert EN_FACE in html_text(detail_html(model, 700))
