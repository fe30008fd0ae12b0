"""Decision support through a whole case: the demo study (synthetic TEE loops imitating a post-TEER
double-orifice valve: two mitral inflow beats on one CW strip, an MR jet trace, leaflet and PISA
marks; the 4D volume's two orifices traced en face). One mean gradient is selected and quoted
everywhere, and every quoted value names its result."""

from __future__ import annotations

import math

import pytest

from demo.case import write_demo_case
from demo.phantom import write_demo_study
from measurements.results import Result
from planning import findings
from planning.assessment import Assessment, assess, quoted
from planning.case import Case, load_case, measure_case


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Case, list[Result], Assessment]:
    root = tmp_path_factory.mktemp("demo")
    case = load_case(write_demo_case(write_demo_study(root / "loops"), root))
    results, errors = measure_case(case)
    assert errors == []
    return case, results, assess(findings.assessment_input(case, results))


def test_the_selected_gradient_is_the_inflow_average_of_both_beats(demo) -> None:
    case, results, _ = demo
    inp = findings.assessment_input(case, results)
    assert inp.mean_gradient is not None and inp.mean_gradient.id == "avg.mv_inflow.mean_gradient"
    assert inp.mean_gradient.beats == 2 and set(inp.mean_gradient.source) == {"m_inflow1", "m_inflow2"}
    # each beat: 4·0.573146/0.35 = 6.55 mmHg (tests/report/test_demo_report.py); their mean is 6.55 → 6.6
    assert quoted(inp.mean_gradient) == "6.6 mmHg"
    assert inp.heart_rate is not None and quoted(inp.heart_rate) == "72 bpm"


def test_every_finding_quotes_results_of_the_case_as_printed(demo) -> None:
    _, results, assessment = demo
    by_id = {r.id: r for r in results}
    every = [*assessment.stenosis.findings, *assessment.redo.findings,
             *(f for o in assessment.options for f in (*o.favouring, *o.against))]
    quoting = [f for f in every if f.measurements]
    assert quoting, "the demo's findings quote measurements"
    for f in quoting:
        for rid in f.measurements:
            assert rid in by_id, rid
            assert by_id[rid].beat is None  # never a per-beat result
            assert quoted(by_id[rid]) in f.text, f.text
    gradients = {rid for f in every for rid in f.measurements if by_id[rid].quantity == "mean_gradient"}
    assert gradients == {"avg.mv_inflow.mean_gradient"}  # one mean gradient in the whole section


def test_the_stenosis_statement_matches_the_selected_grade(demo) -> None:
    case, results, assessment = demo
    mg = findings.selected(results, "mean_gradient", case.marks)
    assert mg is not None and mg.grades[0].label.startswith("significant MS")
    # the demo volume's two orifices, traced en face fully open (demo/volume_phantom.py): lateral semi-axes
    # 5.0 x 3.2 mm, medial 4.0 x 2.5 mm; π(5·3.2 + 4·2.5) mm² = 26π mm² = 0.8168 cm² → 0.82, < 1.5 (MVARC)
    mva = findings.selected(results, "mva_planimetry", case.marks)
    assert mva is not None and mva.value == pytest.approx(0.26 * math.pi, rel=1e-9)
    assert assessment.stenosis.statement == ("Significant iatrogenic MS (MVARC): mean gradient 6.6 mmHg;"
                                             " planimetered MVA 0.82 cm² (2 of 3 expected orifices summed: a lower bound)")
    assert assessment.stenosis.missing == ()
