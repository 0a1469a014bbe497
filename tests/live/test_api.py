"""sl.live's surface: lazy import, refusals, calibrate, twin and compare."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import sagalab as sl

from .conftest import RUN, SAGA, real, simulated


def test_import_sagalab_loads_no_live_dependency_and_sl_live_is_there():
    code = ("import sys, sagalab as sl; heavy = ('redis', 'dbos', 'aiohttp', 'sagalab.live');"
            "print(any(m in sys.modules for m in heavy));"
            "sl.live.run; print('live' in dir(sl), 'redis' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "True", "False"]


def test_a_missing_redis_server_is_one_line_that_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(sl.live.RedisNotFound) as err:
        sl.live.run(SAGA, "choreography", arrival_rate=5, n_sagas=1, seed=0)
    assert "\n" not in str(err.value) and "apt-get install redis-server" in str(err.value)


@pytest.mark.parametrize("args, kw, error, match", [
    ((SAGA, "hybrid"), {}, ValueError, "pattern"),
    ((SAGA, "orchestration"), dict(orchestrator="dbos", transport="async"), ValueError, "DBOS"),
    ((SAGA, "orchestration"), dict(orchestrator="temporal"), ValueError, "orchestrator"),
    ((SAGA, "choreography"), dict(transport="async"), ValueError, "broker"),
    ((SAGA, "choreography"), dict(faults=[sl.Outage("broker", 1, 1)]), ValueError, "broker"),
    ((SAGA, "choreography"), dict(faults=[sl.Outage("nobody", 1, 1)]), ValueError, "target"),
    ((SAGA, "choreography"), dict(crash="gently"), ValueError, "crash"),
    ((SAGA, "choreography"), dict(network=sl.Network()), TypeError, "measured"),
    ((sl.scenarios.travel_booking(), "orchestration"), {}, ValueError, "conditions"),
    (("ecommerce", "choreography"), {}, TypeError, "Saga"),
])
def test_what_the_live_services_do_not_implement_is_refused_before_anything_starts(
        args, kw, error, match):
    with pytest.raises(error, match=match):
        sl.live.run(*args, arrival_rate=5, n_sagas=2, seed=0, **kw)


def test_the_orchestrator_choice_under_choreography_is_reported_not_silently_dropped():
    r = real("choreography")
    assert r.params["live"]["ignored"] == {"orchestrator": "dbos"}
    assert any("ignored under choreography" in w for w in r.params["test_warnings"])
    assert r.params["live"]["engine"] is None


@pytest.mark.parametrize("mode, channel, durable", [
    ("choreography", "broker", False), ("seed", "network", False),
    ("seed-async", "broker", False), ("dbos", "network", True)])
def test_calibrate_fits_distributions_the_simulator_takes(mode, channel, durable):
    r = real(mode)
    links = sl.live.calibrate(r, jitter=False)
    kw = sl.live.calibrate(r)
    assert set(kw) == {"network", "broker", "orchestrator"}
    fitted = kw["network"].hop if channel == "network" else kw["broker"].latency
    alone = links["network"].hop if channel == "network" else links["broker"].latency
    assert isinstance(fitted, sl.LogNormal) and isinstance(alone, sl.LogNormal)
    on = (r.events["channel"] == channel).to_numpy()
    ev = r.events[on]
    assert alone.mean == pytest.approx(float((ev["delivered"] - ev["time"]).mean()))
    live = r.params["live"]  # each work's overrun, and the next one's pickup, go to the message
    late = live["overrun"][on] + live["pickup"][on]
    assert (live["overrun"] >= 0).all() and (live["pickup"] >= 0).all() and late.max() > 0
    assert fitted.mean == pytest.approx(alone.mean + late.mean())
    if mode != "choreography":
        assert isinstance(kw["orchestrator"].overhead, sl.LogNormal)
        assert kw["orchestrator"].durable_log is durable
    twin = sl.simulate(SAGA, r.pattern, transport=r.params["transport"], **RUN, **kw)
    assert twin.sagas["outcome"].tolist() == r.sagas["outcome"].tolist()


def test_compare_puts_reality_beside_the_model():
    modes = ["choreography", "seed", "dbos"]
    reals = [real(m) for m in modes]
    table = sl.live.compare(reals, [sl.live.twin(r) for r in reals])
    assert list(table.index) == ["choreography", "orchestration", "orchestration (dbos)"]
    assert table["outcomes_identical"].all() and table["sequences_identical"].all()
    assert (table["outcome_mismatches"] == 0).all()
    for q in ("p50", "p95", "p99"):
        assert (table[f"{q}_real"] > 0).all() and (table[f"{q}_sim"] > 0).all()
    assert ((table["ks"] >= 0) & (table["ks"] <= 1)).all()
    one = sl.live.compare(real("seed"), simulated("seed"))
    assert one.index.tolist() == ["orchestration"]


def test_compare_refuses_runs_of_different_sagas():
    other = sl.simulate(SAGA, "choreography", arrival_rate=RUN["arrival_rate"],
                        n_sagas=RUN["n_sagas"], seed=RUN["seed"] + 1)
    with pytest.raises(ValueError, match="seed"):
        sl.live.compare(real("choreography"), other)


def test_ks_distance_and_the_lognormal_fit():
    rng = np.random.default_rng(0)
    a = rng.lognormal(-4, 0.5, 4000)
    assert sl.live.ks_distance(a, a) == 0.0
    assert sl.live.ks_distance(a, a + 1.0) == 1.0
    d = sl.live.fit_lognormal(a)
    assert d.sigma == pytest.approx(0.5, abs=0.03)
    assert sl.live.ks_distance(a, d.sample(rng, 4000)) < 0.05


def test_a_run_that_fails_to_start_leaves_no_process_and_no_port(monkeypatch):
    import importlib

    from sagalab.live.cluster import Cluster, listening

    live_run = importlib.import_module("sagalab.live.run")  # the module, not the function

    seen = {}
    stop = Cluster.stop

    def spy(self):
        seen["pids"] = self.all_pids()
        seen["ports"] = [self.redis_port] + [p.port for p in self.procs.values() if p.port]
        stop(self)

    monkeypatch.setattr(Cluster, "stop", spy)
    monkeypatch.setitem(live_run.SCRIPTS, "order", "no_such_program.py")
    with pytest.raises(RuntimeError, match="did not come up"):
        sl.live.run(SAGA, "choreography", arrival_rate=5, n_sagas=3, seed=0)
    assert len(seen["pids"]) == 1 + len(SAGA.steps) + 1  # redis, the steps, the order
    for pid in seen["pids"]:
        assert not os.path.exists(f"/proc/{pid}") or "sagalab" not in open(
            f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace"), pid
    assert listening(seen["ports"]) == []
