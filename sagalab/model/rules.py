"""Business rules: attributes drawn per saga, and the conditions steps run under.

The seed's "complex business logic": *if payment > $1000, require approval*;
*different paths based on user tier*. A :class:`~sagalab.Saga` may declare
**attributes**, drawn afresh for every saga (an ``amount`` from a
``LogNormal``, a ``tier`` from a weighted :class:`Choice`), and a
:class:`~sagalab.Step` may run only ``when`` a condition on them holds.

Conditions are small declarative values, :class:`Condition` ``(field, op,
value)`` combined with ``&`` and ``|`` (:class:`AllOf`, :class:`AnyOf`), so a
spec stays printable, picklable and storable in a TOML file; they are
evaluated on whole blocks of sagas at once (numpy), never by ``eval``. A plain
Python predicate (a callable taking the saga's attributes as a dict) is
accepted too, at the price of those three properties.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from . import _validate as v

__all__ = ["Choice", "Condition", "AllOf", "AnyOf", "OPS", "is_rule", "MAX_VALUES", "MAX_DEPTH"]

#: Comparison operators a Condition understands.
OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in")
_ORDERING = ("<", "<=", ">", ">=")
MAX_VALUES = 10_000  # values of a Choice, or of an ``in`` condition
MAX_DEPTH = 16       # levels of AllOf / AnyOf nested in each other
_NUMPY = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
          ">": np.greater, ">=": np.greater_equal}


def _scalar(owner: str, field: str, x):
    """A str or a finite real number (bools are refused: they read as 0/1)."""
    if isinstance(x, str):
        return x
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise TypeError(f"{owner}: {field} must be a str or a finite number, got {v._got(x)}")
    as_float = v.real(owner, field, x, low=-math.inf, what="a finite number")
    return int(x) if isinstance(x, numbers.Integral) else as_float


@dataclass(frozen=True)
class Choice:
    """An attribute drawn from a few values with weights, e.g. a customer's tier.

    Parameters
    ----------
    values : sequence of str, or sequence of numbers
        The possible values (all text or all numbers), each listed once.
    weights : sequence of float or None
        Relative weights (> 0, normalised when drawn); ``None``: equal.

    Examples
    --------
    >>> import numpy as np, sagalab as sl
    >>> tier = sl.Choice(("gold", "standard"), (0.2, 0.8))
    >>> tier.sample(np.random.default_rng(0), 4).tolist()
    ['standard', 'standard', 'gold', 'gold']
    """

    values: tuple
    weights: tuple | None = None

    def __post_init__(self):
        values = tuple(_scalar("Choice", "values", x) for x in
                       v.sequence("Choice", "values", self.values, "values", limit=MAX_VALUES))
        if not values:
            raise ValueError("Choice: values must hold at least one value")
        if len(set(values)) != len(values):
            raise ValueError(f"Choice: values must be unique, got {v.short(values)}")
        if len({isinstance(x, str) for x in values}) > 1:
            raise TypeError(f"Choice: values must be all text or all numbers, "
                            f"got {v.short(values)}")
        object.__setattr__(self, "values", values)
        if self.weights is not None:
            w = tuple(v.real("Choice", "weights", x, low_open=True, high=v.MAX_VALUE,
                             what=f"a weight in (0, {v.MAX_VALUE:g}] (MAX_VALUE)")
                      for x in v.sequence("Choice", "weights", self.weights, "weights",
                                          limit=MAX_VALUES))
            if len(w) != len(values):
                raise ValueError(f"Choice: weights must have one entry per value "
                                 f"({len(values)}), got {len(w)}")
            object.__setattr__(self, "weights", w)

    @property
    def is_text(self) -> bool:
        return isinstance(self.values[0], str)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        p = None
        if self.weights is not None:
            p = np.asarray(self.weights) / sum(self.weights)
        return np.asarray(self.values)[rng.choice(len(self.values), size, p=p)]


class _Rule:
    """Shared behaviour of declarative conditions: ``&``, ``|`` and checking."""

    def __and__(self, other):
        return AllOf((self, other))

    def __or__(self, other):
        return AnyOf((self, other))

    def __call__(self, attributes) -> bool:
        """Evaluate on one saga's attributes (a mapping name -> value)."""
        return bool(self.mask({k: np.asarray([x]) for k, x in attributes.items()})[0])


@dataclass(frozen=True)
class Condition(_Rule):
    """``field op value``: a comparison on one saga attribute.

    Parameters
    ----------
    field : str
        The attribute's name, e.g. ``"amount"``.
    op : str
        One of ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``in``, ``not in``.
    value : str, number, or (for ``in``/``not in``) a sequence of them
        What the attribute is compared with.

    Examples
    --------
    >>> import sagalab as sl
    >>> big = sl.Condition("amount", ">", 1000)
    >>> str(big), big({"amount": 1500.0})
    ('amount > 1000', True)
    >>> str(big & sl.Condition("tier", "in", ["standard", "new"]))
    "(amount > 1000) and (tier in ('standard', 'new'))"
    """

    field: str
    op: str
    value: object

    def __post_init__(self):
        v.name("Condition", "field", self.field)
        if not isinstance(self.op, str) or self.op not in OPS:
            raise ValueError(f"Condition: op must be one of {list(OPS)}, got {v._got(self.op)}")
        if self.op in ("in", "not in"):
            vals = tuple(_scalar("Condition", "value", x) for x in
                         v.sequence("Condition", f"value for {self.op!r}", self.value, "values",
                                    limit=MAX_VALUES))
            if not vals:
                raise ValueError(f"Condition: value for {self.op!r} must not be empty")
            object.__setattr__(self, "value", vals)
        else:
            object.__setattr__(self, "value", _scalar("Condition", "value", self.value))

    def fields(self) -> set[str]:
        return {self.field}

    def values(self) -> tuple:
        return self.value if isinstance(self.value, tuple) else (self.value,)

    def mask(self, attributes) -> np.ndarray:
        """Evaluate on arrays of attributes (one entry per saga): a bool array."""
        x = attributes[self.field]
        if self.op == "in":
            return np.isin(x, self.value)
        if self.op == "not in":
            return ~np.isin(x, self.value)
        return _NUMPY[self.op](x, self.value)

    def __str__(self) -> str:
        return f"{self.field} {self.op} {self.value!r}"


@dataclass(frozen=True)
class _Combined(_Rule):
    terms: tuple

    _word = ""

    def __post_init__(self):
        terms = v.sequence(type(self).__name__, "terms", self.terms, "conditions",
                           limit=MAX_VALUES)
        if len(terms) < 2:
            raise ValueError(f"{type(self).__name__}: terms must hold at least two conditions")
        for t in terms:
            if not isinstance(t, _Rule):
                raise TypeError(f"{type(self).__name__}: terms must be Condition, AllOf or "
                                f"AnyOf, got {v._got(t)}")
        if 1 + max(depth(t) for t in terms) > MAX_DEPTH:
            raise ValueError(f"{type(self).__name__}: terms nest AllOf/AnyOf more than "
                             f"{MAX_DEPTH} levels deep (MAX_DEPTH)")
        object.__setattr__(self, "terms", terms)

    def fields(self) -> set[str]:
        return set().union(*(t.fields() for t in self.terms))

    def __str__(self) -> str:
        return f" {self._word} ".join(f"({t})" for t in self.terms)


@dataclass(frozen=True)
class AllOf(_Combined):
    """True when every term holds (``a & b``)."""

    _word = "and"

    def mask(self, attributes) -> np.ndarray:
        return np.logical_and.reduce([t.mask(attributes) for t in self.terms])


@dataclass(frozen=True)
class AnyOf(_Combined):
    """True when some term holds (``a | b``)."""

    _word = "or"

    def mask(self, attributes) -> np.ndarray:
        return np.logical_or.reduce([t.mask(attributes) for t in self.terms])


def is_rule(x) -> bool:
    """True for a declarative condition (Condition, AllOf, AnyOf)."""
    return isinstance(x, _Rule)


def depth(rule) -> int:
    """Levels of AllOf/AnyOf in ``rule`` (a Condition: 0)."""
    return 1 + max(depth(t) for t in rule.terms) if isinstance(rule, _Combined) else 0


def check(owner: str, rule, attributes: dict) -> None:
    """Refuse a declarative ``rule`` that names unknown attributes or mixes types."""
    if isinstance(rule, _Combined):
        for t in rule.terms:
            check(owner, t, attributes)
        return
    if rule.field not in attributes:
        raise ValueError(f"{owner}: when refers to attribute {rule.field!r}, but the saga's "
                         f"attributes are {sorted(attributes)}")
    dist = attributes[rule.field]
    text = isinstance(dist, Choice) and dist.is_text
    kind = "text" if text else "a number"
    for x in rule.values():
        if isinstance(x, str) != text:
            raise TypeError(f"{owner}: when compares attribute {rule.field!r} ({kind}) with "
                            f"{x!r}; use a value of the same type")
    if text and rule.op in _ORDERING:
        raise ValueError(f"{owner}: when orders the text attribute {rule.field!r} with "
                         f"{rule.op!r}; use ==, !=, in or not in")
