"""Drawing an event graph: the seed's box-and-arrow diagrams, generated.

The layout is deterministic and reads left to right in step order: the
initiator, then each step's service, one column each. Under choreography
each service's topic sits below it (the broker's band, as in the seed's
"Kafka Topics" strip); the orchestrator, and the dead-letter queue, sit
above. Each message type is one arrow, coloured by its kind. Arrows between
the same two participants are drawn as a fan of arcs a label's height apart
(a lens when messages flow both ways), bent around any box in their way;
the message back to the initiator from far away runs under the broker band.

Every arrow's name is written *on* its arc, along it, on a white ground
(see :mod:`sagalab.plot._labels`), at the point nearest the middle that
covers no box, no other name and no other arc. A broker message is named
once, on its way out of the topic (the arrows into a topic are the same
messages, in the same colours).
"""
from __future__ import annotations

from collections import defaultdict

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ._labels import control, curve_points, place_labels
from ._style import KIND_COLORS

__all__ = ["layout", "event_graph"]

DX = 2.0  # data units between two columns; a data unit is an inch at the natural size
ROW = {"topic": 0.0, "initiator": 2.8, "service": 2.8, "orchestrator": 5.2, "dlq": 5.0}
LABEL_PT = 8.0  # default size of the message names, points
GAP = 1.5  # neighbouring arcs of a fan this many label heights apart, at their widest
TITLE = 0.45  # inches above the Axes for the title, in a figure of our own
BAR = 0.4  # the orchestrator's bar spans this share of the way to its farthest service


def layout(g) -> dict[str, tuple[float, float]]:
    """Node positions: columns in step order, rows by role.

    Services (initiator first) sit on one row, ``DX`` apart in step order.
    A topic sits right below its producer: the broker's band. The orchestrator
    sits above the middle, the higher the more services it calls; the
    dead-letter queue above the middle under choreography, up and to the
    right of the orchestrator otherwise.

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
    # The hub rises with the width, so its arrows to far services stay steep enough to label.
    hub = ROW["service"] + max(ROW["orchestrator"] - ROW["service"], 0.15 * DX * len(cols))
    pos = {}
    for n, d in g.nodes(data=True):
        role = d["role"]
        if role == "orchestrator":
            pos[n] = (mid, hub)
        elif role == "dlq":
            # a fan of arrows from one sender, a label's height apart, needs the room
            fan = 0.22 * max([g.number_of_edges(u, n) for u in g.predecessors(n)] or [0])
            pos[n] = ((mid + 1.6 * DX, hub + 0.4 + fan) if "orchestrator" in g
                      else (mid, ROW[role] + fan))
        else:
            pos[n] = (x_of.get(d["order"], mid), ROW.get(role, ROW["service"]))
    return pos


def _neighbours(g, n) -> set:
    """Every node with an edge to or from ``n``."""
    return set(g.predecessors(n)) | set(g.successors(n))


def _node_style(role):
    fill = {"topic": "#F2F2F2", "orchestrator": "#FFE9BF", "dlq": "#DDDDDD"}.get(role, "white")
    shape = "round,pad=0.4" if role != "topic" else "sawtooth,pad=0.35"
    return dict(boxstyle=shape, fc=fill, ec="#333333", lw=1.2)


def _is_return(g, pos, u, v) -> bool:
    """The message back to the initiator from a topic two or more columns away."""
    return (g.nodes[v]["role"] == "initiator" and g.nodes[u]["role"] == "topic"
            and pos[u][0] - pos[v][0] > 1.5 * DX)


def _blocked(a, controls, b, boxes) -> bool:
    """Whether any curve from ``a`` to ``b`` (one per control point) crosses one of ``boxes``."""
    ts = np.linspace(0.03, 0.97, 60)
    for c in controls:
        pts = curve_points(a, c, b, ts)
        for x0, y0, x1, y1 in boxes:
            if ((pts[:, 0] > x0) & (pts[:, 0] < x1) & (pts[:, 1] > y0) & (pts[:, 1] < y1)).any():
                return True
    return False


def _return_controls(a, b, n: int, gap: float, boxes) -> list[np.ndarray]:
    """Control points of ``n`` arcs from a far topic ``a`` back to the initiator ``b``: below
    the broker band and left of ``b``, the shallowest and nearest clear of every box (a
    farther topic's return runs deeper, so returns from several topics nest)."""
    span = (a[0] - b[0]) / DX  # columns
    controls: list[np.ndarray] = []
    for depth in 1.2 + 0.25 * span + np.array([0.0, 0.6, 1.2, 1.8]):
        for back in (1.0, 1.5, 2.0, 2.5):
            controls = [np.array([b[0] - back * DX, ROW["topic"] - depth - 2 * gap * i])
                        for i in range(n)]
            if not _blocked(a, controls, b, boxes):
                return controls
    return controls  # the deepest and widest tried


def _route(g, pos, u, v, a, b, n, both_ways, gap, boxes) -> list[tuple[np.ndarray, str]]:
    """The control point and matplotlib connection style of each of the ``n`` arcs u -> v
    (from ``a`` to ``b``, where they meet ``u`` and ``v``).

    A fan of arcs sits ``gap`` apart at its widest: a lens when messages
    also flow back (each direction bends to its right), else centred on
    the straight line. A fan that would cross a box is bent further, to one
    side then the other. The way back to the initiator from far away runs
    under the broker band and rises left of the initiator's own topic (clear of
    the initiator's arrows into it).
    """
    length = float(np.hypot(*(b - a))) or 1e-9
    others = [box for node, box in boxes.items() if node not in (u, v)]
    if _is_return(g, pos, u, v):
        return [(c, "angle3,angleA={:.2f},angleB={:.2f}".format(
            *np.degrees([np.arctan2(*(c - a)[::-1]), np.arctan2(*(c - b)[::-1])])))
            for c in _return_controls(a, b, n, gap, others)]
    i = np.arange(n, dtype=float)
    offs = gap * (0.5 + i) if both_ways else gap * (i - (n - 1) / 2)  # sagitta of each arc
    step = max(gap, 0.35)
    for k in range(13):  # straight if the way is clear, else bent a little more each time
        shift = step * ((k + 1) // 2) * (1 if k % 2 else -1) if k else 0.0
        rads = 2 * (offs + shift) / length
        if not _blocked(a, [control(a, b, r) for r in rads], b, others):
            break
    return [(control(a, b, r), f"arc3,rad={r:.4f}") for r in rads]


def event_graph(g, ax=None, *, labels: bool = True, highlight=None, title: str | None = None,
                fontsize: float = LABEL_PT):
    """Draw an event graph: participants as boxes, message types as coloured arrows.

    Parameters
    ----------
    g : networkx.MultiDiGraph
        From :func:`sagalab.event_graph` (or :func:`sagalab.add_subscriber`).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure sized to the saga otherwise (an inch per
        data unit: the sizes the fonts were chosen for).
    labels : bool
        Write each message's name on its arrow.
    highlight : iterable of tuple of str, optional
        Cycles (from :func:`sagalab.find_cycles`): their messages are drawn thick.
    title : str, optional
        Defaults to the saga and pattern.
    fontsize : float
        Size of the message names, points (the boxes' names are 1.5 points larger).

    Returns
    -------
    matplotlib.axes.Axes
        One :class:`~matplotlib.patches.FancyArrowPatch` per edge in
        ``ax.patches`` (``gid`` ``"u->v:name"``); in ``ax.texts`` the boxes'
        names, and the message names (``gid`` ``"label:u->v:name"``).

    Examples
    --------
    >>> import sagalab as sl
    >>> g = sl.event_graph(sl.scenarios.ecommerce(), "orchestration")
    >>> ax = sl.plot.event_graph(g)
    >>> len(ax.patches) == g.number_of_edges()
    True
    """
    pos = layout(g)
    own = ax is None
    if own:
        ax = plt.figure().add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    fig = ax.figure
    hot = {name for cycle in (highlight or ()) for name in cycle}
    texts = {n: ax.text(*pos[n], n, ha="center", va="center", fontsize=fontsize + 1.5, zorder=1,
                        fontweight="bold" if d["role"] != "topic" else "normal",
                        bbox=_node_style(d["role"]))
             for n, d in g.nodes(data=True)}
    renderer = fig.canvas.get_renderer()
    pt = fig.dpi / 72.0  # pixels per point
    pad = 0.45 * (fontsize + 1.5) * pt  # the boxes' padding, pixels
    half = {n: (t.get_window_extent(renderer).width / 2 + pad,
                t.get_window_extent(renderer).height / 2 + pad) for n, t in texts.items()}
    # The orchestrator is a bar: each service's arrows meet it at their own port, spread
    # along it as the services are spread below, so the fans do not all meet in one point.
    hubs = [n for n, r in g.nodes(data="role") if r == "orchestrator"]
    wide = {n: max([abs(pos[w][0] - pos[n][0]) for w in _neighbours(g, n)] or [0.0])
            for n in hubs}
    xy = np.array(list(pos.values()))
    px = _fit(ax, own, xy.min(axis=0) - (0.45 * DX, 0.8), xy.max(axis=0) + (0.45 * DX, 0.4))
    for n in hubs:
        half[n] = (max(half[n][0], BAR * wide[n] * px), half[n][1])
    boxes = {n: (x - half[n][0] / px, y - half[n][1] / px, x + half[n][0] / px,
                 y + half[n][1] / px) for n, (x, y) in pos.items()}
    gap = GAP * 1.3 * fontsize * pt / px  # data units

    def port(n, other):
        """Where arrows between ``n`` and ``other`` meet ``n``: its centre, or a port."""
        if n not in wide or not wide[n]:
            return np.asarray(pos[n], float)
        x0, y0, x1, y1 = boxes[n]
        x = pos[n][0] + (pos[other][0] - pos[n][0]) * ((x1 - x0) / 2 - gap) / wide[n]
        return np.array([x, y0 if pos[other][1] < pos[n][1] else y1])

    bundles = defaultdict(list)
    for u, v, k, d in sorted(g.edges(keys=True, data=True),
                             key=lambda e: (list(KIND_COLORS).index(e[3]["kind"]), e[2])):
        bundles[(u, v)].append((k, d))
    ends = {(u, v): (port(u, v), port(v, u)) for u, v in bundles}
    routes = {uv: _route(g, pos, *uv, *ends[uv], len(edges), uv[::-1] in bundles, gap, boxes)
              for uv, edges in bundles.items()}
    # the frame: every box and every curve, and room below for the legend
    pts = [curve_points(ends[uv][0], c, ends[uv][1], np.linspace(0, 1, 21))
           for uv, r in routes.items() for c, _ in r]
    pts += [np.array([b[:2], b[2:]]) for b in boxes.values()]
    pts = np.concatenate(pts)
    px = _fit(ax, own, pts.min(axis=0) - (0.15, 0.6), pts.max(axis=0) + 0.15)
    for n in hubs:  # the bar behind the orchestrator's name
        x0, y0, x1, y1 = boxes[n]
        bar = FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0,rounding_size=0.12",
                             **{k: v for k, v in _node_style("orchestrator").items()
                                if k != "boxstyle"})
        ax.add_collection(PatchCollection([bar], match_original=True, zorder=0.9))  # not a patch
        texts[n].get_bbox_patch().set(ec="none")

    arcs, named = [], []
    for (u, v), edges in bundles.items():
        out_of_topic = {k for w in g.successors(v) for k in g[v][w]} \
            if g.nodes[v]["role"] == "topic" else set()
        a, b = ends[(u, v)]
        for (name, d), (c, style) in zip(edges, routes[(u, v)]):
            thick = d["name"] in hot
            arrow = FancyArrowPatch(
                a, b, connectionstyle=style, arrowstyle="-|>", mutation_scale=11,
                lw=3.2 if thick else 1.3, color=KIND_COLORS[d["kind"]],
                patchA=None if u in wide else texts[u].get_bbox_patch(),
                patchB=None if v in wide else texts[v].get_bbox_patch(),
                zorder=3 if thick else 2, shrinkA=2, shrinkB=2)
            arrow.set_gid(f"{u}->{v}:{name}")
            ax.add_patch(arrow)
            arcs.append((a, c, b))
            if labels and name not in out_of_topic:  # named once, on the way out of a topic
                named.append((len(arcs) - 1, ax.text(
                    0, 0, name, ha="center", va="center", rotation_mode="anchor",
                    fontsize=fontsize, color=KIND_COLORS[d["kind"]], zorder=4,
                    fontweight="bold" if thick else "normal", gid=f"label:{u}->{v}:{name}",
                    bbox=dict(boxstyle="square,pad=0.12", fc="white", ec="none",
                              alpha=0.9))))
    mids = ax.transData.transform(np.array([pos[n] for n in boxes]))
    halves = np.array([half[n] for n in boxes])
    place_labels(ax, arcs, named, np.hstack([mids - halves, mids + halves]),
                 pad_px=0.12 * fontsize * pt)

    kinds = [k for k in KIND_COLORS if any(d == k for _, _, d in g.edges(data="kind"))]
    ax.legend([Line2D([0], [0], color=KIND_COLORS[k], lw=2) for k in kinds], kinds,
              loc="lower center", ncol=len(kinds), fontsize=fontsize, frameon=False,
              title="message kind", title_fontsize=fontsize, borderaxespad=0.1)
    if title is None:
        title = f"Event graph: {g.graph.get('saga', '?')} saga, {g.graph.get('pattern', '?')}"
    ax.set_title(title)
    return ax


def _fit(ax, own: bool, low, high) -> float:
    """Frame ``ax`` on the data box ``low``..``high`` at equal aspect; pixels per data unit.

    A figure of our own is resized to an inch per data unit; a given Axes
    keeps its size (after its figure's layout engine has settled it).
    """
    (x0, y0), (x1, y1) = low, high
    fig = ax.figure
    if own:
        fig.set_size_inches(x1 - x0, y1 - y0 + TITLE)
        ax.set_position((0.0, 0.0, 1.0, (y1 - y0) / (y1 - y0 + TITLE)))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    if not own and fig.get_layout_engine() is not None:  # labels are sized in points, the
        fig.get_layout_engine().execute(fig)  # layout in data units: settle the size first
    ax.apply_aspect()
    return float(np.diff(ax.transData.transform([(0, 0), (1, 0)])[:, 0])[0])
