"""The messages each pattern sends, derived from the saga spec.

Both patterns move a saga through the same *transfers*: the initiator starts
it; a step that completed hands over to the next step (or, after the last
step, to the initiator, which completes the order); a step that failed, or a
compensation that finished, hands over to the compensation of the step
before it (or to the initiator, which cancels the order). What differs is
how a transfer travels:

* **choreography**: one event through the broker, from the service that
  acted straight to the service that reacts (``PaymentCompleted`` from
  payment to inventory). No coordinator appears anywhere.
* **orchestration**: a reply to the orchestrator, one decision there, and a
  command to the next service (``PaymentCompleted`` to the orchestrator,
  then ``ProcessInventory`` to inventory), each one synchronous network hop.

* **hybrid**: the steps are grouped into *stages*; the orchestrator commands
  each stage's first step and hears back from its last (and, when
  compensating, the other way round), and inside a stage the steps chain
  through broker events as in choreography. Compensation
  follows the same split. Without declared stages every step is a stage of
  its own (the messages are then orchestration's).

Orchestration and hybrid take a *transport*: ``"sync"`` sends commands and
replies as synchronous network hops, ``"async"`` through the broker
(command/reply messaging). Choreography always uses the broker.

Two features change which transfers exist. A step whose ``when`` condition
is false is *skipped*: the orchestrator just sends no command (no message;
in hybrid it skips a stage none of whose steps runs), while a consumer of
an event (choreography, or inside a hybrid stage, its first step included)
receives it, filters it, and passes a
``<Name>Skipped`` event on (the event is still sent; going back, a
``<Name>CompensationSkipped``). Steps of a
``parallel`` group that the orchestrator commands run at once: commands fan
out after one decision and each reply is a decision of its own (the
``leave``/``enter`` halves of a transfer).

This module turns a spec into a table of message types (kind, name, source,
target, channel) and, per transfer, the *route* of legs it takes. The
simulator walks routes; the event log and the event graphs read the same
table, so the picture and the run can never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..model.specs import Saga, _camel

__all__ = ["MessageType", "Catalogue", "PATTERNS", "SEED_PATTERNS", "TRANSPORTS", "KINDS",
           "build_catalogue"]

PATTERNS = ("choreography", "orchestration", "hybrid")
#: The seed document's two patterns: the default of comparisons.
SEED_PATTERNS = PATTERNS[:2]
#: How the orchestrator's commands and replies travel (orchestration and hybrid).
TRANSPORTS = ("sync", "async")
#: Message kinds, in the order the plots colour them.
KINDS = ("success", "failure", "compensation", "command", "reply", "dlq")
#: Channels a message travels on: a synchronous hop, the broker, or none (DLQ hand-off).
CHANNELS = ("network", "broker", "local")
DECIDE = -1  # leg marker: one orchestrator decision


@dataclass(frozen=True)
class MessageType:
    kind: str
    name: str
    source: str
    target: str
    channel: str


class Catalogue:
    """Message types and routes of one saga under one pattern.

    ``routes`` maps a transfer to a tuple of legs; a leg is a message id
    (index into ``types``) or ``DECIDE``. Transfers between neighbours:
    ``("start",)``, ``("forward", k)``, ``("fail", k)``, ``("compensated", k)``
    and ``("compensation_failed", k)`` for step index ``k``. Over skipped
    steps: ``("forward", a, b)`` (``a = -1``: the start; ``b = n``: the end)
    and ``(cause, k, p)`` back to step ``p`` (``-1``: cancel). Around parallel
    steps: ``("leave", a)``, ``("leave_fail", k)``, ``("enter", b)``,
    ``("enter_undo", p)``; a failed attempt of a retriable step: ``("retry", k)``.
    ``units`` lists the steps that run together (a tuple of step indices each).
    """

    def __init__(self, saga: Saga, pattern: str, transport: str = "sync"):
        self.saga = saga
        self.pattern = pattern
        self.transport = transport
        self.types: list[MessageType] = []
        self._ids: dict[MessageType, int] = {}
        self.routes: dict[tuple, tuple[int, ...]] = {}
        self.units: tuple[tuple[int, ...], ...] = tuple((k,) for k in range(len(saga.steps)))

    @property
    def is_workflow(self) -> bool:
        """True when the saga uses conditions, parallel units or retries."""
        return (any(s.when is not None for s in self.saga.steps)
                or any(len(u) > 1 for u in self.units)
                or any(s.kind == "retriable" and s.failure_p > 0 for s in self.saga.steps))

    def msg(self, kind, name, source, target, channel) -> int:
        mt = MessageType(kind, name, source, target, channel)
        if mt not in self._ids:
            self._ids[mt] = len(self.types)
            self.types.append(mt)
        return self._ids[mt]


def check_pattern(pattern: str, transport: str, owner: str = "simulate") -> None:
    """Refuse an unknown pattern or transport, or async choreography."""
    if pattern not in PATTERNS:
        raise ValueError(f"{owner}: pattern must be one of {list(PATTERNS)}, got {pattern!r}")
    if transport not in TRANSPORTS:
        raise ValueError(f"{owner}: transport must be one of {list(TRANSPORTS)}, "
                         f"got {transport!r}")
    if pattern == "choreography" and transport != "sync":
        raise ValueError(f"{owner}: transport={transport!r} applies to orchestration and hybrid "
                         f"(how the orchestrator's commands and replies travel); choreography's "
                         f"events always go through the broker, so leave transport at 'sync'")


def stages_of(saga: Saga, pattern: str) -> list[int]:
    """Stage number of each step: one stage (choreography), one per step, or as declared."""
    n = len(saga.steps)
    if pattern == "choreography":
        return [0] * n
    if pattern == "orchestration":
        return list(range(n))
    out: list[int] = []
    for k, s in enumerate(saga.steps):
        same = k > 0 and s.stage is not None and s.stage == saga.steps[k - 1].stage
        out.append(out[-1] if same else len(set(out)))
    return out


def units_of(saga: Saga, pattern: str, stage: list[int]) -> tuple[tuple[int, ...], ...]:
    """Steps that run at once: a parallel group whose members the orchestrator commands."""
    units: list[list[int]] = []
    alone = [pattern != "choreography" and stage.count(x) == 1 for x in stage]
    for k, s in enumerate(saga.steps):
        if (k and alone[k] and alone[k - 1] and s.parallel is not None
                and saga.steps[k - 1].parallel == s.parallel):
            units[-1].append(k)
        else:
            units.append([k])
    return tuple(tuple(u) for u in units)


class _Builder:
    """Builds the legs of every transfer from the stage partition."""

    def __init__(self, cat: Catalogue):
        saga = cat.saga
        self.cat, self.steps, self.n, self.ini = cat, saga.steps, len(saga.steps), saga.initiator
        self.orch = cat.pattern != "choreography"
        self.ch = "broker" if cat.transport == "async" else "network"
        self.stage = stages_of(saga, cat.pattern)
        self.first, self.last = {}, {}
        for k, st in enumerate(self.stage):
            self.first.setdefault(st, k)
            self.last[st] = k
        self.cap_ini = _camel(self.ini)

    def who(self, i: int) -> str:
        return self.steps[i].name if 0 <= i < self.n else self.ini

    def ev(self, kind, name, i, j) -> int:  # a broker event from participant i to j
        return self.cat.msg(kind, name, self.who(i), self.who(j), "broker")

    def to_orch(self, kind, name, i) -> int:
        return self.cat.msg(kind, name, self.who(i), "orchestrator", self.ch)

    def command(self, kind, name, j) -> int:
        return self.cat.msg(kind, name, "orchestrator", self.who(j), self.ch)

    def dlq(self, k, source) -> int:
        return self.cat.msg("dlq", f"{_camel(self.steps[k].name)}CompensationFailed", source,
                            "dlq", "local")

    # -- forward ------------------------------------------------------------
    def chain_fwd(self, a, b):
        first = f"{self.cap_ini}Created" if a < 0 else self.steps[a].success_event
        return (self.ev("success", first, a, a + 1),) + tuple(
            self.ev("success", self.steps[j].skip_event, j, j + 1) for j in range(a + 1, b))

    def leave(self, a):
        if a < 0:
            return (self.cat.msg("command", "StartSaga", self.ini, "orchestrator", self.ch),
                    DECIDE)
        e = self.last[self.stage[a]]
        name = self.steps[e].success_event if e == a else self.steps[e].skip_event
        return (self.chain_fwd(a, e) if e > a else ()) + (self.to_orch("reply", name, e),
                                                          DECIDE)

    def enter(self, b):
        if b >= self.n:
            return (self.command("command", f"Complete{self.cap_ini}", b),)
        f = self.first[self.stage[b]]  # a stage is always called at its first step
        return (self.command("command", self.steps[f].command, f),) + tuple(
            self.ev("success", self.steps[j].skip_event, j, j + 1) for j in range(f, b))

    def fwd(self, a, b):
        if not self.orch or (a >= 0 and b < self.n and self.stage[a] == self.stage[b]):
            return self.chain_fwd(a, b)
        return self.leave(a) + self.enter(b)

    # -- backward -----------------------------------------------------------
    def chain_back(self, cause, k, p):
        s = self.steps[k]
        parked = ()
        if cause == "fail":
            kind, name = "failure", s.failure_event
        elif cause == "compensated":
            kind, name = "compensation", s.compensation_event
        else:  # parked in the DLQ for manual review; the others must still undo their steps
            parked = (self.dlq(k, s.name),)
            kind, name = "compensation", f"{_camel(s.name)}CompensationFailed"
        return parked + (self.ev(kind, name, k, k - 1),) + tuple(
            self.ev("compensation", self.skip_back(j), j, j - 1) for j in range(k - 1, p, -1))

    def skip_back(self, j) -> str:  # a skipped step passes a compensation on: nothing to undo
        return f"{_camel(self.steps[j].name)}CompensationSkipped"

    def leave_back(self, cause, k):
        f = self.first[self.stage[k]]
        if f < k:  # back through the stage; its first step answers the orchestrator
            return self.chain_back(cause, k, f) + (
                self.to_orch("reply", self.skip_back(f), f), DECIDE)
        s = self.steps[k]
        if cause == "fail":
            return (self.to_orch("failure", s.failure_event, k), DECIDE)
        if cause == "compensated":
            return (self.to_orch("reply", s.compensation_event, k), DECIDE)
        failed = f"{_camel(s.name)}CompensationFailed"
        return (self.to_orch("failure", failed, k), DECIDE, self.dlq(k, "orchestrator"))

    def enter_undo(self, p):
        if p < 0:
            return (self.command("command", f"Cancel{self.cap_ini}", p),)
        e = self.last[self.stage[p]]
        return (self.command("compensation", self.steps[e].compensation_command, e),) + tuple(
            self.ev("compensation", self.skip_back(j), j, j - 1) for j in range(e, p, -1))

    def back(self, cause, k, p):
        if not self.orch or (p >= 0 and self.stage[p] == self.stage[k]):
            return self.chain_back(cause, k, p)
        return self.leave_back(cause, k) + self.enter_undo(p)

    def retry(self, k):
        first = self.stage.index(self.stage[k]) == k
        if not self.orch or not first:
            return ()  # the service retries its own local transaction
        return (self.to_orch("failure", self.steps[k].failure_event, k), DECIDE,
                self.command("command", self.steps[k].command, k))


def build_catalogue(saga: Saga, pattern: str, transport: str = "sync") -> Catalogue:
    """The message types and routes of ``saga`` under ``pattern`` and ``transport``.

    Examples
    --------
    >>> import sagalab as sl
    >>> cat = build_catalogue(sl.scenarios.ecommerce(), "orchestration", "async")
    >>> sorted({t.channel for t in cat.types if t.kind != "dlq"})
    ['broker']
    """
    check_pattern(pattern, transport, "build_catalogue")
    cat = Catalogue(saga, pattern, transport)
    b = _Builder(cat)
    n, steps, routes = b.n, saga.steps, cat.routes
    stage = b.stage
    cat.units = units = units_of(saga, pattern, stage)
    # Neighbour transfers: every saga may use these.
    routes[("start",)] = b.fwd(-1, 0)
    for k in range(n):
        routes[("forward", k)] = b.fwd(k, k + 1)
        for cause in ("fail", "compensated", "compensation_failed"):
            routes[(cause, k)] = b.back(cause, k, k - 1)
    # Transfers over skipped steps and around parallel units.
    skippable = [all(steps[k].when is not None for k in u) for u in units]
    ends = [(-1,)] + list(units) + [(n,)]
    for i in range(len(ends) - 1):
        for j in range(i + 1, len(ends)):
            if len(ends[i]) == 1 and len(ends[j]) == 1:
                a, c = ends[i][0], ends[j][0]
                if c != a + 1:
                    routes[("forward", a, c)] = b.fwd(a, c)
            else:
                for a in ends[i]:
                    routes[("leave", a)] = b.leave(a)
                for c in ends[j]:
                    routes[("enter", c)] = b.enter(c)
            if j < len(ends) - 1 and not skippable[j - 1]:
                break
    for i, u in enumerate(units):
        # steps that may be the last completed one before a step of unit i
        before = []
        for h in range(i - 1, -1, -1):
            before += sorted(units[h], reverse=True)
            if not skippable[h]:
                break
        else:
            before.append(-1)
        for k in u:
            s = steps[k]
            if s.kind == "retriable":
                if s.failure_p > 0:
                    routes[("retry", k)] = b.retry(k)
                continue
            cands = [x for x in u if x < k] + before
            if len(u) > 1:
                routes[("leave", k)] = b.leave(k)
                routes[("leave_fail", k)] = b.leave_back("fail", k)
                for p in [x for x in u if x != k] + before:
                    routes[("enter_undo", p)] = b.enter_undo(p)
            for p in cands:
                if p == k - 1:
                    continue
                for cause in ("fail", "compensated", "compensation_failed"):
                    if not (cause == "fail" and len(u) > 1):  # those leave, then enter_undo
                        routes[(cause, k, p)] = b.back(cause, k, p)
    return cat


def forward_route(routes: dict, a: int, b: int) -> tuple:
    """The route from step ``a`` (``-1``: the initiator) on to step ``b``."""
    if b == a + 1:
        return routes[("start",)] if a < 0 else routes[("forward", a)]
    return routes[("forward", a, b)]


def back_route(routes: dict, cause: str, k: int, p: int) -> tuple:
    """The route back from step ``k`` (after ``cause``) to the compensation of step ``p``."""
    return routes[(cause, k)] if p == k - 1 else routes[(cause, k, p)]
