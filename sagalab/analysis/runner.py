"""Run many independent simulations on any ``concurrent.futures.Executor``.

A *task* is a plain, picklable value (specs, numbers and a SeedSequence,
never a closure), so the same tasks run unchanged in this process, in a
local process pool, or on a Dask cluster through
``distributed.Client(...).get_executor()``; each one is deterministic, so
the results are identical whichever executor runs them. Outputs come back
in task order, whatever order the workers finish in.

A task that raises does not stop the others: its outcome carries the
exception instead of a summary.
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
from dataclasses import dataclass

import numpy as np

from . import _checks as checks
from ._checks import SERIAL
from .run import simulate

__all__ = ["Task", "run_task", "run_tasks", "replication_seed", "SERIAL"]



@dataclass(frozen=True)
class Task:
    """One simulation: ``experiment_row(simulate(**kwargs), warmup)``."""

    kwargs: dict
    warmup: int | float = 0


@dataclass(frozen=True)
class Outcome:
    summary: dict | None
    error: BaseException | None = None


def experiment_row(result, warmup) -> dict:
    """``result.summary(warmup)`` plus ``load_<station>`` for every station.

    The offered load of a station is the work it received over the time the
    sagas arrived: ``busy / (capacity x last arrival time)``. Below
    saturation it equals the utilization; past it, it keeps growing above 1
    (utilization cannot), so it says by how much a station is overloaded.
    """
    row = result.summary(warmup).to_dict()
    arrivals = float(result.sagas["start"].max())
    for name, st in result.stations.iterrows():
        workers = parallelism(result, name, int(st["capacity"]))
        row[f"load_{name}"] = (float(st["busy"]) / (workers * arrivals)
                               if arrivals > 0 else float("nan"))
    return row


def parallelism(result, station: str, capacity: int) -> int:
    """Workers of ``station`` that can really work at once.

    A choreographed service consuming a partitioned topic has one consumer
    per partition, each taking its events in order: at most
    ``min(capacity, partitions)`` events are processed at a time.
    """
    partitions = getattr(result.params.get("broker"), "partitions", None)
    if (partitions is not None and result.params.get("pattern") == "choreography"
            and station in result.saga.step_names):
        return min(capacity, partitions)
    return capacity


def run_task(task: Task) -> Outcome:
    """Run one task; an exception becomes the outcome's ``error`` instead of propagating."""
    try:
        return Outcome(experiment_row(simulate(**task.kwargs), task.warmup))
    except Exception as exc:  # reported per point by the caller
        return Outcome(None, exc)


def replication_seed(root: np.random.SeedSequence, r: int) -> np.random.SeedSequence:
    """Child ``r`` of ``root``, as ``root.spawn`` would make it, without mutating ``root``."""
    return np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (r,))


def _default_pool(n_tasks: int) -> cf.Executor:
    workers = max(1, min(os.cpu_count() or 1, n_tasks))
    methods = mp.get_all_start_methods()
    if "forkserver" in methods:  # safe with threads (Jupyter, tqdm) and cheap: sagalab preloaded
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["sagalab"])
    else:  # pragma: no cover - Windows, macOS without forkserver
        ctx = mp.get_context("spawn")
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


def resolve_executor(executor, n_tasks: int, owner: str):
    """``(executor or None for serial, whether we own it and must shut it down)``."""
    checks.executor(owner, executor)
    if executor is None:
        return (None, False) if n_tasks <= 1 else (_default_pool(n_tasks), True)
    if isinstance(executor, cf.Executor):
        return executor, False
    return None, False  # "serial"


def _bar(total: int, progress: bool, desc: str):
    from tqdm.auto import tqdm  # notebook-aware: a widget in Jupyter, text in a terminal

    return tqdm(total=total, disable=not progress, desc=desc, unit="run", leave=False)


def run_tasks(tasks: list[Task], *, executor=SERIAL, progress: bool = False,
              desc: str = "sagalab", owner: str = "run") -> list[Outcome]:
    """Run ``tasks`` on ``executor``; outcomes in task order."""
    ex, owned = resolve_executor(executor, len(tasks), owner)
    out: list[Outcome | None] = [None] * len(tasks)
    with _bar(len(tasks), progress, desc) as bar:
        if ex is None:
            for i, task in enumerate(tasks):
                out[i] = run_task(task)
                bar.update()
            return out
        try:
            futures = {ex.submit(run_task, task): i for i, task in enumerate(tasks)}
            for fut in cf.as_completed(futures):
                i = futures[fut]
                try:
                    out[i] = fut.result()
                except Exception as exc:  # the worker itself died, or could not unpickle
                    out[i] = Outcome(None, exc)
                bar.update()
        finally:
            if owned:
                ex.shutdown(wait=True, cancel_futures=True)
    return out
