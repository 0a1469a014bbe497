"""Choreography under faults: outboxes, dual writes, redelivery, broker outages, partitions.

Plain timeline of one saga (broker latency 0.3 s, a and b take 1 s each),
relative to its start s0: OrderCreated arrives 0.3; a works 0.3-1.3;
ACompleted arrives 1.6; b works 1.6-2.6; BCompleted reaches the order at 2.9.
"""
import math

import numpy as np
import pandas as pd
import pytest

import sagalab as sl
from sagalab.analysis import theory

AB = sl.Saga("ab", [sl.Step("a", 1.0), sl.Step("b", 1.0)])
BROKER = sl.Broker(latency=0.3)


def run(saga=AB, at=None, pattern="choreography", **kw):
    kw.setdefault("broker", BROKER)
    s0 = sl.simulate(saga, pattern, arrival_rate=1.0, n_sagas=1, seed=0).sagas.start[0]
    faults = [sl.Outage(t, s0 + a, d) for t, a, d in (at or [])]
    r = sl.simulate(saga, pattern, arrival_rate=1.0, n_sagas=1, seed=0, faults=faults, **kw)
    return r, r.sagas.iloc[0]


def test_plain_timeline_is_what_the_tests_assume():
    assert run()[1].latency == pytest.approx(2.9)


def test_events_for_a_down_service_wait_in_the_broker():
    r, row = run(at=[("b", 1.0, 1.0)])  # b down 1.0-2.0; ACompleted arrives at 1.6
    assert row.outcome == "completed" and row.latency == pytest.approx(2.0 + 1.0 + 0.3)
    assert row.fault_wait == pytest.approx(0.4) and row.retries == 0


@pytest.mark.parametrize("idempotent, duplicates", [(True, 0), (False, 1)])
def test_outbox_publishes_after_recovery(idempotent, duplicates):
    saga = AB.with_step("a", idempotent=idempotent)
    r, row = run(saga, at=[("a", 0.8, 1.0)])  # a crashes at 0.8 mid-work, back at 1.8
    assert row.outcome == "completed"
    assert row.latency == pytest.approx(1.8 + 0.3 + 1.0 + 0.3)  # the relay publishes at 1.8
    # the unacknowledged OrderCreated comes again: applied twice unless idempotent
    assert row.duplicates == duplicates


def test_dual_write_loses_the_event_and_the_saga_is_stuck():
    saga = AB.with_step("a", outbox=False)
    r, row = run(saga, at=[("a", 0.8, 1.0)])
    assert row.outcome == "stuck" and math.isnan(row.latency)
    assert row.steps_completed == 1  # a committed; nobody will ever hear of it
    assert "ACompleted" not in set(r.events.name.astype(str))
    assert row.inconsistent == pytest.approx(r.params["duration"] - (row.start + 0.8))
    # a careless (non-idempotent) consumer redoes the redelivered event: a duplicate, no stall
    careless = saga.with_step("a", idempotent=False)
    r, row = run(careless, at=[("a", 0.8, 1.0)])
    assert row.outcome == "completed" and row.duplicates == 1
    assert row.latency == pytest.approx(1.8 + 1.0 + 0.3 + 1.0 + 0.3)


def test_broker_outage_delays_choreography_only():
    r, row = run(at=[("broker", 0.1, 0.4)])  # OrderCreated in transit is held until 0.5
    assert row.outcome == "completed" and row.latency == pytest.approx(0.5 + 2.6)
    assert row.fault_wait == pytest.approx(0.2)
    assert r.events.delivered.iloc[0] == pytest.approx(row.start + 0.5)
    plain = sl.simulate(AB, "orchestration", arrival_rate=1.0, n_sagas=1, seed=0)
    r, row = run(at=[("broker", 0.1, 0.4)], pattern="orchestration")
    pd.testing.assert_frame_equal(plain.sagas, r.sagas)


@pytest.mark.parametrize("idempotent, duplicates", [(True, 0), (False, 2)])
def test_redelivered_events_apply_twice_unless_idempotent(idempotent, duplicates):
    saga = sl.Saga("ab", [sl.Step(x, 1.0, idempotent=idempotent) for x in "ab"])
    r, row = run(saga, broker=sl.Broker(latency=0.3, redelivery_p=1.0))
    assert row.outcome == "completed" and row.duplicates == duplicates
    assert row.latency == pytest.approx(2.9)  # a duplicate costs work, not the saga's time


def test_redelivery_rate_is_the_configured_probability():
    saga = sl.Saga("x", [sl.Step("a", 0.001, idempotent=False)])
    r = sl.simulate(saga, "choreography", arrival_rate=20, n_sagas=4000, seed=3, trace=False,
                    broker=sl.Broker(redelivery_p=0.25))
    assert r.sagas.duplicates.mean() == pytest.approx(0.25, abs=0.03)


def test_one_partition_makes_a_multi_worker_service_an_mm1():
    mean, lam = 0.1, 5.0
    saga = sl.Saga("p", [sl.Step("a", sl.Exponential(mean), capacity=3)])
    zero = dict(network=sl.Network(hop=0), orchestrator=sl.Orchestrator(overhead=0))
    kw = dict(arrival_rate=lam, n_sagas=20_000, seed=4, trace=False, **zero)
    one = sl.simulate(saga, "choreography", broker=sl.Broker(latency=0, partitions=1), **kw)
    free = sl.simulate(saga, "choreography", broker=sl.Broker(latency=0), **kw)
    lat1 = one.sagas.latency.to_numpy()[2000:]
    assert lat1.mean() == pytest.approx(theory.mm1_sojourn(lam, mean), rel=0.08)
    lat3 = free.sagas.latency.to_numpy()[2000:]
    assert lat3.mean() == pytest.approx(theory.mmc_sojourn(lam, mean, 3), rel=0.05)


def test_partitions_block_behind_a_slow_event():
    # two sagas 0.01 s apart on one partition: the second waits although a worker is free
    saga = sl.Saga("p", [sl.Step("a", 1.0, capacity=2)])
    kw = dict(arrival_rate=100.0, n_sagas=2, seed=0, broker=sl.Broker(latency=0))
    free = sl.simulate(saga, "choreography", **kw).sagas
    one = sl.simulate(saga, "choreography", **{**kw, "broker": sl.Broker(latency=0,
                                                                          partitions=1)}).sagas
    assert free.queueing.tolist() == [0, 0]
    assert one.queueing[1] == pytest.approx(1.0 - (one.start[1] - one.start[0]))


@pytest.mark.parametrize("pattern", sl.PATTERNS)
def test_compensation_retries_follow_the_geometric_law(pattern):
    p, r_ = 0.5, 2
    saga = sl.Saga("c", [sl.Step("a", 0.001, compensation_failure_p=p, compensation_retries=r_),
                         sl.Step("b", 0.001, failure_p=1.0)])
    s = sl.simulate(saga, pattern, arrival_rate=10, n_sagas=8000, seed=1, trace=False).sagas
    assert (s.outcome == "dlq").mean() == pytest.approx(p ** (r_ + 1), abs=0.015)
    assert s.retries.mean() == pytest.approx(p + p * p, abs=0.04)


def test_waiting_while_a_consumer_is_down_is_fault_wait_not_queueing():
    saga = sl.scenarios.ecommerce(payment_failure_p=0, inventory_failure_p=0,
                                  shipping_failure_p=0)
    r = sl.simulate(saga, "choreography", arrival_rate=20, n_sagas=80, seed=3,
                    faults=[sl.Outage("payment", start=1.0, duration=1.0)])
    s = r.sagas
    during = s[(s.start > 1.2) & (s.start < 1.8)]
    assert len(during) > 5
    # their OrderCreated reached payment while it was down: they waited for its recovery
    assert (during.fault_wait >= 2.0 - during.start - 0.05).all()
    # after the recovery they queue behind the backlog, and that part is queueing
    assert during.fault_wait.sum() > during.queueing.sum() > 0
    parts = s.queueing + s.service + s.transit + s.coordination + s.fault_wait
    assert np.allclose(parts, s.latency)
