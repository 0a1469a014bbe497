"""sl.sweep: grid keys, tidy rows, identical results on every executor, failed points."""
import concurrent.futures as cf
import warnings

import pandas as pd
import pytest

import sagalab as sl

SAGA = sl.scenarios.ecommerce()
SMALL = dict(arrival_rate=10, n_sagas=150)


def small_sweep(executor, **kw):
    return sl.sweep(SAGA, {"payment.failure_p": [0.05, 0.4], "orchestrator.capacity": [1, 2]},
                    replications=2, executor=executor, progress=False, **SMALL, **kw)


def test_rows_are_tidy_and_ordered():
    df = small_sweep("serial")
    assert len(df) == 2 * 2 * 2 * 2  # points x patterns x replications
    assert list(df.columns[:4]) == ["payment.failure_p", "orchestrator.capacity", "pattern",
                                    "replication"]
    assert df.columns[-1] == "error" and df["error"].isna().all()
    first = df.iloc[:4]
    assert first["pattern"].tolist() == ["choreography"] * 2 + ["orchestration"] * 2
    assert first["replication"].tolist() == [0, 1, 0, 1]
    assert {"latency_p99", "throughput", "load_shipping", "utilization_shipping"} <= set(df)


def test_grid_keys_reach_step_infrastructure_and_run_parameters():
    df = sl.sweep(SAGA, {"payment.failure_p": [0.0, 0.5], "orchestrator.capacity": [1, 4],
                         "arrival_rate": [5.0, 20.0], "broker.latency": [0.0, 0.05],
                         "saga.initiator_capacity": [1]},
                  replications=1, executor="serial", progress=False, n_sagas=200, warmup=0)
    g = df.groupby("payment.failure_p")["compensated"].mean()
    assert g[0.0] < g[0.5]
    o = df[df.pattern == "orchestration"].groupby("orchestrator.capacity")
    assert o["utilization_orchestrator"].mean()[1] > 3 * o["utilization_orchestrator"].mean()[4]
    assert df.groupby("arrival_rate")["throughput"].mean()[20.0] > 15
    c = df[df.pattern == "choreography"].groupby("broker.latency")["latency_mean"].mean()
    assert c[0.05] > c[0.0] + 3 * 0.05  # about four events per saga, each 50 ms later


def test_same_replication_meets_the_same_sagas_at_every_point_and_pattern():
    df = small_sweep("serial")
    n_ok = df[df["payment.failure_p"] == 0.05]
    # orchestrator capacity changes nothing for choreography; replication r is the same run
    chor = n_ok[n_ok.pattern == "choreography"]
    assert chor.groupby("replication")["latency_mean"].nunique().eq(1).all()


def test_results_identical_on_serial_process_pool_and_thread_pool():
    serial = small_sweep("serial")
    pooled = small_sweep(None)  # the default: a local process pool
    with cf.ThreadPoolExecutor(2) as ex:
        threaded = small_sweep(ex)
    pd.testing.assert_frame_equal(serial, pooled)
    pd.testing.assert_frame_equal(serial, threaded)


def test_results_identical_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            on_dask = small_sweep(client.get_executor())
    pd.testing.assert_frame_equal(small_sweep("serial"), on_dask)


@pytest.mark.parametrize("executor", ["serial", None])
def test_a_failed_point_is_reported_and_the_others_return(executor):
    with pytest.warns(RuntimeWarning, match=r"6 of 8 runs failed.*arrival_rate=-1"):
        df = sl.sweep(SAGA, {"payment.failure_p": [0.1, 1.5], "arrival_rate": [5, -1]},
                      executor=executor, progress=False, n_sagas=100)
    bad_p = df[df["payment.failure_p"] == 1.5]
    assert bad_p["error"].str.contains("failure_p must be a probability").all()
    bad_rate = df[(df["payment.failure_p"] == 0.1) & (df["arrival_rate"] == -1)]
    assert bad_rate["error"].str.contains("arrival_rate").all()
    assert bad_rate["latency_mean"].isna().all()
    good = df[df["error"].isna()]
    assert len(good) == 2 and good["latency_mean"].notna().all()


def test_progress_bar_runs(capsys):
    df = sl.sweep(SAGA, {"arrival_rate": [5, 10]}, patterns="choreography", executor="serial",
                  progress=True, n_sagas=50)
    assert len(df) == 2
    assert "sweep" in capsys.readouterr().err


def test_bad_grids_are_refused_before_anything_runs():
    def run(grid, **kw):
        return sl.sweep(SAGA, grid, executor="serial", progress=False, **SMALL, **kw)

    with pytest.raises(ValueError, match="reaches no parameter.*payment"):
        run({"paymnt.failure_p": [0.1]})
    with pytest.raises(ValueError, match="reaches no parameter"):
        run({"orchestrator.workers": [1]})
    with pytest.raises(ValueError, match="patterns= , seed=|patterns=, seed="):
        run({"pattern": ["choreography"]})
    with pytest.raises(TypeError, match="sequence of values"):
        run({"arrival_rate": 5})
    with pytest.raises(ValueError, match="empty"):
        run({"arrival_rate": []})
    with pytest.raises(ValueError, match="patterns"):
        run({}, patterns=("choreography", "bus"))
    with pytest.raises(ValueError, match="replications"):
        run({}, replications=0)
    with pytest.raises(ValueError, match="warmup"):
        run({}, warmup=2.0)
    with pytest.raises(TypeError, match="executor"):
        run({}, executor=4)
