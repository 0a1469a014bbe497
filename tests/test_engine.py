"""The one engine: regressions for what the three engines got wrong, and what it adds.

Each defect listed in issue 12 ("Why") has a test here: broker faults that were silently
ignored under asynchronous orchestration, a retriable step compensated under an outage,
choreography that could not fan out. Then the new parts: the choreographed join, Kafka-style
commits and consumer lag, and the one capability check.
"""
import warnings

import numpy as np
import pytest

import sagalab as sl
from sagalab.sim.catalogue import build_catalogue

ZERO = dict(network=sl.Network(hop=0), broker=sl.Broker(latency=0),
            orchestrator=sl.Orchestrator(overhead=0))


def quiet(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sl.NotApplicable)
        return sl.simulate(*args, **kw)


# -- silently ignored before: broker faults under asynchronous orchestration -------------
@pytest.mark.parametrize("pattern", ["orchestration", "hybrid"])
def test_a_broker_outage_delays_asynchronous_orchestration(pattern):
    saga = sl.scenarios.ecommerce()
    kw = dict(arrival_rate=20, n_sagas=400, seed=1, transport="async")
    plain = sl.simulate(saga, pattern, **kw).sagas
    hit = sl.simulate(saga, pattern, faults=[sl.Outage("broker", 5, 5)], **kw).sagas
    assert hit.latency.mean() > plain.latency.mean() + 0.5  # was 0.1248 s in both
    assert hit.fault_wait.sum() > 0 and (hit.outcome == plain.outcome).all()


def test_redelivery_duplicates_commands_under_asynchronous_orchestration():
    saga = sl.Saga("two", [sl.Step("a", 0.01, idempotent=False),
                           sl.Step("b", 0.01, idempotent=False)])
    kw = dict(arrival_rate=20, n_sagas=400, seed=1, transport="async")
    s = sl.simulate(saga, "orchestration", broker=sl.Broker(redelivery_p=0.9), **kw).sagas
    assert s.duplicates.mean() == pytest.approx(2 * 0.9, abs=0.1)  # was 0
    assert sl.simulate(saga, "orchestration", **kw).sagas.duplicates.sum() == 0


def test_partitions_order_commands_under_asynchronous_orchestration():
    saga = sl.Saga("p", [sl.Step("a", 1.0, capacity=2)])
    kw = dict(arrival_rate=100.0, n_sagas=2, seed=0, transport="async", **ZERO)
    free = sl.simulate(saga, "orchestration", **kw).sagas
    one = sl.simulate(saga, "orchestration", **{**kw, "broker": sl.Broker(latency=0,
                                                                          partitions=1)}).sagas
    assert free.queueing.tolist() == [0, 0] and one.queueing[1] > 0.9


# -- wrong before: a retriable step compensated under an outage --------------------------
def test_a_retriable_step_after_the_pivot_is_retried_through_an_outage():
    saga = sl.Saga("rp", [sl.Step("a", 0.01), sl.Step("p", 0.01, kind="pivot", failure_p=0.2),
                          sl.Step("b", 0.01, kind="retriable")])
    r = sl.simulate(saga, "orchestration", arrival_rate=10, n_sagas=200, seed=1,
                    faults=[sl.Outage("b", 3, 6)], network=sl.Network(timeout=0.5, retries=1))
    s, ev = r.sagas, r.events
    assert not (s.failed_step == "b").any()  # was 48 sagas "compensated" at b
    assert not ev.name.isin(["CompensateB", "BCompensated"]).any()
    passed = set(ev.saga_id[ev.name == "PCompleted"])
    assert (s.outcome[s.saga_id.isin(passed)] == "completed").all()
    during = s[(s.start > 3) & (s.start < 8.5) & s.saga_id.isin(passed)]
    assert len(during) > 20 and (during.retries > 0).all() and (during.end > 9).all()


def test_a_call_that_never_answers_is_capped_not_a_hang():
    saga = sl.Saga("slow", [sl.Step("a", 1.0, kind="retriable")])
    r = sl.simulate(saga, "orchestration", arrival_rate=1, n_sagas=2, seed=0,
                    network=sl.Network(timeout=0.01, backoff=0))
    assert (r.sagas.outcome == "stuck").all()  # timed out on every try, up to the cap
    assert (r.sagas.retries >= 99).all()


# -- missing before: choreography fans out and joins -------------------------------------
TRIP = sl.Saga("trip", [sl.Step("flight", 1.0, parallel="book"),
                        sl.Step("hotel", 2.0, parallel="book"),
                        sl.Step("car", 1.5, parallel="book"), sl.Step("pay", 0.5)])


def test_choreography_fans_out_and_the_next_step_joins():
    r = quiet(TRIP, "choreography", arrival_rate=1, n_sagas=1, **ZERO)
    assert r.sagas.latency[0] == pytest.approx(2.0 + 0.5)  # the max of the branches
    ev = r.events
    assert set(ev.target[ev.name == "OrderCreated"]) == {"flight", "hotel", "car"}
    joined = ev[ev.target == "pay"]
    assert set(joined.name) == {"FlightCompleted", "HotelCompleted", "CarCompleted"}
    # the join acts once all have arrived: its own event leaves after the last of them
    assert ev.time[ev.name == "PayCompleted"].iloc[0] >= joined.delivered.max() + 0.5
    text = str(r.trace(0))
    assert "HotelCompleted" in text and "PayCompleted" in text


def test_the_join_is_in_the_event_graph():
    g = sl.event_graph(sl.scenarios.travel_booking(), "choreography")
    into_payment = {(u, k) for u, _, k in g.in_edges("payment", keys=True)}
    assert {("flight.events", "FlightBooked"), ("hotel.events", "HotelBooked")} <= into_payment
    assert set(g.successors("trip.events")) >= {"flight", "hotel", "car"}  # fan-out
    reactions = g.nodes["payment"]["reactions"]
    assert {("flight", "FlightBooked", "PaymentCharged"),
            ("hotel", "HotelBooked", "PaymentCharged")} <= reactions


def test_a_member_failure_is_compensated_by_its_siblings_and_flows_back():
    saga = sl.Saga("t", [sl.Step("a", 0.5), sl.Step("x", 1.0, parallel="g"),
                         sl.Step("y", 2.0, parallel="g", failure_p=1.0),
                         sl.Step("z", 1.0, parallel="g")])
    r = quiet(saga, "choreography", arrival_rate=1, n_sagas=1, **ZERO)
    row, ev = r.sagas.iloc[0], r.events
    assert (row.outcome, row.failed_step) == ("compensated", "y")
    assert (row.steps_completed, row.compensations) == (3, 3)
    assert set(ev.target[ev.name == "YFailed"]) == {"x", "z", "a"}  # siblings and back
    back = ev[(ev.target == "a") & (ev.kind != "success")]
    assert set(back.source) == {"x", "y", "z"}  # a joins their last word
    # x and z finished at 1.5 and heard of y's failure at 2.5: they compensate at once
    assert row.latency == pytest.approx(0.5 + 2.0 + 1.0 + 0.5)
    assert ev.name.tolist()[-1] == "ACompensated"


def test_hybrid_stages_may_hold_parallel_groups():
    staged = sl.Saga("trip", [s if s.name == "pay" else s.__class__(**{**s.__dict__,
                                                                        "stage": "bookings"})
                              for s in TRIP.steps])
    assert build_catalogue(staged, "hybrid").stages[0].units == ((0, 1, 2),)
    r = sl.simulate(staged, "hybrid", arrival_rate=1, n_sagas=1, **ZERO)
    assert r.sagas.latency[0] == pytest.approx(2.5)
    assert set(r.events.source[r.events.target == "orchestrator"]) >= {"flight", "hotel", "car"}


# -- Kafka-style offsets -----------------------------------------------------------------
def test_a_consumer_crash_replays_what_it_consumed_since_its_last_commit():
    saga = sl.scenarios.ecommerce(payment_failure_p=0, inventory_failure_p=0,
                                  shipping_failure_p=0).with_step("payment", idempotent=False)
    kw = dict(arrival_rate=20, n_sagas=400, seed=1, faults=[sl.Outage("payment", 5.0, 1.0)])
    dups = {k: sl.simulate(saga, "choreography", broker=sl.Broker(commit_every=k),
                           **kw).sagas.duplicates.sum() for k in (1, 10, 50)}
    assert dups[1] <= 1 < dups[10] < dups[50]  # batches grow with the commit interval
    assert dups[50] <= 50
    idem = sl.simulate(saga.with_step("payment", idempotent=True), "choreography",
                       broker=sl.Broker(commit_every=50), **kw).sagas
    assert idem.duplicates.sum() == 0 and (idem.outcome == "completed").all()
    timed = sl.simulate(saga, "choreography", broker=sl.Broker(commit_interval=5.0),
                        **{**kw, "faults": [sl.Outage("payment", 7.5, 1.0)]}).sagas
    assert 20 < timed.duplicates.sum() <= 2.5 * 20 * 1.5  # 2.5 s since the commit at 5 s


def test_consumer_lag_grows_while_a_consumer_is_down():
    saga = sl.scenarios.ecommerce()
    r = sl.simulate(saga, "choreography", arrival_rate=20, n_sagas=400, seed=1,
                    faults=[sl.Outage("payment", 5.0, 3.0)])
    lag = r.lag(np.arange(0, 20, 0.5))
    assert list(lag.columns) == ["payment", "inventory", "shipping"]
    assert lag.payment.loc[7.5] > 40 > lag.payment.loc[4.5]  # the backlog of a dead consumer
    assert r.lag([r.params["duration"]]).iloc[0].sum() == 0
    assert (r.lag().min() >= 0).all()
    with pytest.raises(ValueError, match="trace=True"):
        sl.simulate(saga, "choreography", arrival_rate=5, n_sagas=5, trace=False).lag()


# -- one capability check ----------------------------------------------------------------
def test_settings_that_do_nothing_in_the_pattern_are_reported_by_name():
    saga = sl.scenarios.ecommerce()
    with pytest.warns(sl.NotApplicable, match=r"Orchestrator\(durable_log=True\): choreography "
                                              r"has no orchestrator"):
        r = sl.simulate(saga, "choreography", arrival_rate=5, n_sagas=5,
                        orchestrator=sl.Orchestrator(durable_log=True))
    assert r.params["not_applicable"] == ("Orchestrator(durable_log=True): choreography has "
                                          "no orchestrator",)
    with pytest.warns(sl.NotApplicable, match=r"Broker\(redelivery_p=0.5\).*Outage\('broker'\)"):
        sl.simulate(saga, "orchestration", arrival_rate=5, n_sagas=5,
                    broker=sl.Broker(redelivery_p=0.5), faults=[sl.Outage("broker", 1, 1)])
    with pytest.warns(sl.NotApplicable, match=r"Network\(timeout=0.5\): asynchronous"):
        sl.simulate(saga, "orchestration", arrival_rate=5, n_sagas=5, transport="async",
                    network=sl.Network(timeout=0.5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # what applies is not reported
        sl.simulate(saga, "orchestration", arrival_rate=5, n_sagas=5,
                    network=sl.Network(timeout=0.5), orchestrator=sl.Orchestrator(capacity=2))


def test_combinations_without_meaning_are_refused_naming_both():
    saga = sl.scenarios.ecommerce().with_step("shipping", kind="retriable")
    with pytest.raises(ValueError, match=r"cannot be combined: state Stock\(step='shipping'\) "
                                         r"with Step\('shipping', kind='retriable'\)"):
        sl.simulate(saga, "choreography", arrival_rate=5, n_sagas=5,
                    state=[sl.Stock("shipping")])
    with pytest.raises(ValueError, match="transport='async' applies to orchestration"):
        sl.simulate(saga, "choreography", arrival_rate=5, n_sagas=5, transport="async")


def test_the_seeds_orchestrator_leaves_a_timed_out_step_uncompensated():
    saga = sl.Saga("ab", [sl.Step("a", 1.0, compensation_time=0.1), sl.Step("b", 1.0)])
    kw = dict(arrival_rate=1, n_sagas=1, seed=0, network=sl.Network(hop=0.1, timeout=1.0))
    fixed = sl.simulate(saga, "orchestration", **kw).sagas.iloc[0]
    seed = sl.simulate(saga, "orchestration", orchestrator=sl.Orchestrator(
        compensate_unknown=False), **kw)
    row = seed.sagas.iloc[0]
    # a's call timed out after a acted: the fix compensates a, the seed's code never does
    assert (fixed.outcome, fixed.steps_completed, fixed.compensations) == ("compensated", 1, 1)
    assert (row.outcome, row.steps_completed, row.compensations) == ("compensated", 1, 0)
    assert "CompensateA" not in set(seed.events.name.astype(str))
    charged = seed.events.time[seed.events.name == "ACompleted"].iloc[0]  # a's late reply
    assert row.inconsistent == pytest.approx(seed.params["duration"] - charged)  # for good
