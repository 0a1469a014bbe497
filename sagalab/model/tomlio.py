"""Sagas as TOML files, so a course can ship its own sagas without writing Python.

``saga.to_toml()`` writes the text; ``sl.Saga.from_toml(path)`` reads it back
to an equal :class:`~sagalab.Saga`. Reading uses the standard library's
``tomllib`` and builds every value through the spec constructors, so a file
is checked like Python input. Nothing in a file is ever executed: conditions
are tables ``{field = "amount", op = ">", value = 1000}`` (or ``{all = [...]}``
/ ``{any = [...]}``), turned into :class:`~sagalab.Condition` values, never
passed to ``eval`` or imported. A malformed file gets an error naming the
file, the key and what was expected.

The format, by example::

    name = "loans"
    initiator = "application"
    initiator_time = 0.002                      # a number of seconds: Constant

    [attributes]
    amount = {dist = "lognormal", mean = 15000.0, sigma = 1.0}
    tier = {choice = ["new", "gold"], weights = [0.7, 0.3]}

    [[steps]]
    name = "credit_check"
    service_time = {dist = "exponential", mean = 0.5}
    failure_p = 0.1
    when = {field = "amount", op = ">", value = 1000}

Step keys are the :class:`~sagalab.Step` fields; keys left out take their
defaults (``to_toml`` writes only what differs from them).

Limits: a file is read only if it is a regular file (not a directory, a FIFO
or a device) of at most 1 MiB (``MAX_BYTES``), as UTF-8 (a byte-order mark
is accepted), with tables and arrays nested at most 40 levels deep
(``MAX_DEPTH``). An error is a ``ValueError`` or ``TypeError`` that names the
file, the table and the key, e.g. ``course.toml: steps[0].service_time.mean:
missing; a table {dist = "exponential"} needs mean``.
"""
from __future__ import annotations

from . import _toml
from ._toml import MAX_BYTES, MAX_DEPTH
from .specs import Saga, Step

__all__ = ["dumps", "loads", "load", "MAX_BYTES", "MAX_DEPTH"]


def dumps(saga: Saga) -> str:
    """The TOML text of ``saga`` (only fields that differ from their defaults).

    Examples
    --------
    >>> import sagalab as sl
    >>> text = sl.scenarios.user_onboarding().to_toml()
    >>> text.splitlines()[0]
    'name = "user_onboarding"'
    >>> sl.tomlio.loads(text) == sl.scenarios.user_onboarding()
    True
    """
    if not isinstance(saga, Saga):
        raise TypeError(f"tomlio.dumps: saga must be a Saga, got {type(saga).__name__}")
    return _toml.dumps(saga)


def loads(text: str, source: str = "<string>") -> Saga:
    """A Saga from TOML ``text``; errors name ``source``, the table, the key and what was expected.

    Examples
    --------
    >>> import sagalab as sl
    >>> text = 'name = "s"\\n[[steps]]\\nname = "pay"\\nservice_time = {dist = "exponential"}'
    >>> sl.tomlio.loads(text)
    Traceback (most recent call last):
    ValueError: <string>: steps[0].service_time.mean: missing; a table {dist = "exponential"}
    needs mean
    """
    return _toml.loads(text, source, Saga, Step)


def load(path) -> Saga:
    """A Saga from the TOML file at ``path`` (see :func:`loads` and the limits above)."""
    return _toml.load(path, Saga, Step)
