"""What the simulator keeps of each saga: one record with named fields, stored as columns.

A :class:`SagaRecord` follows one saga through its life: what it has done so
far (which effects are applied, which undone) and what it has cost (where the
time went, how many messages, duplicates and retries). When the saga ends, or
the run ends with the saga stuck, :meth:`Columns.add` appends its fields to
one typed array per field, so a million sagas cost a few dozen bytes each and
:class:`~sagalab.analysis.result.Result` builds its tables from the columns
without knowing which features ran.

The time of a saga is split into ``queueing`` (waiting for a worker of an up
service), ``service`` (work), ``transit`` (messages on the wire or in the
broker), ``coordination`` (the orchestrator's decisions, and waiting for a
worker of it) and ``fault_wait`` (waiting through outages, timeouts and
backoff). For a saga that ended they add up to its latency.
"""
from __future__ import annotations

import math
from array import array

__all__ = ["OUTCOMES", "COMPLETED", "COMPENSATED", "DLQ", "STUCK", "SagaRecord", "Columns",
           "FIELDS", "Q", "S", "T", "C", "F"]

OUTCOMES = ("completed", "compensated", "dlq", "stuck")
COMPLETED, COMPENSATED, DLQ, STUCK = range(4)
Q, S, T, C, F = range(5)  # indices of an accumulator: queueing, service, transit, coordination,
# fault_wait (a list per saga, and one per parallel branch, see sagalab.sim.saga)

#: The columns of ``result.sagas`` the simulator fills, with their array type codes.
FIELDS = (("saga_id", "q"), ("start", "d"), ("end", "d"), ("outcome", "b"),
          ("failed_step", "h"), ("steps_completed", "h"), ("compensations", "h"),
          ("messages", "i"), ("queueing", "d"), ("service", "d"), ("transit", "d"),
          ("coordination", "d"), ("fault_wait", "d"), ("inconsistent", "d"),
          ("duplicates", "i"), ("retries", "i"), ("late_replies", "i"))


class SagaRecord:
    """One saga's state and costs (see the module docstring).

    ``applied[k]`` counts how often step ``k``'s effect was applied (more
    than once: duplicates of a non-idempotent step); ``undone[k]`` says
    whether its compensation committed; ``comp_runs[k]`` counts the tries of
    its compensation. ``first``/``last`` are the commit times of the first
    and the latest effect (applied or undone): the saga is inconsistent in
    between (and, once it is stuck or dead-lettered, until the run ends).
    """

    __slots__ = ("sid", "start", "end", "outcome", "failed", "acc", "messages", "applied",
                 "undone", "comp_runs", "dups", "retries", "late", "first", "last", "pending",
                 "orch_since")

    def __init__(self, sid: int, start: float, n: int):
        self.sid, self.start, self.end = sid, start, math.nan
        self.outcome, self.failed = STUCK, -1
        self.acc = [0.0, 0.0, 0.0, 0.0, 0.0]
        self.messages = self.dups = self.retries = self.late = 0
        self.applied = [0] * n
        self.undone = [False] * n
        self.comp_runs = [0] * n
        self.first = self.last = math.nan
        self.pending = None  # per step: tries of a call that may still be at the service
        self.orch_since = math.nan  # since when the orchestrator holds the saga in memory

    def effect(self, t: float) -> None:
        """An effect of this saga committed at ``t``."""
        if not t >= self.first:  # also when first is NaN
            self.first = t
        if not t <= self.last:
            self.last = t

    def apply(self, k: int, t: float, idempotent: bool) -> None:
        """Step ``k``'s effect commits at ``t`` (a duplicate if it was applied before)."""
        if self.applied[k]:
            if not idempotent:
                self.applied[k] += 1
                self.dups += 1
            return
        self.applied[k] = 1
        self.effect(t)

    def undo(self, k: int, t: float, idempotent: bool) -> None:
        """Step ``k``'s compensation commits at ``t`` (a duplicate if it was undone before)."""
        if self.undone[k]:
            if not idempotent:
                self.dups += 1
            return
        if self.applied[k]:
            self.undone[k] = True
            self.effect(t)


class Columns:
    """One typed array per field of :data:`FIELDS`: the records of the sagas that ended."""

    def __init__(self):
        self.cols = {name: array(code) for name, code in FIELDS}
        self._append = [self.cols[name].append for name, _ in FIELDS]

    def __len__(self) -> int:
        return len(self.cols["saga_id"])

    def add(self, r: SagaRecord, end_of_run: float) -> None:
        """Append ``r``; a stuck saga (or one whose effect stays) is inconsistent until
        ``end_of_run``."""
        first = r.first
        if first != first:  # no effect ever committed
            incons = 0.0
        elif r.outcome == COMPLETED:
            incons = r.last - first
        elif r.outcome == STUCK or (r.outcome == COMPENSATED and any(
                a and not u for a, u in zip(r.applied, r.undone))):
            incons = end_of_run - first  # an effect stays that nobody will undo
        elif r.outcome == DLQ:  # an effect stays: inconsistent until the saga ends (and after)
            incons = max(r.end, r.last) - first
        else:
            incons = r.last - first
        a = r.acc
        values = (r.sid, r.start, r.end, r.outcome, r.failed,
                  sum(1 for x in r.applied if x), sum(1 for x in r.comp_runs if x), r.messages,
                  a[Q], a[S], a[T], a[C], a[F], incons, r.dups, r.retries, r.late)
        for append, v in zip(self._append, values):
            append(v)
