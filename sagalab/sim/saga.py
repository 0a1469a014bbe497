"""THE saga process: one story for every pattern, transport and feature.

A saga's life is the same in every pattern (the seed's):

1. the initiator (the Order service) creates the order;
2. the saga is handed from step to step; each step queues for a worker of
   its service, works, and completes or fails;
3. after a failure, the steps that completed are compensated in reverse
   order;
4. the initiator completes or cancels the order, and the saga ends.

Who hands the saga on is the pattern's business: in choreography the whole
saga is one chain of events (:mod:`sagalab.sim.chain`), under orchestration
and hybrid the orchestrator hands it from stage to stage
(:mod:`sagalab.sim.orchestration`). Everything that can go wrong on the way
is behaviour of the parts a message passes: links (:mod:`sagalab.sim.links`),
stations (:mod:`sagalab.sim.stations`, :mod:`sagalab.sim.delivery`,
:mod:`sagalab.sim.ledger`) and the coordinator
(:mod:`sagalab.sim.coordinator`). A run that configures none of them walks
the plain parts, which cost one SimPy event per message.
"""
from __future__ import annotations

from .catalogue import OK, START, UNDO_FAILED
from .chain import deliver, forward, join
from .orchestration import orchestrate
from .record import COMPENSATED, COMPLETED, DLQ, STUCK, Q, S, SagaRecord

__all__ = ["saga_process"]


def _initiator(eng, r, w):
    """The initiator's work ``w`` now; return when it is done."""
    t = eng.env.now
    s = eng.stations[eng.n].take(t, w)
    r.acc[Q] += s - t
    r.acc[S] += w
    if eng.visits is not None:
        eng.visits.extend((r.sid, eng.n, t, s, s + w, 0))
    return s + w


def saga_process(eng, sid: int, d):
    """One saga with draws ``d`` (a :class:`~sagalab.sim.draws.SagaDraw`), from start to end."""
    env = eng.env
    r = eng.open[sid] = SagaRecord(sid, env.now, eng.n)
    t = env.now
    if d.init is not None:
        t = _initiator(eng, r, d.init[0])
    if eng.cat.orchestrated:
        if t > env.now:
            yield env.timeout(t - env.now)
        reached = yield from orchestrate(eng, r, d)
        failed = r.failed >= 0
    else:
        ran = [False] * eng.n
        res = yield from forward(eng, r, d, eng.cat.units, [(START, OK, t, None, None)],
                                 ran, (START, eng.n))
        reached = res is not None
        if reached:
            what, senders = res
            failed = what == "back"
            arr, acc = deliver(eng, r, senders, START if failed else eng.n)
            join(r, acc)
            if failed and any(s[1] == UNDO_FAILED for s in senders):
                r.outcome = DLQ
            if arr > env.now:
                yield env.timeout(arr - env.now)
    if not reached:  # stuck: it never ends
        r.outcome = STUCK
        eng.close(r)
        return
    t = env.now
    if d.init is not None:
        t = _initiator(eng, r, d.init[1])
    r.end = t
    if r.outcome != DLQ:
        r.outcome = COMPENSATED if failed else COMPLETED
    eng.close(r)
