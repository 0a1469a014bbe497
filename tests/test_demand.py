"""Visit ratios and saturation by theory (sl.theory.station_demand, saturation_rate).

Runs are seeded, so every assertion is deterministic. Tolerances: visits and
work per saga within 3 % and 5 % of 6,000 simulated sagas, or three standard
errors for rare visits; the theoretical saturation rate within 3 % of ``sl.saturation``
with 1,000 sagas x 3 replications and a 1 % bisection (about 2 % when written).
"""
import pytest

import sagalab as sl

SHOP = sl.scenarios.ecommerce(payment_failure_p=0.1, inventory_failure_p=0.1,
                              shipping_failure_p=0.2)
CASES = {  # saga, arrival rate low enough that nothing queues much
    "shop": (SHOP.with_step("payment", compensation_failure_p=0.3, compensation_retries=1), 5),
    "travel": (sl.scenarios.travel_booking(), 1),
    "loan": (sl.scenarios.loan_approval(), 0.1),
    "chain": (sl.scenarios.chain(5, parallel=3, failure_p=0.1), 5),
}


@pytest.mark.parametrize("pattern, transport", [("choreography", "sync"),
                                                ("orchestration", "sync"),
                                                ("hybrid", "async")])
@pytest.mark.parametrize("case", list(CASES))
def test_visits_and_work_per_saga_match_the_simulator(case, pattern, transport):
    saga, rate = CASES[case]
    if case == "shop" and pattern != "choreography":  # compensation retries: fault engine
        transport = "sync"
    n = 6_000
    theory = sl.theory.station_demand(saga, pattern, transport=transport)
    st = sl.simulate(saga, pattern, arrival_rate=rate, n_sagas=n, seed=4, trace=False,
                     transport=transport).stations
    for station, row in theory.iterrows():
        v, d = row["visits"], row["demand"]
        noise = 3 * (v / n) ** 0.5  # a rare visit (insurance: 37 % of trips) is noisier
        assert st.loc[station, "served"] / n == pytest.approx(v, abs=max(0.03 * v, noise)), \
            station
        assert st.loc[station, "busy"] / n == pytest.approx(
            d, abs=max(0.05 * d, 1.5 * noise * d / v)), station


def test_reach_is_the_chance_that_every_earlier_step_succeeded():
    d = sl.theory.station_demand(SHOP, "choreography")
    assert d["reach"].tolist()[:3] == pytest.approx([1.0, 0.9, 0.81])
    assert "orchestrator" not in d.index
    orch = sl.theory.station_demand(SHOP, "orchestration")
    # start + one decision per reply: forward replies and compensation replies
    want = (0.1 * 2 + 0.9 * 0.1 * 4 + 0.81 * 0.2 * 6 + 0.81 * 0.8 * 4)
    assert orch.loc["orchestrator", "visits"] == pytest.approx(want)


@pytest.mark.parametrize("saga, pattern, infra", [
    (sl.scenarios.ecommerce(), "choreography", {}),
    (sl.scenarios.ecommerce(), "orchestration", {"orchestrator": sl.Orchestrator(overhead=0.01)}),
    (sl.scenarios.travel_booking(), "orchestration", {}),
], ids=["shop-choreography", "shop-slow-orchestrator", "travel-orchestration"])
def test_theory_is_within_3_percent_of_the_simulated_saturation(saga, pattern, infra):
    theory = sl.theory.saturation_rate(saga, pattern, **infra)
    sat = sl.saturation(saga, pattern, n_sagas=1_000, replications=3, rtol=0.01, seed=1,
                        **infra)
    assert sat.rate == pytest.approx(theory, rel=0.03)
    d = sl.theory.station_demand(saga, pattern, **infra)
    assert sat.bottleneck == d["limit"].idxmin()


def test_the_orchestrator_limit_is_c_over_d_h_with_d_the_expected_decisions():
    o = sl.Orchestrator(capacity=3, overhead=0.004, durable_log=True)
    d = sl.theory.station_demand(SHOP, "orchestration", orchestrator=o)
    per_decision = 0.004 + o.log_latency.mean
    want = sl.theory.coordinator_saturation(3, per_decision, d.loc["orchestrator", "visits"])
    assert d.loc["orchestrator", "limit"] == pytest.approx(want)


def test_partitions_cap_a_choreographed_consumer():
    saga = sl.scenarios.ecommerce()
    one = sl.theory.station_demand(saga, "choreography", broker=sl.Broker(partitions=1))
    assert one.loc["payment", "capacity"] == 1
    assert sl.theory.saturation_rate(saga, "choreography", broker=sl.Broker(partitions=1)) \
        == pytest.approx(1 / one.loc["payment", "demand"])
    orch = sl.theory.station_demand(saga, "orchestration", broker=sl.Broker(partitions=1))
    assert orch.loc["payment", "capacity"] == 2  # synchronous calls do not use the topics


def test_delays_do_not_change_saturation_and_bad_keywords_are_refused():
    saga = sl.scenarios.ecommerce()
    slow = dict(network=sl.Network(hop=0.05), broker=sl.Broker(latency=0.2))
    for p in sl.SEED_PATTERNS:
        assert sl.theory.saturation_rate(saga, p, **slow) == sl.theory.saturation_rate(saga, p)
    with pytest.raises(TypeError, match="arrival_rate"):
        sl.theory.saturation_rate(saga, "choreography", arrival_rate=3)
    with pytest.raises(ValueError, match="pattern"):
        sl.theory.saturation_rate(saga, "saga")
