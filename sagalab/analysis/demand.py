"""How much work one saga brings to each station, by theory: visit ratios and saturation.

A saga does not visit every station once. In the seed's shop a saga reaches
shipping only if payment and inventory succeeded (about 92 % of them); a
step is compensated only when a later step fails; a retriable step is
attempted until it succeeds; a step whose condition is false is skipped (its
service does no work, even where it passes the event on); the orchestrator
makes one decision to start and one per reply it reads. Multiply each
station's *visits per saga* by the mean time of a visit and you have its
*demand* ``D``: seconds of work per saga. A station with ``c`` workers keeps
up while ``arrival_rate * D <= c``, so the highest sustainable arrival rate
is ``min over stations of c / D``, and the station that attains it is the
bottleneck (the bottleneck law of operational analysis: Denning and Buzen,
"The operational analysis of queueing network models", ACM Computing
Surveys 10(3), 1978).

The visits are counted on every path a saga can take, exactly as the
simulator runs it (:mod:`sagalab.sim.paths` walks one saga per path through
the engine, alone), and weighted by the path's probability: an exact
expectation, not a sample. A retriable step's retries add, per expected
retry (``p / (1 - p)``), what one retry adds to a path. Conditions are
evaluated on ``draws`` draws of the saga's attributes (the only estimated
part: a fixed seed, so the answer is reproducible). Faults are not modelled
here: no outages, timeouts or redeliveries, which add work the theory does
not count.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..model.infrastructure import Broker, Orchestrator
from ..model.specs import Saga
from ..sim import paths
from ..sim.catalogue import build_catalogue, check_pattern

__all__ = ["station_demand", "saturation_rate"]

ATTRIBUTE_DRAWS = 20_000  # draws of a saga's attributes to weigh its conditions
_INFRA = ("network", "broker", "orchestrator", "transport")


def _run_sets(saga: Saga, draws: int) -> dict:
    """``{runs: probability}``: which steps run (a tuple of bools), over attribute draws."""
    conditional = [k for k, s in enumerate(saga.steps) if s.when is not None]
    if not conditional:
        return {(True,) * len(saga.steps): 1.0}
    rng = np.random.default_rng(0)
    attrs = {name: dist.sample(rng, draws) for name, dist in saga.attributes}
    runs = np.ones((draws, len(saga.steps)), dtype=bool)
    for k in conditional:
        when = saga.steps[k].when
        if hasattr(when, "mask"):
            runs[:, k] = when.mask(attrs)
        else:  # a plain predicate, one draw at a time
            names = list(attrs)
            rows = ([dict(zip(names, row)) for row in zip(*(attrs[a].tolist() for a in names))]
                    if names else [{}] * draws)
            runs[:, k] = [bool(when(row)) for row in rows]
    sets, counts = np.unique(runs, axis=0, return_counts=True)
    return {tuple(bool(x) for x in row): c / draws for row, c in zip(sets, counts)}


def expected_visits(cat, run_sets: dict):
    """Expected ``(forward visits, compensation visits, reach)`` per station of ``cat``.

    ``reach``: the probability a saga visits the station going forward.

    Stations: the steps' services, the initiator, the orchestrator (whose
    visits are decisions). Every path is walked with forward work of 1 s and
    compensations of 0 s, so a station's busy time counts its forward visits.
    """
    ws = paths.worlds(cat, run_sets, variants=False, exact=True)
    for w in ws:
        w.draw.comp = [0.0] * cat.n
    p = np.array([w.p for w in ws])
    base = paths.walk(cat, [w.draw for w in ws])
    served, busy = base.visits, base.busy
    fwd, total, reach = p @ busy, p @ served, p @ (busy > 0)
    for k, s in enumerate(cat.saga.steps):  # retries: linear in their number
        if s.kind != "retriable" or s.failure_p <= 0:
            continue
        for w in ws:
            w.draw.retry = [list(x) for x in w.draw.retry]
            w.draw.retry[k] = [1.0]
        once = paths.walk(cat, [w.draw for w in ws])
        for w in ws:
            w.draw.retry[k] = []
        extra = s.failure_p / (1.0 - s.failure_p)
        fwd = fwd + extra * (p @ (once.busy - busy))
        total = total + extra * (p @ (once.visits - served))
    return fwd, total - fwd, reach


def station_demand(saga: Saga, pattern: str, *, network=None, broker: Broker | None = None,
                   orchestrator: Orchestrator | None = None, transport: str = "sync",
                   draws: int = ATTRIBUTE_DRAWS) -> pd.DataFrame:
    """Visits, work and saturation rate of every station of ``saga`` under ``pattern``, by theory.

    Parameters
    ----------
    saga : Saga
    pattern : {"choreography", "orchestration", "hybrid"}
    network, broker, orchestrator, transport
        As for :func:`sagalab.simulate`. Only what limits throughput matters:
        the orchestrator's ``capacity``, ``overhead`` and ``durable_log``
        (each decision then also writes ``log_latency``), and the broker's
        ``partitions`` (a choreographed service works on at most that many
        events at once). Delays (hops, broker latency) do not.
    draws : int
        Draws of the saga's attributes used to weigh its conditions.

    Returns
    -------
    pandas.DataFrame
        One row per station (the steps, the initiator, the orchestrator when
        the pattern has one): ``reach`` (probability a saga visits it at
        least once going forward; 1 for the initiator and orchestrator),
        ``visits`` (expected visits per saga: attempts, compensation tries,
        two for the initiator, decisions for the orchestrator), ``demand``
        (seconds of work per saga), ``capacity`` (workers that can work at
        once) and ``limit`` (sagas/s at which the station is fully busy,
        ``capacity / demand``).

    Examples
    --------
    >>> import sagalab as sl
    >>> d = sl.theory.station_demand(sl.scenarios.ecommerce(), "orchestration")
    >>> round(float(d.loc["shipping", "reach"]), 4)  # (1 - 0.05) x (1 - 0.03)
    0.9215
    >>> round(float(d.loc["shipping", "limit"]), 1)  # 1 / (0.9215 x 20 ms)
    54.3
    """
    check_pattern(pattern, transport, "station_demand")
    orchestrator = orchestrator or Orchestrator()
    broker = broker or Broker()
    cat = build_catalogue(saga, pattern, transport)
    fwd, comp, reach = expected_visits(cat, _run_sets(saga, draws))
    chained = {k for st in cat.stages if not st.call for k in st.steps}
    consumes = pattern == "choreography" or transport == "async"
    rows = {}
    for k, s in enumerate(saga.steps):
        cap = s.capacity
        if broker.partitions is not None and (consumes or k in chained):
            cap = min(cap, broker.partitions)
        rows[s.name] = {"reach": reach[k], "visits": fwd[k] + comp[k],
                        "demand": fwd[k] * s.service_time.mean + comp[k] * s.compensation.mean,
                        "capacity": cap}
    n = cat.n
    if saga.initiator_time is not None:
        rows[saga.initiator] = {"reach": 1.0, "visits": fwd[n] + comp[n],
                                "demand": (fwd[n] + comp[n]) * saga.initiator_time.mean,
                                "capacity": saga.initiator_capacity}
    if pattern != "choreography":
        per = orchestrator.overhead.mean + (orchestrator.log_latency.mean
                                            if orchestrator.durable_log else 0.0)
        decisions = fwd[n + 1] + comp[n + 1]
        rows["orchestrator"] = {"reach": 1.0, "visits": decisions,
                                "demand": decisions * per,
                                "capacity": orchestrator.capacity}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "station"
    with np.errstate(divide="ignore"):
        table["limit"] = np.where(table["demand"] > 0,
                                  table["capacity"] / table["demand"].where(table["demand"] > 0),
                                  math.inf)
    return table


def saturation_rate(saga: Saga, pattern: str, **infrastructure) -> float:
    """The highest arrival rate (sagas/s) ``pattern`` sustains, by theory with visit ratios.

    ``min(capacity / demand)`` over the stations of :func:`station_demand`:
    the rate at which the bottleneck station is busy all the time. The
    simulated counterpart is :func:`sagalab.saturation`.

    Parameters
    ----------
    saga : Saga
    pattern : {"choreography", "orchestration", "hybrid"}
    **infrastructure
        ``network``, ``broker``, ``orchestrator``, ``transport``, as for
        :func:`sagalab.simulate`.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        For a keyword that is not infrastructure.

    Examples
    --------
    >>> import sagalab as sl
    >>> saga = sl.scenarios.ecommerce()
    >>> round(sl.theory.saturation_rate(saga, "choreography"), 1)  # shipping, 92 % reach it
    54.3
    >>> slow = sl.Orchestrator(overhead=0.010)  # 3.92 decisions x 10 ms per saga
    >>> round(sl.theory.saturation_rate(saga, "orchestration", orchestrator=slow), 1)
    25.5
    """
    unknown = sorted(set(infrastructure) - set(_INFRA))
    if unknown:
        raise TypeError(f"saturation_rate: unexpected {unknown}; infrastructure is "
                        f"{list(_INFRA)}")
    return float(station_demand(saga, pattern, **infrastructure)["limit"].min())
