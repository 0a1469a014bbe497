"""Charts of business state: anomalies per countermeasure, their cost, a balance over time.

They read ``result.state`` and ``result.anomalies()`` (runs with
``state=[...]``); none runs a simulation. A run labelled with a
countermeasure's name (``"none"``, ``"semantic_lock"``, ...,
``"pessimistic_view"``) is drawn in that countermeasure's colour
(:data:`COUNTERMEASURE_COLORS`), the same in every figure of the series.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._style import as_results, axes, axes_pair, colors, countermeasure_style, pattern_color

__all__ = ["anomalies", "isolation_costs", "balance"]

#: Anomaly columns of ``result.anomalies()`` drawn, with their axis labels.
ANOMALY_LABELS = {"lost_updates": "lost updates", "dirty_reads": "dirty reads",
                  "nonrepeatable_reads": "non-repeatable\nreads", "oversold": "oversold\n(units)"}


def anomalies(results, ax=None):
    """Anomalies of each run (summed over its states): one panel per kind, one bar per run.

    Parameters
    ----------
    results : Result, list of Result or dict of str to Result
        Runs with business state, e.g. ``{"none": r0, "commutative": r1}``.
    ax : sequence of 4 matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Four panels (lost updates, dirty reads, non-repeatable reads, oversold
        units), each with its own scale, bars labelled with their values.

    Examples
    --------
    >>> import sagalab as sl
    >>> st = [sl.Stock("inventory", products=2, initial=20)]
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "choreography", arrival_rate=30,
    ...                 n_sagas=200, state=st)
    >>> len(sl.plot.anomalies({"none": r}).axes)
    4
    """
    rs = as_results(results)
    col = _styles(rs)
    if ax is None:
        fig, ax = plt.subplots(1, 4, figsize=(13, 3.8), layout="constrained", sharex=True)
    fig = ax[0].figure
    labels = list(rs)
    tables = {label: r.anomalies().sum(numeric_only=True) for label, r in rs.items()}
    for a, (kind, title) in zip(ax, ANOMALY_LABELS.items()):
        vals = [float(tables[label][kind]) for label in labels]
        _bars(a, labels, vals, col, "{:.0f}", 7)
        a.set(title=title.replace("\n", " "), xlabel="countermeasure",
              ylabel="units below zero" if kind == "oversold" else "operations")
        a.tick_params(axis="x", rotation=60, labelsize=8)
        a.margins(y=0.15)
    fig.suptitle("Isolation anomalies per countermeasure (counts over the run)")
    return fig


def _styles(rs: dict) -> dict:
    """Bar style per label: a countermeasure's own colour (the same in every figure of the
    series), else the run's colour among the runs drawn (:func:`colors`)."""
    col = colors(rs)
    return {label: countermeasure_style(label) or dict(color=col[label]) for label in rs}


def _bars(ax, labels, values, styles, fmt: str, fontsize: int):
    """One bar per run in its style, labelled with its value."""
    bars = ax.bar(labels, values, color=[styles[x]["color"] for x in labels], edgecolor="white")
    for bar, label in zip(bars, labels):
        bar.set_hatch(styles[label].get("hatch", ""))
    ax.bar_label(bars, [fmt.format(v) for v in values], fontsize=fontsize, padding=2)


def isolation_costs(results, ax=None):
    """What each run paid: mean latency (ms) and completed sagas per second.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels, one bar per run in each.

    Examples
    --------
    >>> import sagalab as sl
    >>> st = [sl.Stock("inventory", products=2, initial=20)]
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "choreography", arrival_rate=30,
    ...                 n_sagas=200, state=st)
    >>> len(sl.plot.isolation_costs({"none": r}).axes)
    2
    """
    rs = as_results(results)
    col = _styles(rs)
    fig, lax, tax = axes_pair(ax)
    labels = list(rs)
    lat, done = [], []
    for r in rs.values():
        s = r.sagas
        span = float(s["end"].max() - s["start"].min())
        lat.append(1e3 * float(s["latency"].mean()))
        done.append(int((s["outcome"] == "completed").sum()) / span if span > 0 else np.nan)
    for a, vals, fmt in ((lax, lat, "{:.0f}"), (tax, done, "{:.1f}")):
        _bars(a, labels, vals, col, fmt, 8)
        a.tick_params(axis="x", rotation=30)
    lax.set(ylabel="mean saga latency (ms)", xlabel="countermeasure", title="Latency cost")
    tax.set(ylabel="completed sagas per second", xlabel="countermeasure",
            title="Throughput of completed orders")
    return fig


def balance(result, state=None, key: int = 0, ax=None):
    """One key's balance over time: what the service's records say, and the truth.

    Parameters
    ----------
    result : Result
        A run with business state.
    state : str, optional
        The step keeping the state (default: the first state of the run).
    key : int
        The product (Stock) or customer (Credit).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Two step lines (``gid`` ``"recorded"`` and ``"truth"``) and the lost
        updates marked with crosses.

    Examples
    --------
    >>> import sagalab as sl
    >>> st = [sl.Stock("inventory", products=2, initial=20)]
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "choreography", arrival_rate=30,
    ...                 n_sagas=200, state=st)
    >>> [line.get_gid() for line in sl.plot.balance(r).lines][:2]
    ['recorded', 'truth']
    """
    spec = result.params["state"][0] if state is None else next(
        s for s in result.params["state"] if s.step == state)
    ops = result.state
    o = ops[(ops["state"] == spec.step) & (ops["key"] == key)]
    ax = axes(ax, figsize=(10, 4))
    t = np.concatenate([[0.0], o["time"].to_numpy()])
    rec = np.concatenate([[spec.start], o["after"].to_numpy()])
    tru = np.concatenate([[spec.start], o["truth"].to_numpy()])
    ax.step(t, rec, where="post", color=pattern_color(result.pattern), lw=1.4, gid="recorded",
            label="recorded by the service")
    ax.step(t, tru, where="post", color="black", lw=1.0, ls="--", gid="truth",
            label="truth (oracle)")
    lost = o[o["lost"]]
    ax.plot(lost["time"], lost["after"], "x", color="#D55E00", ms=6, label="lost update")
    ax.axhline(0, color="grey", lw=0.8)
    what = "stock of product" if type(spec).__name__ == "Stock" else "credit of customer"
    ax.set(xlabel="simulation time (s)", ylabel=f"balance ({spec.unit})",
           title=f"{spec.step}: {what} {key} "
                 f"(countermeasure: {spec.countermeasure or 'none'})")
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3)
    return ax
