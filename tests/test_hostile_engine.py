"""Hostile input at the simulator's boundary: refused up front, naming the argument; never a hang.

The specs check themselves (tests/test_hostile_specs.py); here the run as a whole: what
it would cost (sagalab.sim.budget), draws of a user's distribution, settings that do not
apply, and loops driven by probabilities that must end as an outcome.
"""
import time
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sagalab as sl

SAGA = sl.scenarios.ecommerce()
OK = dict(arrival_rate=10.0, n_sagas=20)


class Bad(sl.Distribution):
    """A user distribution that turns bad after its first block of draws."""

    mean = 0.01

    def __init__(self, value):
        self.value = value

    def sample(self, rng, size):
        return np.full(size, 0.01 if size <= 100 else self.value)  # Step(...) tries 16 draws


@pytest.mark.parametrize("kw, exc, words", [
    (dict(n_sagas=10**12), ValueError, ["n_sagas", "MAX_TRACED_SAGAS", "trace=False"]),
    (dict(n_sagas=6_000_000, trace=False), ValueError, ["n_sagas", "MAX_SAGAS",
                                                        "confirm_large"]),
    (dict(n_sagas=10**9, trace=False, confirm_large=True), ValueError, ["MAX_LARGE_SAGAS"]),
    (dict(arrival_rate=1e-300), ValueError, ["arrival_rate", "MAX_VALUE", "precision"]),
    (dict(arrival_rate=1e-12), ValueError, ["arrival_rate", "n_sagas"]),
    (dict(arrival_rate=float("nan")), ValueError, ["arrival_rate"]),
    (dict(arrival_rate=float("inf")), ValueError, ["arrival_rate"]),
    (dict(arrival_rate="10"), TypeError, ["arrival_rate"]),
    (dict(n_sagas=0), ValueError, ["n_sagas"]),
    (dict(n_sagas=2.5), TypeError, ["n_sagas"]),
    (dict(seed=-1), TypeError, ["seed"]),
    (dict(trace="yes"), TypeError, ["trace"]),
    (dict(confirm_large=1), TypeError, ["confirm_large"]),
    (dict(network="fast"), TypeError, ["network"]),
    (dict(broker=sl.Network()), TypeError, ["broker"]),
    (dict(faults=sl.Outage("payment", 1, 1)), TypeError, ["faults"]),
    (dict(faults=[sl.Outage("nobody", 1, 1)]), ValueError, ["faults[0]", "nobody"]),
    (dict(state=[sl.Stock("nobody")]), ValueError, ["state[0]", "nobody"]),
    (dict(transport="carrier pigeon"), ValueError, ["transport"]),
])
def test_a_run_is_refused_before_it_starts(kw, exc, words):
    args = {**OK, **kw}
    t = time.perf_counter()
    with pytest.raises(exc) as got:
        sl.simulate(SAGA, "choreography", **args)
    assert time.perf_counter() - t < 5  # refused at once, not after a run
    for w in words:
        assert w in str(got.value), (w, str(got.value))


def test_retries_that_explode_are_refused_before_the_run():
    saga = sl.Saga("r", [sl.Step("a", 0.001, kind="retriable", failure_p=0.999)])
    with pytest.raises(ValueError, match=r"MAX_ATTEMPTS"):
        sl.simulate(saga, "orchestration", arrival_rate=100, n_sagas=100_000)
    r = sl.simulate(saga, "orchestration", arrival_rate=100, n_sagas=20, trace=False)
    assert (r.sagas.outcome == "completed").all() and r.sagas.retries.mean() > 100


@pytest.mark.parametrize("value", [-0.01, float("nan"), float("inf"), 1e12])
def test_a_user_distribution_gone_bad_is_named(value):
    saga = sl.Saga("s", [sl.Step("a", Bad(value))])
    with pytest.raises(ValueError, match=r"Step 'a': service_time: Bad.sample returned"):
        sl.simulate(saga, "choreography", arrival_rate=5, n_sagas=200)


def test_a_user_delay_gone_bad_is_named():
    with pytest.raises(ValueError, match=r"Broker: latency: Bad.sample returned"):
        sl.simulate(SAGA, "choreography", broker=sl.Broker(latency=Bad(-1.0)), **OK)


def test_a_plain_predicate_on_a_saga_without_attributes_runs():
    saga = sl.Saga("s", [sl.Step("a", 0.01, when=lambda a: True), sl.Step("b", 0.01)])
    r = sl.simulate(saga, "orchestration", arrival_rate=5, n_sagas=10)
    assert (r.sagas.outcome == "completed").all() and (r.sagas.steps_completed == 2).all()


@pytest.mark.parametrize("patterns, exc", [([], ValueError), (5, TypeError),
                                          (["choreography", "nope"], ValueError),
                                          (["hybrid", "hybrid"], ValueError)])
def test_compare_checks_its_patterns(patterns, exc):
    with pytest.raises(exc, match="compare: patterns"):
        sl.compare(SAGA, patterns=patterns, **OK)


def test_compare_records_what_does_not_apply_without_nagging():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = sl.compare(SAGA, orchestrator=sl.Orchestrator(durable_log=True), **OK)
    assert t.attrs["not_applicable"] == {
        "choreography": ("Orchestrator(durable_log=True): choreography has no orchestrator",),
        "orchestration": ()}


def test_compensations_that_always_fail_end_in_the_dead_letter_queue_quickly():
    saga = sl.Saga("c", [sl.Step("a", 0.001, compensation_failure_p=1.0,
                                 compensation_retries=100),
                         sl.Step("b", 0.001, failure_p=1.0)])
    t = time.perf_counter()
    r = sl.simulate(saga, "choreography", arrival_rate=5, n_sagas=3)
    assert (r.sagas.outcome == "dlq").all() and (r.sagas.retries == 100).all()
    assert time.perf_counter() - t < 10


def test_a_stock_with_many_products_restocks_without_flooding_the_run():
    stock = sl.Stock("inventory", products=1000, restock=1, restock_every=1.0)
    t = time.perf_counter()
    r = sl.simulate(SAGA, "choreography", state=[stock], **OK)
    assert len(r.sagas) == 20 and time.perf_counter() - t < 10


def test_sagas_that_wait_for_each_other_for_ever_end_stuck_not_hung():
    # a pivot whose calls always time out is tried MAX_TRIES times, then left stuck
    saga = sl.Saga("p", [sl.Step("a", 1.0, kind="pivot")])
    r = sl.simulate(saga, "orchestration", arrival_rate=1, n_sagas=2,
                    network=sl.Network(timeout=0.1, backoff=0))
    assert (r.sagas.outcome == "stuck").all() and r.sagas.end.isna().all()


@given(rate=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(),
                      st.text(max_size=3), st.none(), st.lists(st.floats(), max_size=2)),
       n=st.one_of(st.integers(-5, 50), st.floats(), st.text(max_size=3), st.none()))
def test_junk_to_simulate_gives_a_result_or_an_error_naming_the_argument(rate, n):
    try:
        r = sl.simulate(SAGA, "choreography", arrival_rate=rate, n_sagas=n, trace=False)
    except (ValueError, TypeError) as exc:
        assert "arrival_rate" in str(exc) or "n_sagas" in str(exc), str(exc)
    else:
        assert len(r.sagas) == n
