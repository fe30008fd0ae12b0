"""The report's "reporting" section: reader, operator, impression, recommendation and sign-off status.

What the reader wrote into the case (``report``), who signed it and which case version
(``signoff``), and the signed version an amendment replaces (``amends``): docs/case-file.md,
*Reporting and sign-off*.
"""

from __future__ import annotations

from typing import Any

from planning.case import Case


def reporting_section(case: Case) -> dict[str, Any]:
    """``{"reader", "operator", "impression", "recommendation", "status", "signoff"?, "amends"?}``."""
    findings = case.findings()
    text = findings.report
    section: dict[str, Any] = {"reader": text.reader, "operator": text.operator, "impression": text.impression,
                               "recommendation": text.recommendation,
                               "status": "signed" if findings.signoff is not None else "not signed"}
    if findings.signoff is not None:
        section["signoff"] = findings.signoff.to_json()
    if findings.amends is not None:
        section["amends"] = findings.amends.to_json()
    return section
