"""sl.comparison_table: the seed's claims next to what the runs measure."""
import pytest

import sagalab as sl
from sagalab.analysis.comparison import COLUMNS, ROWS, SEED_CLAIMS, VERDICTS

SAGA = sl.scenarios.ecommerce(payment_failure_p=0.1)
KW = dict(arrival_rate=15, n_sagas=400, replications=3)
CHEAP = [r for r in ROWS if r != "Scalability"]


@pytest.fixture(scope="module")
def table():
    return sl.comparison_table(SAGA, rows=CHEAP, **KW)


def test_structure(table):
    assert list(table.columns) == list(COLUMNS)
    assert list(table.index) == CHEAP
    assert set(table["verdict"]) <= set(VERDICTS)
    for aspect in table.index:
        if aspect in SEED_CLAIMS:
            assert tuple(table.loc[aspect, list(COLUMNS[:2])]) == SEED_CLAIMS[aspect]


def test_measured_rows_of_the_ecommerce_saga(table):
    v = table["verdict"]
    assert v["Coordination"] == v["Communication"] == v["Failure Handling"] == "agrees"
    assert v["State"] == v["Visibility"] == "agrees"
    assert table.loc["Coordination", "choreography_measured"].startswith("0%")
    assert table.loc["Coordination", "orchestration_measured"].startswith("100%")
    assert "payment->inventory" in table.loc["Coordination", "evidence"]
    assert "orchestrator->payment" in table.loc["Coordination", "evidence"]
    assert table.loc["Communication", "choreography_measured"] == "100% broker"
    assert table.loc["Messages", "orchestration_measured"].startswith("7.")  # 2 per transfer
    assert "paired" in table.loc["Latency", "evidence"]


def test_a_one_step_saga_has_its_state_in_the_initiator():
    saga = sl.Saga("one", [sl.Step("payment", sl.Exponential(0.01), failure_p=0.2)])
    t = sl.comparison_table(saga, rows=["State", "Failure Handling"], **KW)
    assert t.loc["State", "verdict"] == "depends"  # the order service hears every outcome
    assert t.loc["Failure Handling", "verdict"] == "depends"  # nothing to compensate


def test_scalability_depends_on_the_orchestrator_overhead():
    kw = dict(KW, n_sagas=500, replications=2, rows=["Scalability"])
    light = sl.comparison_table(SAGA, **kw)
    assert light.loc["Scalability", "verdict"] == "depends"  # shipping saturates first
    heavy = sl.comparison_table(SAGA, orchestrator=sl.Orchestrator(overhead=0.01), **kw)
    assert heavy.loc["Scalability", "verdict"] == "agrees"
    assert "bottleneck orchestrator" in heavy.loc["Scalability", "orchestration_measured"]


def test_unknown_rows_are_refused():
    with pytest.raises(ValueError, match="unknown rows"):
        sl.comparison_table(SAGA, rows=["Teleportation"], **KW)


def test_graph_rows(table):
    v = table["verdict"]
    assert v["Coupling"] == v["Complexity"] == "agrees"
    assert "knows 4 others" in table.loc["Coupling", "orchestration_measured"]
    assert "changes 0 existing" in table.loc["Coupling", "choreography_measured"]
    assert table.loc["Complexity", "orchestration_measured"].endswith(": orchestrator")


def test_single_point_of_failure_row(table):
    row = table.loc["Single Point of Failure"]
    assert row["verdict"] == "agrees"
    assert "0 with one" in row["orchestration_measured"]  # the saga log keeps them
    assert "strands 0 sagas" in row["choreography_measured"]  # the broker keeps events


def test_routing_is_passing_the_saga_on_not_replying():
    from sagalab.analysis.comparison_rows import routes_the_saga
    g = sl.event_graph(SAGA, "orchestration")
    assert routes_the_saga(g, "orchestrator")
    assert not routes_the_saga(g, "payment")  # it only answers the orchestrator
    assert routes_the_saga(sl.event_graph(SAGA, "choreography"), "payment")
