"""Input checks shared by every spec: each names the field and what is allowed.

Specs call these in ``__post_init__`` so that bad input fails at construction,
before anything runs, with a message such as
``Step 'payment': failure_p must be a probability in [0, 1], got 1.5``.

The limits below keep a run meaningful and finite. Each is refused with its
name and value in the message:

========================  ==========  =================================================
limit                     value       why
========================  ==========  =================================================
``MAX_VALUE``             1e9         seconds (about 32 years), or units of an attribute:
                                      beyond it float times lose the microseconds the
                                      tables add up, and sums of draws overflow
``MAX_WORKERS``           1,000,000   workers of one station (capacity)
``MAX_RETRIES``           100         retries of one call or one compensation
``MAX_PARTITIONS``        10,000      partitions of a topic (one queue each, per service)
``MAX_COMMIT_EVERY``      1,000,000   messages a consumer works between two commits
``MAX_STEPS``             100         steps of one saga
``MAX_ATTRIBUTES``        100         attributes of one saga
``MAX_NAME_LENGTH``       100         characters of a name or a message name
========================  ==========  =================================================
"""
from __future__ import annotations

import itertools
import math
import numbers

import numpy as np

RESERVED_NAMES = frozenset({"orchestrator", "broker", "dlq", "network"})

MAX_VALUE = 1e9            # seconds, or attribute units: the largest number a spec may state
MAX_WORKERS = 1_000_000    # workers of one station
MAX_RETRIES = 100          # retries of one call or one compensation
MAX_PARTITIONS = 10_000    # partitions of one topic
MAX_COMMIT_EVERY = 1_000_000  # messages a consumer may work between two commits
MAX_STEPS = 100            # steps of one saga
MAX_ATTRIBUTES = 100       # attributes of one saga
MAX_NAME_LENGTH = 100      # characters of a name


def one_line(text: str, width: int = 80) -> str:
    """``text`` on one line (runs of white space folded), cut to ``width`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


def short(value) -> str:
    """``repr(value)`` on one line, cut to a readable length (for an error message)."""
    try:
        return one_line(repr(value))
    except ValueError:  # an int too long to print
        return f"<{type(value).__name__} too long to print>"


def _got(value) -> str:
    """``value`` for an error message: its type and a repr cut to a readable length."""
    return f"{type(value).__name__} {short(value)}"


def real(owner: str, field: str, value, *, low: float = 0.0, low_open: bool = False,
         high: float = math.inf, what: str | None = None) -> float:
    """Return ``value`` as float if it is a finite real in the allowed range.

    Examples
    --------
    >>> real("Step 'a'", "failure_p", 0.5, high=1.0)
    0.5
    >>> real("Step 'a'", "failure_p", float("nan"))
    Traceback (most recent call last):
    ValueError: Step 'a': failure_p must be a finite number, got nan
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {field} must be a number, got {_got(value)}")
    try:
        v = float(value)
    except OverflowError:  # an int too large for a float
        v = math.inf if value > 0 else -math.inf
    if math.isnan(v) or (high == math.inf and math.isinf(v)):
        raise ValueError(f"{owner}: {field} must be a finite number, got {short(value)}")
    bad_low = v <= low if low_open else v < low
    if bad_low or v > high:
        if what is None:
            lo = "(" if low_open else "["
            hi = "]" if high != math.inf else ")"
            hi_txt = "inf" if high == math.inf else f"{high:g}"
            what = f"in {lo}{low:g}, {hi_txt}{hi}"
        raise ValueError(f"{owner}: {field} must be {what}, got {short(value)}")
    return v


def probability(owner: str, field: str, value) -> float:
    return real(owner, field, value, low=0.0, high=1.0, what="a probability in [0, 1]")


def seconds(owner: str, field: str, value, *, low_open: bool = False) -> float:
    """A time in seconds: finite, >= 0 (> 0 with ``low_open``), at most ``MAX_VALUE``."""
    sign = ">" if low_open else ">="
    return real(owner, field, value, low_open=low_open, high=MAX_VALUE,
                what=f"a time {sign} 0 and <= {MAX_VALUE:g} seconds (MAX_VALUE)")


def count(owner: str, field: str, value, *, low: int = 1, high: int | None = None,
          limit: str = "") -> int:
    """Return ``value`` if it is an int in ``[low, high]`` (bools and floats are refused).

    ``limit`` names the documented maximum in the message, e.g. ``"MAX_RETRIES"``.
    """
    allowed = f"an integer >= {low}" + ("" if high is None else f" and <= {high:,}")
    if limit:
        allowed += f" ({limit})"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {field} must be {allowed}, got {_got(value)}")
    if value < low or (high is not None and value > high):
        raise ValueError(f"{owner}: {field} must be {allowed}, got {short(value)}")
    return int(value)


def text(owner: str, field: str, value) -> str:
    """A printable one-line label: no control characters, no surrounding blanks, short."""
    if not isinstance(value, str):
        raise TypeError(f"{owner}: {field} must be a str, got {_got(value)}")
    if not value or not value.isprintable() or value != value.strip():
        raise ValueError(f"{owner}: {field} must be non-empty printable text without control "
                         f"characters, newlines or surrounding blanks, got {short(value)}")
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"{owner}: {field} must be at most {MAX_NAME_LENGTH} characters "
                         f"(MAX_NAME_LENGTH), got {len(value)}")
    return value


def name(owner: str, field: str, value) -> str:
    """A participant name: a non-empty identifier-like string without dots."""
    if not isinstance(value, str):
        raise TypeError(f"{owner}: {field} must be a str, got {_got(value)}")
    if not value or not value.isascii() or not value.replace("_", "a").replace("-", "a").isalnum():
        raise ValueError(f"{owner}: {field} must be a non-empty name of ASCII letters, "
                         f"digits, '_' or '-', got {short(value)}")
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"{owner}: {field} must be at most {MAX_NAME_LENGTH} characters "
                         f"(MAX_NAME_LENGTH), got {len(value)}")
    if value in RESERVED_NAMES:
        raise ValueError(f"{owner}: {field} {value!r} is reserved; choose a name other than "
                         f"{sorted(RESERVED_NAMES)}")
    return value


def flag(owner: str, field: str, value) -> bool:
    """``True`` or ``False`` (a numpy bool too); nothing else, not even 0 or 1."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {field} must be True or False, got {_got(value)}")
    return bool(value)


def instance(owner: str, field: str, value, cls, *, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if not isinstance(value, cls):
        allowed = cls.__name__ + (" or None" if allow_none else "")
        raise TypeError(f"{owner}: {field} must be a {allowed}, got {_got(value)}")
    return value


def sequence(owner: str, field: str, value, what: str, *, limit: int) -> tuple:
    """``value`` as a tuple of at most ``limit`` items.

    Any iterable but a str, bytes or mapping; an endless iterator is read no
    further than ``limit + 1`` items.
    """
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{owner}: {field} must be a sequence of {what}, got {_got(value)}")
    items = tuple(itertools.islice(value, limit + 1))
    if len(items) > limit:
        raise ValueError(f"{owner}: {field} must hold at most {limit:,} items, got more")
    return items
