"""Replications: the same configuration run on independent streams, with confidence intervals.

One run of a stochastic model is one sample. ``sl.replicate`` runs the
configuration ``replications`` times, each on its own seed (children of one
``numpy.random.SeedSequence``: ``SeedSequence.spawn``), and reports every
run's summary plus, per metric, the mean and a Student-t confidence interval
(95 % by default).

Warm-up: every run starts from an empty system, where the first sagas find
no queues. Steady-state metrics (latency at a given load) are biased low by
them, so by default the first 10 % of each run's sagas are dropped before
its summary (``warmup=0.1``; an int drops that many sagas; ``warmup=0``
keeps all). Utilization is the exception: it always covers the whole run.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..model.specs import Saga
from . import _checks as checks
from .runner import SERIAL
from .stats import mean_ci
from .sweep import run_grid

__all__ = ["replicate", "Replications"]

_META = ("pattern", "replication", "error")


@dataclass(frozen=True)
class Replications:
    """What :func:`replicate` produced.

    Attributes
    ----------
    runs : pandas.DataFrame
        One row per replication: ``replication`` and every column of
        ``Result.summary()``.
    confidence : float
        Level of the intervals in :meth:`summary`.
    params : dict
        The saga, pattern, seed, warm-up and simulate arguments.
    """

    runs: pd.DataFrame
    confidence: float
    params: dict = field(repr=False)

    def summary(self) -> pd.DataFrame:
        """Per metric: ``mean``, ``std``, ``half_width``, ``low``, ``high``, ``n`` (runs)."""
        rows = {}
        for col in self.runs.columns:
            if col == "replication":
                continue
            m, s, h = mean_ci(self.runs[col].to_numpy(dtype=float), self.confidence)
            rows[col] = {"mean": m, "std": s, "half_width": h, "low": m - h, "high": m + h,
                         "n": int(self.runs[col].notna().sum())}
        return pd.DataFrame.from_dict(rows, orient="index")

    def interval(self, metric: str) -> tuple[float, float]:
        """``(low, high)`` of ``metric``'s confidence interval."""
        if metric not in self.runs.columns or metric == "replication":
            raise KeyError(f"no metric {metric!r}; metrics are "
                           f"{[c for c in self.runs.columns if c != 'replication']}")
        row = self.summary().loc[metric]
        return float(row["low"]), float(row["high"])


def replicate(saga: Saga, pattern: str, replications: int = 10, *, seed=0,
              warmup: int | float = 0.1, confidence: float = 0.95, executor=SERIAL,
              progress: bool = False, **simulate_kwargs) -> Replications:
    """Run ``saga`` under ``pattern`` on ``replications`` independent seeds.

    Parameters
    ----------
    saga, pattern
        As for :func:`sagalab.simulate`.
    replications : int
        Independent runs (>= 2 for an interval).
    seed : int, SeedSequence or Generator
        Root seed; replication ``r`` uses its child ``r``, so replication
        ``r`` of another pattern meets the same sagas (common random numbers).
    warmup : int or float
        Sagas (int) or fraction (float in [0, 1)) dropped from the start of
        each run before its summary; see the module docstring.
    confidence : float
        Level of the confidence intervals, in (0, 1).
    executor : "serial", None or concurrent.futures.Executor
        Where the runs execute (``None``: a local process pool); results do
        not depend on it.
    progress : bool
        Show a progress bar.
    **simulate_kwargs
        ``arrival_rate``, ``n_sagas``, ``network``, ... (``trace`` defaults to False).

    Raises
    ------
    ValueError, TypeError
        For bad input (the error the first failing run raised).

    Examples
    --------
    >>> import sagalab as sl
    >>> reps = sl.replicate(sl.scenarios.ecommerce(), "choreography", replications=4,
    ...                     arrival_rate=10, n_sagas=300)
    >>> len(reps.runs), list(reps.summary().columns)
    (4, ['mean', 'std', 'half_width', 'low', 'high', 'n'])
    >>> low, high = reps.interval("latency_mean")
    >>> bool(low < reps.runs.latency_mean.mean() < high)
    True
    """
    checks.pattern("replicate", pattern)
    checks.confidence("replicate", confidence)
    df, _, errors = run_grid(saga, {}, (pattern,), replications, executor=executor,
                             progress=progress, seed=seed, warmup=warmup,
                             simulate_kwargs=dict(simulate_kwargs), owner="replicate")
    if errors:
        raise errors[0]
    runs = df[["replication"] + [c for c in df.columns if c not in _META]]
    params = dict(simulate_kwargs, saga=saga, pattern=pattern, seed=seed, warmup=warmup,
                  replications=replications)
    return Replications(runs=runs.reset_index(drop=True), confidence=confidence, params=params)
