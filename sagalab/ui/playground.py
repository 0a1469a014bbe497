"""The playground: both saga patterns side by side, behind a few controls.

A dashboard for a class or a design review, with no code in sight (served
with Voilà by ``make playground``). Pick a scenario, set each service's
failure rate (declined cards, items out of stock), the load, the
orchestrator's capacity and time per decision and, when the model has
faults, an orchestrator crash; see choreography and orchestration run the
*same* simulated customers: outcome counts, the latency CDF with p50/p99,
throughput against load, the event graph of what flowed, and one saga's
sequence diagram.

The logic lives here so it can be tested without a browser:

* :class:`Settings`: what the controls say, as an immutable value.
* :func:`run`: simulate both patterns (and a small load sweep) and return
  everything computed, as a :class:`PlaygroundRun`.
* :func:`share`: the settings as a one-line ``sl.simulate(...)`` call to
  paste into a notebook; it reproduces the playground's run exactly.
* :class:`Playground`: the ipywidgets controls wired to those; its callback
  returns the run it drew.

Runs are kept small (``n_sagas=200``) so each change answers in well under a
second on a 2-core machine; raise ``n_sagas`` for tighter numbers.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import time
from dataclasses import dataclass, field

import ipywidgets as w
import pandas as pd
from IPython.display import display

from ..analysis.run import simulate
from ..model import _validate as v
from ..model import scenarios as _scenarios
from ..model.faults import Outage
from ..model.infrastructure import Orchestrator
from ..model.specs import Saga
from ..sim.catalogue import SEED_PATTERNS as PATTERNS  # the seed's two, side by side
from ._playground_draw import draw_metrics, draw_sequences, graph_shape, graphs_png, png

__all__ = ["Settings", "PlaygroundRun", "Playground", "run", "share", "scenario_names",
           "CRASH_AVAILABLE", "LOADS", "TRACE_CHOICES"]

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
    """The runs of the load sweep (``LOADS``, both patterns, no faults, untraced).

    It depends on neither the load slider nor the crash, so moving those
    reuses it (the cache is keyed by the immutable specs).
    """
    return tuple((p, load, simulate(saga, p, arrival_rate=load, n_sagas=SWEEP_SAGAS, seed=seed,
                                    orchestrator=orchestrator, trace=False))
                 for p in PATTERNS for load in LOADS)


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
    runs = _sweep(kw["saga"], kw["orchestrator"], settings.seed)
    sweep = pd.DataFrame([{"pattern": p, "arrival_rate": load, **r.summary()[
        ["throughput", "latency_mean", "latency_p99"]]} for p, load, r in runs])
    sweep_results = {p: [r for q, _, r in runs if q == p] for p in PATTERNS}
    return PlaygroundRun(settings, results, table, sweep, _pick_saga(results, settings.trace),
                         sweep_results)


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

# -- the dashboard ---------------------------------------------------------------------
class Playground:
    """The dashboard: ipywidgets controls wired to :func:`run` and the drawing.

    Every control change calls :meth:`update`, which returns the
    :class:`PlaygroundRun` it drew (also kept as ``last``), so a test can move
    a control without a browser and check what was computed.

    Examples
    --------
    >>> pg = Playground(Settings(n_sagas=40))
    >>> pg.controls["arrival_rate"].value = 30      # what moving the slider does
    >>> pg.last.settings.arrival_rate, int(pg.last.table.loc["n", "choreography"])
    (30.0, 40)
    """

    def __init__(self, settings: Settings | None = None):
        self.defaults = settings or Settings()
        d = self.defaults
        self._w = w
        self._hold = False
        self.last: PlaygroundRun | None = None
        self.elapsed = float("nan")
        self.runs = 0
        style = {"description_width": "150px"}
        slider = dict(continuous_update=False, style=style, layout=w.Layout(width="330px"))
        self.controls = {
            "scenario": w.Dropdown(options=scenario_names(), value=d.scenario,
                                   description="scenario", style=style),
            "arrival_rate": w.FloatSlider(value=d.arrival_rate, min=1, max=70, step=1,
                                          description="load (sagas/s)", **slider),
            "orchestrator_capacity": w.IntSlider(value=d.orchestrator_capacity, min=1, max=8,
                                                 description="orchestrator workers", **slider),
            "orchestrator_overhead": w.FloatSlider(value=d.orchestrator_overhead * 1000, min=0,
                                                   max=20, step=0.5,
                                                   description="decision time (ms)", **slider),
            "crash": w.Checkbox(value=d.crash, description="orchestrator crash",
                                disabled=not CRASH_AVAILABLE, style=style),
            "crash_start": w.FloatSlider(value=d.crash_start, min=0, max=10, step=0.5,
                                         description="crash at (s)", **slider),
            "crash_duration": w.FloatSlider(value=d.crash_duration, min=0.5, max=10, step=0.5,
                                            description="crash lasts (s)", **slider),
            "durable_log": w.Checkbox(value=d.durable_log, description="saga log (resume)",
                                      disabled=not CRASH_AVAILABLE, style=style),
            "trace": w.Dropdown(options=TRACE_CHOICES, value=d.trace,
                                description="trace saga", style=style),
        }
        self._slider = slider
        self.failure_box = w.VBox()
        self._build_failure_sliders(d.saga())
        self.reset_button = w.Button(description="reset", icon="undo",
                                     layout=w.Layout(width="110px"))
        self.share_button = w.Button(description="share these settings", icon="share",
                                     layout=w.Layout(width="210px"))
        self.reset_button.on_click(lambda _: self.reset())
        self.share_button.on_click(lambda _: self.show_share())
        self.share_text = w.Textarea(layout=w.Layout(width="100%", height="80px",
                                                     display="none"))
        self.numbers = w.HTML()
        self.status = w.HTML()
        self.metrics_image = w.Image(format="png", layout=w.Layout(width="100%"))
        self.graphs_image = w.Image(format="png", layout=w.Layout(width="100%"))
        self.sequence_image = w.Image(format="png", layout=w.Layout(width="100%"))
        for name, c in self.controls.items():
            c.observe(self._scenario_changed if name == "scenario" else self.update, "value")
        self.controls["crash"].observe(self._enable_crash_controls, "value")
        self._enable_crash_controls()
        note = "" if CRASH_AVAILABLE else "<i>crash: needs sagalab's faults model</i>"
        left = w.VBox([self.controls["scenario"], w.HTML("<b>failure rate per service</b>"),
                       self.failure_box, w.HTML("<b>load and orchestrator</b>"),
                       *(self.controls[k] for k in ("arrival_rate", "orchestrator_capacity",
                                                    "orchestrator_overhead", "crash",
                                                    "crash_start", "crash_duration",
                                                    "durable_log")),
                       w.HTML(note), self.controls["trace"],
                       w.HBox([self.reset_button, self.share_button]), self.status],
                      layout=w.Layout(width="350px", flex="0 0 350px"))
        right = w.VBox([self.numbers, self.share_text, self.metrics_image, self.graphs_image,
                        self.sequence_image],
                       layout=w.Layout(flex="1 1 auto", width="100%"))
        self.widget = w.HBox([left, right], layout=w.Layout(width="100%"))
        self.update()

    def _build_failure_sliders(self, saga: Saga) -> None:
        for name in [k for k in self.controls if k.startswith("failure_")]:
            del self.controls[name]
        sliders = []
        for s in saga.steps:
            c = self._w.FloatSlider(value=s.failure_p, min=0, max=0.5, step=0.01,
                                    description=f"{s.name} fails", readout_format=".2f",
                                    **self._slider)
            c.observe(self.update, "value")
            self.controls[f"failure_{s.name}"] = c
            sliders.append(c)
        self.failure_box.children = sliders

    def _enable_crash_controls(self, change=None) -> None:
        off = not (CRASH_AVAILABLE and self.controls["crash"].value)
        for name in ("crash_start", "crash_duration", "durable_log"):
            self.controls[name].disabled = off

    def _scenario_changed(self, change=None) -> None:
        self._build_failure_sliders(getattr(_scenarios, self.controls["scenario"].value)())
        self.update()

    def settings(self) -> Settings:
        """The :class:`Settings` the controls show now."""
        c = {k: x.value for k, x in self.controls.items()}
        return dataclasses.replace(
            self.defaults, scenario=c["scenario"],
            failure_p={k[len("failure_"):]: x for k, x in c.items() if k.startswith("failure_")},
            arrival_rate=float(c["arrival_rate"]), orchestrator_capacity=c["orchestrator_capacity"],
            orchestrator_overhead=c["orchestrator_overhead"] / 1000, crash=c["crash"],
            crash_start=c["crash_start"], crash_duration=c["crash_duration"],
            durable_log=c["durable_log"], trace=c["trace"])

    def update(self, change=None) -> PlaygroundRun | None:
        """Re-simulate with the controls' settings, redraw, and return what was computed."""
        if self._hold:
            return self.last
        start = time.perf_counter()
        pr = run(self.settings())
        self.last = pr
        self.numbers.value = pr.numbers().to_html(classes="sagalab-numbers", border=0)
        self.metrics_image.value = png(draw_metrics(pr))
        self.graphs_image.value = graphs_png(graph_shape(pr.settings.saga()))
        self.sequence_image.value = png(draw_sequences(pr))
        if self.share_text.layout.display != "none":
            self.show_share()
        self.elapsed = time.perf_counter() - start
        self.runs += 1  # the status changes last: a page can wait for it (data-run)
        self.status.value = (f'<small class="sagalab-status" data-run="{self.runs}">'
                             f"{len(PATTERNS)} x {pr.settings.n_sagas} sagas + load sweep, "
                             f"simulated and drawn in {self.elapsed:.2f} s</small>")
        return pr

    def show_share(self) -> str:
        """Show (and return) the settings as one ``sl.simulate(...)`` line per pattern."""
        text = "\n".join(share(self.last.settings, p) for p in PATTERNS)
        self.share_text.value = text
        self.share_text.layout.display = "flex"
        return text

    def reset(self) -> PlaygroundRun | None:
        """Put every control back to the playground's defaults and redraw once."""
        d = self.defaults
        self._hold = True
        try:
            self.controls["scenario"].value = d.scenario
            self._build_failure_sliders(d.saga())
            values = {"arrival_rate": d.arrival_rate,
                      "orchestrator_capacity": d.orchestrator_capacity,
                      "orchestrator_overhead": d.orchestrator_overhead * 1000,
                      "crash": d.crash, "crash_start": d.crash_start,
                      "crash_duration": d.crash_duration, "durable_log": d.durable_log,
                      "trace": d.trace}
            for k, x in values.items():
                self.controls[k].value = x
        finally:
            self._hold = False
        self.share_text.layout.display = "none"
        return self.update()

    def _ipython_display_(self):
        display(self.widget)
