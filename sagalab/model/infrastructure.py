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

Defaults are stated here once and shown in every repr. They are orders of
magnitude from public sources, not measurements of your system: set yours.

* **hop**: log-normal, mean 1 ms, sigma 0.5 (median 0.9 ms, p99 2.8 ms).
  A round trip inside a data centre takes about 0.5 ms on the wire (J. Dean,
  "Latency numbers every programmer should know"); HTTP handling and a
  service-mesh proxy add the rest and the tail (Istio 1.9 to 1.12 measured
  its Envoy sidecars adding 2.65 ms to a request's p90:
  https://istio.io/v1.12/docs/ops/deployment/performance-and-scalability/).
* **broker latency**: log-normal, mean 8 ms, sigma 0.6 (median 6.7 ms, p99
  27 ms), from the producer's send to the consumer's poll. Since Kafka 4.0
  a producer lingers up to 5 ms to batch records (``linger.ms``, KIP-1030;
  librdkafka has done so since 1.5), and with ``acks=all`` (the default
  since Kafka 3.0) a record is replicated before a consumer may fetch it.
  Confluent measured a p99 of 5 ms on a tuned cluster
  (https://www.confluent.io/blog/kafka-fastest-messaging-system/) and uses
  a p99 objective of 50 ms as its example
  (https://www.confluent.io/blog/configure-kafka-to-minimize-latency/);
  production tails reach seconds when a broker struggles (Allegro's produce
  requests: median a few ms, p99 up to 1 s,
  https://blog.allegro.tech/2024/03/kafka-performance-analysis.html).
* **overhead**: one orchestrator worker spending 1 ms per decision.

So a synchronous hand-over through the orchestrator (two hops and a
decision, 3 ms on average) costs less than one broker event (8 ms), and the
broker's tail is longer: the patterns do not tie by construction. Every
delay can be set to zero, or to a ``Constant``.

Each also carries its delivery semantics under faults (see
:mod:`sagalab.faults`): a call's ``timeout``, ``retries`` and ``backoff``;
the broker's at-least-once ``redelivery_p`` and its ``partitions``; the
orchestrator's ``durable_log``. Left at their defaults they cost nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import _validate as v
from .distributions import Constant, Distribution, LogNormal, as_distribution

__all__ = ["Network", "Broker", "Orchestrator"]

DEFAULT_HOP = 0.001        # seconds, mean one-way synchronous call in a data centre
DEFAULT_HOP_SIGMA = 0.5    # log-normal shape of a hop (sources in the module docstring)
DEFAULT_LATENCY = 0.008    # seconds, mean broker produce-to-consume
DEFAULT_LATENCY_SIGMA = 0.6  # log-normal shape of a broker trip (sources above)
DEFAULT_OVERHEAD = 0.001   # seconds of orchestrator CPU per decision
DEFAULT_BACKOFF = 0.05     # seconds before the first retry of a call (doubles per retry)
DEFAULT_LOG_LATENCY = 0.002  # seconds to persist a saga's state (one durable write)


@dataclass(frozen=True)
class Network:
    """Synchronous calls: ``hop`` is the one-way latency of one request or reply.

    Parameters
    ----------
    hop : Distribution or float
        One-way latency of a request or a reply, seconds (default log-normal,
        mean 1 ms: see the module docstring for the sources).
    timeout : float or None
        Seconds a caller (the orchestrator) waits for a reply before it gives
        the call up; ``None`` waits for ever. A reply that comes later is
        recorded as late and ignored.
    retries : int
        How often a call that timed out or was refused (service down) is
        sent again before the saga compensates; at most ``MAX_RETRIES`` (100).
    backoff : Distribution or float
        Wait before the first retry, seconds; it doubles with each retry.

    Examples
    --------
    >>> import sagalab as sl
    >>> sl.Network(hop=0.01).hop
    Constant(value=0.01)
    >>> sl.Network(timeout=0.5, retries=2).retries
    2
    """

    hop: Distribution = LogNormal(DEFAULT_HOP, DEFAULT_HOP_SIGMA)
    timeout: float | None = None
    retries: int = 0
    backoff: Distribution = Constant(DEFAULT_BACKOFF)

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "hop", as_distribution("Network", "hop", self.hop))
        if self.timeout is not None:
            set_(self, "timeout", v.seconds("Network", "timeout", self.timeout, low_open=True))
        set_(self, "retries", v.count("Network", "retries", self.retries, low=0,
                                      high=v.MAX_RETRIES, limit="MAX_RETRIES"))
        set_(self, "backoff", as_distribution("Network", "backoff", self.backoff))


@dataclass(frozen=True)
class Broker:
    """Asynchronous events: ``latency`` from publish to consumption.

    Parameters
    ----------
    latency : Distribution or float
        Produce-to-consume delay of one event, seconds (default log-normal,
        mean 8 ms: see the module docstring for the sources).
    redelivery_p : float
        Probability an event is delivered a second time (at-least-once
        delivery: the consumer's acknowledgement was lost). A consumer that
        is not idempotent applies its effect again.
    partitions : int or None
        ``None``: the broker is a pure delay. An int: each service consumes
        its events from this many partitions (keyed by saga id), each in
        order by one consumer: a slow event holds up the ones behind it, and
        a service works on at most ``partitions`` events at once. At most
        ``MAX_PARTITIONS`` (10,000).
    commit_every : int
        A consumer commits its position (its offset) after every
        ``commit_every`` messages it has worked (1: after each, as a consumer
        that acknowledges every message). When its service crashes, what it
        consumed since its last commit is delivered again after recovery:
        duplicates in a batch, as in Kafka after a crash or a rebalance.
    commit_interval : float or None
        Seconds between commits instead (Kafka's ``auto.commit.interval.ms``,
        5 s by default there); ``None`` commits by count (at most
        ``MAX_COMMIT_EVERY``, 1,000,000 messages).

    Examples
    --------
    >>> import sagalab as sl
    >>> sl.Broker(latency=0).latency.is_zero
    True
    >>> sl.Broker(redelivery_p=0.01, partitions=4).partitions
    4
    """

    latency: Distribution = LogNormal(DEFAULT_LATENCY, DEFAULT_LATENCY_SIGMA)
    redelivery_p: float = 0.0
    partitions: int | None = None
    commit_every: int = 1
    commit_interval: float | None = None

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "latency", as_distribution("Broker", "latency", self.latency))
        set_(self, "redelivery_p", v.probability("Broker", "redelivery_p", self.redelivery_p))
        if self.partitions is not None:
            set_(self, "partitions", v.count("Broker", "partitions", self.partitions,
                                             high=v.MAX_PARTITIONS, limit="MAX_PARTITIONS"))
        set_(self, "commit_every", v.count("Broker", "commit_every", self.commit_every,
                                           high=v.MAX_COMMIT_EVERY, limit="MAX_COMMIT_EVERY"))
        if self.commit_interval is not None:
            set_(self, "commit_interval", v.seconds("Broker", "commit_interval",
                                                    self.commit_interval, low_open=True))


@dataclass(frozen=True)
class Orchestrator:
    """The central coordinator of orchestration: ``capacity`` workers, ``overhead`` per decision.

    Parameters
    ----------
    capacity : int
        Workers making decisions in parallel.
    overhead : Distribution or float
        CPU time of one decision, seconds.
    durable_log : bool
        Persist each saga's state with every decision (like Temporal's
        history). After a crash (an ``Outage`` of ``"orchestrator"``) the
        sagas in flight resume from their last persisted step; without the
        log their state is lost and they end ``"stuck"``.
    log_latency : Distribution or float
        Time of one durable write, added to every decision when
        ``durable_log`` is on, seconds.
    compensate_unknown : bool
        A call that gave up without knowing whether the service acted (it
        timed out, or the connection broke): ``True`` compensates that step
        too (its compensation is a no-op if nothing was done), as real saga
        engines do. ``False`` replays the seed's orchestrator, which records a
        step only after its call returns: the effect of a call that timed out
        after acting is never compensated.

    Examples
    --------
    >>> import sagalab as sl
    >>> sl.Orchestrator(capacity=4, overhead=0.002).capacity
    4
    >>> sl.Orchestrator(durable_log=True).log_latency
    Constant(value=0.002)
    """

    capacity: int = 1
    overhead: Distribution = Constant(DEFAULT_OVERHEAD)
    durable_log: bool = False
    log_latency: Distribution = Constant(DEFAULT_LOG_LATENCY)
    compensate_unknown: bool = True

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "capacity", v.count("Orchestrator", "capacity", self.capacity,
                                       high=v.MAX_WORKERS, limit="MAX_WORKERS"))
        set_(self, "overhead", as_distribution("Orchestrator", "overhead", self.overhead))
        set_(self, "durable_log", v.flag("Orchestrator", "durable_log", self.durable_log))
        set_(self, "log_latency",
             as_distribution("Orchestrator", "log_latency", self.log_latency))
        set_(self, "compensate_unknown",
             v.flag("Orchestrator", "compensate_unknown", self.compensate_unknown))
