import pytest

import sagalab as sl
from sagalab.analysis import theory

SCENARIOS = [sl.scenarios.ecommerce, sl.scenarios.travel_booking, sl.scenarios.loan_approval,
             sl.scenarios.user_onboarding]
VARIANTS = [("choreography", "sync"), ("orchestration", "sync"), ("orchestration", "async"),
            ("hybrid", "sync"), ("hybrid", "async")]


@pytest.mark.parametrize("make", SCENARIOS)
def test_every_scenario_runs_under_every_pattern_on_the_same_sagas(make):
    saga = make()
    rate = {"travel_booking": 3.0, "loan_approval": 0.5}.get(saga.name, 20.0)
    runs = [sl.simulate(saga, p, arrival_rate=rate, n_sagas=300, seed=2, transport=t).sagas
            for p, t in VARIANTS]
    for r in runs:
        assert len(r) == 300 and (r.outcome != "stuck").all()
        assert (r.outcome == "completed").equals(runs[0].outcome == "completed")


def test_travel_booking_is_the_seeds_complex_workflow():
    saga = sl.scenarios.travel_booking()
    assert len(saga.steps) >= 5 and saga.step("payment").kind == "pivot"
    assert {s.name for s in saga.steps if s.parallel} >= {"flight", "hotel", "car"}
    assert all(s.kind == "retriable" for s in saga.steps[saga.step_names.index("payment") + 1:])
    kw = dict(arrival_rate=2.0, n_sagas=1500, seed=1, trace=False)
    chained = saga
    for s in saga.steps:
        chained = chained.with_step(s.name, parallel=None)
    for p in ("orchestration", "choreography"):  # parallel bookings: the max, not the sum
        fan = sl.simulate(saga, p, **kw).summary().latency_mean
        assert fan < 0.8 * sl.simulate(chained, p, **kw).summary().latency_mean


def test_loan_approval_branches_on_amount_and_tier():
    saga = sl.scenarios.loan_approval()
    r = sl.simulate(saga, "orchestration", arrival_rate=0.5, n_sagas=3000, seed=3)
    s, ev = r.sagas, r.events
    asked = set(ev.saga_id[ev.name == "RequestApproval"])
    reached = set(ev.saga_id[ev.name == "CreditApproved"])
    rule = (s.amount > 25_000) | ((s.tier == "new") & (s.amount > 10_000))
    assert asked == reached & set(s.saga_id[rule])
    kyc = set(ev.saga_id[ev.name == "VerifyIdentity"])
    assert kyc == set(s.saga_id[s.tier == "new"])
    assert (s.tier == "new").mean() == pytest.approx(0.3, abs=0.03)
    # the stated P(amount > threshold) of the log-normal: about 0.156
    assert (s.amount > 25_000).mean() == pytest.approx(0.156, abs=0.02)


def test_user_onboarding_is_the_seeds_simple_chain():
    saga = sl.scenarios.user_onboarding()
    assert saga.initiator == "registration" and saga.step_names == ("email", "profile")
    r = sl.simulate(saga, "choreography", arrival_rate=20, n_sagas=4000, seed=4, trace=False)
    frac = (r.sagas.outcome == "compensated").mean()
    assert frac == pytest.approx(theory.p_compensated([0.02, 0.005]), abs=0.01)


def test_chain_parallel_fans_out_in_every_pattern():
    saga = sl.scenarios.chain(4, service_time=sl.Constant(0.01), capacity=50, parallel=3)
    assert [s.parallel for s in saga.steps] == ["fan-out"] * 3 + [None]
    kw = dict(arrival_rate=5, n_sagas=50, seed=1, network=sl.Network(0.0), broker=sl.Broker(0.0),
              orchestrator=sl.Orchestrator(capacity=50, overhead=0.0))
    # uncontended, no delays: the three parallel steps take the max (10 ms), not the sum
    for pattern in sl.PATTERNS:
        lat = sl.simulate(saga, pattern, warn_unused=False, **kw).sagas.latency
        assert lat.to_numpy() == pytest.approx(0.02, abs=1e-12)
    assert sl.scenarios.chain(3).steps[0].parallel is None
    for bad in (-1, 4, 1.5, True):
        with pytest.raises((ValueError, TypeError), match="parallel"):
            sl.scenarios.chain(3, parallel=bad)
