"""The coordinator: the orchestrator's decisions, its calls, its crashes and its log.

Each *decision* (start a saga, read a reply and choose the next command)
occupies one of the orchestrator's workers for ``Orchestrator.overhead``
(plus ``log_latency`` with a durable log). While a saga waits for a service
it holds no worker.

A *call* is one command and its answer. Over the **network** (synchronous
transport) a call can go wrong in three ways, and the orchestrator tries it
again ``Network.retries`` times after a backoff that doubles each time:

* the service is **down** when the command arrives: refused, nothing happened;
* the service **crashes** while the command queues (dropped) or while it
  works (the work committed, the reply is lost): the outcome is unknown;
* the reply is **slow**: with ``Network(timeout=...)`` the orchestrator gives
  up waiting; a reply that comes later is counted in ``late_replies`` and
  never resurrects the call.

When a compensatable step's call gives up with an unknown outcome, the
orchestrator compensates that step too (its compensation waits until the
service is through with every try), as real saga engines do; the seed's
orchestrator does not (``Orchestrator(compensate_unknown=False)`` replays
its bug: the effect of a call that timed out after acting stays). A
**pivot** whose outcome is unknown is asked again until it answers, and a
**retriable** step is called until it succeeds: neither is ever
compensated. A call tried :data:`MAX_TRIES` times without an answer leaves
the saga stuck (a hard cap, never a hang).

Through the **broker** (asynchronous transport) commands and replies wait
in the broker through outages: no call is refused or timed out.

The **orchestrator crashes** (``Outage("orchestrator", ...)``): it loses
every saga it holds in memory; they end ``"stuck"`` with what was applied
so far. With ``Orchestrator(durable_log=True)`` each decision was persisted:
after recovery a synchronous saga re-sends its last command (a retry), an
asynchronous one reads its reply from the broker. Sagas that arrive while it
is down wait for it.
"""
from __future__ import annotations

from ..model.faults import ORCHESTRATOR
from .catalogue import FAIL, OK, ORCH, UNDO_FAILED, UNDONE
from .delivery import APPLY, DECISION, NONE, UNDO, commit, consume, redeliver
from .links import send
from .record import C, F
from .stations import CRASHED, DONE, REFUSED

__all__ = ["decide", "call", "receive", "MAX_TRIES", "FORWARD", "COMPENSATE",
           "ANSWERED_OK", "ANSWERED_FAILED", "GAVE_UP", "UNKNOWN", "LOST"]

FORWARD, COMPENSATE = 0, 1  # what a call asks for
# How a call ended: the business answer, or technical failures the orchestrator gave up on.
ANSWERED_OK, ANSWERED_FAILED, GAVE_UP, UNKNOWN, LOST = range(5)
_REFUSED, _RESET, _TIMEOUT, _CRASH = 10, 11, 12, 13  # how one try ended, besides the answers
MAX_TRIES = 100  # tries of one call before the saga is left stuck (never a hang)
MAX_DOUBLINGS = 10  # backoff stops doubling after this many retries


def decide(eng, r, acc):
    """One decision now; return when it is done, or ``None`` if the saga is lost."""
    t, plan = eng.env.now, eng.orch_plan
    if plan is not None and not eng.durable and r.orch_since == r.orch_since \
            and plan.next_crash(ORCHESTRATOR, r.orch_since) <= t:
        return None  # the orchestrator lost this saga's state in a crash
    st = eng.orch
    while True:
        h = eng.overhead()
        if eng.durable:
            h += eng.log_latency()
        if plan is None:
            if not h:
                return t
            s = st.take(t, h)
            acc[C] += s + h - t
            if eng.visits is not None:
                eng.visits.extend((r.sid, eng.n + 1, t, s, s + h, DECISION))
            return s + h
        s = plan.up_at(ORCHESTRATOR, st._earliest(t))
        down = plan.down_time(ORCHESTRATOR, t, s)
        acc[C] += s - t - down
        acc[F] += down
        crash = plan.next_crash(ORCHESTRATOR, s)
        if s + h <= crash:
            if h:
                st._occupy(s, s + h)
                st.served += 1
                if eng.visits is not None:
                    eng.visits.extend((r.sid, eng.n + 1, t, s, s + h, DECISION))
            acc[C] += h
            return s + h
        st._occupy(s, crash)
        acc[C] += crash - s
        if not eng.durable and r.orch_since == r.orch_since:
            return None
        t = crash  # redone from the log (or, for a saga not yet started, asked again)
        r.retries += 1


def receive(eng, r, senders):
    """Replies from ``senders`` reach the orchestrator; one decision each (a generator).

    A sender whose branch already replied and was decided (its ``pre``) is
    taken as it is. Returns the time of the last decision, or ``None`` if the
    saga is lost.
    """
    env, cat = eng.env, eng.cat
    if len(senders) == 1 and senders[0][3] is None:
        k, how, t, _, _ = senders[0]
        arr = send(eng, r, r.acc, cat.id(("reply", how, k)), t, eng.orch_channel)
        if arr > env.now:
            yield env.timeout(arr - env.now)
        return decide(eng, r, r.acc)
    decided, replies = [], []
    for k, how, t, acc, pre in senders:
        if pre is not None and ORCH in pre:  # a branch replied: its decision is under way
            got = yield pre[ORCH]
            if got is None:
                return None
            decided.append(got)
            continue
        mine = list(acc) if acc is not None else [0.0] * 5
        replies.append((send(eng, r, mine, cat.id(("reply", how, k)), t, eng.orch_channel),
                        k, mine))
    replies.sort(key=lambda x: (x[0], x[1]))
    for arr, _, mine in replies:
        if arr > env.now:
            yield env.timeout(arr - env.now)
        done = decide(eng, r, mine)
        if done is None:
            return None
        decided.append((done, mine))
    best, best_acc = max(decided, key=lambda x: x[0])
    for i in range(5):
        r.acc[i] += best_acc[i]
    return best


def _attempt(eng, r, k, kind, w, fail, acc, abandoned, tried, order):
    """One try of a call: command, the service's work, its answer (a generator).

    Returns the try's end (``ANSWERED_OK``, ``ANSWERED_FAILED``, ``_REFUSED``,
    ``_RESET`` or ``LOST``) when the answer reaches the orchestrator.
    ``tried`` (an event, or None) fires when the service is through with it.
    """
    env, cat, sync = eng.env, eng.cat, eng.orch_channel == 0
    st = eng.stations[k]
    move = ("command", k) if kind == FORWARD else ("undo", k)
    arr = send(eng, r, acc, cat.id(move), env.now, eng.orch_channel)
    if arr > env.now:
        yield env.timeout(arr - env.now)
    if kind == COMPENSATE:
        for ev in r.pending[k] if r.pending else ():
            if not ev.triggered:  # the service finishes the step's tries before undoing it
                t0 = env.now
                yield ev
                acc[F] += env.now - t0
            if ev.value > env.now:
                acc[F] += ev.value - env.now
                yield env.timeout(ev.value - env.now)
        if not r.applied[k]:  # nothing to undo: the service says so at once
            t = send(eng, r, acc, cat.id(("reply", UNDONE, k)), env.now, eng.orch_channel)
            if t > env.now:
                yield env.timeout(t - env.now)
            r.late += abandoned is not None and abandoned[0]
            return ANSWERED_OK
    if kind == FORWARD:
        failed, effect = fail, (NONE if fail else APPLY)
    else:
        failed = r.comp_runs[k] < fail
        effect = NONE if failed else UNDO
        r.comp_runs[k] += 1
    ledger = eng.ledgers[k] if eng.ledgers is not None else None
    if not sync:  # through the broker: a consumer, waiting out outages
        arrived = env.now
        if ledger is not None:
            if kind == FORWARD:
                ok, t = yield from ledger.reserve(eng, r, acc, k, w, fail, order)
                failed = not ok
            else:
                t = yield from ledger.release(eng, r, acc, k, w, not failed)
        else:
            t = yield from consume(eng, r, acc, k, w, effect, phase=kind)
            if eng.redelivery_p:
                redeliver(eng, r, k, w, effect, arrived)
        if tried is not None:
            tried.succeed(t if t is not None else env.now)
        if t is None:
            return LOST
        status = DONE
    elif ledger is not None:  # the ledger commits its own effect
        t0 = env.now
        if kind == FORWARD:
            status, ok, t = yield from ledger.reserve(eng, r, acc, k, w, fail, order,
                                                      server=True)
            failed = not ok
        else:
            status, t = yield from ledger.release(eng, r, acc, k, w, not failed, server=True)
        if tried is not None:
            tried.succeed(t)
        if eng.visits is not None and status in (DONE, CRASHED):
            eng.visits.extend((r.sid, k, t0, st.last_start, t, kind))
    else:
        t0 = env.now
        if st.fast:
            status, t = st.serve(t0, w, acc)
        else:
            status, t = yield from st.visit(r.sid, w, acc, True)
        if tried is not None:
            tried.succeed(t)
        if eng.visits is not None and status in (DONE, CRASHED):
            eng.visits.extend((r.sid, k, t0, st.last_start, t, kind))
        if status == DONE or status == CRASHED:
            commit(eng, r, k, effect, t)  # a crash lands after the commit
    if status == DONE:
        if kind == FORWARD:
            how = FAIL if failed else OK
        else:
            how = UNDO_FAILED if failed else UNDONE
        arr = send(eng, r, acc, cat.id(("reply", how, k)), t, eng.orch_channel)
        end = ANSWERED_FAILED if failed else ANSWERED_OK
    else:
        arr = send(eng, r, acc, cat.id(("unavailable", k)), t, 0)
        end = _REFUSED if status == REFUSED else _RESET
    if arr > env.now:
        yield env.timeout(arr - env.now)
    r.late += abandoned is not None and abandoned[0]
    return end


def call(eng, r, k, kind, w, fail, acc, keep_trying: bool, order=None):
    """Call step ``k`` until it answers, then decide (a generator).

    ``fail``: the step fails on its business rule (FORWARD), or how many
    tries of the compensation fail (COMPENSATE). ``keep_trying``: a pivot or
    retriable step, asked again until it answers. Returns ``(end, time)``:
    ``ANSWERED_OK``/``ANSWERED_FAILED`` (decided), ``GAVE_UP`` (every try was
    refused: nothing happened), ``UNKNOWN`` (some try may have acted) or
    ``LOST``.
    """
    env, plan, net = eng.env, eng.orch_plan, eng.network
    tries, unknown = 0, False
    while True:
        if tries >= MAX_TRIES:
            return LOST, env.now
        if eng.spawn:
            abandoned, local = [False], [0.0] * 5
            tried = env.event() if kind == FORWARD else None
            if tried is not None:
                if r.pending is None:
                    r.pending = [[] for _ in range(eng.n)]
                r.pending[k].append(tried)
            proc = eng.start(_attempt(eng, r, k, kind, w, fail, local, abandoned, tried, order))
            t0 = env.now
            waits = [proc]
            if net.timeout is not None and eng.orch_channel == 0:
                waits.append(env.timeout(net.timeout))
            crash = eng.orch_crash(t0)  # one event per outage, shared by every call
            if crash is not None:
                waits.append(crash)
            yield env.any_of(waits)
            if not proc.is_alive:
                end = proc.value
                for i in range(5):
                    acc[i] += local[i]
            else:
                abandoned[0] = True
                acc[F] += env.now - t0
                end = _CRASH if plan is not None and plan.up_at(ORCHESTRATOR, env.now) > env.now \
                    else _TIMEOUT
        else:
            end = yield from _attempt(eng, r, k, kind, w, fail, acc, None, None, order)
        tries += 1
        if end == LOST:  # the answer is lost for good (a dual write)
            return LOST, env.now
        if end in (ANSWERED_OK, ANSWERED_FAILED):
            done = decide(eng, r, acc)
            if done is None:
                return LOST, env.now
            if done > env.now:
                yield env.timeout(done - env.now)
            return end, done
        if end == _CRASH:  # the orchestrator crashed: resume from the log, or be lost
            if not eng.durable:
                return LOST, env.now
            unknown = True  # the lost try may have acted
            up = plan.up_at(ORCHESTRATOR, env.now)
            acc[F] += up - env.now
            if up > env.now:
                yield env.timeout(up - env.now)
            r.retries += 1
            continue
        unknown = unknown or end != _REFUSED
        if keep_trying or tries <= net.retries:
            wait = eng.backoff() * 2 ** min(tries - 1, MAX_DOUBLINGS)
            t0 = env.now
            if wait:
                yield env.timeout(wait)
            acc[F] += wait
            r.retries += 1
            if plan is not None and plan.next_crash(ORCHESTRATOR, t0) <= env.now:
                if not eng.durable:  # crashed while backing off
                    return LOST, env.now
                up = plan.up_at(ORCHESTRATOR, env.now)
                if up > env.now:
                    acc[F] += up - env.now
                    yield env.timeout(up - env.now)
            continue
        done = decide(eng, r, acc)  # decide to give up
        if done is None:
            return LOST, env.now
        if done > env.now:
            yield env.timeout(done - env.now)
        return (UNKNOWN if unknown else GAVE_UP), done
