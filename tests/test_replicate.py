"""sl.replicate: independent replications, confidence intervals, warm-up, common random numbers."""
import numpy as np
import pytest

import sagalab as sl
from sagalab.analysis import theory

ZERO = dict(network=sl.Network(hop=0), broker=sl.Broker(latency=0),
            orchestrator=sl.Orchestrator(overhead=0))


def test_intervals_cover_the_mm1_mean_at_their_nominal_rate():
    """80 experiments of 5 short replications: about 95 % of intervals hold 1/(mu - lambda)."""
    mean, lam = 0.1, 5.0  # rho = 0.5
    truth = theory.mm1_sojourn(lam, mean)
    saga = sl.Saga("mm1", [sl.Step("payment", sl.Exponential(mean))])
    hits = 0
    n_experiments = 80
    for k in range(n_experiments):
        reps = sl.replicate(saga, "choreography", 5, seed=k, arrival_rate=lam, n_sagas=400,
                            warmup=40, **ZERO)
        low, high = reps.interval("latency_mean")
        hits += low <= truth <= high
    assert 0.86 <= hits / n_experiments <= 0.99  # 0.93 and 0.94 measured (80, 300 experiments)


def test_replications_are_independent_and_reproducible():
    saga = sl.scenarios.ecommerce()
    a = sl.replicate(saga, "orchestration", 3, seed=4, arrival_rate=10, n_sagas=200)
    b = sl.replicate(saga, "orchestration", 3, seed=4, arrival_rate=10, n_sagas=200)
    assert a.runs.equals(b.runs)
    assert a.runs["latency_mean"].nunique() == 3  # each replication its own stream
    s = a.summary()
    assert set(s.columns) == {"mean", "std", "half_width", "low", "high", "n"}
    assert s.loc["latency_mean", "mean"] == pytest.approx(a.runs["latency_mean"].mean())
    assert (s.loc["latency_mean", "low"] < s.loc["latency_mean", "mean"]
            < s.loc["latency_mean", "high"])


def test_a_seed_sequence_passed_in_is_not_consumed():
    ss = np.random.SeedSequence(11)
    saga = sl.scenarios.ecommerce()
    a = sl.replicate(saga, "choreography", 2, seed=ss, arrival_rate=10, n_sagas=100)
    b = sl.replicate(saga, "choreography", 2, seed=ss, arrival_rate=10, n_sagas=100)
    assert a.runs.equals(b.runs)


def test_warmup_drops_the_first_sagas():
    r = sl.simulate(sl.scenarios.ecommerce(), "choreography", arrival_rate=10, n_sagas=200)
    assert r.summary(warmup=50)["n"] == 150
    assert r.summary(warmup=0.25)["n"] == 150
    kept = r.sagas.iloc[50:]
    assert r.summary(warmup=50)["latency_mean"] == pytest.approx(kept.latency.mean())
    for bad, exc in [(1.0, ValueError), (-1, ValueError), ("10%", TypeError), (True, TypeError)]:
        with pytest.raises(exc, match="warmup"):
            r.summary(warmup=bad)


def test_paired_differences_have_smaller_variance_than_unpaired():
    """Common random numbers: both patterns meet the same sagas; the difference is not noise."""
    saga = sl.scenarios.ecommerce()
    kw = dict(arrival_rate=25, n_sagas=300)
    chor = sl.replicate(saga, "choreography", 12, seed=1, **kw).runs["latency_p99"]
    orch = sl.replicate(saga, "orchestration", 12, seed=1, **kw).runs["latency_p99"]
    orch_other = sl.replicate(saga, "orchestration", 12, seed=2, **kw).runs["latency_p99"]
    paired = np.var(orch - chor, ddof=1)
    unpaired = np.var(orch_other - chor, ddof=1)
    assert paired < 0.05 * unpaired


def test_bad_input_raises_before_reporting():
    saga = sl.scenarios.ecommerce()
    with pytest.raises(ValueError, match="arrival_rate"):
        sl.replicate(saga, "choreography", 2, arrival_rate=-1, n_sagas=10)
    with pytest.raises(ValueError, match="pattern"):
        sl.replicate(saga, "nope", 2, arrival_rate=1, n_sagas=10)
    with pytest.raises(ValueError, match="replications"):
        sl.replicate(saga, "choreography", 0, arrival_rate=1, n_sagas=10)
    with pytest.raises(ValueError, match="confidence"):
        sl.replicate(saga, "choreography", 2, confidence=95, arrival_rate=1, n_sagas=10)
    with pytest.raises(KeyError, match="latency_mean"):
        sl.replicate(saga, "choreography", 2, arrival_rate=1, n_sagas=10).interval("latency")
