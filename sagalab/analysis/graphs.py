"""Event graphs: who sends which message to whom, as a networkx ``MultiDiGraph``.

The seed draws both patterns as boxes and arrows. :func:`event_graph` draws
them from the model itself, so a diagram stays true when the saga changes:

* from a **spec** (``event_graph(saga, pattern)``): every message that *can*
  flow, read from the catalogue in :mod:`sagalab.messages` (the same table
  the simulator walks), restricted to the paths the spec's probabilities
  allow (a step with ``failure_p=0`` never sends its failure event);
* from a **run** (``event_graph(result)``): every message that *did* flow,
  read from ``result.events``. The run's graph is a subgraph of the spec's,
  and equal to it once the run has seen every path (force failures to see
  them all quickly).

Nodes are participants, each with a ``role``: ``"initiator"`` (the Order
service), ``"service"`` (a step's service), ``"orchestrator"``, ``"topic"``
or ``"dlq"`` (the dead-letter queue). **Topic convention**: a message that
travels through the broker is published to the topic of the service that
produced it, named ``"<producer>.events"`` (Kafka style: ``payment.events``
carries ``PaymentCompleted``, ``PaymentFailed`` and ``PaymentRefunded``),
and each consumer subscribes to that topic. So a broker message is two edges
(producer -> topic, topic -> consumer); a network or local message is one
edge (sender -> receiver). Service names cannot contain a dot, so topics
never clash with services.

Edges are keyed by message name and carry ``name``, ``kind`` (success,
failure, compensation, command, reply, dlq), ``channel`` (network, broker,
local) and ``producer`` (the participant that sent the message).

Each participant node also carries ``reactions``: the set of
``(trigger_producer, trigger_name, sent_name)`` triples, read "on receiving
``trigger_name`` from ``trigger_producer``, this participant sends
``sent_name``". A message's trigger is the latest earlier message of the
same saga addressed to its sender; messages nobody triggered (the start of a
saga) have none. Reactions are what :func:`sagalab.find_cycles` follows.
"""
from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from ..model.specs import Saga
from ..sim import paths
from ..sim.catalogue import PATTERNS, MessageType, build_catalogue, check_pattern
from .result import Result, _events_frame

__all__ = ["event_graph", "topic_of", "ROLES"]

ROLES = ("initiator", "service", "orchestrator", "topic", "dlq")
TOPIC_SUFFIX = ".events"


def topic_of(producer: str) -> str:
    """The broker topic a participant publishes to.

    Examples
    --------
    >>> topic_of("payment")
    'payment.events'
    """
    return producer + TOPIC_SUFFIX


# -- building the graph ---------------------------------------------------------
def _role(saga: Saga, node: str) -> str:
    if node == saga.initiator:
        return "initiator"
    if node == "orchestrator":
        return "orchestrator"
    if node == "dlq":
        return "dlq"
    if node.endswith(TOPIC_SUFFIX):
        return "topic"
    return "service"


def _assemble(saga: Saga, pattern: str, messages, reactions) -> nx.MultiDiGraph:
    """The graph of ``messages`` (MessageTypes) with ``reactions`` per sender."""
    g = nx.MultiDiGraph(saga=saga.name, pattern=pattern)
    order = {name: i for i, name in enumerate(saga.services)}
    nodes: list[str] = []
    edges = []
    for m in sorted(messages, key=lambda m: (m.source, m.target, m.name, m.kind)):
        attrs = dict(name=m.name, kind=m.kind, channel=m.channel, producer=m.source)
        if m.channel == "broker":
            topic = topic_of(m.source)
            edges.append((m.source, topic, attrs))
            edges.append((topic, m.target, attrs))
            nodes += [m.source, topic, m.target]
        else:
            edges.append((m.source, m.target, attrs))
            nodes += [m.source, m.target]
    extra = len(order)
    for node in dict.fromkeys(nodes):
        role = _role(saga, node)
        owner = node[: -len(TOPIC_SUFFIX)] if role == "topic" else node
        if owner not in order:
            order[owner] = extra
            extra += 1
        attrs = dict(role=role, order=order[owner])
        if role == "topic":
            attrs["owner"] = owner
        else:
            attrs["reactions"] = frozenset(reactions.get(node, ()))
        g.add_node(node, **attrs)
    for u, v, attrs in edges:
        if not g.has_edge(u, v, key=attrs["name"]):
            g.add_edge(u, v, key=attrs["name"], **attrs)
    return g


def _spec_graph(saga: Saga, pattern: str, transport: str = "sync") -> nx.MultiDiGraph:
    """Every message of every path: the simulator walks one saga per path (sagalab.sim.paths)."""
    cat = build_catalogue(saga, pattern, transport)
    walked = paths.walk(cat, [w.draw for w in paths.worlds(cat)])
    return _graph_of(saga, pattern, _events_frame(walked.engine.events, cat.types, saga))


def _run_graph(result) -> nx.MultiDiGraph:
    ev = result.events
    if len(ev) == 0:
        raise ValueError("event_graph: result.events is empty; simulate with trace=True to "
                         "draw the graph of a run")
    return _graph_of(result.saga, result.pattern, ev)


def _graph_of(saga, pattern, ev) -> nx.MultiDiGraph:
    """The graph of the messages in the event log ``ev``, with each participant's reactions."""
    cols = ["kind", "name", "source", "target", "channel"]
    ev = ev.sort_values("saga_id", kind="stable")
    messages = {MessageType(*row) for row in ev[cols].drop_duplicates().itertuples(index=False)}
    # Trigger of each row: the latest earlier row of the same saga addressed to its sender.
    # A step's own result (completed, skipped, failed) answers its input (an event or a
    # command), not a sibling's failure that reached it while it worked.
    sid = ev["saga_id"].to_numpy()
    source = ev["source"].astype(str).to_numpy()
    target = ev["target"].astype(str).to_numpy()
    names = ev["name"].astype(str).to_numpy()
    kinds = ev["kind"].astype(str).to_numpy()
    results = {(s.name, e) for s in saga.steps
               for e in (s.success_event, s.skip_event, s.failure_event)}
    is_result = np.array([(s, m) in results for s, m in zip(source, names)], dtype=bool)
    is_input = np.isin(kinds, ["success", "command"])
    rows = np.arange(len(ev))
    first_of_saga = np.r_[True, sid[1:] != sid[:-1]]
    saga_start = np.maximum.accumulate(np.where(first_of_saga, rows, 0))
    trigger = np.full(len(ev), -1)
    for p in np.unique(source):
        for only_inputs, sent in ((False, ~is_result), (True, is_result)):
            addressed = np.where((target == p) & (is_input if only_inputs else True), rows, -1)
            latest = np.r_[-1, np.maximum.accumulate(addressed)[:-1]]  # strictly earlier rows
            mine = (source == p) & sent & (latest >= saga_start)
            trigger[mine] = latest[mine]
    has = trigger >= 0
    triples = pd.DataFrame({"at": source[has], "p": source[trigger[has]],
                            "t": names[trigger[has]], "m": names[has]}).drop_duplicates()
    reactions: dict[str, set] = {}
    for at, p, t, m in triples.itertuples(index=False):
        reactions.setdefault(at, set()).add((p, t, m))
    return _assemble(saga, pattern, messages, reactions)


def event_graph(saga_or_result, pattern: str | None = None,
                transport: str = "sync") -> nx.MultiDiGraph:
    """The graph of the messages a saga sends under a pattern, or that a run sent.

    Parameters
    ----------
    saga_or_result : Saga or Result
        A spec (then ``pattern`` is required): the messages that *can* flow.
        Or a traced :class:`~sagalab.Result` (``pattern`` must be omitted):
        the messages that *did* flow.
    pattern : str, optional
        One of :data:`sagalab.PATTERNS`.
    transport : {"sync", "async"}
        For a spec under orchestration or hybrid: how commands and replies
        travel (see :func:`sagalab.simulate`).

    Returns
    -------
    networkx.MultiDiGraph
        Nodes are participants (attribute ``role``: initiator, service,
        orchestrator, topic, dlq; ``order``: position in the saga). Edges are
        message types keyed by name, with ``name``, ``kind``, ``channel`` and
        ``producer``. Graph attributes ``saga`` and ``pattern``.

    Raises
    ------
    ValueError, TypeError
        For an unknown pattern, a missing or superfluous pattern, or a run
        traced with ``trace=False``.

    Examples
    --------
    >>> import sagalab as sl
    >>> g = sl.event_graph(sl.scenarios.ecommerce(), "choreography")
    >>> sorted(g.successors("payment.events"))
    ['inventory', 'order']
    >>> g["order.events"]["payment"]["OrderCreated"]["kind"]
    'success'
    >>> "orchestrator" in sl.event_graph(sl.scenarios.ecommerce(), "orchestration")
    True
    """

    if isinstance(saga_or_result, Result):
        if pattern is not None:
            raise TypeError("event_graph(result) takes no pattern: the run has one "
                            f"({saga_or_result.pattern!r})")
        return _run_graph(saga_or_result)
    if not isinstance(saga_or_result, Saga):
        raise TypeError(f"event_graph: first argument must be a Saga or a Result, got "
                        f"{type(saga_or_result).__name__}")
    if pattern not in PATTERNS:
        raise ValueError(f"event_graph: pattern must be one of {list(PATTERNS)}, got "
                         f"{pattern!r}")
    check_pattern(pattern, transport, "event_graph")
    return _spec_graph(saga_or_result, pattern, transport)
