"""Reading event graphs: the seed's trade-off rows, answered with numbers.

* **Coupling** (:func:`coupling`): who must know about whom. A subscriber
  must know the topics it reads; a participant that sends a message directly
  to another must know it, unless the message answers that participant (a
  reply to a command). Choreography spreads small dependencies over every
  service; orchestration concentrates them in the orchestrator.
* **Cycles of events** (:func:`find_cycles`): an event that, through the
  services' reactions, can cause itself again: an endless loop of events,
  the seed's "cyclic event dependencies possible". :func:`order_update_loop`
  plants one in the e-commerce choreography, and shows its fix.
* **Growth** (:func:`graph_growth`): how many participants, edges, message
  types and dependencies a saga of ``n`` steps needs in each pattern.
* **A new subscriber** (:func:`add_subscriber`, :func:`graph_changes`): what
  changes, and for whom, when a service (say notifications) joins.
"""
from __future__ import annotations

import networkx as nx
import pandas as pd

from ..model import _validate
from ..model._validate import name as _check_name
from ..model.scenarios import ecommerce
from ..model.specs import Saga, Step, _camel
from ..sim.catalogue import SEED_PATTERNS
from . import _checks as checks
from .graphs import event_graph, topic_of

__all__ = ["coupling", "who_knows", "find_cycles", "add_subscriber", "graph_changes",
           "graph_growth", "order_update_loop"]

_ACTORS = ("initiator", "service", "orchestrator")


def _participants(g: nx.MultiDiGraph) -> list[str]:
    return sorted((n for n, r in g.nodes(data="role") if r in _ACTORS),
                  key=lambda n: (g.nodes[n]["order"], n))


def _dependencies(g: nx.MultiDiGraph) -> dict[str, set[str]]:
    deps: dict[str, set[str]] = {p: set() for p in _participants(g)}
    for u, v, d in g.edges(data=True):
        ru, rv = g.nodes[u]["role"], g.nodes[v]["role"]
        if ru == "topic" and rv in _ACTORS:
            deps[v].add(u)  # a subscriber knows the topic it reads
        elif ru in _ACTORS and rv in _ACTORS:
            answers = any(tp == v for tp, _, sent in g.nodes[u]["reactions"]
                          if sent == d["name"])
            if not answers:  # not a reply to v: u must know v
                deps[u].add(v)
    return deps


def coupling(graph: nx.MultiDiGraph) -> pd.DataFrame:
    """Who must know about whom, per participant.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        An :func:`~sagalab.event_graph`.

    Returns
    -------
    pandas.DataFrame
        One row per participant (initiator, services, orchestrator), in saga
        order: ``depends_on`` (tuple of the participants and topics it must
        know), ``n_depends_on``, ``known_by`` (who must know it, or its
        topic) and ``n_known_by``.

    Examples
    --------
    >>> import sagalab as sl
    >>> c = sl.coupling(sl.event_graph(sl.scenarios.ecommerce(), "orchestration"))
    >>> c.loc["orchestrator", "depends_on"]
    ('inventory', 'order', 'payment', 'shipping')
    >>> int(c.loc["payment", "n_depends_on"])
    0
    """
    deps = _dependencies(checks.graph("coupling", graph))
    known: dict[str, set[str]] = {p: set() for p in deps}
    for p, ds in deps.items():
        for d in ds:
            owner = graph.nodes[d].get("owner", d)
            if owner in known:
                known[owner].add(p)
    rows = [{"participant": p, "depends_on": tuple(sorted(deps[p])),
             "n_depends_on": len(deps[p]), "known_by": tuple(sorted(known[p])),
             "n_known_by": len(known[p])} for p in deps]
    return pd.DataFrame(rows).set_index("participant")


def who_knows(graph: nx.MultiDiGraph) -> pd.DataFrame:
    """Who must know whom, as a 0/1 matrix: row ``a``, column ``b`` is 1 when ``a`` must
    know ``b`` (calls it, or reads its topic).

    The same dependencies as :func:`coupling`, with each topic replaced by the
    participant that publishes to it.

    Returns
    -------
    pandas.DataFrame
        Square, indexed and columned by the participants in saga order.

    Examples
    --------
    >>> import sagalab as sl
    >>> m = sl.who_knows(sl.event_graph(sl.scenarios.ecommerce(), "choreography"))
    >>> m.loc["shipping"].tolist()  # shipping reads inventory's topic, nothing else
    [0, 0, 1, 0]
    >>> int(m.to_numpy().sum())
    7
    """
    deps = _dependencies(checks.graph("who_knows", graph))
    names = list(deps)
    m = pd.DataFrame(0, index=pd.Index(names, name="who"), columns=pd.Index(names, name="knows"))
    for p, ds in deps.items():
        for d in ds:
            owner = graph.nodes[d].get("owner", d)
            if owner in names:
                m.loc[p, owner] = 1
    return m


def _causal_graph(g: nx.MultiDiGraph) -> nx.DiGraph:
    """Message -> message it can cause; messages are ``(producer, name)``."""
    c = nx.DiGraph()
    for node, reactions in g.nodes(data="reactions"):
        for producer, trigger, sent in reactions or ():
            c.add_edge((producer, trigger), (node, sent))
    return c


def find_cycles(graph: nx.MultiDiGraph) -> list[tuple[str, ...]]:
    """Cycles of events: messages that, through reactions, can cause themselves again.

    A saga's own flow never loops (every path ends at the initiator), so a
    cycle means an extra subscription closed a loop: an endless event storm.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        An :func:`~sagalab.event_graph` (possibly with :func:`add_subscriber`).

    Returns
    -------
    list of tuple of str
        Each cycle as the message names in causal order, starting from the
        alphabetically smallest; the list sorted. Empty when there is none.

    Examples
    --------
    >>> import sagalab as sl
    >>> sl.find_cycles(sl.event_graph(sl.scenarios.ecommerce(), "choreography"))
    []
    >>> sl.find_cycles(sl.order_update_loop())
    [('OrderUpdated', 'PaymentCompleted')]
    >>> sl.find_cycles(sl.order_update_loop(fixed=True))
    []
    """
    out = []
    for cycle in nx.simple_cycles(_causal_graph(checks.graph("find_cycles", graph))):
        names = [name for _, name in cycle]
        i = min(range(len(names)), key=lambda j: (names[j], cycle[j][0]))
        out.append(tuple(names[i:] + names[:i]))
    return sorted(out)


def _message_edges(g, name):
    """Edges leaving the producer of message ``name`` (producer -> topic or receiver)."""
    return [(u, v, d) for u, v, d in g.edges(data=True)
            if d["name"] == name and u == d["producer"]]


def add_subscriber(graph: nx.MultiDiGraph, service: str, on=(), emits=()) -> nx.MultiDiGraph:
    """A copy of ``graph`` where ``service`` reacts to messages ``on`` by sending ``emits``.

    Through the broker, ``service`` subscribes to the topics carrying ``on``
    and publishes ``emits`` to its own topic (no one else changes). A message
    sent directly (orchestration) reaches one receiver, which must now also
    call ``service``: it sends ``Process<Service>`` and ``service`` replies
    with ``emits`` (default ``<Service>Completed``). ``service`` may be new
    or existing; with ``on`` empty it publishes ``emits`` on its own
    initiative.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        An :func:`~sagalab.event_graph`; it is not changed.
    service : str
        The subscriber, e.g. ``"notification"``.
    on : iterable of str
        Names of messages already in the graph that ``service`` reacts to.
    emits : iterable of str
        Names of the messages it sends in reaction.

    Returns
    -------
    networkx.MultiDiGraph

    Raises
    ------
    ValueError
        For an unknown message name in ``on`` or a bad service name.

    Examples
    --------
    >>> import sagalab as sl
    >>> g = sl.event_graph(sl.scenarios.ecommerce(), "choreography")
    >>> h = sl.add_subscriber(g, "notification", on=["ShippingScheduled"])
    >>> sorted(h.predecessors("notification"))
    ['shipping.events']
    """
    checks.graph("add_subscriber", graph)
    _check_name("add_subscriber", "service", service)
    on = [_validate.text("add_subscriber", "on", x) for x in
          _validate.sequence("add_subscriber", "on", on, "message names", limit=10_000)]
    emits = [_validate.text("add_subscriber", "emits", x) for x in
             _validate.sequence("add_subscriber", "emits", emits, "message names", limit=10_000)]
    g = graph.copy()
    known = sorted({d["name"] for _, _, d in g.edges(data=True)})
    for name in on:
        if name not in known:
            raise ValueError(f"add_subscriber: on names a message not in the graph: {name!r}; "
                             f"its messages are {known}")
    if service not in g:
        order = max((o for _, o in g.nodes(data="order")), default=-1) + 1
        g.add_node(service, role="service", order=order, reactions=frozenset())

    def edge(u, v, name, kind, channel, producer):
        if not g.has_edge(u, v, key=name):
            g.add_edge(u, v, key=name, name=name, kind=kind, channel=channel, producer=producer)

    def react(node, trigger, name):
        g.nodes[node]["reactions"] = g.nodes[node]["reactions"] | {trigger + (name,)}

    def publish(name, trigger):
        topic = topic_of(service)
        if topic not in g:
            g.add_node(topic, role="topic", order=g.nodes[service]["order"], owner=service)
        edge(service, topic, name, "success", "broker", service)
        if trigger is not None:
            react(service, trigger, name)

    if not on:  # publishes on its own initiative
        for e in emits:
            publish(e, None)
    for name in on:
        for _, v, d in _message_edges(graph, name):
            trigger = (d["producer"], name)
            if g.nodes[v]["role"] in ("topic", "dlq"):  # read the topic (or queue) it is on
                edge(v, service, name, d["kind"], d["channel"], d["producer"])
                for e in emits:
                    publish(e, trigger)
            else:  # sent straight to v: v must now call the service
                command = f"Process{_camel(service)}"
                edge(v, service, command, "command", d["channel"], v)
                react(v, trigger, command)
                for e in emits or [f"{_camel(service)}Completed"]:
                    edge(service, v, e, "reply", d["channel"], service)
                    react(service, (v, command), e)
    return g


def graph_changes(before: nx.MultiDiGraph, after: nx.MultiDiGraph) -> pd.DataFrame:
    """What changed between two event graphs, per participant that changed.

    Returns
    -------
    pandas.DataFrame
        One row per participant that is new or whose code must change:
        ``status`` (``"new"`` or ``"changed"``), ``new_dependencies``,
        ``new_reactions`` (``"trigger -> sent"``) and ``new_edges`` (messages
        it now sends or receives that it did not before).

    Examples
    --------
    >>> import sagalab as sl
    >>> g = sl.event_graph(sl.scenarios.ecommerce(), "orchestration")
    >>> ch = sl.graph_changes(g, sl.add_subscriber(g, "notification", on=["ShippingScheduled"]))
    >>> list(ch.index), list(ch.status)
    (['orchestrator', 'notification'], ['changed', 'new'])
    """
    d0 = _dependencies(checks.graph("graph_changes", before, "before"))
    d1 = _dependencies(checks.graph("graph_changes", after, "after"))
    e0 = set(before.edges(keys=True))
    rows = []
    for p in _participants(after):
        new = p not in before
        deps = d1[p] - d0.get(p, set())
        r0 = set() if new else set(before.nodes[p]["reactions"])
        reacts = sorted(f"{t} -> {s}" for _, t, s in set(after.nodes[p]["reactions"]) - r0)
        edges = [e for e in set(after.in_edges(p, keys=True)) | set(after.out_edges(p, keys=True))
                 if e not in e0]
        if new or deps or reacts or edges:
            rows.append({"participant": p, "status": "new" if new else "changed",
                         "new_dependencies": tuple(sorted(deps)),
                         "new_reactions": tuple(reacts), "new_edges": len(edges)})
    cols = ["participant", "status", "new_dependencies", "new_reactions", "new_edges"]
    return pd.DataFrame(rows, columns=cols).set_index("participant")


def _chain(n: int) -> Saga:
    """A saga of ``n`` steps in which every path can happen."""
    return Saga(f"chain{n}", [Step(f"s{k + 1}", 0.01, failure_p=0.1,
                                   compensation_failure_p=0.01) for k in range(n)])


def graph_growth(steps=range(1, 11), patterns=SEED_PATTERNS) -> pd.DataFrame:
    """Size of the event graph of an ``n``-step saga, per pattern.

    The saga is a chain of steps that can each fail and whose compensations
    can each fail, so every path of the pattern appears.

    Returns
    -------
    pandas.DataFrame
        One row per (pattern, n_steps): ``participants`` (initiator,
        services, orchestrator), ``nodes``, ``edges``, ``message_types``
        (distinct names), ``dependencies`` (sum over participants) and
        ``max_dependencies`` (of the most coupled participant).

    Examples
    --------
    >>> import sagalab as sl
    >>> t = sl.graph_growth(steps=[3])
    >>> t["max_dependencies"].tolist()  # choreography, orchestration
    [2, 4]
    """
    patterns = checks.patterns("graph_growth", patterns)
    most = _validate.MAX_STEPS
    steps = _validate.sequence("graph_growth", "steps", steps, "step counts", limit=most)
    if not steps:
        raise ValueError("graph_growth: steps is empty; give at least one number of steps")
    for i, n in enumerate(steps):
        _validate.count("graph_growth", f"steps[{i}]", n, high=most, limit="MAX_STEPS")
    rows = []
    for pattern in patterns:
        for n in steps:
            g = event_graph(_chain(n), pattern)
            c = coupling(g)
            rows.append({"pattern": pattern, "n_steps": n, "participants": len(c),
                         "nodes": g.number_of_nodes(), "edges": g.number_of_edges(),
                         "message_types": len({d for _, _, d in g.edges(data="name")}),
                         "dependencies": int(c["n_depends_on"].sum()),
                         "max_dependencies": int(c["n_depends_on"].max())})
    return pd.DataFrame(rows).set_index(["pattern", "n_steps"])


def order_update_loop(saga: Saga | None = None, *, fixed: bool = False) -> nx.MultiDiGraph:
    """The e-commerce choreography with a planted cycle of events (or its fix).

    Two reasonable-looking subscriptions close a loop. The order service
    listens to ``PaymentCompleted`` to mark the order paid, and publishes
    ``OrderUpdated``; the payment service listens to ``OrderUpdated`` to
    re-check the amount it charged, and publishes ``PaymentCompleted``
    again: ``OrderUpdated -> PaymentCompleted -> OrderUpdated -> ...``.

    The fix (``fixed=True``) names the events for what happened: order
    publishes ``OrderPaid`` (payment does not listen to it), and payment
    re-checks only on ``OrderAmountChanged``, which a customer's edit causes,
    not a payment.

    Parameters
    ----------
    saga : Saga, optional
        Defaults to :func:`sagalab.scenarios.ecommerce`; needs an initiator
        and a step named ``payment``.
    fixed : bool
        Return the graph with the fix instead.

    Examples
    --------
    >>> import sagalab as sl
    >>> sl.find_cycles(sl.order_update_loop())
    [('OrderUpdated', 'PaymentCompleted')]
    """
    saga = ecommerce() if saga is None else checks.saga("order_update_loop", saga)
    _validate.flag("order_update_loop", "fixed", fixed)
    if "payment" not in saga.step_names:
        raise ValueError(f"order_update_loop: saga needs a step named 'payment'; its steps are "
                         f"{list(saga.step_names)}")
    order, paid = saga.initiator, saga.step("payment").success_event
    g = event_graph(saga, "choreography")
    if not fixed:
        g = add_subscriber(g, order, on=[paid], emits=[f"{_camel(order)}Updated"])
        return add_subscriber(g, "payment", on=[f"{_camel(order)}Updated"], emits=[paid])
    g = add_subscriber(g, order, on=[paid], emits=[f"{_camel(order)}Paid"])
    g = add_subscriber(g, order, emits=[f"{_camel(order)}AmountChanged"])
    return add_subscriber(g, "payment", on=[f"{_camel(order)}AmountChanged"], emits=[paid])
