import itertools

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

import sagalab as sl
from sagalab.graph_analysis import _chain

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
