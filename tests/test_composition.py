"""Every feature composes: invariants over random combinations of all the axes at once.

Patterns x transports x workflow features (conditions, step kinds, parallel groups,
stages) x faults and delivery semantics (service, orchestrator and broker outages, a
durable log, timeouts, retries, backoff, redelivery, partitions, outboxes, compensation
retries, commits) x business state with every countermeasure.
"""
import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import sagalab as sl
from sagalab.model.state import COUNTERMEASURES
from sagalab.sim.catalogue import build_catalogue

NEVER = 1e9  # an outage that starts after every run has ended
ATTRS = {"amount": sl.Exponential(100.0), "tier": sl.Choice(("gold", "new", "std"))}
CONDITIONS = [None, sl.Condition("amount", ">", 50.0), sl.Condition("tier", "==", "new")]
VARIANTS = [("choreography", "sync"), ("orchestration", "sync"), ("orchestration", "async"),
            ("hybrid", "sync"), ("hybrid", "async")]
times = st.sampled_from([sl.Constant(0.01), sl.Exponential(0.02), sl.LogNormal(0.02, 0.5)])


@st.composite
def sagas(draw):
    """Kinds in order, maybe a parallel group, maybe stages, conditions (not on step 0)."""
    n = draw(st.integers(1, 5))
    pivot = draw(st.integers(0, n))
    kinds = ["compensatable" if i < pivot else "pivot" if i == pivot else "retriable"
             for i in range(n)]
    cut = sorted(draw(st.sets(st.integers(1, max(n - 1, 1)), max_size=2)))
    staged = draw(st.booleans())
    stages = [f"st{sum(i >= c for c in cut)}" if staged else None for i in range(n)]
    par = [None] * n
    start, width = draw(st.integers(0, n - 1)), draw(st.integers(1, 3))
    grp = list(range(start, min(n, start + width)))
    if len({kinds[i] for i in grp}) == 1 and kinds[grp[0]] != "pivot":
        for i in grp:
            par[i] = "g"
    steps = [sl.Step(f"s{i}", draw(times), kind=kinds[i], stage=stages[i], parallel=par[i],
                     failure_p=draw(st.sampled_from([0.0, 0.2, 0.5])),
                     compensation_failure_p=draw(st.sampled_from([0.0, 0.0, 0.3])),
                     compensation_retries=draw(st.integers(0, 2)),
                     capacity=draw(st.integers(1, 2)),
                     idempotent=draw(st.booleans()), outbox=draw(st.booleans()),
                     when=None if i == 0 else draw(st.sampled_from(CONDITIONS)))
             for i in range(n)]
    return sl.Saga("w", steps, attributes=ATTRS)


@st.composite
def setups(draw):
    saga = draw(sagas())
    pattern, transport = draw(st.sampled_from(VARIANTS))
    names = list(saga.step_names) + ["orchestrator", "broker"]
    targets = draw(st.lists(st.sampled_from(names), unique=True, max_size=3))
    faults = [sl.Outage(t, draw(st.floats(0, 2)), draw(st.floats(0.01, 0.8))) for t in targets]
    infra = dict(
        network=sl.Network(hop=draw(st.sampled_from([0.0, 0.002])),
                           timeout=draw(st.sampled_from([None, None, 0.05, 0.3])),
                           retries=draw(st.integers(0, 2)),
                           backoff=draw(st.sampled_from([0.0, 0.01]))),
        broker=sl.Broker(latency=draw(st.sampled_from([0.0, 0.005])),
                         redelivery_p=draw(st.sampled_from([0.0, 0.0, 0.3])),
                         partitions=draw(st.sampled_from([None, None, 1, 2])),
                         commit_every=draw(st.sampled_from([1, 1, 5]))),
        orchestrator=sl.Orchestrator(overhead=draw(st.sampled_from([0.0, 0.002])),
                                     capacity=draw(st.integers(1, 2)),
                                     durable_log=draw(st.booleans())),
    )
    state = []
    stateful = [s for s in saga.steps if s.kind != "retriable"]
    if stateful and draw(st.booleans()):
        cm = draw(st.sampled_from(COUNTERMEASURES))
        state = [sl.Stock(draw(st.sampled_from(stateful)).name, products=2, initial=15,
                          quantity=(1, 3), countermeasure=cm, restock=2, restock_every=0.3)]
    return saga, pattern, transport, faults, infra, state


def run(saga, pattern, transport, faults, infra, state, n, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sl.NotApplicable)
        return sl.simulate(saga, pattern, transport=transport, arrival_rate=15.0, n_sagas=n,
                           seed=seed, faults=faults, state=state, **infra)


def compensated_steps(saga, events):
    """Steps that reported a compensation (done, failed or passed on), in order."""
    said = {}
    for s in saga.steps:
        cap = s.name[0].upper() + s.name[1:]
        for name in (s.compensation_event, f"{cap}CompensationFailed"):
            said[(s.name, name)] = s.name
    return [said[k] for k in zip(events.source.astype(str), events.name.astype(str))
            if k in said]


@settings(max_examples=200)
@given(setup=setups(), n=st.integers(1, 20), seed=st.integers(0, 2**16))
def test_every_combination_keeps_the_invariants(setup, n, seed):
    saga, pattern, transport, faults, infra, state = setup
    r = run(saga, pattern, transport, faults, infra, state, n, seed)
    s = r.sagas
    # every saga once, with an outcome in the documented set
    assert list(s.saga_id) == list(range(n))
    assert s.outcome.notna().all() and s.outcome.isin(sl.OUTCOMES).all()
    ended = s[s.outcome != "stuck"]
    stuck = s[s.outcome == "stuck"]
    assert stuck.end.isna().all() and (ended.end >= ended.start).all()
    # the time columns add up to the latency of every saga that ended
    parts = ended[["queueing", "service", "transit", "coordination", "fault_wait"]].sum(axis=1)
    assert np.allclose(parts, ended.latency, rtol=1e-9, atol=1e-9)
    assert (s[["queueing", "service", "transit", "coordination", "fault_wait",
               "inconsistent"]] >= -1e-12).all().all()
    # compensated: every completed step was compensated
    comp = s.outcome == "compensated"
    assert (s.compensations[comp] == s.steps_completed[comp]).all()
    done = s.outcome == "completed"
    assert (s.compensations[done] == 0).all()
    # a retriable step never fails the saga and is never compensated
    retriable = {x.name for x in saga.steps if x.kind == "retriable"}
    assert not set(s.failed_step.dropna()) & retriable
    if len(r.events):
        assert not set(compensated_steps(saga, r.events)) & retriable
        per = r.events.groupby("saga_id").size().reindex(s.saga_id, fill_value=0)
        assert (per.to_numpy() == s.messages.to_numpy()).all()
        assert r.events.time.is_monotonic_increasing
    # once a pivot succeeded the saga completes (or is stuck: something was lost)
    pivots = [x.name for x in saga.steps if x.kind == "pivot"]
    if pivots:
        passed = set(r.events.saga_id[r.events.name == saga.step(pivots[0]).success_event])
        assert s.outcome[s.saga_id.isin(passed)].isin(["completed", "stuck"]).all()
    # the same seed gives an identical frame
    again = run(saga, pattern, transport, faults, infra, state, n, seed)
    pd.testing.assert_frame_equal(s, again.sagas)


@settings(max_examples=100)
@given(setup=setups(), seed=st.integers(0, 2**16))
def test_armed_faults_that_never_fire_change_nothing(setup, seed):
    saga, pattern, transport, _, infra, state = setup
    plain = dict(network=sl.Network(hop=infra["network"].hop),
                 broker=sl.Broker(latency=infra["broker"].latency),
                 orchestrator=sl.Orchestrator(overhead=infra["orchestrator"].overhead,
                                              capacity=infra["orchestrator"].capacity))
    armed = dict(network=sl.Network(hop=infra["network"].hop, timeout=1e6, retries=2),
                 broker=sl.Broker(latency=infra["broker"].latency, commit_every=5),
                 orchestrator=sl.Orchestrator(overhead=infra["orchestrator"].overhead,
                                              capacity=infra["orchestrator"].capacity,
                                              durable_log=True, log_latency=0))
    never = [sl.Outage(t, NEVER, 1) for t in [saga.step_names[0], "orchestrator", "broker"]]
    a = run(saga, pattern, transport, [], plain, state, 15, seed)
    b = run(saga, pattern, transport, never, armed, state, 15, seed)
    pd.testing.assert_frame_equal(a.sagas, b.sagas)
    pd.testing.assert_frame_equal(a.events, b.events)


@settings(max_examples=100)
@given(setup=setups(), seed=st.integers(0, 2**16))
def test_a_fault_that_overlaps_the_run_changes_the_result(setup, seed):
    saga, pattern, transport, _, infra, state = setup
    first = saga.step_names[0]  # runs in every saga: it has no condition
    a = run(saga, pattern, transport, [], infra, state, 15, seed)
    b = run(saga, pattern, transport, [sl.Outage(first, 0.0, 10.0)], infra, state, 15, seed)
    assert not a.sagas.equals(b.sagas)


def test_the_catalogue_units_are_what_the_patterns_share():
    saga = sl.scenarios.travel_booking()
    units = {p: build_catalogue(saga, p).units for p in sl.PATTERNS}
    assert units["choreography"] == units["orchestration"] == units["hybrid"]
