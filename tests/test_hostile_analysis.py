"""Hostile arguments to every experiment and reader: refused at entry, naming the argument.

Table-driven like tests/test_hostile_specs.py. Every refusal must come before
any simulation runs: the ``no_runs`` fixture makes a run fail the test.
"""
import itertools

import networkx as nx
import numpy as np
import pytest

import sagalab as sl
from sagalab.analysis import comparison, decision, runner, theory

NAN, INF = float("nan"), float("inf")
SAGA = sl.scenarios.ecommerce()
RUN = {"arrival_rate": 5, "n_sagas": 20}
QUIET = {"executor": "serial", "progress": False}


@pytest.fixture(scope="module")
def result():
    return sl.simulate(SAGA, "orchestration", arrival_rate=20, n_sagas=20, seed=1)


@pytest.fixture(scope="module")
def reps():
    return sl.replicate(SAGA, "choreography", 2, **RUN)


@pytest.fixture(scope="module")
def graph():
    return sl.event_graph(SAGA, "choreography")


@pytest.fixture
def no_runs(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a simulation ran before the arguments were checked")

    for module in (runner, comparison, decision):
        monkeypatch.setattr(module, "simulate", refuse)


def sweep(**kw):
    return sl.sweep(**{"saga": SAGA, "grid": {"payment.failure_p": [0.1]}, **QUIET, **RUN, **kw})


def sweep_without(key, **kw):
    run = {k: x for k, x in RUN.items() if k != key}
    return sl.sweep(SAGA, {}, **QUIET, **run, **kw)


def replicate(**kw):
    return sl.replicate(**{"saga": SAGA, "pattern": "choreography", **RUN, **kw})


def saturation(**kw):
    return sl.saturation(**{"saga": SAGA, "pattern": "choreography", "n_sagas": 20, **kw})


def table(**kw):
    return sl.comparison_table(**{"saga": SAGA, "arrival_rate": 5, "n_sagas": 20,
                                  "rows": ["Coordination"], **kw})


def quick(**kw):
    return sl.quick_comparison(**{"saga": SAGA, "arrival_rate": 5, "n_sagas": 20, **kw})


def points(**kw):
    return sl.saturation_points(**{"saga": SAGA, "capacities": [1], "n_sagas": 20, **kw})


# (call, words the message must hold); the call gets no simulation.
EXPERIMENTS = [
    (lambda: sweep(saga="ecommerce"), "sweep: saga must be a Saga"),
    (lambda: sweep(saga=None), "saga"),
    (lambda: sweep(grid=5), "sweep: grid must be a dict"),
    (lambda: sweep(grid=[("arrival_rate", [1])]), "grid"),
    (lambda: sweep(grid={"arrival_rate": []}), "grid['arrival_rate'] is empty"),
    (lambda: sweep(grid={"arrival_rate": 5}), "grid['arrival_rate'] must be a sequence"),
    (lambda: sweep(grid={"arrival_rate": "abc"}), "grid['arrival_rate']"),
    (lambda: sweep(grid={"arrival_rate": itertools.count()}), "grid['arrival_rate'] must "
                                                               "hold at most"),
    (lambda: sweep(grid={"bogus": [1]}), "grid key 'bogus'"),
    (lambda: sweep(grid={5: [1]}), "grid keys must be str"),
    (lambda: sweep(grid={"arrival_rate": range(1, 1000), "payment.failure_p": [0.1] * 200}),
     "MAX_RUNS"),
    (lambda: sweep(patterns=[]), "sweep: patterns is empty"),
    (lambda: sweep(patterns=()), "patterns is empty"),
    (lambda: sweep(patterns=5), "sweep: patterns must be a sequence"),
    (lambda: sweep(patterns=None), "patterns"),
    (lambda: sweep(patterns=["bus"]), "patterns must be among"),
    (lambda: sweep(patterns=[None]), "patterns must be among"),
    (lambda: sweep(patterns=["choreography", "choreography"]), "patterns must be distinct"),
    (lambda: sweep(patterns={"choreography": 1}), "patterns"),
    (lambda: sweep(replications=0), "replications"),
    (lambda: sweep(replications=-1), "replications"),
    (lambda: sweep(replications=1.5), "replications"),
    (lambda: sweep(replications=True), "replications"),
    (lambda: sweep(replications="2"), "replications"),
    (lambda: sweep(replications=10**6), "MAX_REPLICATIONS"),
    (lambda: sweep(executor=4), "executor"),
    (lambda: sweep(executor="parallel"), "executor"),
    (lambda: sweep(progress="yes"), "progress"),
    (lambda: sweep(warmup=10**9), "warmup=1000000000 drops every one of the 20 sagas"),
    (lambda: sweep(warmup=20), "drops every one"),
    (lambda: sweep(warmup=-1), "sweep: warmup must be >= 0"),
    (lambda: sweep(warmup=1.0), "warmup as a fraction"),
    (lambda: sweep(warmup=NAN), "warmup"),
    (lambda: sweep(warmup="x"), "warmup"),
    (lambda: sweep(warmup=None), "warmup"),
    (lambda: sweep(grid={"n_sagas": [10, 40]}, warmup=15), "drops every one of the 10"),
    (lambda: sweep(seed=-1), "sweep: seed"),
    (lambda: sweep(seed="x"), "seed"),
    (lambda: sweep(seed=1.5), "seed"),
    (lambda: sweep_without("arrival_rate"), "arrival_rate is required"),
    (lambda: sweep_without("n_sagas"), "n_sagas is required"),
    (lambda: sweep(arrival_rate=-1), "sweep: arrival_rate"),
    (lambda: sweep(arrival_rate=NAN), "arrival_rate"),
    (lambda: sweep(arrival_rate="5"), "arrival_rate"),
    (lambda: sweep(n_sagas=0), "sweep: n_sagas"),
    (lambda: sweep(n_sagas=2.5), "n_sagas"),
    (lambda: sweep(arival_rate=5), "unexpected keyword 'arival_rate'"),
    (lambda: sweep(pattern="choreography"), "pass pattern as sweep's own argument"),
    (lambda: replicate(saga="x"), "replicate: saga must be a Saga"),
    (lambda: replicate(pattern=None), "replicate: pattern"),
    (lambda: replicate(pattern="bus"), "pattern must be among"),
    (lambda: replicate(pattern=["choreography"]), "pattern"),
    (lambda: replicate(replications=0), "replicate: replications"),
    (lambda: replicate(replications=10**9), "MAX_REPLICATIONS"),
    (lambda: replicate(confidence=0), "confidence"),
    (lambda: replicate(confidence=1), "confidence"),
    (lambda: replicate(confidence=1.5), "confidence"),
    (lambda: replicate(confidence=NAN), "confidence"),
    (lambda: replicate(confidence="0.9"), "confidence"),
    (lambda: replicate(warmup=10**9), "replicate: warmup=1000000000 drops every one"),
    (lambda: replicate(executor=4), "executor"),
    (lambda: sl.replicate(SAGA, "choreography", n_sagas=5), "arrival_rate is required"),
    (lambda: saturation(saga="x"), "saturation: saga must be a Saga"),
    (lambda: saturation(pattern="bus"), "pattern"),
    (lambda: saturation(criterion="fast"), "criterion"),
    (lambda: saturation(criterion=None), "criterion"),
    (lambda: saturation(criterion=["latency"]), "criterion"),
    (lambda: saturation(criterion="latency"), "threshold"),
    (lambda: saturation(threshold=0), "threshold"),
    (lambda: saturation(threshold=-1), "threshold"),
    (lambda: saturation(threshold=NAN), "threshold"),
    (lambda: saturation(threshold=INF), "threshold"),
    (lambda: saturation(threshold="1"), "threshold"),
    (lambda: saturation(rtol=0), "rtol"),
    (lambda: saturation(rtol=1e-300), "MIN_RTOL"),
    (lambda: saturation(rtol=1), "rtol"),
    (lambda: saturation(rtol=NAN), "rtol"),
    (lambda: saturation(replications=0), "replications"),
    (lambda: saturation(n_sagas=0), "n_sagas"),
    (lambda: saturation(n_sagas=1.5), "n_sagas"),
    (lambda: saturation(warmup=10**9), "saturation: warmup=1000000000 drops every one"),
    (lambda: saturation(arrival_rate=5), "arrival_rate is what saturation searches"),
    (lambda: saturation(netwrk=sl.Network()), "unexpected keyword 'netwrk'"),
    (lambda: saturation(executor=4), "executor"),
    (lambda: saturation(progress="x"), "progress"),
    (lambda: saturation(seed="x"), "seed"),
    (lambda: sl.capacity_estimate("x", "choreography"), "capacity_estimate: saga"),
    (lambda: sl.capacity_estimate(SAGA, "bus"), "capacity_estimate: pattern"),
    (lambda: sl.capacity_estimate(SAGA, "orchestration", "big"),
     "capacity_estimate: orchestrator"),
    (lambda: points(saga="x"), "saturation_points: saga"),
    (lambda: points(capacities=5), "saturation_points: capacities"),
    (lambda: points(capacities="12"), "capacities"),
    (lambda: points(capacities=[0]), "capacities[0]"),
    (lambda: points(capacities=[1.5]), "capacities[0]"),
    (lambda: points(capacities=[True]), "capacities[0]"),
    (lambda: points(capacities=[1, 10**9]), "capacities[1]"),
    (lambda: points(overhead=-1), "saturation_points: overhead"),
    (lambda: points(overhead="x"), "overhead"),
    (lambda: points(orchestrator=sl.Orchestrator()), "orchestrator is set by"),
    (lambda: points(arrival_rate=3), "arrival_rate"),
    (lambda: table(saga="x"), "comparison_table: saga"),
    (lambda: table(rows=[]), "comparison_table: rows is empty"),
    (lambda: table(rows="Coordination"), "comparison_table: rows must be a sequence"),
    (lambda: table(rows=["Bogus"]), "unknown rows ['Bogus']"),
    (lambda: table(rows=[1]), "unknown rows [1]"),
    (lambda: table(rows=[["Coordination"]]), "unknown rows"),
    (lambda: table(rows=["Coordination"] * 2), "rows must be distinct"),
    (lambda: table(arrival_rate=0), "arrival_rate"),
    (lambda: table(arrival_rate=NAN), "arrival_rate"),
    (lambda: table(arrival_rate="5"), "arrival_rate"),
    (lambda: table(n_sagas=0), "n_sagas"),
    (lambda: table(warmup=20), "warmup=20 drops every one"),
    (lambda: table(replications=0), "replications"),
    (lambda: table(executor=5), "executor"),
    (lambda: table(network="fast"), "comparison_table: network"),
    (lambda: table(orchestrator=sl.Broker()), "orchestrator"),
    (lambda: quick(saga="x"), "quick_comparison: saga"),
    (lambda: quick(arrival_rate=0), "quick_comparison: arrival_rate"),
    (lambda: quick(n_sagas=0), "quick_comparison: n_sagas"),
    (lambda: quick(network=5), "quick_comparison: network"),
    (lambda: quick(orchestrator="x"), "orchestrator"),
]


@pytest.mark.parametrize("call, words", EXPERIMENTS)
def test_experiments_refuse_bad_arguments_before_any_run(no_runs, call, words):
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    assert words in str(info.value), str(info.value)
    assert "\n" not in str(info.value)


# (call taking the fixtures, words); readers of results and graphs.
READERS = [
    (lambda r, p, g: sl.latency_breakdown([]), "latency_breakdown: results is empty"),
    (lambda r, p, g: sl.latency_breakdown({}), "results is empty"),
    (lambda r, p, g: sl.latency_breakdown("x"), "latency_breakdown: results must be"),
    (lambda r, p, g: sl.latency_breakdown(5), "results"),
    (lambda r, p, g: sl.latency_breakdown(None), "results"),
    (lambda r, p, g: sl.latency_breakdown([1]), "results must be Results"),
    (lambda r, p, g: sl.latency_breakdown({"a": 1}), "results['a']"),
    (lambda r, p, g: sl.latency_breakdown(r, quantile=1.0), "quantile"),
    (lambda r, p, g: sl.latency_breakdown(r, quantile=-0.1), "quantile"),
    (lambda r, p, g: sl.latency_breakdown(r, quantile=NAN), "quantile"),
    (lambda r, p, g: sl.latency_breakdown(r, quantile="0.5"), "quantile"),
    (lambda r, p, g: sl.latency_breakdown(r, quantile=True), "quantile"),
    (lambda r, p, g: sl.paired_difference("x", p), "paired_difference: a"),
    (lambda r, p, g: sl.paired_difference(p, None), "b"),
    (lambda r, p, g: sl.paired_difference(p, p, "bogus"), "unknown metric 'bogus'"),
    (lambda r, p, g: sl.paired_difference(p, p, 5), "metric"),
    (lambda r, p, g: sl.paired_difference(p, p, ["latency_p99"]), "metric"),
    (lambda r, p, g: sl.paired_difference(p, p, confidence=1.5), "confidence"),
    (lambda r, p, g: sl.paired_difference(p, p, confidence=0), "confidence"),
    (lambda r, p, g: sl.fault_table([]), "fault_table: results is empty"),
    (lambda r, p, g: sl.fault_table({}), "results is empty"),
    (lambda r, p, g: sl.fault_table("x"), "fault_table: results"),
    (lambda r, p, g: sl.fault_table([None]), "results must be Results"),
    (lambda r, p, g: sl.stuck_sagas("x", 1), "stuck_sagas: result"),
    (lambda r, p, g: sl.stuck_sagas(r, -1), "older_than"),
    (lambda r, p, g: sl.stuck_sagas(r, NAN), "older_than"),
    (lambda r, p, g: sl.stuck_sagas(r, "1"), "older_than"),
    (lambda r, p, g: sl.stuck_sagas(r, 1, at=NAN), "at"),
    (lambda r, p, g: sl.stuck_sagas(r, 1, at="x"), "at"),
    (lambda r, p, g: sl.where_is("x", 1), "where_is: result"),
    (lambda r, p, g: sl.where_is(r, -1), "where_is: saga_id"),
    (lambda r, p, g: sl.where_is(r, 10**9), "saga_id"),
    (lambda r, p, g: sl.where_is(r, 1.5), "saga_id"),
    (lambda r, p, g: sl.where_is(r, "1"), "saga_id"),
    (lambda r, p, g: sl.where_is(r, True), "saga_id"),
    (lambda r, p, g: sl.where_is(r, None), "saga_id"),
    (lambda r, p, g: sl.where_is(r, 1, at=NAN), "where_is: at"),
    (lambda r, p, g: sl.where_is(r, 1, at="x"), "at"),
    (lambda r, p, g: sl.log_coverage("x"), "log_coverage: result"),
    (lambda r, p, g: sl.log_coverage(None), "result"),
    (lambda r, p, g: sl.littles_law("x"), "littles_law: result"),
    (lambda r, p, g: sl.littles_law(r, warmup=10**9), "littles_law: warmup=1000000000 drops"),
    (lambda r, p, g: sl.littles_law(r, warmup=1.5), "warmup"),
    (lambda r, p, g: r.summary(warmup=10**9), "summary: warmup=1000000000 drops every one"),
    (lambda r, p, g: r.summary(warmup=20), "drops every one of the 20"),
    (lambda r, p, g: r.summary(warmup=-1), "warmup"),
    (lambda r, p, g: r.summary(warmup=1.0), "warmup"),
    (lambda r, p, g: r.summary(warmup="x"), "warmup"),
    (lambda r, p, g: r.summary(warmup=NAN), "warmup"),
    (lambda r, p, g: r.timeline(times="abc"), "timeline: times"),
    (lambda r, p, g: r.timeline(times=[]), "times"),
    (lambda r, p, g: r.timeline(times=[NAN]), "times must be finite"),
    (lambda r, p, g: r.timeline(times=[0, INF]), "times must be finite"),
    (lambda r, p, g: r.timeline(times=[[1, 2], [3, 4]]), "times"),
    (lambda r, p, g: r.timeline(times=[1j]), "times"),
    (lambda r, p, g: r.timeline(times=[True]), "times"),
    (lambda r, p, g: r.timeline(times=object()), "times"),
    (lambda r, p, g: r.timeline(times={"a": 1}), "times"),
    (lambda r, p, g: sl.spans(r, "12"), "spans: saga_ids"),
    (lambda r, p, g: sl.spans(r, 5), "saga_ids"),
    (lambda r, p, g: sl.spans(r, [1.5]), "saga_id"),
    (lambda r, p, g: sl.spans(r, [-1]), "saga_id"),
    (lambda r, p, g: sl.spans(r, [10**9]), "saga_id"),
    (lambda r, p, g: sl.event_graph("x", "choreography"), "event_graph: first argument"),
    (lambda r, p, g: sl.event_graph(SAGA), "pattern"),
    (lambda r, p, g: sl.event_graph(SAGA, "bus"), "pattern"),
    (lambda r, p, g: sl.event_graph(SAGA, 5), "pattern"),
    (lambda r, p, g: sl.event_graph(SAGA, ["choreography"]), "pattern"),
    (lambda r, p, g: sl.event_graph(SAGA, "orchestration", "http"), "transport"),
    (lambda r, p, g: sl.event_graph(SAGA, "orchestration", 5), "transport"),
    (lambda r, p, g: sl.event_graph(r, "choreography"), "takes no pattern"),
    (lambda r, p, g: sl.coupling("x"), "coupling: graph must be an event graph"),
    (lambda r, p, g: sl.coupling(nx.MultiDiGraph()), "coupling: graph"),
    (lambda r, p, g: sl.coupling(nx.path_graph(3)), "coupling: graph"),
    (lambda r, p, g: sl.who_knows(5), "who_knows: graph"),
    (lambda r, p, g: sl.find_cycles(None), "find_cycles: graph"),
    (lambda r, p, g: sl.graph_changes(g, "x"), "graph_changes: after"),
    (lambda r, p, g: sl.graph_changes("x", g), "graph_changes: before"),
    (lambda r, p, g: sl.add_subscriber("x", "n"), "add_subscriber: graph"),
    (lambda r, p, g: sl.add_subscriber(g, "x y"), "add_subscriber: service"),
    (lambda r, p, g: sl.add_subscriber(g, "orchestrator"), "service"),
    (lambda r, p, g: sl.add_subscriber(g, "n", on="PaymentCompleted"),
     "add_subscriber: on must be a sequence"),
    (lambda r, p, g: sl.add_subscriber(g, "n", on=5), "on"),
    (lambda r, p, g: sl.add_subscriber(g, "n", on=["Nope"]), "on names a message not in"),
    (lambda r, p, g: sl.add_subscriber(g, "n", on=[5]), "on"),
    (lambda r, p, g: sl.add_subscriber(g, "n", emits="X"), "emits must be a sequence"),
    (lambda r, p, g: sl.add_subscriber(g, "n", emits=["A\nB"]), "emits"),
    (lambda r, p, g: sl.add_subscriber(g, "n", emits=[""]), "emits"),
    (lambda r, p, g: sl.graph_growth(steps=[]), "graph_growth: steps is empty"),
    (lambda r, p, g: sl.graph_growth(steps=[0]), "steps[0]"),
    (lambda r, p, g: sl.graph_growth(steps=[1.5]), "steps[0]"),
    (lambda r, p, g: sl.graph_growth(steps="3"), "steps"),
    (lambda r, p, g: sl.graph_growth(steps=5), "steps"),
    (lambda r, p, g: sl.graph_growth(steps=[10**6]), "MAX_STEPS"),
    (lambda r, p, g: sl.graph_growth(steps=itertools.count(1)), "steps must hold at most"),
    (lambda r, p, g: sl.graph_growth(patterns=[]), "graph_growth: patterns is empty"),
    (lambda r, p, g: sl.graph_growth(patterns="bus"), "patterns"),
    (lambda r, p, g: sl.order_update_loop("x"), "order_update_loop: saga"),
    (lambda r, p, g: sl.order_update_loop(sl.scenarios.chain(2)), "a step named 'payment'"),
    (lambda r, p, g: sl.order_update_loop(fixed="yes"), "fixed"),
    (lambda r, p, g: theory.erlang_c(0, 0.5), "erlang_c: c"),
    (lambda r, p, g: theory.erlang_c(1.5, 0.5), "erlang_c: c"),
    (lambda r, p, g: theory.erlang_c(10**9, 0.5), "MAX_SERVERS"),
    (lambda r, p, g: theory.erlang_c(200, 1.0), "MAX_SERVERS"),
    (lambda r, p, g: theory.erlang_c(2, NAN), "offered"),
    (lambda r, p, g: theory.erlang_c(2, -1), "offered"),
    (lambda r, p, g: theory.erlang_c(2, "1"), "offered"),
    (lambda r, p, g: theory.erlang_c(2, 2.5), "unstable"),
    (lambda r, p, g: theory.mmc_sojourn(NAN, 1, 1), "arrival_rate"),
    (lambda r, p, g: theory.mmc_sojourn(1, 0, 1), "mean_service"),
    (lambda r, p, g: theory.mm1_sojourn(1, "1"), "mean_service"),
    (lambda r, p, g: theory.tandem_sojourn(1, 5), "stations"),
    (lambda r, p, g: theory.tandem_sojourn(1, [(1,)]), "stations[0]"),
    (lambda r, p, g: theory.p_compensated("ab"), "failure_ps"),
    (lambda r, p, g: theory.p_compensated([1.5]), "failure_ps[0]"),
    (lambda r, p, g: theory.p_compensated([NAN]), "failure_ps[0]"),
    (lambda r, p, g: theory.coordinator_saturation(1, 0, 4), "overhead"),
    (lambda r, p, g: theory.coordinator_saturation(0, 1, 1), "capacity"),
    (lambda r, p, g: theory.coordinator_saturation(1, 1, 0), "decisions"),
    (lambda r, p, g: theory.messaging_time("bus", 3), "pattern"),
    (lambda r, p, g: theory.messaging_time("choreography", -1), "n_steps"),
    (lambda r, p, g: theory.messaging_time("choreography", 1.5), "n_steps"),
    (lambda r, p, g: theory.messaging_time("orchestration", 3, hop=-1), "hop"),
    (lambda r, p, g: theory.messaging_time("orchestration", 3, transport="http"), "transport"),
    (lambda r, p, g: theory.p_dead_letter(1.5), "failure_p"),
    (lambda r, p, g: theory.p_dead_letter(0.5, retries=-1), "retries"),
    (lambda r, p, g: theory.p_dead_letter(0.5, compensations=1.5), "compensations"),
]


@pytest.mark.parametrize("call, words", READERS)
def test_readers_refuse_bad_arguments_naming_them(result, reps, graph, call, words):
    with pytest.raises((TypeError, ValueError)) as info:
        call(result, reps, graph)
    assert words in str(info.value), str(info.value)
    assert "\n" not in str(info.value)


def test_good_arguments_still_work(result, graph):
    assert len(result.timeline(times=np.float64(0.5))) == 1
    assert sl.stuck_sagas(result, 0.0, at=0).empty
    assert sl.where_is(result, np.int64(3), at=-1.0).status == "not started"
    assert len(sl.spans(result, (np.int64(1),)))
    assert sl.graph_growth(steps=(np.int64(2),), patterns="choreography").shape[0] == 1
    assert "notification" in sl.add_subscriber(graph, "notification", on=("PaymentCompleted",))
