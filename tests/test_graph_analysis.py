import pytest

import sagalab as sl
from sagalab.analysis.graph_analysis import _chain


def all_scenarios():
    return [getattr(sl.scenarios, name)() for name in sl.scenarios.__all__]


def test_coupling_orchestrator_knows_everyone_services_know_no_one():
    c = sl.coupling(sl.event_graph(sl.scenarios.ecommerce(), "orchestration"))
    assert c.loc["orchestrator", "depends_on"] == ("inventory", "order", "payment", "shipping")
    for s in ("payment", "inventory", "shipping"):  # they answer commands: no dependency
        assert c.loc[s, "depends_on"] == () and c.loc[s, "known_by"] == ("orchestrator",)
    assert c.loc["order", "depends_on"] == ("orchestrator",)


def test_coupling_choreography_services_know_only_neighbouring_topics():
    c = sl.coupling(sl.event_graph(sl.scenarios.ecommerce(), "choreography"))
    assert c.loc["payment", "depends_on"] == ("inventory.events", "order.events")
    assert c.loc["shipping", "depends_on"] == ("inventory.events",)
    assert c.loc["order", "depends_on"] == ("payment.events", "shipping.events")
    assert c["n_depends_on"].max() == 2
    assert c.loc["payment", "known_by"] == ("inventory", "order")


@pytest.mark.parametrize("pattern", sl.PATTERNS)
@pytest.mark.parametrize("saga", all_scenarios(), ids=lambda s: s.name)
def test_a_plain_saga_has_no_cycle_of_events(saga, pattern):
    saga = saga.with_step(saga.steps[0].name, compensation_failure_p=0.2)
    found = {tuple(sorted(c)) for c in sl.find_cycles(sl.event_graph(saga, pattern))}
    # the only loops allowed: an orchestrator retrying a retriable step (bounded by design)
    retries = {tuple(sorted((s.command, s.failure_event))) for s in saga.steps
               if s.kind == "retriable" and s.failure_p > 0}
    assert found <= retries
    if pattern == "orchestration":
        assert found == retries


def test_the_planted_cycle_is_found_and_only_it_and_the_fix_removes_it():
    loop = sl.order_update_loop()
    assert sl.find_cycles(loop) == [("OrderUpdated", "PaymentCompleted")]
    fixed = sl.order_update_loop(fixed=True)
    assert sl.find_cycles(fixed) == []
    assert "OrderPaid" in {k for _, _, k in fixed.edges(keys=True)}
    # The fix keeps the re-check: payment still reacts to a customer's change.
    assert ("order", "OrderAmountChanged", "PaymentCompleted") in fixed.nodes["payment"][
        "reactions"]


def test_a_cycle_through_three_services_is_reported_once_in_causal_order():
    g = sl.event_graph(sl.scenarios.ecommerce(), "choreography")
    g = sl.add_subscriber(g, "audit", on=["ShippingScheduled"], emits=["Audited"])
    g = sl.add_subscriber(g, "order", on=["Audited"], emits=["OrderCreated"])
    assert sl.find_cycles(g) == [("Audited", "OrderCreated", "PaymentCompleted",
                                  "InventoryReserved", "ShippingScheduled")]


@pytest.mark.parametrize("n", range(1, 11))
def test_growth_matches_counting_by_hand(n):
    t = sl.graph_growth(steps=[n])
    ch, orch = t.loc[("choreography", n)], t.loc[("orchestration", n)]
    dlq = 1 if n >= 2 else 0  # a single step is never compensated
    # choreography: OrderCreated + n x (completed, failed) + (n-1) x (compensated,
    # compensation failed), each through a topic (2 edges), plus n-1 dead letters.
    assert ch.edges == 2 * (1 + 2 * n + 2 * (n - 1)) + (n - 1) == 9 * n - 3
    assert ch.message_types == 4 * n - 1
    assert ch.nodes == 2 * (n + 1) + dlq
    assert ch.max_dependencies == min(n, 2)
    # orchestration: StartSaga, n commands, n successes, n failures, Complete, Cancel,
    # (n-1) x (compensate, compensated, compensation failed, dead letter).
    assert orch.edges == 3 + 3 * n + 4 * (n - 1) == 7 * n - 1
    assert orch.message_types == 6 * n
    assert orch.nodes == n + 2 + dlq
    assert orch.max_dependencies == n + 1


def test_a_new_subscriber_changes_no_one_else_in_choreography_but_the_orchestrator():
    saga = sl.scenarios.ecommerce()
    g = sl.event_graph(saga, "choreography")
    before = set(g.edges(keys=True))
    h = sl.add_subscriber(g, "notification", on=["ShippingScheduled", "PaymentFailed"])
    assert set(g.edges(keys=True)) == before  # the input is not changed
    ch = sl.graph_changes(g, h)
    assert list(ch.index) == ["notification"] and ch.loc["notification", "status"] == "new"
    assert ch.loc["notification", "new_dependencies"] == ("payment.events", "shipping.events")

    g = sl.event_graph(saga, "orchestration")
    h = sl.add_subscriber(g, "notification", on=["ShippingScheduled"])
    ch = sl.graph_changes(g, h)
    assert list(ch.index) == ["orchestrator", "notification"]
    assert ch.loc["orchestrator", "new_dependencies"] == ("notification",)
    assert ch.loc["orchestrator", "new_reactions"] == (
        "ShippingScheduled -> ProcessNotification",)
    assert sl.coupling(h).loc["notification", "n_depends_on"] == 0  # it answers a command


def test_add_subscriber_refuses_unknown_messages_and_names():
    g = sl.event_graph(sl.scenarios.ecommerce(), "choreography")
    with pytest.raises(ValueError, match="not in the graph"):
        sl.add_subscriber(g, "notification", on=["OrderShipped"])
    with pytest.raises(ValueError, match="reserved"):
        sl.add_subscriber(g, "orchestrator", on=["OrderCreated"])


def test_chain_saga_has_every_path():
    saga = _chain(3)
    assert all(0 < s.failure_p < 1 and 0 < s.compensation_failure_p < 1 for s in saga.steps)


@pytest.mark.parametrize("pattern", sl.PATTERNS)
@pytest.mark.parametrize("n", [1, 3, 7])
def test_who_knows_is_coupling_with_topics_resolved_to_their_owner(pattern, n):
    g = sl.event_graph(_chain(n), pattern)
    m, c = sl.who_knows(g), sl.coupling(g)
    assert list(m.index) == list(m.columns) == list(c.index)
    for p, deps in c["depends_on"].items():
        owners = {d.removesuffix(".events") for d in deps}
        assert {q for q in m.columns if m.loc[p, q]} == owners
    assert (m.to_numpy().diagonal() == 0).all()


def test_who_knows_orchestrator_row_is_full_services_rows_empty():
    m = sl.who_knows(sl.event_graph(sl.scenarios.ecommerce(), "orchestration"))
    assert m.loc["orchestrator"].sum() == 4
    assert m.loc[["payment", "inventory", "shipping"]].to_numpy().sum() == 0
