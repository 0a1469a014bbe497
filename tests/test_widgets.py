"""The explorers, driven without a browser: set a slider, read ``.result``."""
import contextlib
import io

import matplotlib.pyplot as plt
import pandas as pd
import pytest

import sagalab as sl


@pytest.fixture(autouse=True)
def quiet():
    with contextlib.redirect_stdout(io.StringIO()):  # widgets print clear-output codes
        yield
    plt.close("all")


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
    runs = [sl.simulate(saga, p, arrival_rate=20, n_sagas=150, seed=4) for p in sl.PATTERNS]
    pd.testing.assert_frame_equal(ex.result, sl.fault_table(runs))


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
    assert row["oldest_age_s"] == pytest.approx(r.timeline()["oldest_age"].max())
    assert row["p99_ms"] == pytest.approx(sl.fault_table(r).loc["orchestration", "p99_ms"])
