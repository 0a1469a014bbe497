"""Slider-driven explorers for the notebooks (ipywidgets).

An explorer is an ``ipywidgets.interactive``: moving a slider re-runs a small
simulation, draws a figure and shows a table. The callback *returns* the
table it computed, so ``explorer.result`` holds the numbers under the
current slider values (tests set a slider's ``.value`` and read
``.result``; no browser needed). Keep ``n_sagas`` small in explorers so each
move answers within half a second.
"""
from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt

__all__ = ["explorer", "slider", "controls"]


def slider(value, low, high, step, description: str, *, integer: bool = False, fmt: str = ".2f"):
    """A slider that updates only when released (no flood of re-simulations)."""
    import ipywidgets as w

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
    from ipywidgets import interactive

    def update(**values):
        from IPython.display import display
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


# -- 10 decision guide: "your system" ---------------------------------------------------

def your_system(saga=None, *, n_sagas: int = 300, seed: int = 0):
    """Sliders for load and infrastructure; both patterns measured side by side.

    The table is :func:`sagalab.quick_comparison` under the slider values; the
    figure shows p50/p99 latency per pattern. About 0.2 s per move (300 sagas).
    """
    from .decision import quick_comparison
    from .infrastructure import Broker, Network, Orchestrator
    from .plot import PATTERN_COLORS
    from .scenarios import ecommerce

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
