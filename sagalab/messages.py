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

This module turns a spec into a table of message types (kind, name, source,
target, channel) and, per transfer, the *route* of legs it takes. The
simulator walks routes; the event log and the event graphs read the same
table, so the picture and the run can never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass

from .specs import Saga, _camel

__all__ = ["MessageType", "Catalogue", "PATTERNS", "KINDS", "build_catalogue"]

PATTERNS = ("choreography", "orchestration")
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
    (index into ``types``) or ``DECIDE``. Transfers: ``("start",)``,
    ``("forward", k)``, ``("fail", k)``, ``("compensated", k)`` and
    ``("compensation_failed", k)`` for step index ``k``.
    """

    def __init__(self, saga: Saga, pattern: str):
        self.saga = saga
        self.pattern = pattern
        self.types: list[MessageType] = []
        self._ids: dict[MessageType, int] = {}
        self.routes: dict[tuple, tuple[int, ...]] = {}

    def msg(self, kind, name, source, target, channel) -> int:
        mt = MessageType(kind, name, source, target, channel)
        if mt not in self._ids:
            self._ids[mt] = len(self.types)
            self.types.append(mt)
        return self._ids[mt]


def build_catalogue(saga: Saga, pattern: str) -> Catalogue:
    """The message types and routes of ``saga`` under ``pattern``."""
    cat = Catalogue(saga, pattern)
    steps, n, ini = saga.steps, len(saga.steps), saga.initiator
    cap_ini = _camel(ini)
    complete, cancel = f"Complete{cap_ini}", f"Cancel{cap_ini}"

    if pattern == "choreography":
        def hand(kind, name, k, to):
            return (cat.msg(kind, name, steps[k].name, to, "broker"),)

        def after(k):  # who consumes step k's success event
            return steps[k + 1].name if k + 1 < n else ini

        def before(k):  # who consumes step k's failure / compensation event
            return steps[k - 1].name if k > 0 else ini

        cat.routes[("start",)] = (cat.msg("success", f"{cap_ini}Created", ini, steps[0].name,
                                          "broker"),)
        for k, s in enumerate(steps):
            cat.routes[("forward", k)] = hand("success", s.success_event, k, after(k))
            cat.routes[("fail", k)] = hand("failure", s.failure_event, k, before(k))
            cat.routes[("compensated", k)] = hand("compensation", s.compensation_event, k,
                                                  before(k))
            cat.routes[("compensation_failed", k)] = (
                cat.msg("dlq", f"{_camel(s.name)}CompensationFailed", s.name, "dlq", "local"),
            ) + cat.routes[("compensated", k)]
        return cat

    if pattern == "orchestration":
        orch, ch = "orchestrator", "network"

        def command_next(k):  # the command that starts step k (or completes the order)
            if k < n:
                return cat.msg("command", steps[k].command, orch, steps[k].name, ch)
            return cat.msg("command", complete, orch, ini, ch)

        def command_undo(k):  # the command that compensates step k (or cancels the order)
            if k >= 0:
                return cat.msg("compensation", steps[k].compensation_command, orch,
                               steps[k].name, ch)
            return cat.msg("command", cancel, orch, ini, ch)

        cat.routes[("start",)] = (cat.msg("command", "StartSaga", ini, orch, ch), DECIDE,
                                  command_next(0))
        for k, s in enumerate(steps):
            cat.routes[("forward", k)] = (cat.msg("reply", s.success_event, s.name, orch, ch),
                                          DECIDE, command_next(k + 1))
            cat.routes[("fail", k)] = (cat.msg("failure", s.failure_event, s.name, orch, ch),
                                       DECIDE, command_undo(k - 1))
            cat.routes[("compensated", k)] = (
                cat.msg("reply", s.compensation_event, s.name, orch, ch), DECIDE,
                command_undo(k - 1))
            failed = f"{_camel(s.name)}CompensationFailed"
            cat.routes[("compensation_failed", k)] = (
                cat.msg("failure", failed, s.name, orch, ch), DECIDE,
                cat.msg("dlq", failed, orch, "dlq", "local"), command_undo(k - 1))
        return cat

    raise ValueError(f"pattern must be one of {list(PATTERNS)}, got {pattern!r}")
