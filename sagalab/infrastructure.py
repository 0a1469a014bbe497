"""The infrastructure a saga's messages cross: the network, the broker, the orchestrator.

* :class:`Network`: a synchronous hop (HTTP request or reply) takes ``hop``
  seconds one way. Orchestration sends every command and reply over it.
* :class:`Broker`: an event (Kafka record) takes ``latency`` seconds from
  the producer's publish to the consumer's poll. Choreography sends every
  event through it.
* :class:`Orchestrator`: the central coordinator. Each *decision* (start the
  saga, read a reply and choose the next command) occupies one of its
  ``capacity`` workers for ``overhead`` seconds. While a saga waits for a
  service's reply it holds no worker (the coordinator is asynchronous
  inside, like Temporal or Camunda), so it becomes a bottleneck only
  through its decisions: with ``d`` decisions per saga it saturates at
  ``capacity / (d * overhead)`` sagas per second.

Defaults are stated here once and shown in every repr: a 2 ms hop inside a
data centre, a 5 ms broker latency, one orchestrator worker spending 1 ms
per decision. Every one can be set to zero.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import _validate as v
from .distributions import Constant, Distribution, as_distribution

__all__ = ["Network", "Broker", "Orchestrator"]

DEFAULT_HOP = 0.002        # seconds, one-way synchronous call in a data centre
DEFAULT_LATENCY = 0.005    # seconds, broker produce-to-consume
DEFAULT_OVERHEAD = 0.001   # seconds of orchestrator CPU per decision


@dataclass(frozen=True)
class Network:
    """Synchronous calls: ``hop`` is the one-way latency of one request or reply.

    Examples
    --------
    >>> import sagalab as sl
    >>> sl.Network(hop=0.01).hop
    Constant(value=0.01)
    """

    hop: Distribution = Constant(DEFAULT_HOP)

    def __post_init__(self):
        object.__setattr__(self, "hop", as_distribution("Network", "hop", self.hop))


@dataclass(frozen=True)
class Broker:
    """Asynchronous events: ``latency`` from publish to consumption.

    Examples
    --------
    >>> import sagalab as sl
    >>> sl.Broker(latency=0).latency.is_zero
    True
    """

    latency: Distribution = Constant(DEFAULT_LATENCY)

    def __post_init__(self):
        object.__setattr__(self, "latency", as_distribution("Broker", "latency", self.latency))


@dataclass(frozen=True)
class Orchestrator:
    """The central coordinator of orchestration: ``capacity`` workers, ``overhead`` per decision.

    Examples
    --------
    >>> import sagalab as sl
    >>> sl.Orchestrator(capacity=4, overhead=0.002).capacity
    4
    """

    capacity: int = 1
    overhead: Distribution = Constant(DEFAULT_OVERHEAD)

    def __post_init__(self):
        object.__setattr__(self, "capacity", v.count("Orchestrator", "capacity", self.capacity))
        object.__setattr__(self, "overhead",
                           as_distribution("Orchestrator", "overhead", self.overhead))
