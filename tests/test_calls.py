"""Orchestration under faults: crashes of the coordinator, refused and timed-out calls.

Exact traces on a tiny saga with constant times. Plain timeline of one saga
(hop 0.1 s, no decision overhead, a and b take 1 s each), relative to its
start s0: StartSaga arrives 0.1; ProcessA 0.1 -> 0.2; a works 0.2-1.2; reply
at 1.3; ProcessB arrives 1.4; b works 1.4-2.4; reply 2.5; CompleteOrder 2.6.
"""
import math

import numpy as np
import pytest

import sagalab as sl

AB = sl.Saga("ab", [sl.Step("a", 1.0, compensation_time=0.1), sl.Step("b", 1.0)])
NET = sl.Network(hop=0.1)
FAST = sl.Orchestrator(overhead=0)
DURABLE = sl.Orchestrator(overhead=0, durable_log=True, log_latency=0)


def run(saga=AB, at=None, n=1, **kw):
    """One saga; ``at`` maps (target, start offset from s0, duration) to faults."""
    kw.setdefault("network", NET)
    kw.setdefault("orchestrator", FAST)
    s0 = sl.simulate(saga, "orchestration", arrival_rate=1.0, n_sagas=n, seed=0).sagas.start[0]
    faults = [sl.Outage(t, s0 + a, d) for t, a, d in (at or [])]
    r = sl.simulate(saga, "orchestration", arrival_rate=1.0, n_sagas=n, seed=0, faults=faults,
                    **kw)
    return r, r.sagas.iloc[0], s0


def names(r):
    return list(r.events.name.astype(str))


def test_plain_timeline_is_what_the_tests_assume():
    r, row, _ = run()
    assert row.latency == pytest.approx(2.6)


def test_orchestrator_crash_without_log_leaves_a_stuck_saga_with_money_charged():
    r, row, s0 = run(at=[("orchestrator", 0.5, 1.0)])
    assert row.outcome == "stuck" and math.isnan(row.end) and math.isnan(row.latency)
    assert row.steps_completed == 1  # a applied (money charged), no order
    # inconsistent from a's commit until the end of the run
    assert row.inconsistent == pytest.approx(r.params["duration"] - (s0 + 1.2))
    assert r.summary()["stuck"] == 1


def test_durable_log_resumes_from_the_last_step_after_recovery():
    r, row, _ = run(at=[("orchestrator", 0.5, 1.0)], orchestrator=DURABLE)
    # back at 1.5: ProcessA again (0.1 + 1.0 + 0.1), then b as usual (1.3)
    assert row.outcome == "completed" and row.latency == pytest.approx(1.5 + 1.2 + 1.3)
    assert (row.retries, row.duplicates, row.late_replies) == (1, 0, 1)
    assert names(r).count("ProcessA") == 2
    nonidem = AB.with_step("a", idempotent=False)
    r, row, _ = run(nonidem, at=[("orchestrator", 0.5, 1.0)], orchestrator=DURABLE)
    assert row.outcome == "completed" and row.duplicates == 1  # charged twice


def test_sagas_arriving_during_an_orchestrator_outage_wait_for_recovery():
    for orch in (FAST, DURABLE):
        r, row, _ = run(at=[("orchestrator", 0.0, 1.0)], orchestrator=orch)
        assert row.outcome == "completed"
        assert row.latency == pytest.approx(1.0 + 2.5)  # start decision at 1.0, not 0.1
        assert row.fault_wait == pytest.approx(0.9)


def test_choreography_has_no_orchestrator_to_lose():
    saga = sl.scenarios.ecommerce(payment_failure_p=0.2)
    kw = dict(arrival_rate=20, n_sagas=300, seed=1)
    a = sl.simulate(saga, "choreography", **kw)
    b = sl.simulate(saga, "choreography", faults=[sl.Outage("orchestrator", 2, 5)],
                    orchestrator=sl.Orchestrator(durable_log=False), **kw)
    assert a.sagas.equals(b.sagas) and (b.sagas.outcome != "stuck").all()


def test_refused_calls_are_retried_with_backoff_then_the_saga_compensates():
    net = sl.Network(hop=0.1, retries=2, backoff=0.1)
    r, row, _ = run(at=[("b", 1.0, 10.0)], network=net)
    # ProcessB refused at 1.4, 1.7 (after 0.1 backoff), 2.1 (after 0.2); give up at 2.2
    assert names(r).count("ProcessB") == 3 and names(r).count("BUnavailable") == 3
    assert (row.outcome, row.failed_step, row.retries) == ("compensated", "b", 2)
    assert (row.steps_completed, row.compensations) == (1, 1)  # b never acted: only a undone
    assert "CompensateB" not in names(r)
    assert row.latency == pytest.approx(2.2 + 0.1 + 0.1 + 0.1 + 0.1)
    # a shorter outage is ridden out by the retries
    r, row, _ = run(at=[("b", 1.0, 0.65)], network=net)
    assert row.outcome == "completed" and row.retries == 1


def test_without_retries_a_down_service_makes_the_saga_compensate():
    r, row, _ = run(at=[("b", 1.0, 10.0)])
    assert row.outcome == "compensated" and row.failed_step == "b" and row.retries == 0


def test_a_late_reply_does_not_resurrect_the_saga():
    net = sl.Network(hop=0.1, timeout=1.0)
    r, row, _ = run(network=net)
    # a's reply would come at 1.3; the call gave up at 1.1 and compensation began
    assert row.outcome == "compensated" and row.failed_step == "a"
    assert row.late_replies == 1
    ev = r.events
    t_comp = ev.time[ev.name == "CompensateA"].iloc[0]
    t_late = ev.time[ev.name == "ACompleted"].iloc[0]
    assert t_late > t_comp  # the reply came after compensation had begun ...
    assert "ProcessB" not in names(r)  # ... and the saga did not go on
    # a may have acted, so it is compensated too: the refund waits for the charge
    assert (row.steps_completed, row.compensations) == (1, 1)
    # CompensateA arrives at 1.2 as a commits; the refund takes 0.1
    assert row.inconsistent == pytest.approx(0.1)


def test_timeouts_and_retries_apply_effects_twice_unless_idempotent():
    saga = sl.scenarios.ecommerce()
    net = sl.Network(timeout=0.06, retries=2, backoff=0.005)
    kw = dict(arrival_rate=25, n_sagas=400, seed=5, network=net)
    idem = sl.simulate(saga, "orchestration", **kw).sagas
    assert idem.retries.sum() > 20 and idem.late_replies.sum() > 20
    assert idem.duplicates.sum() == 0
    careless = saga.with_step("payment", idempotent=False)
    dup = sl.simulate(careless, "orchestration", **kw).sagas
    assert dup.duplicates.sum() > 10
    assert (dup.duplicates <= dup.retries).all()


def test_failed_compensation_is_retried_then_dead_lettered():
    saga = sl.Saga("s", [sl.Step("a", 1, compensation_failure_p=1.0, compensation_retries=2),
                         sl.Step("b", 1, failure_p=1.0)])
    r, row, _ = run(saga)
    assert names(r).count("CompensateA") == 3
    assert names(r).count("ACompensationFailed") == 3 + 1  # three replies, one dead letter
    assert (row.outcome, row.retries) == ("dlq", 2)
    assert list(r.events.target[r.events.kind == "dlq"]) == ["dlq"]
    # the effect stays: inconsistent from a's commit to the saga's end
    assert row.inconsistent == pytest.approx(row.end - (row.start + 1.2))


def test_orchestrator_outage_measures_the_single_point_of_failure():
    saga = sl.scenarios.ecommerce()
    kw = dict(arrival_rate=40, n_sagas=400, seed=2, faults=[sl.Outage("orchestrator", 4, 1)])
    lost = sl.simulate(saga, "orchestration", **kw).sagas
    kept = sl.simulate(saga, "orchestration", orchestrator=sl.Orchestrator(durable_log=True),
                       **kw).sagas
    assert (lost.outcome == "stuck").sum() >= 1 and (kept.outcome == "stuck").sum() == 0
    assert (lost.steps_completed[lost.outcome == "stuck"] >= 1).any()
    assert kept.retries.sum() >= 1
    assert np.isnan(lost.end[lost.outcome == "stuck"]).all()


def test_the_refund_of_a_timed_out_step_waits_for_its_charge():
    # gives up at 1.0 while a still works (until 1.2): CompensateA arrives 1.1 and waits
    r, row, _ = run(network=sl.Network(hop=0.1, timeout=0.9))
    assert (row.outcome, row.steps_completed, row.compensations) == ("compensated", 1, 1)
    assert row.latency == pytest.approx(1.3 + 0.1 + 0.1)  # refunded 1.2-1.3, reply, cancel
    assert row.inconsistent == pytest.approx(0.1)
    # a timeout shorter than that wait gives the refund up too: a dead letter
    r, row, _ = run(network=sl.Network(hop=0.1, timeout=0.5))
    assert row.outcome == "dlq" and row.late_replies == 2
