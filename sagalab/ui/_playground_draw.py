"""Drawing for the playground, with ``sl.plot``: it reads a PlaygroundRun and never simulates.

Three pictures, so the one that rarely changes is not redrawn: the metrics
(outcomes, latency as load grows, the latency CDF with its quantiles), the
event graphs (cached: they change only with the saga's shape), and one
saga's sequence diagram under each pattern.

The event graphs are drawn at their natural size (an inch per layout unit,
the size their fonts were chosen for), one under the other, at 100 dpi: the
dashboard shows them at that size, or smaller only when the page is
narrower, so their names stay legible. The metrics and sequence diagrams
are drawn once per change at 72 dpi with their titles at a fixed height
(no layout engine): each change of the playground must answer within half
a second.
"""
from __future__ import annotations

import functools
import io

import matplotlib.pyplot as plt
from PIL import Image

from .. import plot
from ..analysis.graphs import event_graph
from ..sim.catalogue import SEED_PATTERNS as PATTERNS

__all__ = ["draw_metrics", "draw_sequences", "graphs_png", "graph_shape", "png"]

DPI = 72  # dots per inch of the metrics and sequences: small files, quick to send
GRAPH_DPI = 100  # the event graphs: an inch per layout unit, names at 9 points
GRAPH_PT = 9.0  # size of the message names in the event graphs, points
# Titles at a fixed height: matplotlib then skips measuring every tick label to place them
# (a fifth of the drawing time); and a default patch colour that is not "C0", which
# matplotlib would look up in the colour cycle for every patch made (every arrow and box).
FAST = {"axes.titley": 1.0, "patch.facecolor": "#0072B2"}
MS = 1e3


def png(fig, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes; the figure is closed."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


@plt.rc_context(FAST)
def draw_metrics(pr):
    """Outcome counts, latency against throughput over the load sweep, and the latency CDF."""
    fig, (ax_o, ax_t, ax_c) = plt.subplots(1, 3, figsize=(14, 4.0))
    fig.subplots_adjust(left=0.05, right=0.99, bottom=0.13, top=0.91, wspace=0.22)
    plot.outcomes(pr.results, ax=ax_o)
    plot.throughput_latency(pr.sweep, ax=ax_t, quantile="p99")  # summarised once, cached
    for p in pr.results:  # where the current settings sit on the curve
        s = pr.table[p]
        ax_t.plot(s["throughput"], MS * s["latency_p99"], "*", ms=16, mec="black",
                  color=plot.PATTERN_COLORS[p], label=f"{p} now (p99)")
    ax_t.legend(frameon=False, fontsize=8, loc="upper left")
    ax_t.set_title("Latency as load grows (sweep without faults)")
    plot.latency(pr.results, ax=ax_c)
    ax_c.set_title("Latency CDF (p50 dotted, p95 dashed, p99 dash-dot)", fontsize=10)
    return fig


def graph_shape(saga):
    """A saga whose event graph equals ``saga``'s: business failure rates only matter by
    whether a step can fail or pass, so sliders that move them do not redraw the graphs."""
    return saga.with_failure_p(**{s.name: 0.5 if 0 < s.failure_p < 1 else s.failure_p
                                  for s in saga.steps})


@functools.lru_cache(maxsize=32)
def graphs_png(saga) -> bytes:
    """The event graph of ``saga`` under each pattern, one under the other, as PNG (cached)."""
    parts = []
    for p in PATTERNS:
        ax = plot.event_graph(event_graph(saga, p), title=f"{p}: what can flow",
                              fontsize=GRAPH_PT)
        parts.append(Image.open(io.BytesIO(png(ax.figure, dpi=GRAPH_DPI))).convert("RGB"))
    gap = GRAPH_DPI // 4
    sheet = Image.new("RGB", (max(i.width for i in parts),
                              sum(i.height for i in parts) + gap * (len(parts) - 1)), "white")
    y = 0
    for part in parts:
        sheet.paste(part, ((sheet.width - part.width) // 2, y))
        y += part.height + gap
    buf = io.BytesIO()
    sheet.save(buf, format="png", optimize=False)
    return buf.getvalue()


@plt.rc_context(FAST)
def draw_sequences(pr):
    """One saga's sequence diagram under each pattern, side by side (same customer), and one
    legend for both."""
    fig, axes = plt.subplots(1, len(pr.results), figsize=(14, 5.6))
    # room on the right for the legend, and above each diagram for its headers and title
    fig.subplots_adjust(left=0.05, right=0.81, bottom=0.04, top=0.84, wspace=0.22)
    entries: dict = {}
    for ax, r in zip(axes, pr.results.values()):
        plot.sequence(r, pr.saga_id, ax=ax, legend=entries)
    fig.legend(list(entries.values()), list(entries), loc="upper left",
               bbox_to_anchor=(0.825, 0.84), fontsize=9, frameon=False)
    return fig
