"""sl.comparison_table: the seed's eleven claims next to what the model measures."""
import pytest

import sagalab as sl
from sagalab.analysis.comparison import COLUMNS, GUIDE, ROWS, SEED_CLAIMS, VERDICTS

SAGA = sl.scenarios.ecommerce(payment_failure_p=0.1)
KW = dict(arrival_rate=15, n_sagas=400, replications=3)
CHEAP = [r for r in ROWS if r != "Scalability"]


@pytest.fixture(scope="module")
def table():
    return sl.comparison_table(SAGA, rows=CHEAP, **KW)


def test_the_seeds_eleven_rows_and_two_more():
    assert list(SEED_CLAIMS) == ["Coordination", "Communication", "Coupling", "Complexity",
                                 "State", "Failure Handling", "Testing", "Visibility",
                                 "Single Point of Failure", "Scalability", "Use Case"]
    assert list(ROWS) == list(SEED_CLAIMS) + ["Latency", "Messages"]
    assert GUIDE == dict(arrival_rate=20.0, n_sagas=1000, replications=3, seed=0)


def test_structure(table):
    assert list(table.columns) == list(COLUMNS)
    assert list(table.index) == CHEAP
    assert set(table["verdict"]) <= set(VERDICTS)
    for aspect in table.index:
        if aspect in SEED_CLAIMS:
            assert tuple(table.loc[aspect, list(COLUMNS[:2])]) == SEED_CLAIMS[aspect]
        assert table.loc[aspect, "finding"].endswith(".")
        assert table.loc[aspect, "notebook"][:2].isdigit()


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
    assert "audit trail" in table.loc["Visibility", "finding"]


def test_a_one_step_saga_has_its_state_in_the_initiator():
    saga = sl.Saga("one", [sl.Step("payment", sl.Exponential(0.01), failure_p=0.2)])
    t = sl.comparison_table(saga, rows=["State", "Failure Handling"], **KW)
    assert t.loc["State", "verdict"] == "depends"  # the order service hears every outcome
    assert t.loc["Failure Handling", "verdict"] == "depends"  # nothing to compensate


def test_scalability_depends_on_the_orchestrator_overhead():
    kw = dict(KW, n_sagas=500, replications=2, rows=["Scalability"])
    light = sl.comparison_table(SAGA, **kw)
    assert light.loc["Scalability", "verdict"] == "depends"  # shipping saturates first
    flip = sl.theory.station_demand(SAGA, "orchestration")
    assert f"{sl.theory.saturation_rate(SAGA, 'choreography'):.1f} sagas/s" \
        in light.loc["Scalability", "finding"]
    assert flip.loc["orchestrator", "visits"] == pytest.approx(
        float(light.loc["Scalability", "finding"].split(" decisions")[0].split("(")[-1]),
        abs=0.01)
    heavy = sl.comparison_table(SAGA, orchestrator=sl.Orchestrator(overhead=0.01), **kw)
    assert heavy.loc["Scalability", "verdict"] == "agrees"
    assert "bottleneck orchestrator" in heavy.loc["Scalability", "orchestration_measured"]


def test_unknown_rows_are_refused():
    with pytest.raises(ValueError, match="unknown rows"):
        sl.comparison_table(SAGA, rows=["Teleportation"], **KW)


def test_graph_rows(table):
    v = table["verdict"]
    assert v["Coupling"] == "nuanced"  # notebook 04: services are less coupled under orchestration
    assert v["Complexity"] == v["Testing"] == "agrees"
    assert "the orchestrator 4" in table.loc["Coupling", "orchestration_measured"]
    assert "changes 0 existing participants under choreography" in table.loc["Coupling",
                                                                             "finding"]
    assert table.loc["Complexity", "orchestration_measured"].endswith(": orchestrator")
    assert "no jump at 5 steps" in table.loc["Complexity", "finding"]
    assert "same 4 paths" in table.loc["Testing", "finding"]


def test_single_point_of_failure_row(table):
    row = table.loc["Single Point of Failure"]
    assert row["verdict"] == "refuted"  # the broker is choreography's single point (08)
    assert "0 with one" in row["orchestration_measured"]  # the saga log keeps them
    assert "strands 0" in row["choreography_measured"]  # the broker keeps events


def test_use_case_rows(table):
    assert table.loc["Use Case", "verdict"] == "nuanced"
    rules = sl.when_to_use(SAGA, n_sagas=300)
    assert len(rules) == 9
    assert set(rules["pattern"]) == set(sl.SEED_PATTERNS)
    assert rules.loc["Complex business logic", "verdict"] == "agrees"
    assert "kyc, manual_approval" in rules.loc["Services are independent", "evidence"]
    assert rules.loc["Clear ownership (one team owns the flow)", "verdict"] == "not measured"


def test_verdicts_show_as_markdown_with_links(table):
    v = sl.verdicts(table)
    md = v._repr_markdown_()
    assert md.count("\n") == len(table) + 1
    assert "[04](04_coupling.ipynb)" in md
    assert repr(v).splitlines()[0].startswith("Coordination: agrees. ")
    rules = sl.verdicts(sl.when_to_use(SAGA, n_sagas=200))
    assert rules._repr_markdown_().startswith("| the seed's rule |")


def test_routing_is_passing_the_saga_on_not_replying():
    from sagalab.analysis.comparison_graphs import routes_the_saga
    g = sl.event_graph(SAGA, "orchestration")
    assert routes_the_saga(g, "orchestrator")
    assert not routes_the_saga(g, "payment")  # it only answers the orchestrator
    assert routes_the_saga(sl.event_graph(SAGA, "choreography"), "payment")


def test_saga_paths_and_who_a_test_stands_up():
    chor = sl.saga_paths(SAGA, "choreography")
    orch = sl.saga_paths(SAGA, "orchestration")
    assert len(chor) == len(orch) == 4  # completes, or fails at one of three steps
    assert set(orch["flow"]) == {("orchestrator",)}
    assert chor["flow"].map(len).max() == 3
    dlq = SAGA.with_step("payment", compensation_failure_p=0.1)
    assert len(sl.saga_paths(dlq, "orchestration")) == 6  # a refund may be parked
    loan = sl.saga_paths(sl.scenarios.loan_approval(), "choreography")
    # a skipped step's service still passes the event on under choreography
    assert all("kyc" in p for p in loan.participants)
