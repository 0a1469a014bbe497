"""Every path a saga can take, as forced worlds the simulator itself walks.

The event graph of a spec (:func:`sagalab.event_graph`), the paths a test must
cover (:func:`sagalab.saga_paths`) and the visit ratios of queueing theory
(:func:`sagalab.theory.station_demand`) all need every way a saga can go.
Rather than a second copy of the saga's story, this module lists the
*worlds* that make each path happen: which steps run (each condition true
or false), which fail (each step that may fail failing or not, several
members of a parallel unit together), how each compensation of a completed
step ends (done at the first try, after some failed tries, or failed for
good), and whether a retriable step needs a retry. :func:`walk` then runs
one saga per world through the engine, far apart in time so none waits for
another, and keeps what each one sent and which stations it visited.

With ``variants=True``, where a parallel unit has several members, each of
them is also made the last to answer (the graph's reactions depend on the
order). With run sets and probabilities, each world carries its
probability, so expectations over paths are exact.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

import numpy as np

from ..model.faults import FaultPlan
from ..model.infrastructure import Broker, Network, Orchestrator
from .draws import SagaDraw, seed_sequence
from .engine import Engine

__all__ = ["World", "worlds", "walk", "Walked", "MAX_PATHS"]

MAX_PATHS = 50_000  # worlds at most (a saga with more paths is refused: too many to walk)


@dataclass
class World:
    """One path: its forced draws, its probability (or None) and what happens, in words."""

    draw: SagaDraw
    p: float | None
    words: list[str] = field(default_factory=list)


def _member_options(step, runs: bool):
    """``(fails, retries, probability, word)`` options of one running step."""
    if not runs:
        return [(False, 0, 1.0, f"{step.name} skipped")]
    if step.kind == "retriable":
        out = [(False, 0, 1.0, f"{step.name} ok")]
        if step.failure_p > 0:
            out.append((False, 1, 0.0, f"{step.name} retried"))  # probability: see walk()
        return out
    p = step.failure_p
    return ([(False, 0, 1.0 - p, f"{step.name} ok")] if p < 1 else []) + (
        [(True, 0, p, f"{step.name} fails")] if p > 0 else [])


def _comp_options(step, exact: bool):
    """``(failed tries, probability, word)``: done at once, after retries, or parked."""
    q, tries = step.compensation_failure_p, step.compensation_retries
    out = [(0, 1.0 - q, f"{step.name} undone")] if q < 1 else []
    if q > 0:
        middle = range(1, tries + 1) if exact else range(1, min(tries, 1) + 1)
        out += [(c, q ** c * (1.0 - q), f"{step.name} undone after {c} retries")
                for c in middle if q < 1]
        out.append((tries + 1, q ** (tries + 1), f"{step.name} parked"))
    return out


def worlds(cat, run_sets: dict | None = None, variants: bool = True,
           exact: bool = False) -> list[World]:
    """Every path of ``cat``'s saga as a :class:`World` (see the module docstring).

    ``run_sets`` maps which steps run (a tuple of bools) to its probability;
    without it every condition is taken true and false independently (and
    worlds carry no probability). ``exact`` lists every number of failed
    compensation tries (for expectations); otherwise one retried try stands
    for all.

    Raises
    ------
    ValueError
        When the saga has more than :data:`MAX_PATHS` paths.
    """
    steps, n = cat.saga.steps, cat.n
    if run_sets is None:
        choices = [(True, False) if s.when is not None else (True,) for s in steps]
        run_sets = {runs: None for runs in product(*choices)}
    out: list[World] = []
    init = (1.0, 1.0) if cat.saga.initiator_time is not None else None
    conditions = any(s.when is not None for s in steps)
    retriable = any(s.kind == "retriable" and s.failure_p > 0 for s in steps)

    def emit(runs, fails, retry, done, slow, p, words):
        opts = [_comp_options(steps[k], exact) if k in done else [(0, 1.0, None)]
                for k in range(n)]
        order = sorted(done, reverse=True)
        for combo in product(*(opts[k] for k in order)) if order else [()]:
            cf = [0] * n
            q, said = p, list(words)
            for k, (c, pk, word) in zip(order, combo):
                cf[k] = c
                q = None if q is None else q * pk
                said.append(word)
            svc = [3.0 if slow.get(k) else 1.0 for k in range(n)]
            draw = SagaDraw(svc, list(fails), [1.0] * n, cf, init,
                            list(runs) if conditions else None,
                            [[1.0] * m for m in retry] if retriable else None, None)
            out.append(World(draw, q, said))
            if len(out) > MAX_PATHS:
                raise ValueError(f"saga {cat.saga.name!r} has more than {MAX_PATHS} paths "
                                 f"under {cat.pattern}: too many to walk one by one")

    def step_on(runs, ui, fails, retry, done, slow, p, words):
        if ui == len(cat.units):
            emit(runs, fails, retry, (), slow, p, words)
            return
        unit = cat.units[ui]
        for choice in product(*(_member_options(steps[k], runs[k]) for k in unit)):
            f2, r2 = list(fails), list(retry)
            q = p
            said = list(words)
            for k, (fa, re, pk, word) in zip(unit, choice):
                f2[k], r2[k] = fa, re
                said.append(word)
                if q is not None and not re:
                    q *= pk
            if q is not None and any(re for _, re, _, _ in choice):
                continue  # a retry changes no path's probability: see station_demand
            running = [k for k in unit if runs[k]]
            ok = [k for k in running if not f2[k]]
            lasts = [None] + (running if variants and len(running) > 1 else [])
            for last in lasts:
                s2 = dict(slow)
                if last is not None:
                    s2[last] = True
                if len(ok) < len(running):
                    emit(runs, f2, r2, set(done) | set(ok), s2, q, said)
                else:
                    step_on(runs, ui + 1, f2, r2, set(done) | set(ok), s2, q, said)

    for runs, p in run_sets.items():
        step_on(list(runs), 0, [False] * n, [0] * n, set(), {}, p, [])
    return out


@dataclass
class Walked:
    """What the engine did with each world: its messages and its station visits.

    ``engine.events`` holds the messages (saga id = the world's index);
    ``visits[i, j]`` counts the visits of world ``i`` to station ``j`` (the
    steps' services in order, the initiator, the orchestrator's decisions)
    and ``busy[i, j]`` the seconds of work they brought.
    """

    engine: object
    visits: np.ndarray
    busy: np.ndarray


def walk(cat, draws: list) -> Walked:
    """Run one saga per draw through the engine, each alone; see :class:`Walked`."""
    engine = Engine(cat, arrival_rate=1.0, n_sagas=0, network=Network(hop=1.0),
                    broker=Broker(latency=1.0), orchestrator=Orchestrator(overhead=1.0),
                    trace=True, root=seed_sequence(0), plan=FaultPlan((), cat.saga),
                    forced=draws).run()
    seen = np.asarray(engine.snapshots, dtype=float).reshape(len(draws), 2, -1)
    per = np.diff(np.concatenate([np.zeros((1, 2, seen.shape[2])), seen]), axis=0)
    return Walked(engine, per[:, 0], per[:, 1])
