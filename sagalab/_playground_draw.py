"""Drawing for the playground (minimal matplotlib; to be replaced by ``sl.plot``).

Reads a :class:`sagalab.playground.PlaygroundRun` (its Results and settings) and
never simulates.
"""
from __future__ import annotations

__all__ = ["draw_metrics", "draw_flows", "png", "PATTERN_COLORS", "KIND_COLORS"]

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


def draw_flows(pr):
    """Event graph of what flowed and one saga's sequence diagram, per pattern: one Figure."""
    import matplotlib.pyplot as plt
    with plt.rc_context(FAST):
        fig, axes = plt.subplots(2, 2, figsize=(13, 7.5), gridspec_kw={"height_ratios": [1, 1.6]})
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.06, top=0.95, wspace=0.12, hspace=0.12)
    saga = pr.settings.saga()
    for col, (p, r) in enumerate(pr.results.items()):
        parts = list(saga.services) + (["orchestrator"] if p == "orchestration" else [])
        ev = r.events
        parts += [t for t in dict.fromkeys(ev["target"].astype(str)) if t not in parts]
        xpos = {name: i for i, name in enumerate(parts)}
        ax = axes[0, col]
        edges = ev.drop_duplicates(["source", "target", "kind"])
        mid = (len(saga.services) - 1) / 2
        xy = {name: ((mid, 1.0) if name == "orchestrator" else (i, 0.0))
              for name, i in xpos.items()}
        for name, (gx, gy) in xy.items():
            ax.annotate(name, (gx, gy), ha="center", va="center", fontsize=9,
                        bbox={"boxstyle": "round", "fc": "white", "ec": PATTERN_COLORS[p]})
        for k, e in enumerate(edges.itertuples()):
            ax.annotate("", xy[e.target], xy[e.source],
                        arrowprops={"arrowstyle": "-|>", "color": KIND_COLORS[e.kind],
                                    "connectionstyle": f"arc3,rad={0.25 + 0.1 * (k % 3)}",
                                    "shrinkA": 14, "shrinkB": 14})
        ax.set(xlim=(-0.6, len(parts) - 0.4), ylim=(-0.8, 1.5), title=f"{p}: what flowed")
        ax.axis("off")
        ax = axes[1, col]
        one = ev[ev["saga_id"] == pr.saga_id]
        t0 = r.sagas.loc[r.sagas["saga_id"] == pr.saga_id, "start"].iloc[0]
        for i in xpos.values():
            ax.axvline(i, color="lightgrey", lw=1, zorder=0)
        for e in one.itertuples():
            ys = ((e.time - t0) * 1000, (e.delivered - t0) * 1000)
            ax.annotate("", (xpos[e.target], ys[1]), (xpos[e.source], ys[0]),
                        arrowprops={"arrowstyle": "-|>", "color": KIND_COLORS[e.kind]})
            ax.text((xpos[e.source] + xpos[e.target]) / 2, sum(ys) / 2, e.name, fontsize=7,
                    ha="center", va="bottom", color=KIND_COLORS[e.kind])
        end = (one["delivered"].max() - t0) * 1000 if len(one) else 1.0
        ax.set_ylim(end * 1.05, -end * 0.02)
        outcome = r.sagas.loc[r.sagas["saga_id"] == pr.saga_id, "outcome"].iloc[0]
        ax.set(xticks=range(len(parts)), xticklabels=parts, xlim=(-0.6, len(parts) - 0.4),
               ylabel="time since the order (ms)",
               title=f"{p}: saga {pr.saga_id} ({outcome})")
    return fig


