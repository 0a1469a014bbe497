"""Conditions, step kinds, parallel steps, hybrid stages and async transport, pinned down."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sagalab as sl
from sagalab.sim.catalogue import build_catalogue
from tests.test_properties import compensated_steps

INFRA = dict(network=sl.Network(hop=0.1), broker=sl.Broker(latency=0.3),
             orchestrator=sl.Orchestrator(overhead=0.05))
VARIANTS = [("choreography", "sync"), ("orchestration", "sync"), ("orchestration", "async"),
            ("hybrid", "sync"), ("hybrid", "async")]
BIG = sl.Condition("amount", ">", 1000)


def run(saga, pattern, transport="sync", n=1, rate=1.0, seed=0, **kw):
    return sl.simulate(saga, pattern, arrival_rate=rate, n_sagas=n, seed=seed,
                       transport=transport, **{**INFRA, **kw})


def log(r):
    return [(e.kind, e.name, e.source, e.target) for e in r.events.itertuples()]


def approval_saga(amount):
    return sl.Saga("loan", [sl.Step("a", 1.0), sl.Step("approval", 2.0, when=BIG),
                            sl.Step("b", 1.0)], attributes={"amount": amount})


def test_a_skipped_step_is_filtered_by_the_consumer_in_choreography():
    r = run(approval_saga(500.0), "choreography")
    assert log(r) == [("success", "OrderCreated", "order", "a"),
                      ("success", "ACompleted", "a", "approval"),
                      ("success", "ApprovalSkipped", "approval", "b"),
                      ("success", "BCompleted", "b", "order")]
    assert r.sagas.service[0] == 2.0 and r.sagas.steps_completed[0] == 2
    assert r.stations.loc["approval", "served"] == 0


@pytest.mark.parametrize("pattern", ["orchestration", "hybrid"])
def test_a_skipped_step_costs_no_message_where_the_orchestrator_decides(pattern):
    r = run(approval_saga(500.0), pattern)
    assert [x[1] for x in log(r)] == ["StartSaga", "ProcessA", "ACompleted", "ProcessB",
                                      "BCompleted", "CompleteOrder"]
    ran = run(approval_saga(5000.0), pattern)
    assert "ProcessApproval" in [x[1] for x in log(ran)] and ran.sagas.service[0] == 4.0


@pytest.mark.parametrize("pattern, transport", VARIANTS)
def test_a_condition_false_for_every_saga_means_the_step_never_runs(pattern, transport):
    kw = dict(n=300, rate=5.0, seed=2)
    never = sl.Saga("s", [sl.Step("a", sl.Exponential(0.1), failure_p=0.1),
                          sl.Step("x", sl.Exponential(0.1), failure_p=0.5,
                                  when=sl.Condition("amount", "<", 0)),
                          sl.Step("b", sl.Exponential(0.1), failure_p=0.2)],
                    attributes={"amount": sl.Exponential(100)})
    assert pattern and transport
    r = run(never, pattern, transport, **kw)
    s, ev = r.sagas, r.events
    assert r.stations.loc["x", "served"] == 0 and "x" not in set(s.failed_step.dropna())
    touches_x = (ev.source == "x") | (ev.target == "x")
    if pattern == "choreography":  # x consumes the event, filters it and passes it on
        passed = ev[ev.source == "x"]
        assert set(passed.name) == {"XSkipped", "XCompensationSkipped"}
        a_done = (s.failed_step != "a").sum()
        b_failed = (s.failed_step == "b").sum()
        assert len(passed) == a_done + b_failed  # forward, and back after b failed
        assert touches_x.sum() == 2 * len(passed)
    else:  # the orchestrator decides: no command, no message
        assert not touches_x.any()
        per = {"completed": 6, "a": 4, "b": 8}  # a two-step orchestrated saga
        want = [per["completed"] if o == "completed" else per[f]
                for o, f in zip(s.outcome, s.failed_step)]
        assert s.messages.tolist() == want


def test_conditions_read_the_sagas_attributes_and_match_a_plain_predicate():
    attrs = {"amount": sl.LogNormal(1000, 1.0), "tier": sl.Choice(("gold", "new"), (1, 3))}
    rule = BIG | sl.Condition("tier", "==", "new")
    saga = sl.Saga("s", [sl.Step("a", 0.01), sl.Step("approval", 0.01, when=rule)],
                   attributes=attrs)
    r = run(saga, "orchestration", n=500, rate=20.0, seed=3)
    s = r.sagas
    assert list(s.tier.cat.categories) == ["gold", "new"] and s.amount.dtype == float
    ran = r.events[r.events.name == "ProcessApproval"].saga_id
    expect = s.saga_id[(s.amount > 1000) | (s.tier == "new")]
    assert list(ran) == list(expect) and 0 < len(expect) < 500
    fn = lambda a: a["amount"] > 1000 or a["tier"] == "new"  # noqa: E731
    plain = run(saga.with_step("approval", when=fn), "orchestration", n=500, rate=20.0, seed=3)
    pd.testing.assert_frame_equal(plain.sagas, s)


def test_attributes_are_common_random_numbers():
    saga = approval_saga(sl.LogNormal(1000, 1.0))
    a = run(saga, "choreography", n=200, rate=5.0, seed=4).sagas
    b = run(saga, "hybrid", "async", n=200, rate=5.0, seed=4).sagas
    assert np.array_equal(a.amount, b.amount)
    more = sl.Saga("loan", saga.steps, attributes={"zone": sl.Choice(("eu", "us")),
                                                   "amount": sl.LogNormal(1000, 1.0)})
    c = run(more, "choreography", n=200, rate=5.0, seed=4).sagas
    assert np.array_equal(a.amount, c.amount) and np.array_equal(a.start, c.start)


@pytest.mark.parametrize("pattern, transport", VARIANTS)
def test_a_pivots_successors_are_never_compensated(pattern, transport):
    saga = sl.Saga("s", [sl.Step("a", sl.Exponential(0.05), failure_p=0.2),
                         sl.Step("pay", sl.Exponential(0.05), failure_p=0.3, kind="pivot"),
                         sl.Step("ship", sl.Exponential(0.05), failure_p=0.4, kind="retriable"),
                         sl.Step("mail", sl.Exponential(0.02), failure_p=0.5, kind="retriable",
                                 stage="x")])
    r = run(saga, pattern, transport, n=400, rate=3.0, seed=5)
    s, ev = r.sagas, r.events
    assert set(s.failed_step.dropna()) == {"a", "pay"}
    assert (s.steps_completed[s.outcome == "completed"] == 4).all()
    assert not ev.name.isin(["CompensateShip", "ShipCompensated", "CompensateMail",
                             "MailCompensated", "CompensatePay", "PayCompensated"]).any()
    # the saga goes forward whenever the pivot succeeded
    assert (s.outcome[s.failed_step.isna()] == "completed").all()


def test_retriable_steps_are_retried_until_they_succeed():
    p = 0.4
    saga = sl.Saga("s", [sl.Step("pay", 0.001, kind="pivot"),
                         sl.Step("ship", 0.001, failure_p=p, kind="retriable")])
    o = run(saga, "orchestration", n=4000, rate=20.0, seed=6)
    c = run(saga, "choreography", n=4000, rate=20.0, seed=6)
    retries = (o.events.name == "ShipFailed").sum() / 4000
    assert retries == pytest.approx(p / (1 - p), rel=0.07)  # geometric: failed attempts
    assert (o.sagas.outcome == "completed").all()
    assert o.stations.loc["ship", "served"] == c.stations.loc["ship", "served"] > 4000
    assert not (c.events.name == "ShipFailed").any()  # the service retries locally
    assert np.allclose(o.sagas.service, c.sagas.service)


def test_parallel_steps_take_the_max_not_the_sum():
    steps = [sl.Step("flight", 1.0, parallel="book"), sl.Step("hotel", 2.0, parallel="book"),
             sl.Step("car", 1.5, parallel="book"), sl.Step("pay", 0.5)]
    saga = sl.Saga("trip", steps)
    zero = dict(network=sl.Network(hop=0), broker=sl.Broker(latency=0),
                orchestrator=sl.Orchestrator(overhead=0))
    for pattern in sl.PATTERNS:  # choreography fans out too: the next step joins
        assert run(saga, pattern, **zero).sagas.latency[0] == pytest.approx(2.5)
    o = run(saga, "orchestration").sagas.iloc[0]  # 3 transfers: 2 hops and 1 decision each
    assert o.latency == pytest.approx(2.5 + 3 * (2 * 0.1 + 0.05))
    assert o.queueing + o.service + o.transit + o.coordination == pytest.approx(o.latency)
    assert o.service == pytest.approx(2.5) and o.messages == 10
    staged = sl.Saga("trip", [s if s.name == "pay" else s.__class__(
        **{**s.__dict__, "stage": "bookings"}) for s in steps])
    assert run(staged, "hybrid", **zero).sagas.latency[0] == pytest.approx(2.5)  # fan-out inside


def test_uncontended_parallel_exponentials_take_their_expected_maximum():
    m = 0.1
    saga = sl.Saga("trip", [sl.Step(x, sl.Exponential(m), parallel="g", capacity=50)
                            for x in ("flight", "hotel", "car")])
    zero = dict(network=sl.Network(hop=0), orchestrator=sl.Orchestrator(overhead=0))
    r = run(saga, "orchestration", n=20_000, rate=5.0, seed=8, trace=False, **zero)
    assert r.sagas.latency.mean() == pytest.approx(m * (1 + 1 / 2 + 1 / 3), rel=0.02)
    assert r.sagas.queueing.max() == 0


def test_a_failure_in_a_parallel_group_undoes_the_completed_siblings_in_reverse():
    saga = sl.Saga("trip", [sl.Step("before", 1.0),
                            sl.Step("flight", 1.0, parallel="book"),
                            sl.Step("hotel", 2.0, parallel="book", failure_p=1.0),
                            sl.Step("car", 1.5, parallel="book")])
    r = run(saga, "orchestration")
    names = [x[1] for x in log(r)]
    assert names[-8:] == ["HotelFailed", "CompensateCar", "CarCompensated", "CompensateFlight",
                          "FlightCompensated", "CompensateBefore", "BeforeCompensated",
                          "CancelOrder"]
    row = r.sagas.iloc[0]
    assert (row.outcome, row.failed_step, row.steps_completed, row.compensations) == (
        "compensated", "hotel", 3, 3)


def test_hybrid_chains_events_inside_a_stage_and_the_orchestrator_calls_stages():
    saga = sl.Saga("h", [sl.Step("a", 1.0, stage="s1"), sl.Step("b", 1.0, stage="s1"),
                         sl.Step("c", 1.0, stage="s2"),
                         sl.Step("d", 1.0, stage="s2", failure_p=1.0)])
    assert [x[1:] for x in log(run(saga, "hybrid"))] == [
        ("StartSaga", "order", "orchestrator"), ("ProcessA", "orchestrator", "a"),
        ("ACompleted", "a", "b"), ("BCompleted", "b", "orchestrator"),
        ("ProcessC", "orchestrator", "c"), ("CCompleted", "c", "d"), ("DFailed", "d", "c"),
        ("CCompensated", "c", "orchestrator"), ("CompensateB", "orchestrator", "b"),
        ("BCompensated", "b", "a"), ("ACompensated", "a", "orchestrator"),
        ("CancelOrder", "orchestrator", "order")]
    plain = sl.scenarios.ecommerce(payment_failure_p=0.3)
    h, o = (run(plain, p, n=200, rate=10.0, seed=1) for p in ("hybrid", "orchestration"))
    pd.testing.assert_frame_equal(h.sagas, o.sagas)  # no stages: each step is a stage


def test_async_transport_sends_commands_and_replies_through_the_broker():
    saga = sl.scenarios.ecommerce(payment_failure_p=0.3)
    a = run(saga, "orchestration", "async", n=200, rate=10.0, seed=1)
    s = run(saga, "orchestration", "sync", n=200, rate=10.0, seed=1)
    assert set(a.events.channel[a.events.kind != "dlq"]) == {"broker"}
    assert list(a.events.name) != [] and a.sagas.messages.equals(s.sagas.messages)
    one = run(sl.Saga("x", [sl.Step("p", 1.0)]), "orchestration", "async").sagas.iloc[0]
    assert one.transit == pytest.approx(4 * 0.3) and one.coordination == pytest.approx(0.1)
    assert a.params["transport"] == "async"


@pytest.mark.parametrize("pattern, transport, message", [
    ("choreography", "async", "choreography's events always go through the broker"),
    ("orchestration", "http", "transport must be one of"),
    ("mesh", "sync", "pattern must be one of"),
])
def test_bad_transport_is_refused(pattern, transport, message):
    with pytest.raises(ValueError, match=message):
        sl.simulate(sl.scenarios.ecommerce(), pattern, arrival_rate=1, n_sagas=1,
                    transport=transport)


times = st.sampled_from([sl.Constant(0.01), sl.Exponential(0.02), sl.LogNormal(0.02, 0.5)])


@st.composite
def workflows(draw):
    n = draw(st.integers(1, 6))
    pivot = draw(st.integers(0, n))  # n: no pivot
    kinds = ["compensatable" if i < pivot else "pivot" if i == pivot else "retriable"
             for i in range(n)]
    stage_cut = sorted(draw(st.sets(st.integers(1, max(n - 1, 1)), max_size=3)))
    staged = draw(st.booleans())
    stages = [f"st{sum(i >= c for c in stage_cut)}" if staged else None for i in range(n)]
    par = [None] * n
    start = draw(st.integers(0, n - 1))
    width = draw(st.integers(1, 3))
    grp = list(range(start, min(n, start + width)))
    if len({kinds[i] for i in grp}) == 1 and "pivot" not in {kinds[i] for i in grp}:
        for i in grp:
            par[i] = "g"
    conds = [None, sl.Condition("amount", ">", 50.0), sl.Condition("tier", "==", "new"),
             sl.Condition("amount", "<", 200.0) & sl.Condition("tier", "!=", "gold")]
    steps = [sl.Step(f"s{i}", draw(times), kind=kinds[i], stage=stages[i], parallel=par[i],
                     failure_p=draw(st.sampled_from([0.0, 0.2, 0.5])),
                     compensation_failure_p=draw(st.sampled_from([0.0, 0.0, 0.3])),
                     capacity=draw(st.integers(1, 2)), when=draw(st.sampled_from(conds)))
             for i in range(n)]
    attrs = {"amount": sl.Exponential(100.0), "tier": sl.Choice(("gold", "new", "std"))}
    return sl.Saga("w", steps, attributes=attrs)


@given(saga=workflows(), variant=st.sampled_from(VARIANTS), seed=st.integers(0, 2**16))
def test_workflow_invariants(saga, variant, seed):
    pattern, transport = variant
    r = run(saga, pattern, transport, n=25, rate=10.0, seed=seed)
    s, ev = r.sagas, r.events
    assert list(s.saga_id) == list(range(25)) and (s.end >= s.start).all()
    assert np.allclose(s.queueing + s.service + s.transit + s.coordination, s.latency)
    assert (ev.groupby("saga_id").size().reindex(s.saga_id, fill_value=0).to_numpy()
            == s.messages).all()
    done = s.outcome == "completed"
    assert (s.compensations[~done] == s.steps_completed[~done]).all()
    assert (s.compensations[done] == 0).all() and s.failed_step[done].isna().all()
    retriable = {x.name for x in saga.steps if x.kind == "retriable"}
    assert not set(s.failed_step.dropna()) & retriable
    # compensations come back in reverse order of the units (a parallel unit's members at once
    # in choreography and inside hybrid stages), once per completed step
    unit_of = {k: i for i, u in enumerate(build_catalogue(saga, pattern, transport).units)
               for k in u}
    for sid, g in ev.groupby("saga_id"):
        undone = compensated_steps(saga, g)
        units = [unit_of[k] for k in undone]
        assert units == sorted(units, reverse=True)
        assert len(set(undone)) == s.compensations[sid]
    if pattern == "choreography":
        assert "orchestrator" not in set(ev.source.astype(str)) | set(ev.target.astype(str))
    # the same sagas under orchestration: the same ones fail, at the same step (common random
    # numbers); only dlq vs compensated may differ, when parallel siblings ran and need undoing
    base = run(saga, "orchestration", n=25, rate=10.0, seed=seed).sagas
    assert done.equals(base.outcome == "completed") and s.failed_step.equals(base.failed_step)


def test_faults_compose_with_workflow_features():
    staged = sl.Saga("h", [sl.Step("a", 0.1, stage="s"), sl.Step("b", 0.1, stage="s")])
    cond = approval_saga(500.0).with_step("a", stage=None)
    for saga, pattern, transport in [(staged, "hybrid", "sync"), (cond, "orchestration", "sync"),
                                     (sl.scenarios.ecommerce(), "orchestration", "async")]:
        kw = dict(arrival_rate=20, n_sagas=60, transport=transport, seed=1)
        plain = sl.simulate(saga, pattern, **kw).sagas
        hit = sl.simulate(saga, pattern, **kw, faults=[
            sl.Outage(saga.steps[0].name, start=plain.start[10], duration=0.5)]).sagas
        assert not hit.equals(plain) and (hit.outcome != "stuck").all()  # outboxes: none lost
        if transport == "sync" and pattern == "orchestration":  # calls to a down service fail
            assert (hit.failed_step == "a").sum() > (plain.failed_step == "a").sum()
        else:  # commands and events wait in the broker for the service
            assert hit.fault_wait.sum() > 0 and (hit.outcome == plain.outcome).all()
