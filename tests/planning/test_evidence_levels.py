"""Each criterion's evidence level says what kind of source stands behind it (docs/clinical-criteria.md
§0.2): the EAE/ASE guideline (S3) is a guideline; MVARC's trial endpoint definitions (S5), the German
position paper (S15) and trial eligibility criteria (S14) are expert consensus, never "guideline"."""

from __future__ import annotations

from planning.assessment import CRITERIA, Evidence


def test_consensus_sources_are_never_called_a_guideline() -> None:
    for c in CRITERIA.values():
        if c.evidence is Evidence.GUIDELINE:
            assert "S3" in c.sources, (c.id, c.sources)  # the only society guideline these rules cite
    assert CRITERIA["mg_significant"].evidence is Evidence.CONSENSUS
    assert CRITERIA["leaflet_preferred"].evidence is Evidence.CONSENSUS
    assert CRITERIA["hr_low"].evidence is Evidence.GUIDELINE


def test_report_json_accepts_every_evidence_level() -> None:
    import json
    from pathlib import Path

    schema_path = Path(__file__).resolve().parents[2] / "report" / "schema" / "report.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    assert set(schema["$defs"]["evidence"]["enum"]) == {e.value for e in Evidence}
