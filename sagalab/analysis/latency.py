"""Where a saga's time goes, and how sure a difference between patterns is.

A saga's latency is the sum of four things the engine accounts for exactly
(``queueing + service + transit + coordination == latency``, per saga). The
transit part is either *network* (synchronous calls and replies:
orchestration) or *broker* (events through Kafka: choreography), read per
message from the event log. :func:`latency_breakdown` averages these parts
over a run's sagas, or over its slowest ones only (the tail: what a p99 is
made of).

:func:`paired_difference` compares a metric between two sets of replications
run on the same seeds (common random numbers): the per-replication
differences vary far less than each pattern's own runs, so the paired
interval is much narrower than the unpaired one.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..model import _validate as v
from . import _checks as checks
from .replicate import Replications
from .stats import mean_ci, t_quantile

__all__ = ["COMPONENTS", "latency_breakdown", "paired_difference"]

#: The parts of a saga's latency, in the order tables and plots show them.
COMPONENTS = ("queueing", "service", "network", "broker", "orchestrator")
_UNTRACED_CHANNEL = {"choreography": "broker", "orchestration": "network"}


def _transit_by_channel(result, ids: np.ndarray) -> dict:
    ev = result.events
    if len(ev) == 0:
        channel = _UNTRACED_CHANNEL.get(result.pattern)
        if channel is None:
            raise ValueError(f"latency_breakdown: a {result.pattern!r} run without trace mixes "
                             f"channels; simulate with trace=True")
        total = float(result.sagas["transit"].to_numpy()[ids].sum())
        return {"network": 0.0, "broker": 0.0, channel: total}
    mine = ev[np.isin(ev["saga_id"].to_numpy(), ids)]
    per = (mine["delivered"] - mine["time"]).groupby(mine["channel"].astype(str)).sum()
    return {c: float(per.get(c, 0.0)) for c in ("network", "broker")}


def latency_breakdown(results, quantile: float | None = None) -> pd.DataFrame:
    """Mean seconds per saga in each part of the latency, per run.

    Parameters
    ----------
    results : Result, list of Result or dict of str to Result
        Runs; a list is labelled by pattern.
    quantile : float in [0, 1), optional
        Average only over the sagas whose latency is at or above this
        quantile of their run (``0.99``: the slowest 1 %); default all sagas.

    Returns
    -------
    pandas.DataFrame
        One row per run; columns :data:`COMPONENTS` (``queueing`` and
        ``service`` at the services and the initiator, ``network`` hops,
        ``broker`` latency, ``orchestrator``: waiting for and making
        decisions), then ``latency`` (their sum, the mean latency of those
        sagas) and ``sagas`` (how many were averaged). Seconds.

    Examples
    --------
    >>> import sagalab as sl
    >>> runs = [sl.simulate(sl.scenarios.ecommerce(), p, arrival_rate=10, n_sagas=200)
    ...         for p in sl.SEED_PATTERNS]
    >>> t = sl.latency_breakdown(runs)
    >>> float(t.loc["choreography", "orchestrator"]), float(t.loc["orchestration", "broker"])
    (0.0, 0.0)
    >>> bool(abs(t.loc["orchestration", "latency"] - runs[1].sagas.latency.mean()) < 1e-12)
    True
    """
    if quantile is not None:
        v.real("latency_breakdown", "quantile", quantile, high=math.nextafter(1.0, 0.0),
               what="a number in [0, 1) or None")
    rows = {}
    for label, r in checks.results("latency_breakdown", results).items():
        s = r.sagas
        lat = s["latency"].to_numpy()
        keep = np.ones(len(s), bool) if quantile is None else lat >= np.quantile(lat, quantile)
        ids = s["saga_id"].to_numpy()[keep]
        n = int(keep.sum())
        row = {"queueing": s["queueing"].to_numpy()[keep].sum(),
               "service": s["service"].to_numpy()[keep].sum(),
               **_transit_by_channel(r, ids),
               "orchestrator": s["coordination"].to_numpy()[keep].sum()}
        row = {k: float(v) / n for k, v in row.items()}
        row["latency"] = float(lat[keep].mean())
        row["sagas"] = n
        rows[label] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    return table[[*COMPONENTS, "latency", "sagas"]]


def paired_difference(a: Replications, b: Replications, metric: str = "latency_p99",
                      confidence: float = 0.95) -> pd.Series:
    """``b - a`` for one metric over replications paired by seed, with both intervals.

    Parameters
    ----------
    a, b : Replications
        From :func:`sagalab.replicate` with the same ``seed`` and number of
        replications (replication ``r`` of each met the same sagas).
    metric : str
        A column of ``Replications.runs``, e.g. ``"latency_p99"``.
    confidence : float
        Level of the intervals.

    Returns
    -------
    pandas.Series
        ``mean_a``, ``mean_b``, ``difference`` (mean of ``b - a``),
        ``paired_half_width`` (t interval of the per-replication
        differences), ``unpaired_half_width`` (the interval the same runs
        would give if the two sets were independent), ``replications``.

    Raises
    ------
    ValueError
        When the two sets were not run on the same seeds, or ``metric`` is unknown.

    Examples
    --------
    >>> import sagalab as sl
    >>> kw = dict(replications=4, arrival_rate=20, n_sagas=300)
    >>> a = sl.replicate(sl.scenarios.ecommerce(), "choreography", **kw)
    >>> b = sl.replicate(sl.scenarios.ecommerce(), "orchestration", **kw)
    >>> d = sl.paired_difference(a, b, "latency_mean")
    >>> bool(d["paired_half_width"] < d["unpaired_half_width"])
    True
    """
    for name, x in (("a", a), ("b", b)):
        if not isinstance(x, Replications):
            raise TypeError(f"paired_difference: {name} must be Replications (sl.replicate), "
                            f"got {type(x).__name__}")
    if len(a.runs) != len(b.runs) or repr(a.params["seed"]) != repr(b.params["seed"]):
        raise ValueError("paired_difference: a and b must be replicated on the same seed with "
                         f"the same number of replications; got seeds {a.params['seed']!r}, "
                         f"{b.params['seed']!r} and {len(a.runs)}, {len(b.runs)} replications")
    checks.confidence("paired_difference", confidence)
    if not isinstance(metric, str) or metric not in a.runs.columns or metric == "replication":
        raise ValueError(f"paired_difference: unknown metric {v.short(metric)}; metrics are "
                         f"{[c for c in a.runs.columns if c != 'replication']}")
    xa = a.runs[metric].to_numpy(dtype=float)
    xb = b.runs[metric].to_numpy(dtype=float)
    diff, _, paired = mean_ci(xb - xa, confidence)
    n = len(xa)
    if n >= 2:
        spread = math.sqrt(xa.var(ddof=1) / n + xb.var(ddof=1) / n)
        unpaired = t_quantile((1 + confidence) / 2, 2 * n - 2) * spread
    else:
        unpaired = math.nan
    return pd.Series({"mean_a": float(xa.mean()), "mean_b": float(xb.mean()),
                      "difference": diff, "paired_half_width": paired,
                      "unpaired_half_width": unpaired, "replications": n}, name=metric)
