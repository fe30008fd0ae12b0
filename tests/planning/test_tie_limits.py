"""Bounds of the 3D parts of a case file (docs/case-file.md "Limits"): the ``volumes`` entries and the
coordinates of a 3D point, refused on load naming the file and the field; and a device or jet tied to a
volume that is not among the case's images, flagged on load (a warning), never drawn silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gui.main import main
from planning import limits
from planning.case import load_case
from tests.planning.test_case_limits import _refused
from tests.planning.test_enface import ANNULUS, VOLUME, _tied_doc

OFF_IMAGES = "devices[0] (device 'd1').sop_instance_uid"


def with_volume_image(doc: dict) -> dict:
    """The case with its tied volume listed among its images."""
    doc["images"].append({"sop_instance_uid": VOLUME, "path": "volumes/VOL.dcm"})
    return doc


def _volumes(n: int) -> list[dict]:
    return [{"sop_instance_uid": f"1.2.3.{i}", "annulus": ANNULUS} for i in range(n)]


def test_too_many_volumes_are_refused_naming_file_and_field(tmp_path: Path) -> None:
    message = _refused(tmp_path, json.dumps(_tied_doc(volumes=_volumes(limits.MAX_VOLUMES + 1))))
    assert "'volumes' has 51 entries, more than the limit of 50" in message


def test_volumes_at_the_limit_open(tmp_path: Path) -> None:
    path = tmp_path / "ok.mitraplan.json"
    path.write_text(json.dumps(_tied_doc(volumes=_volumes(limits.MAX_VOLUMES))), encoding="utf-8")
    assert len(load_case(path).extra["volumes"]) == 50


@pytest.mark.parametrize(("where", "field"), [
    ("device", "devices[0].position_mm"), ("jet", "jets[0].position_mm"),
    ("annulus", "volumes[0].annulus.posteromedial")])
def test_a_3d_point_beyond_10_m_is_refused_naming_the_field(tmp_path: Path, where: str, field: str) -> None:
    doc = with_volume_image(_tied_doc())
    far = [10.0, -20.0, 10_000.5]  # 0.5 mm beyond the limit
    if where == "device":
        doc["devices"][0]["position_mm"] = far
    elif where == "jet":
        doc["jets"][0]["position_mm"] = far
    else:
        doc["volumes"][0]["annulus"] = {**ANNULUS, "posteromedial": far}
    message = _refused(tmp_path, json.dumps(doc))
    assert f"{field}: a coordinate of 10000.5 mm, beyond the limit of ±10 000 mm" in message


def test_a_3d_point_at_the_limit_opens(tmp_path: Path) -> None:
    doc = with_volume_image(_tied_doc())
    doc["devices"][0]["position_mm"] = [-10_000, 0, 10_000]
    path = tmp_path / "ok.mitraplan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    (device,) = load_case(path).findings().devices
    assert device.tie is not None and device.tie.position_mm == (-10_000.0, 0.0, 10_000.0)


@pytest.mark.parametrize("lenient", [False, True])
def test_a_tie_to_a_volume_not_among_the_images_is_a_load_warning(tmp_path: Path, lenient: bool) -> None:
    path = tmp_path / "c.mitraplan.json"
    path.write_text(json.dumps(_tied_doc()), encoding="utf-8")  # the volume is in volumes[], not in images
    errors = dict(load_case(path, lenient=lenient).load_errors)  # opens (a warning, not a refusal)
    assert set(errors) == {OFF_IMAGES, "jets[0] (jet 'j1').sop_instance_uid"}
    assert errors[OFF_IMAGES] == (f"{path.resolve()}: {OFF_IMAGES}: tied to volume {VOLUME}, which is not among"
                                  " the case's images: drawn at its schematic place on the clip map, not from 3D")


def test_a_tie_to_a_volume_among_the_images_is_not_flagged(tmp_path: Path) -> None:
    path = tmp_path / "c.mitraplan.json"
    path.write_text(json.dumps(with_volume_image(_tied_doc())), encoding="utf-8")
    assert load_case(path).load_errors == []


def test_measure_prints_the_tie_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.mitraplan.json"
    path.write_text(json.dumps(_tied_doc()), encoding="utf-8")
    main(["measure", str(path)])
    err = capsys.readouterr().err
    assert f"mitraplan measure: {path.resolve()}: {OFF_IMAGES}: tied to volume {VOLUME}, which is not among" in err
