"""What every slider-driven explorer shares: sliders, the redraw, and tables in units.

An explorer is an ``ipywidgets.interactive``: moving a slider calls
``compute`` (a small simulation, returning a table of raw numbers), then
``draw`` (a figure from those numbers), then shows the table **in units**
(:func:`in_units`) and returns it, so ``explorer.result`` is exactly the
table under the plot (tests set a slider's ``.value`` and read ``.result``;
no browser needed).

**Tables in units.** Every number an explorer shows has its unit in its
column's name, and one quantity has one unit in every explorer: times in
milliseconds (``"p99 latency (ms)"``, ``"oldest unfinished saga (ms)"``),
rates in sagas per second (``"throughput (sagas/s)"``), busy shares in per
cent (``"payment utilization (%)"``); counts of sagas or operations have no
unit. Values are rounded for reading: milliseconds, rates and per cents to
one decimal, counts to whole numbers. The raw numbers are the analysis
functions' own (``sl.fault_table``, ``sl.latency_breakdown``, ...), in
seconds and fractions; ``in_units`` turns one into the other.

**Speed.** A move must answer within half a second. The figure is laid
out by fixed margins (:func:`figure`, no layout engine) and drawn once, into
a PNG at 100 dpi (no second "tight" pass); explorers keep their runs small
(``n_sagas`` of a few hundred) and reuse the runs a slider did not change.
"""
from __future__ import annotations

import functools
import io
from collections.abc import Callable

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Image, display
from ipywidgets import interactive

__all__ = ["explorer", "slider", "controls", "in_units", "figure", "cached", "UNITS", "DPI", "RUNS"]

DPI = 100  # dots per inch of an explorer's figure (Jupyter's inline default)
#: Titles at a fixed height: matplotlib then skips measuring every tick label to place them
#: (a fifth of the drawing time).
FIXED_TITLES = {"axes.titley": 1.0}

#: Raw column -> (column shown, factor, decimals): the one unit of each quantity.
UNITS = {
    "n": ("sagas", 1, 0), "sagas": ("sagas", 1, 0),
    "completed": ("completed", 1, 0), "compensated": ("compensated", 1, 0),
    "dlq": ("dlq", 1, 0), "stuck": ("stuck", 1, 0),
    "dead_letters": ("dead letters", 1, 0), "duplicates": ("duplicates", 1, 0),
    "retries": ("retries", 1, 0), "late_replies": ("late replies", 1, 0),
    "inconsistent_ms": ("inconsistent per saga (ms)", 1, 1),
    "inconsistent_s": ("inconsistent in total (ms)", 1e3, 0),
    "p50_ms": ("p50 latency (ms)", 1, 1), "p99_ms": ("p99 latency (ms)", 1, 1),
    "latency_p50": ("p50 latency (ms)", 1e3, 1), "latency_p99": ("p99 latency (ms)", 1e3, 1),
    "latency_mean": ("mean latency (ms)", 1e3, 1), "latency": ("mean latency (ms)", 1e3, 1),
    "queueing": ("queueing (ms)", 1e3, 1), "service": ("service (ms)", 1e3, 1),
    "network": ("network (ms)", 1e3, 1), "broker": ("broker (ms)", 1e3, 1),
    "orchestrator": ("orchestrator (ms)", 1e3, 1),
    "oldest_age_s": ("oldest unfinished saga (ms)", 1e3, 0),
    "throughput": ("throughput (sagas/s)", 1, 1),
    "capacity": ("orchestrator workers", 1, 0),
    "lost_updates": ("lost updates", 1, 0), "dirty_reads": ("dirty reads", 1, 0),
    "nonrepeatable_reads": ("non-repeatable reads", 1, 0), "oversold": ("oversold (units)", 1, 0),
}


RUNS = 16  # runs each explorer keeps, so that moving a slider back costs nothing


def cached(run):
    """``run`` with its last :data:`RUNS` results kept (its arguments are hashable specs)."""
    return functools.lru_cache(maxsize=RUNS)(run)


def in_units(table: pd.DataFrame) -> pd.DataFrame:
    """The table as explorers show it: units in the column names, values rounded.

    Columns named in :data:`UNITS` are scaled, renamed and rounded;
    ``utilization_<station>`` (a fraction) becomes ``"<station> utilization
    (%)"``; whole-number columns become integers. Other columns pass as they
    are.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"p99_ms": [204.4598], "throughput": [19.94],
    ...                   "utilization_payment": [0.2601], "stuck": [2]}, index=["choreography"])
    >>> shown = in_units(t)
    >>> list(shown.columns)
    ['p99 latency (ms)', 'throughput (sagas/s)', 'payment utilization (%)', 'stuck']
    >>> shown.iloc[0].tolist()
    [204.5, 19.9, 26.0, 2.0]
    """
    out = {}
    for col in table.columns:
        if col in UNITS:
            name, factor, decimals = UNITS[col]
        elif str(col).startswith("utilization_"):
            name, factor, decimals = f"{col.removeprefix('utilization_')} utilization (%)", 100, 1
        else:
            out[col] = table[col]
            continue
        values = pd.to_numeric(table[col], errors="coerce") * factor
        values = values.round(decimals)
        if decimals == 0 and np.isfinite(values).all():
            values = values.astype(int)
        out[name] = values
    return pd.DataFrame(out, index=table.index)


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


def figure(nrows: int = 1, ncols: int = 1, *, figsize=(10, 3.6), **margins):
    """A figure and its Axes for an explorer, laid out once by fixed ``margins``.

    ``margins`` are :meth:`~matplotlib.figure.Figure.subplots_adjust`
    fractions; a layout engine would measure every label again at each move,
    which costs more than the simulation (so would titles placed above the
    tick labels: they sit at a fixed height, :data:`FIXED_TITLES`). Extra
    keywords of ``plt.subplots`` (``sharex``, ``width_ratios``) may be given.
    """
    grid = {k: margins.pop(k) for k in ("sharex", "sharey", "width_ratios", "height_ratios")
            if k in margins}
    with plt.rc_context(FIXED_TITLES):
        fig, axs = plt.subplots(nrows, ncols, figsize=figsize, **grid)
    fig.subplots_adjust(**{"left": 0.08, "right": 0.98, "bottom": 0.15, "top": 0.85,
                           **margins})
    return fig, axs


def _show_figures(before: set) -> None:
    """Each figure opened since ``before`` as one PNG, drawn once (no tight-bbox pass),
    then closed."""
    for num in sorted(set(plt.get_fignums()) - before):
        fig = plt.figure(num)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI)
        plt.close(fig)
        display(Image(data=buf.getvalue(), format="png"))


def explorer(compute: Callable, draw: Callable | None = None, *,
             shown: Callable | None = in_units, **sliders):
    """Build an interactive explorer.

    Parameters
    ----------
    compute : callable
        ``compute(**values)`` returns the table of raw numbers (a DataFrame).
    draw : callable, optional
        ``draw(table, **values)`` draws a matplotlib figure from the raw table.
    shown : callable or None
        Turns the raw table into the one shown and returned (default
        :func:`in_units`; ``None`` shows the raw table).
    **sliders
        Name -> ipywidgets control (see :func:`slider`).

    Returns
    -------
    ipywidgets.interactive
        Its ``.result`` is the table shown for the current values; its
        ``.children`` are the sliders, then the output area.
    """

    def update(**values):
        table = compute(**values)
        if draw is not None:
            before = set(plt.get_fignums())
            draw(table, **values)
            _show_figures(before)
        if shown is not None:
            table = shown(table)
        display(table)  # the numbers under the plot (interactive() shows no return value)
        return table

    return interactive(update, **sliders)


def controls(view) -> dict:
    """The sliders of an explorer by name: ``controls(ex)["payment"].value = 0.3``."""
    return {c._kwarg: c for c in view.kwargs_widgets}
