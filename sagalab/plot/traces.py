"""One saga's story as pictures: a sequence diagram and a Gantt timeline.

:func:`sequence` is the seed's request/response and event diagrams, drawn
from the event log of a run: one lifeline per participant, time running
down, each message an arrow from its send time to its arrival. The boxes on
the lifelines are the saga's time at each station, split into waiting in
the queue and working (see :func:`sagalab.spans`).

:func:`timeline` lays a few sagas side by side on the simulation clock, so
you can see one saga queue behind another.
"""
from __future__ import annotations

import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch, Rectangle
from matplotlib.transforms import ScaledTranslation

from ..analysis.trace import spans, trace
from ._style import KIND_COLORS, PHASE_COLORS, axes

__all__ = ["sequence", "timeline"]

MS = 1e3  # plots show milliseconds
_BOX = 0.16  # half-width of an activation box, in lifeline units
_GAP_PT = 1.5  # points between a message's arrow and its name


def sequence(result, saga_id: int, ax=None, *, labels: bool = True, legend=True):
    """A sequence (swimlane) diagram of one saga, generated from the run's event log.

    Parameters
    ----------
    result : Result
        A traced run.
    saga_id : int
        Which saga.
    ax : matplotlib.axes.Axes, optional
    labels : bool
        Write message names on the arrows.
    legend : bool or dict
        ``True`` puts the legend beside the diagram; a dict collects its
        entries instead (label -> handle), for one legend shared by several
        diagrams; ``False`` draws none.

    Returns
    -------
    matplotlib.axes.Axes
        One :class:`~matplotlib.patches.FancyArrowPatch` per message, one
        vertical line per lifeline (``gid="lifeline"``), one rectangle per
        wait or work span; failures are marked with a cross. The participants'
        headers (``gid="header"``) stand above the Axes; each message's name
        (``gid="message"``) sits beside its arrow, clear of the other names.

    Examples
    --------
    >>> import sagalab as sl
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "orchestration", arrival_rate=5, n_sagas=5)
    >>> ax = sl.plot.sequence(r, 0)
    >>> sum(isinstance(p, sl.plot.traces.FancyArrowPatch) for p in ax.patches) == len(r.trace(0))
    True
    """
    t = trace(result, saga_id)
    lanes = t.attrs["participants"]
    x = {p: i for i, p in enumerate(lanes)}
    row = t.attrs["saga"]
    total = MS * row["latency"]
    ax = axes(ax, figsize=(max(6.4, 1.2 + 1.9 * len(lanes)), max(3.0, 1.6 + 0.42 * len(t))))
    for p, i in x.items():
        ax.plot([i, i], [0, total], color="#999999", lw=1, zorder=0, gid="lifeline")
        # the headers stand above the Axes, where no message can reach them
        ax.annotate(p, (i, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 4),
                    textcoords="offset points", ha="center", va="bottom", fontsize=9,
                    fontweight="bold", annotation_clip=False, gid="header",
                    bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="#333333"))
    sp = spans(result, [saga_id])
    sp = sp[sp["phase"] != "transit"]
    for r in sp.itertuples(index=False):
        y0, y1 = MS * (r.start - row["start"]), MS * (r.end - row["start"])
        ax.add_patch(_rect(x[r.participant], y0, y1, PHASE_COLORS[r.phase]))
    names = []
    for r in t.itertuples(index=False):
        xa, xb = x[r.source], x[r.target]
        ya, yb = MS * r.t, MS * r.arrives
        shrink = _BOX if xb > xa else -_BOX
        arrow = FancyArrowPatch((xa + shrink, ya), (xb - shrink, yb), arrowstyle="-|>",
                                mutation_scale=10, color=KIND_COLORS[r.kind], lw=1.4,
                                linestyle="--" if r.channel == "broker" else "-", zorder=3)
        ax.add_patch(arrow)
        if labels:
            names.append(((xa, ya, xb, yb), ax.text(
                0, 0, r.name, ha="center", fontsize=7.5, color=KIND_COLORS[r.kind], zorder=4,
                gid="message",
                bbox=dict(boxstyle="square,pad=0.05", fc="white", ec="none", alpha=0.8))))
        if r.kind == "failure":
            ax.plot([xa], [ya], marker="X", ms=9, color=KIND_COLORS["failure"], zorder=5)
    ax.set_xlim(-0.6, len(lanes) - 0.4)
    ax.set_ylim(total * 1.03 + 1e-9, -1e-9)
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    tall = ax.get_position().height * ax.figure.get_figheight()  # inches
    ax.set_ylabel("time since the saga started (ms)" if tall > 2.6 else
                  "time since the\nsaga started (ms)")
    failed = "" if pd.isna(row["failed_step"]) else f", failed at {row['failed_step']}"
    head = f"Saga {saga_id} ({result.pattern}): {row['outcome']}{failed},"
    wide = ax.get_position().width * ax.figure.get_figwidth()  # inches
    sep = "\n" if 0.1 * len(head) > wide else " "  # a narrow diagram: the title on two lines
    ax.set_title(f"{head}{sep}{total:.1f} ms", pad=30)
    kinds = list(dict.fromkeys(t["kind"]))
    handles = [Line2D([0], [0], color=KIND_COLORS[k], lw=2) for k in kinds]
    handles += [Patch(color=PHASE_COLORS[p]) for p in dict.fromkeys(sp["phase"])]
    entries = kinds + [f"{p} (at a station)" for p in dict.fromkeys(sp["phase"])]
    if (t["channel"] == "broker").any():
        handles.append(Line2D([0], [0], color="#333333", ls="--"))
        entries.append("via the broker")
    if isinstance(legend, dict):
        legend.update({e: h for e, h in zip(entries, handles) if e not in legend})
    elif legend:
        ax.legend(handles, entries, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
                  frameon=False)
    if names:
        _place_names(ax, names, total)
    return ax


def _place_names(ax, names, total: float) -> None:
    """Write each message's name beside its arrow, clear of the others and inside the Axes.

    The top of the time axis is raised by one name's height, so the names of
    the first messages fit under the headers. Each name then goes above its
    arrow, else below, trying first the last lane before the receiver (where
    messages sent together part ways), then the middle, then the first lane.
    """
    fig = ax.figure
    if fig.get_layout_engine() is not None:
        fig.get_layout_engine().execute(fig)
    renderer = fig.canvas.get_renderer()
    sizes = [txt.get_window_extent(renderer) for _, txt in names]
    high = max(e.height for e in sizes) * 1.25  # pixels
    span = ax.bbox.height or 1.0
    ax.set_ylim(total * 1.03 + 1e-9, -total * high / span - 1e-9)
    to_px = ax.transData.transform
    frame = ax.bbox
    gap = _GAP_PT * fig.dpi / 72  # pixels between an arrow and its name
    placed: list = []
    for ((xa, ya, xb, yb), txt), ext in zip(names, sizes):
        step = 1.0 if xb > xa else -1.0
        xs = [(xa + xb) / 2] if abs(xb - xa) <= 1 else [xb - step / 2, (xa + xb) / 2,
                                                        xa + step / 2]
        best = None
        for xc in xs:
            f = (xc - xa) / (xb - xa) if xb != xa else 0.5
            yc = ya + f * (yb - ya)
            cx, cy = to_px((xc, yc))
            for va, dy in (("bottom", gap), ("top", -gap)):
                y0 = cy + dy if va == "bottom" else cy + dy - ext.height
                box = (cx - ext.width / 2 - 2 * gap, y0, cx + ext.width / 2 + 2 * gap,
                       y0 + ext.height)
                cost = sum(_area(box, p) for p in placed)
                if box[1] < frame.y0 or box[3] > frame.y1:
                    cost += ext.width * ext.height
                if best is None or cost < best[0]:
                    best = (cost, xc, yc, va, box)
                if cost == 0:
                    break
            if best[0] == 0:
                break
        _, xc, yc, va, box = best
        txt.set_position((xc, yc))
        txt.set_va(va)
        shift = (_GAP_PT if va == "bottom" else -_GAP_PT) / 72  # inches
        txt.set_transform(ax.transData + ScaledTranslation(0, shift, fig.dpi_scale_trans))
        placed.append(box)


def _area(a, b) -> float:
    return (max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
            * max(0.0, min(a[3], b[3]) - max(a[1], b[1])))


def _rect(x, y0, y1, color):
    return Rectangle((x - _BOX, y0), 2 * _BOX, max(y1 - y0, 0.0), fc=color, ec="none",
                     zorder=2, alpha=0.9)


def timeline(result, saga_ids, ax=None, *, annotate: bool = True):
    """A Gantt view of a few sagas: work, waits in queues, compensations, decisions.

    Parameters
    ----------
    result : Result
        A traced run.
    saga_ids : iterable of int
        The sagas, one row each (top to bottom).
    ax : matplotlib.axes.Axes, optional
    annotate : bool
        Name the participant inside spans wide enough to hold it.

    Returns
    -------
    matplotlib.axes.Axes
        One bar (rectangle) per wait, work, compensation or decision span;
        messages in flight are thin black lines.

    Examples
    --------
    >>> import sagalab as sl
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "choreography", arrival_rate=30, n_sagas=50)
    >>> ax = sl.plot.timeline(r, [10, 11, 12])
    >>> len(ax.patches) == len(sl.spans(r, [10, 11, 12]).query("phase != 'transit'"))
    True
    """
    ids = [int(i) for i in saga_ids]
    if not ids:
        raise ValueError("timeline: saga_ids must name at least one saga")
    sp = spans(result, ids)
    ax = axes(ax, figsize=(10, 1.2 + 0.55 * len(ids)))
    y = {sid: i for i, sid in enumerate(ids)}
    t0 = sp["start"].min()
    width = MS * (sp["end"].max() - t0) or 1.0
    bars = sp[sp["phase"] != "transit"]
    for r in bars.itertuples(index=False):
        left, w = MS * (r.start - t0), MS * (r.end - r.start)
        ax.barh(y[r.saga_id], w, left=left, height=0.6, color=PHASE_COLORS[r.phase],
                edgecolor="white", linewidth=0.5)
        if annotate and w > 0.07 * width:
            ax.text(left + w / 2, y[r.saga_id], r.participant, ha="center", va="center",
                    fontsize=7, color="black", clip_on=True)
    moving = sp[sp["phase"] == "transit"]
    if len(moving):
        ax.hlines([y[s] for s in moving["saga_id"]], MS * (moving["start"] - t0),
                  MS * (moving["end"] - t0), color=PHASE_COLORS["transit"], lw=1.2)
    s = result.sagas.set_index("saga_id")
    ax.set_yticks(range(len(ids)),
                  [f"saga {i}: {s.loc[i, 'outcome']}" for i in ids])
    ax.set_ylim(len(ids) - 0.4, -0.6)
    ax.set_xlim(0, width * 1.02)
    ax.set_xlabel(f"time (ms) since {t0:.3f} s")
    ax.set_title(f"Where the time went: {len(ids)} sagas under {result.pattern}")
    phases = [p for p in PHASE_COLORS if (sp["phase"] == p).any()]
    handles = [Patch(color=PHASE_COLORS[p]) if p != "transit" else
               Line2D([0], [0], color=PHASE_COLORS[p], lw=1.2) for p in phases]
    ax.legend(handles, [p if p != "wait" else "wait (queue)" for p in phases],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return ax

