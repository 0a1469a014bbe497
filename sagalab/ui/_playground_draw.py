"""Drawing for the playground, with ``sl.plot``: it reads a PlaygroundRun and never simulates.

Three pictures, so the one that rarely changes is not redrawn: the metrics
(outcomes, latency as load grows, latency histogram and CDF), the event
graphs (cached: they change only with the saga's shape), and one saga's
sequence diagram under each pattern.
"""
from __future__ import annotations

import functools
import io

import matplotlib.pyplot as plt

from .. import plot
from ..analysis.graphs import event_graph
from ..sim.catalogue import SEED_PATTERNS as PATTERNS

__all__ = ["draw_metrics", "draw_sequences", "graphs_png", "graph_shape", "png"]

DPI = 72  # dots per inch of the dashboard's PNGs: small files, quick to send
# Titles at a fixed height: matplotlib then skips measuring every tick label to place them
# (a fifth of the drawing time; each change of the playground must answer within a second).
FAST = {"axes.titley": 1.0}
MS = 1e3


def png(fig) -> bytes:
    """The figure as PNG bytes; the figure is closed."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    return buf.getvalue()


def draw_metrics(pr):
    """Outcome counts, latency against throughput over the load sweep, latency histogram and CDF."""
    with plt.rc_context(FAST):
        fig, ((ax_o, ax_t), (ax_h, ax_c)) = plt.subplots(2, 2, figsize=(13, 7.2))
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.07, top=0.95, wspace=0.17, hspace=0.32)
    plot.outcomes(pr.results, ax=ax_o)
    plot.throughput_latency(pr.sweep_results, ax=ax_t, quantile="p99")
    for p, r in pr.results.items():  # where the current settings sit on the curve
        s = r.summary()
        ax_t.plot(s["throughput"], MS * s["latency_p99"], "*", ms=16, mec="black",
                  color=plot.PATTERN_COLORS[p], label=f"{p} now (p99)")
    ax_t.legend(frameon=False, fontsize=8)
    ax_t.set_title("Latency as load grows (sweep without faults)")
    plot.latency(pr.results, ax=(ax_h, ax_c))
    return fig


def graph_shape(saga):
    """A saga whose event graph equals ``saga``'s: business failure rates only matter by
    whether a step can fail or pass, so sliders that move them do not redraw the graphs."""
    return saga.with_failure_p(**{s.name: 0.5 if 0 < s.failure_p < 1 else s.failure_p
                                  for s in saga.steps})


@functools.lru_cache(maxsize=32)
def graphs_png(saga) -> bytes:
    """The event graph of ``saga`` under each pattern, side by side, as PNG (cached)."""
    with plt.rc_context(FAST):
        fig, axes = plt.subplots(1, len(PATTERNS), figsize=(13, 3.6))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.9, wspace=0.05)
    for ax, p in zip(axes, PATTERNS):
        plot.event_graph(event_graph(saga, p), ax=ax, title=f"{p}: what can flow")
    return png(fig)


def draw_sequences(pr):
    """One saga's sequence diagram under each pattern, side by side (same customer)."""
    with plt.rc_context(FAST):
        fig, axes = plt.subplots(1, len(pr.results), figsize=(14, 5.6))
    # room on the right of each diagram for its legend, and above for its title
    fig.subplots_adjust(left=0.05, right=0.86, bottom=0.04, top=0.86, wspace=0.5)
    for ax, r in zip(axes, pr.results.values()):
        plot.sequence(r, pr.saga_id, ax=ax)
    return fig
