"""Checks for the notebooks' exercises: pass on a right answer, explain a wrong one.

Each check returns a :class:`Check`, which prints as one line starting with
``PASS``, ``NOT YET`` (no answer given: the answer is still ``None``) or
``TRY AGAIN`` followed by a hint. Checks compute the right answer from the
model or from theory; nothing is hard-coded.

>>> import sagalab as sl
>>> sl.checks.close_to(None, 0.5, what="the probability")
NOT YET: set your answer for the probability (a number), then run this cell again.
>>> sl.checks.close_to(0.49, 0.5, what="the probability", rel=0.05)
PASS: the probability = 0.49 (expected about 0.5).
"""
from __future__ import annotations

import importlib
import importlib.metadata
import platform
from dataclasses import dataclass

import pandas as pd

__all__ = ["Check", "close_to", "equals", "same_items", "one_of", "environment"]


@dataclass(frozen=True)
class Check:
    """The verdict on one answer: ``passed`` is True, False, or None (not answered)."""

    passed: bool | None
    message: str

    def __repr__(self) -> str:
        head = {True: "PASS", False: "TRY AGAIN", None: "NOT YET"}[self.passed]
        return f"{head}: {self.message}"

    def __bool__(self) -> bool:
        return bool(self.passed)


def _not_yet(what: str, form: str) -> Check:
    return Check(None, f"set your answer for {what} ({form}), then run this cell again.")


def close_to(answer, expected: float, *, what: str, rel: float = 0.1, abs_: float = 0.0,
             hint: str = "") -> Check:
    """Pass when ``answer`` is within ``rel`` (relative) or ``abs_`` of ``expected``."""
    if answer is None:
        return _not_yet(what, "a number")
    try:
        x = float(answer)
    except (TypeError, ValueError):
        return Check(False, f"{what} should be a number, got {answer!r}.")
    ok = abs(x - expected) <= max(rel * abs(expected), abs_)
    if ok:
        return Check(True, f"{what} = {x:.4g} (expected about {expected:.4g}).")
    direction = "high" if x > expected else "low"
    return Check(False, f"{what} = {x:.4g} is too {direction}. {hint}".strip())


def equals(answer, expected, *, what: str, hint: str = "") -> Check:
    """Pass when ``answer == expected`` (counts, names).

    >>> equals(8, 8, what="messages")
    PASS: messages = 8.
    """
    if answer is None:
        form = {int: "a whole number", str: "a name in quotes"}.get(type(expected), "a value")
        return _not_yet(what, form)
    if answer == expected:
        return Check(True, f"{what} = {answer!r}.")
    return Check(False, f"{what}: not {answer!r}. {hint}".strip())


def same_items(answer, expected, *, what: str, hint: str = "") -> Check:
    """Pass when ``answer`` holds the same items as ``expected``, in any order.

    >>> same_items(["b", "a"], ("a", "b"), what="topics")
    PASS: topics = ['a', 'b'].
    >>> same_items(["a"], ("a", "b"), what="topics")
    TRY AGAIN: topics: missing ['b'].
    """
    if answer is None:
        return _not_yet(what, "a list")
    if isinstance(answer, str) or not hasattr(answer, "__iter__"):
        return Check(False, f"{what} should be a list, got {answer!r}.")
    got, want = set(answer), set(expected)
    if got == want:
        return Check(True, f"{what} = {sorted(want)}.")
    parts = []
    if want - got:
        parts.append(f"missing {sorted(want - got)}")
    if got - want:
        parts.append(f"not expected {sorted(got - want)}")
    return Check(False, f"{what}: {'; '.join(parts)}. {hint}".strip())


def one_of(answer, expected, *, what: str, choices, hint: str = "") -> Check:
    """Pass when ``answer`` equals ``expected``, one of ``choices``."""
    if answer is None:
        return _not_yet(what, "one of " + ", ".join(repr(c) for c in choices))
    if answer not in choices:
        return Check(False, f"{what} must be one of {list(choices)}, got {answer!r}.")
    if answer == expected:
        return Check(True, f"{what}: {answer!r}.")
    return Check(False, f"{what}: not {answer!r}. {hint}".strip())


PACKAGES = ("simpy", "numpy", "pandas", "matplotlib", "networkx", "ipywidgets")


def environment() -> pd.DataFrame:
    """Versions of Python and the packages the series uses (``missing`` if absent)."""
    rows = [("python", platform.python_version())]
    for name in PACKAGES:
        try:
            rows.append((name, importlib.import_module(name).__version__))
        except ImportError:
            rows.append((name, "missing"))
    rows.append(("sagalab", importlib.metadata.version("sagalab")))
    return pd.DataFrame(rows, columns=["package", "version"]).set_index("package")
