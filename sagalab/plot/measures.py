"""Charts of measured tables: coupling, growth, latency breakdown, load curves.

These draw the tables the analysis functions return (``sl.who_knows``,
``sl.graph_growth``, ``sl.latency_breakdown``, ``sl.sweep``), never a
Result's internals and never a simulation. Pattern colours come from
:data:`PATTERN_COLORS`; the parts of a latency from :data:`COMPONENT_COLORS`.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LinearSegmentedColormap

from ._style import PATTERN_COLORS, axes, pattern_color, ramp, variant

__all__ = ["COMPONENT_COLORS", "who_knows", "growth", "breakdown", "load_curves",
           "station_load"]

MS = 1e3
#: One colour per part of a saga's latency (see :data:`sagalab.latency.COMPONENTS`).
COMPONENT_COLORS = {"queueing": "#BBBBBB", "service": "#56B4E9", "network": "#009E73",
                    "broker": "#0072B2", "orchestrator": "#E69F00"}
_CAPACITY_STYLE = ("o-", "s--", "^-.", "D:", "v-", "P--")


def _pattern_of(label: str) -> str:
    return next((p for p in PATTERN_COLORS if str(label).startswith(p)), str(label))


def who_knows(matrices: dict, axs=None):
    """Heat maps of who must know whom, one per pattern, side by side.

    Parameters
    ----------
    matrices : dict of str to pandas.DataFrame
        Pattern -> :func:`sagalab.who_knows` matrix.
    axs : sequence of matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        One Axes per matrix; a filled cell is a dependency.

    Examples
    --------
    >>> import sagalab as sl
    >>> m = {p: sl.who_knows(sl.event_graph(sl.scenarios.ecommerce(), p)) for p in sl.SEED_PATTERNS}
    >>> len(sl.plot.who_knows(m).axes)
    2
    """
    if axs is None:
        fig, axs = plt.subplots(1, len(matrices), figsize=(5.2 * len(matrices), 4.6),
                                layout="constrained")
    axs = np.atleast_1d(axs)
    for ax, (label, m) in zip(axs, matrices.items()):
        cmap = LinearSegmentedColormap.from_list(label, ["white", pattern_color(label)])
        ax.imshow(m.to_numpy(), cmap=cmap, vmin=0, vmax=1)
        ax.set_xticks(range(m.shape[1]), m.columns, rotation=35, ha="right")
        ax.set_yticks(range(m.shape[0]), m.index)
        ax.set_xticks(np.arange(-0.5, m.shape[1]), minor=True)
        ax.set_yticks(np.arange(-0.5, m.shape[0]), minor=True)
        ax.grid(which="minor", color="#999999", lw=0.6)
        ax.tick_params(which="minor", length=0)
        total = int(m.to_numpy().sum())
        ax.set(xlabel="... must know this participant (or its topic)",
               ylabel="this participant ...",
               title=f"{label}: {total} dependencies, at most {int(m.sum(axis=1).max())} each")
    return axs[0].figure


def growth(table, metrics=("dependencies", "max_dependencies", "message_types"), axs=None):
    """How a saga's graph or runs grow with the number of steps, one panel per metric.

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by (label, n_steps): :func:`sagalab.graph_growth`, or a sweep
        over sagas of growing length averaged per label, with columns such as
        ``latency_p50`` (seconds; drawn in ms) and ``messages_per_saga``. A
        label is drawn in the colour of the pattern it starts with; a second
        label of the same pattern gets a dashed line.
    metrics : sequence of str
        Columns to draw.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import sagalab as sl
    >>> fig = sl.plot.growth(sl.graph_growth(steps=[2, 3]))
    >>> [len(ax.lines) for ax in fig.axes]
    [2, 2, 2]
    """
    counts = {"dependencies": ("Dependencies, all participants", "dependencies"),
              "max_dependencies": ("Dependencies of the most coupled participant",
                                   "dependencies"),
              "message_types": ("Distinct message types", "message types"),
              "edges": ("Edges of the event graph", "edges"),
              "nodes": ("Nodes of the event graph", "nodes"),
              "participants": ("Participants", "participants")}
    measured = {"messages_per_saga": ("Messages per saga", "messages per saga (count)", 1)}
    measured.update({f"latency_{q}": (f"{q} latency", f"{q} latency (ms)", MS)
                     for q in ("mean", "p50", "p95", "p99")})
    if axs is None:
        fig, axs = plt.subplots(1, len(metrics), figsize=(4.3 * len(metrics), 3.8),
                                layout="constrained")
    axs = np.atleast_1d(axs)
    for ax, metric in zip(axs, metrics):
        seen: dict[str, int] = {}
        for label, sub in table[metric].groupby(level=0, sort=False):
            pattern = _pattern_of(label)
            k = seen.get(pattern, 0)
            seen[pattern] = k + 1
            scale = measured.get(metric, (None, None, 1))[2]
            ax.plot(sub.index.get_level_values(1), scale * sub.to_numpy(),
                    ("o-", "s--", "^:")[k % 3], color=variant(pattern_color(pattern), k),
                    label=label)
        if metric in measured:
            title, ylabel, _ = measured[metric]
        else:
            title, what = counts.get(metric, (metric, metric))
            ylabel = f"{what} (count)"
            ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set(xlabel="steps in the saga", ylabel=ylabel, title=title)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend(frameon=False, fontsize=8)
    return axs[0].figure


def breakdown(table, ax=None, *, title: str = "Where the time goes (mean per saga)"):
    """Stacked bars of a latency breakdown, one bar per run, in milliseconds.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`sagalab.latency_breakdown` (seconds).
    ax : matplotlib.axes.Axes, optional
    title : str

    Returns
    -------
    matplotlib.axes.Axes
        One bar segment per run and component; row labels in the pattern's colour.

    Examples
    --------
    >>> import sagalab as sl
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "orchestration", arrival_rate=10, n_sagas=100)
    >>> len(sl.plot.breakdown(sl.latency_breakdown(r)).patches)
    5
    """
    ax = axes(ax, figsize=(8.5, 1.4 + 0.7 * len(table)))
    labels = [str(i) for i in table.index]
    left = np.zeros(len(table))
    for comp, color in COMPONENT_COLORS.items():
        vals = MS * table[comp].to_numpy(dtype=float)
        ax.barh(labels, vals, left=left, color=color, label=comp, edgecolor="white", lw=0.5)
        for y, (x0, v) in enumerate(zip(left, vals)):
            if v > 0.06 * MS * table["latency"].max():
                ax.text(x0 + v / 2, y, f"{v:.1f}", ha="center", va="center", fontsize=8,
                        color="white" if comp == "broker" else "black")
        left += vals
    for y, total in enumerate(left):
        ax.text(total, y, f" {total:.1f} ms", va="center", fontsize=8)
    for tick, label in zip(ax.get_yticklabels(), labels):
        tick.set_color(pattern_color(_pattern_of(label)))
    ax.invert_yaxis()
    ax.set_xlim(0, left.max() * 1.15 if left.max() > 0 else 1)
    ax.set(xlabel="mean time per saga (ms)", title=title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, title="part")
    return ax


def load_curves(df, axs=None, *, quantile: str = "latency_p99",
                by: str | None = "orchestrator.capacity"):
    """Throughput and a latency quantile against offered load, from a sweep's rows.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows of :func:`sagalab.sweep` over ``arrival_rate``; replications are averaged.
    axs : pair of matplotlib.axes.Axes, optional
    quantile : str
        The latency column drawn on the right (log scale), e.g. ``"latency_p99"``.
    by : str or None
        A grid column that splits a pattern's rows into one line per value
        (default ``"orchestrator.capacity"``; e.g. ``"broker.partitions"``).
        Rows where it is missing form the pattern's plain line (in the
        pattern's colour); the values' lines are shades of it, light to dark
        as the value grows. Choreography has no orchestrator, so
        ``orchestrator.*`` columns never split it.

    Returns
    -------
    matplotlib.figure.Figure
        Left: throughput (with the line throughput = offered load); right:
        ``quantile`` in ms. One line per pattern and value of ``by``, each
        in its own shade of the pattern's colour and with its own marker and
        line style.

    Examples
    --------
    >>> import sagalab as sl
    >>> df = sl.sweep(sl.scenarios.ecommerce(), {"arrival_rate": [5, 20]},
    ...               executor="serial", progress=False, n_sagas=100)
    >>> [len(ax.lines) for ax in sl.plot.load_curves(df).axes]
    [3, 2]
    """
    if axs is None:
        fig, axs = plt.subplots(1, 2, figsize=(11.5, 4.2), layout="constrained")
    tax, lax = axs
    values = sorted(df[by].dropna().unique()) if by is not None and by in df else []
    for pattern, pg in df.groupby("pattern", sort=False):
        split = bool(values) and pg[by].notna().any() and not (
            by.startswith("orchestrator.") and pattern == "choreography")
        lines = [(None, pg)]
        if split:
            plain = pg[pg[by].isna()]
            lines = ([(None, plain)] if len(plain) else []) + list(pg.groupby(by, sort=True))
        shades = ramp(pattern_color(pattern), len(values)) if split else []
        for v, g in lines:
            style, label, color = "o-", pattern, pattern_color(pattern)
            if v is not None:
                style = _CAPACITY_STYLE[(1 + values.index(v)) % len(_CAPACITY_STYLE)]
                color = shades[values.index(v)]
                label = (f"{pattern}, {v:g} orchestrator worker{'s' if v > 1 else ''}"
                         if by == "orchestrator.capacity" else f"{pattern}, {by} = {v:g}")
            g = g.groupby("arrival_rate")[["throughput", quantile]].mean().reset_index()
            kw = dict(color=color, label=label, ms=5, lw=1.5)
            tax.plot(g["arrival_rate"], g["throughput"], style, **kw)
            lax.plot(g["arrival_rate"], MS * g[quantile], style, **kw)
    top = float(df["arrival_rate"].max())
    tax.plot([0, top], [0, top], color="#888888", lw=1, ls=":", label="throughput = load")
    tax.set(xlabel="offered load (sagas/s arriving)", ylabel="throughput (sagas/s completed)",
            title="Throughput against offered load")
    lax.set_yscale("log")
    lax.set(xlabel="offered load (sagas/s arriving)",
            ylabel=f"{quantile.removeprefix('latency_')} latency (ms, log scale)",
            title=f"{quantile.removeprefix('latency_')} latency against offered load")
    for ax in (tax, lax):
        ax.grid(alpha=0.3, which="both")
    tax.legend(frameon=False, fontsize=8)
    return tax.figure


def station_load(table, ax=None):
    """Utilization of every station, per pattern, from a table with ``utilization_*`` columns.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per pattern (index), e.g. the table of
        :func:`sagalab.widgets.load_explorer`; columns ``utilization_<station>``.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per pattern and station (in %), the 100 % line dashed.

    Examples
    --------
    >>> import pandas as pd, sagalab as sl
    >>> t = pd.DataFrame({"utilization_payment": [0.5, 0.5], "utilization_orchestrator":
    ...                   [float("nan"), 0.9]}, index=["choreography", "orchestration"])
    >>> len(sl.plot.station_load(t).patches)
    4
    """
    ax = axes(ax, figsize=(8, 3.8))
    cols = [c for c in table.columns if c.startswith("utilization_")]
    stations = [c.removeprefix("utilization_") for c in cols]
    width = 0.8 / len(table)
    for i, (label, row) in enumerate(table.iterrows()):
        vals = 100 * row[cols].to_numpy(dtype=float)
        xs = np.arange(len(cols)) + (i - (len(table) - 1) / 2) * width
        bars = ax.bar(xs, np.nan_to_num(vals), width * 0.95, label=label,
                      color=pattern_color(_pattern_of(label), i))
        ax.bar_label(bars, ["" if np.isnan(v) else f"{v:.0f}" for v in vals], fontsize=7,
                     padding=2)
    ax.axhline(100, color="#555555", lw=1, ls="--")
    ax.set_xticks(range(len(cols)), stations)
    ax.set(xlabel="station", ylabel="utilization (% of worker time busy)", ylim=(0, 112),
           title="Station utilization (100 % = saturated)")
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax
