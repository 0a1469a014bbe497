"""The standard charts of a run, patterns overlaid in their series colours.

Each takes one Result, a list of Results (labelled by pattern) or a dict
``label -> Result``; none runs a simulation. Times are in milliseconds,
rates in sagas per second.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ..analysis.result import OUTCOMES
from ._style import as_results, axes, axes_pair, colors

__all__ = ["latency", "outcomes", "utilization", "throughput_latency"]

MS = 1e3
QUANTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
_QSTYLE = {"p50": ":", "p95": "--", "p99": "-."}


def latency(results, ax=None, *, bins: int = 50):
    """Latency histogram and CDF, patterns overlaid, p50/p95/p99 marked.

    Parameters
    ----------
    results : Result, list of Result or dict of str to Result
    ax : matplotlib.axes.Axes or pair of them, optional
        Where to draw the histogram and the CDF; a new figure otherwise. A
        single Axes gets the CDF alone.
    bins : int
        Histogram bins (shared by every run).

    Returns
    -------
    matplotlib.figure.Figure
        Its two Axes hold one histogram and one CDF line per run, and on the
        CDF one vertical line per run and quantile (``gid`` ``"p50"`` ...),
        and a line of text per run naming it and its quantiles in ms.

    Examples
    --------
    >>> import sagalab as sl
    >>> runs = [sl.simulate(sl.scenarios.ecommerce(), p, arrival_rate=20, n_sagas=300)
    ...         for p in ("choreography", "orchestration")]
    >>> fig = sl.plot.latency(runs)
    >>> sum(line.get_gid() in ("p50", "p95", "p99") for line in fig.axes[1].lines)
    6
    """
    rs = as_results(results)
    col = colors(rs)
    if isinstance(ax, Axes):
        fig, hax, cax = ax.figure, None, ax
    else:
        fig, hax, cax = axes_pair(ax)
    lats = {label: MS * r.sagas["latency"].to_numpy() for label, r in rs.items()}
    top = max(np.quantile(v, 0.999) for v in lats.values() if len(v))
    edges = np.linspace(0, top, bins + 1)
    for i, (label, v) in enumerate(lats.items()):
        if hax is not None:
            hax.hist(np.clip(v, 0, top), bins=edges, histtype="step", lw=1.6, color=col[label],
                     label=label)
        xs = np.sort(v)
        cax.plot(xs, np.arange(1, len(xs) + 1) / len(xs), color=col[label], lw=1.6,
                 label=label)
        marks = []
        for q, p in QUANTILES.items():
            value = np.quantile(v, p)
            cax.axvline(value, color=col[label], ls=_QSTYLE[q], lw=1, gid=q)
            marks.append(f"{q} {value:.0f}")
        # one line per run, top left where a CDF never goes: its name and its quantiles
        cax.text(0.02, 0.97 - 0.075 * i, f"{label}: {', '.join(marks)} ms",
                 transform=cax.transAxes, ha="left", va="top", fontsize=8, color=col[label],
                 bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none", alpha=0.8))
    cax.set(xlabel="saga latency (ms)", ylabel="share of sagas at or below",
            title="Latency CDF (p50 dotted, p95 dashed, p99 dash-dot)", xlim=(0, top),
            ylim=(0, 1.02))
    cax.grid(alpha=0.3)
    if hax is None:
        return fig
    hax.set(xlabel="saga latency (ms)", ylabel="sagas per bin",
            title="Latency distribution")
    hax.legend(frameon=False)
    return fig


def _grouped_bars(ax, rs, col, categories, value_of, fmt):
    width = 0.8 / len(rs)
    for i, (label, r) in enumerate(rs.items()):
        vals = [value_of(label, r, c) for c in categories]
        xs = np.arange(len(categories)) + (i - (len(rs) - 1) / 2) * width
        bars = ax.bar(xs, vals, width=width * 0.95, color=col[label], label=label)
        ax.bar_label(bars, [fmt(label, r, c, v) for c, v in zip(categories, vals)], fontsize=7,
                     padding=2)
    ax.set_xticks(range(len(categories)), categories)
    ax.legend(frameon=False)


def outcomes(results, ax=None):
    """How sagas ended (completed, compensated, dlq, stuck), per run, in % of sagas.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per outcome and run, labelled with its count.

    Examples
    --------
    >>> import sagalab as sl
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "choreography", arrival_rate=20, n_sagas=300)
    >>> len(sl.plot.outcomes(r).patches)
    4
    """
    rs = as_results(results)
    ax = axes(ax)
    counts = {label: r.sagas["outcome"].value_counts() for label, r in rs.items()}

    def share(label, r, o):
        return 100.0 * int(counts[label].get(o, 0)) / len(r.sagas)

    _grouped_bars(ax, rs, colors(rs), list(OUTCOMES), share,
                  lambda label, r, o, v: f"{int(counts[label].get(o, 0))}")
    ax.set(ylabel="sagas (%)", xlabel="outcome", title="How the sagas ended (bar labels: count)",
           ylim=(0, 112))
    return ax


def utilization(results, ax=None):
    """Busy share of every station (services, initiator, orchestrator), per run.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per station and run (a station a run lacks counts as 0 %).

    Examples
    --------
    >>> import sagalab as sl
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "orchestration", arrival_rate=20, n_sagas=300)
    >>> len(sl.plot.utilization(r).patches) == len(r.stations)
    True
    """
    rs = as_results(results)
    ax = axes(ax)
    stations = list(dict.fromkeys(s for r in rs.values() for s in r.stations.index))

    def util(label, r, s):
        return 100.0 * float(r.stations["utilization"].get(s, 0.0))

    _grouped_bars(ax, rs, colors(rs), stations, util, lambda label, r, s, v: f"{v:.0f}")
    ax.axhline(100, color="#555555", lw=1, ls="--")
    ax.set(ylabel="utilization (% of worker time busy)", xlabel="station",
           title="Station utilization", ylim=(0, 112))
    return ax


def throughput_latency(results, ax=None, *, quantile: str = "p95"):
    """Latency against throughput over a sweep of runs, one curve per pattern.

    Parameters
    ----------
    results : list of Result, dict of str to list of Result, or pandas.DataFrame
        Runs at several arrival rates; a list is grouped by pattern. A table
        has one row per run: ``pattern`` (the group), ``throughput`` and
        ``latency_mean`` and ``latency_<quantile>`` in seconds (as
        ``Result.summary()`` names them), so runs summarised once are drawn
        without summarising them again.
    ax : matplotlib.axes.Axes, optional
    quantile : {"p50", "p95", "p99"}
        Drawn dashed, next to the mean (solid).

    Returns
    -------
    matplotlib.axes.Axes
        Two lines per group (mean and ``quantile``), one marker per run.

    Examples
    --------
    >>> import sagalab as sl
    >>> runs = [sl.simulate(sl.scenarios.ecommerce(), p, arrival_rate=a, n_sagas=200)
    ...         for p in ("choreography", "orchestration") for a in (5, 20, 35)]
    >>> len(sl.plot.throughput_latency(runs).lines)
    4
    """
    if quantile not in QUANTILES:
        raise ValueError(f"quantile must be one of {list(QUANTILES)}, got {quantile!r}")
    if isinstance(results, pd.DataFrame):
        groups = {p: [row for _, row in g.iterrows()]
                  for p, g in results.groupby("pattern", sort=False)}
        col = colors({p: SimpleNamespace(pattern=p) for p in groups})
    else:
        if isinstance(results, dict):
            runs_of = {k: list(v) for k, v in results.items()}
        else:
            runs_of = {}
            for r in results:
                runs_of.setdefault(r.pattern, []).append(r)
        col = colors({k: v[0] for k, v in runs_of.items()})
        groups = {k: [r.summary() for r in v] for k, v in runs_of.items()}
    ax = axes(ax)
    for label, summaries in groups.items():
        rows = sorted(summaries, key=lambda s: s["throughput"])
        x = [s["throughput"] for s in rows]
        ax.plot(x, [MS * s["latency_mean"] for s in rows], "o-", color=col[label],
                label=f"{label} mean")
        ax.plot(x, [MS * s[f"latency_{quantile}"] for s in rows], "s--", color=col[label],
                label=f"{label} {quantile}")
    ax.set(xlabel="throughput (sagas/s)", ylabel="saga latency (ms)",
           title="Latency as load grows")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return ax
