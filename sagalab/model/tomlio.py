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
"""
from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path

from .distributions import Constant, Exponential, LogNormal
from .rules import AllOf, AnyOf, Choice, Condition
from .specs import Saga, Step

__all__ = ["dumps", "loads", "load"]

_SAGA_KEYS = ("name", "initiator", "initiator_time", "initiator_capacity", "attributes", "steps")
_STEP_KEYS = tuple(f.name for f in dataclasses.fields(Step))
_DIST_HELP = ('a number of seconds or a table {dist = "constant", value = ...}, '
              '{dist = "exponential", mean = ...} or {dist = "lognormal", mean = ..., sigma = ...}')
_WHEN_HELP = ('a table {field = ..., op = ..., value = ...}, {all = [...]} or {any = [...]}')


# -- writing -----------------------------------------------------------------
def _value(x) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, str):
        return json.dumps(x, ensure_ascii=False)  # JSON string escapes are TOML's too
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return repr(x)
    if isinstance(x, (tuple, list)):
        return "[" + ", ".join(_value(i) for i in x) + "]"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k} = {_value(v)}" for k, v in x.items()) + "}"
    raise TypeError(f"cannot write {type(x).__name__} {x!r} to TOML")  # pragma: no cover


def _dist_out(where: str, d):
    if isinstance(d, Constant):
        return d.value
    if isinstance(d, Exponential):
        return {"dist": "exponential", "mean": d.mean}
    if isinstance(d, LogNormal):
        return {"dist": "lognormal", "mean": d.mean, "sigma": d.sigma}
    if isinstance(d, Choice):
        out = {"choice": list(d.values)}
        if d.weights is not None:
            out["weights"] = list(d.weights)
        return out
    raise TypeError(f"{where}: {type(d).__name__} cannot be written to TOML")


def _when_out(where: str, w):
    if isinstance(w, Condition):
        return {"field": w.field, "op": w.op, "value": w.value}
    if isinstance(w, (AllOf, AnyOf)):
        return {"all" if isinstance(w, AllOf) else "any": [_when_out(where, t) for t in w.terms]}
    raise TypeError(f"{where} is a Python callable and cannot be written to TOML; "
                    f"use sl.Condition (with & and |) instead")


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
    lines = [f"name = {_value(saga.name)}", f"initiator = {_value(saga.initiator)}"]
    if saga.initiator_time is not None:
        lines.append(f"initiator_time = "
                     f"{_value(_dist_out('initiator_time', saga.initiator_time))}")
    if saga.initiator_capacity != 1:
        lines.append(f"initiator_capacity = {saga.initiator_capacity}")
    if saga.attributes:
        lines += ["", "[attributes]"]
        lines += [f"{k} = {_value(_dist_out(f'attributes.{k}', d))}" for k, d in saga.attributes]
    for s in saga.steps:
        default = Step(s.name, s.service_time)
        lines += ["", "[[steps]]"]
        for f in _STEP_KEYS:
            x = getattr(s, f)
            if f not in ("name", "service_time") and x == getattr(default, f):
                continue
            where = f"step {s.name!r}: {f}"
            if f == "when":
                x = _when_out(where, x)
            elif f in ("service_time", "compensation_time"):
                x = _dist_out(where, x)
            lines.append(f"{f} = {_value(x)}")
    return "\n".join(lines) + "\n"


# -- reading -----------------------------------------------------------------
class _Reader:
    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, expected: str, got) -> ValueError:
        return ValueError(f"{self.source}: {key}: expected {expected}, got {got!r}")

    def keys(self, key: str, table, allowed) -> None:
        if not isinstance(table, dict):
            raise self.fail(key, "a table", table)
        for k in table:
            if k not in allowed:
                raise ValueError(f"{self.source}: {key + '.' if key else ''}{k}: unknown key; "
                                 f"expected one of {list(allowed)}")

    def dist(self, key: str, x):
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            return x
        if not isinstance(x, dict):
            raise self.fail(key, _DIST_HELP, x)
        kind = x.get("dist")
        args = {"constant": ("value",), "exponential": ("mean",),
                "lognormal": ("mean", "sigma")}
        if kind not in args:
            raise self.fail(f"{key}.dist", '"constant", "exponential" or "lognormal"', kind)
        self.keys(key, x, ("dist",) + args[kind])
        cls = {"constant": Constant, "exponential": Exponential, "lognormal": LogNormal}[kind]
        return cls(**{k: v for k, v in x.items() if k != "dist"})

    def attribute(self, key: str, x):
        if isinstance(x, dict) and "choice" in x:
            self.keys(key, x, ("choice", "weights"))
            return Choice(x["choice"], x.get("weights"))
        return self.dist(key, x)

    def when(self, key: str, x):
        if not isinstance(x, dict):
            raise self.fail(key, _WHEN_HELP, x)
        if "all" in x or "any" in x:
            word = "all" if "all" in x else "any"
            self.keys(key, x, (word,))
            terms = x[word]
            if not isinstance(terms, list):
                raise self.fail(f"{key}.{word}", "an array of conditions", terms)
            parts = [self.when(f"{key}.{word}[{i}]", t) for i, t in enumerate(terms)]
            return (AllOf if word == "all" else AnyOf)(tuple(parts))
        self.keys(key, x, ("field", "op", "value"))
        missing = [k for k in ("field", "op", "value") if k not in x]
        if missing:
            raise self.fail(key, _WHEN_HELP + f" (missing {missing})", x)
        return Condition(x["field"], x["op"], x["value"])

    def step(self, key: str, x) -> Step:
        self.keys(key, x, _STEP_KEYS)
        for k in ("name", "service_time"):
            if k not in x:
                raise self.fail(key, f"a step table with {k!r}", x)
        kw = dict(x)
        for k in ("service_time", "compensation_time"):
            if k in kw:
                kw[k] = self.dist(f"{key}.{k}", kw[k])
        if "when" in kw:
            kw["when"] = self.when(f"{key}.when", kw["when"])
        return Step(**kw)

    def saga(self, doc: dict) -> Saga:
        self.keys("", doc, _SAGA_KEYS)
        for k in ("name", "steps"):
            if k not in doc:
                raise ValueError(f"{self.source}: {k}: missing; a saga file needs 'name' and "
                                 f"at least one [[steps]] table")
        steps = doc["steps"]
        if not isinstance(steps, list):
            raise self.fail("steps", "an array of [[steps]] tables", steps)
        attrs = doc.get("attributes", {})
        self.keys("attributes", attrs, tuple(attrs) if isinstance(attrs, dict) else ())
        kw = {k: doc[k] for k in ("name", "initiator", "initiator_capacity") if k in doc}
        if "initiator_time" in doc:
            kw["initiator_time"] = self.dist("initiator_time", doc["initiator_time"])
        kw["attributes"] = tuple((k, self.attribute(f"attributes.{k}", v))
                                 for k, v in attrs.items())
        kw["steps"] = [self.step(f"steps[{i}]", s) for i, s in enumerate(steps)]
        return Saga(**kw)


def loads(text: str, source: str = "<string>") -> Saga:
    """A Saga from TOML ``text``; errors name ``source``, the key and what was expected."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: not valid TOML: {exc}") from None
    try:
        return _Reader(source).saga(doc)
    except (TypeError, ValueError) as exc:
        msg = str(exc)
        if msg.startswith(source):
            raise
        raise type(exc)(f"{source}: {msg}") from None


def load(path) -> Saga:
    """A Saga from the TOML file at ``path`` (see :func:`loads`)."""
    path = Path(path)
    return loads(path.read_text(encoding="utf-8"), source=str(path))
