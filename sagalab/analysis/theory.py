"""Closed forms from queueing theory, for checking the simulator (and for teaching).

* M/M/1: mean sojourn ``1 / (mu - lambda)``.
* M/M/c: Erlang C probability of waiting and mean sojourn.
* Jackson tandem: with Poisson arrivals and exponential services, each
  station of a line behaves as an independent M/M/c, so the mean end-to-end
  time is the sum of the stations' sojourns.
* Compensation: a saga whose ``k`` steps fail independently with ``p_j``
  is compensated with probability ``1 - prod(1 - p_j)``.
* Coordinator saturation: ``capacity / (decisions * overhead)`` sagas per second.
* Messaging time: what a completed saga of ``n`` steps spends in messages and
  decisions when nothing queues: ``(n + 1)`` broker latencies in choreography,
  ``(n + 1)`` x (two hops + one decision) in orchestration (two broker
  latencies + one decision when its transport is asynchronous).
* Dead letters: a compensation whose every try fails with ``q``, tried
  ``1 + retries`` times, is parked with probability ``q ** (1 + retries)``.
* Saturation with routing (:func:`station_demand`, :func:`saturation_rate`):
  not every saga visits every station. A saga reaches shipping only if
  payment and inventory succeeded; a step is compensated only when a later
  one fails; the orchestrator decides once per reply. Each station's *visit
  ratio* (expected visits per saga) times its mean work gives its demand
  ``D`` (seconds of work per saga), and a station with ``c`` workers keeps up
  while ``lambda * D <= c``: the network saturates at ``min(c / D)``
  (the bottleneck law of operational analysis).
"""
from __future__ import annotations

import math

from ..model import _validate as v
from ..model.infrastructure import Broker, Network, Orchestrator
from .demand import saturation_rate, station_demand

__all__ = ["erlang_c", "mmc_sojourn", "mm1_sojourn", "tandem_sojourn", "p_compensated",
           "coordinator_saturation", "messaging_time", "p_dead_letter", "station_demand",
           "saturation_rate", "MAX_SERVERS"]

MAX_SERVERS = 170  # servers erlang_c takes: 171! overflows a float


def erlang_c(c: int, offered: float) -> float:
    """Probability an arrival waits in M/M/c with offered load ``offered`` = lambda/mu Erlangs.

    >>> round(erlang_c(1, 0.5), 3)
    0.5
    """
    c = v.count("erlang_c", "c", c, high=MAX_SERVERS, limit="MAX_SERVERS: the factorials "
                "overflow floats beyond")
    offered = v.real("erlang_c", "offered", offered, what="a load >= 0 Erlangs")
    if offered >= c:
        raise ValueError(f"offered load {offered} must be below the {c} servers (unstable)")
    term = sum(offered ** k / math.factorial(k) for k in range(c))
    top = offered ** c / math.factorial(c) * c / (c - offered)
    return top / (term + top)


def mmc_sojourn(arrival_rate: float, mean_service: float, c: int) -> float:
    """Mean time in an M/M/c station (waiting plus service), seconds.

    >>> round(mmc_sojourn(0.5, 1.0, 1), 6)  # M/M/1: 1 / (1 - 0.5)
    2.0
    """
    v.real("mmc_sojourn", "arrival_rate", arrival_rate, what="a rate >= 0 per second")
    v.real("mmc_sojourn", "mean_service", mean_service, low_open=True,
           what="a time > 0 seconds")
    mu = 1.0 / mean_service
    wq = erlang_c(c, arrival_rate * mean_service) / (c * mu - arrival_rate)
    return wq + mean_service


def mm1_sojourn(arrival_rate: float, mean_service: float) -> float:
    """Mean time in an M/M/1 station, ``1 / (mu - lambda)``."""
    return mmc_sojourn(arrival_rate, mean_service, 1)


def tandem_sojourn(arrival_rate: float, stations) -> float:
    """Mean end-to-end time through a Jackson tandem of ``(mean_service, c)`` stations."""
    stations = v.sequence("tandem_sojourn", "stations", stations, "(mean_service, c) pairs",
                          limit=v.MAX_STEPS)
    for i, st in enumerate(stations):
        if not (isinstance(st, (tuple, list)) and len(st) == 2):
            raise TypeError(f"tandem_sojourn: stations[{i}] must be a (mean_service, c) pair, "
                            f"got {v._got(st)}")
    return sum(mmc_sojourn(arrival_rate, s, c) for s, c in stations)


def p_compensated(failure_ps) -> float:
    """Probability that some step fails (the saga is compensated, or ends in dlq)."""
    ps = v.sequence("p_compensated", "failure_ps", failure_ps, "probabilities",
                    limit=v.MAX_STEPS)
    return 1.0 - math.prod(1.0 - v.probability("p_compensated", f"failure_ps[{i}]", p)
                           for i, p in enumerate(ps))


def coordinator_saturation(capacity: int, overhead: float, decisions: float) -> float:
    """Sagas per second at which a coordinator's decisions use all its workers."""
    v.count("coordinator_saturation", "capacity", capacity)
    v.real("coordinator_saturation", "overhead", overhead, low_open=True,
           what="a time > 0 seconds")
    v.real("coordinator_saturation", "decisions", decisions, low_open=True,
           what="a number > 0 of decisions per saga")
    return capacity / (decisions * overhead)


def messaging_time(pattern: str, n_steps: int, *, hop: float | None = None,
                   broker_latency: float | None = None, overhead: float | None = None,
                   transport: str = "sync") -> float:
    """Mean seconds a completed saga spends in messages and decisions when nothing queues.

    A saga of ``n_steps`` steps makes ``n_steps + 1`` hand-overs (start, each
    step to the next, the last step to the initiator). In choreography each is
    one broker event (``broker_latency``); in orchestration a reply and a
    command with one orchestrator decision (``overhead``) between them, each
    a synchronous ``hop`` (``transport="sync"``) or a trip through the broker
    (``"async"``: command/reply messaging). Each delay left at ``None`` is the
    mean of the default in :mod:`sagalab.model.infrastructure` (hop 1 ms,
    broker 8 ms, decision 1 ms); a time is a mean, so this is the mean
    messaging time also when the delays are random.

    >>> round(messaging_time("choreography", 3), 6)  # 4 events x 8 ms
    0.032
    >>> round(messaging_time("orchestration", 3), 6)  # 4 x (2 x 1 ms + 1 ms)
    0.012
    >>> round(messaging_time("orchestration", 3, transport="async"), 6)  # 4 x (2 x 8 + 1) ms
    0.068
    """
    if not isinstance(transport, str) or transport not in ("sync", "async"):
        raise ValueError(f"messaging_time: transport must be 'sync' or 'async', "
                         f"got {v.short(transport)}")
    v.count("messaging_time", "n_steps", n_steps, low=0, high=v.MAX_STEPS, limit="MAX_STEPS")
    hop = Network().hop.mean if hop is None else hop
    broker_latency = Broker().latency.mean if broker_latency is None else broker_latency
    overhead = Orchestrator().overhead.mean if overhead is None else overhead
    for name, x in (("hop", hop), ("broker_latency", broker_latency), ("overhead", overhead)):
        v.seconds("messaging_time", name, x)
    transfers = n_steps + 1
    if pattern == "choreography":
        if transport != "sync":
            raise ValueError("messaging_time: choreography's events always use the broker; "
                             "leave transport at 'sync'")
        return transfers * broker_latency
    if pattern == "orchestration":
        leg = hop if transport == "sync" else broker_latency
        return transfers * (2 * leg + overhead)
    raise ValueError(f"messaging_time: pattern must be 'choreography' or 'orchestration', "
                     f"got {v.short(pattern)}")


def p_dead_letter(failure_p: float, retries: int = 0, compensations: int = 1) -> float:
    """Probability that a saga with ``compensations`` to run ends in the dead-letter queue.

    Each try of a compensation fails independently with ``failure_p``; a
    compensation is tried ``1 + retries`` times before it is parked, so it is
    parked with ``failure_p ** (1 + retries)``, and the saga ends ``"dlq"``
    when any of its compensations is parked.

    >>> round(p_dead_letter(0.2), 3), round(p_dead_letter(0.2, retries=2), 4)
    (0.2, 0.008)
    >>> round(p_dead_letter(0.5, compensations=2), 2)  # 1 - (1 - 0.5) ** 2
    0.75
    """
    v.probability("p_dead_letter", "failure_p", failure_p)
    v.count("p_dead_letter", "retries", retries, low=0)
    v.count("p_dead_letter", "compensations", compensations, low=0)
    parked = failure_p ** (1 + retries)
    return 1.0 - (1.0 - parked) ** compensations
