"""Message names: what each service calls its events and commands, and why none may repeat.

A saga's messages are told apart by name alone, in the event log, the
sequence diagrams and the event graphs. The payment service publishes
``PaymentCompleted``, ``PaymentFailed`` and ``PaymentCompensated``, and the
orchestrator sends it ``ProcessPayment`` and ``CompensatePayment``. Each name
is derived from the service's name in CamelCase unless the step sets it.
Besides these, the patterns send a few more, which a step cannot rename:

* the initiator (the Order service): ``OrderCreated``, ``CompleteOrder``,
  ``CancelOrder``, and ``StartSaga`` to an orchestrator;
* per step: ``<Step>CompensationSkipped`` and ``<Step>CompensationFailed``
  (going back over a step that did not run, or whose compensation failed
  for good), and ``<Step>Unavailable`` (a call refused while the service is
  down).

Two different messages of one saga with the same name would make the log
ambiguous, so a :class:`~sagalab.Saga` refuses them, naming both owners:
steps ``"a_b"`` and ``"aB"`` would both publish ``ABCompleted``.
"""
from __future__ import annotations

__all__ = ["camel", "default_names", "step_messages", "initiator_messages", "check_unique",
           "NAME_FIELDS"]

#: Step fields that name a message (``None`` takes the default of :func:`default_names`).
NAME_FIELDS = ("success_event", "failure_event", "compensation_event", "command",
               "compensation_command", "skip_event")


def camel(name: str) -> str:
    """``"credit_check"`` -> ``"CreditCheck"`` (the stem of a service's message names).

    Examples
    --------
    >>> camel("credit_check"), camel("a-b")
    ('CreditCheck', 'AB')
    """
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_"))


def default_names(step_name: str) -> dict[str, str]:
    """The default of every field in :data:`NAME_FIELDS` for a step called ``step_name``."""
    cap = camel(step_name)
    return {"success_event": f"{cap}Completed", "failure_event": f"{cap}Failed",
            "compensation_event": f"{cap}Compensated", "command": f"Process{cap}",
            "compensation_command": f"Compensate{cap}", "skip_event": f"{cap}Skipped"}


def step_messages(step) -> dict[str, str]:
    """Every message name of ``step``: its :data:`NAME_FIELDS` and the fixed ones.

    Examples
    --------
    >>> import sagalab as sl
    >>> step_messages(sl.Step("payment", 0.01))["unavailable"]
    'PaymentUnavailable'
    """
    cap = camel(step.name)
    out = {f: getattr(step, f) for f in NAME_FIELDS}
    out.update(compensation_skipped=f"{cap}CompensationSkipped",
               compensation_failed=f"{cap}CompensationFailed",
               unavailable=f"{cap}Unavailable")
    return out


def initiator_messages(initiator: str) -> dict[str, str]:
    """The initiator's message names (and ``StartSaga``, which it sends an orchestrator).

    Examples
    --------
    >>> initiator_messages("order")["created"]
    'OrderCreated'
    """
    cap = camel(initiator)
    return {"created": f"{cap}Created", "complete": f"Complete{cap}",
            "cancel": f"Cancel{cap}", "start": "StartSaga"}


def check_unique(owner: str, initiator: str, steps) -> None:
    """Refuse two messages of one saga with the same name, naming both and the name.

    Examples
    --------
    >>> import sagalab as sl
    >>> sl.Saga("s", [sl.Step("a_b", 1), sl.Step("aB", 1)])
    Traceback (most recent call last):
    ValueError: Saga 's': message name 'ABCompleted' is used twice: by step 'a_b'
    (success_event) and by step 'aB' (success_event); every event and command of a saga
    needs a name of its own
    """
    seen: dict[str, str] = {}
    sources = [(f"the initiator {initiator!r}", initiator_messages(initiator))]
    sources += [(f"step {s.name!r}", step_messages(s)) for s in steps]
    for who, names in sources:
        for label, message in names.items():
            here = f"{who} ({label})"
            if message in seen:
                raise ValueError(f"{owner}: message name {message!r} is used twice: by "
                                 f"{seen[message]} and by {here}; every event and command of "
                                 f"a saga needs a name of its own")
            seen[message] = here

