"""Model against reality: fit the simulator's infrastructure to a real run, and compare.

:func:`calibrate` reads a real run's messages and fits, for what the model
calls a network hop, a broker latency and an orchestrator decision, a
log-normal distribution (its mean, and the spread of the logarithms: the tail
a p99 feels). :func:`twin` simulates the same sagas with them, and
:func:`compare` puts the two runs side by side: saga by saga outcomes and
message sequences, which must agree exactly, and latency quantiles and the
Kolmogorov-Smirnov distance, which show what the model leaves out.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis.result import Result
from ..analysis.run import simulate
from ..model.distributions import LogNormal
from ..model.infrastructure import Broker, Network, Orchestrator
from .collect import decisions

__all__ = ["calibrate", "twin", "compare", "label", "fit_lognormal", "ks_distance"]

MAX_SIGMA = 5.0  # LogNormal's limit on the spread of the logarithms


def fit_lognormal(x) -> LogNormal:
    """The log-normal with ``x``'s mean and the standard deviation of ``log x``.

    Examples
    --------
    >>> import numpy as np
    >>> d = fit_lognormal(np.random.default_rng(0).lognormal(-5, 0.4, 20_000))
    >>> round(d.sigma, 2), round(d.mean * 1e3, 1)
    (0.4, 7.3)
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    if not len(x):
        raise ValueError("fit_lognormal: no positive times to fit")
    sigma = float(np.std(np.log(x))) if len(x) > 1 else 0.0
    return LogNormal(float(x.mean()), min(sigma, MAX_SIGMA))


def _engine(result: Result):
    return result.params.get("live", {}).get("engine")


def calibrate(result: Result, *, jitter: bool = True) -> dict:
    """``network=``, ``broker=`` and ``orchestrator=`` for :func:`sagalab.simulate`, fitted.

    The hop of every message sent over HTTP, the latency of every message
    through Redis (from the end of the producer's work to the consumer taking
    it: commit, relay and Redis round trips included) and every decision of
    the orchestrator become log-normal distributions; the orchestrator gets
    as many workers as it was seen making decisions at once (DBOS waits on
    its database, so its decisions overlap). What a run did not use keeps the
    simulator's defaults. A DBOS run gives a durable orchestrator whose
    measured decisions already include the checkpoint (``log_latency=0``).

    Parameters
    ----------
    result : Result
        A real run (:func:`sagalab.live.run`) with traced messages.
    jitter : bool
        Python's scheduling jitter: a real service starts a little after its
        worker was free (``pickup``) and works a little longer than the
        simulator drew (``overrun``), see ``result.params["live"]["work"]``.
        The model's stations cannot hold either, so by default both are
        added to the message between the two works, the one place the model
        has for them. ``False`` fits the links alone.

    Returns
    -------
    dict
        Keyword arguments: ``sl.simulate(..., **calibrate(real))``.
    """
    ev = result.events
    transit = (ev["delivered"] - ev["time"]).to_numpy()
    live = result.params.get("live", {})
    if jitter and "overrun" in live:  # (a crash cuts a work short: no negative overrun)
        transit = transit + np.maximum(live["overrun"], 0.0) + live["pickup"]
    channel = ev["channel"].astype(str).to_numpy()
    net, brk = transit[channel == "network"], transit[channel == "broker"]
    made = decisions(ev)
    orchestrator = Orchestrator()
    if len(made):
        orchestrator = Orchestrator(capacity=_most_at_once(made), durable_log=_engine(
            result) == "dbos", overhead=fit_lognormal(made["seconds"]), log_latency=0.0)
    return {"network": Network(hop=fit_lognormal(net)) if len(net) else Network(),
            "broker": Broker(latency=fit_lognormal(brk)) if len(brk) else Broker(),
            "orchestrator": orchestrator}


def _most_at_once(intervals: pd.DataFrame) -> int:
    """The most intervals (``start``, ``end``) open at one time."""
    t = np.concatenate([intervals["start"], intervals["end"]])
    step = np.concatenate([np.ones(len(intervals)), -np.ones(len(intervals))])
    order = np.lexsort((step, t))  # at a tie, an end before a start
    return max(1, int(np.cumsum(step[order]).max()))


def twin(real: Result, *, calibrated: bool = True, jitter: bool = True,
         **overrides) -> Result:
    """The simulator's run of the same sagas (same seed, rate, faults, transport).

    ``calibrated=True`` uses :func:`calibrate` (real, jitter=jitter); otherwise
    the simulator's defaults (durable for DBOS). ``overrides`` go to ``sl.simulate``.
    """
    p = real.params
    kw = dict(arrival_rate=p["arrival_rate"], n_sagas=p["n_sagas"], seed=p["seed"],
              faults=list(p["faults"]) or None, transport=p["transport"])
    if calibrated:
        kw.update(calibrate(real, jitter=jitter))
    elif _engine(real) == "dbos":
        kw["orchestrator"] = Orchestrator(durable_log=True)
    kw["warn_unused"] = False  # calibrate fits every part; the twin's params list the unused
    kw.update(overrides)
    return simulate(p["saga"], p["pattern"], **kw)


def label(result: Result) -> str:
    """``choreography``, ``orchestration``, ``orchestration (dbos)``, ``... async``."""
    p = result.params
    out = p["pattern"]
    if _engine(result) == "dbos":
        out += " (dbos)"
    if p.get("transport", "sync") != "sync":
        out += f" {p['transport']}"
    return out


def ks_distance(a, b) -> float:
    """The two-sample Kolmogorov-Smirnov statistic: the largest gap between two CDFs.

    >>> ks_distance([1, 2, 3], [1, 2, 3]), ks_distance([1, 2], [3, 4])
    (0.0, 1.0)
    """
    a, b = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
    if not len(a) or not len(b):
        return float("nan")
    x = np.concatenate([a, b])
    fa = np.searchsorted(a, x, side="right") / len(a)
    fb = np.searchsorted(b, x, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))


def sequences(result: Result) -> dict:
    """Per saga, the names of its messages in the order they were sent."""
    ev = result.events
    names = ev["name"].astype(str).to_numpy()
    return {int(k): list(names[idx]) for k, idx in ev.groupby("saga_id").indices.items()}


def _pairs(real, simulated) -> list:
    if isinstance(real, Result) and isinstance(simulated, Result):
        return [(label(real), real, simulated)]
    if isinstance(real, dict) and isinstance(simulated, dict):
        missing = set(real) ^ set(simulated)
        if missing:
            raise ValueError(f"compare: labels {sorted(missing)} are not in both dicts")
        return [(k, real[k], simulated[k]) for k in real]
    real, simulated = list(real), list(simulated)
    if len(real) != len(simulated):
        raise ValueError(f"compare: {len(real)} real runs but {len(simulated)} simulated")
    return [(label(r), r, s) for r, s in zip(real, simulated)]


def compare(real, simulated) -> pd.DataFrame:
    """Reality beside the model, one row per run: what agrees, and by how much.

    Parameters
    ----------
    real, simulated : Result, or lists / dicts of Results paired in order / by key
        The same sagas (same saga, pattern, rate, number and seed).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``pattern`` (the run's label): ``n``; ``outcome_mismatches``
        (sagas whose outcome differs) and ``outcomes_identical``;
        ``sequence_mismatches`` (sagas whose message names, in order, differ)
        and ``sequences_identical``; latency ``p50``/``p95``/``p99`` real and
        simulated (seconds, sagas that ended in both); ``ks`` (the
        Kolmogorov-Smirnov distance between the two latency distributions).

    Raises
    ------
    ValueError
        When two paired runs are not the same sagas.
    """
    rows = []
    for name, r, s in _pairs(real, simulated):
        for key in ("pattern", "arrival_rate", "n_sagas"):
            if r.params[key] != s.params[key]:
                raise ValueError(f"compare: {name!r} pairs runs with different {key}: "
                                 f"{r.params[key]!r} and {s.params[key]!r}")
        if repr(r.params["seed"]) != repr(s.params["seed"]):
            raise ValueError(f"compare: {name!r} pairs runs with different seeds")
        ro, so = r.sagas["outcome"].astype(str).to_numpy(), s.sagas["outcome"].astype(str)
        seq_r, seq_s = sequences(r), sequences(s)
        ids = set(seq_r) | set(seq_s)
        bad_seq = sum(seq_r.get(k) != seq_s.get(k) for k in ids)
        both = (ro != "stuck") & (so.to_numpy() != "stuck")
        lr = r.sagas["latency"].to_numpy()[both]
        ls = s.sagas["latency"].to_numpy()[both]
        row = {"pattern": name, "n": len(ro), "outcome_mismatches": int((ro != so).sum()),
               "sequence_mismatches": int(bad_seq)}
        row["outcomes_identical"] = row["outcome_mismatches"] == 0
        row["sequences_identical"] = row["sequence_mismatches"] == 0
        for q in (50, 95, 99):
            row[f"p{q}_real"] = float(np.percentile(lr, q)) if len(lr) else np.nan
            row[f"p{q}_sim"] = float(np.percentile(ls, q)) if len(ls) else np.nan
        row["ks"] = ks_distance(lr, ls)
        rows.append(row)
    cols = ["pattern", "n", "outcomes_identical", "outcome_mismatches", "sequences_identical",
            "sequence_mismatches", "p50_real", "p50_sim", "p95_real", "p95_sim", "p99_real",
            "p99_sim", "ks"]
    return pd.DataFrame(rows, columns=cols).set_index("pattern")
