"""Anomalies of sagas that share business state, judged against the oracle.

The simulator (:mod:`sagalab.sim.ledger`) logs every operation on business
state; this module turns that log into ``result.state`` and summarises it:
:func:`anomalies` counts lost updates, dirty and non-repeatable reads per
state, :func:`invariants` checks what each countermeasure promises.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..sim.ledger import OP_FIELDS, OPS

__all__ = ["state_frame", "anomalies", "invariants", "ANOMALIES"]

#: Counts ``result.summary()`` adds for a run with business state (summed over states).
ANOMALIES = ("lost_updates", "dirty_reads", "nonrepeatable_reads", "oversold")


def state_frame(rows, states) -> pd.DataFrame:
    """The per-operation log as a DataFrame (see the README's column reference)."""
    rec = np.asarray(rows, dtype=float).reshape(-1, len(OP_FIELDS))
    rec = rec[np.argsort(rec[:, 0], kind="stable")]  # each ledger's rows are in commit order
    names = [s.step for s in states]
    c = {f: rec[:, i] for i, f in enumerate(OP_FIELDS)}
    return pd.DataFrame({
        "time": c["time"],
        "saga_id": c["saga_id"].astype(np.int64),
        "state": pd.Categorical.from_codes(c["state"].astype(np.int16), names),
        "key": c["key"].astype(np.int32),
        "op": pd.Categorical.from_codes(c["op"].astype(np.int8), list(OPS)),
        "amount": c["amount"].astype(np.int64),
        "ok": c["ok"].astype(bool),
        "rule_failed": c["rule_failed"].astype(bool),
        "read": c["read"],
        "before": c["before"],
        "after": c["after"],
        "truth": c["truth"],
        "lost": c["lost"].astype(bool),
        "stale": c["stale"].astype(bool),
        "dirty": c["dirty"].astype(bool),
        "wait": c["wait"],
        "retries": c["retries"].astype(np.int32),
        "locked_out": c["locked_out"].astype(bool),
    })


def _need_state(result):
    if getattr(result, "state", None) is None:
        raise ValueError("this run has no business state: pass state=[sl.Stock(...)] or "
                         "sl.Credit(...) to sl.simulate")
    return result.state, result.params["state"]


def anomalies(result) -> pd.DataFrame:
    """Anomalies and countermeasure costs per state of one run.

    Returns
    -------
    pandas.DataFrame
        Indexed by state (the step keeping it): ``countermeasure``;
        ``reserves`` (attempts) and ``rule_failures`` (refused by the business
        rule); ``lost_updates``, ``dirty_reads`` and ``nonrepeatable_reads``
        (counts of operations); ``oversold`` (units below zero the truth
        reached, summed over keys); ``drift`` (recorded minus true balance at
        the end, summed over keys); ``lock_waits`` and ``lock_wait_mean``
        (seconds); ``locked_out`` (refused by a semantic lock);
        ``retries`` (rereads that found a change and redid the work).

    Examples
    --------
    >>> import sagalab as sl
    >>> stock = sl.Stock("inventory", products=2, initial=30)
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "orchestration", arrival_rate=40,
    ...                 n_sagas=300, state=[stock])
    >>> list(anomalies(r).columns[:4])
    ['countermeasure', 'reserves', 'rule_failures', 'lost_updates']
    """
    ops, states = _need_state(result)
    rows = {}
    for s in states:
        o = ops[ops["state"] == s.step]
        res = o[o["op"] == "reserve"]
        waited = res[res["wait"] > 0]
        final = o.groupby("key")["truth"].min() if len(o) else pd.Series(dtype=float)
        last = o.groupby("key")[["after", "truth"]].last() if len(o) else None
        rows[s.step] = {
            "countermeasure": s.countermeasure or "none",
            "reserves": len(res),
            "rule_failures": int(res["rule_failed"].sum()),
            "lost_updates": int(o["lost"].sum()),
            "dirty_reads": int(res["dirty"].sum()),
            "nonrepeatable_reads": int(o["stale"].sum()),
            "oversold": float(-final.clip(upper=0).sum()),
            "drift": float((last["after"] - last["truth"]).sum()) if last is not None else 0.0,
            "lock_waits": len(waited),
            "lock_wait_mean": float(waited["wait"].mean()) if len(waited) else 0.0,
            "locked_out": int(res["locked_out"].sum()),
            "retries": int(o["retries"].sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("state")


def invariants(result) -> pd.DataFrame:
    """The end-of-run invariants of each state, and whether its countermeasure promises them.

    * ``never_below_zero``: the true balance of every key stayed >= 0 (no
      product oversold, no customer over the limit);
    * ``records_match_truth``: the recorded balances at the end equal the
      oracle's (no update was lost);
    * ``conserved``: what the records say was taken (initial plus restocks
      minus final, over all keys) equals the amounts of the completed sagas (money
      charged minus refunded = value of completed orders). Checked only
      when no saga ended ``"dlq"`` or ``"stuck"`` (``holds`` is then NA).

    Returns
    -------
    pandas.DataFrame
        One row per (state, invariant): ``holds`` (bool or NA) and
        ``promised`` (the countermeasure guarantees it).

    Examples
    --------
    >>> import sagalab as sl
    >>> stock = sl.Stock("inventory", products=2, initial=30, countermeasure="commutative")
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "choreography", arrival_rate=40,
    ...                 n_sagas=300, state=[stock])
    >>> bool(invariants(r).query("promised").holds.all())
    True
    """
    ops, states = _need_state(result)
    sagas = result.sagas
    clean = not sagas["outcome"].isin(["dlq", "stuck"]).any()
    completed = set(sagas.loc[sagas["outcome"] == "completed", "saga_id"].tolist())
    out = []
    for s in states:
        o = ops[ops["state"] == s.step]
        taken = 0.0
        if len(o):
            final = o.groupby("key")["after"].last()
            untouched = s.items - len(final)
            restocked = float(o.loc[o["op"] == "restock", "amount"].sum())
            taken = float(s.items * s.start + restocked - final.sum() - untouched * s.start)
        res = o[(o["op"] == "reserve") & o["ok"]]
        value = float(res.loc[res["saga_id"].isin(completed), "amount"].sum())
        truth_ok = bool((o["truth"] >= 0).all())
        last = o.groupby("key")[["after", "truth"]].last() if len(o) else None
        match = bool(last is None or (last["after"] == last["truth"]).all())
        for name, holds in (("never_below_zero", truth_ok), ("records_match_truth", match),
                            ("conserved", (taken == value) if clean else pd.NA)):
            out.append({"state": s.step, "invariant": name, "holds": holds,
                        "promised": s.promises})
    return pd.DataFrame(out).set_index(["state", "invariant"])
