"""Countermeasures for the lack of isolation between sagas, and the engine that runs them.

A step with business state (:mod:`sagalab.state`) works like this at its
station: a worker takes the request, **reads** the balance of the saga's
key (a product's stock, a customer's credit), works for the step's service
time, then **writes**. How it writes, and what it may read, is the
service's countermeasure (C. Richardson, *Microservices Patterns*, ch. 4):

===================== =========================================== ==============================
countermeasure        what the service does                       removes
===================== =========================================== ==============================
``None`` (naive)      decides on its read, writes ``read - q``;   nothing: lost updates, dirty
                      the compensation restores the balance it    and non-repeatable reads all
                      read (a rollback, not a semantic undo)      happen
``"semantic_lock"``   a reservation marks the key *pending* until dirty reads, lost updates and
                      the saga ends; other sagas **wait** for it  non-repeatable reads; costs
                      (outside the station: a stash, not a        waiting (queueing per key,
                      worker)                                     in latency)
``"semantic_lock_     same, but other sagas **fail** on a         the same; costs refusals
fail"``               pending key ("try again later")             (fewer completed sagas)
``"commutative"``     ``UPDATE ... SET n = n - q WHERE n >= q``:  lost updates and
                      decides and writes in one step at commit;   non-repeatable reads; not
                      the compensation adds ``q`` back            dirty reads
``"reread"``          rereads before writing; if the balance      lost updates and
                      changed since its read, reads again and     non-repeatable reads; costs
                      redoes the work (optimistic lock)           retries (work)
``"reread_fail"``     same, but fails the step on a change        the same; costs refusals
``"version_file"``    records every operation per key; the        lost updates and
                      balance is the fold of the record, so       non-repeatable reads, like
                      operations commute (a release finds its     commutative updates here
                      reservation by saga id)
pessimistic view      :func:`pessimistic_view` reorders the spec  dirty reads of that state;
                      so the step runs last: nothing after it can the reorder may cost
                      fail, so its reservation is never undone    elsewhere
===================== =========================================== ==============================

Local transactions themselves stay atomic in the sense SimPy gives them: the
read, the decision and the write of one operation are instants; what other
sagas do between a read and a write is the point.

A step with state works at a :class:`~sagalab.sim.stations.QueueStation`
(its reads must happen at the moment a worker takes the request); every
other behaviour of the station (outages, crashes, outboxes, redelivery,
partitions) applies unchanged. A crash lands after the write. A duplicate
delivery to a non-idempotent service takes the amount again, an anomaly no
isolation countermeasure removes (the records then drift from the truth).
Runs without business state pay nothing for it.
"""
from __future__ import annotations

import zlib

import simpy

from .delivery import COMPENSATION, NONE, consume
from .draws import STATE, stream
from .stations import CRASHED, DONE

__all__ = ["Ledger", "StateDraws", "OP_FIELDS", "OPS"]

#: Fields of one row of ``result.state`` (one operation on business state).
OP_FIELDS = ("time", "saga_id", "state", "key", "op", "amount", "ok", "rule_failed", "read",
             "before", "after", "truth", "lost", "stale", "dirty", "wait", "retries",
             "locked_out")
OPS = ("reserve", "release", "restock")


ATOMIC = frozenset({"commutative", "version_file"})
REREAD = frozenset({"reread", "reread_fail"})
LOCKS = frozenset({"semantic_lock", "semantic_lock_fail"})
RESERVE, RELEASE, RESTOCK = 0, 1, 2


def _work(env, w: float, crash: float):
    """Work ``w`` seconds, unless the service crashes first (the write still lands)."""
    if env.now + w <= crash:
        yield env.timeout(w)
        return DONE
    yield env.timeout(crash - env.now)
    return CRASHED


class Ledger:
    """The balances of one state at its service, the oracle's truth, and the operation log."""

    def __init__(self, env, spec, index: int, step: int):
        self.env, self.spec, self.cm, self.index, self.step = env, spec, spec.countermeasure, \
            index, step
        n = spec.items
        self.station = None  # set by the engine: the step's QueueStation
        self.bal = [float(spec.start)] * n  # what the service's records say
        self.true = [float(spec.start)] * n  # the oracle: intended changes, in commit order
        self.holder: list = [None] * n  # semantic lock: the saga whose reservation is pending
        self.queues = [simpy.Resource(env, 1) for _ in range(n)] if self.cm in LOCKS else None
        self.held: dict = {}  # sid -> its granted lock request
        self.pending: list[dict] = [{} for _ in range(n)]  # key -> {sid: amount} not yet final
        self.taken: dict = {}  # sid -> (key, amount, before-image, after-image)
        self.released: set = set()
        self.ended: set = set()  # sagas that ended: a late try of theirs takes no lock
        self.refusals: list = []  # (row, key, amount, basis, pending snapshot)
        self.rows: list = []

    def _row(self, now, sid, key, op, q, ok, rule, basis, before, after, lost, stale, wait,
             retries, refused):
        self.rows.append([now, sid, self.index, key, op, q, ok, rule, basis, before, after,
                          self.true[key], lost, stale, 0.0, wait, retries, refused])
        return self.rows[-1]

    def _try_lock(self, sid, key) -> bool:
        """Fail variant: take the key's lock if nobody holds or awaits it; else refuse."""
        if self.holder[key] == sid:
            return True
        queue = self.queues[key]
        if queue.count or queue.queue or sid in self.ended:
            return False
        self.held[sid] = queue.request()  # granted at once: the resource is free
        self.holder[key] = sid
        return True

    def _unlock(self, sid, key):
        if key is not None and self.holder[key] == sid:
            self.holder[key] = None
        req = self.held.pop(sid, None)
        if req is not None:
            if req.triggered:
                self.queues[key].release(req)
            else:  # still waiting: leave the queue
                req.cancel()

    def reserve(self, eng, r, acc, k, w, drawn_fail, order, server=False):
        """Step work that takes the saga's amount of its key (a generator).

        Returns ``(ok, time)``: whether the step succeeded and when its answer
        leaves; ``time`` is ``None`` when the answer is lost (the saga is stuck).
        With ``server`` (a synchronous call): ``(status, ok, time)``, where the
        status says how the visit ended (see :mod:`sagalab.sim.stations`).
        """
        env, cm, bal, sid = self.env, self.cm, self.bal, r.sid
        key, q = order
        wait = 0.0
        if cm == "semantic_lock" and self.holder[key] != sid and sid not in self.ended:
            t0 = env.now  # wait outside the station; a retried call waits in the same place
            req = self.held.get(sid)
            if req is None:
                req = self.held[sid] = self.queues[key].request()
            if not req.triggered:
                yield req
            wait = env.now - t0
            acc[0] += wait
            if sid in self.ended:  # the saga ended meanwhile (this was a late try)
                self._unlock(sid, key)
            else:
                self.holder[key] = sid
        out = {}

        def work(start, crash):
            retries = 0
            while True:
                read = bal[key]
                snap = tuple(self.pending[key].items())
                refused = cm == "semantic_lock_fail" and not self._try_lock(sid, key)
                status = yield from _work(env, w, crash)
                now = bal[key]
                ok = rule = lost = stale = False
                basis = read
                if drawn_fail or refused:
                    pass
                elif cm in ATOMIC:  # decide and write in one step
                    basis, snap = now, tuple(self.pending[key].items())
                    ok = now >= q
                    if ok:
                        bal[key] = now - q
                elif cm in REREAD and now != read and status == DONE:
                    if cm == "reread":
                        retries += 1
                        continue
                    refused = True
                else:  # decide on the read, write what it computed
                    ok = read >= q
                    stale = ok != (now >= q)
                    if ok:
                        bal[key] = read - q
                        lost = now != read
                rule = not ok and not (drawn_fail or refused)
                break
            if ok:
                self.true[key] -= q
                self.pending[key][sid] = q
                self.taken[sid] = (key, q, read, bal[key])
                r.apply(k, env.now, eng.idem[k])
            elif cm in LOCKS:
                self._unlock(sid, key)
            row = self._row(env.now, sid, key, RESERVE, q, ok, rule, basis, now, bal[key], lost,
                            stale, wait, retries, refused)
            if rule:
                self.refusals.append((row, key, q, basis, snap))
            out["ok"] = ok
            return status

        if server:  # a synchronous call: how the visit ended too
            status, t = yield from self.station.visit(sid, w, acc, True, work)
            return status, out.get("ok", False), t
        t = yield from consume(eng, r, acc, k, w, NONE, True, work)
        return out.get("ok", False), t

    def release(self, eng, r, acc, k, w, applies, server=False):
        """Compensation work that gives back what the saga took (a generator); its time.

        With ``server`` (a synchronous call): ``(status, time)``.
        """
        env, cm, bal, sid = self.env, self.cm, self.bal, r.sid
        if sid not in self.taken:
            applies = False  # nothing was taken: nothing to give back
        key, q, before_image, after_image = self.taken.get(sid, (0, 0, 0.0, 0.0))

        def work(start, crash):
            retries = 0
            while True:
                read = bal[key]
                status = yield from _work(env, w, crash)
                now, lost, basis = bal[key], False, read
                if not applies:
                    break
                if cm in ATOMIC:
                    bal[key], basis = now + q, now
                elif cm in REREAD:
                    if now != read and status == DONE:
                        retries += 1
                        continue
                    bal[key] = now + q
                else:  # restore the before-image: overwrites whatever happened since
                    bal[key], basis = before_image, after_image
                    lost = now != after_image
                break
            if applies:
                self.true[key] += q
                self.pending[key].pop(sid, None)
                self.released.add(sid)
                r.undo(k, env.now, eng.idem[k])
            if sid in self.taken:
                self._row(env.now, sid, key, RELEASE, q, applies, False, basis, now, bal[key],
                          lost, False, 0.0, retries, False)
            return status

        if server:  # a synchronous call: how the visit ended too
            return (yield from self.station.visit(sid, w, acc, True, work))
        return (yield from consume(eng, r, acc, k, w, NONE, True, work, phase=COMPENSATION))

    def duplicate(self, r, effect: int) -> None:
        """A duplicate delivery to a non-idempotent service applies its operation again."""
        got = self.taken.get(r.sid)
        if got is None:
            return
        key, q = got[0], got[1]
        before = self.bal[key]
        self.bal[key] = before + (q if effect < 0 else -q)
        self._row(self.env.now, r.sid, key, RELEASE if effect < 0 else RESERVE, q, True, False,
                  before, before, self.bal[key], False, False, 0.0, 0, False)

    def restocker(self, env, stalled):
        """Deliveries: ``units`` to every key every ``every`` seconds (a process).

        ``stalled()`` says whether nothing but deliveries is left to happen:
        the sagas still open wait for each other for ever (the run then ends).
        """
        units, every = self.spec.refill
        while True:
            yield env.timeout(every)
            if stalled():
                return
            for key in range(len(self.bal)):
                queue = None if self.queues is None else self.queues[key]
                if queue is None or not (queue.count or queue.queue):
                    self._deliver(key, units)  # nobody holds the key: at once
                else:  # wait for the semantic lock, in line with the sagas
                    env.process(self.deliver_locked(env, key, units))

    def _deliver(self, key, units):
        before = self.bal[key]
        self.bal[key] = before + units
        self.true[key] += units
        self._row(self.env.now, -1, key, RESTOCK, units, True, False, before, before,
                  self.bal[key], False, False, 0.0, 0, False)

    def deliver_locked(self, env, key, units):
        """One delivery to a key under a semantic lock: an atomic increment once it is free."""
        req = self.queues[key].request()
        yield req
        self._deliver(key, units)
        self.queues[key].release(req)

    def finish(self, sid):
        """The saga ended: its reservation is final (or was released); its lock goes."""
        self.ended.add(sid)
        got = self.taken.get(sid)
        if got is not None:
            self.pending[got[0]].pop(sid, None)
        if self.cm in LOCKS:
            for key in range(len(self.holder)):
                if self.holder[key] == sid:
                    self._unlock(sid, key)
            if sid in self.held:  # a request still waiting
                self._unlock(sid, None if got is None else got[0])

    def close(self):
        """Judge the refusals against the oracle: dirty if later-undone reservations caused them."""
        released = self.released
        for row, _key, q, basis, snap in self.refusals:
            undone = sum(a for s, a in snap if s in released)
            row[14] = float(undone > 0 and basis + undone >= q)
        return self.rows


class StateDraws:
    """Per-saga keys and amounts of every state, from streams keyed by the step's *name*.

    Keyed by name, not position, so reordering the steps (a pessimistic
    view) leaves every saga's product, customer and amount unchanged, and
    the same seed gives the same orders under both patterns.
    """

    def __init__(self, saga, states, root):
        index = {name: j for j, name in enumerate(saga.step_names)}
        self.slots = []
        for s in states:
            tag = zlib.crc32(s.step.encode())
            self.slots.append((index[s.step], s, stream(root, STATE, tag, 0),
                               stream(root, STATE, tag, 1)))
        self.n = len(saga.steps)

    def block(self, size: int) -> list:
        """Per saga, per step: ``(key, amount)`` or ``None`` for steps without state."""
        cols: list = [[None] * size for _ in range(self.n)]
        for j, s, rk, ra in self.slots:
            keys = rk.integers(0, s.items, size).tolist()
            lo, hi = s.amounts
            amts = ra.integers(lo, hi + 1, size).tolist()
            cols[j] = list(zip(keys, amts))
        return [list(row) for row in zip(*cols)]
