"""Charts of runs under failures: time spent inconsistent, and the stuck-saga detector.

Runs are coloured by pattern (:data:`PATTERN_COLORS`); several runs of one
pattern (with and without a saga log, say) take shades of its colour and
differ by line style or hatching as well. Outages recorded in a run's ``params["faults"]``
are shaded. Neither chart runs a simulation.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..analysis.result import OUTCOMES
from ._style import as_results, axes, pattern_color, variant

__all__ = ["inconsistency", "in_flight"]

MS = 1e3
_LINES = ("-", "--", ":", "-.")
_HATCHES = ("", "//", "..", "xx")
_OUTAGE = {"orchestrator": "#CC79A7", "broker": "#999999"}  # a step's service: "#F0E442"


def _styles(rs: dict) -> dict:
    """label -> (colour, index among runs of the same pattern)."""
    seen: dict[str, int] = {}
    out = {}
    for label, r in rs.items():
        k = seen.get(r.pattern, 0)
        seen[r.pattern] = k + 1
        out[label] = (variant(pattern_color(r.pattern), k), k)
    return out


def inconsistency(results, ax=None):
    """Mean time a saga left the data inconsistent, by outcome, per run (ms).

    A saga is inconsistent while some but not all of its effects are in
    place: from its first local commit to its last (completed), to its last
    compensation (compensated), to the end of its run (``"dlq"``, until a
    person repairs it) or of the simulation (``"stuck"``).

    Parameters
    ----------
    results : Result, list of Result or dict of str to Result
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One bar per outcome that occurred and run, labelled with its count
        of sagas.

    Examples
    --------
    >>> import sagalab as sl
    >>> runs = [sl.simulate(sl.scenarios.ecommerce(), p, arrival_rate=20, n_sagas=300)
    ...         for p in sl.SEED_PATTERNS]
    >>> ax = sl.plot.inconsistency(runs)
    >>> len(ax.patches)  # completed and compensated, two runs
    4
    """
    rs = as_results(results)
    ax = axes(ax)
    st = _styles(rs)
    present = [o for o in OUTCOMES if any((r.sagas["outcome"] == o).any() for r in rs.values())]
    width = 0.8 / len(rs)
    for i, (label, r) in enumerate(rs.items()):
        g = r.sagas.groupby("outcome", observed=False)["inconsistent"]
        mean, n = g.mean(), g.size()
        vals = [MS * float(mean.get(o, np.nan)) if n.get(o, 0) else 0.0 for o in present]
        xs = np.arange(len(present)) + (i - (len(rs) - 1) / 2) * width
        color, k = st[label]
        bars = ax.bar(xs, vals, width=width * 0.95, color=color, label=label,
                      hatch=_HATCHES[k % len(_HATCHES)], edgecolor="white")
        ax.bar_label(bars, [f"n={int(n.get(o, 0))}" for o in present], fontsize=7, padding=2)
    ax.set_xticks(range(len(present)), present)
    ax.margins(y=0.12)
    ax.set(xlabel="outcome", ylabel="time inconsistent, mean per saga (ms)",
           title="Time inconsistent per saga (bar labels: sagas)")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return ax


def _shade_outages(ax, rs, seen: set):
    for r in rs.values():
        for o in r.params.get("faults", ()):
            key = (o.target, o.start, o.duration)
            if key in seen:
                continue
            seen.add(key)
            ax.axvspan(o.start, o.end, color=_OUTAGE.get(o.target, "#F0E442"), alpha=0.25,
                       lw=0, label=f"{o.target} down")


def in_flight(results, axs=None, *, threshold: float | None = None):
    """The stuck-saga detector over a run: sagas in flight and the oldest one's age.

    Reads :meth:`sagalab.Result.timeline` of each run. A stuck saga never
    ends, so after an outage the count settles above zero and the oldest
    age climbs in a straight line instead of returning to the usual few
    tenths of a second.

    Parameters
    ----------
    results : Result, list of Result or dict of str to Result
    axs : pair of matplotlib.axes.Axes, optional
        Where to draw the counts and the ages; a new figure otherwise.
    threshold : float, optional
        An alert threshold on the oldest age, seconds, drawn as a line.

    Returns
    -------
    matplotlib.figure.Figure
        Two Axes with one line per run each; outages shaded.

    Examples
    --------
    >>> import sagalab as sl
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "orchestration", arrival_rate=30,
    ...                 n_sagas=200, seed=8, faults=[sl.Outage("orchestrator", 3.0, 1.0)])
    >>> fig = sl.plot.in_flight(r, threshold=1.0)
    >>> [len(ax.lines) for ax in fig.axes]
    [1, 2]
    """
    rs = as_results(results)
    if axs is None:
        fig, (cax, aax) = plt.subplots(2, 1, figsize=(10, 5.5), sharex=True,
                                       layout="constrained")
    else:
        cax, aax = axs
        fig = cax.figure
    st = _styles(rs)
    for label, r in rs.items():
        tl = r.timeline()
        color, k = st[label]
        ls = _LINES[k % len(_LINES)]
        cax.plot(tl.index, tl["in_flight"], color=color, ls=ls, lw=1.4, label=label)
        aax.plot(tl.index, tl["oldest_age"], color=color, ls=ls, lw=1.4, label=label)
    for ax in (cax, aax):
        _shade_outages(ax, rs, set())
        ax.grid(alpha=0.3)
    if threshold is not None:
        aax.axhline(threshold, color="#D55E00", lw=1, ls="--", label=f"alert at {threshold:g} s")
    cax.set(ylabel="sagas in flight", title="Stuck-saga detector: sagas in flight")
    aax.set(xlabel="simulation time (s)", ylabel="oldest unfinished saga (s)",
            title="Age of the oldest unfinished saga")
    handles, labels = cax.get_legend_handles_labels()
    extra = [(h, lab) for h, lab in zip(*aax.get_legend_handles_labels())
             if lab.startswith("alert")]
    cax.legend(handles + [h for h, _ in extra], labels + [lab for _, lab in extra],
               frameon=False, fontsize=8, loc="upper left")
    return fig
