"""Explorers: moving a control re-runs the simulation the explorer promises."""
import dataclasses

import matplotlib

import sagalab as sl

matplotlib.use("Agg")


def test_isolation_explorer_follows_its_controls():
    ex = sl.widgets.isolation(n_sagas=200)
    before = ex.result.copy()
    assert before.loc["none", "lost_updates"] > 0
    sl.widgets.controls(ex)["countermeasure"].value = "commutative"
    after = ex.result
    assert not after.equals(before) and after.loc["commutative", "lost_updates"] == 0
    sl.widgets.controls(ex)["products"].value = 5
    saga = sl.scenarios.ecommerce(shipping_failure_p=0.3)
    stock = sl.Stock("inventory", products=5, initial=20, quantity=(1, 3), restock=6,
                     restock_every=0.5, countermeasure="commutative")
    r = sl.simulate(saga, "orchestration", arrival_rate=40.0, n_sagas=200, seed=0, state=[stock])
    assert ex.result.loc["commutative", "latency_mean"] == r.summary()["latency_mean"]
    assert ex.result.loc["commutative", "dirty_reads"] == r.anomalies().loc["inventory",
                                                                             "dirty_reads"]
    sl.widgets.controls(ex)["countermeasure"].value = "pessimistic_view"
    moved = dataclasses.replace(stock, countermeasure=None)
    r = sl.simulate(sl.pessimistic_view(saga, "inventory"), "orchestration", arrival_rate=40.0,
                    n_sagas=200, seed=0, state=[moved])
    assert ex.result.loc["pessimistic_view", "completed"] == r.summary()["completed"]
