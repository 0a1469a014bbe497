"""Consumer lag: offsets and commits, Kafka style, read from a traced run.

A consumer's lag is the number of messages waiting for it in the broker that
it has not yet committed (the log-end offset minus its committed offset). It
commits after every ``Broker(commit_every=k)`` messages it worked, or every
``Broker(commit_interval=t)`` seconds; a crash of its service replays what it
worked since its last commit, committed once worked again after recovery, and
the count starts over (as :func:`sagalab.sim.delivery.crash_replays` plays
it). :meth:`sagalab.Result.lag` is the reader's entry point.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..model.faults import FaultPlan

__all__ = ["lag"]


def _commits(done: np.ndarray, every: int, plan, service: str) -> np.ndarray:
    """When each of a consumer's messages (sorted by ``done``) is committed.

    After every ``every`` messages worked; a crash of the service replays what it
    worked since its last commit, committed once worked again after recovery, and
    the count starts over (as :func:`sagalab.sim.delivery.crash_replays` plays it).
    """
    committed = np.full(len(done), np.inf)
    crashes = plan._starts.get(service, []) if plan.hits(service) else []
    pending, ci = [], 0
    for i, d in enumerate(done):
        while ci < len(crashes) and crashes[ci] < d:
            committed[pending] = plan.up_at(service, crashes[ci])
            pending, ci = [], ci + 1
        pending.append(i)
        if len(pending) == every:
            committed[pending] = d
            pending = []
    if pending and ci < len(crashes):  # a crash after the last message replays the rest
        committed[pending] = plan.up_at(service, crashes[ci])
    return committed


def lag(result, times=None) -> pd.DataFrame:
    """Consumer lag of each service over ``result``'s run (see :meth:`sagalab.Result.lag`)."""
    if result.consumed is None:
        raise ValueError("lag: this run kept no consumer log: simulate with trace=True a "
                         "pattern that sends through the broker (choreography, hybrid "
                         "stages or transport='async')")
    if times is None:
        times = np.linspace(0.0, result.params["duration"], 501)
    t = np.asarray(times, dtype=float)
    broker = result.params["broker"]
    plan = FaultPlan(result.params["faults"], result.saga)
    out = {}
    for name, g in result.consumed.groupby("service", observed=False):
        done = np.sort(g["done"].to_numpy())
        if broker.commit_interval is not None:
            committed = np.ceil(done / broker.commit_interval) * broker.commit_interval
        else:
            committed = _commits(done, broker.commit_every, plan, str(name))
        out[name] = (np.searchsorted(np.sort(g["delivered"].to_numpy()), t, side="right")
                     - np.searchsorted(np.sort(committed), t, side="right"))
    return pd.DataFrame(out, index=pd.Index(t, name="time"))
