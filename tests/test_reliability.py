"""fault_table and the stuck-saga detector's list, against the Result tables they read."""
import numpy as np
import pytest

import sagalab as sl

SAGA = (sl.scenarios.ecommerce(payment_failure_p=0.2, inventory_failure_p=0.2)
        .with_step("payment", compensation_failure_p=0.4))
CRASH = [sl.Outage("orchestrator", 4.0, 2.0)]


@pytest.fixture(scope="module")
def runs():
    return {p: sl.simulate(SAGA, p, arrival_rate=25, n_sagas=400, seed=3) for p in sl.PATTERNS}


def test_fault_table_counts_what_the_sagas_say(runs):
    t = sl.fault_table(runs)
    assert list(t.index) == list(sl.PATTERNS)
    for p, r in runs.items():
        s, row = r.sagas, t.loc[p]
        assert row["n"] == len(s)
        for o in sl.OUTCOMES:
            assert row[o] == (s.outcome == o).sum()
        assert row["dlq"] > 0 and row["dead_letters"] == (r.events.kind == "dlq").sum()
        assert row["inconsistent_ms"] == pytest.approx(1e3 * s.inconsistent.mean())
        assert row["inconsistent_s"] == pytest.approx(s.inconsistent.sum())
        assert row["p99_ms"] == pytest.approx(1e3 * r.summary()["latency_p99"])
        assert row["duplicates"] == s.duplicates.sum() == 0


def test_fault_table_untraced_run_has_no_dead_letter_count():
    r = sl.simulate(SAGA, "choreography", arrival_rate=25, n_sagas=200, seed=3, trace=False)
    row = sl.fault_table({"quiet": r}).loc["quiet"]
    assert np.isnan(row["dead_letters"]) and row["dlq"] > 0


@pytest.mark.parametrize("durable", [False, True])
def test_stuck_sagas_lists_exactly_the_lost_sagas(durable):
    r = sl.simulate(SAGA, "orchestration", arrival_rate=30, n_sagas=300, seed=8, faults=CRASH,
                    orchestrator=sl.Orchestrator(durable_log=durable))
    stuck = set(r.sagas.saga_id[r.sagas.outcome == "stuck"])
    found = sl.stuck_sagas(r, older_than=1.0)
    assert set(found.saga_id) == stuck
    assert bool(stuck) is not durable  # without the log some are lost, with it none
    assert (found.age >= 1.0).all() and found.age.is_monotonic_decreasing
    assert sl.stuck_sagas(r, older_than=1.0, at=3.9).empty  # nothing old before the crash


def test_stuck_sagas_with_no_age_limit_agrees_with_the_timeline():
    r = sl.simulate(SAGA, "orchestration", arrival_rate=30, n_sagas=300, seed=8, faults=CRASH)
    times = [2.0, 4.5, 5.9, 8.0]
    tl = r.timeline(times)
    for t in times:
        found = sl.stuck_sagas(r, older_than=0.0, at=t)
        assert len(found) == tl.loc[t, "in_flight"]
        oldest = found.age.max() if len(found) else 0.0
        assert oldest == pytest.approx(tl.loc[t, "oldest_age"])


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_stuck_sagas_rejects_bad_thresholds(runs, bad):
    with pytest.raises(ValueError, match="older_than"):
        sl.stuck_sagas(runs["choreography"], older_than=bad)
