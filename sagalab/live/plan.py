"""What the services of one real run are told: names, capacities, and the draws.

A real run replays the simulator's sagas: :func:`sagalab.sim.draws.saga_draws`
gives, for saga ``k``, its arrival time, each step's work time and whether it
fails, each compensation's work time and whether it fails. :func:`config`
writes those, with the names each service answers to (taken from the saga
spec: ``Step.success_event``, ``Step.command``, ...), into the one JSON file
every service process reads. The services import nothing from sagalab.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..model.faults import BROKER, ORCHESTRATOR, FaultPlan
from ..model.specs import Saga
from ..sim.catalogue import PATTERNS, TRANSPORTS
from ..sim.draws import saga_draws

__all__ = ["ENGINES", "LIVE_PATTERNS", "CRASHES", "camel", "check", "names", "config"]

#: The orchestrators a real run can use: the seed's (state in memory) or DBOS (durable).
ENGINES = ("seed", "dbos")
#: The patterns the live services implement.
LIVE_PATTERNS = PATTERNS[:2]
#: How a crash lands: after the work in progress committed (what the simulator assumes),
#: or wherever ``kill -9`` happens to find the process.
CRASHES = ("after_commit", "immediate")


def camel(name: str) -> str:
    """``"order"`` -> ``"Order"``, ``"gift_wrap"`` -> ``"GiftWrap"``."""
    return "".join(w[:1].upper() + w[1:] for w in name.replace("-", "_").split("_"))


def check(saga: Saga, pattern: str, transport: str, engine: str, faults) -> tuple:
    """Refuse what the live services do not implement; return the checked outages.

    Raises
    ------
    ValueError, TypeError
        Naming the argument and what is allowed.
    """
    if not isinstance(saga, Saga):
        raise TypeError(f"live.run: saga must be a sagalab Saga, got {type(saga).__name__}")
    if pattern not in LIVE_PATTERNS:
        raise ValueError(f"live.run: pattern must be one of {list(LIVE_PATTERNS)} (hybrid is "
                         f"not built for real yet), got {pattern!r}")
    if transport not in TRANSPORTS:
        raise ValueError(f"live.run: transport must be one of {list(TRANSPORTS)}, "
                         f"got {transport!r}")
    if pattern == "choreography" and transport != "sync":
        raise ValueError("live.run: choreography's events always go through the broker; "
                         "transport applies to orchestration")
    if engine not in ENGINES:
        raise ValueError(f"live.run: orchestrator must be one of {list(ENGINES)}, "
                         f"got {engine!r}")
    if pattern == "orchestration" and engine == "dbos" and transport != "sync":
        raise ValueError("live.run: the DBOS orchestrator calls its services over HTTP; "
                         "use transport='sync'")
    for s in saga.steps:
        if s.when is not None or s.parallel is not None or (
                s.kind == "retriable" and s.failure_p > 0) or s.compensation_retries:
            raise ValueError(f"live.run: step {s.name!r} uses conditions, parallel steps, "
                             f"retriable retries or compensation retries, which the live "
                             f"services do not implement; simulate it instead")
    outages = FaultPlan(faults, saga).outages
    for o in outages:
        if o.target == BROKER:
            raise ValueError("live.run: a broker outage is not staged for real (Redis runs "
                             "without persistence); crash a service or the orchestrator")
    if pattern == "choreography" and any(o.target == ORCHESTRATOR for o in outages):
        warnings.warn("live.run: choreography has no orchestrator; its outages change nothing",
                      stacklevel=3)
    return outages


def names(saga: Saga) -> dict:
    """The names each participant answers to, from the saga spec (a service's contract)."""
    ini = camel(saga.initiator)
    steps = [{"name": s.name, "capacity": s.capacity, "outbox": s.outbox,
              "idempotent": s.idempotent, "success": s.success_event,
              "failure": s.failure_event, "compensated": s.compensation_event,
              "compensation_failed": f"{camel(s.name)}CompensationFailed",
              "command": s.command, "compensation_command": s.compensation_command}
             for s in saga.steps]
    initiator = {"name": saga.initiator, "capacity": saga.initiator_capacity,
                 "created": f"{ini}Created", "start": "StartSaga", "complete": f"Complete{ini}",
                 "cancel": f"Cancel{ini}"}
    return {"initiator": initiator, "steps": steps}


def receivers(saga: Saga, pattern: str) -> dict:
    """Who reacts to each message name (the target of an event nobody received)."""
    n = names(saga)
    ini, steps = n["initiator"], n["steps"]
    if pattern == "orchestration":
        out = {s[k]: "orchestrator" for s in steps for k in
               ("success", "failure", "compensated", "compensation_failed")}
        out.update({s[k]: s["name"] for s in steps for k in ("command", "compensation_command")})
        out.update({ini["start"]: "orchestrator", ini["complete"]: ini["name"],
                    ini["cancel"]: ini["name"]})
        return out
    who = [s["name"] for s in steps]
    out = {ini["created"]: who[0]}
    for k, s in enumerate(steps):
        out[s["success"]] = who[k + 1] if k + 1 < len(who) else ini["name"]
        for key in ("failure", "compensated", "compensation_failed"):
            out[s[key]] = who[k - 1] if k else ini["name"]
    return out


def config(saga: Saga, pattern: str, transport: str, engine: str | None, *, arrival_rate: float,
           n_sagas: int, seed, workdir: str, redis_port: int | None) -> dict:
    """The JSON every service reads: the run, the names, and saga by saga the draws."""
    d = saga_draws(saga, arrival_rate, n_sagas, seed)
    draws = {"start": d.start.tolist(), "service": d.service.tolist(),
             "fails": d.fails.tolist(), "compensation": d.compensation.tolist(),
             "compensation_fails": d.compensation_fails.tolist(),
             "initiator": None if d.initiator is None else d.initiator.tolist()}
    return {"pattern": pattern, "transport": transport, "engine": engine, "dir": workdir,
            "redis_port": redis_port, **names(saga), "draws": draws,
            "n_sagas": int(n_sagas), "last_arrival": float(np.max(d.start))}
