"""Every path a workflow saga can take, walked through its message catalogue.

:mod:`sagalab.graphs` draws the messages a spec *can* send. For the seed's
plain sagas it chains the catalogue's neighbour transfers; a saga with
conditions, parallel steps or retries (``Catalogue.is_workflow``) takes more
paths, and this module walks them all, symbolically and without simulating:
every combination of steps that run (each condition true or false), of
outcomes (each step that may fail failing or not, each compensation failing
or not) and of retries (none, or some), with the same route keys the engine
uses. It yields each message with its *trigger*: the latest earlier message
addressed to its sender (:mod:`sagalab.graphs`' definition of a reaction).

Inside a parallel unit the members' replies may arrive in any order, so the
orchestrator's next message may be triggered by any member's last reply; a
retry command inside a parallel unit may follow any other member's message
to the orchestrator. Conditions are treated as independent (a combination
the attributes can never produce is still walked).
"""
from __future__ import annotations

from itertools import product

from ..sim.catalogue import DECIDE, Catalogue, back_route, forward_route

__all__ = ["reactions"]



def reactions(cat: Catalogue) -> set:
    """``{(trigger or None, message)}`` over every path of ``cat``'s saga (MessageTypes).

    Examples
    --------
    >>> import sagalab as sl
    >>> from sagalab.sim.catalogue import build_catalogue
    >>> saga = sl.Saga("s", [sl.Step("a", 1), sl.Step("b", 1, when=sl.Condition("x", ">", 1))],
    ...                attributes={"x": 2.0})
    >>> sorted(m.name for _, m in reactions(build_catalogue(saga, "choreography")))
    ['ACompleted', 'BCompleted', 'BSkipped', 'OrderCreated']
    """
    steps, n, routes, types = cat.saga.steps, len(cat.saga.steps), cat.routes, cat.types
    out: set = set()
    runs = [(True, False) if s.when is not None else (True,) for s in steps]
    retriable = [s.kind == "retriable" for s in steps]
    outcomes = [((True,) if retriable[k] else ())
                + (() if retriable[k] else ((True,) if s.failure_p < 1 else ())
                   + ((False,) if s.failure_p > 0 else ()))
                for k, s in enumerate(steps)]
    retries = [(0, 1) if retriable[k] and s.failure_p > 0 else (0,) for k, s in enumerate(steps)]
    seen: set = set()

    def send(state, legs, sent=None):
        state = dict(state)
        for leg in legs:
            if leg == DECIDE:
                continue
            m = types[leg]
            for t in state.get(m.source, (None,)):
                out.add((t, m))
            if sent is not None:
                sent.append(m)
            state[m.target] = frozenset([m])
        return state

    def attempt(state, k, retried, sent=None):
        return send(state, routes[("retry", k)], sent) if retried else state

    def compensate(state, order):
        key = ("c", tuple(order), frozenset(state.items()))
        if key in seen:
            return
        seen.add(key)
        if not order:
            return
        k, p = order[0], (order[1] if len(order) > 1 else -1)
        q = steps[k].compensation_failure_p
        for cause in (("compensated",) if q < 1 else ()) + (
                ("compensation_failed",) if q > 0 else ()):
            compensate(send(state, back_route(routes, cause, k, p)), order[1:])

    def forward(ui, state, last, left, done):
        key = ("f", ui, last, left, tuple(done), frozenset(state.items()))
        if key in seen:
            return
        seen.add(key)
        if ui == len(cat.units):
            send(state, routes[("enter", n)] if left else forward_route(routes, last, n))
            return
        unit = cat.units[ui]
        for choice in product(*(runs[k] for k in unit)):
            members = [k for k, r in zip(unit, choice) if r]
            if not members:
                forward(ui + 1, state, last, left, done)
            elif len(unit) == 1:
                k = unit[0]
                s = send(state, routes[("enter", k)] if left else forward_route(routes, last, k))
                for retried, ok in product(retries[k], outcomes[k]):
                    s2 = attempt(s, k, retried)
                    if ok:
                        forward(ui + 1, s2, k, False, done + [k])
                    else:
                        order = done[::-1]
                        s3 = send(s2, back_route(routes, "fail", k, order[0] if order else -1))
                        compensate(s3, order)
            else:
                parallel(ui, state if left else send(state, routes[("leave", last)]),
                         members, done)

    def parallel(ui, state, members, done):
        for s_ in members:  # the commands fan out at once, after one decision
            state = send(state, routes[("enter", s_)])
        for combo in product(*(product(retries[k], outcomes[k]) for k in members)):
            s, finals, to_orch, from_orch = dict(state), [], [], []
            for k, (retried, ok) in zip(members, combo):
                sent: list = []
                b = attempt(state, k, retried, sent)
                b = send(b, routes[("leave", k) if ok else ("leave_fail", k)], sent)
                s.update({p: v for p, v in b.items() if p != "orchestrator"})
                finals.append(b["orchestrator"])
                to_orch.append([m for m in sent if m.target == "orchestrator"])
                from_orch.append([m for m in sent if m.source == "orchestrator"])
            for i, cmds in enumerate(from_orch):  # a retry may follow any sibling's message
                for j, msgs in enumerate(to_orch):
                    if i != j:
                        out.update((t, c) for t in msgs for c in cmds)
            s["orchestrator"] = frozenset().union(*finals)
            ok_members = [k for k, (_, ok) in zip(members, combo) if ok]
            if len(ok_members) == len(members):
                forward(ui + 1, s, None, True, done + members)
            else:
                order = (done + ok_members)[::-1]
                compensate(send(s, routes[("enter_undo", order[0] if order else -1)]), order)

    forward(0, {}, -1, False, [])
    return out
