"""Bottlenecks and scaling: Little's law measured on a run, saturation points side by side.

* :func:`littles_law` checks L = lambda W on a run with three *independent*
  measurements over one window of time: L by watching how many sagas are in
  the system (the time-average of that count), lambda by counting arrivals,
  W by averaging the sojourns of the sagas that arrived. In a steady state
  they agree up to edge effects; past saturation the queue keeps growing,
  the window's end cuts sagas short, and L falls below lambda W.
  (``Result.summary()["in_flight"]`` is lambda W by construction; this is
  the check of it.)
* :func:`saturation_points` runs :func:`sagalab.saturation` for
  choreography and for orchestration with several orchestrator sizes, and
  puts each measured limit next to the theoretical one
  (:func:`sagalab.theory.saturation_rate`: each station's capacity over the
  work a saga brings it, with the visit ratios of routing).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..model import _validate as v
from ..model.distributions import as_distribution
from ..model.infrastructure import Orchestrator
from ..model.specs import Saga
from . import _checks as checks
from .demand import station_demand
from .run import simulate
from .runner import SERIAL
from .saturation import saturation

__all__ = ["littles_law", "saturation_points"]


def littles_law(result, warmup: int | float = 0.1) -> pd.Series:
    """L, lambda and W measured independently on one run, and how well L = lambda W holds.

    The window runs from the arrival of the first saga after ``warmup`` to
    the last arrival (while customers keep coming).

    Parameters
    ----------
    result : Result
    warmup : int or float
        Sagas (int) or fraction (float in [0, 1)) skipped before the window.

    Returns
    -------
    pandas.Series
        ``window`` (seconds), ``L`` (time-average sagas in the system),
        ``lambda`` (arrivals per second), ``W`` (mean seconds in the system
        of the sagas that arrived in the window), ``lambda_W`` and
        ``relative_error`` ((L - lambda W) / lambda W).

    Examples
    --------
    >>> import sagalab as sl
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "orchestration", arrival_rate=20,
    ...                 n_sagas=2000, trace=False)
    >>> bool(abs(sl.littles_law(r)["relative_error"]) < 0.05)
    True
    """
    s = checks.result("littles_law", result).sagas
    start, end = s["start"].to_numpy(), s["end"].to_numpy()
    first = checks.warmup("littles_law", warmup, len(s))
    if len(s) - first < 2:
        raise ValueError(f"littles_law: need at least 2 sagas after the warm-up, got "
                         f"{len(s) - first}")
    a, b = float(start[first]), float(start.max())
    if not b > a:
        raise ValueError("littles_law: every saga after the warm-up arrived at the same time")
    inside = np.clip(np.minimum(end, b) - np.maximum(start, a), 0.0, None)
    arrived = (start >= a) & (start < b)
    window = b - a
    L = float(inside.sum() / window)
    lam = float(arrived.sum() / window)
    W = float((end - start)[arrived].mean())
    lw = lam * W
    return pd.Series({"window": window, "L": L, "lambda": lam, "W": W, "lambda_W": lw,
                      "relative_error": (L - lw) / lw if lw > 0 else math.nan},
                     name=result.pattern)


def saturation_points(saga: Saga, capacities=(1, 2, 4, 8), *, overhead: float = 0.001,
                      n_sagas: int = 600, replications: int = 2, rtol: float = 0.03, seed=0,
                      warmup: int | float = 0.1, executor=SERIAL, **simulate_kwargs
                      ) -> pd.DataFrame:
    """The highest sustained arrival rate of choreography, and of orchestration per capacity.

    Parameters
    ----------
    saga : Saga
    capacities : sequence of int
        Orchestrator workers to try (each decision takes ``overhead`` seconds);
        may be empty (choreography only).
    overhead : float
        Seconds of orchestrator work per decision.
    n_sagas, replications, rtol, seed, warmup, executor
        As for :func:`sagalab.saturation` (criterion: offered load <= 1).
    **simulate_kwargs
        ``network``, ``broker``.

    Returns
    -------
    pandas.DataFrame
        One row per configuration (``choreography``, ``orchestration c=1``,
        ...): ``pattern``, ``orchestrator_capacity`` (0 for choreography),
        ``measured`` (sagas/s), ``bottleneck`` (measured), ``theory`` (the
        lowest station limit, :func:`sagalab.theory.saturation_rate`) and
        ``theory_bottleneck``.

    Examples
    --------
    >>> import sagalab as sl
    >>> t = sl.saturation_points(sl.scenarios.ecommerce(), [1], overhead=0.02, n_sagas=300)
    >>> row = t.loc["orchestration c=1"]
    >>> row["bottleneck"], round(float(row["theory"]), 2)  # 1 / (3.92 decisions x 20 ms)
    ('orchestrator', 12.76)
    """
    own = "saturation_points"
    checks.saga(own, saga)
    capacities = v.sequence(own, "capacities", capacities, "orchestrator worker counts",
                            limit=100)
    for i, c in enumerate(capacities):
        v.count(own, f"capacities[{i}]", c, high=v.MAX_WORKERS, limit="MAX_WORKERS")
    as_distribution(own, "overhead", overhead)
    checks.simulate_keywords(own, simulate_kwargs, simulate,
                             reserved=("orchestrator", "n_sagas", "seed", "arrival_rate"))
    rows = {}
    configs = [("choreography", 0)] + [("orchestration", int(c)) for c in capacities]
    for pattern, c in configs:
        kw = dict(simulate_kwargs)
        if c:
            kw["orchestrator"] = Orchestrator(capacity=c, overhead=overhead)
        sat = saturation(saga, pattern, n_sagas=n_sagas, replications=replications, rtol=rtol,
                         seed=seed, warmup=warmup, executor=executor, **kw)
        limits = station_demand(saga, pattern, **kw)["limit"]
        label = pattern if not c else f"orchestration c={c}"
        rows[label] = {"pattern": pattern, "orchestrator_capacity": c, "measured": sat.rate,
                       "bottleneck": sat.bottleneck, "theory": float(limits.min()),
                       "theory_bottleneck": limits.idxmin()}
    return pd.DataFrame.from_dict(rows, orient="index")
