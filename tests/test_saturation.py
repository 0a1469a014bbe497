"""sl.saturation: bisection to the highest sustained arrival rate, against the closed form."""
import pytest

import sagalab as sl
from sagalab.analysis import theory

FAST = sl.Saga("fast", [sl.Step(n, 0.0) for n in ("payment", "inventory", "shipping")])


@pytest.mark.parametrize("c", [1, 4])
def test_orchestrator_saturates_at_capacity_over_decisions_times_overhead(c):
    """Fast services: only the coordinator works, d = 1 + steps decisions of h seconds each."""
    h = 0.01
    sat = sl.saturation(FAST, "orchestration", orchestrator=sl.Orchestrator(capacity=c, overhead=h),
                        network=sl.Network(hop=0), n_sagas=1000, replications=2, rtol=0.01)
    expected = theory.coordinator_saturation(c, h, decisions=1 + len(FAST))
    assert sat.rate == pytest.approx(expected, rel=0.03)
    assert sat.bottleneck == "orchestrator"
    assert sat.estimate["orchestrator"] == pytest.approx(expected)
    sustained = sat.probes[sat.probes.sustained]
    assert (sustained.rate <= sat.rate).all()
    assert (sat.probes[~sat.probes.sustained].rate > sat.rate).all()


def test_choreography_saturates_at_its_slowest_service():
    saga = sl.Saga("line", [sl.Step("payment", sl.Exponential(0.01), capacity=2),
                            sl.Step("shipping", sl.Exponential(0.02))])
    sat = sl.saturation(saga, "choreography", n_sagas=1000, replications=2, rtol=0.02)
    assert sat.bottleneck == "shipping"
    assert sat.rate == pytest.approx(50.0, rel=0.06)


def test_a_latency_objective_is_met_below_saturation():
    orch = sl.Orchestrator(capacity=1, overhead=0.01)
    kw = dict(orchestrator=orch, network=sl.Network(hop=0), n_sagas=600, replications=2,
              rtol=0.02)
    by_load = sl.saturation(FAST, "orchestration", **kw)
    by_p99 = sl.saturation(FAST, "orchestration", criterion="latency", threshold=0.2, **kw)
    assert by_p99.rate < by_load.rate
    at = by_p99.probes[by_p99.probes.rate == by_p99.rate].iloc[0]
    assert at.latency_p99 <= 0.2


def test_bad_input():
    with pytest.raises(ValueError, match="threshold"):
        sl.saturation(FAST, "orchestration", criterion="latency")
    with pytest.raises(ValueError, match="criterion"):
        sl.saturation(FAST, "orchestration", criterion="speed")
    with pytest.raises(TypeError, match="arrival_rate"):
        sl.saturation(FAST, "orchestration", arrival_rate=3)
    with pytest.raises(ValueError, match="nothing in this saga takes time"):
        sl.saturation(FAST, "choreography")
    with pytest.raises(ValueError, match="pattern"):
        sl.saturation(FAST, "bus")


def test_partitions_bound_a_consumers_parallelism():
    # payment has 2 workers, but one partition lets only one event be processed at a time:
    # so payment (30 ms) saturates first, near 1 / 30 ms = 33 sagas/s
    saga = sl.scenarios.ecommerce()
    one = sl.saturation(saga, "choreography", broker=sl.Broker(partitions=1), n_sagas=800,
                        replications=2, rtol=0.03)
    assert one.bottleneck == "payment"
    assert one.rate == pytest.approx(1 / 0.030, rel=0.06)
    free = sl.saturation(saga, "choreography", broker=sl.Broker(partitions=2), n_sagas=800,
                         replications=2, rtol=0.03)
    assert free.bottleneck == "shipping" and free.rate > 1.4 * one.rate
