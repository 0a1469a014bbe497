"""Orchestration's synchronous calls under faults: timeouts, retries, a crashing coordinator.

The seed's orchestrator calls Payment and waits for the answer. Under
faults each such call can go wrong in three ways, and this module plays
them out (it is the orchestration half of :class:`sagalab.delivery.FaultEngine`):

* **The service is down** when the command arrives: the call is refused
  (the error comes back one hop later). A crash of the service while the
  command is queued drops it; a crash while it works lands after the
  commit, so the effect is applied but the reply is lost (the connection
  resets).
* **The reply is slow**: with ``Network(timeout=...)`` the orchestrator gives
  up waiting. The service may already have acted, so a retry applies the
  effect twice unless the step is idempotent. A reply that arrives after its
  timeout never resurrects the call; it is counted in ``late_replies``.
  Failed calls are retried ``Network.retries`` times after a backoff that
  doubles each time; then the saga compensates. If any try may have taken
  effect (a timeout or a reset), the orchestrator compensates that step too,
  as real saga engines do for "unknown" outcomes; its compensation waits
  until the service has finished every try of the step.
* **The orchestrator crashes** (an ``Outage`` of ``"orchestrator"``). Sagas in
  flight lose the call they were waiting on. With ``durable_log`` each
  decision was persisted, so after recovery the saga resumes by re-sending
  its last command (a retry); without it the saga is ``"stuck"`` with what
  was applied so far. New sagas wait for recovery.

A compensation that fails (``compensation_failure_p``) is sent again up to
``Step.compensation_retries`` times; one that still fails, or whose calls
all fail, goes to the dead-letter queue and the saga ends ``"dlq"``.
"""
from __future__ import annotations

import math

from ..model.faults import ORCHESTRATOR
from ..model.specs import _camel
from .draws import INFRA, constant_or_sampler
from .engine import COMPENSATED, COMPLETED, DLQ

__all__ = ["CallsMixin"]

FORWARD, COMPENSATE = 0, 1  # what a call asks for
# How a call ended. OK / FAILED carry the business answer; the rest are technical.
OK, FAILED, REFUSED, RESET, TIMEOUT, LOST = range(6)
MAX_DOUBLINGS = 10  # backoff stops doubling after this many retries


class CallsMixin:
    """Orchestration processes of :class:`~sagalab.delivery.FaultEngine`."""

    def setup_calls(self, root):
        o = self.orchestrator
        self.durable = o.durable_log
        self.log = constant_or_sampler(o.log_latency, root, INFRA, 3) if self.durable else None
        self.backoff = constant_or_sampler(self.network.backoff, root, INFRA, 4)
        self.skip = o.overhead.is_zero and not self.durable
        if not self.skip and self.cat.pattern == "orchestration":
            self.uses_decisions = True
        # attempts run as processes of their own only when a caller may stop waiting
        self.spawn = self.network.timeout is not None or self.plan.hits(ORCHESTRATOR)

    def _msg(self, kind, name, source, target):
        return self.cat.msg(kind, name, source, target, "network")

    def _sample(self, delay):
        const, sampler = delay
        return const if sampler is None else sampler()

    def decide(self, st):
        """One decision of the orchestrator (with its durable write); False if a crash loses it."""
        env, plan = self.env, self.plan
        t0 = env.now
        if plan.up_at(ORCHESTRATOR, t0) > t0:
            return False
        if self.skip:
            return True
        crash = plan.next_crash(ORCHESTRATOR, t0)
        with self.resources[-1].request() as req:
            if crash < math.inf:
                got = yield req | env.timeout(crash - t0)
                if req not in got:
                    st.acc[3] += env.now - t0
                    return False
            else:
                yield req
            h = self._sample(self.overhead)
            if self.durable:
                h += self._sample(self.log)
            if env.now + h >= crash:
                d = crash - env.now
                yield env.timeout(d)
                self.busy[-1] += d
                st.acc[3] += env.now - t0
                return False
            yield env.timeout(h)
        self.busy[-1] += h
        self.served[-1] += 1
        st.acc[3] += env.now - t0
        return True

    def attempt(self, st, j, cmd, t, kind, fails, acc, abandoned, done=None):
        """One try of a call: command, the service's work, reply. Returns how it ended.

        ``done`` (an event) is triggered when the service is through with the try.
        """
        result = yield from self._attempt(st, j, cmd, t, kind, fails, acc, abandoned, done)
        if done is not None and not done.triggered:
            done.succeed()
        return result

    def _attempt(self, st, j, cmd, t, kind, fails, acc, abandoned, done):
        env, name = self.env, self.names[j]
        hop = self.hop
        yield from self.leg(st, cmd, hop, acc)
        if kind == FORWARD:
            ok_msg, fail_msg = self.cat.routes[("forward", j)][0], self.cat.routes[("fail", j)][0]
        else:
            ok_msg = self.cat.routes[("compensated", j)][0]
            fail_msg = self.cat.routes[("compensation_failed", j)][0]
            for tried in st.pending[j] if st.pending else ():
                if not tried.triggered:  # the service finishes the step's tries before undoing it
                    t0 = env.now
                    yield tried
                    acc[5] += env.now - t0
            if not st.applied[j]:  # nothing to undo: the service says so at once
                yield from self.leg(st, ok_msg, hop, acc)
                st.late += abandoned is not None and abandoned[0]
                return OK
        if self.plan.up_at(name, env.now) > env.now:
            status = REFUSED
        else:
            status = yield from self.work(st, j, t, acc, drop_queued=True)
            if done is not None:
                done.succeed()
                done = None
            if status == 0:  # DONE: commit and reply
                if kind == FORWARD:
                    failed = j == fails
                    if not failed:
                        self.apply(st, j)
                else:
                    failed = st.comp_runs[j] < fails
                    st.comp_runs[j] += 1
                    if not failed:
                        self.undo(st, j)
                yield from self.leg(st, fail_msg if failed else ok_msg, hop, acc)
                st.late += abandoned is not None and abandoned[0]
                return FAILED if failed else OK
            if status == 1:  # CRASHED after the commit: the effect is in, the reply is not
                if kind == FORWARD and j != fails:
                    self.apply(st, j)
                elif kind == COMPENSATE and st.comp_runs[j] >= fails:
                    self.undo(st, j)
                if kind == COMPENSATE:
                    st.comp_runs[j] += 1
            status = RESET
        error = self._msg("failure", f"{_camel(name)}Unavailable", name, ORCHESTRATOR)
        yield from self.leg(st, error, hop, acc)
        st.late += abandoned is not None and abandoned[0]
        return status

    def call(self, st, j, cmd, t, kind, fails):
        """Call step ``j`` until it answers, retrying technical failures; then decide.

        Returns OK or FAILED (the business answer, decided), REFUSED (every try
        was refused: nothing happened), RESET (some try may have acted) or LOST
        (a crash lost the saga's state).
        """
        env, plan, net = self.env, self.plan, self.network
        acc, tries, unknown = st.acc, 0, False
        while True:
            if self.spawn:
                abandoned, local = [False], [0.0, 0.0, 0.0, 0.0, 0, 0.0]
                done = env.event() if kind == FORWARD else None
                proc = self.start(self.attempt(st, j, cmd, t, kind, fails, local, abandoned,
                                               done))
                if kind == FORWARD:
                    if st.pending is None:
                        st.pending = [[] for _ in range(self.n)]
                    st.pending[j].append(done)
                t0 = env.now
                waits = [proc]
                if net.timeout is not None:
                    waits.append(env.timeout(net.timeout))
                crash = plan.next_crash(ORCHESTRATOR, t0)
                if crash < math.inf:
                    waits.append(env.timeout(crash - t0))
                yield env.any_of(waits)
                if not proc.is_alive:
                    res = proc.value
                    for i in (0, 1, 2, 3, 5):
                        acc[i] += local[i]
                else:
                    abandoned[0] = True
                    acc[5] += env.now - t0
                    res = LOST if plan.up_at(ORCHESTRATOR, env.now) > env.now else TIMEOUT
            else:
                res = yield from self.attempt(st, j, cmd, t, kind, fails, acc, None)
            if res in (OK, FAILED):
                if (yield from self.decide(st)):
                    return res
                res = LOST
            if res == LOST:  # the orchestrator crashed: resume from the log, or be lost
                if not self.durable:
                    return LOST
                unknown = True  # the lost try may have acted
                yield from self.wait_up(st, ORCHESTRATOR)
                st.retries += 1
                continue
            unknown = unknown or res != REFUSED
            if tries < net.retries:
                wait = self._sample(self.backoff) * 2 ** min(tries, MAX_DOUBLINGS)
                t0 = env.now
                if wait:
                    yield env.timeout(wait)
                acc[5] += wait
                tries += 1
                st.retries += 1
                if plan.next_crash(ORCHESTRATOR, t0) <= env.now:  # crashed while backing off
                    if not self.durable:
                        return LOST
                    yield from self.wait_up(st, ORCHESTRATOR)
                continue
            while not (yield from self.decide(st)):  # decide to give up and compensate
                if not self.durable:
                    return LOST
                yield from self.wait_up(st, ORCHESTRATOR)
            return RESET if unknown else REFUSED

    def orch_saga(self, st, svc, fail_at, comp, comp_fails, init, redeliver):
        n, routes, steps, hop = self.n, self.cat.routes, self.steps, self.hop
        if init is not None:
            yield from self.serve(n, init[0], st.acc)
        start = routes[("start",)]
        yield from self.leg(st, start[0], hop)
        while True:  # sagas that arrive while the orchestrator is down wait for it
            yield from self.wait_up(st, ORCHESTRATOR)
            if (yield from self.decide(st)):
                break
            st.retries += 1
        cmd, k, undo_from = start[-1], 0, -1
        while k < n:
            res = yield from self.call(st, k, cmd, svc[k], FORWARD, fail_at)
            if res == LOST:
                return
            if res == OK:
                cmd = routes[("forward", k)][-1]
                k += 1
                continue
            st.failed = k
            undo_from = k if res == RESET else k - 1
            break
        outcome = COMPLETED
        if k < n:
            outcome = COMPENSATED
            self.abort(st)
            for j in range(undo_from, -1, -1):
                cmd = self._msg("compensation", steps[j].compensation_command, ORCHESTRATOR,
                                steps[j].name)
                runs = 0
                while True:
                    res = yield from self.call(st, j, cmd, comp[j], COMPENSATE, comp_fails[j])
                    if res == LOST:
                        return
                    if res == OK:
                        break
                    if res == FAILED and runs < steps[j].compensation_retries:
                        runs += 1
                        st.retries += 1
                        continue
                    outcome = DLQ  # failed for good: a dead letter for manual review
                    yield from self.leg(st, routes[("compensation_failed", j)][2], self.local)
                    break
            final = routes[("fail", 0)][-1]
        else:
            final = routes[("forward", n - 1)][-1]
        yield from self.leg(st, final, hop)
        if init is not None:
            yield from self.serve(n, init[1], st.acc)
        self.finish(st, outcome)
