"""Helpers for looking at the live services: their code, and a moment to crash one.

* :func:`source` gives the text of a service program, or of one class,
  function or method in it, to read beside the seed's TypeScript.
* :func:`quiet_moment` finds, in the simulator's run of some sagas, a moment
  in the middle of one saga's work at a step when no other saga is in flight
  for a margin either side. A crash staged there (``sl.Outage(step, t, ...)``)
  hits that one saga, in the model and in reality alike, however much the
  real run's timing wanders within the margin: a reproducible experiment.
"""
from __future__ import annotations

import ast

from ..analysis.run import simulate
from ..analysis.trace import spans
from .cluster import SERVICES

__all__ = ["PROGRAMS", "source", "quiet_moment"]

#: The service programs, by what they are.
PROGRAMS = {"step": "step_service.py", "order": "order_service.py",
            "seed orchestrator": "saga_orchestrator.py", "dbos": "dbos_orchestrator.py",
            "plumbing": "plumbing.py"}


def source(program: str, name: str | None = None) -> str:
    """The code of a live service ``program`` (a file name or a key of :data:`PROGRAMS`).

    Parameters
    ----------
    program : str
        E.g. ``"saga_orchestrator.py"`` or ``"seed orchestrator"``.
    name : str, optional
        A class, function or ``Class.method`` in it; ``None``: the whole file.

    Examples
    --------
    >>> print(source("seed orchestrator", "SagaOrchestrator.compensate").splitlines()[0])
        async def compensate(self, saga: dict) -> None:
    """
    path = SERVICES / PROGRAMS.get(program, program)
    if not path.is_file():
        raise ValueError(f"source: no service program {program!r}; the programs are "
                         f"{sorted(PROGRAMS.values())}")
    text = path.read_text()
    if name is None:
        return text
    body = ast.parse(text).body
    node = None
    for part in name.split("."):
        node = next((n for n in body if isinstance(
            n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == part), None)
        if node is None:
            raise ValueError(f"source: {program!r} has no {name!r}")
        body = node.body
    lines = text.splitlines()
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return "\n".join(lines[first - 1:node.end_lineno])


def quiet_moment(saga, pattern: str, *, step: str, margin: float = 0.1, after: float = 1.0,
                 **run) -> tuple[int, float]:
    """``(saga_id, t)``: the middle of a saga's work at ``step``, alone in flight ± ``margin``.

    A real crash at ``t`` lands in that saga's work as long as reality runs
    less than half the work's length (and ``margin``) behind or ahead of the model.

    Parameters
    ----------
    saga : Saga
    pattern : str
    step : str
        The service whose work the moment falls in (e.g. ``"payment"``).
    margin : float
        Seconds before and after ``t`` during which no other saga may be in flight.
    after : float
        The earliest moment to consider, seconds into the run.
    **run
        ``arrival_rate``, ``n_sagas``, ``seed`` (and more) for :func:`sagalab.simulate`.

    Raises
    ------
    ValueError
        When the run has no such moment (try more sagas, a lower rate, a smaller margin).
    """
    r = simulate(saga, pattern, **run)
    sp = spans(r)
    work = sp[(sp["participant"] == step) & (sp["phase"] == "work")]
    s = r.sagas
    for row in work.itertuples():
        t = (row.start + row.end) / 2
        others = s[(s["saga_id"] != row.saga_id) & (s["start"] - margin <= t)
                   & (s["end"] + margin >= t)]
        if t >= after and others.empty:
            return int(row.saga_id), float(t)
    raise ValueError(f"quiet_moment: no saga works at {step!r} alone for {margin:g} s either "
                     f"side in this run; use more sagas, a lower rate or a smaller margin")
