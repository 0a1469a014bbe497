"""A bare, hand-written SimPy model of the seed's e-commerce sagas.

This is what a competent engineer writes in an afternoon without sagalab:
Poisson arrivals, the initiator's work at start and end, three stations
with FIFO queues, business failures with reverse-order compensation, one
latency per message (broker latency for choreography's events; one network
hop each way plus one orchestrator decision per reply for orchestration),
and the latency and outcome of each saga kept in lists. It draws its random
numbers up front with numpy, as sagalab does, so the two do the same work.
It has no tracing, no validation and no per-saga time breakdown: it is the
yardstick ``sl.simulate`` is measured against.
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
    steps = [simpy.Resource(env, s.capacity) for s in saga.steps]
    initiator = simpy.Resource(env, saga.initiator_capacity)
    orch = simpy.Resource(env, orch_capacity)
    inter, svc, comp, fail_at, init = draws(saga, rate, n, seed)
    latencies, outcomes = [], []
    k = len(steps)

    def work(res, t):
        with res.request() as req:
            yield req
            yield env.timeout(t)

    if pattern == "choreography":
        def handoff():
            yield env.timeout(latency)
    else:
        def handoff():
            yield env.timeout(hop)       # reply (or start) to the orchestrator
            yield from work(orch, overhead)
            yield env.timeout(hop)       # next command

    def saga_proc(i):
        start = env.now
        yield from work(initiator, init[i][0])
        yield from handoff()
        f = fail_at[i]
        for j in range(min(f + 1, k)):
            yield from work(steps[j], svc[i][j])
            yield from handoff()
        for j in range(f - 1, -1, -1):
            yield from work(steps[j], comp[i][j])
            yield from handoff()
        yield from work(initiator, init[i][1])
        latencies.append(env.now - start)
        outcomes.append(f == k)

    def source():
        for i in range(n):
            yield env.timeout(inter[i])
            env.process(saga_proc(i))

    env.process(source())
    env.run()
    return latencies, outcomes
