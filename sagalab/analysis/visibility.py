"""Visibility: "where is saga 42?", answered from the logs each pattern leaves.

Every participant (a service, the orchestrator) keeps a log of the messages
it sent or received. To say where a saga stands you need its story, the
messages it caused so far. Orchestration keeps the whole story in one
place: every command and reply passes through the orchestrator, so its log
alone is complete. Choreography spreads the story over the services: each
holds only the events it produced or consumed, and no single log is
complete, so the story must be merged from several. This module measures
that from ``result.events``; it never re-runs anything.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..model import _validate as v
from . import _checks as checks

__all__ = ["SagaStatus", "where_is", "log_coverage"]


@dataclass(frozen=True)
class SagaStatus:
    """Where one saga stands at time ``at``, and what it took to find out."""

    saga_id: int
    at: float
    status: str                 # "not started", "in progress", or the outcome
    last_message: str | None    # e.g. "PaymentCompleted payment -> inventory"
    messages_so_far: int
    complete_logs: tuple        # participants whose own log holds the whole story
    logs_to_merge: tuple        # participants whose logs hold a part of it

    def __repr__(self) -> str:
        where = (f"one log suffices: {self.complete_logs[0]}'s" if self.complete_logs
                 else f"merge {len(self.logs_to_merge)} logs: {', '.join(self.logs_to_merge)}")
        return (f"saga {self.saga_id} at t={self.at:.3f} s: {self.status}; last message "
                f"{self.last_message or '-'}; {self.messages_so_far} messages so far; {where}")


def _logs(ev: pd.DataFrame):
    holders = {}
    for i, (s, t) in enumerate(zip(ev.source.astype(str), ev.target.astype(str))):
        for p in (s, t):
            if p != "dlq":
                holders.setdefault(p, set()).add(i)
    complete = tuple(sorted(p for p, held in holders.items() if len(held) == len(ev)))
    return complete, tuple(sorted(holders))


def where_is(result, saga_id: int, at: float | None = None) -> SagaStatus:
    """The status of ``saga_id`` at time ``at`` (default: when it ended, or the end of the run).

    Parameters
    ----------
    result : Result
        A traced run (``trace=True``).
    saga_id : int
        Which saga.
    at : float, optional
        Simulated time in seconds.

    Examples
    --------
    >>> import sagalab as sl
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "orchestration", arrival_rate=10, n_sagas=50)
    >>> sl.where_is(r, 42).complete_logs
    ('orchestrator',)
    """
    s = checks.result("where_is", result).sagas
    saga_id = v.count("where_is", "saga_id", saga_id, low=0, high=len(s) - 1)
    if not result.params.get("trace", True):
        raise ValueError("where_is: the run was made with trace=False, so it kept no messages")
    row = s.iloc[saga_id]
    if at is None:  # a saga that never ended (stuck) is looked at when the run ended
        at = float(result.params["duration"]) if pd.isna(row.end) else float(row.end)
    else:
        at = v.real("where_is", "at", at, low=-math.inf, what="a finite time in seconds")
    ev = result.events[(result.events.saga_id == saga_id) & (result.events.time <= at)]
    if at < row.start:
        status = "not started"
    elif pd.isna(row.end) or at < row.end:
        status = "in progress"
    else:
        status = str(row.outcome)
    last = None
    if len(ev):
        e = ev.iloc[-1]
        last = f"{e['name']} {e.source} -> {e.target}"
    complete, holders = _logs(ev)
    return SagaStatus(int(saga_id), at, status, last, len(ev), complete, holders)


def log_coverage(result) -> pd.Series:
    """Over all sagas: the share whose story one log holds, and the logs to merge otherwise.

    Returns a Series with ``one_complete_log`` (fraction of sagas with a
    participant whose log holds every message) and ``logs_holding_mean``
    (mean number of participant logs holding part of a saga's story).
    """
    ev = checks.result("log_coverage", result).events
    if not len(ev):
        raise ValueError("log_coverage: the run kept no messages (trace=False)")
    ev = ev[ev.target.astype(str) != "dlq"]
    per_msg = pd.concat([ev[["saga_id"]].assign(p=ev.source.astype(str)),
                         ev[["saga_id"]].assign(p=ev.target.astype(str))])
    n_msgs = ev.groupby("saga_id").size()
    held = per_msg.groupby(["saga_id", "p"]).size()
    # a log holds every message of its saga when it saw as many as the saga sent
    full = (held.reset_index(level="p", drop=True) == n_msgs.reindex(
        held.index.get_level_values("saga_id")).to_numpy())
    one = full.groupby(level=0).any()
    holders = held.groupby(level=0).size()
    return pd.Series({"one_complete_log": float(one.mean()),
                      "logs_holding_mean": float(holders.mean())}, name=result.pattern)
