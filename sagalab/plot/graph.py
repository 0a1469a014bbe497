"""Drawing an event graph: the seed's box-and-arrow diagrams, generated.

The layout is deterministic and reads left to right in step order: the
initiator, then each step's service, one column each. Under choreography
each service's topic sits below it (the broker's band, as in the seed's
"Kafka Topics" strip); the orchestrator, and the dead-letter queue, sit
above. Each message type is one arrow, coloured by its kind; the names of
parallel messages are stacked in one label, each line in its arrow's colour,
placed where it overlaps no node and no other label if such a place exists.
A broker message is named once, on its way out of the topic.
"""
from __future__ import annotations

from collections import defaultdict

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.transforms import Bbox

from ._style import KIND_COLORS

__all__ = ["layout", "event_graph"]

DX = 2.2  # data units between two columns
ROW = {"topic": 0.0, "initiator": 1.8, "service": 1.8, "orchestrator": 4.2, "dlq": 3.8}
INCH = 0.95  # inches per data unit (equal aspect: arcs and labels agree)


def layout(g) -> dict[str, tuple[float, float]]:
    """Node positions: columns in step order, rows by role.

    Services (initiator first) sit on one row, ``DX`` apart in step order.
    A topic sits right below its producer: the broker's band. The orchestrator
    sits above the middle, the higher the more services it calls; the
    dead-letter queue above the middle (and above the orchestrator).

    Examples
    --------
    >>> import sagalab as sl
    >>> pos = sl.plot.layout(sl.event_graph(sl.scenarios.ecommerce(), "choreography"))
    >>> pos["order"][0] < pos["payment"][0] == pos["payment.events"][0] < pos["inventory"][0]
    True
    """
    cols = sorted({o for n, o in g.nodes(data="order") if g.nodes[n]["role"] in
                   ("initiator", "service")})
    x_of = {o: DX * i for i, o in enumerate(cols)}
    mid = DX * (len(cols) - 1) / 2
    pos = {}
    # The hub rises with the width, so its arrows to far services stay steep enough to label.
    hub = ROW["service"] + max(ROW["orchestrator"] - ROW["service"], 0.2 * DX * len(cols))
    for n, d in g.nodes(data=True):
        role = d["role"]
        if role == "orchestrator":
            pos[n] = (mid, hub)
        elif role == "dlq":
            pos[n] = (mid, hub + 1.4) if "orchestrator" in g else (mid, ROW[role])
        elif role == "topic":
            pos[n] = (x_of.get(d["order"], mid), ROW[role])
        else:
            pos[n] = (x_of.get(d["order"], mid), ROW[role])
    return pos


def _node_style(role):
    fill = {"topic": "#F2F2F2", "orchestrator": "#FFE9BF", "dlq": "#DDDDDD"}.get(role, "white")
    shape = "round,pad=0.4" if role != "topic" else "sawtooth,pad=0.35"
    return dict(boxstyle=shape, fc=fill, ec="#333333", lw=1.2)


def _bezier(a, b, rad, t):
    """Point at ``t`` on matplotlib's ``arc3`` curve from ``a`` to ``b``, and its bulge side."""
    (xa, ya), (xb, yb) = a, b
    dx, dy = xb - xa, yb - ya
    cx, cy = (xa + xb) / 2 + rad * dy, (ya + yb) / 2 - rad * dx  # arc3's control point
    x = (1 - t) ** 2 * xa + 2 * t * (1 - t) * cx + t**2 * xb
    y = (1 - t) ** 2 * ya + 2 * t * (1 - t) * cy + t**2 * yb
    side = np.array([dy, -dx]) * (-1.0 if rad < 0 else 1.0)
    return x, y, side / (np.hypot(*side) or 1.0)


_TS = (0.5, 0.35, 0.65, 0.25, 0.75, 0.18, 0.82)


def _overlap(box, placed) -> float:
    return sum(max(0.0, min(box.x1, p.x1) - max(box.x0, p.x0))
               * max(0.0, min(box.y1, p.y1) - max(box.y0, p.y0)) for p in placed)


def _label(ax, renderer, placed, a, b, rad, edges, hot):
    """Names of a bundle of parallel arrows, stacked beside its outermost arc, at the
    first point along it where they overlap no node and no other label."""
    texts = [ax.text(0, 0, name, va="center", fontsize=7, color=KIND_COLORS[d["kind"]],
                     zorder=4, fontweight="bold" if d["name"] in hot else "normal",
                     bbox=dict(boxstyle="square,pad=0.05", fc="white", ec="none", alpha=0.85))
             for name, d in edges]
    best = None
    for t in _TS:
        x, y, side = _bezier(a, b, rad, t)
        x, y = x + 0.1 * side[0], y + 0.1 * side[1]
        ha = "left" if side[0] > 0.25 else "right" if side[0] < -0.25 else "center"
        n = len(texts)
        lift = 0.0 if ha != "center" else 0.19 * (n - 1) / 2 * (1 if side[1] >= 0 else -1)
        for i, txt in enumerate(texts):
            txt.set_position((x, y + lift + 0.19 * ((n - 1) / 2 - i)))
            txt.set_ha(ha)
        boxes = [txt.get_window_extent(renderer) for txt in texts]
        cost = _overlap(Bbox.union(boxes), placed)
        if best is None or cost < best[0]:
            best = (cost, [txt.get_position() for txt in texts], ha, boxes)
        if cost == 0:
            break
    _, xy, ha, boxes = best
    for txt, p in zip(texts, xy):
        txt.set_position(p)
        txt.set_ha(ha)
    placed.append(Bbox.union([txt.get_window_extent(renderer) for txt in texts]))


def event_graph(g, ax=None, *, labels: bool = True, highlight=None, title: str | None = None):
    """Draw an event graph: participants as boxes, message types as coloured arrows.

    Parameters
    ----------
    g : networkx.MultiDiGraph
        From :func:`sagalab.event_graph` (or :func:`sagalab.add_subscriber`).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure sized to the saga otherwise.
    labels : bool
        Write the message names next to their arrows.
    highlight : iterable of tuple of str, optional
        Cycles (from :func:`sagalab.find_cycles`): their messages are drawn thick.
    title : str, optional
        Defaults to the saga and pattern.

    Returns
    -------
    matplotlib.axes.Axes
        One :class:`~matplotlib.patches.FancyArrowPatch` per edge in ``ax.patches``.

    Examples
    --------
    >>> import sagalab as sl
    >>> g = sl.event_graph(sl.scenarios.ecommerce(), "orchestration")
    >>> ax = sl.plot.event_graph(g)
    >>> len(ax.patches) == g.number_of_edges()
    True
    """
    pos = layout(g)
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    x0_, x1_ = min(xs) - DX * 0.6, max(xs) + DX * 0.6
    y0_, y1_ = min(ys) - 1.3, max(ys) + 0.9
    if ax is None:
        fig = plt.figure(figsize=(max(INCH * (x1_ - x0_), 7.0), INCH * (y1_ - y0_) + 0.5))
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0 - 0.5 / fig.get_figheight()))
    ax.set_xlim(x0_, x1_)
    ax.set_ylim(y0_, y1_)
    ax.set_aspect("equal")
    renderer = ax.figure.canvas.get_renderer()
    hot = {name for cycle in (highlight or ()) for name in cycle}
    boxes = {}
    for n, d in g.nodes(data=True):
        x, y = pos[n]
        boxes[n] = ax.text(x, y, n, ha="center", va="center", fontsize=9, zorder=1,
                           fontweight="bold" if d["role"] != "topic" else "normal",
                           bbox=_node_style(d["role"]))
    placed = [b.get_window_extent(renderer) for b in boxes.values()]
    bundles = defaultdict(list)
    for u, v, k, d in sorted(g.edges(keys=True, data=True),
                             key=lambda e: (list(KIND_COLORS).index(e[3]["kind"]), e[2])):
        bundles[(u, v)].append((k, d))
    for (u, v), edges in bundles.items():
        (xa, ya), (xb, yb) = pos[u], pos[v]
        length = float(np.hypot(xb - xa, yb - ya))
        # Parallel arcs keep a fixed gap in data units (rad is relative to the length).
        if length > DX * 1.9 and xb < xa and g.nodes[u]["role"] == "topic":
            base, step = -2.4, -0.3  # the long way back to the initiator: under the broker
        elif (v, u) in bundles or len(edges) > 1:
            base, step = 0.25, 0.16
        else:
            base, step = 0.0, 0.16
        rads = [(base + step * i) / length for i in range(len(edges))]
        for (name, d), rad in zip(edges, rads):
            thick = d["name"] in hot
            arrow = FancyArrowPatch(
                (xa, ya), (xb, yb), connectionstyle=f"arc3,rad={rad:.3f}",
                arrowstyle="-|>", mutation_scale=11, lw=3.2 if thick else 1.3,
                color=KIND_COLORS[d["kind"]], patchA=boxes[u].get_bbox_patch(),
                patchB=boxes[v].get_bbox_patch(), zorder=3 if thick else 2,
                shrinkA=2, shrinkB=2)
            arrow.set_gid(f"{u}->{v}:{name}")
            ax.add_patch(arrow)
        if g.nodes[v]["role"] == "topic":  # named once, on the way out of the topic
            edges = [(k, d) for k, d in edges if not any(
                k in g[v][w] for w in g.successors(v))]
        if labels and edges:
            _label(ax, renderer, placed, (xa, ya), (xb, yb), rads[-1], edges, hot)
    kinds = [k for k in KIND_COLORS if any(d == k for _, _, d in g.edges(data="kind"))]
    ax.legend([Line2D([0], [0], color=KIND_COLORS[k], lw=2) for k in kinds], kinds,
              loc="lower center", ncol=len(kinds), fontsize=8, frameon=False,
              title="message kind", title_fontsize=8)
    ax.set_axis_off()
    if title is None:
        title = f"Event graph: {g.graph.get('saga', '?')} saga, {g.graph.get('pattern', '?')}"
    ax.set_title(title)
    return ax
