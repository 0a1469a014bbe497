"""The symbolic walk of sagalab.paths covers every run of a workflow saga."""
from hypothesis import given
from hypothesis import strategies as st

import sagalab as sl
from tests.test_workflow import VARIANTS, run, workflows


def edges(g):
    return {(u, v, k, d["kind"], d["channel"]) for u, v, k, d in g.edges(keys=True, data=True)}


@given(saga=workflows(), variant=st.sampled_from(VARIANTS), seed=st.integers(0, 2**16))
def test_a_workflow_run_flows_along_its_spec_graph(saga, variant, seed):
    pattern, transport = variant
    r = run(saga, pattern, transport, n=25, rate=10.0, seed=seed)
    spec = sl.event_graph(saga, pattern, transport=transport)
    if len(r.events) == 0:
        return
    got = sl.event_graph(r)
    assert edges(got) <= edges(spec)
    for node, reactions in got.nodes(data="reactions"):
        assert reactions is None or reactions <= spec.nodes[node]["reactions"], node


def test_spec_graph_follows_the_transport():
    saga = sl.scenarios.travel_booking()
    sync, asyn = (sl.event_graph(saga, "orchestration", transport=t) for t in ("sync", "async"))
    assert {d["channel"] for *_, d in sync.edges(data=True)} == {"network"}
    assert {d["channel"] for *_, d in asyn.edges(data=True)} == {"broker"}
