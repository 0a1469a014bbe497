"""Rows of the comparison table that read the event graph or inject a crash.

Kept apart from :mod:`sagalab.comparison` (which measures from plain runs)
so each module stays small. Each function takes the shared
:class:`~sagalab.comparison.Evidence` and returns the measured columns.
"""
from __future__ import annotations

import dataclasses

from ..model.faults import Outage
from ..model.infrastructure import Orchestrator
from ..sim.catalogue import SEED_PATTERNS as PATTERNS  # the seed's two, side by side
from .graph_analysis import add_subscriber, coupling, graph_changes
from .graphs import event_graph
from .run import simulate

__all__ = ["coupling_row", "complexity_row", "single_point_of_failure_row"]

CHOR, ORCH = PATTERNS


def coupling_row(ev) -> dict:
    graphs = {p: event_graph(ev.saga, p) for p in PATTERNS}
    most = {p: coupling(g)["n_depends_on"].max() for p, g in graphs.items()}
    last = ev.saga.steps[-1].success_event
    changed = {}
    for p, g in graphs.items():
        diff = graph_changes(g, add_subscriber(g, "notification", on=[last]))
        changed[p] = int((diff["status"] == "changed").sum())
    text = {p: f"most-coupled participant knows {most[p]} others; a new subscriber changes "
               f"{changed[p]} existing participant(s)" for p in PATTERNS}
    agrees = most[ORCH] > most[CHOR] and changed[ORCH] > changed[CHOR]
    return {"choreography_measured": text[CHOR], "orchestration_measured": text[ORCH],
            "evidence": f"sl.coupling on the event graphs; sl.add_subscriber: a notification "
                        f"service reacting to {last}",
            "verdict": "agrees" if agrees else "depends"}


def _receivers(g, node, name) -> set:
    """Who finally receives message ``name`` sent by ``node`` (through a topic, if any)."""
    out = set()
    for _, v, d in g.out_edges(node, data=True):
        if d["name"] != name:
            continue
        if g.nodes[v]["role"] == "topic":
            out |= {w for _, w, e in g.out_edges(v, data=True) if e["name"] == name}
        else:
            out.add(v)
    return out


def routes_the_saga(g, node) -> bool:
    """True when ``node`` reacts to a message by sending one to someone *else*.

    Answering the sender (a service replying to the orchestrator) is not
    routing; passing the saga on to the next participant is.
    """
    return any(_receivers(g, node, sent) - {src}
               for src, _, sent in (g.nodes[node].get("reactions") or ()))


def complexity_row(ev) -> dict:
    holders = {}
    for p in PATTERNS:
        g = event_graph(ev.saga, p)
        holders[p] = sorted(n for n in g.nodes if routes_the_saga(g, n))
    text = {p: f"flow logic held by {len(holders[p])} participant(s): {', '.join(holders[p])}"
            for p in PATTERNS}
    agrees = len(holders[CHOR]) > len(holders[ORCH])
    return {"choreography_measured": text[CHOR], "orchestration_measured": text[ORCH],
            "evidence": "participants that, on a message, pass the saga on to someone else "
                        "(not just answer the sender), from the event graph",
            "verdict": "agrees" if agrees else "depends"}


def single_point_of_failure_row(ev) -> dict:
    horizon = ev.n_sagas / ev.arrival_rate
    crash = dict(start=horizon / 3, duration=horizon / 10)
    base = ev.infra.get("orchestrator", Orchestrator())
    kw = dict(arrival_rate=ev.arrival_rate, n_sagas=ev.n_sagas, seed=ev.seed, trace=False,
              **{k: v for k, v in ev.infra.items() if k != "orchestrator"})

    def run(pattern, target, **orch):
        o = dataclasses.replace(base, **orch)
        s = simulate(ev.saga, pattern, faults=[Outage(target, **crash)], orchestrator=o,
                     **kw).sagas
        return int((s.outcome == "stuck").sum()), float(s.latency.max())

    lost, _ = run(ORCH, "orchestrator", durable_log=False)
    kept, slow_o = run(ORCH, "orchestrator", durable_log=True)
    chor, slow_c = run(CHOR, "broker")
    down = f"{crash['duration']:.3g} s"
    return {"choreography_measured": f"no coordinator to crash; a {down} broker outage "
                                     f"strands {chor} sagas (worst latency {slow_c:.2f} s)",
            "orchestration_measured": f"a {down} orchestrator crash strands {lost} sagas "
                                      f"without a saga log, {kept} with one (worst latency "
                                      f"{slow_o:.2f} s)",
            "evidence": "sl.Outage of the orchestrator (durable_log off/on) and of the broker, "
                        f"same sagas, crash at t={crash['start']:.3g} s",
            "verdict": "agrees" if lost > 0 and chor == 0 else "depends"}
