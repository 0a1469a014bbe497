"""The orchestrated walk: the orchestrator hands the saga from stage to stage.

Orchestration and hybrid share one walk (choreography is a single chain,
see :mod:`sagalab.sim.saga`). The initiator asks the orchestrator to start
the saga (``StartSaga``, one decision); then, stage by stage (see
:mod:`sagalab.sim.catalogue`):

* a **call** stage: the orchestrator calls each running member (at once,
  when a parallel group has several), one decision per answer;
* a **chain** stage (hybrid): the orchestrator commands the stage's first
  steps, the steps hand on by events (:mod:`sagalab.sim.chain`), the last
  ones answer, one decision each.

A stage none of whose steps runs (their ``when`` conditions are false) is
skipped: the orchestrator sends no command. After a failure the orchestrator
compensates what completed, in reverse order: the completed members of the
failing call stage one by one, then each earlier stage (a call stage member
by member, a chain stage by one compensation command to its last steps that
flows back through it). Finally it completes or cancels the order.
"""
from __future__ import annotations

from .catalogue import OK, ORCH, START, UNDONE
from .chain import backward, forward
from .coordinator import (
    ANSWERED_FAILED,
    ANSWERED_OK,
    COMPENSATE,
    FORWARD,
    GAVE_UP,
    LOST,
    UNKNOWN,
    call,
    decide,
    receive,
)
from .links import send
from .record import DLQ

__all__ = ["orchestrate"]


def _start(eng, r):
    """``StartSaga`` reaches the orchestrator; it decides (waiting out its outages)."""
    env = eng.env
    arr = send(eng, r, r.acc, eng.cat.id(("start",)), env.now, eng.orch_channel)
    if arr > env.now:
        yield env.timeout(arr - env.now)
    done = decide(eng, r, r.acc)  # a saga not yet started is never lost: it is asked again
    r.orch_since = done
    if done > env.now:
        yield env.timeout(done - env.now)
    return done


def _call_member(eng, r, d, k, acc):
    """Call step ``k`` forward (with a retriable step's failed attempts); ``(end, time)``."""
    step = eng.steps[k]
    keep = step.kind != "compensatable"
    retry = d.retry[k] if d.retry is not None else None
    w = d.svc[k]
    order = d.orders[k] if d.orders is not None else None
    for nxt in retry or ():
        end, t = yield from call(eng, r, k, FORWARD, w, True, acc, keep, order)
        if end != ANSWERED_FAILED:
            return end, t
        r.retries += 1
        w = nxt
    fail = d.fails is not None and d.fails[k]
    return (yield from call(eng, r, k, FORWARD, w, fail, acc, keep, order))


def _call_stage(eng, r, d, members):
    """Call every running member; return ``[(k, end)]`` and the last decision's time."""
    env = eng.env
    if len(members) == 1:
        k = members[0]
        end, t = yield from _call_member(eng, r, d, k, r.acc)
        return [(k, end)], t
    accs = {k: [0.0] * 5 for k in members}
    procs = [env.process(_call_member(eng, r, d, k, accs[k])) for k in members]
    yield env.all_of(procs)
    out = [(k, p.value[0]) for k, p in zip(members, procs)]
    last = max(members, key=lambda k: (procs[members.index(k)].value[1], k))
    for i in range(5):
        r.acc[i] += accs[last][i]
    return out, max(p.value[1] for p in procs)


def _undo_call(eng, r, d, k):
    """Compensate step ``k`` by calls (retried on failure); False if the saga is lost."""
    step, env = eng.steps[k], eng.env
    runs = 0
    while True:
        end, t = yield from call(eng, r, k, COMPENSATE, d.comp[k], d.cfails[k], r.acc, False)
        if end == LOST:
            return False
        if end == ANSWERED_OK:
            return True
        if end == ANSWERED_FAILED and runs < step.compensation_retries:
            runs += 1
            r.retries += 1
            continue
        r.outcome = DLQ  # failed for good: a dead letter for manual review
        send(eng, r, r.acc, eng.cat.id(("dlq", k, "orchestrator")), env.now, 2)
        return True


def _undo_stage(eng, r, d, stage, ran):
    """Compensate a completed chain stage: one command to its last steps, back through it."""
    env = eng.env
    senders = [(ORCH, UNDONE, env.now, None, None)]
    out = yield from backward(eng, r, d, stage.units, senders, ran, ORCH)
    if out is None:
        return False
    t = yield from receive(eng, r, out)
    if t is None:
        return False
    if t > env.now:
        yield env.timeout(t - env.now)
    return True


def orchestrate(eng, r, d):
    """The orchestrated walk of saga ``r`` (a generator); True when it reached the end."""
    env, cat = eng.env, eng.cat
    yield from _start(eng, r)
    ran = [False] * eng.n
    runs = d.runs
    failed_at = None
    for si, stage in enumerate(cat.stages):
        members = [k for k in stage.steps if runs is None or runs[k]]
        if not members:
            continue
        if stage.call:
            out, t = yield from _call_stage(eng, r, d, members)
            if any(end == LOST for _, end in out):
                return False
            for k, end in out:
                ran[k] = end == ANSWERED_OK or (end == UNKNOWN and eng.compensate_unknown)
            bad = [k for k, end in out if end in (ANSWERED_FAILED, GAVE_UP, UNKNOWN)]
            if bad:
                r.failed = min(bad)
                failed_at = si
                undo = sorted((k for k in members if ran[k]), reverse=True)
                for k in undo:
                    if not (yield from _undo_call(eng, r, d, k)):
                        return False
                break
            continue
        res = yield from forward(eng, r, d, stage.units, [(ORCH, OK, env.now, None, None)],
                                 ran, (ORCH, ORCH))
        if res is None:
            return False
        what, senders = res
        t = yield from receive(eng, r, senders)
        if t is None:
            return False
        if t > env.now:
            yield env.timeout(t - env.now)
        if what == "back":
            failed_at = si
            break
    if failed_at is None:
        final = ("command", eng.n)
    else:
        for stage in reversed(cat.stages[:failed_at]):
            if stage.call:
                for k in sorted((k for k in stage.steps if ran[k]), reverse=True):
                    if not (yield from _undo_call(eng, r, d, k)):
                        return False
            elif any(ran[k] for k in stage.steps):
                if not (yield from _undo_stage(eng, r, d, stage, ran)):
                    return False
        final = ("undo", START)
    t = send(eng, r, r.acc, cat.id(final), env.now, eng.orch_channel)
    if t > env.now:
        yield env.timeout(t - env.now)
    return True

