"""The explorers, driven without a browser: set a slider, read ``.result``."""
import contextlib
import dataclasses
import io
import re

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from IPython.display import Image

import sagalab as sl
import sagalab.ui.explorer as core


@pytest.fixture(autouse=True)
def quiet():
    with contextlib.redirect_stdout(io.StringIO()):  # widgets print clear-output codes
        yield
    plt.close("all")


def test_latency_explorer_follows_each_slider_and_agrees_with_simulate():
    ex = sl.widgets.latency_explorer(arrival_rate=10, n_sagas=80, seed=5)
    c = sl.widgets.controls(ex)
    assert set(c) == {"hop_ms", "broker_ms", "n_steps"}
    for name, value in (("hop_ms", 8.0), ("broker_ms", 20.0), ("n_steps", 6)):
        before = ex.result.copy()
        c[name].value = value
        assert not ex.result.equals(before), name
    runs = [sl.simulate(sl.scenarios.chain(6), p, arrival_rate=10, n_sagas=80, seed=5,
                        network=sl.Network(0.008), broker=sl.Broker(0.020))
            for p in sl.SEED_PATTERNS]
    pd.testing.assert_frame_equal(ex.result, sl.widgets.in_units(sl.latency_breakdown(runs)))
    # nothing fails in the chain: 7 hand-overs, each 2 hops or one broker event
    assert ex.result.loc["orchestration", "network (ms)"] == pytest.approx(7 * 2 * 8)
    assert ex.result.loc["choreography", "broker (ms)"] == pytest.approx(7 * 20)


def test_load_explorer_follows_each_slider_and_agrees_with_simulate():
    ex = sl.widgets.load_explorer(overhead=0.015, n_sagas=120, seed=2)
    c = sl.widgets.controls(ex)
    assert set(c) == {"arrival_rate", "capacity"}
    before = ex.result.copy()
    c["arrival_rate"].value = 40.0
    assert not ex.result.equals(before)
    before = ex.result.copy()
    c["capacity"].value = 3
    assert not ex.result.loc["orchestration"].equals(before.loc["orchestration"])
    assert ex.result.loc["choreography"].equals(before.loc["choreography"])  # no orchestrator
    s = sl.simulate(sl.scenarios.ecommerce(), "orchestration", arrival_rate=40.0, n_sagas=120,
                    seed=2, orchestrator=sl.Orchestrator(capacity=3, overhead=0.015)).summary()
    row = ex.result.loc["orchestration"]
    assert row["p99 latency (ms)"] == round(1e3 * s["latency_p99"], 1)
    assert row["throughput (sagas/s)"] == round(s["throughput"], 1)
    assert row["orchestrator utilization (%)"] == round(100 * s["utilization_orchestrator"], 1)
    assert row["orchestrator workers"] == 3


# -- failures and outages (notebooks 06 and 08) ---------------------------------------------

def test_failure_explorer_follows_each_slider_and_agrees_with_simulate():
    ex = sl.widgets.failure_explorer(arrival_rate=20, n_sagas=150, seed=4)
    c = sl.widgets.controls(ex)
    assert set(c) == {"payment", "inventory", "shipping", "compensation_failure_p", "retries"}
    for name, value in (("payment", 0.3), ("inventory", 0.2), ("shipping", 0.25),
                        ("compensation_failure_p", 0.5)):
        before = ex.result.copy()
        c[name].value = value
        assert not ex.result.equals(before), name
    assert (ex.result.dlq > 0).all()
    before = ex.result.copy()
    c["retries"].value = 3
    assert (ex.result.dlq < before.dlq).all()  # retries empty the dead-letter queue
    saga = sl.scenarios.ecommerce(payment_failure_p=0.3, inventory_failure_p=0.2,
                                  shipping_failure_p=0.25)
    for step in saga.step_names:
        saga = saga.with_step(step, compensation_failure_p=0.5, compensation_retries=3)
    runs = [sl.simulate(saga, p, arrival_rate=20, n_sagas=150, seed=4) for p in sl.SEED_PATTERNS]
    pd.testing.assert_frame_equal(ex.result, sl.widgets.in_units(sl.fault_table(runs)))


def test_outage_explorer_follows_each_control_and_agrees_with_simulate():
    ex = sl.widgets.outage_explorer(arrival_rate=30, n_sagas=200, seed=8)
    c = sl.widgets.controls(ex)
    assert set(c) == {"target", "crash_at", "duration"}
    for name, value in (("crash_at", 4.0), ("duration", 3.0), ("target", "inventory")):
        before = ex.result.copy()
        c[name].value = value
        assert not ex.result.equals(before), name
    c["target"].value = "orchestrator"
    table = ex.result
    assert table.loc["orchestration, no saga log", "stuck"] > 0  # the single point of failure
    assert table.loc["orchestration, durable log", "stuck"] == 0
    assert table.loc["choreography", "stuck"] == 0
    r = sl.simulate(sl.scenarios.ecommerce(), "orchestration", arrival_rate=30, n_sagas=200,
                    seed=8, faults=[sl.Outage("orchestrator", 4.0, 3.0)])
    row = table.loc["orchestration, no saga log"]
    assert row["stuck"] == (r.sagas.outcome == "stuck").sum()
    assert row["oldest unfinished saga (ms)"] == round(1e3 * r.timeline()["oldest_age"].max())
    assert row["p99 latency (ms)"] == round(sl.fault_table(r).loc["orchestration", "p99_ms"], 1)


def test_isolation_explorer_follows_its_controls():
    ex = sl.widgets.isolation(n_sagas=200)
    before = ex.result.copy()
    assert list(before.index) == ["none"] and before.loc["none", "lost updates"] > 0
    sl.widgets.controls(ex)["countermeasure"].value = "commutative"
    after = ex.result
    assert list(after.index) == ["none", "commutative"]  # the naive service for comparison
    assert after.loc["none"].equals(before.loc["none"])
    assert after.loc["commutative", "lost updates"] == 0
    sl.widgets.controls(ex)["products"].value = 5
    saga = sl.scenarios.ecommerce(shipping_failure_p=0.3)
    stock = sl.Stock("inventory", products=5, initial=20, quantity=(1, 3), restock=6,
                     restock_every=0.5, countermeasure="commutative")
    r = sl.simulate(saga, "orchestration", arrival_rate=40.0, n_sagas=200, seed=0, state=[stock])
    assert ex.result.loc["commutative", "mean latency (ms)"] == round(
        1e3 * r.summary()["latency_mean"], 1)
    assert ex.result.loc["commutative", "dirty reads"] == r.anomalies().loc["inventory",
                                                                             "dirty_reads"]
    sl.widgets.controls(ex)["countermeasure"].value = "pessimistic_view"
    moved = dataclasses.replace(stock, countermeasure=None)
    r = sl.simulate(sl.pessimistic_view(saga, "inventory"), "orchestration", arrival_rate=40.0,
                    n_sagas=200, seed=0, state=[moved])
    assert ex.result.loc["pessimistic_view", "completed"] == r.summary()["completed"]


EXPLORERS = {"latency": lambda: sl.widgets.latency_explorer(n_sagas=60),
             "load": lambda: sl.widgets.load_explorer(n_sagas=60),
             "failure": lambda: sl.widgets.failure_explorer(n_sagas=60),
             "outage": lambda: sl.widgets.outage_explorer(n_sagas=90),
             "isolation": lambda: sl.widgets.isolation(n_sagas=100)}
UNIT = re.compile(r"\((ms|sagas/s|%|units)\)$")


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_explorer_tables_name_their_units_and_are_rounded(name):
    t = EXPLORERS[name]().result
    for col in t.columns:
        values = pd.to_numeric(t[col], errors="coerce").dropna()
        assert not any(x in col for x in ("_ms", "_s", "_p", "utilization_")), col
        if UNIT.search(col):
            assert (values.round(1) == values).all(), col  # one decimal
        else:  # a count: whole numbers
            assert (values.round(0) == values).all(), col
    times = [c for c in t.columns if "latency" in c or "inconsistent" in c or "oldest" in c]
    assert times and all(c.endswith("(ms)") for c in times)  # one unit for every time


def test_explorers_draw_one_png_each_move(monkeypatch):
    shown = []
    ex = sl.widgets.failure_explorer(n_sagas=60)
    monkeypatch.setattr(core, "display", shown.append)
    sl.widgets.controls(ex)["payment"].value = 0.2
    images = [x for x in shown if isinstance(x, Image)]
    assert len(images) == 1 and images[0].data[:4] == b"\x89PNG"
    assert shown[-1] is not None and list(shown[-1].columns) == list(ex.result.columns)
    assert not plt.get_fignums()  # drawn, sent, closed
