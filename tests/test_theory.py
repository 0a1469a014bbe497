"""The simulator against queueing theory, with zero fixed delays, in both patterns.

Runs are seeded, so each assertion is deterministic; tolerances are wide
enough for the sample sizes used (checked over several seeds when written).
"""
import numpy as np
import pytest

import sagalab as sl
from sagalab.analysis import theory

ZERO = dict(network=sl.Network(hop=0), broker=sl.Broker(latency=0),
            orchestrator=sl.Orchestrator(overhead=0))
SEED_PATTERNS = ("choreography", "orchestration")
#: every way to coordinate and communicate: (pattern, transport)
VARIANTS = [("choreography", "sync"), ("orchestration", "sync"), ("orchestration", "async"),
            ("hybrid", "sync"), ("hybrid", "async")]


@pytest.mark.parametrize("pattern", SEED_PATTERNS)
@pytest.mark.parametrize("c, rho", [(1, 0.6), (3, 0.8)])
def test_single_station_matches_erlang_c(pattern, c, rho):
    mean = 0.1
    lam = rho * c / mean
    saga = sl.Saga("mmc", [sl.Step("payment", sl.Exponential(mean), capacity=c)])
    r = sl.simulate(saga, pattern, arrival_rate=lam, n_sagas=60_000, seed=7, trace=False,
                    **ZERO)
    lat = r.sagas.latency.to_numpy()[5_000:]  # drop the warm-up from an empty system
    assert lat.mean() == pytest.approx(theory.mmc_sojourn(lam, mean, c), rel=0.05)
    assert r.stations.loc["payment", "utilization"] == pytest.approx(rho, rel=0.03)
    waited = (r.sagas.queueing.to_numpy()[5_000:] > 0).mean()
    assert waited == pytest.approx(theory.erlang_c(c, lam * mean), abs=0.03)


@pytest.mark.parametrize("pattern, transport", [("choreography", "sync"),
                                                ("orchestration", "sync"),
                                                ("orchestration", "async"), ("hybrid", "sync")])
def test_tandem_matches_jackson(pattern, transport):
    stations = [(0.05, 1), (0.03, 1), (0.08, 2)]
    lam = 12.0
    stage = ["front", "front", None]  # hybrid: two steps chained by events, then one alone
    saga = sl.Saga("tandem", [sl.Step(f"s{i}", sl.Exponential(m), capacity=c, stage=stage[i])
                              for i, (m, c) in enumerate(stations)])
    r = sl.simulate(saga, pattern, arrival_rate=lam, n_sagas=60_000, seed=3, trace=False,
                    transport=transport, **ZERO)
    lat = r.sagas.latency.to_numpy()[5_000:]
    assert lat.mean() == pytest.approx(theory.tandem_sojourn(lam, stations), rel=0.05)


@pytest.mark.parametrize("stages", [(None, None, None), ("pay", "pay", None)])
def test_zero_delays_make_the_patterns_identical(stages):
    saga = sl.scenarios.ecommerce(payment_failure_p=0.2)
    for name, stage in zip(saga.step_names, stages):
        saga = saga.with_step(name, stage=stage)
    c, *others = (sl.simulate(saga, p, arrival_rate=30, n_sagas=3000, seed=1, transport=t,
                              **ZERO).sagas for p, t in VARIANTS)
    for o in others:
        assert np.array_equal(c.latency, o.latency)


def test_compensation_probability():
    ps = [0.1, 0.2, 0.05]
    saga = sl.Saga("p", [sl.Step(f"s{i}", 0.001, failure_p=p) for i, p in enumerate(ps)])
    r = sl.simulate(saga, "choreography", arrival_rate=10, n_sagas=40_000, seed=2, trace=False)
    frac = (r.sagas.outcome == "compensated").mean()
    assert frac == pytest.approx(theory.p_compensated(ps), abs=0.01)
    # where each saga failed follows the chain: P(fail at j) = p_j * prod_{i<j}(1 - p_i)
    at = r.sagas.failed_step.value_counts(normalize=False) / len(r.sagas)
    assert at["s1"] == pytest.approx(0.9 * 0.2, abs=0.01)


@pytest.mark.parametrize("pattern", SEED_PATTERNS)
def test_littles_law(pattern):
    r = sl.simulate(sl.scenarios.ecommerce(), pattern, arrival_rate=30, n_sagas=20_000,
                    seed=9, trace=False)
    s = r.sagas
    # L measured independently: integrate the number in system over time
    t = np.concatenate([s.start, s.end])
    step = np.concatenate([np.ones(len(s)), -np.ones(len(s))])
    order = np.argsort(t, kind="stable")
    t, n_in = t[order], np.cumsum(step[order])
    area = np.sum(n_in[:-1] * np.diff(t))
    L = area / (t[-1] - t[0])
    lam = len(s) / (t[-1] - t[0])
    assert L == pytest.approx(lam * s.latency.mean(), rel=0.02)
    assert r.summary()["in_flight"] == pytest.approx(L, rel=0.02)


def test_coordinator_saturation_formula():
    assert theory.coordinator_saturation(2, 0.001, 4) == pytest.approx(500)
    with pytest.raises(ValueError, match="unstable"):
        theory.erlang_c(2, 2.5)


@pytest.mark.parametrize("pattern", ["choreography", "orchestration"])
@pytest.mark.parametrize("n", [1, 2, 5])
def test_messaging_time_is_exact_when_nothing_queues(pattern, n):
    saga = sl.scenarios.chain(n, service_time=sl.Constant(0.01), capacity=50)
    hop, lat, h = 0.003, 0.011, 0.002
    r = sl.simulate(saga, pattern, arrival_rate=20, n_sagas=100, seed=n,
                    network=sl.Network(hop), broker=sl.Broker(lat),
                    orchestrator=sl.Orchestrator(capacity=50, overhead=h))
    want = n * 0.01 + sl.theory.messaging_time(pattern, n, hop=hop, broker_latency=lat,
                                                overhead=h)
    assert r.sagas["latency"].to_numpy() == pytest.approx(want, abs=1e-12)


def test_messaging_time_defaults_do_not_tie_and_bad_pattern():
    chor, orch = (sl.theory.messaging_time(p, 3) for p in SEED_PATTERNS)
    assert chor == pytest.approx(4 * sl.Broker().latency.mean)
    assert orch == pytest.approx(4 * (2 * sl.Network().hop.mean + sl.Orchestrator().overhead.mean))
    assert chor != pytest.approx(orch, rel=0.1)  # the defaults are not chosen to tie
    with pytest.raises(ValueError, match="pattern"):
        sl.theory.messaging_time("hybrid", 3)


@pytest.mark.parametrize("pattern", SEED_PATTERNS)
def test_messaging_time_is_the_mean_with_the_default_random_delays(pattern):
    saga = sl.scenarios.chain(3, service_time=sl.Constant(0.01), capacity=50)
    r = sl.simulate(saga, pattern, arrival_rate=20, n_sagas=4_000, seed=2, trace=False,
                    orchestrator=sl.Orchestrator(capacity=50))
    messaging = (r.sagas.transit + r.sagas.coordination).mean()
    assert messaging == pytest.approx(sl.theory.messaging_time(pattern, 3), rel=0.02)


@pytest.mark.parametrize("pattern", sl.PATTERNS)
@pytest.mark.parametrize("q, retries", [(0.3, 0), (0.5, 1)])
def test_dead_letters_match_p_dead_letter(pattern, q, retries):
    saga = sl.scenarios.ecommerce(payment_failure_p=0.1, inventory_failure_p=0.2,
                                  shipping_failure_p=0.3)
    for step in saga.step_names:
        saga = saga.with_step(step, compensation_failure_p=q, compensation_retries=retries)
    s = sl.simulate(saga, pattern, arrival_rate=10, n_sagas=4_000, seed=5, trace=False).sagas
    failed = s[s.outcome != "completed"]
    expected = sum(theory.p_dead_letter(q, retries, int(k)) for k in failed.steps_completed)
    dlq = (s.outcome == "dlq").sum()
    assert dlq == pytest.approx(expected, abs=3 * np.sqrt(expected) + 1)


@pytest.mark.parametrize("n", [1, 4])
def test_messaging_time_async_orchestration_is_exact_when_nothing_queues(n):
    saga = sl.scenarios.chain(n, service_time=sl.Constant(0.01), capacity=50)
    hop, lat, h = 0.003, 0.011, 0.002
    r = sl.simulate(saga, "orchestration", transport="async", arrival_rate=20, n_sagas=100,
                    seed=n, network=sl.Network(hop), broker=sl.Broker(lat),
                    orchestrator=sl.Orchestrator(capacity=50, overhead=h))
    want = n * 0.01 + sl.theory.messaging_time("orchestration", n, hop=hop, broker_latency=lat,
                                                overhead=h, transport="async")
    assert want == pytest.approx(n * 0.01 + (n + 1) * (2 * lat + h))
    assert r.sagas["latency"].to_numpy() == pytest.approx(want, abs=1e-12)


def test_messaging_time_refuses_bad_transport():
    with pytest.raises(ValueError, match="transport"):
        sl.theory.messaging_time("orchestration", 3, transport="http")
    with pytest.raises(ValueError, match="broker"):
        sl.theory.messaging_time("choreography", 3, transport="async")
