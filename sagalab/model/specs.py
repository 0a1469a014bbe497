"""Saga specifications: what a saga is made of, as immutable values.

Time unit: **seconds**, everywhere in sagalab.

A :class:`Saga` is the seed's e-commerce transaction, or any other: an
*initiator* (the Order service, which creates the order and finally completes
or cancels it) and an ordered tuple of :class:`Step` s, each one local
transaction in one service (Payment charges the card, Inventory reserves the
items, Shipping schedules the parcel). A step may fail on a business rule
(card declined, out of stock) with ``failure_p``; the steps that completed
before it are then undone by their *compensations* (refund, release), in
reverse order.

Specs validate at construction and never change; ``saga.with_failure_p(...)``
and ``saga.with_step(...)`` return changed copies.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from . import _toml, names, rules
from . import _validate as v
from .distributions import Distribution, as_distribution, checked_sample

__all__ = ["Step", "Saga", "STEP_KINDS", "MAX_EXPECTED_ATTEMPTS"]

#: Step kinds after Garcia-Molina & Salem and Richardson: the order they must come in.
STEP_KINDS = ("compensatable", "pivot", "retriable")
#: Columns of ``Result.sagas`` an attribute may not be named after.
_SAGA_COLUMNS = frozenset({"saga_id", "start", "end", "latency", "outcome", "failed_step",
                           "steps_completed", "compensations", "messages", "queueing",
                           "service", "transit", "coordination", "fault_wait",
                           "inconsistent", "duplicates", "retries", "late_replies"})
#: Largest expected number of attempts 1 / (1 - failure_p) of a retriable step.
MAX_EXPECTED_ATTEMPTS = 1000
_camel = names.camel  # the simulator's name for it


@dataclass(frozen=True)
class Step:
    """One local transaction in one service.

    Parameters
    ----------
    name : str
        The service, e.g. ``"payment"``. Letters, digits, ``_`` or ``-``.
    service_time : Distribution or float
        Time one worker of the service needs for the step, seconds.
    failure_p : float
        Probability the step fails on a business rule (e.g. card declined).
    capacity : int
        Parallel workers of the service (a FIFO queue forms in front of them),
        at most ``MAX_WORKERS`` (1,000,000).
    compensation_time : Distribution, float or None
        Time of the compensating transaction; ``None`` means the same
        distribution as ``service_time``.
    compensation_failure_p : float
        Probability the compensation fails for good; the saga then ends in
        ``"dlq"`` (dead-letter queue: manual review).
    idempotent : bool
        Whether applying the step twice has the effect of applying it once:
        the service deduplicates by saga id, so a retried call or a
        redelivered event never applies its effect twice (see
        :mod:`sagalab.delivery`).
    success_event, failure_event, compensation_event : str or None
        Names of the events (choreography) or replies (orchestration) the
        service emits; default ``<Name>Completed``, ``<Name>Failed``,
        ``<Name>Compensated``. Message names are printable text without
        control characters, newlines or surrounding blanks, and no two
        messages of a saga may share one (see :mod:`sagalab.model.names`).
    command, compensation_command : str or None
        Names of the orchestrator's commands; default ``Process<Name>`` and
        ``Compensate<Name>``.
    outbox : bool
        ``True`` (default): the service writes its outgoing event in the same
        local transaction as its change (transactional outbox), so a crash
        between commit and publish only delays the event. ``False``: a dual
        write (commit, then publish); a crash in between loses the event.
    compensation_retries : int
        How often a failed compensation is tried again before the saga is
        parked in the dead-letter queue (``compensation_failure_p`` applies
        to each try); at most ``MAX_RETRIES`` (100).
    kind : {"compensatable", "pivot", "retriable"}
        ``"compensatable"`` (default) may fail and is undone by its
        compensation; the ``"pivot"`` is the go/no-go step: it may fail, and
        once it succeeds the saga must finish; a ``"retriable"`` step comes
        after the pivot, is never compensated, and ``failure_p`` is then the
        chance that one *attempt* fails transiently: it is retried until it
        succeeds. A retriable step needs on average ``1 / (1 - failure_p)``
        attempts, at most :data:`MAX_EXPECTED_ATTEMPTS` (1000): its
        ``failure_p`` is at most 0.999.
    when : Condition, AllOf, AnyOf, callable or None
        Run the step only for sagas whose attributes satisfy this (see
        :mod:`sagalab.rules`); ``None`` runs it always.
    stage : str or None
        Under ``pattern="hybrid"``, consecutive steps with the same stage run
        as one stage (choreography inside, the orchestrator between stages);
        ``None`` makes the step a stage of its own.
    parallel : str or None
        Consecutive steps with the same label run at once where the
        orchestrator commands them (orchestration; hybrid when each is a stage
        of its own); elsewhere they run in the listed order.
    skip_event : str or None
        Name of the event a service passes on when its step does not run
        (choreography's consumers filter); default ``<Name>Skipped``.

    Raises
    ------
    ValueError, TypeError
        At construction, naming the field and what is allowed.

    Examples
    --------
    >>> import sagalab as sl
    >>> s = sl.Step("payment", sl.Exponential(0.05), failure_p=0.1)
    >>> s.success_event, s.command
    ('PaymentCompleted', 'ProcessPayment')
    """

    name: str
    service_time: Distribution
    failure_p: float = 0.0
    capacity: int = 1
    compensation_time: Distribution | None = None
    compensation_failure_p: float = 0.0
    idempotent: bool = True
    success_event: str | None = None
    failure_event: str | None = None
    compensation_event: str | None = None
    command: str | None = None
    compensation_command: str | None = None
    outbox: bool = True
    compensation_retries: int = 0
    kind: str = "compensatable"
    when: object = None
    stage: str | None = None
    parallel: str | None = None
    skip_event: str | None = None

    def __post_init__(self):
        set_ = object.__setattr__
        n = v.name("Step", "name", self.name)
        owner = f"Step {n!r}"
        set_(self, "service_time", as_distribution(owner, "service_time", self.service_time))
        set_(self, "failure_p", v.probability(owner, "failure_p", self.failure_p))
        set_(self, "capacity", v.count(owner, "capacity", self.capacity, high=v.MAX_WORKERS,
                                       limit="MAX_WORKERS"))
        set_(self, "compensation_time",
             as_distribution(owner, "compensation_time", self.compensation_time, allow_none=True))
        set_(self, "compensation_failure_p",
             v.probability(owner, "compensation_failure_p", self.compensation_failure_p))
        set_(self, "idempotent", v.flag(owner, "idempotent", self.idempotent))
        set_(self, "outbox", v.flag(owner, "outbox", self.outbox))
        set_(self, "compensation_retries",
             v.count(owner, "compensation_retries", self.compensation_retries, low=0,
                     high=v.MAX_RETRIES, limit="MAX_RETRIES"))
        for fname, default in names.default_names(n).items():
            value = getattr(self, fname)
            set_(self, fname, default if value is None else v.text(owner, fname, value))
        if not isinstance(self.kind, str) or self.kind not in STEP_KINDS:
            raise ValueError(f"{owner}: kind must be one of {list(STEP_KINDS)}, "
                             f"got {v._got(self.kind)}")
        if self.kind == "retriable" and self.failure_p > 1 - 1 / MAX_EXPECTED_ATTEMPTS:
            raise ValueError(f"{owner}: failure_p of a retriable step is the chance one attempt "
                             f"fails; it is retried until it succeeds, on average "
                             f"1 / (1 - failure_p) attempts, at most {MAX_EXPECTED_ATTEMPTS} "
                             f"(MAX_EXPECTED_ATTEMPTS), so failure_p must be <= "
                             f"{1 - 1 / MAX_EXPECTED_ATTEMPTS:g}, got {self.failure_p!r}")
        if self.when is not None and not (rules.is_rule(self.when) or callable(self.when)):
            raise TypeError(f"{owner}: when must be a Condition, AllOf, AnyOf, a callable "
                            f"taking the saga's attributes, or None, got {v._got(self.when)}")
        for fname in ("stage", "parallel"):
            if getattr(self, fname) is not None:
                v.name(owner, fname, getattr(self, fname))

    @property
    def compensation(self) -> Distribution:
        """The compensation's time distribution (``service_time`` if not set)."""
        return self.service_time if self.compensation_time is None else self.compensation_time


@dataclass(frozen=True)
class Saga:
    """An ordered saga of steps, started and ended by an initiator service.

    Parameters
    ----------
    name : str
        A label, e.g. ``"ecommerce"``.
    steps : sequence of Step
        The local transactions, in order. Stored as a tuple.
    initiator : str
        The service that creates the order and finally completes or cancels
        it (the seed's Order service).
    initiator_time : Distribution, float or None
        Work of the initiator at the start and again at the end of each saga
        (on one station with ``initiator_capacity`` workers); ``None`` means
        the initiator's work takes no time.
    initiator_capacity : int
        Workers of the initiator service.
    attributes : mapping or sequence of (name, distribution) pairs
        Values drawn afresh for every saga (``Distribution`` for numbers,
        :class:`~sagalab.Choice` for categories) that steps' ``when``
        conditions read; they appear as columns of ``result.sagas``. Stored
        as a tuple of pairs.

    Examples
    --------
    >>> import sagalab as sl
    >>> saga = sl.Saga("demo", [sl.Step("payment", 0.05), sl.Step("inventory", 0.02)])
    >>> [s.name for s in saga.steps]
    ['payment', 'inventory']
    >>> saga.with_failure_p(payment=0.2).step("payment").failure_p
    0.2
    """

    name: str
    steps: tuple[Step, ...]
    initiator: str = "order"
    initiator_time: Distribution | None = None
    initiator_capacity: int = field(default=1)
    attributes: tuple = ()

    def __post_init__(self):
        set_ = object.__setattr__
        owner = f"Saga {v.text('Saga', 'name', self.name)!r}"
        steps = v.sequence(owner, "steps", self.steps, "Step", limit=v.MAX_STEPS)
        if not steps:
            raise ValueError(f"{owner}: steps must hold at least one Step, got an empty sequence")
        for i, s in enumerate(steps):
            if not isinstance(s, Step):
                raise TypeError(f"{owner}: steps[{i}] must be a Step, got {v._got(s)}")
        step_names = [s.name for s in steps]
        dupes = sorted({n for n in step_names if step_names.count(n) > 1})
        if dupes:
            raise ValueError(f"{owner}: steps must have unique names, {dupes} appear more "
                             f"than once")
        set_(self, "steps", steps)
        v.name(owner, "initiator", self.initiator)
        if self.initiator in step_names:
            raise ValueError(f"{owner}: initiator {self.initiator!r} must differ from every "
                             f"step name {step_names}")
        names.check_unique(owner, self.initiator, steps)
        set_(self, "initiator_time",
             as_distribution(owner, "initiator_time", self.initiator_time, allow_none=True))
        set_(self, "initiator_capacity", v.count(owner, "initiator_capacity",
                                                 self.initiator_capacity, high=v.MAX_WORKERS,
                                                 limit="MAX_WORKERS"))
        set_(self, "attributes", _attributes(owner, self.attributes))
        _check_structure(owner, steps, dict(self.attributes))

    # -- files -------------------------------------------------------------
    @classmethod
    def from_toml(cls, path) -> Saga:
        """Load a saga from a TOML file (see :mod:`sagalab.tomlio`); never runs code from it."""
        return _toml.load(path, Saga, Step)

    def to_toml(self) -> str:
        """This saga as TOML text that :meth:`from_toml` reads back to an equal Saga."""
        return _toml.dumps(self)

    # -- lookups ---------------------------------------------------------
    @property
    def step_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.steps)

    @property
    def services(self) -> tuple[str, ...]:
        """Every participating service: the initiator, then the steps in order."""
        return (self.initiator,) + self.step_names

    def step(self, name: str) -> Step:
        """The step called ``name`` (``KeyError`` naming the known steps otherwise)."""
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(f"Saga {self.name!r} has no step {name!r}; its steps are "
                       f"{list(self.step_names)}")

    def __len__(self) -> int:
        return len(self.steps)

    # -- variants ----------------------------------------------------------
    def with_step(self, name: str, **changes) -> Saga:
        """A copy with the fields of step ``name`` changed, e.g. ``capacity=2``."""
        self.step(name)
        try:
            steps = [dataclasses.replace(s, **changes) if s.name == name else s
                     for s in self.steps]
        except TypeError as exc:  # unknown field
            fields = [f.name for f in dataclasses.fields(Step)]
            raise TypeError(f"Saga {self.name!r}: cannot change step {name!r}: {exc}; "
                            f"Step fields are {fields}") from None
        return dataclasses.replace(self, steps=tuple(steps))

    def with_failure_p(self, **failure_p: float) -> Saga:
        """A copy with the named steps' ``failure_p`` changed: ``with_failure_p(payment=0.2)``."""
        saga = self
        for n, p in failure_p.items():
            saga = saga.with_step(n, failure_p=p)
        return saga


def _attributes(owner: str, attrs) -> tuple:
    items = attrs.items() if isinstance(attrs, dict) else attrs
    if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        raise TypeError(f"{owner}: attributes must be a mapping name -> distribution, "
                        f"got {v._got(attrs)}")
    out = []
    for pair in v.sequence(owner, "attributes", items, "(name, distribution) pairs",
                           limit=v.MAX_ATTRIBUTES):
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError(f"{owner}: attributes must be (name, distribution) pairs, "
                            f"got {v._got(pair)}")
        name, dist = pair
        v.name(owner, "attributes key", name)
        if name in _SAGA_COLUMNS:
            raise ValueError(f"{owner}: attributes key {name!r} would shadow a column of "
                             f"result.sagas; choose another name")
        if not isinstance(dist, rules.Choice):
            dist = as_distribution(owner, f"attributes[{name!r}]", dist, low=-v.MAX_VALUE)
        out.append((name, dist))
    attr_names = [n for n, _ in out]
    if len(set(attr_names)) != len(attr_names):
        raise ValueError(f"{owner}: attributes must have unique names, got {attr_names}")
    return tuple(out)


def _check_predicates(owner: str, steps, attributes: dict) -> None:
    """Call every plain-Python ``when`` once, on one draw of the attributes, as a check."""
    plain = [s for s in steps if s.when is not None and not rules.is_rule(s.when)]
    if not plain:
        return
    rng = np.random.default_rng(0)
    sample = {k: checked_sample(d, rng, 1, owner, f"attributes[{k!r}]",
                                low=-v.MAX_VALUE).tolist()[0] for k, d in attributes.items()}
    on = (f"one draw of the saga's attributes {sample}" if sample else
          "the saga's attributes {} (it has none; declare them with Saga(attributes=...))")
    for s in plain:
        try:
            got = s.when(dict(sample))
        except Exception as exc:  # the user's code: say which step and on what
            raise ValueError(f"{owner}: step {s.name!r}: when raised {type(exc).__name__}: "
                             f"{v.one_line(str(exc), 200)}, called on {on}") from exc
        if not isinstance(got, (bool, np.bool_)):
            raise TypeError(f"{owner}: step {s.name!r}: when must return True or False, "
                            f"returned {v._got(got)}, called on {on}")


def _runs(owner, steps, label):
    """Check that steps sharing ``label`` (stage or parallel) are consecutive."""
    seen, last = set(), None
    for s in steps:
        x = getattr(s, label)
        if x is not None and x != last and x in seen:
            raise ValueError(f"{owner}: steps with {label} {x!r} must be consecutive; "
                             f"step {s.name!r} comes after a step of another {label}")
        seen.add(x)
        last = x


def _check_structure(owner: str, steps, attributes: dict) -> None:
    """Step kinds in order, stages and parallel groups consecutive, conditions sound."""
    rank = {k: i for i, k in enumerate(STEP_KINDS)}
    pivots = [s.name for s in steps if s.kind == "pivot"]
    if len(pivots) > 1:
        raise ValueError(f"{owner}: a saga has at most one pivot step, got {pivots}")
    for a, b in zip(steps, steps[1:]):
        if rank[b.kind] < rank[a.kind]:
            raise ValueError(f"{owner}: step {b.name!r} is {b.kind} but comes after the "
                             f"{a.kind} step {a.name!r}; "
                             f"the order must be compensatable steps, then the pivot, then "
                             f"retriable steps (a retriable step before the pivot is not "
                             f"allowed)")
    _runs(owner, steps, "stage")
    _runs(owner, steps, "parallel")
    groups: dict = {}
    for s in steps:
        if s.parallel is not None:
            groups.setdefault(s.parallel, []).append(s)
    for label, members in groups.items():
        kinds = {s.kind for s in members}
        if len(members) > 1 and ("pivot" in kinds or len(kinds) > 1):
            raise ValueError(f"{owner}: parallel group {label!r} mixes kinds {sorted(kinds)}; "
                             f"a pivot runs alone and retriable steps only with retriable "
                             f"ones (a sibling's failure would have to undo them)")
    for s in steps:
        if rules.is_rule(s.when):
            rules.check(f"{owner}, step {s.name!r}", s.when, attributes)
    _check_predicates(owner, steps, attributes)
