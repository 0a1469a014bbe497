"""Every path a saga can take, as forced draws the simulator itself walks.

The event graph of a spec (:func:`sagalab.event_graph`) shows every message
that *can* flow. Rather than a second copy of the saga's story, this module
lists the worlds that make each path happen: every combination of which
steps run (each condition true or false), which fail (each step that may
fail failing or not, several members of a parallel unit together), how each
compensation of a completed step ends (done, failed for good, or failed and
retried) and whether a retriable step needs a retry; and, where a parallel
unit has several members, each of them being the last to answer. The
simulator then runs one saga per world, far apart in time, and the graph is
drawn from what it sent. Picture and run can never disagree.
"""
from __future__ import annotations

from itertools import product

from .draws import SagaDraw

__all__ = ["forced_draws", "MAX_PATHS"]

MAX_PATHS = 50_000  # worlds at most (a saga with more paths is refused: too many to draw)


def _member_options(step):
    """``(runs, fails, retries)`` options of one step."""
    runs = (True, False) if step.when is not None else (True,)
    out = []
    for r in runs:
        if not r:
            out.append((False, False, 0))
            continue
        if step.kind == "retriable":
            out += [(True, False, 0)] + ([(True, False, 1)] if step.failure_p > 0 else [])
            continue
        if step.failure_p < 1:
            out.append((True, False, 0))
        if step.failure_p > 0:
            out.append((True, True, 0))
    return out


def _comp_options(step):
    """How many tries of the compensation fail: none, some, or all."""
    q, tries = step.compensation_failure_p, step.compensation_retries
    out = [0] if q < 1 else []
    if q > 0:
        out.append(tries + 1)  # failed for good
        if tries and q < 1:
            out.append(1)  # failed once, then done
    return out


def forced_draws(cat) -> list[SagaDraw]:
    """One :class:`~sagalab.sim.draws.SagaDraw` per path of ``cat``'s saga (see module docstring).

    Raises
    ------
    ValueError
        When the saga has more than :data:`MAX_PATHS` paths.
    """
    steps, n = cat.saga.steps, cat.n
    conditions = any(s.when is not None for s in steps)
    retriable = any(s.kind == "retriable" and s.failure_p > 0 for s in steps)
    worlds: list[tuple] = []  # (runs, fails, retry, cfails, slow)

    def emit(runs, fails, retry, done, slow):
        comp_opts = [_comp_options(steps[k]) if k in done else [0] for k in range(n)]
        for cf in product(*comp_opts):
            worlds.append((runs, fails, retry, list(cf), slow))
            if len(worlds) > MAX_PATHS:
                raise ValueError(f"event_graph: saga {cat.saga.name!r} has more than "
                                 f"{MAX_PATHS} paths under {cat.pattern}; draw the graph of "
                                 f"a run instead (event_graph(result))")

    def walk(ui, runs, fails, retry, done, slow):
        if ui == len(cat.units):
            emit(runs, fails, retry, done, slow)
            return
        unit = cat.units[ui]
        for choice in product(*(_member_options(steps[k]) for k in unit)):
            r2, f2, t2 = list(runs), list(fails), list(retry)
            for k, (ru, fa, re) in zip(unit, choice):
                r2[k], f2[k], t2[k] = ru, fa, re
            running = [k for k in unit if r2[k]]
            lasts = [None] + running if len(running) > 1 else [None]
            for last in lasts:
                s2 = dict(slow)
                if last is not None:
                    s2[last] = True
                ok = [k for k in running if not f2[k]]
                if any(f2[k] for k in running):
                    emit(r2, f2, t2, set(done) | set(ok), s2)
                else:
                    walk(ui + 1, r2, f2, t2, set(done) | set(ok), s2)

    walk(0, [True] * n, [False] * n, [0] * n, set(), {})
    out = []
    init = (1.0, 1.0) if cat.saga.initiator_time is not None else None
    for runs, fails, retry, cfails, slow in worlds:
        svc = [3.0 if slow.get(k) else 1.0 for k in range(n)]
        out.append(SagaDraw(svc, list(fails), [1.0] * n, cfails, init,
                            list(runs) if conditions else None,
                            [[1.0] * m for m in retry] if retriable else None, None))
    return out
