"""The saga process for workflows: conditions, parallel steps and retries.

:meth:`sagalab.engine.Engine.saga_process` runs the plain saga of the seed
(every step runs, one after another, and business failures only) as fast as
possible. A saga that uses the features of the complex workflows the seed
gives to orchestration runs through :func:`workflow_process` instead, so
that features a run does not configure cost nothing:

* a step whose ``when`` condition is false for this saga is **skipped**: the
  route over it comes from the catalogue (no message under orchestration, a
  filtered and passed-on event in choreography);
* a **parallel** unit forks one SimPy process per running member (the
  orchestrator's command, the step, its reply) and joins them: the saga
  waits for the slowest, so uncontended it takes the max, not the sum;
  compensation then undoes the completed steps one by one in reverse order;
* a **retriable** step is attempted until it succeeds: each failed attempt
  is a retry (through the orchestrator when it commanded the step, locally
  otherwise) and another turn at the service.

Time accounting stays exact: a joined unit adds the time breakdown of the
member that finished last (the critical path) and the messages of all.
"""
from __future__ import annotations

from .catalogue import back_route, forward_route
from .engine import COMPENSATED, COMPLETED, DLQ

__all__ = ["needs_workflow", "workflow_process"]


def needs_workflow(catalogue) -> bool:
    """True when a saga uses conditions, parallel units or retries."""
    return catalogue.is_workflow



def _attempt(eng, sid, k, svc, fails, retry, acc):
    """Step ``k``'s work, retried while a retriable step's attempts fail; True if it succeeded."""
    yield from eng.serve(k, svc[k], acc)
    if retry is not None and retry[k]:
        route = eng.routes[("retry", k)]
        for t in retry[k]:
            yield from eng.travel(sid, route, acc)
            yield from eng.serve(k, t, acc)
    return not fails[k]


def _member(eng, sid, k, svc, fails, retry, out):
    """One member of a parallel unit: command, work, reply."""
    acc = [0.0, 0.0, 0.0, 0.0, 0]
    routes = eng.routes
    yield from eng.travel(sid, routes[("enter", k)], acc)
    ok = yield from _attempt(eng, sid, k, svc, fails, retry, acc)
    done_at = eng.env.now
    yield from eng.travel(sid, routes[("leave", k) if ok else ("leave_fail", k)], acc)
    out.append((eng.env.now, k, ok, acc, done_at))


def workflow_process(eng, sid, svc, comp, comp_fail, init, extra):
    """One saga with conditions, parallel units or retries (see the module docstring)."""
    env, routes, travel, serve = eng.env, eng.routes, eng.travel, eng.serve
    runs, fails, retry = extra
    start, n = env.now, len(svc)
    acc = [0.0, 0.0, 0.0, 0.0, 0]  # queueing, service, transit, coordination, messages
    if init is not None:
        yield from serve(n, init[0], acc)
    last, left = -1, False  # who hands over next; True when a parallel unit already replied
    done, failed = [], []
    effects = []  # commit times of the effects (steps done, compensations)
    for unit in eng.cat.units:
        members = unit if runs is None else [k for k in unit if runs[k]]
        if not members:
            continue
        if len(unit) == 1:
            k = unit[0]
            route = routes[("enter", k)] if left else forward_route(routes, last, k)
            yield from travel(sid, route, acc)
            ok = yield from _attempt(eng, sid, k, svc, fails, retry, acc)
            last, left = k, False
            (done if ok else failed).append(k)
            if ok:
                effects.append(env.now)
        else:
            if not left:
                yield from travel(sid, routes[("leave", last)], acc)
            out = []
            yield env.all_of([env.process(_member(eng, sid, k, svc, fails, retry, out))
                              for k in members])
            critical = max(out, key=lambda r: r[0])[3]
            acc[:4] = [x + y for x, y in zip(acc[:4], critical[:4])]
            acc[4] += sum(r[3][4] for r in out)
            left = True
            for _, k, ok, _, at in sorted(out, key=lambda r: r[1]):
                (done if ok else failed).append(k)
                if ok:
                    effects.append(at)
        if failed:
            break
    comps = 0
    if not failed:
        outcome = COMPLETED
        route = routes[("enter", n)] if left else forward_route(routes, last, n)
        yield from travel(sid, route, acc)
    else:
        outcome = COMPENSATED
        order = done[::-1]
        p = order[0] if order else -1
        yield from travel(sid, routes[("enter_undo", p)] if left
                          else back_route(routes, "fail", failed[0], p), acc)
        for i, k in enumerate(order):
            yield from serve(k, comp[k], acc)
            effects.append(env.now)
            comps += 1
            p = order[i + 1] if i + 1 < len(order) else -1
            if comp_fail[k]:
                outcome = DLQ
            yield from travel(sid, back_route(routes, "compensation_failed" if comp_fail[k]
                                         else "compensated", k, p), acc)
    if init is not None:
        yield from serve(n, init[1], acc)
    if outcome == DLQ:  # an effect stays: inconsistent until the saga ends (and after)
        effects.append(env.now)
    inconsistent = max(effects) - min(effects) if effects else 0.0
    eng.sagas.extend((sid, start, env.now, outcome, min(failed) if failed else -1, len(done),
                      comps, acc[4], acc[0], acc[1], acc[2], acc[3], inconsistent))
