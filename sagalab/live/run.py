"""``sl.live.run``: the seed's services for real, on loopback, replaying the simulator's sagas."""
from __future__ import annotations

import importlib.util
import json
import tempfile
import time
import warnings
from pathlib import Path

from ..analysis.result import Result
from ..model.faults import ORCHESTRATOR
from ..model.specs import Saga
from . import collect, plan
from .cluster import Cluster, listen_addresses, listening

__all__ = ["run"]

LEAD = 0.1  # seconds between GO and the run's time 0 (the first arrival is later still)
POLL = 0.01  # seconds between two looks at the run's progress
SETTLE = 3.0  # default: seconds without any activity after which unfinished sagas are stuck
OPTIONS = ("transport", "crash", "settle", "timeout")
SCRIPTS = {"step": "step_service.py", "order": "order_service.py",
           "seed": "saga_orchestrator.py", "dbos": "dbos_orchestrator.py"}


def _need(modules) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(f"sagalab.live needs {', '.join(missing)}: pip install 'sagalab[live]'")


def run(saga: Saga, pattern: str, *, arrival_rate: float, n_sagas: int, seed,
        orchestrator: str = "seed", faults=None, **infrastructure) -> Result:
    """Run ``n_sagas`` real sagas through real services, replaying ``sl.simulate``'s draws.

    Order, Payment, Inventory and Shipping (the saga's initiator and steps) each
    run as an OS process on 127.0.0.1; choreography goes through Redis Streams
    consumer groups (``redis-server`` is started on a free port), orchestration
    through the seed's orchestrator or a DBOS durable workflow. Saga ``k`` arrives
    at the ``k``-th arrival time of ``sl.simulate(saga, pattern, arrival_rate=...,
    n_sagas=..., seed=...)``, and each service sleeps the work time and fails
    where the simulator drew it for saga ``k``.

    Parameters
    ----------
    saga : Saga
        A saga without conditions, parallel steps or retries (e.g.
        ``sl.scenarios.ecommerce()``). ``Step.outbox=False`` makes a service
        publish by a dual write; ``Step.idempotent=False`` makes it skip its
        processed-messages table.
    pattern : {"choreography", "orchestration"}
    arrival_rate : float
        Sagas per second (the simulator's Poisson arrivals, replayed).
    n_sagas : int
    seed : int
        The seed ``sl.simulate`` would use: the same sagas.
    orchestrator : {"seed", "dbos"}
        Orchestration only: the seed's ``SagaOrchestrator`` (state in memory)
        or DBOS (a durable workflow, SQLite system database). Under
        choreography it is ignored, with a warning if not the default, and
        recorded in ``result.params["live"]["ignored"]``.
    faults : list of Outage, optional
        Each ``sl.Outage(target, start, duration)`` kills ``target`` at
        ``start`` seconds into the run and starts it again ``duration`` later.
        A step's service is killed right after its work in progress commits
        (``crash="after_commit"``, what the simulator assumes) or wherever
        ``kill -9`` finds it (``crash="immediate"``); the orchestrator is
        killed at once.
    **infrastructure
        ``transport`` (``"sync"``: HTTP, or ``"async"``: Redis Streams, for
        the seed's orchestrator), ``crash`` (see above), ``settle`` (seconds
        without any activity after the last arrival and restart before the
        sagas still unfinished are called stuck; default 3) and ``timeout``
        (seconds the whole run may take; default generous).

    Returns
    -------
    Result
        The tables of :func:`sagalab.simulate`, filled from what really
        happened; ``result.params["live"]`` adds what only reality has (every
        delivery, effects applied, crashes, listening sockets, pids).

    Raises
    ------
    RedisNotFound
        When ``redis-server`` is needed and missing (``apt-get install redis-server``).
    ImportError
        Without the ``live`` extra (``pip install 'sagalab[live]'``).
    ValueError, TypeError
        For what the live services do not implement, before anything starts.
    """
    transport = infrastructure.pop("transport", "sync")
    crash = infrastructure.pop("crash", "after_commit")
    settle = float(infrastructure.pop("settle", SETTLE))
    timeout = infrastructure.pop("timeout", None)
    if infrastructure:
        raise TypeError(f"live.run: unknown arguments {sorted(infrastructure)}; the real "
                        f"infrastructure is measured, not configured (see calibrate); "
                        f"allowed: {list(OPTIONS)}")
    if crash not in plan.CRASHES:
        raise ValueError(f"live.run: crash must be one of {list(plan.CRASHES)}, got {crash!r}")
    outages = plan.check(saga, pattern, transport, orchestrator, faults)
    ignored = {}
    if pattern == "choreography":
        if orchestrator != "seed":
            warnings.warn(f"live.run: orchestrator={orchestrator!r} is ignored under "
                          f"choreography (there is no orchestrator)", stacklevel=2)
        ignored = {"orchestrator": orchestrator}
    engine = orchestrator if pattern == "orchestration" else None
    need_redis = pattern == "choreography" or transport == "async"
    _need(["aiohttp"] + (["redis"] if need_redis else []) + (["dbos"] if engine == "dbos" else []))
    budget = (float(timeout) if timeout is not None
              else 120.0 + 4.0 * n_sagas / arrival_rate + sum(o.end for o in outages))
    with tempfile.TemporaryDirectory(prefix="sagalab-live-") as tmp, Cluster(tmp) as cluster:
        redis_port = cluster.start_redis() if need_redis else None
        cfg = plan.config(saga, pattern, transport, engine, arrival_rate=arrival_rate,
                          n_sagas=n_sagas, seed=seed, workdir=tmp, redis_port=redis_port)
        path = str(Path(tmp) / "run.json")
        Path(path).write_text(json.dumps(cfg))
        scripts = {s.name: SCRIPTS["step"] for s in saga.steps}
        for name, script in [*scripts.items(), (saga.initiator, SCRIPTS["order"])]:
            cluster.spawn(name, script, path)  # they start side by side
        peers = {name: cluster.wait_ready(name) for name in [*scripts, saga.initiator]}
        if engine is not None:
            scripts[ORCHESTRATOR] = SCRIPTS[engine]
            peers[ORCHESTRATOR] = cluster.start(ORCHESTRATOR, scripts[ORCHESTRATOR], path, peers)
        sockets = listen_addresses(cluster.pids())
        epoch = time.monotonic() + LEAD
        cluster.go(saga.initiator, epoch, peers.get(ORCHESTRATOR, 0))
        crashes, end = _supervise(cluster, epoch, outages, cfg, scripts, path, peers,
                                  failpoint=crash == "after_commit", settle=settle,
                                  deadline=epoch + budget)
        pids = cluster.all_pids()
        ports = [p for p in peers.values() if p] + ([redis_port] if redis_port else [])
        cluster.stop()
        left = listening(ports)
        if left:
            raise RuntimeError(f"live.run: ports {left} still listening after the run stopped")
        logs = collect.read_logs(tmp)
        effects = collect.read_effects(tmp, [s.name for s in saga.steps])
    params = dict(saga=saga, pattern=pattern, arrival_rate=float(arrival_rate),
                  n_sagas=int(n_sagas), seed=seed, network=None, broker=None, orchestrator=None,
                  trace=True, faults=outages, transport=transport, state=None)
    timed_out = end >= epoch + budget
    if timed_out:
        warnings.warn(f"live.run: stopped after {budget:g} s (timeout); the sagas still "
                      f"running are reported stuck", stacklevel=2)
    live = dict(engine=engine, ignored=ignored, crash=crash, pids=pids, ports=ports,
                listening=sockets, crashes=crashes, timed_out=timed_out)
    return collect.result(saga, pattern, cfg, logs, effects, epoch=epoch, end=end,
                          params=params, live=live)


def _supervise(cluster, epoch, outages, cfg, scripts, path, peers, *, failpoint, settle,
               deadline):
    """Watch the run: stage the faults on time, and stop when every saga ended or all is quiet."""
    actions = sorted([(o.start, 0, o) for o in outages] + [(o.end, 1, o) for o in outages],
                     key=lambda a: (a[0], a[1]))
    crashes = []
    last_planned = epoch + max([cfg["last_arrival"]] + [o.end for o in outages])
    ends = collect.EndWatcher(Path(cfg["dir"]) / f"{cfg['initiator']['name']}.log")
    logs = Path(cfg["dir"]).glob
    size, quiet_since = -1, time.monotonic()
    while True:
        t = time.monotonic()
        while actions and epoch + actions[0][0] <= t:
            at, restart, o = actions.pop(0)
            if o.target not in scripts:
                continue  # choreography has no orchestrator
            if restart:
                cluster.wait_ready(o.target)
                crashes[-1]["restarted"] = time.monotonic() - epoch
            else:
                on_failpoint = failpoint and o.target != ORCHESTRATOR
                gone = cluster.crash(o.target, on_failpoint)
                # its successor starts now (imports take a while) and holds until the outage ends
                cluster.spawn(o.target, scripts[o.target], path, peers, hold_until=epoch + o.end)
                crashes.append(dict(target=o.target, planned=at, killed=gone - epoch,
                                    restarted=float("nan"), failpoint=on_failpoint))
            t = time.monotonic()
        cluster.check_alive()
        if ends.count() >= cfg["n_sagas"] and not actions:
            return crashes, ends.last
        now_size = sum(p.stat().st_size for p in logs("*.log"))
        if now_size != size:
            size, quiet_since = now_size, t
        if (not actions and t > last_planned and t - quiet_since > settle) or t > deadline:
            return crashes, t
        time.sleep(POLL)
