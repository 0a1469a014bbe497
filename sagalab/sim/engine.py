"""The engine: one SimPy environment, the parts a run configured, and its sagas.

:class:`Engine` builds what one run needs and nothing more: a station per
step's service, the initiator and the orchestrator; the links' delays; the
fault plan where it hits something; the business-state ledgers; the event
log when tracing. Then it starts one :func:`~sagalab.sim.saga.saga_process`
per arriving saga (Poisson arrivals, draws from :mod:`sagalab.sim.draws`)
and runs until every saga has ended or can never end.

Parts a run does not configure are the plain ones: a station without
outages answers on arrival (:class:`~sagalab.sim.stations.Station`), a
broker without outages is a delay, an orchestrator without crashes is a
FIFO queue of decisions. So features a run does not use cost nothing.
"""
from __future__ import annotations

from array import array

import simpy

from ..model.faults import BROKER, ORCHESTRATOR
from .delivery import crash_replays
from .draws import BLOCK, FAULTS, INFRA, Sampler, World, constant_or_sampler, stream
from .ledger import Ledger, StateDraws
from .links import Delay
from .record import STUCK, Columns
from .saga import saga_process
from .stations import QueueStation, Station

__all__ = ["Engine"]

EVENT_FIELDS = ("time", "delivered", "saga_id", "message")
FORCED_GAP = 1e4  # seconds between two forced sagas: each runs alone


class Engine:
    """Runs ``n_sagas`` sagas of one catalogue (saga x pattern x transport).

    Parameters are the validated arguments of :func:`sagalab.simulate`;
    ``plan`` is a :class:`~sagalab.model.faults.FaultPlan`, ``states`` a tuple
    of business states.
    """

    def __init__(self, catalogue, *, arrival_rate, n_sagas, network, broker, orchestrator,
                 trace, root, plan, states=(), forced=None):
        saga = catalogue.saga
        self.env = env = simpy.Environment()
        self.cat, self.n_sagas, self.trace = catalogue, n_sagas, trace
        self.n = n = len(saga.steps)
        self.steps = saga.steps
        self.idem = [s.idempotent for s in saga.steps]
        self.outbox = [s.outbox for s in saga.steps]
        self.network = network
        self.orch_channel = 1 if catalogue.transport == "async" else 0
        # -- faults: only where the plan hits something this run uses
        self.plan = plan if plan else None
        uses_broker = not catalogue.orchestrated or catalogue.transport == "async" \
            or catalogue.has_chains
        self.broker_plan = plan if plan and plan.hits(BROKER) and uses_broker else None
        self.orch_plan = plan if plan and plan.hits(ORCHESTRATOR) and catalogue.orchestrated \
            else None
        self.durable = orchestrator.durable_log and catalogue.orchestrated
        self.compensate_unknown = orchestrator.compensate_unknown
        self.spawn = self.orch_channel == 0 and any(st.call for st in catalogue.stages) and (
            network.timeout is not None or self.orch_plan is not None)
        # -- business state
        self.states = tuple(states)
        self.ledgers = None
        if states:
            self.ledgers = [None] * n
            for i, s in enumerate(states):
                j = saga.step_names.index(s.step)
                self.ledgers[j] = Ledger(env, s, i, j)
        # -- stations: the steps', the initiator's, the orchestrator's
        parts = broker.partitions if uses_broker else None
        self.stations = []
        for j, s in enumerate(saga.steps):
            if (self.ledgers is not None and self.ledgers[j] is not None) or parts:
                self.stations.append(QueueStation(env, s.name, s.capacity, plan, parts))
            else:
                self.stations.append(Station(s.name, s.capacity, plan))
        self.stations.append(Station(saga.initiator, saga.initiator_capacity))
        self.orch = Station("orchestrator", orchestrator.capacity)
        if self.ledgers is not None:
            for led in self.ledgers:
                if led is not None:
                    led.station = self.stations[led.step]
        # -- links and draws
        self.hop = Delay(constant_or_sampler(network.hop, root, INFRA, 0, owner="Network",
                                             field="hop"))
        self.latency = Delay(constant_or_sampler(broker.latency, root, INFRA, 1, owner="Broker",
                                                 field="latency"))
        self.overhead = Delay(constant_or_sampler(orchestrator.overhead, root, INFRA, 2,
                                                  owner="Orchestrator", field="overhead"))
        self.log_latency = Delay(constant_or_sampler(orchestrator.log_latency, root, INFRA, 3,
                                                     owner="Orchestrator", field="log_latency"))
        self.backoff = Delay(constant_or_sampler(network.backoff, root, INFRA, 4,
                                                 owner="Network", field="backoff"))
        self.uses_decisions = catalogue.orchestrated and not (
            orchestrator.overhead.is_zero and not self.durable)
        self.redelivery_p = broker.redelivery_p if uses_broker else 0.0
        self.redelivery = Sampler(_UNIFORM, stream(root, FAULTS, 1)) if self.redelivery_p \
            else None
        self.commit_every, self.commit_interval = broker.commit_every, broker.commit_interval
        self.commit_logs = None
        if plan and uses_broker and (self.commit_every > 1 or self.commit_interval is not None):
            self.commit_logs = [[] if plan.hits(s.name) else None for s in saga.steps]
        self.world = World(saga, arrival_rate, root,
                           compensations=bool(plan) or bool(states) or network.timeout is not None,
                           orders=StateDraws(saga, states, root) if states else None)
        self.events = array("d")
        self.consumed = array("d") if trace and uses_broker else None
        # each station visit (saga, station, arrival, start, end, phase), when traced
        self.visits = array("d") if trace else None
        self.columns = Columns()
        self.kept: list = []  # records stored when the run ends (late duplicates may count)
        self.defer = bool(plan) or self.redelivery_p > 0 or network.timeout is not None
        self.live, self.horizon = 0, 0.0
        self.open: dict = {}  # the records of sagas under way, by id
        self._crashes: dict = {}  # the orchestrator's crashes as events, by time
        self.forced = forced  # a list of SagaDraws to run far apart (sagalab.sim.paths)
        self.snapshots = [] if forced is not None else None  # visits so far, at each close

    # -- bookkeeping ---------------------------------------------------------------
    def orch_crash(self, t: float):
        """The event of the orchestrator's next crash after ``t`` (shared), or None."""
        plan = self.orch_plan
        if plan is None:
            return None
        at = plan.next_crash(ORCHESTRATOR, t)
        if at == float("inf"):
            return None
        ev = self._crashes.get(at)
        if ev is None:
            ev = self._crashes[at] = self.env.timeout(at - self.env.now)
        return ev

    def _stalled(self) -> bool:
        """Whether nothing is scheduled that anyone waits for but the deliveries: a deadlock."""
        if self.live and all(not ev.callbacks  # nobody waits for it
                             or getattr(ev.callbacks[0], "__self__", None) in self._restocks
                             for _, _, _, ev in self.env._queue):
            self.idle.succeed()
            return True
        return False

    def close(self, r) -> None:
        self.open.pop(r.sid, None)
        if self.snapshots is not None:  # forced sagas run one at a time: count their visits
            stations = self.stations + [self.orch]
            self.snapshots.append([[st.served for st in stations], [st.busy for st in stations]])
        if r.end == r.end and r.end > self.horizon:
            self.horizon = r.end
        if self.defer or r.outcome == STUCK:
            self.kept.append(r)
        else:
            self.columns.add(r, 0.0)
        if self.ledgers is not None:
            for led in self.ledgers:
                if led is not None:
                    led.finish(r.sid)
        self._done()

    def start(self, gen):
        """Run ``gen`` as a process the run waits for (a duplicate, an abandoned call)."""
        self.live += 1
        return self.env.process(self._tracked(gen))

    def _tracked(self, gen):
        value = yield from gen  # an exception propagates: the run fails, it never ends early
        self._done()
        return value

    def _done(self) -> None:
        """One tracked process (or the arrivals) is through; the run ends with the last."""
        self.live -= 1
        if not self.live and not self.idle.triggered:
            self.idle.succeed()

    # -- the run -------------------------------------------------------------------
    def arrivals(self):
        env, world, n_sagas = self.env, self.world, self.n_sagas
        sid = 0
        if self.forced is not None:
            for d in self.forced:
                yield env.timeout(FORCED_GAP)
                self.live += 1
                env.process(saga_process(self, sid, d))
                sid += 1
        while sid < n_sagas:
            inter, draws = world.block(min(BLOCK, n_sagas - sid))
            for gap, d in zip(inter, draws):
                yield env.timeout(gap)
                self.live += 1
                env.process(saga_process(self, sid, d))
                sid += 1
        self._done()

    def run(self):
        env = self.env
        self.idle = env.event()
        self.live = 1  # the arrivals
        env.process(self.arrivals())
        restockers = [led for led in self.ledgers or () if led is not None and led.spec.refill[0]]
        self._restocks = {env.process(led.restocker(env, self._stalled)) for led in restockers}
        if self.commit_logs is not None:
            for k, log in enumerate(self.commit_logs):
                if log is not None:
                    for start in self.plan._starts[self.steps[k].name]:
                        env.process(crash_replays(self, k, start))
        try:
            env.run(until=self.idle)
        except RuntimeError as exc:  # nothing left to happen: the open sagas wait for ever
            if "No scheduled events left" not in str(exc):
                raise
        self.duration = max(env.now, self.horizon)
        for r in self.open.values():  # deadlocked: stuck
            r.outcome = STUCK
            self.kept.append(r)
        for r in sorted(self.kept, key=lambda r: r.sid):
            self.columns.add(r, self.duration)
        self.kept = []
        return self


class _Uniform:
    """Uniform draws in [0, 1), for the coins of redelivery."""

    def sample(self, rng, size):
        return rng.random(size)


_UNIFORM = _Uniform()
