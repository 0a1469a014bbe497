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

:class:`StateEngine` is the plain engine with this hook at the stations of
the steps that keep state; :func:`sagalab.simulate` chooses it only when a
run passes ``state=[...]``, so runs without business state pay nothing.
"""
from __future__ import annotations

import zlib

import simpy

from .draws import BLOCK, STATE, stream
from .engine import COMPENSATED, COMPLETED, DLQ, Engine

__all__ = ["Ledger", "StateEngine", "StateDraws", "OP_FIELDS", "OPS"]

#: Fields of one row of ``result.state`` (one operation on business state).
OP_FIELDS = ("time", "saga_id", "state", "key", "op", "amount", "ok", "rule_failed", "read",
             "before", "after", "truth", "lost", "stale", "dirty", "wait", "retries",
             "locked_out")
OPS = ("reserve", "release", "restock")


ATOMIC = frozenset({"commutative", "version_file"})
REREAD = frozenset({"reread", "reread_fail"})
LOCKS = frozenset({"semantic_lock", "semantic_lock_fail"})
RESERVE, RELEASE, RESTOCK = 0, 1, 2


class Ledger:
    """The balances of one state at its service, the oracle's truth, and the operation log."""

    def __init__(self, env, spec, index: int, station: int):
        self.spec, self.cm, self.index, self.station = spec, spec.countermeasure, index, station
        n = spec.items
        self.bal = [float(spec.start)] * n  # what the service's records say
        self.true = [float(spec.start)] * n  # the oracle: intended changes, in commit order
        self.holder: list = [None] * n  # semantic lock: the saga whose reservation is pending
        self.queues = [simpy.Resource(env, 1) for _ in range(n)] if self.cm in LOCKS else None
        self.held: dict = {}  # sid -> its granted lock request
        self.pending: list[dict] = [{} for _ in range(n)]  # key -> {sid: amount} not yet final
        self.taken: dict = {}  # sid -> (key, amount, before-image, after-image)
        self.released: set = set()
        self.refusals: list = []  # (row, key, amount, basis, pending snapshot)
        self.rows: list = []

    def _row(self, now, sid, key, op, q, ok, rule, basis, before, after, lost, stale, wait,
             retries, refused):
        self.rows.append([now, sid, self.index, key, op, q, ok, rule, basis, before, after,
                          self.true[key], lost, stale, 0.0, wait, retries, refused])
        return self.rows[-1]

    def _worked(self, eng, acc, work):
        acc[1] += work
        eng.busy[self.station] += work
        eng.served[self.station] += 1

    def _try_lock(self, sid, key) -> bool:
        """Fail variant: take the key's lock if nobody holds or awaits it; else refuse."""
        if self.holder[key] == sid:
            return True
        queue = self.queues[key]
        if queue.count or queue.queue:
            return False
        self.held[sid] = queue.request()  # granted at once: the resource is free
        self.holder[key] = sid
        return True

    def _unlock(self, sid, key):
        if self.holder[key] == sid:
            self.holder[key] = None
        req = self.held.pop(sid, None)
        if req is not None:
            self.queues[key].release(req)

    def reserve(self, eng, sid, key, q, t, acc, drawn_fail):
        """Step work that takes ``q`` of ``key``; returns whether the step succeeded."""
        env, cm, bal = eng.env, self.cm, self.bal
        wait = 0.0
        if cm == "semantic_lock":  # wait for the pending reservation outside the station
            t0 = env.now
            req = self.queues[key].request()
            yield req
            wait = env.now - t0
            acc[0] += wait
            self.holder[key], self.held[sid] = sid, req
        t0, retries, work = env.now, 0, 0.0
        with eng.resources[self.station].request() as worker:
            yield worker
            acc[0] += env.now - t0
            while True:
                read = bal[key]
                snap = tuple(self.pending[key].items())
                refused = cm == "semantic_lock_fail" and not self._try_lock(sid, key)
                yield env.timeout(t)
                work += t
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
                elif cm in REREAD and now != read:
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
        self._worked(eng, acc, work)
        if ok:
            self.true[key] -= q
            self.pending[key][sid] = q
            self.taken[sid] = (key, q, read, bal[key])
        elif cm in LOCKS:
            self._unlock(sid, key)
        row = self._row(env.now, sid, key, RESERVE, q, ok, rule, basis, now, bal[key], lost,
                        stale, wait, retries, refused)
        if rule:
            self.refusals.append((row, key, q, basis, snap))
        return ok

    def release(self, eng, sid, t, acc, applies):
        """Compensation work that gives back what ``sid`` took (nothing if it fails for good)."""
        env, cm, bal = eng.env, self.cm, self.bal
        key, q, before_image, after_image = self.taken[sid]
        t0, retries, work = env.now, 0, 0.0
        with eng.resources[self.station].request() as worker:
            yield worker
            acc[0] += env.now - t0
            while True:
                read = bal[key]
                yield env.timeout(t)
                work += t
                now, lost, basis = bal[key], False, read
                if not applies:
                    break
                if cm in ATOMIC:
                    bal[key], basis = now + q, now
                elif cm in REREAD:
                    if now != read:
                        retries += 1
                        continue
                    bal[key] = read + q
                else:  # restore the before-image: overwrites whatever happened since
                    bal[key], basis = before_image, after_image
                    lost = now != after_image
                break
        self._worked(eng, acc, work)
        if applies:
            self.true[key] += q
            self.pending[key].pop(sid, None)
            self.released.add(sid)
        self._row(env.now, sid, key, RELEASE, q, applies, False, basis, now, bal[key], lost,
                  False, 0.0, retries, False)

    def restocker(self, env):
        """Deliveries: ``units`` to every key every ``every`` seconds (a process)."""
        units, every = self.spec.refill
        while True:
            yield env.timeout(every)
            for key in range(len(self.bal)):
                env.process(self.deliver(env, key, units))

    def deliver(self, env, key, units):
        """One delivery: an atomic increment (under a semantic lock, when the key is free)."""
        req = None
        if self.queues is not None:
            req = self.queues[key].request()
            yield req
        before = self.bal[key]
        self.bal[key] = before + units
        self.true[key] += units
        self._row(env.now, -1, key, RESTOCK, units, True, False, before, before, self.bal[key],
                  False, False, 0.0, 0, False)
        if req is not None:
            self.queues[key].release(req)

    def finish(self, sid):
        """The saga ended: its reservation is final (or was released); its lock goes."""
        got = self.taken.get(sid)
        if got is not None:
            self.pending[got[0]].pop(sid, None)
        if self.cm in LOCKS and got is not None:
            self._unlock(sid, got[0])

    def close(self):
        """Judge the refusals against the oracle: dirty if later-undone reservations caused them."""
        released = self.released
        for row, _key, q, basis, snap in self.refusals:
            undone = sum(a for s, a in snap if s in released)
            row[14] = float(undone > 0 and basis + undone >= q)
        return self.rows


class StateEngine(Engine):
    """The plain engine with business state at the stations of the steps that keep it."""

    def __init__(self, catalogue, world, *, states, **kw):
        super().__init__(catalogue, world, **kw)
        saga = catalogue.saga
        self.states = states
        self.draws = StateDraws(saga, states, kw["root"])
        self.ledgers: list = [None] * len(saga.steps)
        for i, s in enumerate(states):
            j = saga.step_names.index(s.step)
            self.ledgers[j] = Ledger(self.env, s, i, j)
        self.kept = [x for x in self.ledgers if x is not None]
        self.ended = 0

    def run(self):
        env = self.env
        self.all_ended = env.event()
        env.process(self.arrivals())
        for led in self.kept:
            if led.spec.refill[0]:
                env.process(led.restocker(env))
        env.run(until=self.all_ended)  # not until the next delivery after the last saga
        return self

    def arrivals(self):
        env, world, n_sagas, saga = self.env, self.world, self.n_sagas, self.saga_process
        sid = 0
        while sid < n_sagas:
            size = min(BLOCK, n_sagas - sid)
            inter, svc, fail_at, comp, comp_fail, init, _ = world.block(size)
            if comp is None:  # no failure draws: business rules may still fail a step
                comp, comp_fail = world.compensations(size)
            orders = self.draws.block(size)
            for i in range(size):
                yield env.timeout(inter[i])
                env.process(saga(sid, svc[i], fail_at[i] if fail_at else len(svc[i]),
                                 comp[i], comp_fail[i], init[i] if init else None, orders[i]))
                sid += 1

    def saga_process(self, sid, svc, fail_at, comp, comp_fail, init, orders):
        env, routes, travel, serve, ledgers = (self.env, self.routes, self.travel, self.serve,
                                               self.ledgers)
        start = env.now
        n = len(svc)
        acc = [0.0, 0.0, 0.0, 0.0, 0]  # queueing, service, transit, coordination, messages
        if init is not None:
            yield from serve(n, init[0], acc)
        yield from travel(sid, routes[("start",)], acc)
        first = last = 0.0
        failed = n
        for k in range(n):
            led = ledgers[k]
            if led is None:
                yield from serve(k, svc[k], acc)
                ok = k != fail_at
            else:
                key, q = orders[k]
                ok = yield from led.reserve(self, sid, key, q, svc[k], acc, k == fail_at)
            if not ok:
                failed = k
                break
            last = env.now
            if not k:
                first = last
            yield from travel(sid, routes[("forward", k)], acc)
        outcome, comps = COMPLETED, 0
        if failed < n:
            yield from travel(sid, routes[("fail", failed)], acc)
            outcome = COMPENSATED
            for k in range(failed - 1, -1, -1):
                led = ledgers[k]
                if led is None:
                    yield from serve(k, comp[k], acc)
                else:
                    yield from led.release(self, sid, comp[k], acc, not comp_fail[k])
                last = env.now
                comps += 1
                if comp_fail[k]:
                    outcome = DLQ
                    yield from travel(sid, routes[("compensation_failed", k)], acc)
                else:
                    yield from travel(sid, routes[("compensated", k)], acc)
        if init is not None:
            yield from serve(n, init[1], acc)
        for led in self.kept:
            led.finish(sid)
        self.ended += 1
        if self.ended == self.n_sagas:
            self.all_ended.succeed()
        if outcome == DLQ:
            last = env.now
        self.sagas.extend((sid, start, env.now, outcome, failed if failed < n else -1,
                           failed, comps, acc[4], acc[0], acc[1], acc[2], acc[3], last - first))

    def state_table(self):
        rows = [r for led in self.kept for r in led.close()]
        return rows


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
