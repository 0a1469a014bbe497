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

import numbers
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _validate as v
from .world import stream

__all__ = ["Stock", "Credit", "COUNTERMEASURES", "PROMISES", "StateDraws", "anomalies",
           "invariants", "OP_FIELDS", "ANOMALIES", "check_states"]

#: Countermeasures a state's step can use (``None``: none, the naive service).
COUNTERMEASURES = (None, "semantic_lock", "semantic_lock_fail", "commutative", "reread",
                   "reread_fail", "version_file")
#: Countermeasures that promise "never below zero" and "records match the truth".
PROMISES = frozenset(COUNTERMEASURES) - {None}
STATE_STREAM = 5  # world stream key (world: 0-3; faults: 4), then crc32(step), 0 key / 1 amount
#: Fields of one row of ``result.state`` (one operation on business state).
OP_FIELDS = ("time", "saga_id", "state", "key", "op", "amount", "ok", "rule_failed", "read",
             "before", "after", "truth", "lost", "stale", "dirty", "wait", "retries",
             "locked_out")
OPS = ("reserve", "release", "restock")
#: Counts ``result.summary()`` adds for a run with business state (summed over states).
ANOMALIES = ("lost_updates", "dirty_reads", "nonrepeatable_reads", "oversold")


def _amount(owner: str, field: str, value) -> tuple[int, int]:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    if not (isinstance(value, tuple) and len(value) == 2):
        raise TypeError(f"{owner}: {field} must be an int or a (low, high) pair of ints, "
                        f"got {value!r}")
    lo = v.count(owner, f"{field} low", value[0])
    hi = v.count(owner, f"{field} high", value[1])
    if hi < lo:
        raise ValueError(f"{owner}: {field} must have low <= high, got {value!r}")
    return lo, hi


def _countermeasure(owner: str, value):
    if value not in COUNTERMEASURES:
        raise ValueError(f"{owner}: countermeasure must be one of {list(COUNTERMEASURES)}, "
                         f"got {value!r}")
    return value


class _Balance:
    """What Stock and Credit share: ``step``, ``items``, ``start``, ``amounts``, ``refill``."""

    unit = "units"
    refill = (0, 1.0)  # units added to every key, every so many seconds

    def _check(self, items_field: str, start_field: str, amount_field: str):
        set_ = object.__setattr__
        owner = f"{type(self).__name__}"
        v.name(owner, "step", self.step)
        set_(self, items_field, v.count(owner, items_field, getattr(self, items_field)))
        start = getattr(self, start_field)
        if isinstance(start, bool) or not isinstance(start, numbers.Integral) or start < 0:
            raise ValueError(f"{owner}: {start_field} must be an integer >= 0, got {start!r}")
        set_(self, amount_field, _amount(owner, amount_field, getattr(self, amount_field)))
        set_(self, "countermeasure", _countermeasure(owner, self.countermeasure))

    @property
    def promises(self) -> bool:
        """Whether the countermeasure promises: never below zero, records match the truth."""
        return self.countermeasure in PROMISES

    def with_countermeasure(self, countermeasure):
        """A copy using ``countermeasure`` (one of :data:`COUNTERMEASURES`)."""
        from dataclasses import replace
        return replace(self, countermeasure=countermeasure)


@dataclass(frozen=True)
class Stock(_Balance):
    """Stock per product, kept by the service of ``step``, reserved by every saga.

    Parameters
    ----------
    step : str
        The step whose service keeps the stock (e.g. ``"inventory"``).
    products : int
        Size of the catalogue; each saga orders one product, drawn uniformly.
    initial : int
        Units of every product in stock when the run starts (no restock: a
        flash sale).
    quantity : int or (int, int)
        Units each saga orders: a constant or uniform integers low..high.
    countermeasure : str or None
        How the service isolates sagas (see :mod:`sagalab.isolation`).
    restock : int
        Units delivered to every product every ``restock_every`` seconds,
        while sagas are still running (0: none, a flash sale that sells out).
        A delivery is one more writer of the balance: a naive compensation
        can overwrite it too.
    restock_every : float
        Seconds between deliveries (> 0).

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
        object.__setattr__(self, "restock", v.count("Stock", "restock", self.restock, low=0))
        object.__setattr__(self, "restock_every", v.real(
            "Stock", "restock_every", self.restock_every, low_open=True,
            what="a time > 0 seconds"))

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
        How many customers; each saga belongs to one, drawn uniformly.
    limit : int
        Credit of every customer when the run starts, in whole currency units.
    amount : int or (int, int)
        What each saga charges: a constant or uniform integers low..high.
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
        raise TypeError(f"simulate: state must be a list of Stock or Credit, got {state!r}")
    state = tuple(state)
    seen = set()
    for i, s in enumerate(state):
        if not isinstance(s, _Balance):
            raise TypeError(f"simulate: state[{i}] must be a Stock or a Credit, "
                            f"got {type(s).__name__} {s!r}")
        if s.step not in saga.step_names:
            raise ValueError(f"simulate: state[{i}] is kept by step {s.step!r}, which is not "
                             f"in this saga; its steps are {list(saga.step_names)}")
        if s.step in seen:
            raise ValueError(f"simulate: two states are kept by step {s.step!r}; "
                             f"give each step at most one")
        seen.add(s.step)
    return state


class StateDraws:
    """Per-saga keys and amounts of every state, from streams keyed by the step's *name*.

    Keyed by name, not position, so reordering the steps (a pessimistic
    view) leaves every saga's product, customer and amount unchanged, and
    the same seed gives the same orders under both patterns.
    """

    def __init__(self, saga, states, root):
        index = {name: j for j, name in enumerate(saga.step_names)}
        self.slots = []
        for s in states:
            tag = zlib.crc32(s.step.encode())
            self.slots.append((index[s.step], s, stream(root, STATE_STREAM, tag, 0),
                               stream(root, STATE_STREAM, tag, 1)))
        self.n = len(saga.steps)

    def block(self, size: int) -> list:
        """Per saga, per step: ``(key, amount)`` or ``None`` for steps without state."""
        cols: list = [[None] * size for _ in range(self.n)]
        for j, s, rk, ra in self.slots:
            keys = rk.integers(0, s.items, size).tolist()
            lo, hi = s.amounts
            amts = ra.integers(lo, hi + 1, size).tolist()
            cols[j] = list(zip(keys, amts))
        return [list(row) for row in zip(*cols)]


def state_frame(rows, states) -> pd.DataFrame:
    """The per-operation log as a DataFrame (see the README's column reference)."""
    rec = np.asarray(rows, dtype=float).reshape(-1, len(OP_FIELDS))
    rec = rec[np.argsort(rec[:, 0], kind="stable")]  # each ledger's rows are in commit order
    names = [s.step for s in states]
    c = {f: rec[:, i] for i, f in enumerate(OP_FIELDS)}
    return pd.DataFrame({
        "time": c["time"],
        "saga_id": c["saga_id"].astype(np.int64),
        "state": pd.Categorical.from_codes(c["state"].astype(np.int16), names),
        "key": c["key"].astype(np.int32),
        "op": pd.Categorical.from_codes(c["op"].astype(np.int8), list(OPS)),
        "amount": c["amount"].astype(np.int64),
        "ok": c["ok"].astype(bool),
        "rule_failed": c["rule_failed"].astype(bool),
        "read": c["read"],
        "before": c["before"],
        "after": c["after"],
        "truth": c["truth"],
        "lost": c["lost"].astype(bool),
        "stale": c["stale"].astype(bool),
        "dirty": c["dirty"].astype(bool),
        "wait": c["wait"],
        "retries": c["retries"].astype(np.int32),
        "locked_out": c["locked_out"].astype(bool),
    })


def _need_state(result):
    if getattr(result, "state", None) is None:
        raise ValueError("this run has no business state: pass state=[sl.Stock(...)] or "
                         "sl.Credit(...) to sl.simulate")
    return result.state, result.params["state"]


def anomalies(result) -> pd.DataFrame:
    """Anomalies and countermeasure costs per state of one run.

    Returns
    -------
    pandas.DataFrame
        Indexed by state (the step keeping it): ``countermeasure``;
        ``reserves`` (attempts) and ``rule_failures`` (refused by the business
        rule); ``lost_updates``, ``dirty_reads`` and ``nonrepeatable_reads``
        (counts of operations); ``oversold`` (units below zero the truth
        reached, summed over keys); ``drift`` (recorded minus true balance at
        the end, summed over keys); ``lock_waits`` and ``lock_wait_mean``
        (seconds); ``locked_out`` (refused by a semantic lock);
        ``retries`` (rereads that found a change and redid the work).

    Examples
    --------
    >>> import sagalab as sl
    >>> stock = sl.Stock("inventory", products=2, initial=30)
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "orchestration", arrival_rate=40,
    ...                 n_sagas=300, state=[stock])
    >>> list(anomalies(r).columns[:4])
    ['countermeasure', 'reserves', 'rule_failures', 'lost_updates']
    """
    ops, states = _need_state(result)
    rows = {}
    for s in states:
        o = ops[ops["state"] == s.step]
        res = o[o["op"] == "reserve"]
        waited = res[res["wait"] > 0]
        final = o.groupby("key")["truth"].min() if len(o) else pd.Series(dtype=float)
        last = o.groupby("key")[["after", "truth"]].last() if len(o) else None
        rows[s.step] = {
            "countermeasure": s.countermeasure or "none",
            "reserves": len(res),
            "rule_failures": int(res["rule_failed"].sum()),
            "lost_updates": int(o["lost"].sum()),
            "dirty_reads": int(res["dirty"].sum()),
            "nonrepeatable_reads": int(o["stale"].sum()),
            "oversold": float(-final.clip(upper=0).sum()),
            "drift": float((last["after"] - last["truth"]).sum()) if last is not None else 0.0,
            "lock_waits": len(waited),
            "lock_wait_mean": float(waited["wait"].mean()) if len(waited) else 0.0,
            "locked_out": int(res["locked_out"].sum()),
            "retries": int(o["retries"].sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("state")


def invariants(result) -> pd.DataFrame:
    """The end-of-run invariants of each state, and whether its countermeasure promises them.

    * ``never_below_zero``: the true balance of every key stayed >= 0 (no
      product oversold, no customer over the limit);
    * ``records_match_truth``: the recorded balances at the end equal the
      oracle's (no update was lost);
    * ``conserved``: what the records say was taken (initial plus restocks
      minus final, over all keys) equals the amounts of the completed sagas (money
      charged minus refunded = value of completed orders). Checked only
      when no saga ended ``"dlq"`` or ``"stuck"`` (``holds`` is then NA).

    Returns
    -------
    pandas.DataFrame
        One row per (state, invariant): ``holds`` (bool or NA) and
        ``promised`` (the countermeasure guarantees it).

    Examples
    --------
    >>> import sagalab as sl
    >>> stock = sl.Stock("inventory", products=2, initial=30, countermeasure="commutative")
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "choreography", arrival_rate=40,
    ...                 n_sagas=300, state=[stock])
    >>> bool(invariants(r).query("promised").holds.all())
    True
    """
    ops, states = _need_state(result)
    sagas = result.sagas
    clean = not sagas["outcome"].isin(["dlq", "stuck"]).any()
    completed = set(sagas.loc[sagas["outcome"] == "completed", "saga_id"].tolist())
    out = []
    for s in states:
        o = ops[ops["state"] == s.step]
        taken = 0.0
        if len(o):
            final = o.groupby("key")["after"].last()
            untouched = s.items - len(final)
            restocked = float(o.loc[o["op"] == "restock", "amount"].sum())
            taken = float(s.items * s.start + restocked - final.sum() - untouched * s.start)
        res = o[(o["op"] == "reserve") & o["ok"]]
        value = float(res.loc[res["saga_id"].isin(completed), "amount"].sum())
        truth_ok = bool((o["truth"] >= 0).all())
        last = o.groupby("key")[["after", "truth"]].last() if len(o) else None
        match = bool(last is None or (last["after"] == last["truth"]).all())
        for name, holds in (("never_below_zero", truth_ok), ("records_match_truth", match),
                            ("conserved", (taken == value) if clean else pd.NA)):
            out.append({"state": s.step, "invariant": name, "holds": holds,
                        "promised": s.promises})
    return pd.DataFrame(out).set_index(["state", "invariant"])
