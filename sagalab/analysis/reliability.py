"""Reliability at a glance: how runs ended under failures, and which sagas are stuck.

Business failures make sagas compensate; infrastructure faults (see
:mod:`sagalab.faults`) add dead letters, duplicates, retries and sagas that
never end. Two questions an operator asks of every run:

* **How did it go?** :func:`fault_table` puts the runs side by side: the
  four outcomes, the dead letters, how long sagas left the data
  inconsistent, the duplicates and retries, and the latency.
* **What is stuck right now?** :func:`stuck_sagas` is the stuck-saga
  detector's list: the sagas still unfinished at a moment that started more
  than ``older_than`` seconds earlier (``result.timeline()`` gives the
  counts over time).

Both read Result tables only; nothing is re-run.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import _validate as v
from ..sim.record import OUTCOMES
from . import _checks as checks

__all__ = ["fault_table", "stuck_sagas"]

MS = 1e3  # milliseconds per second


def fault_table(results) -> pd.DataFrame:
    """How several runs fared under failures: one row per run.

    Parameters
    ----------
    results : Result, list of Result or dict of str to Result
        A list is labelled by pattern (as in :mod:`sagalab.plot`).

    Returns
    -------
    pandas.DataFrame
        Indexed by run label, with ``n`` (sagas); the count of each outcome
        (``completed``, ``compensated``, ``dlq``, ``stuck``);
        ``dead_letters`` (messages parked in the dead-letter queue; NaN for
        an untraced run); ``inconsistent_ms`` (mean time per saga that its
        effects were partly in place, ms) and ``inconsistent_s`` (the total
        over the run, s); ``duplicates``, ``retries`` and ``late_replies``
        (totals); ``p50_ms`` and ``p99_ms`` (latency of the sagas that
        ended, ms).

    Examples
    --------
    >>> import sagalab as sl
    >>> saga = sl.scenarios.ecommerce().with_step("payment", compensation_failure_p=0.5)
    >>> runs = [sl.simulate(saga, p, arrival_rate=20, n_sagas=300, seed=1)
    ...         for p in sl.SEED_PATTERNS]
    >>> t = sl.fault_table(runs)
    >>> list(t.index), bool((t.dead_letters == t.dlq).all())
    (['choreography', 'orchestration'], True)
    """
    rows = {}
    for label, r in checks.results("fault_table", results).items():
        s = r.sagas
        counts = s["outcome"].value_counts()
        lat = s["latency"].dropna().to_numpy()
        q = np.quantile(lat, [0.5, 0.99]) if len(lat) else (np.nan, np.nan)
        ev = r.events
        traced = r.params.get("trace", True)
        rows[label] = {
            "n": len(s),
            **{o: int(counts.get(o, 0)) for o in OUTCOMES},
            "dead_letters": float((ev["kind"] == "dlq").sum()) if traced else np.nan,
            "inconsistent_ms": MS * float(s["inconsistent"].mean()),
            "inconsistent_s": float(s["inconsistent"].sum()),
            "duplicates": int(s["duplicates"].sum()),
            "retries": int(s["retries"].sum()),
            "late_replies": int(s["late_replies"].sum()),
            "p50_ms": MS * float(q[0]),
            "p99_ms": MS * float(q[1]),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def stuck_sagas(result, older_than: float, at: float | None = None) -> pd.DataFrame:
    """The stuck-saga detector's list: sagas unfinished at ``at`` and older than ``older_than``.

    Parameters
    ----------
    result : Result
    older_than : float
        Age threshold, seconds (>= 0): a saga older than this and still in
        flight is reported (pick it well above the normal p99 latency).
    at : float, optional
        When to look, seconds on the run's clock; default the end of the run.

    Returns
    -------
    pandas.DataFrame
        The matching rows of ``result.sagas`` (``saga_id``, ``start``,
        ``outcome``, ``steps_completed``, ``compensations``), plus ``age``
        (seconds since it started, at ``at``), oldest first.

    Raises
    ------
    ValueError
        For a negative or non-finite ``older_than``.

    Examples
    --------
    >>> import sagalab as sl
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "orchestration", arrival_rate=30, n_sagas=300,
    ...                 seed=8, faults=[sl.Outage("orchestrator", 5.0, 2.0)])
    >>> found = sl.stuck_sagas(r, older_than=1.0)
    >>> len(found), int((r.sagas.outcome == "stuck").sum())
    (5, 5)
    """
    checks.result("stuck_sagas", result)
    older_than = v.real("stuck_sagas", "older_than", older_than)
    if at is None:
        at = float(result.params["duration"])
    at = v.real("stuck_sagas", "at", at)
    s = result.sagas
    end = s["end"].fillna(np.inf)
    found = s[(s["start"] <= at - older_than) & (end > at)]
    out = found[["saga_id", "start", "outcome", "steps_completed", "compensations"]].copy()
    out["age"] = at - out["start"]
    return out.reset_index(drop=True)
