"""Real runs without faults: the same sagas, saga by saga, as the simulator's."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import sagalab as sl
from sagalab.live.cluster import listening

from .conftest import MODES, RUN, SAGA, real, simulated

pytestmark = pytest.mark.parametrize("mode", list(MODES))


def test_outcomes_are_the_simulators_saga_by_saga(mode):
    r, s = real(mode), simulated(mode)
    assert len(r.sagas) == RUN["n_sagas"]
    got = r.sagas["outcome"].astype(str).tolist()
    want = s.sagas["outcome"].astype(str).tolist()
    assert got == want, [(i, a, b) for i, (a, b) in enumerate(zip(got, want)) if a != b]
    assert set(want) == {"completed", "compensated", "dlq"}  # every path was taken
    pd.testing.assert_series_equal(r.sagas["failed_step"], s.sagas["failed_step"])
    for col in ("steps_completed", "compensations", "messages"):
        np.testing.assert_array_equal(r.sagas[col], s.sagas[col], err_msg=col)


def test_message_sequences_are_the_simulators_per_saga(mode):
    cols = ["name", "kind", "source", "target", "channel"]

    def seqs(res):
        ev = res.events
        rows = zip(*(ev[c].astype(str) for c in cols))
        out: dict = {}
        for sid, row in zip(ev["saga_id"], rows):
            out.setdefault(int(sid), []).append(row)
        return out

    got, want = seqs(real(mode)), seqs(simulated(mode))
    bad = [k for k in want if got.get(k) != want[k]]
    assert not bad, f"saga {bad[0]}: real {got.get(bad[0])} != simulated {want[bad[0]]}"
    assert set(got) == set(want)


def test_tables_have_the_simulators_columns_and_types(mode):
    r, s = real(mode), simulated(mode)
    for table in ("sagas", "events"):
        a, b = getattr(r, table), getattr(s, table)
        assert list(a.columns) == list(b.columns), table
        assert [str(t) for t in a.dtypes] == [str(t) for t in b.dtypes], table
    assert list(r.stations.columns) == list(s.stations.columns)
    assert list(r.stations.index) == list(s.stations.index)
    assert r.summary().index.tolist() == s.summary().index.tolist()


def test_every_effect_applied_once_and_undone_once(mode):
    eff = real(mode).params["live"]["effects"]
    counts = eff.groupby(["service", "saga_id", "action"]).size()
    assert counts.max() == 1
    sagas = real(mode).sagas
    assert real(mode).sagas["duplicates"].sum() == 0
    assert len(eff) == int(sagas["steps_completed"].sum()) + int(
        (sagas["compensations"] - (sagas["outcome"] == "dlq")).sum())


def test_everything_listened_on_loopback_only_and_is_gone(mode):
    live = real(mode).params["live"]
    sockets = live["listening"]
    assert len(sockets), "no listening socket was recorded"
    assert set(sockets["address"]) == {"127.0.0.1"}, sockets
    pattern, _, transport = MODES[mode]
    expect = {SAGA.initiator, *SAGA.step_names} if transport == "sync" and \
        pattern == "orchestration" else set()
    if pattern == "orchestration" and transport == "sync":
        expect.add("orchestrator")
    if pattern == "choreography" or transport == "async":
        expect.add("redis")
    assert set(sockets["process"]) == expect
    assert listening(live["ports"]) == []
    for pid in live["pids"]:
        assert not os.path.exists(f"/proc/{pid}") or _not_ours(pid), f"process {pid} survived"


def _not_ours(pid: int) -> bool:
    """A pid reused by someone else since (its command line is not one of the run's)."""
    try:
        cmd = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
    except OSError:
        return True
    return "sagalab" not in cmd and "redis-server" not in cmd


def test_plots_and_analyses_take_a_real_run(mode):
    import matplotlib

    matplotlib.use("Agg")
    r = real(mode)
    sid = int(r.sagas.index[r.sagas["outcome"] == "dlq"][0])
    assert len(r.trace(sid)) == r.sagas["messages"].iloc[sid]
    assert r.to_mermaid(sid).startswith("sequenceDiagram")
    sl.plot.sequence(r, sid)
    sl.plot.latency(r)
    sl.plot.outcomes([r, simulated(mode)])
    sl.plot.utilization(r)
    sl.plot.in_flight(r)
    assert len(sl.spans(r, [sid]))
    assert list(sl.latency_breakdown(r).columns) == list(
        sl.latency_breakdown(simulated(mode)).columns)
    assert sl.where_is(r, sid) is not None
    assert len(sl.fault_table(r)) == 1
    assert r.timeline()["in_flight"].iloc[-1] == 0
    sl.event_graph(r)
