"""Notebook 10's verdicts and the evidence notebooks' measured claims agree.

Every verdict of the decision guide is computed by ``sl.comparison_table``;
notebooks 03, 04, 07, 08 and 09 show the rows they measure with the same
call and settings. nbval re-executes each notebook and compares its outputs
with the committed ones; these tests compare the committed outputs *across*
notebooks, recompute the rows that need no simulation, and check that the
numbers a finding quotes are the ones its notebook shows.
"""
import json
import re
from pathlib import Path

import pytest

import sagalab as sl
from sagalab.analysis.comparison import SEED_CLAIMS, VERDICTS

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: the rows each evidence notebook shows, and must show as notebook 10 does
EVIDENCE = {"03_orchestration": ["State", "Visibility"],
            "04_coupling": ["Coupling", "Complexity", "Testing"],
            "07_bottlenecks": ["Scalability"],
            "08_single_point_of_failure": ["Single Point of Failure"],
            "09_complex_workflows": ["Communication", "Use Case"]}


def cells(name):
    return json.loads((NOTEBOOKS / f"{name}.ipynb").read_text())["cells"]


def text(output, kind="text/plain"):
    data = output.get("data", {})
    return "".join(data.get(kind, output.get("text", "")))


def outputs_of(name, needle):
    """The outputs of the code cells of ``name`` whose source contains ``needle``."""
    found = [c["outputs"] for c in cells(name)
             if c["cell_type"] == "code" and needle in "".join(c["source"])]
    assert found, f"{name}: no cell with {needle!r}"
    return [o for outs in found for o in outs]


def verdict_rows(name) -> dict:
    """aspect -> (verdict, finding) from the sl.verdicts tables of ``name`` (first one wins)."""
    rows = {}
    for out in outputs_of(name, "sl.verdicts("):
        for line in text(out, "text/markdown").splitlines():
            cellz = [c.strip() for c in line.strip().strip("|").split(" | ")]
            if len(cellz) == 6 and cellz[0].startswith("**"):
                rows.setdefault(cellz[0].strip("*"), (cellz[3].strip("*"), cellz[4]))
    return rows


@pytest.fixture(scope="module")
def guide():
    rows = verdict_rows("10_decision_guide")
    return {a: rows[a] for a in rows if a in SEED_CLAIMS or a in ("Latency", "Messages")}


def test_the_guide_rebuilds_all_eleven_rows_with_computed_verdicts(guide):
    assert list(guide)[:11] == list(SEED_CLAIMS)
    assert list(guide)[11:] == ["Latency", "Messages"]
    for aspect, (verdict, finding) in guide.items():
        assert verdict in VERDICTS, aspect
        assert re.search(r"\d", finding), f"{aspect}: a finding quotes its numbers"


@pytest.mark.parametrize("name", list(EVIDENCE))
def test_each_evidence_notebook_shows_the_guides_rows(guide, name):
    rows = verdict_rows(name)
    assert list(rows) == EVIDENCE[name]
    for aspect, row in rows.items():
        assert row == guide[aspect], f"{name} and 10 disagree on {aspect}"


def test_the_rows_that_need_no_simulation_recompute_to_the_committed_ones(guide):
    t = sl.comparison_table(sl.scenarios.ecommerce(), rows=["Coupling", "Complexity", "Testing"])
    for aspect, row in t.iterrows():
        verdict, finding = guide[aspect]
        assert row["verdict"] == verdict
        assert row["finding"][:1].upper() + row["finding"][1:] == finding


def test_the_contradictions_of_the_old_guide_are_gone(guide):
    assert guide["Coupling"][0] == "nuanced"  # 04: services are less coupled under orchestration
    assert "multiply" not in " ".join(f for _, f in guide.values())  # 04, 09: linear growth
    assert "no jump at 5 steps" in guide["Complexity"][1]
    assert guide["Single Point of Failure"][0] == "refuted"  # 08: the broker is one too


def test_coupling_finding_quotes_notebook_04(guide):
    totals = text(outputs_of("04_coupling", 'agg(total="sum"')[0])
    chor, orch = (re.search(rf"{p}\s+(\d+)\s+(\d+)", totals).groups() for p in
                  sl.SEED_PATTERNS)
    finding = guide["Coupling"][1]
    assert f"knows {orch[1]} others" in finding and f"up to {chor[1]} under" in finding


def test_scalability_finding_quotes_notebook_07s_theory(guide):
    shown = text(outputs_of("07_bottlenecks", 'name="sagas/s by theory"')[0])
    choreography = re.search(r"choreography\s+([\d.]+)", shown).group(1)
    assert f"saturate at {choreography} sagas/s" in guide["Scalability"][1]
    theory = sl.theory.saturation_rate(sl.scenarios.ecommerce(), "choreography")
    assert choreography == f"{theory:.1f}"


def test_single_point_of_failure_agrees_with_notebook_08s_outages(guide):
    broker = text(outputs_of("08_single_point_of_failure", "broker_down = [")[0])
    p99 = {label.strip(): float(x) for label, x in re.findall(
        r"(?m)^(\w[\w ,]*?)\s+\d+\s+\d+\s+\d+\s+[\d.]+\s+([\d.]+)$", broker)}
    sync = p99["orchestration, sync"]
    # the broker's outage held up the sagas that pass through it, like with like
    assert p99["choreography"] > 2 * sync and p99["orchestration, async"] > 2 * sync
    finding = guide["Single Point of Failure"][1]
    assert "0 lost" in finding  # the broker keeps its events
    assert "through the broker (asynchronous) has both" in finding


def test_use_case_finding_agrees_with_notebook_09(guide):
    sources = text(outputs_of("09_complex_workflows", 'skipped(r).groupby("source"')[0])
    holders = re.search(r"'choreography': \{([^}]*)\}", sources).group(1).count(":")
    assert f"{holders} services hold a part" in guide["Use Case"][1]
    assert "user onboarding" in guide["Use Case"][1]


def test_use_case_finding_quotes_notebook_09s_join(guide):
    """Both patterns run the bookings at once (09); the finding names who joins them."""
    table = text(outputs_of("09_complex_workflows", "graphs = {p: sl.coupling(")[0])
    payment = re.search(r"(?m)^payment\s+(\d+)\s+(\d+)$", table).groups()
    finding = guide["Use Case"][1]
    assert f"payment subscribes to all {payment[0]} bookings' topics" in finding
    assert payment[1] == "0"  # under orchestration payment knows nobody
    assert "run at once in both patterns" in finding
