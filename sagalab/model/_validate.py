"""Input checks shared by every spec: each names the field and what is allowed.

Specs call these in ``__post_init__`` so that bad input fails at construction,
before anything runs, with a message such as
``Step 'payment': failure_p must be a probability in [0, 1], got 1.5``.
"""
from __future__ import annotations

import math
import numbers

RESERVED_NAMES = frozenset({"orchestrator", "broker", "dlq", "network"})


def real(owner: str, field: str, value, *, low: float = 0.0, low_open: bool = False,
         high: float = math.inf, what: str | None = None) -> float:
    """Return ``value`` as float if it is a finite real in the allowed range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {field} must be a number, got {type(value).__name__} {value!r}")
    v = float(value)
    if math.isnan(v) or (high == math.inf and math.isinf(v)):
        raise ValueError(f"{owner}: {field} must be a finite number, got {value!r}")
    bad_low = v <= low if low_open else v < low
    if bad_low or v > high:
        if what is None:
            lo = "(" if low_open else "["
            hi = "]" if high != math.inf else ")"
            hi_txt = "inf" if high == math.inf else f"{high:g}"
            what = f"in {lo}{low:g}, {hi_txt}{hi}"
        raise ValueError(f"{owner}: {field} must be {what}, got {value!r}")
    return v


def probability(owner: str, field: str, value) -> float:
    return real(owner, field, value, low=0.0, high=1.0, what="a probability in [0, 1]")


def count(owner: str, field: str, value, *, low: int = 1) -> int:
    """Return ``value`` if it is an int >= ``low`` (bools and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {field} must be an integer >= {low}, "
                        f"got {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{owner}: {field} must be an integer >= {low}, got {value!r}")
    return int(value)


def name(owner: str, field: str, value) -> str:
    """A participant name: a non-empty identifier-like string without dots."""
    if not isinstance(value, str):
        raise TypeError(f"{owner}: {field} must be a str, got {type(value).__name__} {value!r}")
    if not value or not value.replace("_", "a").replace("-", "a").isalnum():
        raise ValueError(f"{owner}: {field} must be a non-empty name of letters, digits, "
                         f"'_' or '-', got {value!r}")
    if value in RESERVED_NAMES:
        raise ValueError(f"{owner}: {field} {value!r} is reserved; choose a name other than "
                         f"{sorted(RESERVED_NAMES)}")
    return value


def flag(owner: str, field: str, value) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {field} must be True or False, got {value!r}")
    return value


def instance(owner: str, field: str, value, cls, *, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if not isinstance(value, cls):
        allowed = cls.__name__ + (" or None" if allow_none else "")
        raise TypeError(f"{owner}: {field} must be a {allowed}, "
                        f"got {type(value).__name__} {value!r}")
    return value
