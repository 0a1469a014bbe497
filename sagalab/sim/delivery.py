"""Delivery under faults: crashes, outboxes, at-least-once events, partitions.

The plain :class:`~sagalab.engine.Engine` assumes perfect infrastructure.
When a run configures faults or delivery semantics (outages, timeouts and
retries, redelivery, partitions, a durable log, compensation retries),
:func:`sagalab.simulate` runs this :class:`FaultEngine` instead; a run that
configures none keeps the plain engine and pays nothing.

The story of one saga stays the engine's; what changes is what can go wrong:

* **A service crash** (an :class:`~sagalab.faults.Outage`) lands between the
  commit of the work in progress and its reply or publish: the effect is
  applied, the message reporting it is not sent. In choreography the
  transactional outbox (``Step(outbox=True)``) publishes it after recovery;
  a dual write (``outbox=False``) loses it. The consumer had not yet
  acknowledged the event it was working on, so the broker delivers that
  event again after recovery: a non-idempotent service applies its effect a
  second time (and, in a dual write, publishes this time); an idempotent one
  recognises the duplicate, so with a dual write its event is lost for good
  and the saga is ``"stuck"``. Events for a service that is down wait in the
  broker until it is back.
* **A broker outage** holds every event published during it, or in transit
  when it began, until it recovers.
* **Redelivery** (``Broker(redelivery_p=...)``): an event is delivered a
  second time, one broker latency after the first. The duplicate costs the
  work again; a non-idempotent service applies its effect again. The events
  a duplicate would publish are not followed further.
* **Partitions** (``Broker(partitions=P)``): a service's events, keyed by
  saga id, are consumed in order by one consumer per partition.
* **Compensation retries**: a failed compensation is tried again, up to
  ``Step.compensation_retries`` times, then the saga ends ``"dlq"``.

Every effect is counted per saga: ``duplicates`` (effects applied again),
``retries`` and how long the saga was *inconsistent* (some but not all of
its effects in place, or in place after it decided to compensate).
Orchestration's calls (timeouts, retries, orchestrator crashes) live in
:mod:`sagalab.calls`.
"""
from __future__ import annotations

import math

import numpy as np
import simpy

from ..model.faults import BROKER, ORCHESTRATOR
from . import draws as _world
from .calls import CallsMixin
from .draws import FAULTS, INFRA, World, constant_or_sampler, stream
from .engine import COMPENSATED, COMPLETED, DLQ, STUCK, Engine

__all__ = ["FaultEngine", "FAULT_FIELDS", "FaultWorld", "needs_fault_engine"]

BIG = 1 << 30  # "fails on every try"

#: Fields appended to a saga record by the fault engine (see Result.sagas).
FAULT_FIELDS = ("fault_wait", "duplicates", "retries", "late_replies")
DONE, CRASHED, DROPPED = 0, 1, 2  # how a piece of work ended
APPLY, UNDO = 1, -1  # the effect a piece of work commits (None: no effect)


class SagaState:
    """What one saga has done so far, and what it has cost."""

    __slots__ = ("sid", "start", "end", "outcome", "failed", "applied", "undone", "comps",
                 "acc", "dups", "retries", "late", "n_in", "aborted", "since", "inconsistent",
                 "comp_runs", "pending")

    def __init__(self, sid: int, start: float, n: int):
        self.sid, self.start, self.end, self.outcome, self.failed = sid, start, math.nan, STUCK, -1
        self.applied, self.undone, self.comp_runs = [0] * n, [False] * n, [0] * n
        self.comps = self.dups = self.retries = self.late = self.n_in = 0
        # queueing, service, transit, coordination, messages, fault_wait
        self.acc = [0.0, 0.0, 0.0, 0.0, 0, 0.0]
        self.aborted, self.since, self.inconsistent, self.pending = False, None, 0.0, None


class FaultEngine(CallsMixin, Engine):
    """The engine with faults: same stations, same catalogue, fault-aware processes."""

    def __init__(self, catalogue, world, *, n_sagas, network, broker, orchestrator, trace,
                 root, plan):
        super().__init__(catalogue, world, n_sagas=n_sagas, network=network, broker=broker,
                         orchestrator=orchestrator, trace=trace, root=root)
        saga = catalogue.saga
        self.plan, self.network, self.orchestrator = plan, network, orchestrator
        self.n, self.steps, self.names = len(saga.steps), saga.steps, saga.step_names
        self.idem = [s.idempotent for s in saga.steps]
        # Own samplers on the plain engine's streams: the same draws in the same order.
        self.hop = constant_or_sampler(network.hop, root, INFRA, 0)
        self.latency = constant_or_sampler(broker.latency, root, INFRA, 1)
        self.local = (0.0, None)
        self.states: list[SagaState] = []
        self.parts = None
        if catalogue.pattern == "choreography" and broker.partitions is not None:
            self.parts = [[simpy.Resource(self.env, 1) for _ in range(broker.partitions)]
                          for _ in saga.steps]
        self.setup_calls(root)

    # -- bookkeeping of effects ------------------------------------------------
    def _inconsistent(self, st) -> bool:
        return st.n_in > 0 and (st.aborted or st.n_in < self.n)

    def _changed(self, st, was: bool):
        if st.end == st.end:  # the saga has ended: its record is final
            return
        now = self._inconsistent(st)
        if now and not was:
            st.since = self.env.now
        elif was and not now:
            st.inconsistent += self.env.now - st.since
            st.since = None

    def apply(self, st, j):
        """Step ``j``'s effect commits (a duplicate if it was applied before)."""
        if st.applied[j]:
            if not self.idem[j]:
                st.applied[j] += 1
                st.dups += 1
            return
        was = self._inconsistent(st)
        st.applied[j] = 1
        st.n_in += 1
        self._changed(st, was)

    def undo(self, st, j):
        """Step ``j``'s compensation commits (a duplicate if it was undone before)."""
        if st.undone[j]:
            if not self.idem[j]:
                st.dups += 1
            return
        if st.applied[j]:
            was = self._inconsistent(st)
            st.undone[j] = True
            st.n_in -= 1
            self._changed(st, was)

    def commit(self, st, j, effect):
        if effect == APPLY:
            self.apply(st, j)
        elif effect == UNDO:
            self.undo(st, j)

    def abort(self, st):
        """The saga has decided to compensate: all-applied is no longer consistent."""
        was = self._inconsistent(st)
        st.aborted = True
        self._changed(st, was)

    def finish(self, st, outcome):
        st.end, st.outcome = self.env.now, outcome
        if st.since is not None:
            st.inconsistent += st.end - st.since
            st.since = None

    # -- moving and working ----------------------------------------------------
    def wait_up(self, st, target):
        """Wait (as fault time) until ``target`` is up."""
        env = self.env
        up = self.plan.up_at(target, env.now)
        if up > env.now:
            st.acc[5] += up - env.now
            yield env.timeout(up - env.now)

    def leg(self, st, msg, delay, acc=None):
        """Send one message; its time goes to ``acc`` (default the saga's)."""
        env = self.env
        acc = st.acc if acc is None else acc
        const, sampler = delay
        d = const if sampler is None else sampler()
        st.acc[4] += 1
        now = env.now
        arrive = now + d
        if delay is self.latency and self.plan.hits(BROKER):
            p = self.plan.up_at(BROKER, now)  # published once the broker is up
            arrive = p + d
            if self.plan.next_crash(BROKER, p) < arrive:  # held until it recovers
                arrive = self.plan.up_at(BROKER, self.plan.next_crash(BROKER, p))
        if self.trace:
            self.events.extend((now, arrive, st.sid, msg))
        if arrive == now + d:
            if d:
                yield env.timeout(d)
                acc[2] += d
        else:
            yield env.timeout(arrive - now)
            acc[2] += d
            acc[5] += arrive - now - d

    def work(self, st, j, t, acc, drop_queued=False):
        """Queue for a worker of step ``j``'s service and work ``t``, unless it crashes.

        Returns DONE, CRASHED (the work committed, then the service went
        down) or DROPPED (``drop_queued``: the crash dropped the queued request).
        """
        env, plan, name = self.env, self.plan, self.names[j]
        t0 = env.now
        with self.resources[j].request() as req:
            crash = plan.next_crash(name, t0)
            if drop_queued and crash < math.inf:
                got = yield req | env.timeout(crash - t0)
                if req not in got:
                    acc[5] += env.now - t0
                    return DROPPED
            else:
                yield req
            # waiting in the queue while the service was down is lost to the fault
            down = plan.down_time(name, t0, env.now)
            acc[0] += env.now - t0 - down
            acc[5] += down
            up = plan.up_at(name, env.now)
            if up > env.now:  # down: the request waits for recovery
                if drop_queued:
                    return DROPPED
                acc[5] += up - env.now
                yield env.timeout(up - env.now)
            crash = plan.next_crash(name, env.now)
            if env.now + t < crash:
                yield env.timeout(t)
                acc[1] += t
                self.busy[j] += t
                self.served[j] += 1
                return DONE
            d = crash - env.now
            yield env.timeout(d)
            acc[1] += d
            self.busy[j] += d
            return CRASHED

    def consume_work(self, st, j, t, acc):
        """``work`` behind the saga's partition, when the broker has partitions."""
        if self.parts is None:
            return (yield from self.work(st, j, t, acc))
        env, t0 = self.env, self.env.now
        with self.parts[j][st.sid % len(self.parts[j])].request() as turn:
            yield turn
            acc[0] += env.now - t0
            return (yield from self.work(st, j, t, acc))

    def consume(self, st, j, t, effect, publishes=True):
        """Step ``j`` consumes an event, commits ``effect``; False if its own event is lost."""
        while True:
            status = yield from self.consume_work(st, j, t, st.acc)
            self.commit(st, j, effect)
            if status == DONE:
                return True
            step = self.steps[j]
            if step.outbox or not publishes:  # the relay publishes after recovery
                yield from self.wait_up(st, self.names[j])
                self.start(self.duplicate(st, j, t, effect, 0.0))  # the unacked input
                return True
            if step.idempotent:  # the redelivered input is recognised: nothing is published
                return False
            yield from self.wait_up(st, self.names[j])  # redelivered input: act again

    def duplicate(self, st, j, t, effect, delay):
        """A second delivery of the event that made step ``j`` act."""
        if delay:
            yield self.env.timeout(delay)
        yield from self.consume_work(st, j, t, [0.0, 0.0, 0.0, 0.0, 0, 0.0])
        if effect == APPLY or (effect == UNDO and st.undone[j]):
            self.commit(st, j, effect)

    def publish(self, st, transfer, again=None):
        """Send a transfer's events; ``again=(j, t, effect)`` when the broker redelivers."""
        cat = self.cat
        for msg in cat.routes[transfer]:
            yield from self.leg(st, msg, self.latency if cat.types[msg].channel == "broker"
                                else self.local)
        if again is not None:
            j, t, effect = again
            const, sampler = self.latency
            self.start(self.duplicate(st, j, t, effect,
                                      const if sampler is None else sampler()))

    # -- processes ---------------------------------------------------------------
    def start(self, gen):
        """Run ``gen`` as a process the run waits for (unlike a pending crash timer)."""
        self.live += 1
        return self.env.process(self._tracked(gen))

    def _tracked(self, gen):
        try:
            return (yield from gen)
        finally:
            self.live -= 1
            if not self.live:
                self.idle.succeed()

    def arrivals(self):
        env, world, n_sagas, n = self.env, self.world, self.n_sagas, self.n
        saga = self.chor_saga if self.cat.pattern == "choreography" else self.orch_saga
        sid = 0
        while sid < n_sagas:
            size = min(_world.BLOCK, n_sagas - sid)
            inter, svc, fail_at, comp, comp_fails, init, redeliver = world.block(size)
            for i in range(size):
                yield env.timeout(inter[i])
                st = SagaState(sid, env.now, n)
                self.states.append(st)
                self.start(saga(st, svc[i], fail_at[i], comp[i], comp_fails[i],
                                 init[i] if init else None,
                                 redeliver[i] if redeliver else None))
                sid += 1

    def chor_saga(self, st, svc, fail_at, comp, comp_fails, init, redeliver):
        n, publish, consume = self.n, self.publish, self.consume

        def again(x, j, t, effect):  # the redelivery of transfer x, if drawn
            return (j, t, effect) if redeliver is not None and redeliver[x] and j < n else None

        if init is not None:
            yield from self.serve(n, init[0], st.acc)
        yield from publish(st, ("start",), again(0, 0, svc[0], APPLY if fail_at else None))
        for k in range(fail_at):
            if not (yield from consume(st, k, svc[k], APPLY)):
                return
            if k + 1 < n:
                nxt = again(1 + k, k + 1, svc[k + 1], APPLY if k + 1 < fail_at else None)
            else:
                nxt = None
            yield from publish(st, ("forward", k), nxt)
        outcome = COMPLETED
        if fail_at < n:
            if not (yield from consume(st, fail_at, svc[fail_at], None)):
                return
            st.failed, outcome = fail_at, COMPENSATED
            self.abort(st)
            back = fail_at - 1
            yield from publish(st, ("fail", fail_at),
                               again(1 + n + fail_at, back, comp[back], UNDO) if back >= 0
                               else None)
            for k in range(fail_at - 1, -1, -1):
                tries, fails = self.steps[k].compensation_retries, comp_fails[k]
                for attempt in range(tries + 1):
                    good = attempt >= fails
                    final = good or attempt == tries
                    if not (yield from consume(st, k, comp[k], UNDO if good else None, final)):
                        return
                    if final:
                        break
                    st.retries += 1
                st.comps += 1
                if not good:
                    outcome = DLQ
                x = 1 + 2 * n + k
                yield from publish(st, ("compensated" if good else "compensation_failed", k),
                                   again(x, k - 1, comp[k - 1], UNDO) if k else None)
        if init is not None:
            yield from self.serve(n, init[1], st.acc)
        self.finish(st, outcome)

    def run(self):
        self.live, self.idle = 0, self.env.event()
        self.start(self.arrivals())
        self.env.run(until=self.idle)  # not until far-off crash timers have fired
        now = self.env.now
        rec = self.sagas
        for st in self.states:
            incons = st.inconsistent
            if st.since is not None:  # still inconsistent when the run ended (stuck)
                incons += now - st.since
            a = st.acc
            rec.extend((st.sid, st.start, st.end, st.outcome, st.failed,
                        sum(1 for x in st.applied if x),
                        st.comps + sum(1 for x in st.comp_runs if x), a[4], a[0], a[1], a[2], a[3],
                        incons, a[5], st.dups, st.retries, st.late))
        self.states = []
        return self


def needs_fault_engine(saga, pattern, plan, network, broker, orchestrator) -> bool:
    """Whether the run configures anything the plain engine does not model."""
    if any(s.compensation_retries for s in saga.steps):
        return True
    if any(plan.hits(s) for s in saga.step_names):
        return True
    if pattern == "choreography":
        return plan.hits(BROKER) or broker.redelivery_p > 0 or broker.partitions is not None
    return (plan.hits(ORCHESTRATOR) or orchestrator.durable_log
            or network.timeout is not None or network.retries > 0)


class FaultWorld(World):
    """The plain world plus fault draws: compensation tries and redeliveries.

    ``comp_fails[i][j]`` is how many consecutive tries of step ``j``'s
    compensation fail for saga ``i`` (its first try is the plain world's
    draw, so with no retries the two worlds agree); ``redeliver[i][x]`` says
    whether transfer ``x`` of saga ``i`` is delivered twice.
    """

    def __init__(self, saga, arrival_rate, root, redelivery_p: float = 0.0):
        super().__init__(saga, arrival_rate, root)
        n = len(saga.steps)
        self._extra = [stream(root, FAULTS, 0, j) if s.compensation_retries
                       and s.compensation_failure_p > 0 else None
                       for j, s in enumerate(saga.steps)]
        self.redelivery_p = redelivery_p
        self._redeliver = stream(root, FAULTS, 1) if redelivery_p > 0 else None
        self.transfers = 1 + 3 * n

    def block(self, size: int):
        inter, svc, fail_at, comp, comp_fail, init, _ = super().block(size)  # no workflow extras
        saga, n = self.saga, len(self.saga.steps)
        if fail_at is None:  # compensations may still run after a technical failure
            fail_at = [n] * size
            comp, comp_fail = self.compensations(size)
        fails = np.asarray(comp_fail, dtype=np.int64)
        for j, (s, r) in enumerate(zip(saga.steps, self._extra)):
            if r is not None:
                p = s.compensation_failure_p
                extra = r.geometric(1.0 - p, size) - 1 if p < 1 else np.full(size, BIG)
                fails[:, j] += np.where(fails[:, j] > 0, extra, 0)
        redeliver = None
        if self._redeliver is not None:
            redeliver = (self._redeliver.random((size, self.transfers))
                         < self.redelivery_p).tolist()
        return inter, svc, fail_at, comp, fails.tolist(), init, redeliver
