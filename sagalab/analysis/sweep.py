"""Parameter sweeps: ``sl.sweep`` runs a grid of configurations, replicated, on any executor.

A grid maps *keys* to the values to try; the sweep runs every combination
(the Cartesian product, in the grid's order) under every pattern, each
``replications`` times, and returns one tidy row per run. Keys reach any
parameter of a run:

* ``"arrival_rate"``, ``"n_sagas"``: the arguments of :func:`sagalab.simulate`;
* ``"<step>.<field>"``: a field of one step, e.g. ``"payment.failure_p"``,
  ``"shipping.capacity"``, ``"inventory.service_time"``;
* ``"saga.<field>"``: a field of the saga, e.g. ``"saga.initiator_capacity"``;
* ``"orchestrator.capacity"``, ``"orchestrator.overhead"``, ``"network.hop"``,
  ``"broker.latency"``: a field of the infrastructure;
* ``"saga"``: whole Saga values.

Replication ``r`` of every grid point and pattern uses the same seed (child
``r`` of ``seed``), so patterns and neighbouring grid points see the same
sagas (common random numbers) and their differences are not noise.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import numbers
import warnings

import numpy as np
import pandas as pd

from ..model import _validate as v
from ..model.infrastructure import Broker, Network, Orchestrator
from ..model.specs import Saga, Step
from ..sim.catalogue import SEED_PATTERNS
from . import _checks as checks
from .run import simulate
from .runner import Task, replication_seed, run_tasks

__all__ = ["sweep", "apply_point", "SIMULATE_KEYS"]

#: Grid keys that are arguments of ``simulate`` itself.
SIMULATE_KEYS = ("arrival_rate", "n_sagas")
_INFRA = {"network": Network, "broker": Broker, "orchestrator": Orchestrator}
_SAGA_FIELDS = tuple(f.name for f in dataclasses.fields(Saga) if f.name not in ("name", "steps"))
_STEP_FIELDS = tuple(f.name for f in dataclasses.fields(Step) if f.name != "name")


def _fields(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def check_key(saga: Saga, key) -> None:
    """Refuse a grid key that reaches no parameter, naming the keys that do."""
    if not isinstance(key, str):
        raise TypeError(f"sweep: grid keys must be str, got {type(key).__name__} {key!r}")
    if key in SIMULATE_KEYS or key == "saga":
        return
    head, dot, field = key.partition(".")
    if dot:
        if head in _INFRA and field in _fields(_INFRA[head]):
            return
        if head == "saga" and field in _SAGA_FIELDS:
            return
        if head in saga.step_names and field in _STEP_FIELDS:
            return
    if key in ("pattern", "seed", "replication"):
        raise ValueError(f"sweep: grid key {key!r} is not allowed; use the patterns=, seed= "
                         f"and replications= arguments")
    raise ValueError(
        f"sweep: grid key {key!r} reaches no parameter; allowed: {list(SIMULATE_KEYS)}, "
        f"'saga', 'saga.<field>' ({', '.join(_SAGA_FIELDS)}), '<step>.<field>' with step in "
        f"{list(saga.step_names)} and field in ({', '.join(_STEP_FIELDS)}), "
        + ", ".join(f"'{h}.<{'|'.join(_fields(c))}>'" for h, c in _INFRA.items()))


def apply_point(saga: Saga, point: dict, simulate_kwargs: dict) -> dict:
    """The ``simulate`` keyword arguments for one grid point (specs rebuilt, validated).

    Examples
    --------
    >>> import sagalab as sl
    >>> kw = apply_point(sl.scenarios.ecommerce(), {"payment.failure_p": 0.3,
    ...                  "orchestrator.capacity": 4}, {"arrival_rate": 5, "n_sagas": 10})
    >>> kw["saga"].step("payment").failure_p, kw["orchestrator"].capacity
    (0.3, 4)
    """
    kw = dict(simulate_kwargs)
    saga = point.get("saga", saga)
    infra = {}
    for key, value in point.items():
        if key in SIMULATE_KEYS:
            kw[key] = value
            continue
        head, _, field = key.partition(".")
        if head in _INFRA:
            base = infra.get(head) or kw.get(head) or _INFRA[head]()
            infra[head] = dataclasses.replace(base, **{field: value})
        elif head == "saga" and field:
            saga = dataclasses.replace(saga, **{field: value})
        elif field:
            saga = saga.with_step(head, **{field: value})
    kw.update(infra)
    kw["saga"] = saga
    return kw


def _values(key, values):
    values = v.sequence("sweep", f"grid[{key!r}]", values, "values to try",
                               limit=checks.MAX_RUNS)
    values = [x.item() if isinstance(x, np.generic) else x for x in values]
    if not values:
        raise ValueError(f"sweep: grid[{key!r}] is empty; give at least one value")
    return values


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def run_grid(saga: Saga, grid, patterns, replications, *, executor, progress, seed, warmup,
             simulate_kwargs: dict, owner: str = "sweep"):
    """The rows of a sweep, its grid keys, and the exceptions of its failed runs."""
    saga = checks.saga(owner, saga)
    grid = {} if grid is None else grid
    if not isinstance(grid, dict):
        raise TypeError(f"{owner}: grid must be a dict of key -> values, got {v._got(grid)}")
    patterns = checks.patterns(owner, patterns)
    replications = checks.replications(owner, replications)
    checks.executor(owner, executor)
    v.flag(owner, "progress", progress)
    for key in ("pattern", "seed", "saga"):
        if key in simulate_kwargs:
            raise TypeError(f"{owner}: pass {key} as {owner}'s own argument, not a simulate "
                            f"keyword")
    checks.simulate_keywords(owner, simulate_kwargs, simulate)
    keys = list(grid)
    for key in keys:
        check_key(saga, key)
    values = [_values(k, grid[k]) for k in keys]
    checks.runs(owner, math.prod(map(len, values)) * len(patterns) * replications)
    for key, check in (("arrival_rate", checks.rate), ("n_sagas", checks.n_sagas)):
        if key in simulate_kwargs:
            check(owner, simulate_kwargs[key])
        elif key not in grid:
            raise TypeError(f"{owner}: {key} is required: pass {key}= or put it in the grid")
    sizes = grid.get("n_sagas", [simulate_kwargs.get("n_sagas")])
    sizes = [n for n in sizes if isinstance(n, numbers.Integral) and not isinstance(n, bool)
             and n >= 1]
    checks.warmup(owner, warmup, min(sizes, default=1) if sizes else 1)
    simulate_kwargs.setdefault("trace", False)
    root = checks.seed(owner, seed)
    seeds = [replication_seed(root, r) for r in range(replications)]

    rows, tasks, slots, errors = [], [], [], []
    for combo in itertools.product(*values):
        point = dict(zip(keys, combo))
        try:
            kw, error = apply_point(saga, point, simulate_kwargs), None
        except Exception as exc:  # a bad value fails this point only
            kw, error = None, exc
        for p in patterns:
            for r in range(replications):
                rows.append(dict(point, pattern=p, replication=r))
                if error is None:
                    slots.append(len(rows) - 1)
                    tasks.append(Task(dict(kw, pattern=p, seed=seeds[r]), warmup))
                else:
                    rows[-1]["error"] = _describe(error)
                    errors.append(error)
    outcomes = run_tasks(tasks, executor=executor, progress=progress, desc="sweep",
                         owner="sweep")
    for i, out in zip(slots, outcomes):
        if out.error is None:
            rows[i].update(out.summary)
        else:
            rows[i]["error"] = _describe(out.error)
            errors.append(out.error)
    df = pd.DataFrame(rows)
    if "error" not in df:
        df["error"] = None
    df["error"] = df["error"].astype(object).where(df["error"].notna(), None)
    df = df[[c for c in df.columns if c != "error"] + ["error"]]
    return df, keys, errors


def sweep(saga: Saga, grid: dict | None = None, patterns=SEED_PATTERNS, replications: int = 1, *,
          executor=None, progress: bool = True, seed=0, warmup: int | float = 0.1,
          **simulate_kwargs) -> pd.DataFrame:
    """Run every grid point under every pattern, ``replications`` times; one row per run.

    Parameters
    ----------
    saga : Saga
        The base saga; grid keys change copies of it.
    grid : dict of key -> sequence
        Values to try per parameter (see the module docstring for the keys).
    patterns : str or sequence of str
        Patterns to run at each point (same seeds: common random numbers).
    replications : int
        Independent runs per point and pattern (seeds spawned from ``seed``).
    executor : None, "serial" or concurrent.futures.Executor
        ``None``: a local process pool sized to the machine's cores;
        ``"serial"``: this process; or any Executor, e.g. a Dask cluster's
        ``distributed.Client(...).get_executor()``. Rows are identical
        whichever runs them.
    progress : bool
        Show a progress bar (tqdm; a widget in Jupyter).
    seed : int, SeedSequence or Generator
        Root of every replication's seed.
    warmup : int or float
        Sagas (int) or fraction of them (float) dropped from the start of each
        run before its summary (see ``Result.summary``).
    **simulate_kwargs
        Passed to :func:`sagalab.simulate` (``arrival_rate``, ``n_sagas``,
        ``network``, ...); grid values override them. ``trace`` defaults to False.

    Returns
    -------
    pandas.DataFrame
        One row per point x pattern x replication, in that nesting order: the
        grid keys, ``pattern``, ``replication``, every column of
        ``Result.summary()``, and ``error`` (None, or why that run failed:
        its metrics are then NaN). Failed runs also raise one RuntimeWarning
        naming their parameters; the other runs still return.

    Examples
    --------
    >>> import sagalab as sl
    >>> df = sl.sweep(sl.scenarios.ecommerce(), {"payment.failure_p": [0.0, 0.5]},
    ...               patterns="choreography", executor="serial", progress=False,
    ...               arrival_rate=5, n_sagas=200, warmup=0)
    >>> df[["payment.failure_p", "pattern", "replication", "completed"]].values.tolist()
    [[0.0, 'choreography', 0, 195.0], [0.5, 'choreography', 0, 103.0]]
    """
    df, keys, _ = run_grid(saga, grid, patterns, replications, executor=executor,
                           progress=progress, seed=seed, warmup=warmup,
                           simulate_kwargs=simulate_kwargs)
    failed = df[df["error"].notna()]
    if len(failed):
        first = failed.iloc[0]
        where = ", ".join(f"{k}={first[k]!s}" for k in keys + ["pattern", "replication"])
        warnings.warn(f"sweep: {len(failed)} of {len(df)} runs failed (their metrics are NaN; "
                      f"see the 'error' column); first: {where}: {first['error']}",
                      RuntimeWarning, stacklevel=2)
    return df
