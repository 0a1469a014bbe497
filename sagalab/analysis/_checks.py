"""Argument checks shared by the experiments: each names the function and the argument.

Every experiment (``sweep``, ``replicate``, ``saturation``, the tables) checks
what it is given here, at its entry, before any simulation runs, so that a bad
argument fails at once with one ``ValueError`` or ``TypeError`` instead of
after minutes of runs, deep inside one of them, or not at all (an empty
table). Limits:

* ``MAX_RUNS`` (100,000): simulations one call may start (grid points x
  patterns x replications);
* ``MAX_REPLICATIONS`` (10,000): replications of one configuration.
"""
from __future__ import annotations

import concurrent.futures as cf
import inspect
import math

import networkx as nx

from ..model import _validate as v
from ..model.infrastructure import Broker, Network, Orchestrator
from ..model.specs import Saga
from ..sim.catalogue import PATTERNS
from ..sim.draws import seed_sequence
from .result import Result, as_results, warmup_count

MAX_RUNS = 100_000          # simulations one experiment call may start
MAX_REPLICATIONS = 10_000   # replications of one configuration
SERIAL = "serial"  # executor value: run in this process, one task after another


def saga(owner: str, value) -> Saga:
    return v.instance(owner, "saga", value, Saga)


def patterns(owner: str, value, field: str = "patterns") -> tuple:
    """A pattern name or a non-empty sequence of distinct ones, as a tuple."""
    items = (value,) if isinstance(value, str) else v.sequence(
        owner, field, value, f"pattern names from {list(PATTERNS)}", limit=len(PATTERNS) * 4)
    if not items:
        raise ValueError(f"{owner}: {field} is empty; give at least one of {list(PATTERNS)}")
    for p in items:
        if not isinstance(p, str) or p not in PATTERNS:
            raise ValueError(f"{owner}: {field} must be among {list(PATTERNS)}, "
                             f"got {v.short(p)}")
    if len(set(items)) != len(items):
        raise ValueError(f"{owner}: {field} must be distinct, got {list(items)}")
    return items


def pattern(owner: str, value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{owner}: pattern must be one of {list(PATTERNS)}, got {v._got(value)}")
    return patterns(owner, value, "pattern")[0]


def replications(owner: str, value, *, low: int = 1) -> int:
    return v.count(owner, "replications", value, low=low, high=MAX_REPLICATIONS,
                   limit="MAX_REPLICATIONS")


def runs(owner: str, n: int) -> None:
    """Refuse a call that would start more than ``MAX_RUNS`` simulations."""
    if n > MAX_RUNS:
        raise ValueError(f"{owner}: this call would start {n:,} simulations, more than "
                         f"{MAX_RUNS:,} (MAX_RUNS); use a coarser grid, fewer patterns or "
                         f"fewer replications")


def confidence(owner: str, value) -> float:
    return v.real(owner, "confidence", value, low_open=True, high=math.nextafter(1.0, 0.0),
                  what="a level in (0, 1)")


def warmup(owner: str, value, n_sagas: int) -> int:
    """How many of ``n_sagas`` sagas ``value`` drops; refused if that is every one."""
    try:
        first = warmup_count(value, n_sagas)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{owner}: {exc}") from None
    if first >= n_sagas:
        raise ValueError(f"{owner}: warmup={v.short(value)} drops every one of the {n_sagas} "
                         f"sagas (n_sagas); give a count below n_sagas or a fraction in [0, 1)")
    return first


def seed(owner: str, value):
    """``value`` as a SeedSequence (a Generator is drawn from once: call this once)."""
    try:
        return seed_sequence(value)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{owner}: {exc}") from None


def executor(owner: str, value):
    """None (a local process pool), ``"serial"`` or a ``concurrent.futures.Executor``."""
    if value is None or isinstance(value, cf.Executor) or (isinstance(value, str)
                                                           and value == SERIAL):
        return value
    raise TypeError(f"{owner}: executor must be None (a local process pool), {SERIAL!r} or a "
                    f"concurrent.futures.Executor (e.g. distributed.Client().get_executor()), "
                    f"got {v._got(value)}")


def result(owner: str, value, field: str = "result") -> Result:
    return v.instance(owner, field, value, Result)


def results(owner: str, value) -> dict:
    """A Result, a list of Results or a dict label -> Result, as a dict; never empty."""
    if isinstance(value, Result):
        return as_results(value)
    if isinstance(value, dict):
        items = list(value.items())
    else:
        items = list(enumerate(v.sequence(owner, "results", value, "Result",
                                          limit=MAX_REPLICATIONS)))
    if not items:
        raise ValueError(f"{owner}: results is empty; give at least one Result")
    for label, r in items:
        if not isinstance(r, Result):
            raise TypeError(f"{owner}: results must be Results; results[{v.short(label)}] is "
                            f"{v._got(r)}")
    return as_results(value)


def graph(owner: str, value, field: str = "graph") -> nx.MultiDiGraph:
    """An event graph made by ``sl.event_graph`` (or ``sl.add_subscriber``)."""
    if not (isinstance(value, nx.MultiDiGraph) and "pattern" in value.graph
            and all("role" in d for _, d in value.nodes(data=True))):
        raise TypeError(f"{owner}: {field} must be an event graph from sl.event_graph, "
                        f"got {v._got(value)}")
    return value


def infrastructure(owner: str, kwargs: dict) -> None:
    """``network``, ``broker`` and ``orchestrator`` among ``kwargs``: of their class or None."""
    for field, cls in (("network", Network), ("broker", Broker),
                       ("orchestrator", Orchestrator)):
        v.instance(owner, field, kwargs.get(field), cls, allow_none=True)


def simulate_keywords(owner: str, kwargs: dict, simulate, *, reserved=()) -> None:
    """Refuse keywords ``simulate`` does not take, and those the experiment sets itself."""
    params = inspect.signature(simulate).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    allowed = [k for k in params if k not in ("saga", "pattern") and k not in reserved]
    for key in kwargs:
        if key in reserved:
            raise TypeError(f"{owner}: {key} is set by {owner} itself; do not pass it")
        if key not in allowed:
            raise TypeError(f"{owner}: unexpected keyword {key!r}; simulate's keywords are "
                            f"{allowed}")


def rate(owner: str, value, field: str = "arrival_rate") -> float:
    return v.real(owner, field, value, low_open=True, what="a rate > 0 sagas per second")


def n_sagas(owner: str, value) -> int:
    return v.count(owner, "n_sagas", value)

