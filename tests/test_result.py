"""Result tables: the inconsistency window, stuck rows and the in-flight timeline."""
import numpy as np
import pytest

import sagalab as sl

AB = sl.Saga("ab", [sl.Step("a", 1.0), sl.Step("b", 2.0)])
ABC = sl.Saga("abc", [sl.Step("a", 1), sl.Step("b", 1), sl.Step("c", 1, failure_p=1.0)])
BROKER = sl.Broker(latency=0.3)


def one(saga, **kw):
    return sl.simulate(saga, "choreography", arrival_rate=1.0, n_sagas=1, seed=0,
                       broker=BROKER, **kw).sagas.iloc[0]


def test_inconsistent_is_the_time_between_the_first_and_the_last_effect():
    # a commits at 1.3, b at 3.6: some but not all effects in place for 2.3 s
    assert one(AB).inconsistent == pytest.approx(2.3)
    # a, b commit at 1.3, 2.6; c fails; b refunded at 2.6+0.3+1+0.3+1 = 5.2, a at 6.5
    assert one(ABC).inconsistent == pytest.approx(6.5 - 1.3)
    dlq = ABC.with_step("b", compensation_failure_p=1.0)
    row = one(dlq)  # b's refund failed: inconsistent until the saga ends
    assert row.inconsistent == pytest.approx(row.end - (row.start + 1.3))
    single = sl.Saga("x", [sl.Step("a", 1.0)])
    assert one(single).inconsistent == 0.0


def stuck_run():
    saga = sl.scenarios.ecommerce().with_step("inventory", outbox=False)
    return sl.simulate(saga, "choreography", arrival_rate=30, n_sagas=300, seed=1,
                       faults=[sl.Outage("inventory", 2.0, 0.5)])


def test_stuck_sagas_are_rows_with_no_end():
    r = stuck_run()
    s = r.sagas
    stuck = s[s.outcome == "stuck"]
    assert len(stuck) >= 1 and len(s) == 300
    assert stuck.end.isna().all() and stuck.latency.isna().all()
    assert (stuck.steps_completed >= 2).all()  # payment and inventory applied, no order
    summ = r.summary()
    assert summ.stuck == len(stuck) and summ.completed + summ.compensated + summ.stuck == 300
    assert np.isfinite(summ.latency_mean)


def test_timeline_counts_in_flight_and_the_oldest_unfinished_saga():
    r = stuck_run()
    s, tl = r.sagas, r.timeline()
    stuck = s[s.outcome == "stuck"]
    end = r.params["duration"]
    assert tl.index[0] == 0 and tl.index[-1] == pytest.approx(end)
    assert tl.in_flight.iloc[-1] == len(stuck)  # the stuck never leave
    assert tl.oldest_age.iloc[-1] == pytest.approx(end - stuck.start.min())
    # at any time, in flight = started - ended, checked by brute force
    for t in (1.0, 2.2, 5.0):
        live = (s.start <= t) & ~(s.end <= t)
        row = r.timeline([t]).iloc[0]
        assert row.in_flight == live.sum()
        assert row.oldest_age == pytest.approx(t - s.start[live].min() if live.any() else 0.0)


def test_timeline_of_a_healthy_run_drains():
    r = sl.simulate(sl.scenarios.ecommerce(), "orchestration", arrival_rate=20, n_sagas=200)
    tl = r.timeline()
    assert tl.in_flight.iloc[-1] == 0 and tl.oldest_age.iloc[-1] == 0
    assert tl.oldest_age.max() <= r.sagas.latency.max() + 1e-12
    # time-average in flight agrees with Little's L from the summary
    t = np.linspace(r.sagas.start.min(), r.sagas.end.max(), 20001)
    assert r.timeline(t).in_flight.mean() == pytest.approx(r.summary().in_flight, rel=0.03)
