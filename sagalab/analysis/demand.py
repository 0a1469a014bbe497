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

The walk follows the pattern's stages and parallel units (as the simulator
runs them) through every combination of outcomes, weighting each by its
probability. Conditions are evaluated on ``draws`` draws of the saga's
attributes (the only estimated part: a fixed seed, so the answer is
reproducible). Faults are not modelled here: no outages, timeouts or
redeliveries, which add work the theory does not count.
"""
from __future__ import annotations

import math
from itertools import product

import numpy as np
import pandas as pd

from ..model.infrastructure import Broker, Orchestrator
from ..model.specs import Saga
from ..sim.catalogue import check_pattern, stages_of, units_of

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
            rows = zip(*(attrs[name].tolist() for name in attrs))
            runs[:, k] = [bool(when(dict(zip(attrs, row)))) for row in rows]
    sets, counts = np.unique(runs, axis=0, return_counts=True)
    return {tuple(bool(x) for x in row): c / draws for row, c in zip(sets, counts)}


class _Walk:
    """Expected visits per saga, accumulated over every path of one run set."""

    def __init__(self, saga: Saga, pattern: str):
        self.steps, self.n = saga.steps, len(saga.steps)
        self.orch = pattern != "choreography"
        self.stage = stages_of(saga, pattern)
        self.units = units_of(saga, pattern, self.stage)
        self.reached = np.zeros(self.n)       # first attempts of each step
        self.forward = np.zeros(self.n)       # attempts of each step
        self.compensate = np.zeros(self.n)    # tries of each step's compensation
        self.decisions = 0.0

    def cross(self, a: int, b: int) -> int:
        """Decisions on the way from step ``a`` (-1: start) to step ``b`` (n: the end)."""
        same = 0 <= a and b < self.n and self.stage[a] == self.stage[b]
        return int(self.orch and not same)

    def attempt(self, k: int, w: float) -> None:
        s = self.steps[k]
        self.reached[k] += w
        if s.kind != "retriable":
            self.forward[k] += w
            return
        attempts = 1.0 / (1.0 - s.failure_p)  # retried until it succeeds
        self.forward[k] += w * attempts
        first = self.stage.index(self.stage[k]) == k  # else the stage retries it locally
        self.decisions += w * (attempts - 1.0) * (self.orch and first)

    def undo(self, order: list, w: float) -> None:
        """Compensate ``order`` (latest first); each answer travels back to the next one."""
        for i, k in enumerate(order):
            s = self.steps[k]
            tries = sum(s.compensation_failure_p ** t for t in range(1 + s.compensation_retries))
            self.compensate[k] += w * tries
            nxt = order[i + 1] if i + 1 < len(order) else -1
            self.decisions += w * tries * self.cross(nxt, k)

    def walk(self, runs, w: float, ui: int = 0, last: int = -1, joined: bool = False,
             done: tuple = ()) -> None:
        if w <= 0.0:
            return
        if ui == len(self.units):
            self.decisions += w * (0 if joined else self.cross(last, self.n))
            return
        unit = self.units[ui]
        members = [k for k in unit if runs[k]]
        if not members:
            self.walk(runs, w, ui + 1, last, joined, done)
        elif len(unit) == 1:
            k = unit[0]
            self.decisions += w * (0 if joined else self.cross(last, k))
            self.attempt(k, w)
            p = 0.0 if self.steps[k].kind == "retriable" else self.steps[k].failure_p
            self.walk(runs, w * (1.0 - p), ui + 1, k, False, done + (k,))
            if p > 0.0:
                self.decisions += w * p * self.cross(done[-1] if done else -1, k)
                self.undo(list(done[::-1]), w * p)
        else:  # a parallel unit: one decision fans out, each reply is a decision
            self.decisions += w * (0 if joined else self.orch)
            for k in members:
                self.attempt(k, w)
                self.decisions += w * self.orch
            fallible = [k for k in members if self.steps[k].kind != "retriable"]
            for oks in product((True, False), repeat=len(fallible)):
                p = math.prod(1 - self.steps[k].failure_p if ok else self.steps[k].failure_p
                              for k, ok in zip(fallible, oks))
                if all(oks):
                    self.walk(runs, w * p, ui + 1, -1, True, done + tuple(members))
                else:
                    kept = [k for k in members if k not in fallible or oks[fallible.index(k)]]
                    self.undo(list((done + tuple(kept))[::-1]), w * p)


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
    walk = _Walk(saga, pattern)
    for runs, p in _run_sets(saga, draws).items():
        walk.walk(runs, p)
    rows = {}
    for k, s in enumerate(saga.steps):
        cap = s.capacity
        if pattern == "choreography" and broker.partitions is not None:
            cap = min(cap, broker.partitions)
        rows[s.name] = {"reach": walk.reached[k], "visits": walk.forward[k] + walk.compensate[k],
                        "demand": walk.forward[k] * s.service_time.mean
                        + walk.compensate[k] * s.compensation.mean, "capacity": cap}
    if saga.initiator_time is not None:
        rows[saga.initiator] = {"reach": 1.0, "visits": 2.0,
                                "demand": 2.0 * saga.initiator_time.mean,
                                "capacity": saga.initiator_capacity}
    if pattern != "choreography":
        per = orchestrator.overhead.mean + (orchestrator.log_latency.mean
                                            if orchestrator.durable_log else 0.0)
        rows["orchestrator"] = {"reach": 1.0, "visits": walk.decisions,
                                "demand": walk.decisions * per,
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
