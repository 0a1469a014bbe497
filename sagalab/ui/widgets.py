"""Slider-driven explorers for the notebooks (ipywidgets), one per question of the series.

Each explorer is built with :func:`sagalab.ui.explorer.explorer`: moving a
slider re-runs a small simulation, draws a figure and shows a table, and the
callback *returns* that table, so ``explorer.result`` holds the numbers under
the current slider values (tests set a slider's ``.value`` and read
``.result``; no browser needed).

The tables are **in units** (:func:`in_units`): every column names its unit
and one quantity has one unit in every explorer (times in ms, rates in
sagas/s, busy shares in %), rounded for reading (one decimal; counts whole).
``in_units(raw)`` turns the analysis functions' raw tables (seconds,
fractions) into what an explorer shows. Each explorer answers a slider move
within half a second: small runs, a figure drawn once, and runs that a
slider does not change are reused.
"""
from __future__ import annotations

import dataclasses

import ipywidgets as w
import pandas as pd

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
from ..plot._style import countermeasure_style
from ..sim.catalogue import SEED_PATTERNS as PATTERNS
from .explorer import cached, controls, explorer, figure, in_units, slider

__all__ = ["explorer", "slider", "controls", "in_units", "latency_explorer", "load_explorer",
           "your_system", "failure_explorer", "outage_explorer", "isolation"]

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
        ``.result`` has a row for the chosen countermeasure and one for
        ``"none"`` (the naive service under the same load, for comparison):
        the anomalies (``"lost updates"``, ``"dirty reads"``,
        ``"non-repeatable reads"``, ``"oversold (units)"``), ``"mean latency
        (ms)"``, ``"completed"`` and ``"throughput (sagas/s)"``. The figure
        shows them, the countermeasure in its series colour.

    Examples
    --------
    >>> import sagalab as sl
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):  # outside Jupyter, widgets print
    ...     ex = sl.widgets.isolation(n_sagas=100)
    ...     sl.widgets.controls(ex)["countermeasure"].value = "commutative"
    >>> list(ex.result.index), int(ex.result.loc["commutative", "lost updates"])
    (['none', 'commutative'], 0)
    """

    saga = ecommerce(shipping_failure_p=0.3) if saga is None else saga
    stock = stock or Stock("inventory", products=3, initial=20, quantity=(1, 3), restock=6,
                           restock_every=0.5)
    choices = ["none"] + [c for c in COUNTERMEASURES if c] + ["pessimistic_view"]
    anomalies = ["lost_updates", "dirty_reads", "nonrepeatable_reads", "oversold"]

    @cached
    def run(countermeasure, arrival_rate, products) -> dict:
        cm = None if countermeasure in ("none", "pessimistic_view") else countermeasure
        run_saga = pessimistic_view(saga, stock.step) if countermeasure == "pessimistic_view" \
            else saga
        st = dataclasses.replace(stock, countermeasure=cm, products=products)
        r = simulate(run_saga, pattern, arrival_rate=arrival_rate, n_sagas=n_sagas, seed=seed,
                     state=[st])
        s = r.summary()
        row = r.anomalies().loc[stock.step, anomalies].to_dict()
        row.update(latency_mean=s["latency_mean"], completed=s["completed"],
                   throughput=s["throughput"])
        return row

    def compute(countermeasure, arrival_rate, products):
        which = list(dict.fromkeys(["none", countermeasure]))
        return pd.DataFrame([run(c, arrival_rate, products) for c in which],
                            index=pd.Index(which, name="countermeasure"))

    def draw(table, countermeasure, arrival_rate, products):
        fig, (a, b, c) = figure(1, 3, figsize=(11, 3.4), width_ratios=(2.2, 1, 1), left=0.06,
                                bottom=0.16, top=0.82, wspace=0.35)
        row = table.loc[countermeasure]
        bars = a.bar([x.replace("_", " ").replace("nonrep", "non-rep") for x in anomalies],
                     row[anomalies], **countermeasure_style(countermeasure))
        a.bar_label(bars, [f"{v + 0.0:.0f}" for v in row[anomalies]], fontsize=8, padding=2)
        a.set(ylabel="count (oversold: units)", title=f"Anomalies with {countermeasure}")
        a.margins(y=0.15)
        a.tick_params(axis="x", labelsize=8)
        styles = [countermeasure_style(x) for x in table.index]
        for ax, col, scale, what in ((b, "latency_mean", 1e3, "mean latency (ms)"),
                                     (c, "throughput", 1, "throughput (sagas/s)")):
            vals = scale * table[col].to_numpy(dtype=float)
            bars = ax.bar(list(table.index), vals, color=[x["color"] for x in styles],
                          edgecolor="white")
            for bar, style in zip(bars, styles):
                bar.set_hatch(style["hatch"])
            ax.bar_label(bars, [f"{v:.1f}" for v in vals], fontsize=8, padding=2)
            ax.set(ylabel=what, title=what.split(" (")[0].capitalize())
            ax.margins(y=0.15)
            ax.tick_params(axis="x", labelsize=8, rotation=15)
        fig.suptitle(f"{arrival_rate:g} sagas/s, {products} products ({n_sagas} sagas)",
                     fontsize=10)

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
    :func:`sagalab.latency_breakdown` in ms (:func:`in_units`) as stacked
    bars. Sliders are in milliseconds.

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

    @cached
    def run(pattern, hop_ms, broker_ms, n_steps):
        return simulate(chain(n_steps), pattern, arrival_rate=arrival_rate, n_sagas=n_sagas,
                        seed=seed, network=Network(hop_ms / 1e3), broker=Broker(broker_ms / 1e3),
                        warn_unused=False)  # one hop and one broker serve both patterns

    def compute(hop_ms, broker_ms, n_steps):
        return latency_breakdown([run(p, hop_ms, broker_ms, n_steps) for p in PATTERNS])

    def draw(table, hop_ms, broker_ms, n_steps):
        _, ax = figure(figsize=(9, 2.8), left=0.15, right=0.84, bottom=0.2, top=0.86)
        plot.breakdown(table, ax=ax, title=f"{n_steps} steps, hop {hop_ms:g} ms, broker "
                                           f"{broker_ms:g} ms: mean per saga ({n_sagas} sagas)")

    return explorer(compute, draw,
                    hop_ms=slider(2.0, 0.0, 20.0, 0.5, "network hop (ms)", fmt=".1f"),
                    broker_ms=slider(5.0, 0.0, 50.0, 0.5, "broker latency (ms)", fmt=".1f"),
                    n_steps=slider(3, 1, 10, 1, "steps in the saga", integer=True))


def load_explorer(saga=None, *, overhead: float = 0.010, n_sagas: int = 300, seed=0):
    """Sliders for offered load and orchestrator capacity; throughput, p99, utilization.

    Each move simulates ``n_sagas`` sagas of ``saga`` (default the e-commerce
    saga) under both patterns at ``arrival_rate`` sagas/s, the orchestrator
    having ``capacity`` workers that spend ``overhead`` seconds per decision
    (choreography, which has no orchestrator, is not re-run when only the
    workers change). The table has one row per pattern: ``"orchestrator
    workers"``, ``"throughput (sagas/s)"``, ``"p50 latency (ms)"``, ``"p99
    latency (ms)"`` and every ``"<station> utilization (%)"``; the figure shows
    the utilizations. Past saturation the queue grows with every saga, so the
    latencies there depend on ``n_sagas``.

    Examples
    --------
    >>> import sagalab as sl
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):  # outside Jupyter, widgets print
    ...     ex = sl.widgets.load_explorer(n_sagas=60)
    ...     sl.widgets.controls(ex)["capacity"].value = 4
    >>> int(ex.result.loc["orchestration", "orchestrator workers"])
    4
    """

    saga = ecommerce() if saga is None else saga

    @cached
    def run(pattern, arrival_rate, capacity):
        s = simulate(saga, pattern, arrival_rate=arrival_rate, n_sagas=n_sagas, seed=seed,
                     orchestrator=Orchestrator(capacity=capacity, overhead=overhead),
                     trace=False, warn_unused=False).summary()  # choreography: no orchestrator
        util = {k: s[k] for k in s.index if k.startswith("utilization_")}
        return {"capacity": capacity if pattern != "choreography" else 0,
                "throughput": s["throughput"], "p50_ms": 1e3 * s["latency_p50"],
                "p99_ms": 1e3 * s["latency_p99"], **util}

    def compute(arrival_rate, capacity):
        rows = {p: run(p, arrival_rate, 1 if p == "choreography" else capacity)
                for p in PATTERNS}
        return pd.DataFrame.from_dict(rows, orient="index")

    def draw(table, arrival_rate, capacity):
        _, ax = figure(figsize=(9, 3.6), left=0.08, right=0.83, bottom=0.14, top=0.9)
        plot.station_load(table, ax=ax)
        ax.set_title(f"{arrival_rate:g} sagas/s offered, orchestrator {capacity} worker(s) "
                     f"x {1e3 * overhead:g} ms/decision ({n_sagas} sagas)")

    return explorer(compute, draw,
                    arrival_rate=slider(20.0, 2.0, 80.0, 2.0, "offered load (sagas/s)",
                                        fmt=".0f"),
                    capacity=slider(1, 1, 8, 1, "orchestrator workers", integer=True))


# -- 10 decision guide: "your system" ---------------------------------------------------

def your_system(saga=None, *, n_sagas: int = 300, seed: int = 0):
    """Sliders for load and infrastructure; both patterns measured side by side.

    The table is :func:`sagalab.quick_comparison` under the slider values
    (already in units, one row per quantity); the figure shows p50/p99
    latency per pattern. About 0.2 s per move (300 sagas).
    """

    saga = saga or ecommerce()

    @cached
    def compute(arrival_rate, hop_ms, broker_ms, overhead_ms, capacity):
        return quick_comparison(
            saga, arrival_rate=arrival_rate, n_sagas=n_sagas, seed=seed,
            network=Network(hop=hop_ms / 1e3), broker=Broker(latency=broker_ms / 1e3),
            orchestrator=Orchestrator(capacity=capacity, overhead=overhead_ms / 1e3))

    def draw(table, **values):
        _, ax = figure(figsize=(6.4, 3.2), left=0.12, bottom=0.1, top=0.88)
        rows = [r for r in table.index if "latency (ms)" in r][:2]
        for i, p in enumerate(PATTERN_COLORS):
            if p in table:
                vals = table.loc[rows, p].astype(float).to_numpy()
                bars = ax.bar([j + 0.38 * i for j in range(len(rows))], vals, width=0.36,
                              color=PATTERN_COLORS[p], label=p)
                ax.bar_label(bars, [f"{v:.1f}" for v in vals], fontsize=8, padding=2)
        ax.set_xticks([j + 0.19 for j in range(len(rows))], [r.split()[0] for r in rows])
        ax.set_ylabel("saga latency (ms)")
        ax.set_title(f"Your system at {values['arrival_rate']:g} sagas/s")
        ax.margins(y=0.15)
        ax.legend(frameon=False)

    return explorer(lambda **values: compute(**values).copy(), draw, shown=None,
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
    :func:`sagalab.fault_table` in units (:func:`in_units`; one row per
    pattern); the figure shows the outcomes and the time sagas spent
    inconsistent.

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
    run = cached(lambda s, p: simulate(s, p, arrival_rate=arrival_rate, n_sagas=n_sagas,
                                        seed=seed))
    last: dict = {}

    def compute(compensation_failure_p, retries, **failure_p):
        s = saga
        for name in names:
            s = s.with_step(name, failure_p=failure_p[name],
                            compensation_failure_p=compensation_failure_p,
                            compensation_retries=retries)
        last.clear()
        last.update({p: run(s, p) for p in PATTERNS})
        return fault_table(last)

    def draw(table, compensation_failure_p, retries, **failure_p):
        fig, (left, right) = figure(1, 2, figsize=(11, 3.8), left=0.07, bottom=0.13, top=0.84,
                                    wspace=0.25)
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
    orchestrator, the broker or a step's service); choreography has no
    orchestrator, so when the orchestrator goes down it runs without the
    outage (the same run for every move). The table is
    :func:`sagalab.fault_table` plus ``oldest_age_s``, the largest age of an
    unfinished saga seen over the run (from ``result.timeline()``), in units
    (:func:`in_units`: ``"oldest unfinished saga (ms)"``, ...); the figure is
    :func:`sagalab.plot.in_flight`.

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

    @cached
    def run(label, outage):
        p, o = setups[label]
        return simulate(saga, p, arrival_rate=arrival_rate, n_sagas=n_sagas, seed=seed,
                        orchestrator=o, faults=[outage] if outage else [],
                        warn_unused=False)  # one outage serves every setup

    last: dict = {}

    def compute(target, crash_at, duration):
        outage = Outage(target, crash_at, duration)
        last.clear()  # choreography has no orchestrator to lose: its one run serves every move
        last.update({label: run(label, None if target == "orchestrator" and p == "choreography"
                                else outage) for label, (p, _) in setups.items()})
        table = fault_table(last)
        table["oldest_age_s"] = [r.timeline()["oldest_age"].max() for r in last.values()]
        return table

    def draw(table, target, crash_at, duration):
        fig, axs = figure(2, 1, figsize=(10, 5.2), sharex=True, left=0.08, bottom=0.1,
                          top=0.88, hspace=0.3)
        plot.in_flight(last, axs=axs)
        fig.suptitle(f"{target} down from {crash_at:g} s for {duration:g} s "
                     f"({n_sagas} sagas at {arrival_rate:g}/s)")

    choices = list(OUTAGE_TARGETS) + list(saga.step_names)
    span = n_sagas / arrival_rate  # seconds of arrivals
    return explorer(compute, draw,
                    target=w.Dropdown(options=choices, value=target, description="down"),
                    crash_at=slider(round(span / 2, 1), 0.0, round(span, 1), 0.5,
                                    "crash at (s)", fmt=".1f"),
                    duration=slider(2.0, 0.5, 5.0, 0.5, "outage duration (s)", fmt=".1f"))
