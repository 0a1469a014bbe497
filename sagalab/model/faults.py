"""Infrastructure faults: outages of a service, the orchestrator or the broker.

The foundation's sagas only fail on business rules (a declined card). Real
sagas also meet *technical* faults, and that is where the two patterns part:

* An :class:`Outage` of a step's **service** (Payment is down from ``start``
  for ``duration`` seconds). The work it was doing at the crash had
  committed but not yet replied or published; requests that arrive while it
  is down are refused (orchestration: the call fails, is retried with
  backoff, then the saga compensates) or wait in the broker until it is back
  (choreography: nothing is lost, only delayed). A crashed service's event
  survives in its transactional outbox, or is lost with a dual write
  (``Step(outbox=False)``).
* An outage of the **orchestrator**: the single point of failure. Sagas in
  flight stop; with ``Orchestrator(durable_log=True)`` they resume from
  their last persisted step after recovery, without it they end ``"stuck"``
  with some steps applied (money charged, no order). Choreography has no
  orchestrator to lose.
* An outage of the **broker** delays every event of choreography until it
  recovers; orchestration's synchronous calls do not use it.

A list of outages is a *fault plan*, passed as ``sl.simulate(...,
faults=[...])``. Outages are known up front (the same plan replays
exactly), so the simulator asks the plan "is Payment up at time t, and when
does it next crash?" instead of interrupting processes.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from . import _validate as v

__all__ = ["Outage", "FaultPlan", "ORCHESTRATOR", "BROKER"]

ORCHESTRATOR, BROKER = "orchestrator", "broker"


@dataclass(frozen=True)
class Outage:
    """``target`` is down from ``start`` for ``duration`` seconds (simulation time).

    Parameters
    ----------
    target : str
        A step's service (e.g. ``"payment"``), ``"orchestrator"`` or ``"broker"``.
    start : float
        When it crashes, seconds after the run began (>= 0, at most ``MAX_VALUE``).
    duration : float
        How long it stays down, seconds (> 0, at most ``MAX_VALUE``).

    Examples
    --------
    >>> import sagalab as sl
    >>> o = sl.Outage("payment", start=2.0, duration=0.5)
    >>> o.end
    2.5
    """

    target: str
    start: float
    duration: float

    def __post_init__(self):
        v.text("Outage", "target (a step's service, 'orchestrator' or 'broker')", self.target)
        object.__setattr__(self, "start", v.seconds("Outage", "start", self.start))
        object.__setattr__(self, "duration", v.seconds("Outage", "duration", self.duration,
                                                       low_open=True))

    @property
    def end(self) -> float:
        return self.start + self.duration


class FaultPlan:
    """The outages of one run, checked against the saga, as sorted windows per target.

    Raises
    ------
    ValueError
        For an unknown target or two overlapping outages of one target.
    TypeError
        When ``faults`` is not a sequence of :class:`Outage`.

    Examples
    --------
    >>> import sagalab as sl
    >>> saga = sl.scenarios.ecommerce()
    >>> plan = FaultPlan([sl.Outage("payment", 1, 2)], saga)
    >>> plan.up_at("payment", 1.5), plan.up_at("payment", 4.0), plan.next_crash("payment", 0)
    (3.0, 4.0, 1.0)
    """

    def __init__(self, faults, saga):
        if faults is None:
            faults = ()
        if isinstance(faults, Outage) or isinstance(faults, (str, bytes)) \
                or not hasattr(faults, "__iter__"):
            raise TypeError(f"simulate: faults must be a list of Outage, got {v._got(faults)}")
        faults = tuple(faults)
        allowed = list(saga.step_names) + [ORCHESTRATOR, BROKER]
        by_target: dict[str, list[Outage]] = {}
        for i, o in enumerate(faults):
            if not isinstance(o, Outage):
                raise TypeError(f"simulate: faults[{i}] must be an Outage, "
                                f"got {v._got(o)}")
            if o.target not in allowed:
                raise ValueError(f"simulate: faults[{i}] has target {o.target!r}, which is "
                                 f"not in this saga; allowed targets are {allowed}")
            by_target.setdefault(o.target, []).append(o)
        self.outages = faults
        self._starts: dict[str, list[float]] = {}
        self._ends: dict[str, list[float]] = {}
        for target, outs in by_target.items():
            outs.sort(key=lambda o: o.start)
            for a, b in zip(outs, outs[1:]):
                if b.start < a.end:
                    raise ValueError(f"simulate: faults overlap: {a} and {b} both take "
                                     f"{target!r} down at {b.start:g} s; merge them into one "
                                     f"Outage")
            self._starts[target] = [o.start for o in outs]
            self._ends[target] = [o.end for o in outs]

    def __bool__(self) -> bool:
        return bool(self.outages)

    def hits(self, target: str) -> bool:
        """Whether any outage takes ``target`` down."""
        return target in self._starts

    def up_at(self, target: str, t: float) -> float:
        """``t`` if ``target`` is up at ``t``, else the end of its outage (down in [start, end))."""
        starts = self._starts.get(target)
        if starts is None:
            return t
        ends = self._ends[target]
        i = bisect.bisect_right(starts, t) - 1
        while i >= 0 and i < len(starts) and starts[i] <= t < ends[i]:
            t = ends[i]
            i += 1
        return t

    def down_time(self, target: str, a: float, b: float) -> float:
        """Seconds of ``[a, b)`` during which ``target`` was down.

        >>> import sagalab as sl
        >>> plan = FaultPlan([sl.Outage("payment", 1, 2)], sl.scenarios.ecommerce())
        >>> plan.down_time("payment", 0, 2), plan.down_time("payment", 0, 9)
        (1.0, 2.0)
        """
        starts = self._starts.get(target)
        if starts is None or b <= a:
            return 0.0
        return sum(max(0.0, min(b, e) - max(a, s)) for s, e in zip(starts, self._ends[target]))

    def next_crash(self, target: str, t: float) -> float:
        """The first outage start of ``target`` strictly after ``t`` (``inf`` if none)."""
        starts = self._starts.get(target)
        if starts is None:
            return math.inf
        i = bisect.bisect_right(starts, t)
        return starts[i] if i < len(starts) else math.inf
