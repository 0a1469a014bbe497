"""The playground's logic, without a browser: settings, a run of both patterns, the share line.

* :class:`Settings`: what the controls say, as an immutable value.
* :func:`run`: simulate both patterns (and a small load sweep) and return
  everything computed, as a :class:`PlaygroundRun`.
* :func:`share`: the settings as a one-line ``sl.simulate(...)`` call to
  paste into a notebook; it reproduces the playground's run exactly.

Runs are kept small (``n_sagas=200``) so each change answers within half a
second on a 2-core machine; raise ``n_sagas`` for tighter numbers. The load
sweep depends on neither the load slider nor the crash, so it is reused.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
from dataclasses import dataclass, field

import pandas as pd

from ..analysis.run import simulate
from ..model import _validate as v
from ..model import scenarios as _scenarios
from ..model.faults import Outage
from ..model.infrastructure import Orchestrator
from ..model.specs import Saga
from ..sim.catalogue import SEED_PATTERNS as PATTERNS  # the seed's two, side by side

__all__ = ["Settings", "PlaygroundRun", "run", "share", "scenario_names", "CRASH_AVAILABLE",
           "LOADS", "TRACE_CHOICES"]

#: Offered loads of the throughput-against-load sweep, sagas per second.
LOADS = (5.0, 15.0, 25.0, 35.0, 45.0, 55.0, 65.0)
SWEEP_SAGAS = 80  # sagas per point of the load sweep: enough to see saturation
#: Which saga the sequence diagrams trace.
TRACE_CHOICES = ("first failed", "first completed", "slowest")
#: The crash controls (an orchestrator ``Outage`` and its durable log) are always available.
CRASH_AVAILABLE = True


def scenario_names() -> tuple[str, ...]:
    """Scenarios the playground offers: every ``sl.scenarios`` function callable without arguments.

    Examples
    --------
    >>> "ecommerce" in scenario_names()
    True
    """
    names = []
    for name in getattr(_scenarios, "__all__", ()):
        fn = getattr(_scenarios, name)
        if not callable(fn) or isinstance(fn, type):
            continue
        params = inspect.signature(fn).parameters.values()
        if all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in params):
            names.append(name)
    return tuple(names)


@dataclass(frozen=True)
class Settings:
    """What the playground's controls say.

    Parameters
    ----------
    scenario : str
        A name from :func:`scenario_names`, e.g. ``"ecommerce"``.
    failure_p : dict
        Business failure probability per step; steps not named keep the
        scenario's own rate (stored complete, so equal settings compare equal).
    arrival_rate : float
        Offered load, sagas per second.
    orchestrator_capacity : int
        Orchestrator workers.
    orchestrator_overhead : float
        Orchestrator time per decision, seconds.
    crash : bool
        Crash the orchestrator at ``crash_start`` for ``crash_duration``
        seconds (needs the faults model, see ``CRASH_AVAILABLE``).
    durable_log : bool
        Whether the orchestrator persists saga state (a saga log) to resume
        after a crash.
    trace : str
        Which saga the sequence diagrams show, one of ``TRACE_CHOICES``.
    n_sagas, seed : int
        Size of each run and its seed (both patterns replay the same sagas).

    Examples
    --------
    >>> Settings(arrival_rate=30).saga().step("payment").failure_p
    0.05
    >>> Settings(failure_p={"payment": 0.5}).saga().step("payment").failure_p
    0.5
    """

    scenario: str = "ecommerce"
    failure_p: dict = field(default_factory=dict)
    arrival_rate: float = 20.0
    orchestrator_capacity: int = 1
    orchestrator_overhead: float = 0.001
    crash: bool = False
    crash_start: float = 2.0
    crash_duration: float = 2.0
    durable_log: bool = False
    trace: str = TRACE_CHOICES[0]
    n_sagas: int = 200
    seed: int = 0

    def __post_init__(self):
        if self.scenario not in scenario_names():
            raise ValueError(f"Settings: scenario must be one of {list(scenario_names())}, "
                             f"got {self.scenario!r}")
        if self.trace not in TRACE_CHOICES:
            raise ValueError(f"Settings: trace must be one of {list(TRACE_CHOICES)}, "
                             f"got {self.trace!r}")
        if self.crash and not CRASH_AVAILABLE:
            raise ValueError("Settings: crash=True needs the faults model (sl.Outage), "
                             "which this sagalab does not have")
        v.real("Settings", "crash_start", self.crash_start)
        v.real("Settings", "crash_duration", self.crash_duration, low_open=True)
        base = getattr(_scenarios, self.scenario)()
        saga = base.with_failure_p(**dict(self.failure_p))  # unknown step or bad p: named
        object.__setattr__(self, "failure_p", {s.name: s.failure_p for s in saga.steps})

    def saga(self) -> Saga:
        """The scenario's saga with this playground's failure rates."""
        return getattr(_scenarios, self.scenario)().with_failure_p(**self.failure_p)

    def simulate_kwargs(self, pattern: str) -> dict:
        """Keyword arguments of ``sl.simulate`` for ``pattern`` (saga and pattern included)."""
        kw = dict(saga=self.saga(), pattern=pattern, arrival_rate=self.arrival_rate,
                  n_sagas=self.n_sagas, seed=self.seed)
        if pattern != "choreography":
            log = {"durable_log": self.durable_log} if CRASH_AVAILABLE else {}
            kw["orchestrator"] = Orchestrator(capacity=self.orchestrator_capacity,
                                              overhead=self.orchestrator_overhead, **log)
            if self.crash:
                kw["faults"] = [Outage("orchestrator", self.crash_start, self.crash_duration)]
        return kw


@dataclass
class PlaygroundRun:
    """Everything one change of the playground computed.

    Attributes
    ----------
    settings : Settings
    results : dict
        ``{pattern: Result}`` of the main runs (same seed: same customers).
    table : pandas.DataFrame
        ``Result.summary()`` of each pattern side by side (like ``sl.compare``).
    sweep : pandas.DataFrame
        Load sweep without faults: ``pattern``, ``arrival_rate``, ``throughput``,
        ``latency_mean``, ``latency_p99``, one row per pattern and load in ``LOADS``.
    saga_id : int
        The saga the sequence diagrams trace.
    sweep_results : dict
        ``{pattern: [Result per load]}`` behind ``sweep`` (untraced).
    """

    settings: Settings
    results: dict
    table: pd.DataFrame
    sweep: pd.DataFrame
    saga_id: int
    sweep_results: dict = field(default_factory=dict)

    def numbers(self) -> pd.DataFrame:
        """The numbers the dashboard shows, formatted, one column per pattern.

        Counts are whole numbers, latencies milliseconds, throughput sagas/s.
        """
        t = self.table
        rows = {o: [f"{int(x)}" for x in t.loc[o]] for o in ("completed", "compensated", "dlq",
                                                             "stuck")}
        rows["latency p50 (ms)"] = [f"{x * 1000:.1f}" for x in t.loc["latency_p50"]]
        rows["latency p99 (ms)"] = [f"{x * 1000:.1f}" for x in t.loc["latency_p99"]]
        rows["throughput (sagas/s)"] = [f"{x:.2f}" for x in t.loc["throughput"]]
        rows["messages per saga"] = [f"{x:.2f}" for x in t.loc["messages_per_saga"]]
        return pd.DataFrame(rows, index=t.columns).T


def _pick_saga(results: dict, how: str) -> int:
    s = results["orchestration"].sagas
    if how == "first failed":
        rows = s.index[s["outcome"] != "completed"]
    elif how == "first completed":
        rows = s.index[s["outcome"] == "completed"]
    else:
        rows = [s["latency"].fillna(-1.0).idxmax()]
    return int(s.loc[rows[0], "saga_id"]) if len(rows) else 0


@functools.lru_cache(maxsize=64)
def _sweep(saga: Saga, orchestrator: Orchestrator, seed: int) -> tuple:
    """The runs of the load sweep (``LOADS``, both patterns, no faults, untraced), and their
    table (``pattern``, ``arrival_rate``, ``throughput``, ``latency_mean``, ``latency_p99``).

    It depends on neither the load slider nor the crash, so moving those
    reuses it (the cache is keyed by the immutable specs).
    """
    runs = tuple((p, load, simulate(saga, p, arrival_rate=load, n_sagas=SWEEP_SAGAS, seed=seed,
                                    orchestrator=orchestrator if p != "choreography" else None,
                                    trace=False))
                 for p in PATTERNS for load in LOADS)
    table = pd.DataFrame([{"pattern": p, "arrival_rate": load, **r.summary()[
        ["throughput", "latency_mean", "latency_p99"]]} for p, load, r in runs])
    return runs, table


def run(settings: Settings) -> PlaygroundRun:
    """Simulate both patterns under ``settings``, plus the load sweep.

    Examples
    --------
    >>> r = run(Settings(n_sagas=50))
    >>> list(r.table.columns), int(r.table.loc["n", "orchestration"])
    (['choreography', 'orchestration'], 50)
    """
    results = {p: simulate(**settings.simulate_kwargs(p)) for p in PATTERNS}
    table = pd.concat([r.summary() for r in results.values()], axis=1)
    kw = settings.simulate_kwargs("orchestration")
    runs, sweep = _sweep(kw["saga"], kw["orchestrator"], settings.seed)
    sweep_results = {p: [r for q, _, r in runs if q == p] for p in PATTERNS}
    return PlaygroundRun(settings, results, table, sweep.copy(),
                         _pick_saga(results, settings.trace), sweep_results)


def _spec_call(spec) -> str:
    """A spec as the constructor call that rebuilds it (constant times as plain numbers)."""
    args = []
    for f in dataclasses.fields(spec):
        if f.init:
            value = getattr(spec, f.name)
            args.append(f"{f.name}={getattr(value, 'value', value)!r}")
    return f"sl.{type(spec).__name__}({', '.join(args)})"


def share(settings: Settings, pattern: str = "orchestration") -> str:
    """The playground's run of ``pattern`` as one ``sl.simulate(...)`` line.

    Pasted into a notebook (after ``import sagalab as sl``) it gives exactly
    the run the playground shows.

    Examples
    --------
    >>> share(Settings(failure_p={"payment": 0.2}), "choreography")  # doctest: +ELLIPSIS
    'sl.simulate(sl.scenarios.ecommerce().with_failure_p(payment=0.2, ...), "choreography", ...)'
    """
    kw = settings.simulate_kwargs(pattern)
    saga = kw.pop("saga")
    rates = ", ".join(f"{s.name}={s.failure_p!r}" for s in saga.steps)
    parts = [f"sl.scenarios.{settings.scenario}().with_failure_p({rates})", f'"{pattern}"']
    for name, value in kw.items():
        if name == "pattern":
            continue
        if name == "orchestrator":
            value = _spec_call(value)
        elif name == "faults":
            value = "[" + ", ".join(_spec_call(f) for f in value) + "]"
        else:
            value = repr(value)
        parts.append(f"{name}={value}")
    return f"sl.simulate({', '.join(parts)})"
