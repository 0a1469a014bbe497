"""Saturation: the highest arrival rate a pattern sustains, found by bisection.

"The orchestrator can bottleneck" becomes a number. A rate is *sustained*
when, averaged over replicated runs at that rate (the same seeds at every
rate: common random numbers keep the criterion monotone in the rate):

* ``criterion="utilization"``: no station's offered load (the work it
  received over the time sagas arrived, per worker: ``load_<station>`` in a
  sweep's rows) exceeds ``threshold`` (default 1: the station keeps up).
  Below saturation the offered load is the utilization; past it, it grows
  above 1 while the measured utilization of a finite run stays just under
  1, so the offered load tells a sustained rate from an unsustained one
  sharply. For an orchestrator with ``c`` workers, ``h`` seconds per
  decision and ``d`` decisions per saga the answer is ``threshold * c / (d h)``.
* ``criterion="latency"``: the p99 latency stays within ``threshold``
  seconds (a service-level objective).

The search brackets the answer around the theoretical capacity of the
spec's stations (a starting guess only: the runs decide), widens the
bracket until it holds a sustained and an unsustained rate, then bisects to
a relative width ``rtol``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from ..model import _validate as v
from ..model.infrastructure import Orchestrator
from ..model.specs import Saga
from . import _checks as checks
from .run import simulate
from .runner import SERIAL, Task, replication_seed, run_tasks

__all__ = ["saturation", "Saturation", "capacity_estimate"]

CRITERIA = {"utilization": 1.0, "latency": None}  # criterion -> default threshold
MAX_WIDEN = 12  # bracket widenings (each doubles or halves a rate) before giving up
MIN_RTOL = 1e-6  # the narrowest relative bracket a search may ask for


def capacity_estimate(saga: Saga, pattern: str, orchestrator: Orchestrator | None = None) -> dict:
    """Sagas/s at which each station would saturate if every saga completed, by station.

    Each step is visited once per saga, the initiator twice, and under
    orchestration the coordinator makes ``1 + len(saga)`` decisions.

    Examples
    --------
    >>> import sagalab as sl
    >>> est = capacity_estimate(sl.Saga("s", [sl.Step("pay", 0.0), sl.Step("ship", 0.0)]),
    ...                         "orchestration", sl.Orchestrator(capacity=2, overhead=0.01))
    >>> est["orchestrator"]  # c / (d h) = 2 / (3 x 0.01)
    66.66666666666667
    """
    checks.saga("capacity_estimate", saga)
    checks.pattern("capacity_estimate", pattern)
    orchestrator = v.instance("capacity_estimate", "orchestrator", orchestrator, Orchestrator,
                              allow_none=True) or Orchestrator()
    est = {}
    for s in saga.steps:
        est[s.name] = s.capacity / s.service_time.mean if s.service_time.mean > 0 else math.inf
    if saga.initiator_time is not None and saga.initiator_time.mean > 0:
        est[saga.initiator] = saga.initiator_capacity / (2 * saga.initiator_time.mean)
    if pattern == "orchestration" and orchestrator.overhead.mean > 0:
        est["orchestrator"] = orchestrator.capacity / ((1 + len(saga)) * orchestrator.overhead.mean)
    return est


@dataclass(frozen=True)
class Saturation:
    """What :func:`saturation` found.

    Attributes
    ----------
    rate : float
        The highest probed arrival rate (sagas/s) that met the criterion;
        the true limit lies below ``rate * (1 + rtol)``.
    pattern, criterion : str
    threshold : float
        Highest offered load per worker, or p99 latency in seconds.
    bottleneck : str
        The busiest station at ``rate``.
    probes : pandas.DataFrame
        One row per probed rate, in probe order: ``rate``, ``sustained``,
        ``value`` (the criterion's measurement), ``throughput``,
        ``latency_p99``, ``load_max``, ``utilization_max``, ``bottleneck``
        (the station with the highest offered load).
    estimate : dict
        Theoretical saturation rate per station (:func:`capacity_estimate`).
    """

    rate: float
    pattern: str
    criterion: str
    threshold: float
    bottleneck: str
    probes: pd.DataFrame
    estimate: dict = field(repr=False)

    def __repr__(self) -> str:
        return (f"<Saturation {self.pattern}: {self.rate:.4g} sagas/s sustained "
                f"({self.criterion} <= {self.threshold:g}), bottleneck {self.bottleneck!r}>")


def saturation(saga: Saga, pattern: str, *, criterion: str = "utilization",
               threshold: float | None = None, replications: int = 3, n_sagas: int = 2000,
               seed=0, warmup: int | float = 0.1, rtol: float = 0.01, executor=SERIAL,
               progress: bool = False, **simulate_kwargs) -> Saturation:
    """The highest arrival rate ``pattern`` sustains under ``criterion``.

    Parameters
    ----------
    saga, pattern
        As for :func:`sagalab.simulate`.
    criterion : {"utilization", "latency"}
        What "sustained" means (see the module docstring).
    threshold : float, optional
        Highest allowed offered load per worker (default 1.0), or p99
        latency in seconds (required for ``"latency"``).
    replications : int
        Runs per probed rate (their mean decides).
    n_sagas : int
        Sagas per run.
    seed, warmup, executor, progress
        As for :func:`sagalab.replicate`.
    rtol : float
        Stop when the bracket is narrower than ``rtol`` times its upper end;
        in ``[MIN_RTOL, 1)`` (``MIN_RTOL`` = 1e-6).
    **simulate_kwargs
        ``network``, ``broker``, ``orchestrator`` (not ``arrival_rate``:
        that is what is searched).

    Returns
    -------
    Saturation

    Examples
    --------
    >>> import sagalab as sl
    >>> saga = sl.Saga("fast", [sl.Step("pay", 0.0), sl.Step("ship", 0.0)])
    >>> orch = sl.Orchestrator(capacity=1, overhead=0.01)  # 1 / (3 x 0.01) = 33.3 sagas/s
    >>> sat = sl.saturation(saga, "orchestration", orchestrator=orch, network=sl.Network(0),
    ...                     n_sagas=500, replications=2, rtol=0.02)
    >>> sat.bottleneck, bool(0.95 * 33.3 < sat.rate < 1.05 * 33.3)
    ('orchestrator', True)
    """
    own = "saturation"
    checks.saga(own, saga)
    checks.pattern(own, pattern)
    if not isinstance(criterion, str) or criterion not in CRITERIA:
        raise ValueError(f"saturation: criterion must be one of {list(CRITERIA)}, "
                         f"got {v.short(criterion)}")
    if "arrival_rate" in simulate_kwargs:
        raise TypeError("saturation: arrival_rate is what saturation searches; do not pass it")
    checks.simulate_keywords(own, simulate_kwargs, simulate, reserved=("n_sagas", "seed"))
    threshold = CRITERIA[criterion] if threshold is None else threshold
    if threshold is None:
        raise ValueError("saturation: criterion='latency' needs threshold= (p99 seconds)")
    v.real(own, "threshold", threshold, low_open=True, high=v.MAX_VALUE,
           what=f"a number in (0, {v.MAX_VALUE:g}]")
    v.real(own, "rtol", rtol, low=MIN_RTOL, high=math.nextafter(1.0, 0.0),
           what=f"in [{MIN_RTOL:g}, 1) (MIN_RTOL: finer than that, floats cannot bisect)")
    replications = checks.replications(own, replications)
    checks.runs(own, replications * (2 * MAX_WIDEN + math.ceil(math.log2(1 / rtol)) + 2))
    checks.warmup(own, warmup, checks.n_sagas(own, n_sagas))
    checks.executor(own, executor)
    v.flag(own, "progress", progress)
    est = capacity_estimate(saga, pattern, simulate_kwargs.get("orchestrator"))
    guess = min(est.values(), default=math.inf)
    if not math.isfinite(guess):
        raise ValueError("saturation: nothing in this saga takes time (every service time and "
                         "the orchestrator overhead are zero), so no arrival rate saturates it")
    root = checks.seed(own, seed)
    seeds = [replication_seed(root, r) for r in range(replications)]
    kwargs = dict(simulate_kwargs, saga=saga, pattern=pattern, n_sagas=n_sagas)
    kwargs.setdefault("trace", False)
    probes: list[dict] = []

    def probe(rate: float) -> bool:
        tasks = [Task(dict(kwargs, arrival_rate=rate, seed=s), warmup) for s in seeds]
        outs = run_tasks(tasks, executor=executor, progress=progress,
                         desc=f"{pattern} at {rate:.4g}/s", owner="saturation")
        for o in outs:
            if o.error is not None:
                raise o.error
        runs = pd.DataFrame([o.summary for o in outs])
        load = runs[[c for c in runs.columns if c.startswith("load_")]].mean()
        util = runs[[c for c in runs.columns if c.startswith("utilization_")]].mean()
        p99 = float(runs["latency_p99"].mean())
        value = float(load.max()) if criterion == "utilization" else p99
        ok = bool(value <= threshold)
        probes.append({"rate": rate, "sustained": ok, "value": value,
                       "throughput": float(runs["throughput"].mean()), "latency_p99": p99,
                       "load_max": float(load.max()), "utilization_max": float(util.max()),
                       "bottleneck": str(load.idxmax()).removeprefix("load_")})
        return ok

    lo, hi = 0.5 * guess, 1.25 * guess
    for _ in range(MAX_WIDEN):
        if probe(lo):
            break
        hi, lo = lo, lo / 2
    else:
        raise ValueError(f"saturation: even {lo:.4g} sagas/s misses {criterion} <= {threshold}")
    for _ in range(MAX_WIDEN):
        if not probe(hi):
            break
        lo, hi = hi, hi * 2
    else:
        raise ValueError(f"saturation: even {hi:.4g} sagas/s meets {criterion} <= {threshold}; "
                         f"nothing saturates")
    while hi - lo > rtol * hi:
        mid = 0.5 * (lo + hi)
        if probe(mid):
            lo = mid
        else:
            hi = mid
    table = pd.DataFrame(probes)
    at = table[table["rate"] == lo].iloc[-1]
    return Saturation(rate=float(lo), pattern=pattern, criterion=criterion,
                      threshold=float(threshold), bottleneck=str(at["bottleneck"]),
                      probes=table, estimate=est)
