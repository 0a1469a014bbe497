"""Chains: steps handed on by events, forward and back, with fan-out and fan-in.

A chain is choreography's whole saga (entered and left at the initiator) or
a multi-step hybrid stage (entered and left at the orchestrator). It is a
sequence of units (see :mod:`sagalab.sim.catalogue`); every participant of a
unit receives one message from every participant of the unit before it and
acts when all have arrived (one sender and one receiver in a plain saga).

A *sender* is a tuple ``(code, how, time, acc)``: the participant (a step
index, :data:`~sagalab.sim.catalogue.START` for the initiator, :data:`ORCH`
for the orchestrator), what it says (``OK``, ``PASS``, ``FAIL``, ...), when
it publishes, and the time breakdown of its path since the saga last split
(``None``: the saga's own accumulator, which holds everything up to that
time). Where paths split (a parallel unit) and join again, the saga's time
is that of the path that arrived last: its breakdown is the one added, so
the time columns keep adding up to the latency.

Going forward, a member that fails sends its failure event to its siblings
and back; each sibling that completed compensates when the failure reaches
it (after finishing its own work), one that filtered passes the word on;
the participants before the unit wait for every member's last word
(failure, compensation, or nothing to undo), then compensate in turn.
"""
from __future__ import annotations

from .catalogue import FAIL, OK, ORCH, PASS, PASS_BACK, UNDO_FAILED, UNDONE
from .coordinator import decide
from .delivery import APPLY, COMPENSATION, NONE, UNDO, consume, redeliver
from .links import send
from .record import DLQ

__all__ = ["forward", "backward", "deliver", "join", "step_forward", "step_backward"]

BACK = frozenset({FAIL, UNDONE, UNDO_FAILED, PASS_BACK})


def _message(eng, s, how, m):
    """``(message id, channel)`` of what ``s`` says (``how``) to ``m``."""
    if s == ORCH:
        move = ("undo", m) if how in BACK else ("command", m)
    elif m == ORCH:
        move = ("reply", how, s)
    else:
        return eng.cat.id(("event", how, s, m)), 1  # an event: through the broker
    return eng.cat.id(move), eng.orch_channel


def deliver(eng, r, senders, m, split: bool = False):
    """Send every sender's message to ``m``; return ``(arrival, acc)`` of the last to arrive.

    ``acc`` is ``None`` when one sender on the saga's own path reached ``m``
    (its transit went to the saga's accumulator), else the breakdown of the
    critical path to ``m`` (always so with ``split``: ``m`` is one of several
    receivers, each on a path of its own). A sender whose branch already sent
    its message (its ``pre``) is not sent again.
    """
    if not split and len(senders) == 1 and senders[0][3] is None:
        s, how, t, _, _ = senders[0]
        mid, channel = _message(eng, s, how, m)
        return send(eng, r, r.acc, mid, t, channel), None
    best, best_acc = None, None
    for s, how, t, acc, pre in senders:
        if pre is not None and m in pre:
            arr, mine = pre[m]
        else:
            mine = list(acc) if acc is not None else [0.0] * 5
            mid, channel = _message(eng, s, how, m)
            arr = send(eng, r, mine, mid, t, channel)
        if best is None or arr > best:
            best, best_acc = arr, mine
    return best, list(best_acc)


def join(r, acc) -> None:
    """The paths have joined on ``acc``: it is the saga's own path again."""
    if acc is not None:
        ra = r.acc
        for i in range(5):
            ra[i] += acc[i]


def step_forward(eng, r, d, acc, k):
    """Step ``k`` consumes its input now; return ``(how, time)``, or ``None`` if stuck."""
    env = eng.env
    if d.runs is not None and not d.runs[k]:
        return PASS, env.now  # the consumer filters the event and passes it on
    ledger = eng.ledgers[k] if eng.ledgers is not None else None
    retry = d.retry[k] if d.retry is not None else None
    fail = d.fails is not None and d.fails[k]
    if ledger is not None:
        arrived = env.now
        ok, t = yield from ledger.reserve(eng, r, acc, k, d.svc[k], fail, d.orders[k])
        if eng.redelivery_p:
            redeliver(eng, r, k, d.svc[k], APPLY if ok else NONE, arrived)
        if t is None:
            return None
        return (OK if ok else FAIL), t
    if retry:  # a retriable step's failed attempts: the service retries locally
        w = d.svc[k]
        for nxt in retry:
            t = yield from consume(eng, r, acc, k, w, NONE, publishes=False)
            if t is None:
                return None
            r.retries += 1
            if t > env.now:
                yield env.timeout(t - env.now)
            w = nxt
        t = yield from consume(eng, r, acc, k, w, APPLY)
        return (OK, t) if t is not None else None
    arrived = env.now
    t = yield from consume(eng, r, acc, k, d.svc[k], NONE if fail else APPLY)
    if eng.redelivery_p:
        redeliver(eng, r, k, d.svc[k], NONE if fail else APPLY, arrived)
    if t is None:
        return None
    return (FAIL if fail else OK), t


def step_backward(eng, r, d, acc, k, ran: bool):
    """Step ``k`` hears that later steps failed; compensate (or pass the word on)."""
    env = eng.env
    if not ran:
        return PASS_BACK, env.now
    tries, fails = eng.steps[k].compensation_retries, d.cfails[k]
    ledger = eng.ledgers[k] if eng.ledgers is not None else None
    arrived = env.now
    for attempt in range(tries + 1):
        good = attempt >= fails
        final = good or attempt == tries
        r.comp_runs[k] += 1
        if ledger is not None:
            t = yield from ledger.release(eng, r, acc, k, d.comp[k], good)
        else:
            t = yield from consume(eng, r, acc, k, d.comp[k], UNDO if good else NONE, final,
                                   phase=COMPENSATION)
        if t is None:
            return None
        if final:
            break
        r.retries += 1
        if t > env.now:
            yield env.timeout(t - env.now)
    if eng.redelivery_p:
        redeliver(eng, r, k, d.comp[k], UNDO if good else NONE, arrived)
    if good:
        return UNDONE, t
    r.outcome = DLQ  # failed for good: parked for manual review; the others still undo theirs
    send(eng, r, acc, eng.cat.id(("dlq", k, "service")), t, 2)
    return UNDO_FAILED, t


def _publish(eng, r, k, how, t, acc, hop):
    """A branch's member ``k`` says ``how`` at ``t`` to every participant of ``hop``.

    Events are only sent (their receivers act once all have arrived); a reply
    to the orchestrator is decided at its arrival, by a process of its own
    (the member goes on meanwhile). Returns ``{receiver: (arrival, breakdown)}``,
    with the deciding process in place of the pair for the orchestrator.
    """
    pre = {}
    for p in hop:
        mine = list(acc)
        mid, channel = _message(eng, k, how, p)
        arr = send(eng, r, mine, mid, t, channel)
        pre[p] = eng.env.process(_decided(eng, r, arr, mine)) if p == ORCH else (arr, mine)
    return pre


def _decided(eng, r, arr, acc):
    """A reply reaches the orchestrator at ``arr``; ``(decision time, breakdown)`` or None."""
    env = eng.env
    if arr > env.now:
        yield env.timeout(arr - env.now)
    done = decide(eng, r, acc)
    return None if done is None else (done, acc)


def _member(eng, r, d, k, arr, acc, group, nxt, prev):
    """One member of a parallel unit in a chain (a process): act, publish, react to siblings.

    A member publishes its result as soon as it is done (it does not know its
    siblings' fate); when a sibling's failure reaches it, it compensates (or
    passes the word on) and tells the participants before the unit.
    """
    env = eng.env
    if arr > env.now:
        yield env.timeout(arr - env.now)
    res = yield from step_forward(eng, r, d, acc, k)
    if res is None:
        group.lost = True
        group.settle()
        return None
    how, t = res
    if t > env.now:
        yield env.timeout(t - env.now)
    if how == FAIL:
        group.fail(eng, r, k, t, acc)
        return (k, FAIL, t, acc, _publish(eng, r, k, FAIL, t, acc, prev))
    pre = _publish(eng, r, k, how, t, acc, nxt)
    group.ok += 1
    group.settle()
    yield group.notice[k] | group.all_ok
    if group.all_ok.triggered and not group.notice[k].triggered:
        return (k, how, t, acc, pre)
    at, facc = group.notice[k].value
    if at > t:  # the failure reached this member after it was done: its path runs through it
        acc[:] = facc
        t = at
    if t > env.now:
        yield env.timeout(t - env.now)
    res = yield from step_backward(eng, r, d, acc, k, how == OK)
    if res is None:
        return None
    return (k, res[0], res[1], acc, _publish(eng, r, k, res[0], res[1], acc, prev))


class _Group:
    """Per-saga state of a parallel unit in a chain: who is done, who heard of a failure."""

    def __init__(self, env, members):
        self.env, self.members = env, members
        self.notice = {k: env.event() for k in members}
        self.all_ok = env.event()
        self.ok, self.failed, self.lost = 0, False, False

    def settle(self):
        if not self.failed and self.ok == len(self.members) and not self.all_ok.triggered:
            self.all_ok.succeed()
        if self.lost and not self.all_ok.triggered:  # a member is lost: the unit never completes
            self.all_ok.succeed()

    def fail(self, eng, r, k, t, acc):
        """Member ``k`` failed at ``t``: its failure event reaches every sibling."""
        self.failed = True
        env = self.env
        for s in self.members:
            if s == k:
                continue
            mine = list(acc)
            arr = send(eng, r, mine, eng.cat.id(("event", FAIL, k, s)), t, 1)
            ev = self.notice[s]

            def tell(_, ev=ev, arr=arr, mine=mine):
                if not ev.triggered:
                    ev.succeed((arr, mine))
            env.timeout(max(0.0, arr - env.now)).callbacks.append(tell)


def _unit(eng, r, d, unit, senders, back: bool, ran, nxt, prev):
    """Every member of ``unit`` receives ``senders``' messages and acts; return the new senders.

    ``nxt`` and ``prev``: the participants after and before the unit (whom
    its members answer going forward, and going back).
    """
    env = eng.env
    if len(unit) == 1:
        k = unit[0]
        arr, acc = deliver(eng, r, senders, k)
        join(r, acc)
        if arr > env.now:
            yield env.timeout(arr - env.now)
        if back:
            res = yield from step_backward(eng, r, d, r.acc, k, ran[k])
        else:
            res = yield from step_forward(eng, r, d, r.acc, k)
        if res is None:
            return None
        return [(k, res[0], res[1], None, None)]
    group = None if back else _Group(env, unit)
    procs = []
    for k in unit:
        arr, acc = deliver(eng, r, senders, k, split=True)
        if back:
            procs.append(env.process(_back_member(eng, r, d, k, arr, acc, ran[k], prev)))
        else:
            procs.append(env.process(_member(eng, r, d, k, arr, acc, group, nxt, prev)))
    yield env.all_of(procs)
    out = [p.value for p in procs]
    if any(x is None for x in out):
        return None
    return out


def _back_member(eng, r, d, k, arr, acc, ran, prev):
    env = eng.env
    if arr > env.now:
        yield env.timeout(arr - env.now)
    res = yield from step_backward(eng, r, d, acc, k, ran)
    if res is None:
        return None
    return (k, res[0], res[1], acc, _publish(eng, r, k, res[0], res[1], acc, prev))


def forward(eng, r, d, units, senders, ran, ends):
    """Walk ``units`` forward from ``senders``; ``ends = (entry, exit)`` of the chain.

    Returns ``("ok", senders)`` (the last unit's participants, to hand on to
    ``exit``), ``("back", senders)`` (a failure flowed back to the first
    unit, whose participants now answer ``entry``), or ``None`` (stuck).
    ``ran[k]`` is set for every step that completed.
    """
    entry, exit_ = ends
    last = len(units) - 1
    for i, unit in enumerate(units):
        nxt = list(units[i + 1]) if i < last else [exit_]
        prev = list(units[i - 1]) if i else [entry]
        out = yield from _unit(eng, r, d, unit, senders, False, ran, nxt, prev)
        if out is None:
            return None
        if any(how in BACK for _, how, _, _, _ in out):
            failed = [k for k, how, _, _, _ in out if how == FAIL]
            if failed and (r.failed < 0 or min(failed) < r.failed):
                r.failed = min(failed)
            res = yield from backward(eng, r, d, units[:i], out, ran, entry)
            return None if res is None else ("back", res)
        for k, how, _, _, _ in out:
            ran[k] = how == OK
        senders = out
    return "ok", senders


def backward(eng, r, d, units, senders, ran, entry):
    """Walk ``units`` back (last first) from ``senders``; return the first unit's senders."""
    for j in range(len(units) - 1, -1, -1):
        prev = list(units[j - 1]) if j else [entry]
        out = yield from _unit(eng, r, d, units[j], senders, True, ran, None, prev)
        if out is None:
            return None
        senders = out
    return senders
