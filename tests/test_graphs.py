import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sagalab as sl
from sagalab.analysis.graphs import topic_of


def all_scenarios():
    return [getattr(sl.scenarios, name)() for name in sl.scenarios.__all__]


def forced(saga):
    """Every path likely: each step fails with 1/(n+1) (parallel ones with 1/2, so that
    several fail together), each compensation with 1/2, and equal exponential service
    times, so parallel steps' replies come in any order."""
    n = len(saga.steps)
    for s in saga.steps:
        saga = saga.with_step(s.name, failure_p=0.5 if s.parallel else 1 / (n + 1),
                              compensation_failure_p=0.5, service_time=sl.Exponential(0.05))
    return saga


def edge_set(g):
    return {(u, v, k, d["kind"], d["channel"], d["producer"])
            for u, v, k, d in g.edges(keys=True, data=True)}


@pytest.mark.parametrize("pattern", sl.PATTERNS)
@pytest.mark.parametrize("saga", all_scenarios(), ids=lambda s: s.name)
def test_spec_graph_equals_the_graph_of_a_run_that_saw_every_path(saga, pattern):
    saga = forced(saga)
    r = sl.simulate(saga, pattern, arrival_rate=5, n_sagas=300 * len(saga.steps), seed=7)
    spec, run = sl.event_graph(saga, pattern), sl.event_graph(r)
    assert edge_set(spec) == edge_set(run)
    assert nx.utils.graphs_equal(spec, run)  # nodes, roles, reactions, graph attributes too


@pytest.mark.parametrize("pattern", sl.PATTERNS)
@pytest.mark.parametrize("saga", all_scenarios(), ids=lambda s: s.name)
def test_a_short_run_flows_along_a_subset_of_the_spec(saga, pattern):
    r = sl.simulate(saga, pattern, arrival_rate=10, n_sagas=200, seed=1)
    spec, run = sl.event_graph(saga, pattern), sl.event_graph(r)
    assert edge_set(run) <= edge_set(spec)
    for n, reactions in run.nodes(data="reactions"):
        assert reactions is None or reactions <= spec.nodes[n]["reactions"]


def test_choreography_structure_of_the_seed_saga():
    saga = sl.scenarios.ecommerce().with_step("payment", compensation_failure_p=0.1)
    g = sl.event_graph(saga, "choreography")
    roles = dict(g.nodes(data="role"))
    assert "orchestrator" not in g
    assert roles["order"] == "initiator" and roles["payment"] == "service"
    assert {n for n, r in roles.items() if r == "topic"} == {
        topic_of(s) for s in ("order", "payment", "inventory", "shipping")}
    for u, v, d in g.edges(data=True):
        if d["channel"] == "broker":  # producer -> its own topic -> consumer
            assert u == d["producer"] and v == topic_of(u) or u == topic_of(d["producer"])
    assert set(g["payment.events"]["inventory"]) == {"PaymentCompleted"}
    # a refund that failed for good is parked in the DLQ and passed on under its own name
    assert set(g["payment.events"]["order"]) == {"PaymentFailed", "PaymentRefunded",
                                                 "PaymentCompensationFailed"}
    assert set(g["inventory.events"]["payment"]) == {"InventoryFailed", "InventoryReleased"}
    assert g["shipping.events"]["order"]["ShippingScheduled"]["kind"] == "success"
    assert g["payment"]["dlq"]["PaymentCompensationFailed"]["kind"] == "dlq"
    assert {d for _, _, d in g.edges(data="kind")} == {"success", "failure", "compensation",
                                                       "dlq"}


def test_orchestration_structure_of_the_seed_saga():
    g = sl.event_graph(sl.scenarios.ecommerce(), "orchestration")
    assert all("orchestrator" in (u, v) for u, v in g.edges())
    assert not any(r == "topic" for _, r in g.nodes(data="role"))
    assert set(g["orchestrator"]["payment"]) == {"ProcessPayment", "RefundPayment"}
    assert set(g["payment"]["orchestrator"]) == {"PaymentCompleted", "PaymentFailed",
                                                 "PaymentRefunded"}
    assert set(g["orchestrator"]["order"]) == {"CompleteOrder", "CancelOrder"}
    assert "dlq" not in g  # the scenario's compensations never fail
    assert {d for _, _, d in g.edges(data="kind")} == {"command", "reply", "failure",
                                                       "compensation"}


def test_probabilities_decide_what_can_flow():
    saga = sl.Saga("s", [sl.Step("a", 1), sl.Step("b", 1, failure_p=1.0), sl.Step("c", 1)])
    for pattern in sl.PATTERNS:
        g = sl.event_graph(saga, pattern)
        names = {k for _, _, k in g.edges(keys=True)}
        assert "c" not in g and "BCompleted" not in names  # b always fails: c is never asked
        assert "AFailed" not in names and "BFailed" in names  # a never fails, b does
        assert "dlq" not in g


@settings(max_examples=20)
@given(st.lists(st.tuples(st.sampled_from([0.0, 0.3, 1.0]), st.sampled_from([0.0, 0.5, 1.0])),
                min_size=1, max_size=4),
       st.sampled_from(sl.PATTERNS))
def test_runs_never_leave_the_spec_graph(ps, pattern):
    saga = sl.Saga("h", [sl.Step(f"s{i}", 0.01, failure_p=p, compensation_failure_p=q)
                         for i, (p, q) in enumerate(ps)])
    r = sl.simulate(saga, pattern, arrival_rate=50, n_sagas=150, seed=0)
    spec, run = sl.event_graph(saga, pattern), sl.event_graph(r)
    assert edge_set(run) <= edge_set(spec)
    assert nx.is_weakly_connected(spec)


def test_event_graph_refuses_bad_input():
    saga = sl.scenarios.ecommerce()
    r = sl.simulate(saga, "choreography", arrival_rate=5, n_sagas=5, trace=False)
    with pytest.raises(ValueError, match="pattern must be one of"):
        sl.event_graph(saga)
    with pytest.raises(ValueError, match="pattern must be one of"):
        sl.event_graph(saga, "mesh")
    with pytest.raises(TypeError, match="takes no pattern"):
        sl.event_graph(sl.simulate(saga, "choreography", arrival_rate=5, n_sagas=5),
                       "choreography")
    with pytest.raises(ValueError, match="trace=True"):
        sl.event_graph(r)
    with pytest.raises(TypeError, match="Saga or a Result"):
        sl.event_graph("ecommerce", "choreography")
