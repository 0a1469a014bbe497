"""Links: how a message travels, over a network hop or through the broker.

Every message a saga sends crosses one link. A **network hop** (a
synchronous request or reply) takes ``Network.hop``; the **broker** takes
``Broker.latency`` from publish to the consumer's poll, and while the broker
is down (an ``Outage("broker", ...)``) it holds every event published during
the outage, or in transit when it began, until it recovers. A local hand-off
(parking a message in the dead-letter queue) takes no time.

:func:`send` returns when the message arrives, counts it, adds its time to
the saga's accumulator (the wire or the broker as ``transit``, a hold as
``fault_wait``) and, when the run is traced, records it in the event log.
It never waits: the saga process decides when to be where (see
:mod:`sagalab.sim.saga`).
"""
from __future__ import annotations

from ..model.faults import BROKER
from .record import F, T

__all__ = ["Delay", "send"]


class Delay:
    """Draws one delay: a constant, or from a sampler (see :mod:`sagalab.sim.draws`)."""

    __slots__ = ("const", "sampler")

    def __init__(self, const_or_sampler):
        self.const, self.sampler = const_or_sampler

    def __call__(self) -> float:
        return self.const if self.sampler is None else self.sampler()


def send(eng, r, acc, mid: int, t: float, channel: int) -> float:
    """Send message ``mid`` of saga ``r`` at ``t`` over ``channel``; return its arrival.

    ``channel``: 0 network hop, 1 broker, 2 local.
    """
    if channel == 1:
        d = eng.latency()
        arrive = t + d
        plan = eng.broker_plan
        if plan is not None:
            p = plan.up_at(BROKER, t)  # published once the broker is up
            arrive = p + d
            crash = plan.next_crash(BROKER, p)
            if crash < arrive:  # in transit when it went down: held until it recovers
                arrive = plan.up_at(BROKER, crash)
            acc[F] += arrive - t - d
    elif channel == 0:
        d = eng.hop()
        arrive = t + d
    else:
        d, arrive = 0.0, t
    acc[T] += d
    r.messages += 1
    if eng.trace:
        eng.events.extend((t, arrive, r.sid, mid))
    return arrive
