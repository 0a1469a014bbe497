"""Rows of the comparison table read from the event graphs and the saga's paths.

Coupling, complexity and testing are properties of *what can flow*, so
these rows run no simulation: they read :func:`~sagalab.event_graph` (the
same graphs notebooks 02 and 04 draw) and walk every path a saga can take.

Testing is measured three ways, per pattern:

* **paths to test**: every way a saga can go (each step succeeding or
  failing, each compensation succeeding or parked, each condition true or
  false, each retriable step first time or retried);
* **an end-to-end test** of a path must stand up every participant the path
  touches (the initiator, each service that acts or passes an event on,
  the orchestrator);
* **a test of the flow logic** must exercise every participant that decides
  where the saga goes next on that path: under orchestration only the
  orchestrator (the services are replaced by canned replies: a unit test),
  under choreography each service that passes the saga on;
* **contracts a change touches**: message contracts (message, producer,
  consumer) added or removed by inserting a step before the first one.
"""
from __future__ import annotations

import dataclasses

import pandas as pd

from ..model.specs import Step
from ..sim import paths
from ..sim.catalogue import SEED_PATTERNS as PATTERNS  # the seed's two, side by side
from ..sim.catalogue import build_catalogue
from .comparison_rows import row
from .graph_analysis import add_subscriber, coupling, graph_changes, graph_growth
from .graphs import event_graph
from .result import _events_frame

__all__ = ["coupling_row", "complexity_row", "row_for_testing", "routes_the_saga", "saga_paths",
           "contracts", "coupling_numbers", "join_numbers", "growth_summary"]

CHOR, ORCH = PATTERNS
NEW_STEP = Step("fraud", 0.01, failure_p=0.02)  # the step notebook 04 inserts before payment


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


def contracts(g) -> set:
    """Message contracts of an event graph: ``(message, producer, consumer)``."""
    out = set()
    for u, v, d in g.edges(data=True):
        if g.nodes[v]["role"] == "topic":
            out |= {(d["name"], u, w) for _, w, e in g.out_edges(v, data=True)
                    if e["name"] == d["name"]}
        elif g.nodes[u]["role"] != "topic":
            out.add((d["name"], u, v))
    return out


def _inserted(saga):
    return dataclasses.replace(saga, steps=(NEW_STEP, *saga.steps))


def coupling_numbers(saga) -> pd.DataFrame:
    """Coupling of ``saga`` per pattern, as notebook 04 measures it.

    Returns
    -------
    pandas.DataFrame
        One row per pattern: ``dependencies`` (total, :func:`sagalab.coupling`),
        ``service_max`` (most dependencies of a step's service),
        ``orchestrator`` (its dependencies, 0 without one), ``subscriber_changes``
        (existing participants that change when a service subscribes to the
        last step's success) and ``step_changes`` (when a step is inserted
        before the first).
    """
    out = {}
    for p in PATTERNS:
        g = event_graph(saga, p)
        c = coupling(g)["n_depends_on"]
        services = c[c.index.isin(saga.step_names)]
        sub = graph_changes(g, add_subscriber(g, "notification",
                                              on=[saga.steps[-1].success_event]))
        step = graph_changes(g, event_graph(_inserted(saga), p))
        out[p] = {"dependencies": int(c.sum()), "service_max": int(services.max()),
                  "orchestrator": int(c.get("orchestrator", 0)),
                  "subscriber_changes": int((sub["status"] == "changed").sum()),
                  "step_changes": int((step["status"] == "changed").sum())}
    return pd.DataFrame.from_dict(out, orient="index")


def join_numbers(saga) -> dict:
    """Who joins the first parallel group of ``saga``, and what it must know, per pattern.

    Under choreography the members all consume the same event; whoever comes
    next (the next step's service, or the initiator) is the *join*: it
    subscribes to every member's topic and acts once all have answered, and
    each member subscribes to its siblings' topics to compensate when one of
    them fails. Under orchestration the orchestrator fans out and joins.

    Returns
    -------
    dict
        ``members`` (the group's steps), ``join`` (who joins under
        choreography), ``join_knows`` (member topics it subscribes to) and
        ``sibling_knows`` (the most sibling topics a member subscribes to);
        empty when ``saga`` has no parallel group.
    """
    groups = [s.parallel for s in saga.steps if s.parallel]
    if not groups:
        return {}
    members = [s.name for s in saga.steps if s.parallel == groups[0]]
    last = saga.step_names.index(members[-1])
    join = saga.step_names[last + 1] if last + 1 < len(saga) else saga.initiator
    deps = coupling(event_graph(saga, CHOR))["depends_on"]
    topics = {m: f"{m}.events" for m in members}
    return {"members": members, "join": join,
            "join_knows": sum(t in deps[join] for t in topics.values()),
            "sibling_knows": max(sum(topics[o] in deps[m] for o in members if o != m)
                                 for m in members)}


def coupling_row(ev) -> dict:
    c = coupling_numbers(ev.saga)
    ch, orc = c.loc[CHOR], c.loc[ORCH]
    text = {p: f"each service knows up to {c.loc[p, 'service_max']} others"
               + (f", the orchestrator {c.loc[p, 'orchestrator']}" if p == ORCH else "")
               + f"; {c.loc[p, 'dependencies']} dependencies in all" for p in PATTERNS}
    if orc["service_max"] < ch["service_max"] and orc["orchestrator"] > ch["service_max"]:
        verdict = "nuanced"
        head = (f"the seed's 'tight' is true of the orchestrator (it knows "
                f"{orc['orchestrator']} others), "
                f"but the services are less coupled under orchestration (each knows "
                f"{orc['service_max']} others, against up to {ch['service_max']} under "
                f"choreography)")
    elif orc["service_max"] >= ch["service_max"] and orc["orchestrator"] > ch["service_max"]:
        verdict, head = "agrees", "every participant is at least as coupled under orchestration"
    else:
        verdict, head = "refuted", "orchestration is no more coupled than choreography"
    return row(text[CHOR], text[ORCH],
               "sl.coupling on the event graphs (who must know whom); sl.add_subscriber and "
               "an inserted step, with sl.graph_changes",
               verdict,
               f"{head}. A new subscriber changes {ch['subscriber_changes']} existing "
               f"participants under choreography, {orc['subscriber_changes']} under "
               f"orchestration; a new step before the first changes {ch['step_changes']} "
               f"against {orc['step_changes']}.", "04_coupling")


def growth_summary(steps=range(2, 11)) -> dict:
    """How dependencies grow with the number of steps (:func:`sagalab.graph_growth`).

    Returns ``per_step`` (dependencies added per step, per pattern, when the
    growth is a straight line), ``top`` (the most coupled participant's
    dependencies, per pattern: a Series by step count), ``linear`` and
    ``phrase`` (the growth in words, for a finding).
    """
    growth = graph_growth(steps=steps)
    slope = {p: growth.loc[p, "dependencies"].diff().dropna() for p in PATTERNS}
    linear = all(s.nunique() == 1 for s in slope.values())
    per_step = {p: int(slope[p].iloc[0]) for p in PATTERNS}
    top = {p: growth.loc[p, "max_dependencies"] for p in PATTERNS}
    shape = ("grow in straight lines, with no jump at 5 steps" if linear
             else "do not grow in straight lines")
    phrase = (f"{shape}: +{per_step[CHOR]} per step under choreography (never more than "
              f"{top[CHOR].max()} per participant), +{per_step[ORCH]} under orchestration "
              f"(the orchestrator knows n + 1 others: {top[ORCH].min()} to {top[ORCH].max()})")
    return {"per_step": per_step, "top": top, "linear": linear, "phrase": phrase}


def complexity_row(ev) -> dict:
    holders = {}
    for p in PATTERNS:
        g = event_graph(ev.saga, p)
        holders[p] = sorted(n for n in g.nodes if routes_the_saga(g, n))
    text = {p: f"flow logic held by {len(holders[p])} participant(s): {', '.join(holders[p])}"
            for p in PATTERNS}
    agrees = len(holders[CHOR]) > len(holders[ORCH])
    return row(text[CHOR], text[ORCH],
               "participants that pass the saga on to someone else (not just answer the "
               "sender), from the event graph; sl.graph_growth from 2 to 10 steps",
               "agrees" if agrees else "depends",
               f"the flow is spread over {len(holders[CHOR])} participants under choreography "
               f"and held by {len(holders[ORCH])} under orchestration. From 2 to 10 steps the "
               f"dependencies {growth_summary()['phrase']}.", "04_coupling")


def saga_paths(saga, pattern: str) -> pd.DataFrame:
    """Every path ``saga`` can take under ``pattern``, and who a test of each involves.

    The paths are the simulator's own: one saga per path walked through the
    engine (:mod:`sagalab.sim.paths`). Conditions are taken as independent
    (each may be true or false).

    Returns
    -------
    pandas.DataFrame
        One row per path: ``path`` (what happens, step by step),
        ``participants`` (who an end-to-end test must stand up: every
        participant that sends or receives a message on the path) and
        ``flow`` (those of them that decide where the saga goes next).

    Examples
    --------
    >>> import sagalab as sl
    >>> p = sl.saga_paths(sl.scenarios.ecommerce(), "orchestration")
    >>> len(p), sorted(p.flow.iloc[0])
    (4, ['orchestrator'])
    """
    cat = build_catalogue(saga, pattern)
    ws = paths.worlds(cat, variants=False)
    walked = paths.walk(cat, [w.draw for w in ws])
    ev = _events_frame(walked.engine.events, cat.types, saga)
    g = event_graph(saga, pattern)
    routing = {x for x in g.nodes if routes_the_saga(g, x)}
    who: list[set] = [set() for _ in ws]
    for sid, src, dst in zip(ev.saga_id, ev.source.astype(str), ev.target.astype(str)):
        who[sid] |= {src, dst} - {"dlq"}
    return pd.DataFrame([{"path": ", ".join(w.words), "participants": tuple(sorted(x)),
                          "flow": tuple(sorted(x & routing))} for w, x in zip(ws, who)])


def row_for_testing(ev) -> dict:
    paths = {p: saga_paths(ev.saga, p) for p in PATTERNS}
    e2e = {p: paths[p]["participants"].map(len).mean() for p in PATTERNS}
    flow = {p: paths[p]["flow"].map(len).mean() for p in PATTERNS}
    touched = {p: len(contracts(event_graph(ev.saga, p))
                      ^ contracts(event_graph(_inserted(ev.saga), p))) for p in PATTERNS}
    n_paths = {p: len(paths[p]) for p in PATTERNS}
    text = {p: f"{n_paths[p]} paths; an end-to-end test stands up {e2e[p]:.1f} participants"
               f"{' and the broker' if p == CHOR else ''}; the flow logic sits in "
               f"{flow[p]:.1f} of them; inserting a step touches {touched[p]} contracts"
            for p in PATTERNS}
    if flow[ORCH] < flow[CHOR] and flow[ORCH] <= 1:
        verdict = "agrees"
    else:
        verdict = "depends"
    return row(text[CHOR], text[ORCH],
               "every path of the saga (sagalab.analysis.comparison_graphs.saga_paths) and "
               "who it touches; message contracts (message, producer, consumer) of the event "
               "graphs before and after inserting a step",
               verdict,
               f"both patterns have the same {n_paths[ORCH]} paths to test end to end, and such "
               f"a test stands up as many services ({e2e[CHOR]:.1f} participants and the "
               f"broker, against {e2e[ORCH]:.1f} with the orchestrator). But the flow logic of "
               f"a path sits in {flow[ORCH]:.0f} participant under orchestration, which a unit "
               f"test can drive with canned replies, and in {flow[CHOR]:.1f} under "
               f"choreography, which only an integration test exercises together. Inserting "
               f"a step touches {touched[CHOR]} message contracts under choreography, "
               f"{touched[ORCH]} under orchestration.", "04_coupling")
