"""Stations: the services (and the orchestrator) where a saga queues and works.

A station has ``capacity`` workers in front of one FIFO queue, like a SimPy
``Resource``. Because every piece of work's duration is drawn before it
arrives, a FIFO station can work out, the moment a request arrives, when a
worker will take it and when it will be done (the Lindley recursion for
multi-server FIFO queues): :class:`Station` keeps the time each worker falls
free and needs no SimPy event of its own. The saga process is woken once,
when the next thing happens to it. This is exact for FIFO service with known
work times, and it is what makes a plain run cost one event per message.

Outages (:class:`~sagalab.model.faults.Outage` of a step's service) are known
up front, so a station also answers, on arrival, how the work ends:

* **consumer** visits (the request came through the broker: an event in
  choreography, a command under asynchronous orchestration) wait in the
  broker while the service is down and are worked after recovery;
* **server** visits (a synchronous call) are refused while the service is
  down, and dropped when it crashes while they queue;
* work in progress when the service crashes commits, then the service goes
  down (crashes land after the commit, before the reply or publish).

A station whose work depends on what other sagas do meanwhile (business
state, see :mod:`sagalab.sim.ledger`) or whose requests are ordered by
partition (``Broker(partitions=...)``) cannot know its start times on
arrival: :class:`QueueStation` runs it with SimPy resources instead, with
the same outcomes.
"""
from __future__ import annotations

import heapq
import math

import simpy

from .record import F, Q, S

__all__ = ["Station", "QueueStation", "DONE", "CRASHED", "REFUSED", "DROPPED"]

DONE, CRASHED, REFUSED, DROPPED = range(4)  # how a visit ended


class Station:
    """A FIFO station whose start times are computed on arrival (see the module docstring)."""

    fast = True

    def __init__(self, name: str, capacity: int, plan=None):
        self.name, self.capacity = name, capacity
        self.free = 0.0  # one worker: when it falls free
        self.heap = [0.0] * capacity if capacity > 1 else None  # several: their free times
        self.busy, self.served = 0.0, 0
        self.plan = plan if plan is not None and plan.hits(name) else None

    def take(self, t: float, w: float) -> float:
        """Queue at ``t`` for ``w`` seconds of work; return when it starts (no faults)."""
        if self.heap is None:
            s = self.free
            if s < t:
                s = t
            self.free = s + w
        else:
            s = self.heap[0]
            if s < t:
                s = t
            heapq.heapreplace(self.heap, s + w)
        self.busy += w
        self.served += 1
        self.last_start = s
        return s

    def _earliest(self, t: float) -> float:
        s = self.free if self.heap is None else self.heap[0]
        return t if s < t else s

    def _occupy(self, s: float, until: float) -> None:
        self.last_start = s
        if self.heap is None:
            self.free = until
        else:
            heapq.heapreplace(self.heap, until)
        self.busy += until - s

    def consume(self, t: float, w: float, acc) -> tuple[int, float]:
        """A consumer visit at ``t``: ``(DONE or CRASHED, when its work commits)``."""
        plan = self.plan
        if plan is None:
            return self._plain(t, w, acc)
        s = plan.up_at(self.name, self._earliest(t))
        down = plan.down_time(self.name, t, s)
        acc[Q] += s - t - down
        acc[F] += down
        return self._work(s, w, plan.next_crash(self.name, s), acc)

    def _plain(self, t: float, w: float, acc) -> tuple[int, float]:
        """A visit to a station no outage hits: queue, work, done."""
        s = self.take(t, w)
        acc[Q] += s - t
        acc[S] += w
        return DONE, s + w

    def _work(self, s: float, w: float, crash: float, acc) -> tuple[int, float]:
        """Work from ``s`` for ``w``, unless the service crashes first (the work commits)."""
        if s + w <= crash:
            self._occupy(s, s + w)
            self.served += 1
            acc[S] += w
            return DONE, s + w
        self._occupy(s, crash)
        acc[S] += crash - s
        return CRASHED, crash

    def serve(self, t: float, w: float, acc) -> tuple[int, float]:
        """A server visit at ``t``: ``(status, time)``; REFUSED and DROPPED do no work."""
        plan = self.plan
        if plan is None:
            return self._plain(t, w, acc)
        name = self.name
        if plan.up_at(name, t) > t:
            return REFUSED, t
        s = self._earliest(t)
        crash = plan.next_crash(name, t)
        if crash <= s:  # still queued when the service went down: the request is dropped
            acc[F] += crash - t
            return DROPPED, crash
        acc[Q] += s - t
        return self._work(s, w, crash, acc)


class QueueStation:
    """A station run with SimPy resources: for business state and partitioned consumers.

    :meth:`visit` is a generator that returns ``(status, time)`` like
    :meth:`Station.consume` / :meth:`Station.serve`, at the time the work
    commits. ``work`` (optional) is a generator ``work(start)`` that does the
    work once a worker holds the request and returns its duration (a
    business-state operation that reads at the start and writes at the end).
    """

    fast = False

    def __init__(self, env, name: str, capacity: int, plan=None, partitions: int | None = None):
        self.env, self.name, self.capacity = env, name, capacity
        self.resource = simpy.Resource(env, capacity)
        self.parts = [simpy.Resource(env, 1) for _ in range(partitions)] if partitions else None
        self.busy, self.served = 0.0, 0
        self.plan = plan if plan is not None and plan.hits(name) else None
        self.last_start = 0.0  # when the last visit's work started (for the trace)

    def visit(self, sid: int, w: float, acc, server: bool, work=None, partitioned=True):
        env, plan, name = self.env, self.plan, self.name
        t0 = env.now
        if server and plan is not None and plan.up_at(name, t0) > t0:
            return REFUSED, t0
        part = None
        if self.parts is not None and partitioned and not server:
            part = self.parts[sid % len(self.parts)].request()
            yield part
        try:
            with self.resource.request() as req:
                crash = plan.next_crash(name, t0) if plan is not None else math.inf
                if server and crash < math.inf:
                    got = yield req | env.timeout(crash - t0)
                    if req not in got:
                        acc[F] += env.now - t0
                        return DROPPED, env.now
                else:
                    yield req
                down = plan.down_time(name, t0, env.now) if plan is not None else 0.0
                acc[Q] += env.now - t0 - down
                acc[F] += down
                if plan is not None:
                    up = plan.up_at(name, env.now)
                    if up > env.now:  # down: the request waits for recovery
                        if server:
                            return DROPPED, env.now
                        acc[F] += up - env.now
                        yield env.timeout(up - env.now)
                    crash = plan.next_crash(name, env.now)
                start = self.last_start = env.now
                if work is None:
                    if start + w <= crash:
                        yield env.timeout(w)
                        status = DONE
                    else:
                        yield env.timeout(crash - start)
                        status = CRASHED
                else:
                    status = yield from work(start, crash)
                spent = env.now - start
                acc[S] += spent
                self.busy += spent
                if status == DONE:
                    self.served += 1
                return status, env.now
        finally:
            if part is not None:
                self.parts[sid % len(self.parts)].release(part)
