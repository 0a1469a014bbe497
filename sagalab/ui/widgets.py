"""Slider-driven explorers for the notebooks (ipywidgets).

An explorer is an ``ipywidgets.interactive``: moving a slider re-runs a small
simulation, draws a figure and shows a table. The callback *returns* the
table it computed, so ``explorer.result`` holds the numbers under the
current slider values (tests set a slider's ``.value`` and read
``.result``; no browser needed). Keep ``n_sagas`` small in explorers so each
move answers within half a second.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

import ipywidgets as w
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
from ipywidgets import interactive

from .. import plot
from ..analysis.decision import quick_comparison
from ..analysis.latency import latency_breakdown
from ..analysis.reliability import fault_table
from ..analysis.run import simulate
from ..model.faults import Outage
from ..model.infrastructure import Broker, Network, Orchestrator
from ..model.scenarios import chain, ecommerce
from ..model.state import COUNTERMEASURES, Stock, pessimistic_view
from ..plot import PATTERN_COLORS
from ..sim.catalogue import SEED_PATTERNS as PATTERNS

__all__ = ["explorer", "slider", "controls", "latency_explorer", "load_explorer", "isolation"]


def slider(value, low, high, step, description: str, *, integer: bool = False, fmt: str = ".2f"):
    """A slider that updates only when released (no flood of re-simulations)."""

    style = {"description_width": "initial"}
    layout = w.Layout(width="420px")
    if integer:
        return w.IntSlider(value=value, min=low, max=high, step=step, description=description,
                           continuous_update=False, style=style, layout=layout)
    return w.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                         continuous_update=False, readout_format=fmt, style=style,
                         layout=layout)


def explorer(compute: Callable, draw: Callable | None = None, **sliders):
    """Build an interactive explorer.

    Parameters
    ----------
    compute : callable
        ``compute(**values)`` returns the table to show (a DataFrame).
    draw : callable, optional
        ``draw(table, **values)`` draws a matplotlib figure from the table.
    **sliders
        Name -> ipywidgets control (see :func:`slider`).

    Returns
    -------
    ipywidgets.interactive
        Its ``.result`` is the table for the current values; its
        ``.children`` are the sliders, then the output area.
    """

    def update(**values):
        table = compute(**values)
        if draw is not None:
            draw(table, **values)
            plt.show()
        display(table)  # the numbers under the plot (interactive() shows no return value)
        return table

    return interactive(update, **sliders)


def controls(view) -> dict:
    """The sliders of an explorer by name: ``controls(ex)["payment"].value = 0.3``."""
    return {c._kwarg: c for c in view.kwargs_widgets}


def isolation(saga=None, stock=None, *, pattern: str = "orchestration", n_sagas: int = 400,
              seed=0):
    """Explore one stock under load: pick a countermeasure, the load and the catalogue size.

    Parameters
    ----------
    saga : Saga, optional
        Default: the e-commerce saga with 30 % undeliverable parcels.
    stock : Stock, optional
        Default: 20 units per product, 1-3 per order, 6 delivered every 0.5 s (below demand).
    pattern, n_sagas, seed
        Passed to :func:`sagalab.simulate`.

    Returns
    -------
    ipywidgets.interactive
        Sliders ``countermeasure`` (``"none"``, a countermeasure or
        ``"pessimistic_view"``), ``arrival_rate`` and ``products``; its
        ``.result`` is a one-row table: the anomalies, ``latency_mean`` (s),
        ``completed`` and ``throughput`` of that run.
    """

    saga = ecommerce(shipping_failure_p=0.3) if saga is None else saga
    stock = stock or Stock("inventory", products=3, initial=20, quantity=(1, 3), restock=6,
                           restock_every=0.5)
    choices = ["none"] + [c for c in COUNTERMEASURES if c] + ["pessimistic_view"]

    def compute(countermeasure, arrival_rate, products):
        cm = None if countermeasure in ("none", "pessimistic_view") else countermeasure
        run_saga = pessimistic_view(saga, stock.step) if countermeasure == "pessimistic_view" \
            else saga
        st = dataclasses.replace(stock, countermeasure=cm, products=products)
        r = simulate(run_saga, pattern, arrival_rate=arrival_rate, n_sagas=n_sagas, seed=seed,
                     state=[st])
        s = r.summary()
        row = r.anomalies().loc[stock.step, ["lost_updates", "dirty_reads",
                                             "nonrepeatable_reads", "oversold"]].to_dict()
        row.update(latency_mean=s["latency_mean"], completed=s["completed"],
                   throughput=s["throughput"])
        return pd.DataFrame([row], index=pd.Index([countermeasure], name="countermeasure"))

    def draw(table, **values):
        fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.2), layout="constrained")
        cols = ["lost_updates", "dirty_reads", "nonrepeatable_reads", "oversold"]
        a.bar([c.replace("_", " ") for c in cols], table.iloc[0][cols], color="#0072B2")
        a.set(ylabel="count (oversold: units)", title="Anomalies over the run")
        a.tick_params(axis="x", rotation=20)
        b.bar(["mean latency (ms)", "completed / 10"],
              [1e3 * table.iloc[0]["latency_mean"], table.iloc[0]["completed"] / 10],
              color="#E69F00")
        b.set(ylabel="ms, or sagas / 10", title="Cost")

    dropdown = w.Dropdown(options=choices, value="none", description="countermeasure")
    return explorer(compute, draw, countermeasure=dropdown,
                    arrival_rate=slider(40.0, 5.0, 80.0, 5.0, "arrival rate (sagas/s)",
                                        fmt=".0f"),
                    products=slider(3, 1, 10, 1, "products in the catalogue", integer=True))
def latency_explorer(*, arrival_rate: float = 10.0, n_sagas: int = 150, seed=0):
    """Sliders for hop latency, broker latency and number of steps; both patterns' latency.

    Each move simulates ``n_sagas`` sagas of :func:`sagalab.scenarios.chain`
    (``n_steps`` steps) under both patterns, on the same seed, with
    ``Network(hop)`` and ``Broker(latency)``, and shows
    :func:`sagalab.latency_breakdown` (seconds) as stacked bars. Sliders are
    in milliseconds.

    Examples
    --------
    >>> import sagalab as sl
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):  # outside Jupyter, widgets print
    ...     ex = sl.widgets.latency_explorer(n_sagas=50)
    ...     sl.widgets.controls(ex)["n_steps"].value = 5
    >>> int(ex.result.loc["orchestration", "sagas"])
    50
    """

    def compute(hop_ms, broker_ms, n_steps):
        saga = chain(n_steps)
        infra = dict(network=Network(hop_ms / 1e3), broker=Broker(broker_ms / 1e3))
        return latency_breakdown([simulate(saga, p, arrival_rate=arrival_rate, n_sagas=n_sagas,
                                           seed=seed, **infra) for p in PATTERNS])

    def draw(table, hop_ms, broker_ms, n_steps):
        plot.breakdown(table, title=f"{n_steps} steps, hop {hop_ms:g} ms, broker {broker_ms:g} "
                                    f"ms: mean per saga ({n_sagas} sagas)")

    return explorer(compute, draw,
                    hop_ms=slider(2.0, 0.0, 20.0, 0.5, "network hop (ms)", fmt=".1f"),
                    broker_ms=slider(5.0, 0.0, 50.0, 0.5, "broker latency (ms)", fmt=".1f"),
                    n_steps=slider(3, 1, 10, 1, "steps in the saga", integer=True))


def load_explorer(saga=None, *, overhead: float = 0.010, n_sagas: int = 300, seed=0):
    """Sliders for offered load and orchestrator capacity; throughput, p99, utilization.

    Each move simulates ``n_sagas`` sagas of ``saga`` (default the e-commerce
    saga) under both patterns at ``arrival_rate`` sagas/s, the orchestrator
    having ``capacity`` workers that spend ``overhead`` seconds per decision.
    The table has one row per pattern: ``throughput`` (sagas/s), ``p50_ms``,
    ``p99_ms`` and every ``utilization_<station>``; the figure shows the
    utilizations. Past saturation the queue grows with every saga, so the
    latencies there depend on ``n_sagas``.

    Examples
    --------
    >>> import sagalab as sl
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):  # outside Jupyter, widgets print
    ...     ex = sl.widgets.load_explorer(n_sagas=60)
    ...     sl.widgets.controls(ex)["capacity"].value = 4
    >>> int(ex.result.loc["orchestration", "capacity"])
    4
    """

    saga = ecommerce() if saga is None else saga

    def compute(arrival_rate, capacity):
        rows = {}
        for p in PATTERNS:
            s = simulate(saga, p, arrival_rate=arrival_rate, n_sagas=n_sagas, seed=seed,
                         orchestrator=Orchestrator(capacity=capacity, overhead=overhead),
                         trace=False).summary()
            util = {k: s[k] for k in s.index if k.startswith("utilization_")}
            rows[p] = {"capacity": capacity if p == "orchestration" else 0,
                       "throughput": s["throughput"], "p50_ms": 1e3 * s["latency_p50"],
                       "p99_ms": 1e3 * s["latency_p99"], **util}
        return pd.DataFrame.from_dict(rows, orient="index")

    def draw(table, arrival_rate, capacity):
        ax = plot.station_load(table)
        ax.set_title(f"{arrival_rate:g} sagas/s offered, orchestrator {capacity} worker(s) "
                     f"x {1e3 * overhead:g} ms/decision ({n_sagas} sagas)")

    return explorer(compute, draw,
                    arrival_rate=slider(20.0, 2.0, 80.0, 2.0, "offered load (sagas/s)",
                                        fmt=".0f"),
                    capacity=slider(1, 1, 8, 1, "orchestrator workers", integer=True))


# -- 10 decision guide: "your system" ---------------------------------------------------

def your_system(saga=None, *, n_sagas: int = 300, seed: int = 0):
    """Sliders for load and infrastructure; both patterns measured side by side.

    The table is :func:`sagalab.quick_comparison` under the slider values; the
    figure shows p50/p99 latency per pattern. About 0.2 s per move (300 sagas).
    """

    saga = saga or ecommerce()

    def compute(arrival_rate, hop_ms, broker_ms, overhead_ms, capacity):
        return quick_comparison(
            saga, arrival_rate=arrival_rate, n_sagas=n_sagas, seed=seed,
            network=Network(hop=hop_ms / 1e3), broker=Broker(latency=broker_ms / 1e3),
            orchestrator=Orchestrator(capacity=capacity, overhead=overhead_ms / 1e3))

    def draw(table, **values):
        fig, ax = plt.subplots(figsize=(6.4, 3.2))
        rows = ["p50 latency (ms)", "p99 latency (ms)"]
        for i, p in enumerate(PATTERN_COLORS):
            if p in table:
                ax.bar([j + 0.38 * i for j in range(2)], table.loc[rows, p].astype(float),
                       width=0.36, color=PATTERN_COLORS[p], label=p)
        ax.set_xticks([0.19, 1.19], ["p50", "p99"])
        ax.set_ylabel("saga latency (ms)")
        ax.set_title(f"Your system at {values['arrival_rate']:g} sagas/s")
        ax.legend(frameon=False)

    return explorer(compute, draw,
                    arrival_rate=slider(20, 5, 60, 5, "load (sagas/s)", fmt=".0f"),
                    hop_ms=slider(2, 0, 20, 1, "network hop (ms)", fmt=".0f"),
                    broker_ms=slider(5, 0, 50, 1, "broker latency (ms)", fmt=".0f"),
                    overhead_ms=slider(1, 0, 10, 0.5, "orchestrator overhead (ms)", fmt=".1f"),
                    capacity=slider(1, 1, 8, 1, "orchestrator workers", integer=True))


# -- failures and outages (notebooks 06 and 08) ---------------------------------------------

def failure_explorer(saga=None, *, arrival_rate: float = 20.0, n_sagas: int = 200, seed=0):
    """Sliders for each step's failure rate, the compensation failure rate and its retries.

    Each move simulates ``n_sagas`` sagas of ``saga`` (default the e-commerce
    saga) under both patterns on the same seed, with every step's
    ``failure_p`` from its slider (named after the step) and every step's
    ``compensation_failure_p`` and ``compensation_retries`` from the
    ``compensation_failure_p`` and ``retries`` sliders. The table is
    :func:`sagalab.fault_table` (one row per pattern); the figure shows the
    outcomes and the time sagas spent inconsistent.

    Examples
    --------
    >>> import sagalab as sl
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):  # outside Jupyter, widgets print
    ...     ex = sl.widgets.failure_explorer(n_sagas=60)
    ...     sl.widgets.controls(ex)["compensation_failure_p"].value = 1.0
    >>> ex.result.dlq.tolist()  # every compensation fails: same sagas in both patterns
    [2, 2]
    """

    saga = ecommerce() if saga is None else saga
    names = saga.step_names

    last: dict = {}

    def compute(compensation_failure_p, retries, **failure_p):
        s = saga
        for name in names:
            s = s.with_step(name, failure_p=failure_p[name],
                            compensation_failure_p=compensation_failure_p,
                            compensation_retries=retries)
        last.clear()
        last.update({p: simulate(s, p, arrival_rate=arrival_rate, n_sagas=n_sagas, seed=seed)
                     for p in PATTERNS})
        return fault_table(last)

    def draw(table, compensation_failure_p, retries, **failure_p):
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
        plot.outcomes(last, ax=left)
        plot.inconsistency(last, ax=right)
        fig.suptitle(f"{n_sagas} sagas per pattern; compensation fails with "
                     f"{compensation_failure_p:.2f} per try, {retries} retries")

    sliders = {name: slider(s.failure_p, 0.0, 0.5, 0.01, f"{name} failure rate")
               for name, s in zip(names, saga.steps)}
    return explorer(compute, draw,
                    compensation_failure_p=slider(0.0, 0.0, 1.0, 0.05,
                                                  "compensation failure rate"),
                    retries=slider(0, 0, 3, 1, "compensation retries", integer=True),
                    **sliders)


OUTAGE_TARGETS = ("orchestrator", "broker")


def outage_explorer(saga=None, *, arrival_rate: float = 30.0, n_sagas: int = 300, seed=0,
                    target: str = "orchestrator"):
    """Sliders for the start and duration of an outage; the stuck-saga detector per setup.

    Each move simulates ``n_sagas`` sagas of ``saga`` (default the e-commerce
    saga) with ``Outage(target, crash_at, duration)`` under three setups on
    the same seed: ``"orchestration, no saga log"``, ``"orchestration,
    durable log"`` (``Orchestrator(durable_log=True)``) and
    ``"choreography"``. The dropdown ``target`` picks what goes down (the
    orchestrator, the broker or a step's service). The table is
    :func:`sagalab.fault_table` plus ``oldest_age_s``, the largest age of an
    unfinished saga seen over the run (from ``result.timeline()``); the
    figure is :func:`sagalab.plot.in_flight`.

    Examples
    --------
    >>> import sagalab as sl
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):  # outside Jupyter, widgets print
    ...     ex = sl.widgets.outage_explorer(n_sagas=120, seed=8)
    ...     sl.widgets.controls(ex)["crash_at"].value = 3.0
    >>> int(ex.result.loc["orchestration, durable log", "stuck"])
    0
    """

    saga = ecommerce() if saga is None else saga
    setups = {"orchestration, no saga log": ("orchestration", Orchestrator()),
              "orchestration, durable log": ("orchestration", Orchestrator(durable_log=True)),
              "choreography": ("choreography", Orchestrator())}

    def runs(target, crash_at, duration):
        faults = [Outage(target, crash_at, duration)]
        return {label: simulate(saga, p, arrival_rate=arrival_rate, n_sagas=n_sagas, seed=seed,
                                orchestrator=o, faults=faults)
                for label, (p, o) in setups.items()}

    last: dict = {}

    def compute(target, crash_at, duration):
        last.clear()
        last.update(runs(target, crash_at, duration))
        table = fault_table(last)
        table["oldest_age_s"] = [r.timeline()["oldest_age"].max() for r in last.values()]
        return table

    def draw(table, target, crash_at, duration):
        fig = plot.in_flight(last)
        fig.suptitle(f"{target} down from {crash_at:g} s for {duration:g} s "
                     f"({n_sagas} sagas at {arrival_rate:g}/s)")

    choices = list(OUTAGE_TARGETS) + list(saga.step_names)
    span = n_sagas / arrival_rate  # seconds of arrivals
    return explorer(compute, draw,
                    target=w.Dropdown(options=choices, value=target, description="down"),
                    crash_at=slider(round(span / 2, 1), 0.0, round(span, 1), 0.5,
                                    "crash at (s)", fmt=".1f"),
                    duration=slider(2.0, 0.5, 5.0, 0.5, "outage duration (s)", fmt=".1f"))


__all__ += ["failure_explorer", "outage_explorer"]
