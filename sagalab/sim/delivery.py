"""Delivery at a service: at-least-once consumption, crashes, outboxes, duplicates.

When a message reaches a step's service through the broker (an event in
choreography or inside a hybrid stage, a command under asynchronous
orchestration), the service *consumes* it: it queues for a worker, works,
commits its effect in a local transaction and publishes what it has to say.
This module plays out what can go wrong between those moves:

* **A crash while working** (an ``Outage`` of the service): the work has
  committed. With a transactional **outbox** (``Step(outbox=True)``, the
  default) the relay publishes the outgoing message once the service is
  back, and the unacknowledged input comes again and is worked once more
  (a duplicate). With a **dual write** (``outbox=False``) the message is
  lost: an idempotent service recognises the redelivered input as done and
  publishes nothing, so the saga is stuck; a careless one acts again.
* **Redelivery** (``Broker(redelivery_p=...)``): an input is delivered a
  second time, one broker latency later (its acknowledgement was lost). The
  duplicate costs the work again; a non-idempotent service applies its
  effect again. What a duplicate would publish is not followed further.
* **Offsets and commits** (``Broker(commit_every=..., commit_interval=...)``):
  a consumer commits its position every so many messages or seconds, Kafka
  style. When the service crashes, everything it consumed since its last
  commit is replayed after recovery: duplicates arrive in a batch.

Duplicates are counted per saga (``duplicates``: effects applied again). The
orchestrator and the initiator keep per-saga state and drop duplicates of
their own inputs at no cost.
"""
from __future__ import annotations

import math

from .record import F
from .stations import DONE

__all__ = ["APPLY", "UNDO", "NONE", "WORK", "COMPENSATION", "DECISION", "DUPLICATE", "consume",
           "duplicate", "redeliver", "commit", "crash_replays"]

APPLY, UNDO, NONE = 1, -1, 0  # the effect a piece of work commits
WORK, COMPENSATION, DECISION, DUPLICATE = range(4)  # phases of a station visit, for the trace


def commit(eng, r, k: int, effect: int, t: float) -> None:
    if effect == APPLY:
        r.apply(k, t, eng.idem[k])
    elif effect == UNDO:
        r.undo(k, t, eng.idem[k])


def consume(eng, r, acc, k: int, w: float, effect: int, publishes: bool = True, work=None,
            phase: int = 0):
    """Step ``k``'s service consumes a message that arrives now (a generator).

    Returns when its outgoing message is published (a time, possibly ahead
    of the clock), or ``None`` when that message is lost (the saga is stuck).
    ``phase`` (for the trace): 0 the step's work, 1 its compensation.
    """
    env, st = eng.env, eng.stations[k]
    while True:
        t = env.now
        if st.fast:
            status, done = st.consume(t, w, acc)
        else:
            status, done = yield from st.visit(r.sid, w, acc, False, work)
        if eng.visits is not None:
            eng.visits.extend((r.sid, k, t, st.last_start, done, phase))
        commit(eng, r, k, effect, done)
        if eng.consumed is not None:
            eng.consumed.extend((k, t, done))
        if status == DONE:
            if eng.commit_logs is not None and eng.commit_logs[k] is not None:
                eng.commit_logs[k].append((done, r, w, effect))  # worked, not yet committed
            return done
        up = eng.plan.up_at(st.name, done)
        acc[F] += up - done
        if eng.outbox[k] or not publishes:  # the relay publishes after recovery
            eng.start(duplicate(eng, r, k, w, effect, up))  # and the input comes again
            return up
        if eng.idem[k]:  # the input comes again and is recognised: nothing is published
            return None
        if up > env.now:  # the input comes again after recovery: act again
            yield env.timeout(up - env.now)


def duplicate(eng, r, k: int, w: float, effect: int, at: float):
    """A second delivery of an input of step ``k``, arriving at ``at`` (a process)."""
    env = eng.env
    if at > env.now:
        yield env.timeout(at - env.now)
    st, scratch, t = eng.stations[k], [0.0] * 5, env.now
    if st.fast:
        _, done = st.consume(t, w, scratch)
    else:
        _, done = yield from st.visit(r.sid, w, scratch, False)
    if eng.visits is not None:
        eng.visits.extend((r.sid, k, t, st.last_start, done, DUPLICATE))
    if effect == APPLY or (effect == UNDO and r.undone[k]):
        commit(eng, r, k, effect, done)
        ledger = eng.ledgers[k] if eng.ledgers is not None else None
        if ledger is not None and not eng.idem[k]:
            ledger.duplicate(r, effect)


def redeliver(eng, r, k: int, w: float, effect: int, arrived: float) -> None:
    """Draw whether the broker delivers this input of step ``k`` again."""
    if eng.redelivery() < eng.redelivery_p:
        eng.start(duplicate(eng, r, k, w, effect, arrived + eng.latency()))


def crash_replays(eng, k: int, crash: float):
    """At a crash of step ``k``'s consumer, replay what it consumed since its last commit."""
    env = eng.env
    if crash > env.now:
        yield env.timeout(crash - env.now)
    log = eng.commit_logs[k]
    done = sorted((x for x in log if x[0] <= crash), key=lambda x: x[0])
    eng.commit_logs[k] = [x for x in log if x[0] > crash]
    every, interval = eng.commit_every, eng.commit_interval
    if interval is not None:  # commits at interval, 2 interval, ...
        last_commit = math.floor(crash / interval) * interval
        replay = [x for x in done if x[0] > last_commit]
    else:  # every `every` messages worked, counted from the last crash (as result.lag()
        # counts): the replayed ones are committed once worked again, after recovery
        since = len(done) % every
        replay = done[len(done) - since:] if since else []
    up = eng.plan.up_at(eng.stations[k].name, crash)
    for _, r, w, effect in replay:
        eng.start(duplicate(eng, r, k, w, effect, up))
