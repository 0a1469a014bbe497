"""The shape of a saga under a pattern, and the messages it can send.

Both patterns move a saga through the same steps; what differs is who hands
the saga from one step to the next:

* **choreography**: the service that acted publishes an event to the broker
  and the next service consumes it (``PaymentCompleted`` from payment to
  inventory). No coordinator appears anywhere.
* **orchestration**: the service replies to the orchestrator, which decides
  and commands the next service (``PaymentCompleted`` to the orchestrator,
  one decision, ``ReserveInventory`` to inventory).
* **hybrid**: the steps are grouped into *stages* (``Step.stage``); the
  orchestrator commands a stage's first steps and hears back from its last,
  and inside a stage the steps chain through broker events as in
  choreography. A step without a declared stage is a stage of its own.

This module cuts a saga into that shape: a list of :class:`Stage` s, each a
list of *units* (steps that run at once: a ``parallel`` group, or one step).
A stage is either

* a **call**: one unit whose members the orchestrator commands one by one
  and hears back from one by one (orchestration's steps and parallel groups;
  hybrid's one-step stages); or
* a **chain**: units handed on by events (choreography's whole saga, entered
  and left at the initiator; a hybrid stage of several steps, entered and
  left at the orchestrator).

Inside a chain every unit is visited: a step whose ``when`` condition is
false still consumes the event, filters it and passes on ``<Name>Skipped``
(``<Name>CompensationSkipped`` going back). The members of a parallel unit
all consume the same event (fan-out), and whoever comes next consumes each
member's event and acts once all have arrived (fan-in: the join keeps
per-saga state). When a member fails, its failure event reaches its siblings
(each completed sibling compensates) and the participants before the unit,
which wait for every member's last word before compensating in turn.

:class:`Catalogue` lists every message type (kind, name, source, target,
channel) the saga can send, keyed by the move that sends it. The simulator
(:mod:`sagalab.sim.saga`) sends exactly these, so the event log and the event
graphs (:mod:`sagalab.analysis.graphs`) read one table and can never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..model.specs import Saga, _camel

__all__ = ["MessageType", "Stage", "Catalogue", "PATTERNS", "SEED_PATTERNS", "TRANSPORTS",
           "KINDS", "CHANNELS", "build_catalogue", "check_pattern"]

PATTERNS = ("choreography", "orchestration", "hybrid")
#: The seed document's two patterns: the default of comparisons.
SEED_PATTERNS = PATTERNS[:2]
#: How the orchestrator's commands and replies travel (orchestration and hybrid).
TRANSPORTS = ("sync", "async")
#: Message kinds, in the order the plots colour them.
KINDS = ("success", "failure", "compensation", "command", "reply", "dlq")
#: Channels a message travels on: a synchronous hop, the broker, or none (DLQ hand-off).
CHANNELS = ("network", "broker", "local")
START, ORCH = -1, -2  # participant codes besides step indices: the initiator (before the
# first step; after the last it is n, one past the steps) and the orchestrator
# How a participant ends its part of a move (forward, or backward when compensating).
OK, PASS, FAIL, UNDONE, UNDO_FAILED, PASS_BACK = range(6)


@dataclass(frozen=True)
class MessageType:
    kind: str
    name: str
    source: str
    target: str
    channel: str


@dataclass(frozen=True)
class Stage:
    """Consecutive units the orchestrator hands over as one (see the module docstring).

    ``units`` are tuples of step indices; ``call`` is True when the orchestrator
    commands each member of the (single) unit itself.
    """

    units: tuple[tuple[int, ...], ...]
    call: bool

    @property
    def steps(self) -> tuple[int, ...]:
        return tuple(k for u in self.units for k in u)


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


def _stages(saga: Saga, pattern: str) -> tuple[Stage, ...]:
    steps = saga.steps
    n = len(steps)
    if pattern == "choreography":
        groups = [[0]]
        for k in range(1, n):
            same = steps[k].parallel is not None and steps[k].parallel == steps[k - 1].parallel
            (groups[-1].append(k) if same else groups.append([k]))
        return (Stage(tuple(tuple(g) for g in groups), call=False),)
    declared: list[list[int]] = []  # hybrid's stages as declared; orchestration: one per step
    for k, s in enumerate(steps):
        if (pattern == "hybrid" and k and s.stage is not None
                and s.stage == steps[k - 1].stage):
            declared[-1].append(k)
        else:
            declared.append([k])
    out: list[Stage] = []
    for ks in declared:
        if len(ks) == 1:
            k = ks[0]
            prev = out[-1] if out else None
            if (prev is not None and prev.call and steps[k].parallel is not None
                    and steps[prev.units[0][-1]].parallel == steps[k].parallel):
                out[-1] = Stage((prev.units[0] + (k,),), call=True)  # one more member
            else:
                out.append(Stage(((k,),), call=True))
            continue
        units = [[ks[0]]]
        for k in ks[1:]:
            same = steps[k].parallel is not None and steps[k].parallel == steps[k - 1].parallel
            (units[-1].append(k) if same else units.append([k]))
        out.append(Stage(tuple(tuple(u) for u in units), call=False))
    return tuple(out)


class Catalogue:
    """The stages of one saga under one pattern and transport, and its message types.

    ``types`` lists the :class:`MessageType` s met so far; :meth:`id` gives
    the index of the message a *move* sends (adding its type on first use).
    Moves (``a``, ``b``, ``k``, ``p`` are step indices, :data:`START` the
    initiator before the first step, ``n`` the initiator after the last):

    * ``("event", how, a, b)``: a choreographed event from ``a`` to ``b``;
      ``how`` is :data:`OK`, :data:`PASS` (forward), or :data:`FAIL`,
      :data:`UNDONE`, :data:`UNDO_FAILED`, :data:`PASS_BACK` (backward);
    * ``("start",)``: the initiator's ``StartSaga`` to the orchestrator;
    * ``("command", b)`` / ``("undo", p)``: the orchestrator commands step
      ``b`` (``n``: complete the order) or its compensation (``START``:
      cancel the order);
    * ``("reply", how, a)``: step ``a`` answers the orchestrator;
    * ``("unavailable", a)``: a refused or broken call's error;
    * ``("dlq", k, by)``: step ``k``'s compensation parked in the dead-letter
      queue by its service (``by="service"``) or the orchestrator.
    """

    def __init__(self, saga: Saga, pattern: str, transport: str = "sync"):
        self.saga, self.pattern, self.transport = saga, pattern, transport
        self.n = len(saga.steps)
        self.stages = _stages(saga, pattern)
        self.units = tuple(u for st in self.stages for u in st.units)
        self.orchestrated = pattern != "choreography"
        self.channel = "broker" if transport == "async" else "network"
        self.types: list[MessageType] = []
        self.ids: dict[tuple, int] = {}
        self._names = [_names(saga, k) for k in range(self.n)]
        self._cap_ini = _camel(saga.initiator)

    @property
    def has_chains(self) -> bool:
        """Whether some stage hands on by events (choreography; a multi-step hybrid stage)."""
        return any(not st.call for st in self.stages)

    def who(self, i) -> str:
        """The participant of code ``i``: a step's service, or the initiator."""
        return self.saga.steps[i].name if 0 <= i < self.n else self.saga.initiator

    def id(self, move: tuple) -> int:
        """The index in :attr:`types` of the message ``move`` sends."""
        got = self.ids.get(move)
        if got is None:
            got = self.ids[move] = len(self.types)
            self.types.append(self.message(move))
        return got

    def message(self, move: tuple) -> MessageType:
        """The message type ``move`` sends (see the class docstring)."""
        what, who, ch, steps = move[0], self.who, self.channel, self.saga.steps
        if what == "event":
            how, a, b = move[1:]
            name = f"{self._cap_ini}Created" if a == START else self._names[a][how]
            return MessageType(_EVENT_KIND[how], name, who(a), who(b), "broker")
        if what == "reply":
            how, a = move[1:]
            return MessageType(_REPLY_KIND[how], self._names[a][how], who(a), "orchestrator", ch)
        if what == "start":
            return MessageType("command", "StartSaga", who(START), "orchestrator", ch)
        if what == "command":
            b = move[1]
            if b >= self.n:
                return MessageType("command", f"Complete{self._cap_ini}", "orchestrator",
                                   who(b), ch)
            return MessageType("command", steps[b].command, "orchestrator", who(b), ch)
        if what == "undo":
            p = move[1]
            if p == START:
                return MessageType("command", f"Cancel{self._cap_ini}", "orchestrator",
                                   who(p), ch)
            return MessageType("compensation", steps[p].compensation_command, "orchestrator",
                               who(p), ch)
        if what == "unavailable":
            a = move[1]
            return MessageType("failure", f"{_camel(steps[a].name)}Unavailable", who(a),
                               "orchestrator", "network")
        if what == "dlq":
            k, by = move[1:]
            return MessageType("dlq", self._names[k][UNDO_FAILED],
                               who(k) if by == "service" else "orchestrator", "dlq", "local")
        raise KeyError(f"unknown move {move!r}")


def _names(saga: Saga, k: int) -> dict:
    s = saga.steps[k]
    cap = _camel(s.name)
    return {OK: s.success_event, PASS: s.skip_event, FAIL: s.failure_event,
            UNDONE: s.compensation_event, UNDO_FAILED: f"{cap}CompensationFailed",
            PASS_BACK: f"{cap}CompensationSkipped"}


_EVENT_KIND = {OK: "success", PASS: "success", FAIL: "failure", UNDONE: "compensation",
               UNDO_FAILED: "compensation", PASS_BACK: "compensation"}
_REPLY_KIND = {OK: "reply", PASS: "reply", FAIL: "failure", UNDONE: "reply",
               UNDO_FAILED: "failure", PASS_BACK: "reply"}


def build_catalogue(saga: Saga, pattern: str, transport: str = "sync") -> Catalogue:
    """The stages of ``saga`` under ``pattern`` and ``transport``, with its message table.

    Examples
    --------
    >>> import sagalab as sl
    >>> cat = build_catalogue(sl.scenarios.ecommerce(), "orchestration", "async")
    >>> cat.message(("command", 0)).name, cat.message(("command", 0)).channel
    ('ProcessPayment', 'broker')
    >>> [st.units for st in build_catalogue(sl.scenarios.travel_booking(), "choreography").stages]
    [((0, 1, 2, 3), (4,), (5,), (6,))]
    """
    check_pattern(pattern, transport, "build_catalogue")
    return Catalogue(saga, pattern, transport)
