"""Edge labels that sit on their arcs: the geometry behind :func:`sagalab.plot.event_graph`.

Each arrow of an event graph is a quadratic Bézier curve (matplotlib's
``arc3`` connection). Its name is written *on* it: centred on a point of the
curve, turned along the curve's tangent (kept upright), on a white ground
that hides the stroke underneath, so the arc visibly runs into and out of its
own label. Along each arc a few points are tried, from the middle outwards;
the first that covers no node, no other label and no other arc wins, else
the one that covers least. All geometry is in display pixels, where the
labels' sizes are known.
"""
from __future__ import annotations

import numpy as np

__all__ = ["arc_points", "control", "curve_points", "overlaps", "place_labels"]

# where along an arc to try, from the middle outwards
_TS = (0.5, 0.44, 0.56, 0.38, 0.62, 0.32, 0.68, 0.26, 0.74, 0.2, 0.8, 0.15, 0.85)
_SAMPLES = 64  # points per arc when testing which arcs a label covers


def control(a, b, rad: float) -> np.ndarray:
    """The control point of matplotlib's ``arc3,rad=rad`` curve from ``a`` to ``b``.

    ``arc3`` puts it at the chord's midpoint plus ``rad`` times the chord
    turned a quarter clockwise: positive ``rad`` bends to the right of the
    direction of travel, and the curve's middle sits ``rad * length / 2``
    off the chord.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    return (a + b) / 2 + rad * np.array([d[1], -d[0]])


def curve_points(a, c, b, ts) -> np.ndarray:
    """Points at parameters ``ts`` of the quadratic Bézier curve ``a``, ``c``, ``b``."""
    a, c, b = (np.asarray(p, float) for p in (a, c, b))
    t = np.asarray(ts, float)[:, None]
    return (1 - t) ** 2 * a + 2 * t * (1 - t) * c + t**2 * b


def arc_points(a, b, rad: float, ts) -> np.ndarray:
    """Points at parameters ``ts`` of matplotlib's ``arc3,rad=rad`` curve from ``a`` to ``b``.

    Examples
    --------
    >>> arc_points((0, 0), (2, 0), 0.5, [0.5]).round(3).tolist()
    [[1.0, -0.5]]
    """
    return curve_points(a, control(a, b, rad), b, ts)


def _boxes(centers, half_w, half_h, angles) -> dict:
    """Rectangles turned by ``angles`` degrees about their centres, as arrays (pixels)."""
    th = np.deg2rad(np.asarray(angles, float))
    u = np.stack([np.cos(th), np.sin(th)], axis=-1)  # along the text
    v = np.stack([-np.sin(th), np.cos(th)], axis=-1)  # across it
    return dict(c=np.asarray(centers, float), u=u, v=v, hw=np.asarray(half_w, float),
                hh=np.asarray(half_h, float))


def _corners(b) -> np.ndarray:
    sw = np.array([1, -1, -1, 1], float)[None, :, None]
    sh = np.array([1, 1, -1, -1], float)[None, :, None]
    return (b["c"][:, None, :] + sw * b["hw"][:, None, None] * b["u"][:, None, :]
            + sh * b["hh"][:, None, None] * b["v"][:, None, :])


def _separated(a, b, ia, ib) -> np.ndarray:
    """For pairs (``ia[k]`` of ``a``, ``ib[k]`` of ``b``): whether one of a's axes separates."""
    corners = _corners(b)[ib]  # (k, 4, 2)
    out = np.zeros(len(ia), bool)
    for axis, half in (("u", "hw"), ("v", "hh")):
        ax = a[axis][ia]  # (k, 2)
        proj = np.einsum("kcd,kd->kc", corners, ax)
        mid = np.einsum("kd,kd->k", a["c"][ia], ax)
        out |= (proj.max(axis=1) <= mid - a[half][ia]) | (proj.min(axis=1) >= mid + a[half][ia])
    return out


def overlaps(a, b) -> np.ndarray:
    """Which rectangles of ``a`` share area with which of ``b``: a boolean matrix."""
    ra, rb = np.hypot(a["hw"], a["hh"]), np.hypot(b["hw"], b["hh"])
    dist = np.hypot(*(a["c"][:, None, :] - b["c"][None, :, :]).transpose(2, 0, 1))
    ia, ib = np.nonzero(dist < ra[:, None] + rb[None, :])  # near enough to touch
    hit = ~_separated(a, b, ia, ib) & ~_separated(b, a, ib, ia)
    out = np.zeros((len(ra), len(rb)), bool)
    out[ia[hit], ib[hit]] = True
    return out


def _upright(angle: float) -> float:
    """The angle of a text along a direction, turned so it never reads upside down."""
    angle = (angle + 180.0) % 360.0 - 180.0
    if angle > 90.0:
        angle -= 180.0
    elif angle <= -90.0:
        angle += 180.0
    return angle


def place_labels(ax, arcs, texts, obstacles, *, pad_px: float, rounds: int = 3) -> dict:
    """Move each text onto its arc where it covers least.

    Labels are placed one by one, each where it covers least of what is
    already there; then, for a few ``rounds``, each is moved again where it
    covers least of all the others, until no label moves.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Limits and aspect already final (the transform is read once).
    arcs : list of tuple
        ``(a, c, b)`` per drawn arc: its start, control point and end, in data
        coordinates.
    texts : list of tuple
        ``(arc index, Text)``: the labels, in the order they are placed.
    obstacles : array of shape (n, 4)
        Node boxes ``(x0, y0, x1, y1)`` in display pixels, which no label may cover.
    pad_px : float
        White ground around each label's text, pixels.
    rounds : int
        Passes that move labels again once all are placed.

    Returns
    -------
    dict
        The placed labels' boxes, display pixels: arrays ``c`` (centres),
        ``u`` and ``v`` (unit vectors along and across), ``hw`` and ``hh``
        (half width and height).
    """
    if not texts:
        return _boxes(np.zeros((0, 2)), [], [], [])
    to_px = ax.transData.transform
    renderer = ax.figure.canvas.get_renderer()
    ts = np.array(_TS)
    k = len(ts)
    centers, angles, half_w, half_h = [], [], [], []
    for i, txt in texts:
        ext = txt.get_window_extent(renderer)  # unrotated: the text's own width and height
        pts = to_px(curve_points(*arcs[i], ts))
        d = to_px(curve_points(*arcs[i], ts + 1e-3)) - pts
        centers.append(pts)
        angles += [_upright(a) for a in np.degrees(np.arctan2(d[:, 1], d[:, 0]))]
        half_w += [ext.width / 2 + pad_px] * k
        half_h += [ext.height / 2 + pad_px] * k
    cand = _boxes(np.concatenate(centers), half_w, half_h, angles)  # label n: rows n*k ...
    owner = np.repeat(np.arange(len(texts)), k)

    cost = np.tile(2.0 * np.abs(ts - 0.5), len(texts))  # the middle first
    corners = _corners(cand)
    f = ax.bbox
    inside = ((corners[..., 0] >= f.x0) & (corners[..., 0] <= f.x1)
              & (corners[..., 1] >= f.y0) & (corners[..., 1] <= f.y1)).all(axis=1)
    cost += 500.0 * ~inside
    obs = np.asarray(obstacles, float).reshape(-1, 4)
    nodes = _boxes((obs[:, :2] + obs[:, 2:]) / 2, (obs[:, 2] - obs[:, 0]) / 2,
                   (obs[:, 3] - obs[:, 1]) / 2, np.zeros(len(obs)))
    cost += 1000.0 * overlaps(cand, nodes).sum(axis=1)
    samples = np.linspace(0.0, 1.0, _SAMPLES)
    curve = np.concatenate([to_px(curve_points(*arc, samples)) for arc in arcs])
    which = np.repeat(np.arange(len(arcs)), _SAMPLES)
    mine = np.array([i for i, _ in texts])[owner]
    for p in range(len(owner)):  # other arcs under the label: 4 each
        d = curve - cand["c"][p]
        under = ((np.abs(d @ cand["u"][p]) < cand["hw"][p] - 1.0)
                 & (np.abs(d @ cand["v"][p]) < cand["hh"][p] - 1.0))
        cost[p] += 4.0 * len(set(which[under]) - {mine[p]})
    clash = overlaps(cand, cand) & (owner[:, None] != owner[None, :])

    def best(n: int, chosen) -> int:
        rows = slice(n * k, (n + 1) * k)
        others = [n2 * k + j for n2, j in enumerate(chosen) if j is not None and n2 != n]
        return int(np.argmin(cost[rows] + 100.0 * clash[rows][:, others].sum(axis=1)))

    chosen: list = [None] * len(texts)
    for n in range(len(texts)):  # greedy, in order
        chosen[n] = best(n, chosen)
    for _ in range(rounds):  # then each again, against all the others
        moved = False
        for n in range(len(texts)):
            j = best(n, chosen)
            moved |= j != chosen[n]
            chosen[n] = j
        if not moved:
            break
    rows = [n * k + j for n, j in enumerate(chosen)]
    for (i, txt), j, row in zip(texts, chosen, rows):
        txt.set_position(tuple(curve_points(*arcs[i], [ts[j]])[0]))
        txt.set_rotation(angles[row])
    return {key: val[rows] for key, val in cand.items()}
