"""The playground: both saga patterns side by side, behind a few controls.

A dashboard for a class or a design review, with no code in sight (served
with Voilà by ``make playground``). Pick a scenario, set each service's
failure rate (declined cards, items out of stock), the load, the
orchestrator's capacity and time per decision and, when the model has
faults, an orchestrator crash; see choreography and orchestration run the
*same* simulated customers: outcome counts, the latency CDF with p50/p99,
throughput against load, the event graph of what flowed, and one saga's
sequence diagram. A short "what to try" (:data:`GUIDE`) suggests where to
start.

The logic lives apart so it can be tested without a browser:

* :mod:`sagalab.ui._playground_run`: :class:`Settings` (what the controls
  say), :func:`run` (both patterns and a small load sweep, as a
  :class:`PlaygroundRun`) and :func:`share` (the settings as one
  ``sl.simulate(...)`` line that reproduces the run exactly);
* :mod:`sagalab.ui._playground_draw`: the pictures, from a PlaygroundRun;
* here, :class:`Playground`: the ipywidgets controls wired to those; its
  callback returns the run it drew.
"""
from __future__ import annotations

import dataclasses
import time

import ipywidgets as w
from IPython.display import display

from ..model import scenarios as _scenarios
from ..model.specs import Saga
from ..sim.catalogue import SEED_PATTERNS as PATTERNS  # the seed's two, side by side
from ._playground_draw import draw_metrics, draw_sequences, graph_shape, graphs_png, png
from ._playground_run import (
    CRASH_AVAILABLE,
    LOADS,
    TRACE_CHOICES,
    PlaygroundRun,
    Settings,
    run,
    scenario_names,
    share,
)

__all__ = ["Settings", "PlaygroundRun", "Playground", "run", "share", "scenario_names",
           "CRASH_AVAILABLE", "LOADS", "TRACE_CHOICES", "GUIDE"]

#: What to try first: each a control to move and what to watch (the dashboard's guide).
GUIDE = (
    ("Raise <b>payment fails</b> to 0.30.",
     "About a third of the orders are compensated, and the same ones in both patterns (the "
     "same customers): compare the compensated counts, then the messages per saga."),
    ("Set <b>decision time</b> to 10 ms and the <b>load</b> to 30 sagas/s.",
     "One orchestrator worker can no longer keep up: orchestration's p99 jumps past a second "
     "while choreography's barely moves. Then give it 2 <b>orchestrator workers</b>."),
    ("Tick <b>orchestrator crash</b>.",
     "Orchestration leaves sagas <i>stuck</i>; choreography, with no orchestrator, is "
     "untouched. Tick <b>saga log (resume)</b>: none stay stuck, but the p99 still pays."),
    ("Set <b>inventory fails</b> to 0.",
     "InventoryFailed vanishes from both event graphs: a graph shows what <i>can</i> flow."),
    ("Pick the <b>travel_booking</b> scenario and trace the <b>slowest</b> saga.",
     "Follow its time down each sequence diagram: where does it wait, and for whom?"),
)


def guide_html() -> str:
    """The guide as an HTML list (what the dashboard shows)."""
    items = "".join(f"<li>{do} {watch}</li>" for do, watch in GUIDE)
    return f'<ol class="sagalab-guide" style="margin:0;padding-left:1.4em">{items}</ol>'


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
        self.numbers = w.HTML(layout=w.Layout(flex="0 0 auto", margin="0 24px 0 0"))
        self.status = w.HTML()
        self.guide = w.Accordion(children=[w.HTML(guide_html())], titles=("What to try",),
                                 selected_index=0, layout=w.Layout(flex="1 1 auto"))
        self.metrics_image = w.Image(format="png", layout=w.Layout(width="100%"))
        # the event graphs at their natural size: names stay legible (smaller only if the
        # page is narrower than the picture)
        self.graphs_image = w.Image(format="png", layout=w.Layout(
            width="auto", max_width="100%", align_self="center"))  # not stretched
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
        top = w.HBox([self.numbers, self.guide], layout=w.Layout(width="100%",
                                                                 align_items="flex-start"))
        right = w.VBox([top, self.share_text, self.metrics_image, self.graphs_image,
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
