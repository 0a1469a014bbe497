"""The TOML codec of saga files: reading them safely, and tables to specs and back.

The public face is :mod:`sagalab.tomlio` (and ``Saga.from_toml`` /
``Saga.to_toml``), which documents the format. This module knows
distributions and conditions but not :class:`~sagalab.Saga` and
:class:`~sagalab.Step`: the caller passes those classes in, so that the spec
module can import this one at its top without a cycle.

A file is read only if it is a regular file (not a directory, FIFO or
device) of at most ``MAX_BYTES``, as UTF-8 (a byte-order mark is accepted),
with tables and arrays nested at most ``MAX_DEPTH`` levels. Every error is a
``ValueError`` or ``TypeError`` naming the file, the table and the key.
"""
from __future__ import annotations

import codecs
import contextlib
import dataclasses
import json
import os
import stat
import tomllib

from . import _validate as v
from .distributions import Constant, Exponential, LogNormal
from .rules import AllOf, AnyOf, Choice, Condition

__all__ = ["MAX_BYTES", "MAX_DEPTH", "dumps", "loads", "load", "read_text"]

MAX_BYTES = 1 << 20  # bytes (1 MiB): the largest saga file read
MAX_DEPTH = 40       # levels of nested tables and arrays in a saga file

_SAGA_KEYS = ("name", "initiator", "initiator_time", "initiator_capacity", "attributes", "steps")
_DISTS = {"constant": (Constant, ("value",), ()), "exponential": (Exponential, ("mean",), ()),
          "lognormal": (LogNormal, ("mean",), ("sigma",))}
_DIST_HELP = ('a number of seconds or a table {dist = "constant", value = ...}, '
              '{dist = "exponential", mean = ...} or {dist = "lognormal", mean = ..., sigma = ...}')
_WHEN_HELP = 'a table {field = ..., op = ..., value = ...}, {all = [...]} or {any = [...]}'


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


def dumps(saga) -> str:
    """The TOML text of ``saga`` (only step fields that differ from their defaults)."""
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
        default = type(s)(s.name, s.service_time)
        lines += ["", "[[steps]]"]
        for f in (f.name for f in dataclasses.fields(s)):
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


# -- reading the bytes ---------------------------------------------------------
def _kind(mode: int) -> str:
    for test, what in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return what
    return "not a regular file"  # pragma: no cover


def read_text(path) -> tuple[str, str]:
    """``(text, source)`` of the saga file at ``path``, read with the module's limits.

    Raises
    ------
    TypeError
        When ``path`` is not a str or ``os.PathLike``.
    ValueError
        For a path that is not a regular file, a file over ``MAX_BYTES``, or
        one that is not UTF-8 text; the message names the file.
    OSError
        When the file cannot be opened (missing, no permission): named by the OS error.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"Saga.from_toml: path must be a str or os.PathLike, "
                        f"got {v._got(path)}")
    source = os.fspath(path)
    if not isinstance(source, str) or "\0" in source:
        raise ValueError(f"Saga.from_toml: path must be a file name without NUL characters, "
                         f"got {v.short(path)}")
    # O_NONBLOCK: opening a FIFO that has no writer must not wait for one
    fd = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ValueError(f"{source}: is {_kind(mode)}; a saga file must be a regular file")
        f = open(fd, "rb")  # owns fd from here on; closed by the with below
    except BaseException:
        os.close(fd)
        raise
    with f:
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError(f"{source}: larger than {MAX_BYTES:,} bytes (MAX_BYTES); a saga file "
                         f"is a few kilobytes")
    return _decode(data, source), source


def _decode(data: bytes, source: str) -> str:
    try:
        return data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{source}: not UTF-8 text (byte {data[exc.start]:#04x} at offset "
                         f"{exc.start}); save the file as UTF-8") from None


def _check_depth(doc, source: str) -> None:
    stack = [(doc, 1)]
    while stack:
        x, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"{source}: tables and arrays nested more than {MAX_DEPTH} levels "
                             f"deep (MAX_DEPTH)")
        items = x.values() if isinstance(x, dict) else x
        stack.extend((y, depth + 1) for y in items if isinstance(y, (dict, list)))


def parse(text, source: str) -> dict:
    """The TOML document in ``text``, within the size and nesting limits."""
    if not isinstance(text, str):
        raise TypeError(f"{source}: the TOML text must be a str, got {v._got(text)}")
    if len(text) > MAX_BYTES:
        raise ValueError(f"{source}: longer than {MAX_BYTES:,} characters (MAX_BYTES)")
    try:
        doc = tomllib.loads(text.removeprefix("\ufeff"))
    except RecursionError:
        raise ValueError(f"{source}: tables and arrays nested more than {MAX_DEPTH} levels "
                         f"deep (MAX_DEPTH)") from None
    except ValueError as exc:  # TOMLDecodeError, or an integer too long to convert
        raise ValueError(f"{source}: not valid TOML: {exc}") from None
    _check_depth(doc, source)
    return doc


# -- tables to specs -----------------------------------------------------------
def _segment(key: str) -> str:
    """A key as it would be written in a dotted TOML key: bare, or quoted on one line."""
    return key if key and key.replace("_", "a").replace("-", "a").isalnum() and key.isascii() \
        else json.dumps(key)


class _Reader:
    def __init__(self, source: str, saga_cls, step_cls):
        self.source, self.saga_cls, self.step_cls = source, saga_cls, step_cls
        self.step_keys = tuple(f.name for f in dataclasses.fields(step_cls))

    def fail(self, key: str, expected: str, got) -> ValueError:
        return ValueError(f"{self.source}: {key}: expected {expected}, got {v.short(got)}")

    @contextlib.contextmanager
    def at(self, key: str):
        """Name the file and the table in a spec constructor's error (which names the key)."""
        try:
            yield
        except (TypeError, ValueError) as exc:
            where = f"{self.source}: {key}: " if key else f"{self.source}: "
            raise type(exc)(where + str(exc)) from None

    def keys(self, key: str, table, allowed) -> None:
        if not isinstance(table, dict):
            raise self.fail(key, "a table", table)
        for k in table:
            if k not in allowed:
                raise ValueError(f"{self.source}: {key + '.' if key else ''}{_segment(k)}: "
                                 f"unknown key; expected one of {list(allowed)}")

    def array(self, key: str, x, what: str, limit: int) -> list:
        if not isinstance(x, list):
            raise self.fail(key, f"an array of {what}", x)
        if len(x) > limit:
            raise ValueError(f"{self.source}: {key}: at most {limit} {what}, got {len(x)}")
        return x

    def dist(self, key: str, x):
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            return x
        if not isinstance(x, dict):
            raise self.fail(key, _DIST_HELP, x)
        kind = x.get("dist")
        if not isinstance(kind, str) or kind not in _DISTS:
            raise self.fail(f"{key}.dist", '"constant", "exponential" or "lognormal"', kind)
        cls, required, optional = _DISTS[kind]
        self.keys(key, x, ("dist",) + required + optional)
        for k in required:
            if k not in x:
                raise ValueError(f"{self.source}: {key}.{k}: missing; a table "
                                 f"{{dist = \"{kind}\"}} needs {' and '.join(required)}")
        with self.at(key):
            return cls(**{k: val for k, val in x.items() if k != "dist"})

    def attribute(self, key: str, x):
        if not (isinstance(x, dict) and "choice" in x):
            return self.dist(key, x)
        self.keys(key, x, ("choice", "weights"))
        values = self.array(f"{key}.choice", x["choice"], "values", 10_000)
        with self.at(f"{key}.choice"):
            Choice(values)
        weights = x.get("weights")
        if weights is not None:
            self.array(f"{key}.weights", weights, "weights", len(values))
        with self.at(f"{key}.weights"):
            return Choice(values, weights)

    def when(self, key: str, x):
        if not isinstance(x, dict):
            raise self.fail(key, _WHEN_HELP, x)
        if "all" in x or "any" in x:
            word = "all" if "all" in x else "any"
            self.keys(key, x, (word,))
            terms = self.array(f"{key}.{word}", x[word], "conditions", 1_000)
            parts = [self.when(f"{key}.{word}[{i}]", t) for i, t in enumerate(terms)]
            with self.at(f"{key}.{word}"):
                return (AllOf if word == "all" else AnyOf)(tuple(parts))
        self.keys(key, x, ("field", "op", "value"))
        missing = [k for k in ("field", "op", "value") if k not in x]
        if missing:
            raise self.fail(key, _WHEN_HELP + f" (missing {missing})", x)
        with self.at(key):
            return Condition(x["field"], x["op"], x["value"])

    def step(self, key: str, x):
        self.keys(key, x, self.step_keys)
        for k in ("name", "service_time"):
            if k not in x:
                raise self.fail(key, f"a step table with {k!r}", x)
        kw = dict(x)
        for k in ("service_time", "compensation_time"):
            if k in kw:
                kw[k] = self.dist(f"{key}.{k}", kw[k])
        if "when" in kw:
            kw["when"] = self.when(f"{key}.when", kw["when"])
        with self.at(key):
            return self.step_cls(**kw)

    def saga(self, doc: dict):
        self.keys("", doc, _SAGA_KEYS)
        for k in ("name", "steps"):
            if k not in doc:
                raise ValueError(f"{self.source}: {k}: missing; a saga file needs 'name' and "
                                 f"at least one [[steps]] table")
        steps = self.array("steps", doc["steps"], "[[steps]] tables", v.MAX_STEPS)
        attrs = doc.get("attributes", {})
        self.keys("attributes", attrs, tuple(attrs) if isinstance(attrs, dict) else ())
        if len(attrs) > v.MAX_ATTRIBUTES:
            raise ValueError(f"{self.source}: attributes: at most {v.MAX_ATTRIBUTES} "
                             f"(MAX_ATTRIBUTES), got {len(attrs)}")
        kw = {k: doc[k] for k in ("name", "initiator", "initiator_capacity") if k in doc}
        if "initiator_time" in doc:
            kw["initiator_time"] = self.dist("initiator_time", doc["initiator_time"])
        kw["attributes"] = tuple((k, self.attribute(f"attributes.{_segment(k)}", val))
                                 for k, val in attrs.items())
        kw["steps"] = [self.step(f"steps[{i}]", s) for i, s in enumerate(steps)]
        with self.at(""):
            return self.saga_cls(**kw)


def loads(text: str, source: str, saga_cls, step_cls):
    """A ``saga_cls`` built from TOML ``text``; errors name ``source``, the table and the key."""
    if not isinstance(source, str):
        raise TypeError(f"tomlio.loads: source must be a str, got {v._got(source)}")
    return _Reader(source, saga_cls, step_cls).saga(parse(text, source))


def load(path, saga_cls, step_cls):
    """A ``saga_cls`` from the TOML file at ``path`` (see :func:`read_text`, :func:`loads`)."""
    text, source = read_text(path)
    return loads(text, source, saga_cls, step_cls)
