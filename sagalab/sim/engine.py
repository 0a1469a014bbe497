"""The discrete-event engine: one SimPy process per saga, shared by every pattern.

A saga's life is the same story in every pattern (the seed's):

1. the initiator (Order service) creates the order;
2. the saga is handed to the first step; each step queues for a worker of
   its service (a SimPy ``Resource``: FIFO, ``capacity`` workers), works for
   its drawn service time, and either completes or fails;
3. after a failure, the steps that completed are compensated in reverse
   order, each at its own service;
4. the initiator completes or cancels the order, and the saga ends.

Between two of these moves the saga *travels* along a route from
:mod:`sagalab.messages`: one broker event in choreography, reply + decision
+ command in orchestration. The engine walks the route, records each message
(when tracing) and accumulates where the time went: queueing, service,
transit and coordination.

The engine keeps one set of stations and one event recorder for all
patterns; the only per-pattern knowledge is the catalogue's routes.
"""
from __future__ import annotations

from array import array

import simpy

from .catalogue import DECIDE, Catalogue
from .draws import BLOCK, INFRA, World, constant_or_sampler

__all__ = ["Engine", "OUTCOMES", "SAGA_FIELDS"]

OUTCOMES = ("completed", "compensated", "dlq", "stuck")
COMPLETED, COMPENSATED, DLQ, STUCK = range(4)
#: The fields of one saga record, in order (see Result.sagas for their meaning).
SAGA_FIELDS = ("saga_id", "start", "end", "outcome", "failed_step", "steps_completed",
               "compensations", "messages", "queueing", "service", "transit", "coordination",
               "inconsistent")
EVENT_FIELDS = ("time", "delivered", "saga_id", "message")


class Engine:
    """Runs ``n_sagas`` sagas of one catalogue (saga x pattern) on one world."""

    def __init__(self, catalogue: Catalogue, world: World, *, n_sagas: int, network, broker,
                 orchestrator, trace: bool, root):
        saga = catalogue.saga
        self.env = env = simpy.Environment()
        self.cat, self.world, self.n_sagas, self.trace = catalogue, world, n_sagas, trace
        n = len(saga.steps)
        # Stations: steps 0..n-1, then the initiator, then the orchestrator.
        self.station_names = list(saga.step_names) + [saga.initiator, "orchestrator"]
        self.capacities = [s.capacity for s in saga.steps] + [saga.initiator_capacity,
                                                              orchestrator.capacity]
        self.resources = [simpy.Resource(env, c) for c in self.capacities]
        self.busy = [0.0] * (n + 2)
        self.served = [0] * (n + 2)
        # Delay per message type: (constant, sampler) by channel.
        delays = {"network": constant_or_sampler(network.hop, world.root, INFRA, 0),
                  "broker": constant_or_sampler(broker.latency, world.root, INFRA, 1),
                  "local": (0.0, None)}
        self.overhead = constant_or_sampler(orchestrator.overhead, world.root, INFRA, 2)
        skip_decisions = orchestrator.overhead.is_zero
        legs = []
        for mt in catalogue.types:
            const, sampler = delays[mt.channel]
            legs.append((len(legs), const, sampler))

        def compile_route(route):
            return tuple(None if leg == DECIDE else legs[leg] for leg in route
                         if not (leg == DECIDE and skip_decisions))

        self.routes = {k: compile_route(r) for k, r in catalogue.routes.items()}
        self.sagas = array("d")
        self.events = array("d")
        self.uses_decisions = not skip_decisions and any(
            None in r for r in self.routes.values())
        from .workflow import needs_workflow, workflow_process  # it builds on this module
        self.workflow = workflow_process if needs_workflow(catalogue) else None
        world.detailed = self.workflow is not None

    # -- processes ----------------------------------------------------------
    def arrivals(self):
        env, world, n_sagas, saga = self.env, self.world, self.n_sagas, self.saga_process
        sid = 0
        while sid < n_sagas:
            size = min(BLOCK, n_sagas - sid)
            inter, svc, fail_at, comp, comp_fail, init, extra = world.block(size)
            for i in range(size):
                yield env.timeout(inter[i])
                if extra is None:
                    env.process(saga(sid, svc[i], fail_at[i] if fail_at else len(svc[i]),
                                     comp[i] if comp else None,
                                     comp_fail[i] if comp_fail else None,
                                     init[i] if init else None))
                else:  # conditions, parallel steps or retries: see sagalab.workflow
                    env.process(self.workflow(self, sid, svc[i], comp[i] if comp else None,
                                              comp_fail[i] if comp_fail else None,
                                              init[i] if init else None, extra[i]))
                sid += 1

    def travel(self, sid, route, acc):
        """Walk one route: send its messages, make its decisions. ``acc`` accumulates."""
        env = self.env
        for leg in route:
            if leg is None:  # an orchestrator decision
                t0 = env.now
                const, sampler = self.overhead
                h = const if sampler is None else sampler()
                with self.resources[-1].request() as req:
                    yield req
                    yield env.timeout(h)
                self.busy[-1] += h
                self.served[-1] += 1
                acc[3] += env.now - t0
                continue
            msg, const, sampler = leg
            d = const if sampler is None else sampler()
            acc[4] += 1
            if self.trace:
                now = env.now
                self.events.extend((now, now + d, sid, msg))
            if d:
                yield env.timeout(d)
                acc[2] += d

    def serve(self, station, t, acc):
        """Queue for a worker of ``station`` and work ``t`` seconds."""
        env = self.env
        t0 = env.now
        with self.resources[station].request() as req:
            yield req
            acc[0] += env.now - t0
            yield env.timeout(t)
        acc[1] += t
        self.busy[station] += t
        self.served[station] += 1

    def saga_process(self, sid, svc, fail_at, comp, comp_fail, init):
        env, routes, travel, serve = self.env, self.routes, self.travel, self.serve
        start = env.now
        n = len(svc)
        acc = [0.0, 0.0, 0.0, 0.0, 0]  # queueing, service, transit, coordination, messages
        if init is not None:
            yield from serve(n, init[0], acc)
        yield from travel(sid, routes[("start",)], acc)
        first = last = 0.0  # commit times of the first and of the latest effect
        for k in range(fail_at):
            yield from serve(k, svc[k], acc)
            last = env.now
            if not k:
                first = last
            yield from travel(sid, routes[("forward", k)], acc)
        outcome, comps = COMPLETED, 0
        if fail_at < n:
            yield from serve(fail_at, svc[fail_at], acc)  # works, then fails
            yield from travel(sid, routes[("fail", fail_at)], acc)
            outcome = COMPENSATED
            for k in range(fail_at - 1, -1, -1):
                yield from serve(k, comp[k], acc)
                last = env.now
                comps += 1
                if comp_fail[k]:
                    outcome = DLQ
                    yield from travel(sid, routes[("compensation_failed", k)], acc)
                else:
                    yield from travel(sid, routes[("compensated", k)], acc)
        if init is not None:
            yield from serve(n, init[1], acc)
        if outcome == DLQ:  # an effect stays: inconsistent until the saga ends (and after)
            last = env.now
        self.sagas.extend((sid, start, env.now, outcome, fail_at if fail_at < n else -1,
                           fail_at, comps, acc[4], acc[0], acc[1], acc[2], acc[3],
                           last - first))

    def run(self):
        self.env.process(self.arrivals())
        self.env.run()
        return self
