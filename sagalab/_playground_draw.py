"""Drawing for the playground (minimal matplotlib; to be replaced by ``sl.plot``).

Reads a :class:`sagalab.playground.PlaygroundRun` (its Results and settings) and
never simulates.
"""
from __future__ import annotations

import functools

__all__ = ["draw_metrics", "draw_sequences", "graphs_png", "flow_edges", "png",
           "PATTERN_COLORS", "KIND_COLORS"]

PATTERN_COLORS = {"choreography": "#0072B2", "orchestration": "#D55E00"}  # Okabe-Ito
KIND_COLORS = {"success": "#009E73", "failure": "#D55E00", "compensation": "#CC79A7",
               "command": "#0072B2", "reply": "#56B4E9", "dlq": "#000000"}
DPI = 72  # dots per inch of the dashboard's PNGs: small files, quick to send
# Titles at a fixed height: matplotlib then skips measuring every tick label to place them
# (a fifth of the drawing time; each change of the playground must answer within a second).
FAST = {"axes.titley": 1.0}


def png(fig) -> bytes:
    import io

    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    return buf.getvalue()


def draw_metrics(pr):
    """Outcome counts, latency CDF with p50/p99, throughput against load: one Figure."""
    import matplotlib.pyplot as plt
    import numpy as np
    with plt.rc_context(FAST):
        fig, (ax_o, ax_l, ax_t) = plt.subplots(1, 3, figsize=(13, 3.6))
    fig.subplots_adjust(left=0.05, right=0.99, bottom=0.15, top=0.9, wspace=0.22)
    outcomes = ["completed", "compensated", "dlq", "stuck"]
    x = np.arange(len(outcomes))
    for i, (p, r) in enumerate(pr.results.items()):
        counts = [int(pr.table.loc[o, p]) for o in outcomes]
        ax_o.bar(x + (i - 0.5) * 0.4, counts, 0.4, label=p, color=PATTERN_COLORS[p])
        lat = np.sort(r.sagas["latency"].dropna().to_numpy()) * 1000
        ax_l.step(lat, np.arange(1, len(lat) + 1) / len(lat), where="post", color=PATTERN_COLORS[p],
                  label=p)
        for q, style in (("latency_p50", ":"), ("latency_p99", "--")):
            ax_l.axvline(pr.table.loc[q, p] * 1000, color=PATTERN_COLORS[p], ls=style, lw=1)
        sw = pr.sweep[pr.sweep["pattern"] == p]
        ax_t.plot(sw["arrival_rate"], sw["throughput"], "o-", color=PATTERN_COLORS[p], label=p)
    ax_o.set(xticks=x, xticklabels=outcomes, ylabel="sagas", title="Outcomes")
    ax_l.set(xlabel="latency (ms)", ylabel="fraction of sagas",
             title="Latency CDF (dotted p50, dashed p99)")
    loads = sorted(set(pr.sweep["arrival_rate"]))
    ax_t.plot(loads, loads, color="grey", lw=0.8, ls=":", label="offered")
    ax_t.axvline(pr.settings.arrival_rate, color="grey", lw=1, label="current load")
    ax_t.set(xlabel="offered load (sagas/s)", ylabel="throughput (sagas/s)",
             title="Throughput against load (no faults)")
    for ax in (ax_o, ax_l, ax_t):
        ax.legend(fontsize=8)
    return fig


def _participants(saga, pattern: str, events) -> list[str]:
    parts = list(saga.services) + (["orchestrator"] if pattern == "orchestration" else [])
    return parts + [t for t in dict.fromkeys(events["target"].astype(str)) if t not in parts]


def flow_edges(pr) -> tuple:
    """What flowed, per pattern: a hashable key for :func:`graphs_png`."""
    saga = pr.settings.saga()
    return tuple((p, tuple(_participants(saga, p, r.events)),
                  tuple(map(tuple, r.events[["source", "target", "kind"]].astype(str)
                            .drop_duplicates().to_numpy())))
                 for p, r in pr.results.items())


@functools.lru_cache(maxsize=32)
def graphs_png(edges: tuple) -> bytes:
    """The event graph of what flowed, per pattern, as PNG (cached: it rarely changes)."""
    import matplotlib.pyplot as plt
    with plt.rc_context(FAST):
        fig, axes = plt.subplots(1, len(edges), figsize=(13, 2.6))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.9, wspace=0.05)
    for ax, (p, parts, flows) in zip(axes, edges):
        services = [x for x in parts if x != "orchestrator"]
        mid = (len(services) - 1) / 2
        xy = {name: ((mid, 1.0) if name == "orchestrator" else (i, 0.0))
              for i, name in enumerate(services)} | {"orchestrator": (mid, 1.0)}
        for name in parts:
            ax.annotate(name, xy[name], ha="center", va="center", fontsize=9,
                        bbox={"boxstyle": "round", "fc": "white", "ec": PATTERN_COLORS[p]})
        for k, (source, target, kind) in enumerate(flows):
            ax.annotate("", xy[target], xy[source],
                        arrowprops={"arrowstyle": "-|>", "color": KIND_COLORS[kind],
                                    "connectionstyle": f"arc3,rad={0.25 + 0.1 * (k % 3)}",
                                    "shrinkA": 14, "shrinkB": 14})
        ax.set(xlim=(-0.6, len(services) - 0.4), ylim=(-0.8, 1.5), title=f"{p}: what flowed")
        ax.axis("off")
    return png(fig)


def draw_sequences(pr):
    """One saga's sequence diagram under each pattern, side by side: one Figure."""
    import matplotlib.pyplot as plt
    import numpy as np
    with plt.rc_context(FAST):
        fig, axes = plt.subplots(1, len(pr.results), figsize=(13, 4.8))
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.08, top=0.93, wspace=0.12)
    saga = pr.settings.saga()
    for ax, (p, r) in zip(axes, pr.results.items()):
        parts = _participants(saga, p, r.events)
        xpos = {name: i for i, name in enumerate(parts)}
        one = r.events[r.events["saga_id"] == pr.saga_id]
        row = r.sagas.loc[r.sagas["saga_id"] == pr.saga_id].iloc[0]
        ax.vlines(range(len(parts)), 0, 1, transform=ax.get_xaxis_transform(),
                  color="lightgrey", lw=1, zorder=0)
        x0 = one["source"].astype(str).map(xpos).to_numpy(float)
        x1 = one["target"].astype(str).map(xpos).to_numpy(float)
        y0 = (one["time"].to_numpy() - row["start"]) * 1000
        y1 = (one["delivered"].to_numpy() - row["start"]) * 1000
        colors = [KIND_COLORS[k] for k in one["kind"].astype(str)]
        end = float(y1.max()) if len(one) else 1.0
        ax.set(xlim=(-0.6, len(parts) - 0.4), ylim=(end * 1.05, -end * 0.02))
        # one collection for every arrow: far cheaper to draw than one annotation each
        ax.quiver(x0, y0, x1 - x0, y1 - y0, color=colors, angles="xy", scale_units="xy",
                  scale=1, width=0.003, headwidth=5, headlength=7)
        for xa, xb, ya, yb, name, c in zip(x0, x1, y0, y1, one["name"].astype(str), colors):
            ax.text((xa + xb) / 2, (ya + yb) / 2, name, fontsize=7, ha="center", va="bottom",
                    color=c)
        ax.set(xticks=np.arange(len(parts)), xticklabels=parts,
               ylabel="time since the order (ms)",
               title=f"{p}: saga {pr.saga_id} ({row['outcome']})")
    return fig
