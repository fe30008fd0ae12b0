"""``mitraplan import-sr SR --case CASE`` and the imported results in ``mitraplan measure``.

The SR is the GE-style cart imitation of tests/report/vendor_sr.py (every value twice, cm/s,
legacy SRT codes); its chosen values are that module's ``EXPECTED`` table.
"""

from __future__ import annotations

import json
from pathlib import Path

import highdicom as hd
import pytest
from pydicom.sr.coding import Code

from gui.main import main
from tests.report.conftest import make_study
from tests.report.vendor_sr import EXPECTED, ge_style_sr


@pytest.fixture
def cart_sr(tmp_path: Path) -> Path:
    """The cart SR with one extra NUM MitraPlan has no quantity for (LOINC Aortic Root Diameter)."""
    study = make_study(tmp_path / "study")
    sr = ge_style_sr(study["datasets"][0])
    sr.ContentSequence[-1].ContentSequence.append(hd.sr.NumContentItem(
        name=Code("18015-8", "LN", "Aortic Root Diameter"), value=3.1, unit=Code("cm", "UCUM", "cm"),
        relationship_type=hd.sr.RelationshipTypeValues.CONTAINS))
    path = tmp_path / "cart-sr.dcm"
    sr.save_as(path)
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip() else {}), out.err


def test_import_into_a_new_case_then_measure_lists_them_as_imported(
        cart_sr: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "new.mitraplan.json"
    code, out, err = _run(capsys, "import-sr", str(cart_sr), "--case", str(case))
    assert code == 0
    assert sorted(e["quantity"] for e in out["imported"]) == ["eroa_pisa", "mean_gradient", "pht", "vmax"]
    assert len(out["imported"]) == len(EXPECTED) and out["collapsed_repeats"] == 8
    assert [u["concept"]["value"] for u in out["unknown"]] == ["18015-8"]
    assert "Aortic Root Diameter" in err and "not imported" in err
    saved = json.loads(case.read_text())
    assert saved["study"]["patient_id"] == "PID-778899" and len(saved["imported"]) == 4
    assert saved["imported_unknown"][0]["concept"]["meaning"] == "Aortic Root Diameter"
    assert {e["status"] for e in saved["imported"]} == {"imported"}

    code, measured, _ = _run(capsys, "measure", str(case))
    assert code == 0
    vmax = next(m for m in measured["measurements"] if m["quantity"] == "vmax")
    assert vmax["value"] == pytest.approx(1.0) and vmax["unit"] == "m/s"  # 100 cm/s
    assert vmax["imported"] == {"sop_instance_uid": out["sop_instance_uid"], "observer": "",
                                "device": "Synthetic Vendor Cart SR imitation"}
    assert vmax["status"] == "imported" and "grade" not in vmax and vmax["warnings"]


def test_importing_again_adds_nothing(cart_sr: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "c.mitraplan.json"
    assert _run(capsys, "import-sr", str(cart_sr), "--case", str(case))[0] == 0
    code, out, err = _run(capsys, "import-sr", str(cart_sr), "--case", str(case))
    assert code == 0 and out["already_imported"] and out["imported"] == [] and "already imported" in err
    assert len(json.loads(case.read_text())["imported"]) == 4


def test_an_sr_of_another_patient_exits_3_naming_both(cart_sr: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "other.mitraplan.json"
    doc = {"format": "mitraplan-case", "version": 1,
           "study": {"patient_id": "OTHER-7", "patient_name": "Other^Patient", "study_instance_uid": "1.2.3.4"}}
    case.write_text(json.dumps(doc))
    code, out, err = _run(capsys, "import-sr", str(cart_sr), "--case", str(case))
    assert code == 3 and out == {}
    assert "OTHER-7" in err and "PID-778899" in err and "cart-sr.dcm" in err
    assert "imported" not in json.loads(case.read_text())


def test_a_file_that_is_not_an_sr_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    study = make_study(tmp_path / "study")
    code, _, err = _run(capsys, "import-sr", str(study["paths"][0]), "--case", str(tmp_path / "c.mitraplan.json"))
    assert code == 3 and "not a structured report" in err and "IM_0001.dcm" in err


def test_round_trip_report_sr_into_a_fresh_case_over_the_same_study(
        demo_study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``mitraplan report`` of the demo case writes its SR; importing it into a new case over the same
    study gives the report's selected values back at reporting precision (report.json ``shown``)."""
    from demo.case import write_demo_case

    case = write_demo_case(demo_study, tmp_path)
    assert _run(capsys, "report", str(case), "--out", str(tmp_path / "out"))[0] == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    fresh = tmp_path / "fresh.mitraplan.json"
    code, out, _ = _run(capsys, "import-sr", str(tmp_path / "out" / "report-sr.dcm"), "--case", str(fresh))
    assert code == 0 and out["imported"]
    shown = {(m["quantity"], m["shown"].split()[0]) for m in report["measurements"]}
    code, measured, _ = _run(capsys, "measure", str(fresh))
    from measurements.thresholds import PRECISION, round_half_up

    got = {(m["quantity"], str(round_half_up(m["value"], PRECISION[m["quantity"]]))) for m in measured["measurements"]}
    assert got <= shown  # every imported value is one the report printed
    # the selected means the report printed are among them (demo: two inflow beats averaged)
    means = {(m["quantity"], m["shown"].split()[0]) for m in report["measurements"] if m["id"].startswith("avg.")}
    assert means and means <= got
    assert all(m["imported"]["sop_instance_uid"] == out["sop_instance_uid"] for m in measured["measurements"])
    saved = json.loads(fresh.read_text())["study"]
    assert saved["study_instance_uid"] == json.loads(case.read_text())["study"]["study_instance_uid"]
