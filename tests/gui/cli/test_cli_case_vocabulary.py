"""A case file with a value outside a closed vocabulary is refused by ``measure`` and ``report`` (exit 3)
with a message naming the file, the field and the allowed values (docs/case-file.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gui.main import main
from tests.report.test_cli_report import write_case

ALLOWED_RHYTHMS = '"sinus", "AF", "atrial fibrillation", "paced", "other"'


@pytest.mark.parametrize("where", ["study", "context"])
@pytest.mark.parametrize("command", ["measure", "report"])
def test_unknown_rhythm_exits_3_naming_file_field_and_allowed_values(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, where: str) -> None:
    case, _ = write_case(tmp_path)
    doc = json.loads(case.read_text(encoding="utf-8"))
    doc[where]["rhythm"] = "afib"  # a plausible abbreviation, but not one of the case-file values
    case.write_text(json.dumps(doc), encoding="utf-8")
    args = [command, str(case)] + (["--out", str(tmp_path / "out")] if command == "report" else [])
    assert main(args) == 3
    err = capsys.readouterr().err
    assert str(case) in err
    assert f"{where}.rhythm: 'afib' is not one of {ALLOWED_RHYTHMS}" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_unknown_jet_location_names_the_jet_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case, _ = write_case(tmp_path)
    doc = json.loads(case.read_text(encoding="utf-8"))
    doc["jets"].append({"id": "j2", "location": "paraclip lateral"})
    case.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["measure", str(case)]) == 3
    err = capsys.readouterr().err
    assert "jets[1].location: 'paraclip lateral' is not one of \"para-clip lateral\"" in err
