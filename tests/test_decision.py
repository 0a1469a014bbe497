"""quick_comparison and the decision guide's "your system" explorer."""
import pytest

import sagalab as sl
from sagalab.ui.widgets import controls, your_system

SAGA = sl.scenarios.ecommerce()


def test_quick_comparison_rows_and_verdicts():
    t = sl.quick_comparison(SAGA, arrival_rate=20, n_sagas=300, seed=1)
    assert list(t.columns) == ["choreography", "orchestration", "better"]
    assert t.loc["messages per saga", "better"] == "choreography"
    assert t.loc["bottleneck", "choreography"] == "shipping"  # 1 worker x 20 ms
    # the same number as sl.theory.saturation_rate (notebooks 07 and 10): shipping sees 92 %
    assert t.loc["headroom (sagas/s)", "choreography"] == pytest.approx(
        sl.theory.saturation_rate(SAGA, "choreography"), abs=0.05)
    heavy = sl.quick_comparison(SAGA, arrival_rate=20, n_sagas=300, seed=1,
                                orchestrator=sl.Orchestrator(overhead=0.008))
    assert heavy.loc["bottleneck", "orchestration"] == "orchestrator"
    assert heavy.loc["headroom (sagas/s)", "orchestration"] == pytest.approx(
        sl.theory.saturation_rate(SAGA, "orchestration",
                                  orchestrator=sl.Orchestrator(overhead=0.008)), abs=0.05)
    assert heavy.loc["p99 latency (ms)", "better"] == "choreography"


def test_your_system_explorer_follows_its_sliders():
    ex = your_system(n_sagas=200, seed=3)
    before = ex.result.copy()
    controls(ex)["overhead_ms"].value = 6.0
    after = ex.result
    assert after.loc["p99 latency (ms)", "orchestration"] > before.loc["p99 latency (ms)",
                                                                       "orchestration"]
    assert after.loc["p99 latency (ms)", "choreography"] == before.loc["p99 latency (ms)",
                                                                       "choreography"]
    direct = sl.quick_comparison(SAGA, arrival_rate=20, n_sagas=200, seed=3,
                                 network=sl.Network(hop=0.002), broker=sl.Broker(latency=0.005),
                                 orchestrator=sl.Orchestrator(capacity=1, overhead=0.006))
    assert after.equals(direct)
    controls(ex)["capacity"].value = 4
    assert ex.result.loc["headroom (sagas/s)", "orchestration"] >= 50.0 - 1e-9
