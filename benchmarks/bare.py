"""A careful, hand-written SimPy model of the seed's e-commerce sagas: the yardstick.

What an engineer who knows SimPy writes to simulate exactly these sagas, as fast
as SimPy allows, without sagalab:

* all randomness drawn up front with numpy, per saga, in plain Python lists;
* one process per saga, **no nested generators** (every wait is a ``yield``
  in the saga's own generator), stations as ``simpy.Resource`` used with an
  explicit ``request``/``release`` (the way SimPy's documentation teaches);
* one timeout per message (the broker's latency in choreography; a network
  hop each way and one decision at a ``Resource`` for the orchestrator),
  business failures with reverse-order compensation, the initiator's work at
  both ends;
* the latency and outcome of each saga kept in two lists; no trace, no
  validation, no per-saga time breakdown.

sagalab's :class:`~sagalab.sim.stations.Station` knows, on arrival, when a FIFO
worker will take a request (the work times are drawn up front), so it needs no
``Resource`` events: that is why the simulator can beat this model while
doing more. A model that did the same would no longer be the SimPy model a
reader would write.
"""
from __future__ import annotations

import numpy as np
import simpy


def draws(saga, rate, n, seed):
    rng = np.random.default_rng(seed)
    k = len(saga.steps)
    inter = rng.exponential(1 / rate, n).tolist()
    svc = np.column_stack([s.service_time.sample(rng, n) for s in saga.steps]).tolist()
    comp = np.column_stack([s.compensation.sample(rng, n) for s in saga.steps]).tolist()
    fails = np.column_stack([rng.random(n) < s.failure_p for s in saga.steps])
    fail_at = np.where(fails.any(1), fails.argmax(1), k).tolist()
    init = saga.initiator_time.sample(rng, 2 * n).reshape(n, 2).tolist()
    return inter, svc, comp, fail_at, init


def run(saga, pattern, *, rate, n, hop, latency, overhead, orch_capacity=1, seed=0):
    env = simpy.Environment()
    timeout = env.timeout
    steps = [simpy.Resource(env, s.capacity) for s in saga.steps]
    initiator = simpy.Resource(env, saga.initiator_capacity)
    orch = simpy.Resource(env, orch_capacity)
    inter, svc, comp, fail_at, init = draws(saga, rate, n, seed)
    latencies, outcomes = [], []
    k = len(steps)
    chor = pattern == "choreography"

    def saga_proc(i):
        start = env.now
        w, f, c = svc[i], fail_at[i], comp[i]
        # the stations this saga works at, in order, each followed by a hand-over
        visits = [(steps[j], w[j]) for j in range(min(f + 1, k))] + [
            (steps[j], c[j]) for j in range(f - 1, -1, -1)]
        req = initiator.request()
        yield req
        yield timeout(init[i][0])
        initiator.release(req)
        for res, t in [(None, 0.0)] + visits:
            if res is not None:
                req = res.request()
                yield req
                yield timeout(t)
                res.release(req)
            if chor:  # one event through the broker
                yield timeout(latency)
            else:  # a reply (or the start), one decision, a command
                yield timeout(hop)
                req = orch.request()
                yield req
                yield timeout(overhead)
                orch.release(req)
                yield timeout(hop)
        req = initiator.request()
        yield req
        yield timeout(init[i][1])
        initiator.release(req)
        latencies.append(env.now - start)
        outcomes.append(f == k)

    def source():
        for i in range(n):
            yield timeout(inter[i])
            env.process(saga_proc(i))

    env.process(source())
    env.run()
    return latencies, outcomes
