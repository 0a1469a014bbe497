import itertools

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

import sagalab as sl
from sagalab.analysis.graph_analysis import _chain
from sagalab.plot._labels import _boxes, overlaps

SAGA = (sl.scenarios.ecommerce(payment_failure_p=0.15, inventory_failure_p=0.15)
        .with_step("payment", compensation_failure_p=0.3))


@pytest.fixture(scope="module")
def runs():
    return {p: sl.simulate(SAGA, p, arrival_rate=35, n_sagas=600, seed=2) for p in sl.PATTERNS}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def arrows(ax):
    return [p for p in ax.patches if isinstance(p, FancyArrowPatch)]


def test_backend_is_agg():
    assert matplotlib.get_backend().lower() == "agg"


def test_colours_are_defined_once_and_colour_blind_safe():
    assert set(sl.plot.PATTERN_COLORS) >= {"choreography", "orchestration", "hybrid"}
    assert set(sl.plot.KIND_COLORS) == set(sl.KINDS)
    for c in [*sl.plot.PATTERN_COLORS.values(), *sl.plot.KIND_COLORS.values()]:
        assert c in sl.plot.OKABE_ITO
    assert len(set(sl.plot.PATTERN_COLORS.values())) == len(sl.plot.PATTERN_COLORS)
    assert len(set(sl.plot.KIND_COLORS.values())) == len(sl.plot.KIND_COLORS)


@pytest.mark.parametrize("pattern", sl.PATTERNS)
def test_event_graph_draws_one_coloured_arrow_per_edge(pattern, tmp_path):
    g = sl.event_graph(SAGA, pattern)
    ax = sl.plot.event_graph(g)
    drawn = arrows(ax)
    assert len(drawn) == g.number_of_edges()
    want = {f"{u}->{v}:{k}": sl.plot.KIND_COLORS[d] for u, v, k, d in g.edges(keys=True,
                                                                                 data="kind")}
    for a in drawn:
        assert matplotlib.colors.to_hex(a.get_edgecolor()) == want[a.get_gid()].lower()
    texts = {t.get_text() for t in ax.texts}
    assert set(g.nodes) <= texts
    assert {k for _, _, k in g.edges(keys=True)} <= texts  # every message is named
    assert ax.get_title()
    ax.figure.savefig(tmp_path / f"graph_{pattern}.png", dpi=60)


@pytest.mark.parametrize("pattern, n", list(itertools.product(sl.PATTERNS, [1, 4, 10])))
def test_event_graph_nodes_never_overlap_up_to_ten_steps(pattern, n):
    g = sl.event_graph(_chain(n), pattern)
    ax = sl.plot.event_graph(g)
    ax.figure.canvas.draw()  # places the node boxes
    boxes = [t.get_bbox_patch().get_window_extent() for t in ax.texts
             if t.get_text() in g]
    assert len(boxes) == g.number_of_nodes()
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
    x0, x1 = ax.get_xlim()
    assert all(x0 < x < x1 for x, _ in sl.plot.layout(g).values())


def test_event_graph_left_to_right_in_step_order():
    for pattern in sl.PATTERNS:
        pos = sl.plot.layout(sl.event_graph(SAGA, pattern))
        xs = [pos[s][0] for s in SAGA.services]
        assert xs == sorted(xs) and len(set(xs)) == len(xs)


def test_event_graph_highlights_a_cycle():
    g = sl.order_update_loop()
    ax = sl.plot.event_graph(g, highlight=sl.find_cycles(g))
    thick = {a.get_gid().split(":")[1] for a in arrows(ax) if a.get_linewidth() > 2}
    assert thick == {"OrderUpdated", "PaymentCompleted"}


def fan_graph():
    """A choreography with a parallel fan-out (trip -> flight, hotel, car) and a join
    (insurance hears from all three), built by hand: more arrows into one node."""
    import networkx as nx
    g = nx.MultiDiGraph(saga="fan", pattern="choreography")
    members = ["flight", "hotel", "car"]
    for o, n in enumerate(["trip", *members, "insurance", "payment"]):
        g.add_node(n, role="initiator" if n == "trip" else "service", order=o)
        g.add_node(f"{n}.events", role="topic", order=o, owner=n)

    def msg(src, dst, name, kind):
        for u, v in ((src, f"{src}.events"), (f"{src}.events", dst)):
            g.add_edge(u, v, key=name, name=name, kind=kind, channel="broker", producer=src)

    for m in members:
        c = m.capitalize()
        msg("trip", m, "TripCreated", "success")
        msg(m, "insurance", f"{c}Booked", "success")
        for other in ["trip", *members]:
            if other != m:
                msg(m, other, f"{c}Failed", "failure")
        msg("insurance", m, "InsuranceFailed", "failure")
        msg(m, "trip", f"{c}Cancelled", "compensation")
    msg("insurance", "payment", "InsuranceIssued", "success")
    msg("payment", "insurance", "PaymentFailed", "failure")
    msg("insurance", "trip", "InsuranceCancelled", "compensation")
    msg("payment", "trip", "PaymentCharged", "success")
    return g


def label_boxes(ax):
    """Each message name's box as drawn (turned with the text), and its arrow."""
    arrows_by_gid = {a.get_gid(): a for a in arrows(ax)}
    names = [t for t in ax.texts if (t.get_gid() or "").startswith("label:")]
    sizes = []
    for t in names:
        angle = t.get_rotation()
        t.set_rotation(0)
        e = t.get_window_extent()
        t.set_rotation(angle)
        sizes.append((e.width / 2, e.height / 2))
    centres = ax.transData.transform([t.get_position() for t in names])
    boxes = _boxes(centres, *zip(*sizes), [t.get_rotation() for t in names])
    return names, boxes, [arrows_by_gid[t.get_gid()[len("label:"):]] for t in names]


GRAPHS = {f"{s}-{p}": (lambda s=s, p=p: sl.event_graph(getattr(sl.scenarios, s)(), p))
          for s in ("ecommerce", "travel_booking", "loan_approval", "user_onboarding")
          for p in sl.PATTERNS}
GRAPHS.update({"chain8-choreography": lambda: sl.event_graph(_chain(8), "choreography"),
               "chain8-orchestration": lambda: sl.event_graph(_chain(8), "orchestration"),
               "update-loop": sl.order_update_loop, "fan-out-and-join": fan_graph,
               **{f"run-{p}": (lambda p=p: sl.event_graph(sl.simulate(
                   SAGA, p, arrival_rate=30, n_sagas=300, seed=3))) for p in sl.SEED_PATTERNS}})


@pytest.mark.parametrize("name", list(GRAPHS))
def test_event_graph_names_sit_on_their_arcs_clear_of_boxes_and_each_other(name):
    g = GRAPHS[name]()
    ax = sl.plot.event_graph(g)
    ax.figure.canvas.draw()
    names, boxes, drawn = label_boxes(ax)
    assert len(names) >= g.number_of_nodes() // 2
    for t, arrow in zip(names, drawn):
        curve = np.concatenate([seg(np.linspace(0, 1, 2000))
                                for seg, _ in arrow.get_path().iter_bezier()])
        assert np.hypot(*(curve - t.get_position()).T).min() < 0.03, t.get_text()
    clash = overlaps(boxes, boxes)
    np.fill_diagonal(clash, False)
    assert not clash.any(), [names[i].get_text() for i in np.nonzero(clash.any(axis=1))[0]]
    nodes = [t.get_bbox_patch().get_window_extent() for t in ax.texts if t.get_text() in g]
    node_boxes = _boxes([((b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2) for b in nodes],
                        [b.width / 2 for b in nodes], [b.height / 2 for b in nodes],
                        [0.0] * len(nodes))
    assert not overlaps(boxes, node_boxes).any()


def test_event_graph_names_stay_clear_in_a_given_axes():
    fig, axs = plt.subplots(2, 1, figsize=(10, 11), layout="constrained")  # as notebook 04
    for a, p in zip(axs, sl.SEED_PATTERNS):
        sl.plot.event_graph(sl.event_graph(sl.scenarios.ecommerce(), p), ax=a, title=p)
    fig.canvas.draw()
    for a in axs:
        _, boxes, _ = label_boxes(a)
        clash = overlaps(boxes, boxes)
        np.fill_diagonal(clash, False)
        assert not clash.any()


@pytest.mark.parametrize("pattern", sl.PATTERNS)
def test_sequence_draws_lifelines_arrows_boxes_and_failures(runs, pattern, tmp_path):
    r = runs[pattern]
    sid = int(r.sagas.saga_id[r.sagas.outcome == "dlq"].iloc[0])
    t = r.trace(sid)
    ax = sl.plot.sequence(r, sid)
    assert len(arrows(ax)) == len(t)
    assert sum(line.get_gid() == "lifeline" for line in ax.lines) == len(
        t.attrs["participants"])
    spans = sl.spans(r, [sid])
    rects = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(rects) == (spans.phase != "transit").sum()
    crosses = [line for line in ax.lines if line.get_marker() == "X"]
    assert len(crosses) == (t.kind == "failure").sum() >= 1
    assert ax.yaxis_inverted() and "ms" in ax.get_ylabel()
    ax.figure.savefig(tmp_path / f"sequence_{pattern}.png", dpi=60)


@pytest.mark.parametrize("scenario, pattern", [("travel_booking", "orchestration"),
                                               ("travel_booking", "choreography"),
                                               ("travel_booking", "hybrid"),
                                               ("ecommerce", "orchestration")])
def test_sequence_names_leave_the_headers_and_each_other_clear(scenario, pattern):
    saga = getattr(sl.scenarios, scenario)()
    r = sl.simulate(saga, pattern, arrival_rate=5, n_sagas=12, seed=0)
    for sid in (0, 2):
        ax = sl.plot.sequence(r, sid)
        ax.figure.canvas.draw()
        headers = [t.get_bbox_patch().get_window_extent() for t in ax.texts
                   if t.get_gid() == "header"]
        names = [t.get_window_extent() for t in ax.texts if t.get_gid() == "message"]
        assert len(headers) == len(r.trace(sid).attrs["participants"])
        assert len(names) == len(r.trace(sid))
        for a, b in itertools.combinations(names, 2):
            assert not a.overlaps(b)
        assert not any(n.overlaps(h) for n in names for h in headers)
        assert all(n.y1 <= ax.bbox.y1 + 0.5 for n in names)  # under the headers' line
        plt.close("all")


def test_timeline_draws_a_bar_per_span(runs, tmp_path):
    r = runs["orchestration"]
    ids = [100, 101, 102, 103]
    ax = sl.plot.timeline(r, ids)
    sp = sl.spans(r, ids)
    assert len(ax.patches) == (sp.phase != "transit").sum()
    assert {"wait", "work", "decision"} <= set(sp.phase)
    assert len(ax.get_yticks()) == len(ids) and "ms" in ax.get_xlabel()
    ax.figure.savefig(tmp_path / "timeline.png", dpi=60)
    with pytest.raises(ValueError, match="at least one saga"):
        sl.plot.timeline(r, [])


def test_latency_overlays_patterns_with_quantiles(runs):
    fig = sl.plot.latency(runs)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    hist, cdf = fig.axes
    quantiles = [line for line in cdf.lines if line.get_gid() in ("p50", "p95", "p99")]
    assert len(quantiles) == 3 * len(runs)
    colours = {matplotlib.colors.to_hex(line.get_color()) for line in quantiles}
    assert colours == {sl.plot.PATTERN_COLORS[p].lower() for p in runs}
    assert len(hist.patches) == len(runs)  # one step histogram per run
    assert "ms" in hist.get_xlabel() and "ms" in cdf.get_xlabel()
    _, (a, b) = plt.subplots(1, 2)
    assert sl.plot.latency(runs["choreography"], ax=(a, b)) is a.figure


def test_outcomes_and_utilization_bars(runs):
    ax = sl.plot.outcomes(runs)
    assert len(ax.patches) == len(sl.OUTCOMES) * len(runs)
    heights = [p.get_height() for p in ax.patches[: len(sl.OUTCOMES)]]
    assert sum(heights) == pytest.approx(100)
    stations = set().union(*(r.stations.index for r in runs.values()))
    ax = sl.plot.utilization(list(runs.values()))
    assert len(ax.patches) == len(stations) * len(runs)
    assert "%" in ax.get_ylabel()
    _, own = plt.subplots()
    assert sl.plot.outcomes(runs["orchestration"], ax=own) is own


def test_throughput_latency_one_curve_pair_per_pattern():
    sweep = [sl.simulate(SAGA, p, arrival_rate=a, n_sagas=150, seed=1)
             for p in sl.PATTERNS for a in (5, 20)]
    ax = sl.plot.throughput_latency(sweep, quantile="p99")
    assert len(ax.lines) == 2 * len(sl.PATTERNS)
    assert all(len(line.get_xdata()) == 2 for line in ax.lines)
    assert "sagas/s" in ax.get_xlabel() and "ms" in ax.get_ylabel()
    with pytest.raises(ValueError, match="quantile"):
        sl.plot.throughput_latency(sweep, quantile="p90")


# -- charts of measured tables (plot/measures.py) ------------------------------------
def test_who_knows_heatmaps_show_the_matrices(tmp_path):
    m = {p: sl.who_knows(sl.event_graph(SAGA, p)) for p in sl.PATTERNS}
    fig = sl.plot.who_knows(m)
    for ax, (p, mat) in zip(fig.axes, m.items()):
        assert (ax.images[0].get_array() == mat.to_numpy()).all()
        assert [t.get_text() for t in ax.get_yticklabels()] == list(mat.index)
        assert ax.get_title().startswith(p) and ax.get_xlabel() and ax.get_ylabel()
    fig.savefig(tmp_path / "who_knows.png", dpi=60)


def test_growth_draws_one_line_per_pattern_and_metric():
    table = sl.graph_growth(steps=[2, 4, 6])
    fig = sl.plot.growth(table, metrics=("dependencies", "edges"))
    for ax, metric in zip(fig.axes, ("dependencies", "edges")):
        for line, p in zip(ax.lines, sl.PATTERNS):
            assert list(line.get_ydata()) == table.loc[p, metric].tolist()
            assert line.get_color() == sl.plot.PATTERN_COLORS[p]
        assert "steps" in ax.get_xlabel() and ax.get_ylabel()


def test_breakdown_segments_are_the_table_in_ms(runs):
    t = sl.latency_breakdown(runs)
    ax = sl.plot.breakdown(t)
    comps = list(sl.plot.COMPONENT_COLORS)
    widths = [p.get_width() for p in ax.patches]
    assert len(widths) == len(comps) * len(t)
    for i, c in enumerate(comps):
        assert widths[i * len(t):(i + 1) * len(t)] == pytest.approx(1e3 * t[c].to_numpy())
    assert "ms" in ax.get_xlabel() and ax.get_title()


def test_load_curves_and_station_load():
    df = sl.sweep(SAGA, {"arrival_rate": [5, 20, 40], "orchestrator.capacity": [1, 2]},
                  executor="serial", progress=False, n_sagas=150)
    fig = sl.plot.load_curves(df)
    tax, lax = fig.axes
    assert len(lax.lines) == 3  # choreography (no orchestrator), orchestration x 2 capacities
    orch = [ln for ln in lax.lines if ln.get_label().startswith("orchestration")]
    assert len(orch) == 2 and orch[0].get_linestyle() != orch[1].get_linestyle()
    colours = [matplotlib.colors.to_hex(ln.get_color()) for ln in lax.lines]
    assert len(set(colours)) == len(colours)  # every line its own colour ...
    assert colours[0] == sl.plot.PATTERN_COLORS["choreography"].lower()
    assert all(c in sl.plot.ramp(sl.plot.PATTERN_COLORS["orchestration"], 2)  # ... a shade
               for c in colours[1:])
    assert lax.get_yscale() == "log" and "ms" in lax.get_ylabel()
    assert "sagas/s" in tax.get_xlabel() and "sagas/s" in tax.get_ylabel()
    table = df[df["orchestrator.capacity"] == 2].set_index("pattern").iloc[[0, 3]]
    ax = sl.plot.station_load(table)
    util = [c for c in table.columns if c.startswith("utilization_")]
    assert len(ax.patches) == 2 * len(util)


def test_load_curves_split_by_partitions_keeps_the_plain_line():
    plain = sl.sweep(SAGA, {"arrival_rate": [10, 30]}, "choreography", executor="serial",
                     progress=False, n_sagas=120)
    parts = sl.sweep(SAGA, {"arrival_rate": [10, 30], "broker.partitions": [1, 2]},
                     "choreography", executor="serial", progress=False, n_sagas=120)
    import pandas as pd
    fig = sl.plot.load_curves(pd.concat([plain, parts], ignore_index=True),
                              by="broker.partitions")
    labels = [ln.get_label() for ln in fig.axes[1].lines]
    assert labels == ["choreography", "choreography, broker.partitions = 1",
                      "choreography, broker.partitions = 2"]
    styles = {ln.get_linestyle() + str(ln.get_marker()) for ln in fig.axes[1].lines}
    assert len(styles) == 3
def test_inconsistency_bars_are_the_mean_per_outcome(runs, tmp_path):
    ax = sl.plot.inconsistency(runs)
    present = [o for o in sl.OUTCOMES if any((r.sagas.outcome == o).any() for r in runs.values())]
    assert [t.get_text() for t in ax.get_xticklabels()] == present
    assert len(ax.patches) == len(present) * len(runs)
    for i, (p, r) in enumerate(runs.items()):
        bars = ax.patches[i * len(present):(i + 1) * len(present)]
        assert matplotlib.colors.to_hex(bars[0].get_facecolor()) == \
            sl.plot.PATTERN_COLORS[p].lower()
        for bar, o in zip(bars, present):
            want = 1e3 * r.sagas.inconsistent[r.sagas.outcome == o].mean()
            assert bar.get_height() == pytest.approx(want)
    assert "ms" in ax.get_ylabel() and ax.get_title()
    ax.figure.savefig(tmp_path / "inconsistency.png", dpi=60)


def test_in_flight_draws_the_timeline_per_run_and_shades_outages(tmp_path):
    crash = [sl.Outage("orchestrator", 3.0, 1.5)]
    lost = sl.simulate(SAGA, "orchestration", arrival_rate=30, n_sagas=200, seed=8, faults=crash)
    kept = sl.simulate(SAGA, "orchestration", arrival_rate=30, n_sagas=200, seed=8, faults=crash,
                       orchestrator=sl.Orchestrator(durable_log=True))
    fig = sl.plot.in_flight({"no log": lost, "durable log": kept}, threshold=1.0)
    counts, ages = fig.axes
    assert [line.get_label() for line in counts.lines] == ["no log", "durable log"]
    colours = [matplotlib.colors.to_hex(line.get_color()) for line in counts.lines]
    assert colours[0] == sl.plot.PATTERN_COLORS["orchestration"].lower() != colours[1]
    assert colours[1] == sl.plot.variant(sl.plot.PATTERN_COLORS["orchestration"], 1)
    assert counts.lines[0].get_linestyle() != counts.lines[1].get_linestyle()
    tl = lost.timeline()
    assert list(ages.lines[0].get_ydata()) == list(tl.oldest_age)
    assert ages.lines[-1].get_ydata()[0] == 1.0  # the alert threshold
    assert [p.get_label() for p in counts.patches] == ["orchestrator down"]  # the outage
    assert "s" in ages.get_ylabel() and "(s)" in ages.get_xlabel() and counts.get_title()
    fig.savefig(tmp_path / "in_flight.png", dpi=60)


def test_growth_draws_measured_metrics_in_ms_and_variants_dashed(tmp_path):
    import pandas as pd
    idx = pd.MultiIndex.from_product([["choreography", "orchestration",
                                       "orchestration, parallel"], [2, 3]])
    table = pd.DataFrame({"latency_p50": [0.04, 0.06, 0.04, 0.06, 0.04, 0.05],
                          "messages_per_saga": [3, 4, 6, 8, 6, 8]}, index=idx)
    fig = sl.plot.growth(table, metrics=("latency_p50", "messages_per_saga"))
    lat, msgs = fig.axes
    assert [list(line.get_ydata()) for line in lat.lines][2] == pytest.approx([40, 50])
    assert list(msgs.lines[0].get_ydata()) == [3, 4]
    orange = sl.plot.PATTERN_COLORS["orchestration"]
    assert [line.get_color() for line in lat.lines] == [
        sl.plot.PATTERN_COLORS["choreography"], orange, sl.plot.variant(orange, 1)]
    assert [line.get_linestyle() for line in lat.lines] == ["-", "-", "--"]
    assert "(ms)" in lat.get_ylabel() and "steps" in lat.get_xlabel() and lat.get_title()
    fig.savefig(tmp_path / "growth.png", dpi=60)
