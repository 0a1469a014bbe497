"""Business state the services keep, and the anomalies of sagas that share it.

Sagas give up the I of ACID: while one saga is half done, the others see its
effects. To watch that happen, a service keeps *business state* that its
step changes:

* :class:`Stock`: the Inventory service keeps the stock of each product of a
  small catalogue. Every saga orders a quantity of one product (both drawn
  per saga); the step *reserves* it (and fails on the business rule "out of
  stock" when too few are left); its compensation *releases* it.
* :class:`Credit`: the Payment service keeps each customer's available
  credit. Every saga charges an amount to one customer; the step fails when
  the charge is over what is left; its compensation refunds it.

Both are balances per key that a step takes from and its compensation gives
back, so one mechanism runs both (see :mod:`sagalab.isolation`). A run
counts, against an **oracle** that knows the serial truth (every operation's
intended change applied in commit order, and which sagas end compensated):

* **lost updates**: a write that overwrote another saga's change (a
  compensation restoring the balance it saw, after others reserved since; a
  read-modify-write whose read had gone stale);
* **dirty reads**: a saga refused ("out of stock") because of reservations
  of sagas that were later compensated: with only committed sagas' effects
  in view it would have gone through;
* **non-repeatable reads**: a decision taken on a read that no longer held
  when the step wrote (read "2 left", but another saga took them meanwhile).

The per-operation log is ``result.state``; :func:`anomalies` and
:func:`invariants` summarise it (also ``result.anomalies()`` and
``result.invariants()``).
"""
from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass

from . import _validate as v
from .specs import Saga

__all__ = ["Stock", "Credit", "COUNTERMEASURES", "PROMISES", "check_states",
           "pessimistic_view"]

#: Countermeasures a state's step can use (``None``: none, the naive service).
COUNTERMEASURES = (None, "semantic_lock", "semantic_lock_fail", "commutative", "reread",
                   "reread_fail", "version_file")
#: Countermeasures that promise "never below zero" and "records match the truth".
PROMISES = frozenset(COUNTERMEASURES) - {None}
MAX_KEYS = 100_000         # products of a Stock, customers of a Credit (a balance each)
MAX_UNITS = 10**12         # units of a balance, an order or a delivery (exact as floats)
MIN_RESTOCK_EVERY = 0.01   # seconds between deliveries, at the least
MAX_DELIVERIES = 1000      # restock deliveries per simulated second (products / restock_every)


def _amount(owner: str, field: str, value) -> tuple[int, int]:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    if not (isinstance(value, tuple) and len(value) == 2):
        raise TypeError(f"{owner}: {field} must be an int or a (low, high) pair of ints, "
                        f"got {v._got(value)}")
    lo = v.count(owner, f"{field} low", value[0], high=MAX_UNITS, limit="MAX_UNITS")
    hi = v.count(owner, f"{field} high", value[1], high=MAX_UNITS, limit="MAX_UNITS")
    if hi < lo:
        raise ValueError(f"{owner}: {field} must have low <= high, got {v.short(value)}")
    return lo, hi


def _countermeasure(owner: str, value):
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{owner}: countermeasure must be one of {list(COUNTERMEASURES)}, "
                        f"got {v._got(value)}")
    if value not in COUNTERMEASURES:
        raise ValueError(f"{owner}: countermeasure must be one of {list(COUNTERMEASURES)}, "
                         f"got {v._got(value)}")
    return value


class _Balance:
    """What Stock and Credit share: ``step``, ``items``, ``start``, ``amounts``, ``refill``."""

    unit = "units"
    refill = (0, 1.0)  # units added to every key, every so many seconds

    def _check(self, items_field: str, start_field: str, amount_field: str):
        set_ = object.__setattr__
        owner = f"{type(self).__name__}"
        v.name(owner, "step", self.step)
        set_(self, items_field, v.count(owner, items_field, getattr(self, items_field),
                                        high=MAX_KEYS, limit="MAX_KEYS"))
        set_(self, start_field, v.count(owner, start_field, getattr(self, start_field), low=0,
                                        high=MAX_UNITS, limit="MAX_UNITS"))
        set_(self, amount_field, _amount(owner, amount_field, getattr(self, amount_field)))
        set_(self, "countermeasure", _countermeasure(owner, self.countermeasure))

    @property
    def promises(self) -> bool:
        """Whether the countermeasure promises: never below zero, records match the truth."""
        return self.countermeasure in PROMISES

    def with_countermeasure(self, countermeasure):
        """A copy using ``countermeasure`` (one of :data:`COUNTERMEASURES`)."""
        return dataclasses.replace(self, countermeasure=countermeasure)


@dataclass(frozen=True)
class Stock(_Balance):
    """Stock per product, kept by the service of ``step``, reserved by every saga.

    Parameters
    ----------
    step : str
        The step whose service keeps the stock (e.g. ``"inventory"``).
    products : int
        Size of the catalogue; each saga orders one product, drawn uniformly.
        At most ``MAX_KEYS`` (100,000): the service keeps a balance per product.
    initial : int
        Units of every product in stock when the run starts (no restock: a
        flash sale), at most ``MAX_UNITS`` (10**12).
    quantity : int or (int, int)
        Units each saga orders: a constant or uniform integers low..high
        (each from 1 to ``MAX_UNITS``).
    countermeasure : str or None
        How the service isolates sagas (see :mod:`sagalab.isolation`).
    restock : int
        Units delivered to every product every ``restock_every`` seconds,
        while sagas are still running (0: none, a flash sale that sells out).
        A delivery is one more writer of the balance: a naive compensation
        can overwrite it too.
    restock_every : float
        Seconds between deliveries, at least ``MIN_RESTOCK_EVERY`` (0.01).
        Each delivery is a write to every product's balance: with a restock,
        ``products / restock_every`` is at most ``MAX_DELIVERIES`` (1000) per
        second.

    Examples
    --------
    >>> import sagalab as sl
    >>> s = sl.Stock("inventory", products=3, initial=20, quantity=(1, 3))
    >>> s.quantity, s.with_countermeasure("commutative").promises
    ((1, 3), True)
    """

    step: str
    products: int = 3
    initial: int = 50
    quantity: tuple = (1, 3)
    countermeasure: str | None = None
    restock: int = 0
    restock_every: float = 1.0
    unit = "units"

    def __post_init__(self):
        self._check("products", "initial", "quantity")
        object.__setattr__(self, "restock", v.count("Stock", "restock", self.restock, low=0,
                                                    high=MAX_UNITS, limit="MAX_UNITS"))
        object.__setattr__(self, "restock_every", v.real(
            "Stock", "restock_every", self.restock_every, low=MIN_RESTOCK_EVERY, high=v.MAX_VALUE,
            what=f"a time in [{MIN_RESTOCK_EVERY:g}, {v.MAX_VALUE:g}] seconds "
                 f"(MIN_RESTOCK_EVERY, MAX_VALUE)"))
        if self.restock and self.products / self.restock_every > MAX_DELIVERIES:
            raise ValueError(f"Stock: restock every {self.restock_every:g} s to each of "
                             f"{self.products} products is {self.products / self.restock_every:g} "
                             f"deliveries per second, more than {MAX_DELIVERIES} "
                             f"(MAX_DELIVERIES); raise restock_every or lower products")

    @property
    def refill(self) -> tuple[int, float]:
        return self.restock, self.restock_every

    @property
    def items(self) -> int:
        return self.products

    @property
    def start(self) -> int:
        return self.initial

    @property
    def amounts(self) -> tuple[int, int]:
        return self.quantity


@dataclass(frozen=True)
class Credit(_Balance):
    """Available credit per customer, kept by the service of ``step``, charged by every saga.

    Parameters
    ----------
    step : str
        The step whose service keeps the credit (e.g. ``"payment"``).
    customers : int
        How many customers; each saga belongs to one, drawn uniformly. At most
        ``MAX_KEYS`` (100,000).
    limit : int
        Credit of every customer when the run starts, in whole currency units
        (at most ``MAX_UNITS``, 10**12).
    amount : int or (int, int)
        What each saga charges: a constant or uniform integers low..high
        (each from 1 to ``MAX_UNITS``).
    countermeasure : str or None
        How the service isolates sagas (see :mod:`sagalab.isolation`).

    Examples
    --------
    >>> import sagalab as sl
    >>> sl.Credit("payment", customers=5, limit=300, amount=(20, 80)).amounts
    (20, 80)
    """

    step: str
    customers: int = 10
    limit: int = 500
    amount: tuple = (10, 100)
    countermeasure: str | None = None
    unit = "currency units"

    def __post_init__(self):
        self._check("customers", "limit", "amount")

    @property
    def items(self) -> int:
        return self.customers

    @property
    def start(self) -> int:
        return self.limit

    @property
    def amounts(self) -> tuple[int, int]:
        return self.amount


def check_states(state, saga) -> tuple:
    """``state`` as a tuple of Stock/Credit, each naming a distinct step of ``saga``."""
    if state is None:
        return ()
    if isinstance(state, _Balance):
        state = (state,)
    if isinstance(state, (str, bytes)) or not hasattr(state, "__iter__"):
        raise TypeError(f"simulate: state must be a list of Stock or Credit, got {v._got(state)}")
    state = tuple(state)
    seen = set()
    for i, s in enumerate(state):
        if not isinstance(s, _Balance):
            raise TypeError(f"simulate: state[{i}] must be a Stock or a Credit, "
                            f"got {v._got(s)}")
        if s.step not in saga.step_names:
            raise ValueError(f"simulate: state[{i}] is kept by step {s.step!r}, which is not "
                             f"in this saga; its steps are {list(saga.step_names)}")
        if s.step in seen:
            raise ValueError(f"simulate: two states are kept by step {s.step!r}; "
                             f"give each step at most one")
        seen.add(s.step)
    return state


def pessimistic_view(saga: Saga, *steps: str) -> Saga:
    """A copy of ``saga`` with ``steps`` moved to the end, in the order given.

    The pessimistic-view countermeasure: a step whose effect other sagas read
    (a stock reservation) runs after every step that can still fail, so its
    effect is never compensated and nobody reads a change that is later
    undone. The event graph of the new saga shows the new order.

    Examples
    --------
    >>> import sagalab as sl
    >>> saga = sl.pessimistic_view(sl.scenarios.ecommerce(), "inventory")
    >>> saga.step_names
    ('payment', 'shipping', 'inventory')
    """
    v.instance("pessimistic_view", "saga", saga, Saga)
    if not steps:
        raise ValueError("pessimistic_view: name at least one step to move to the end")
    for i, s in enumerate(steps):
        if not isinstance(s, str) or s not in saga.step_names:
            raise ValueError(f"pessimistic_view: steps[{i}] must name a step of the saga, one "
                             f"of {list(saga.step_names)}, got {v.short(s)}")
    if len(set(steps)) != len(steps):
        raise ValueError(f"pessimistic_view: steps must be distinct, got {list(steps)}")
    moved = [saga.step(s) for s in steps]
    rest = [s for s in saga.steps if s.name not in steps]
    return dataclasses.replace(saga, steps=tuple(rest + moved))
