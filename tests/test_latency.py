import numpy as np
import pytest

import sagalab as sl
from sagalab.analysis.latency import COMPONENTS

SAGA = sl.scenarios.ecommerce(payment_failure_p=0.2)


@pytest.fixture(scope="module")
def runs():
    return [sl.simulate(SAGA, p, arrival_rate=35, n_sagas=800, seed=4) for p in sl.SEED_PATTERNS]


def test_parts_add_up_to_the_mean_latency(runs):
    for q in (None, 0.5, 0.99):
        t = sl.latency_breakdown(runs, quantile=q)
        parts = t[list(COMPONENTS)].sum(axis=1)
        np.testing.assert_allclose(parts, t["latency"], rtol=1e-12)


def test_each_pattern_pays_on_its_own_channel(runs):
    t = sl.latency_breakdown(runs)
    assert t.loc["choreography", "network"] == 0 and t.loc["choreography", "orchestrator"] == 0
    assert t.loc["orchestration", "broker"] == 0 and t.loc["orchestration", "orchestrator"] > 0
    # same sagas (common random numbers): the services did the same work
    assert t.loc["choreography", "service"] == pytest.approx(t.loc["orchestration", "service"])


def test_tail_is_the_slowest_sagas(runs):
    all_, tail = sl.latency_breakdown(runs), sl.latency_breakdown(runs, quantile=0.99)
    assert (tail["latency"] > all_["latency"]).all()
    assert (tail["sagas"] == 8).all()
    for label, r in zip(all_.index, runs):
        assert tail.loc[label, "latency"] >= r.summary()["latency_p99"] - 1e-12


def test_untraced_run_gives_the_same_breakdown(runs):
    plain = [sl.simulate(SAGA, p, arrival_rate=35, n_sagas=800, seed=4, trace=False)
             for p in sl.SEED_PATTERNS]
    np.testing.assert_allclose(sl.latency_breakdown(plain).to_numpy(),
                               sl.latency_breakdown(runs).to_numpy(), rtol=1e-9)


def test_messaging_matches_theory_when_nothing_fails():
    saga = sl.scenarios.chain(3)
    kw = dict(arrival_rate=5, n_sagas=200, seed=1, network=sl.Network(0.004),
              broker=sl.Broker(0.007))
    t = sl.latency_breakdown({p: sl.simulate(saga, p, **kw) for p in sl.SEED_PATTERNS})
    assert t.loc["choreography", "broker"] == pytest.approx(
        sl.theory.messaging_time("choreography", 3, broker_latency=0.007))
    assert t.loc["orchestration", "network"] == pytest.approx(8 * 0.004)


def test_bad_input():
    with pytest.raises(ValueError, match="quantile"):
        sl.latency_breakdown(sl.simulate(SAGA, "choreography", arrival_rate=5, n_sagas=5),
                             quantile=1.0)
    with pytest.raises(TypeError, match="Results"):
        sl.latency_breakdown({"x": 3})
    with pytest.raises(ValueError, match="at least one"):
        sl.latency_breakdown([])


def test_paired_difference_is_narrower_than_unpaired():
    kw = dict(replications=5, arrival_rate=30, n_sagas=400, seed=2)
    a = sl.replicate(SAGA, "choreography", **kw)
    b = sl.replicate(SAGA, "orchestration", **kw)
    d = sl.paired_difference(a, b, "latency_mean")
    assert d["difference"] == pytest.approx(b.runs.latency_mean.mean() - a.runs.latency_mean.mean())
    assert d["paired_half_width"] < d["unpaired_half_width"] / 2
    assert d["replications"] == 5


def test_paired_difference_refuses_unpaired_sets():
    a = sl.replicate(SAGA, "choreography", 2, arrival_rate=10, n_sagas=50, seed=1)
    b = sl.replicate(SAGA, "orchestration", 2, arrival_rate=10, n_sagas=50, seed=2)
    with pytest.raises(ValueError, match="same seed"):
        sl.paired_difference(a, b)
    with pytest.raises(ValueError, match="unknown metric"):
        sl.paired_difference(a, a, "nope")
    with pytest.raises(TypeError, match="Replications"):
        sl.paired_difference(a, "b")
